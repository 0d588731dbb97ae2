/** @odoo-module **/

import { registry } from "@web/core/registry";
import { shiftShownDate } from "@cobranza_odoo/../tests/tours/tour_utils";

// An accountant registers, with Odoo's Register Payment wizard, a transfer received six days ago on
// an invoice of 1,150.00 (1,000.00 + 15 % tax) issued 15 days ago under "3 % within 10 days, 1.5 %
// within 20 days": today is inside the second tier, the payment's date inside the first.
registry.category("web_tour.tours").add("cobranza_incentive_payment_tour", {
    // No url: the test opens the document itself, and a tour url would send the browser away from it.
    steps: () => [
        {
            content: "Register a payment on the invoice",
            trigger: ".o_form_view .o_statusbar_buttons button[name=action_register_payment]",
            run: "click",
        },
        {
            content: "Paid today, the second tier applies: 1.5 % off",
            trigger: ".modal .o_field_widget[name=amount] input:value(1,132.75)",
        },
        {
            content: "The transfer arrived six days ago",
            trigger: ".modal .o_field_widget[name=payment_date] input",
            run: shiftShownDate(-6),
        },
        {
            content: "On that date the first tier applies: 3 % off",
            trigger: ".modal .o_field_widget[name=amount] input:value(1,115.50)",
        },
        {
            content: "The wizard says the discount is applied",
            trigger: ".modal .alert-info .o_field_widget[name=payment_difference]:contains(34.50)",
        },
        {
            content: "Create the payment",
            trigger: ".modal .modal-footer button[name=action_create_payments]",
            run: "click",
        },
        {
            content: "The invoice is paid",
            trigger: "body:not(:has(.modal)) .o_form_view .ribbon:not(:contains(Partial))",
        },
    ],
});
