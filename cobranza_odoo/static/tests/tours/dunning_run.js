/** @odoo-module **/

import { registry } from "@web/core/registry";
import { catchNextDownload, openCollectionsMenu } from "@cobranza_odoo/../tests/tours/tour_utils";

// A collector runs dunning for one customer from Collections › Run Dunning: previews it, creates the
// draft, opens the communication, sends it (e-mail queued and letter printed) and prints the letter.
registry.category("web_tour.tours").add("cobranza_dunning_run_tour", {
    url: "/odoo",
    steps: () => [
        ...openCollectionsMenu("cobranza_odoo.menu_cobranza_dunning_run", "Run dunning"),
        {
            content: "Only this customer",
            trigger: ".modal .o_field_widget[name=partner_ids] input",
            run: "edit Ferretería Central",
        },
        {
            content: "Pick it",
            trigger: ".o-autocomplete--dropdown-item:not(.o_m2o_dropdown_option) a:contains(Ferretería Central)",
            run: "click",
        },
        {
            content: "Preview",
            trigger: ".modal:has(.o_field_widget[name=partner_ids] .o_tag) .modal-footer button[name=action_preview]",
            run: "click",
        },
        {
            content: "The preview lists the customer with one installment to remind",
            trigger: ".modal .o_field_widget[name=customer_ids] .o_data_row:contains(Ferretería Central) td[name=planned_count]:contains(1)",
        },
        {
            content: "Create the draft",
            trigger: ".modal .modal-footer button[name=action_create]",
            run: "click",
        },
        {
            content: "Open the new communication",
            trigger: "body:not(:has(.modal)) .o_list_view .o_data_row td[name=partner_id]:contains(Ferretería Central)",
            run: "click",
        },
        {
            content: "It is a draft",
            trigger: ".o_statusbar_status button.o_arrow_button_current[data-value=draft]",
        },
        {
            content: "Send it",
            trigger: ".o_form_view .o_statusbar_buttons button[name=action_send]",
            run: "click",
        },
        {
            content: "It reached the customer",
            trigger: ".o_statusbar_status button.o_arrow_button_current[data-value=sent]",
        },
        {
            content: "Its letter was printed and kept",
            trigger: ".o_form_view .o_field_widget[name=letter_attachment_id]:contains(.pdf)",
            run: catchNextDownload,
        },
        {
            content: "Open the actions menu",
            trigger: ".o_control_panel .o_cp_action_menus button:has(.fa-cog)",
            run: "click",
        },
        {
            content: "Print the collection letter",
            trigger: ".o-dropdown--menu .o_menu_item:has(.fa-print)",
            run: "click",
        },
        {
            content: "The letter comes back as a PDF download",
            trigger: "body[data-cobranza-download^='200 application/pdf'][data-cobranza-download*='.pdf']",
        },
    ],
});
