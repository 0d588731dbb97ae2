/** @odoo-module **/

import { formatDate, parseDate } from "@web/core/l10n/dates";
import { download } from "@web/core/network/download";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

/**
 * Steps opening Invoicing › Collections › the menu item ``menuXmlid`` (``content`` says which).
 */
export function openCollectionsMenu(menuXmlid, content) {
    return [
        ...stepUtils.goToAppSteps("account.menu_finance", "Open Invoicing"),
        {
            content: "Open the Collections menu",
            trigger: ".o_main_navbar button[data-menu-xmlid='cobranza_odoo.menu_cobranza_root']",
            run: "click",
        },
        {
            content,
            trigger: `.dropdown-item[data-menu-xmlid='${menuXmlid}']`,
            run: "click",
        },
    ];
}

/**
 * Step action typing into a date field the date ``days`` away from the one it shows, then Enter.
 *
 * The shown date is the server's today in the user's time zone (a default), which the browser's
 * own clock and zone may not agree with; the Python side checks against the same day.
 */
export function shiftShownDate(days) {
    return async function (helpers) {
        const shown = parseDate(this.anchor.value);
        await helpers.edit(formatDate(shown.plus({ days })));
        await helpers.press("Enter");
    };
}

/**
 * Step action making the next file download go to the server as the web client sends it, and
 * noting the answer on <body data-cobranza-download="status type disposition"> instead of saving
 * a file: the headless browser has nowhere to save it, and a later step reads the note.
 */
export function catchNextDownload() {
    const original = download._download;
    download._download = async (options) => {
        download._download = original;
        const body = new FormData();
        for (const [key, value] of Object.entries(options.data)) {
            body.append(key, value);
        }
        body.append("csrf_token", odoo.csrf_token);
        const response = await fetch(options.url, { method: "POST", body });
        document.body.dataset.cobranzaDownload = [
            response.status,
            response.headers.get("Content-Type"),
            decodeURIComponent(response.headers.get("Content-Disposition") || ""),
        ].join(" ");
    };
}
