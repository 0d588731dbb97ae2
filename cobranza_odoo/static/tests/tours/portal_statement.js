/** @odoo-module **/

import { registry } from "@web/core/registry";

// A customer opens their statement from the portal home, sees their open invoices, promises to pay the
// overdue ones on the last date the company allows, then opens the page that pays them online. (The
// payment itself is made in the HttpCase: Community's test provider has no page a browser can finish.)
registry.category("web_tour.tours").add("cobranza_portal_statement_tour", {
    url: "/my",
    steps: () => [
        {
            content: "The portal home offers the account statement",
            trigger: 'a[href="/my/collections"]',
            run: "click",
        },
        {
            content: "The statement lists the overdue invoice",
            trigger: "#cobranza_invoices tr.o_cobranza_invoice.table-danger a",
        },
        {
            content: "and offers to pay the overdue amount online",
            trigger: "#cobranza_pay_buttons a.o_cobranza_pay_overdue",
        },
        {
            content: "Choose the last date the company allows",
            trigger: "#cobranza_promise_date",
            run() {
                this.anchor.value = this.anchor.max;
            },
        },
        {
            content: "Promise to pay",
            trigger: "#cobranza_promise_submit",
            run: "click",
        },
        {
            content: "The promise is recorded",
            trigger: "#cobranza_message.alert-success",
        },
        {
            content: "and the invoice shows it",
            trigger: "#cobranza_invoices .badge.text-bg-info",
        },
        {
            content: "Pay the overdue amount online",
            trigger: "#cobranza_pay_buttons a.o_cobranza_pay_overdue",
            run: "click",
        },
        {
            content: "Odoo's payment form asks for the overdue total",
            trigger: "#cobranza_pay_page:has(#o_payment_form) #o_payment_summary_amount:contains(700.00)",
        },
    ],
});
