/** @odoo-module **/

import { registry } from "@web/core/registry";
import { openCollectionsMenu, shiftShownDate } from "@cobranza_odoo/../tests/tours/tour_utils";

// Credit limit enforcement = Block. A salesperson's quotation takes the customer over its limit:
// the confirmation opens the credit dialog and the salesperson asks for an approval; a Collections
// Manager approves it from Collections › Credit Approvals; the salesperson then confirms the order.
// Three tours, one per person and moment, started one after the other by test_browser_tours.py.

registry.category("web_tour.tours").add("cobranza_credit_request_tour", {
    // No url: the test opens the document itself, and a tour url would send the browser away from it.
    steps: () => [
        {
            content: "The quotation warns before anything is confirmed: the credit check blocks it",
            trigger: ".o_form_view .alert-danger .o_field_widget[name=cobranza_credit_message]",
        },
        {
            content: "Confirm the quotation",
            trigger: ".o_form_view .o_statusbar_buttons button[name=action_confirm]",
            run: "click",
        },
        {
            content: "The credit dialog explains the block: customer, limit, exposure, who approves",
            trigger: ".modal .alert-danger .o_field_widget[name=message]:contains(Ferretería Central)",
        },
        {
            content: "Say why the order should go through",
            trigger: ".modal .o_field_widget[name=request_reason] textarea",
            run: "edit Paga con transferencia el viernes; cliente de hace diez años",
        },
        {
            content: "Request an approval",
            trigger: ".modal .modal-footer button[name=action_request_approval]",
            run: "click",
        },
        {
            content: "The request is confirmed in a notification",
            trigger: ".o_notification:has(.o_notification_bar.bg-success)",
        },
        {
            content: "The dialog is closed and the quotation says who is deciding",
            trigger: "body:not(:has(.modal)) .o_form_view .alert-warning .o_field_widget[name=cobranza_credit_message]",
        },
        {
            content: "The quotation is still a quotation",
            trigger: ".o_statusbar_status button.o_arrow_button_current[data-value=draft]",
        },
    ],
});

registry.category("web_tour.tours").add("cobranza_credit_approve_tour", {
    url: "/odoo",
    steps: () => [
        ...openCollectionsMenu("cobranza_odoo.menu_cobranza_credit_approvals", "Open the credit approvals"),
        {
            content: "Open the request waiting for approval",
            trigger: ".o_list_view .o_data_row td[name=partner_id]:contains(Ferretería Central)",
            run: "click",
        },
        {
            content: "The request carries the salesperson's reason",
            trigger: ".o_form_view .o_field_widget[name=request_reason]:contains(Paga con transferencia)",
        },
        {
            content: "Approve up to a little more than the order",
            trigger: ".o_form_view .o_field_widget[name=approved_amount] input",
            run: "edit 2600",
        },
        {
            content: "Valid for three days instead of the week proposed",
            trigger: ".o_form_view .o_field_widget[name=expiry_date] input",
            run: shiftShownDate(-4),
        },
        {
            content: "Say why",
            trigger: ".o_form_view .o_field_widget[name=approval_reason] textarea",
            run: "edit Cliente histórico, paga a fin de mes",
        },
        {
            content: "Approve",
            trigger: ".o_form_view .o_statusbar_buttons button[name=action_approve]",
            run: "click",
        },
        {
            content: "The exception is approved",
            trigger: ".o_statusbar_status button.o_arrow_button_current[data-value=approved]",
        },
    ],
});

registry.category("web_tour.tours").add("cobranza_credit_confirm_tour", {
    // No url: the test opens the document itself, and a tour url would send the browser away from it.
    steps: () => [
        {
            content: "The quotation says the exception was approved",
            trigger: ".o_form_view .alert-info .o_field_widget[name=cobranza_credit_message]",
        },
        {
            content: "Confirm the quotation",
            trigger: ".o_form_view .o_statusbar_buttons button[name=action_confirm]",
            run: "click",
        },
        {
            content: "It is a sales order, with no dialog",
            trigger: "body:not(:has(.modal)) .o_statusbar_status button.o_arrow_button_current[data-value=sale]",
        },
    ],
});
