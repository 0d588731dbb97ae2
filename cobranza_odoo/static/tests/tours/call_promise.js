/** @odoo-module **/

import { registry } from "@web/core/registry";
import { openCollectionsMenu, shiftShownDate } from "@cobranza_odoo/../tests/tours/tour_utils";

// A collector opens a customer with overdue invoices from Collections › Customers, logs the call
// in which the customer promised to pay, and records the promise for a date ten days ahead.
registry.category("web_tour.tours").add("cobranza_call_promise_tour", {
    url: "/odoo",
    steps: () => [
        ...openCollectionsMenu("cobranza_odoo.menu_cobranza_customers", "Open the customers"),
        {
            content: "Open the overdue customer",
            trigger: ".o_list_view .o_data_row td[name=partner_id]:contains(Ferretería Central)",
            run: "click",
        },
        {
            content: "Log a call",
            trigger: ".o_form_view .o_statusbar_buttons button[name=action_log_call]",
            run: "click",
        },
        {
            content: "The call is with this customer",
            trigger: ".modal .o_field_widget[name=partner_id] input:value(Ferretería Central)",
        },
        {
            content: "The customer promised to pay",
            trigger: ".modal .o_field_widget[name=outcome] select",
            run: 'select "promise"',
        },
        {
            content: "Note what was said",
            trigger: ".modal .o_field_widget[name=note] textarea",
            run: "edit Paga el saldo vencido por transferencia",
        },
        {
            content: "Log the call",
            trigger: ".modal .modal-footer button[name=action_log]",
            run: "click",
        },
        {
            content: "The promise form proposes the overdue amount",
            trigger: ".modal .o_field_widget[name=debt] input:value(600.00)",
        },
        {
            content: "The customer pays ten days from today, not in the week proposed",
            trigger: ".modal .o_field_widget[name=first_date] input",
            run: shiftShownDate(3),
        },
        {
            content: "Save the promise",
            trigger: ".modal .o_form_view button[name=action_save_promise]",
            run: "click",
        },
        {
            content: "Back on the customer, the dialog closed",
            trigger: "body:not(:has(.modal)) .o_form_view button[name=action_log_call]",
        },
    ],
});
