"""Screenshots of the addon's screens, made from a demo database: ``./dev screenshots``.

    ./dev screenshots [--db NAME [--no-update]] [--keep-db] [--only NAME,...] [--port N] [--out DIR]

Creates a throwaway database with the addon and its demo data (the users it logs in as read the
interface in Latin-American Spanish, es_419), starts Odoo's HTTP server on it, and logs in through
Odoo's login form in headless Chromium, driven over the Chrome DevTools Protocol, as the salesperson,
a collector and the Collections Manager. Each screen is opened by its action's XML id at a fixed
window size (1440×900, device scale 1); once nothing is loading any more (no RPC pending, the network
quiet, the view's own element shown) a PNG is written to cobranza_odoo/static/description/screenshots/
under the screen's stable name, so re-running updates the images the README and the Apps page show.
The customer's statement is opened logged out, from the signed link of a demo customer.

A demo that lacks what a screen shows gets it first, the way a user would make it (``prepare``): a
quotation over the credit limit, an approval request, today's communications, the KPI history; the
collector shown sends today's drafts of their customers, as in the morning, so that My Day lists the
calls and letters that follow. Lists get columns as wide as their titles (Odoo's own widths cut them),
a letter is taken at 1000 px wide, and the letters print a fixed portal address, not this run's port.

``--db NAME`` reuses one of ./dev's own databases (it carries their comment, see tools/dev.py) with the
demo installed: the addon is updated (unless ``--no-update``) and prepared the same way (Spanish
interface and a password for the users it logs in as, the missing examples); it is never dropped.
Otherwise the throwaway database is dropped at the end unless ``--keep-db``.

A screen that does not load (an error dialog, a danger notification, a timeout) fails the run, exit 1:
what the browser showed is saved in .local/screenshots-failed/ and the committed image is left as it was.
"""

import argparse
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
import dev  # tools/dev.py: Odoo, the private PostgreSQL, our databases

OUT = dev.REPO / dev.ADDON / "static" / "description" / "screenshots"
FAILED = dev.LOCAL / "screenshots-failed"
DB_PREFIX = "cobranza_shots"
DB_PURPOSE = "screenshots database"
WIDTH, HEIGHT = 1440, 900
# The portal page is taken whole, up to this height.
FULL_PAGE_MAX_HEIGHT = 2200
LANG = "es_419"
TIME_ZONE = "America/Bogota"
# The password given to the demo users the script logs in as (the demo creates them without one);
# the administrator keeps ./dev's admin / admin.
PASSWORD = "cobranza-demo"
ADMIN_PASSWORD = "admin"
SALESPERSON_LOGIN = "ventas.valentina"
COLLECTOR_LOGINS = ("cartera.carolina", "cartera.andres")
# What letters and statements print as the address of the portal (the server's own port changes).
BASE_URL = "https://erp.cobranza-demo.example"
ROLES = ("salesperson", "collector", "manager", "customer")
SCREEN_TIMEOUT = 90
NETWORK_QUIET = 0.6  # seconds without a request in flight


@dataclass(frozen=True)
class Screen:
    """One screenshot: who looks, where, when it is ready, and what to click first.

    ``path`` is a URL path (``{placeholders}`` are filled from what ``prepare`` found); with ``action``
    the page at ``path`` is opened first, then the action (by XML id) with the web client's action
    service (dialogs). ``steps`` run in order once the page is ready: ("click", css), ("wait", css),
    ("expand", n) opens the first n groups of a grouped list, ("search", text) types a search,
    ("scroll", css) brings an element to the top, ("settle", seconds) lets charts draw. ``fit_columns``
    lets a list's columns take the width of their titles and values (Odoo's own widths cut titles);
    ``width`` is the window's (a letter is narrower than the screens).
    """

    name: str
    role: str
    caption: str
    path: str = "/odoo"
    action: str = ""
    ready: str = ".o_action_manager .o_view_controller"
    steps: tuple = ()
    full_page: bool = False
    fit_columns: bool = False
    width: int = WIDTH


def _action(xmlid, record=""):
    return f"/odoo/action-cobranza_odoo.{xmlid}" + (f"/{{{record}}}" if record else "")


SCREENS = (
    Screen(
        "sale_credit_dialog",
        "salesperson",
        "A quotation over the customer's credit limit: the banner says why before anyone confirms it, and "
        "confirming opens the credit dialog with the limit, the exposure, who can approve, and Request Approval.",
        path="/odoo/action-sale.action_quotations_with_onboarding/{sale_order_id}",
        ready=".o_form_view .o_statusbar_buttons button[name=action_confirm]",
        steps=(
            ("click", ".o_form_view .o_statusbar_buttons button[name=action_confirm]"),
            ("wait", ".modal .o_field_widget[name=message]"),
        ),
    ),
    Screen(
        "credit_approval",
        "manager",
        "The Collections Manager's side: the salesperson's request, approved with an amount cap and a validity "
        "date, or refused.",
        path=_action("cobranza_credit_override_action", "override_id"),
        ready=".o_form_view .o_statusbar_buttons button[name=action_approve]",
    ),
    Screen(
        "collector_my_day",
        "collector",
        "My Day: the calls, WhatsApp messages, deferred reminders, letters to post and broken promises of the "
        "collector's customers, with each customer's local time and what the contact rules allow now.",
        path=_action("cobranza_collector_day_action"),
        ready=".o_list_view .o_group_header",
        steps=(
            ("click", ".o_searchview_facet .o_facet_remove"),
            ("wait", ".o_list_view .o_group_header"),
            ("expand", 7),
        ),
        fit_columns=True,
    ),
    Screen(
        "worklist",
        "collector",
        "The worklist: every overdue installment by customer, with its days overdue, aging bucket and level.",
        path=_action("account_move_line_action_cobranza_worklist"),
        ready=".o_list_view .o_group_header",
        steps=(("expand", 3),),
        fit_columns=True,
    ),
    Screen(
        "customer_profile",
        "collector",
        "A customer's collections profile: segment, collector, credit hold, what is owed and how late, payment "
        "behaviour, and the buttons to log a promise or a call.",
        path=_action("cobranza_partner_profile_action", "profile_id"),
        ready=".o_form_view .o_notebook",
    ),
    Screen(
        "dunning_run_preview",
        "collector",
        "Run Dunning, previewed: the level each customer gets today, how many installments and how much, and "
        "what the contact rules say.",
        path=_action("cobranza_collector_day_action"),
        action="cobranza_odoo.cobranza_dunning_run_wizard_action",
        ready=".modal button[name=action_preview]",
        steps=(
            ("click", ".modal button[name=action_preview]"),
            ("wait", ".modal .o_field_widget[name=customer_ids] .o_data_row"),
        ),
    ),
    Screen(
        "dunning_letter",
        "collector",
        "A printed collection letter: the customer's address, the level's text, the installments it lists and "
        "how to pay.",
        path="/report/html/cobranza_odoo.report_dunning_letter/{letter_dunning_id}",
        ready=".article .page, .page",
        full_page=True,
        width=1000,
    ),
    Screen(
        "agreement",
        "collector",
        "A payment agreement: the invoices it covers, its installments and how they are being paid.",
        path=_action("cobranza_agreement_action", "agreement_id"),
        ready=".o_form_view .o_notebook",
    ),
    Screen(
        "kpis",
        "manager",
        "Collections KPIs month by month: receivable, credit sales, DSO (countback and standard), best possible "
        "DSO, ADD, CEI, the share current and over 90 days, promises kept.",
        path=_action("cobranza_kpi_snapshot_action") + "?view_type=list",
        ready=".o_list_view .o_data_row",
        fit_columns=True,
    ),
    Screen(
        "incentive",
        "manager",
        "An early-payment incentive: discount tiers by days after the invoice, each with its annualised cost.",
        path=_action("cobranza_incentive_action", "incentive_id"),
        ready=".o_form_view .o_field_widget[name=tier_ids] .o_data_row",
    ),
    Screen(
        "settings",
        "manager",
        "The company's collections settings: grace days, tolerance, credit-limit enforcement, the daily dunning "
        "run and its policy.",
        path="/odoo/action-cobranza_odoo.action_cobranza_config_settings",
        ready=".o_form_view #cobranza_grace_days",
        steps=(("scroll", "#cobranza_grace_days"),),
    ),
    Screen(
        "portal_statement",
        "customer",
        "The customer's account statement, opened from the signed link of a reminder: pay, promise a "
        "date or contest an invoice.",
        path="{portal_path}",
        ready="#cobranza_statement #cobranza_summary",
        full_page=True,
    ),
)


# --------------------------------------------------------------------------- options


def add_arguments(parser):
    parser.add_argument(
        "--db",
        help="reuse this database of ./dev (it must carry ./dev's comment and have the addon's demo); "
        f"default: a throwaway {DB_PREFIX}_<time> database",
    )
    parser.add_argument("--keep-db", action="store_true", help="keep the throwaway database at the end")
    parser.add_argument(
        "--no-update", action="store_true", help="with --db: do not update the addon first (only views changed)"
    )
    parser.add_argument("--only", help="comma-separated screen names (default: all): " + ", ".join(screen_names()))
    parser.add_argument("--port", type=int, default=0, help="HTTP port of the Odoo server (default: a free one)")
    parser.add_argument(
        "--out", type=Path, default=OUT, help=f"where the PNGs go (default: {OUT.relative_to(dev.REPO)})"
    )
    return parser


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="tools/screenshots.py", description=__doc__.split("\n\n")[0])
    return add_arguments(parser).parse_args(argv)


def screen_names():
    return [screen.name for screen in SCREENS]


def selected_screens(only):
    """The screens to take, in SCREENS order; unknown names are an error that lists the known ones."""
    if not only:
        return list(SCREENS)
    wanted = [name.strip() for name in only.split(",") if name.strip()]
    unknown = sorted(set(wanted) - set(screen_names()))
    if unknown:
        raise dev.DevError(f"Unknown screen(s): {', '.join(unknown)}. Known: {', '.join(screen_names())}.")
    return [screen for screen in SCREENS if screen.name in wanted]


def new_database_name(now=None):
    return f"{DB_PREFIX}_{(now or datetime.now()).strftime('%Y%m%d%H%M%S')}"


def check_reusable(pg, name):
    """A database given with --db is used only when ./dev created it (its comment says so)."""
    if not pg.exists(name):
        raise dev.DevError(f"There is no database named {name!r}. Leave out --db to work in a throwaway one.")
    if name not in pg.marked_databases():
        raise dev.DevError(
            f"The database {name!r} was not created by ./dev (it does not carry its comment): it is left alone. "
            "Leave out --db to work in a throwaway database."
        )


def fill_path(screen, facts):
    """The screen's URL path with what ``prepare`` found; None (and why) when a record is missing."""
    missing = [key for key in re.findall(r"{(\w+)}", screen.path) if not facts.get(key)]
    if missing:
        return None, f"the database has nothing to show here ({', '.join(missing)} not found)"
    return screen.path.format(**facts), ""


# --------------------------------------------------------------------------- the database


def prepare(env, result_path):
    """Inside ``odoo shell``: make the database ready for the screens and say what they need (JSON).

    Only what the demo lacks is added, made as a user would make it: the salesperson's quotation
    over a credit limit, an approval request, today's communications (a few of them sent), twelve
    months of KPIs. The users the script logs in as get the Spanish interface and a password.
    """
    from odoo import fields

    notes = []
    company = env.ref("base.main_company")
    env = env(context=dict(env.context, allowed_company_ids=company.ids))
    if not env["res.partner"].with_context(active_test=False).search_count([("ref", "=", "CLI-0001")]):
        raise RuntimeError("this database has no cobranza_odoo demo portfolio (install the addon with demo data)")
    env["res.lang"]._activate_lang(LANG)
    today = fields.Date.context_today(env.user)
    users = _prepare_users(env, company, notes)
    facts = {
        "sale_order_id": _prepare_blocked_quotation(env, company, users["salesperson"], notes).id or None,
    }
    facts["override_id"] = _prepare_approval_request(env, company, users["salesperson"], facts["sale_order_id"], notes)
    _prepare_communications(env, company, today, notes)
    _prepare_kpis(env, company, notes)
    users["collector"] = _busiest_collector(env, company) or users["collector"]
    _prepare_my_day(env, company, users["collector"], today, notes)
    facts["letter_dunning_id"] = _letter_communication(env, company).id or None
    facts["profile_id"] = _featured_profile(env, company).id or None
    facts["agreement_id"] = _featured_agreement(env, company).id or None
    facts["incentive_id"] = _featured_incentive(env, company).id or None
    profile = _portal_customer(env, company)
    if profile:
        link = urlsplit(profile._portal_url())
        facts["portal_path"] = f"{link.path}?{link.query}"
        facts["portal_customer"] = profile.partner_id.name
    # Links printed on letters show a stable address, not this run's port (not frozen: the administrator's
    # login, after the collector's screens, sets it back to the server's own address, as Odoo does).
    env["ir.config_parameter"].sudo().set_param("web.base.url", BASE_URL)
    for user in users.values():
        values = {"lang": LANG, "tz": user.tz or TIME_ZONE}
        if user != env.ref("base.user_admin"):
            values["password"] = PASSWORD
        user.write(values)
    env.flush_all()
    result = {
        "facts": facts,
        "logins": {role: user.login for role, user in users.items()},
        "names": {role: user.name for role, user in users.items()},
        "time_zone": users["manager"].tz or TIME_ZONE,
        "notes": notes,
    }
    Path(result_path).write_text(json.dumps(result, indent=2, ensure_ascii=False))


def _prepare_users(env, company, notes):
    from odoo import Command

    Users = env["res.users"].with_context(active_test=False)
    salesperson = Users.search([("login", "=", SALESPERSON_LOGIN)], limit=1)
    if not salesperson:
        salesperson = Users.with_context(no_reset_password=True).create(
            {
                "name": "Valentina Cárdenas",
                "login": SALESPERSON_LOGIN,
                "email": f"{SALESPERSON_LOGIN}@cobranza-demo.example",
                "company_id": company.id,
                "company_ids": [Command.set(company.ids)],
                "groups_id": [
                    Command.link(env.ref("base.group_user").id),
                    Command.link(env.ref("sales_team.group_sale_salesman_all_leads").id),
                ],
            }
        )
        notes.append(f"created the salesperson {salesperson.login}")
    collector = Users.search([("login", "in", COLLECTOR_LOGINS)], order="id", limit=1)
    manager = env.ref("base.user_admin")
    if not collector:
        collector = manager
        notes.append("no demo collector: the collector's screens are taken as the administrator")
    return {"salesperson": salesperson, "collector": collector, "manager": manager}


def _demo_product(env, partner):
    """A product the customer buys in the demo (from its invoices), else any product for sale."""
    line = env["account.move.line"].search(
        [
            ("move_id.partner_id", "=", partner.id),
            ("move_id.move_type", "=", "out_invoice"),
            ("product_id", "!=", False),
        ],
        order="price_unit desc",
        limit=1,
    )
    return line.product_id or env["product.product"].search([("sale_ok", "=", True), ("list_price", ">", 0)], limit=1)


def _over_limit_quotation(env, company, salesperson, partner):
    """A quotation the salesperson writes for 1.2 times the customer's credit limit (at least one unit)."""
    product = _demo_product(env, partner)
    limit = partner.with_company(company).credit_limit or 1000.0
    quantity = max(1, round(limit * 1.2 / (product.list_price or 1.0)))
    return (
        env["sale.order"]
        .with_user(salesperson)
        .with_company(company)
        .create(
            {
                "partner_id": partner.id,
                "company_id": company.id,
                "user_id": salesperson.id,
                "order_line": [(0, 0, {"product_id": product.id, "product_uom_qty": quantity})],
            }
        )
    )


def _credit_candidates(env, company, exclude=()):
    """Demo customers to write an over-limit quotation for: on credit hold first, then by credit use."""
    profiles = env["cobranza.partner.profile"].search(
        [("company_id", "=", company.id), ("partner_id.ref", "=like", "CLI-%")],
        order="credit_hold desc, credit_use desc, id",
    )
    return profiles.partner_id.filtered(lambda partner: partner.id not in exclude)


def _prepare_blocked_quotation(env, company, salesperson, notes):
    """A quotation the credit check blocks (status ``block``), the salesperson's if there are several."""
    if company.cobranza_credit_action == "none":
        company.cobranza_credit_action = "block"
        notes.append("credit limit enforcement set to Block")
    quotations = (
        env["sale.order"]
        .with_user(salesperson)
        .with_company(company)
        .search([("company_id", "=", company.id), ("state", "in", ("draft", "sent"))], order="id desc")
    )
    blocked = quotations.filtered(lambda order: order.cobranza_credit_status == "block")
    blocked = blocked.filtered(lambda order: order.user_id == salesperson) or blocked
    if blocked:
        return blocked[:1].sudo()
    for partner in _credit_candidates(env, company)[:3]:
        order = _over_limit_quotation(env, company, salesperson, partner)
        if order.cobranza_credit_status == "block":
            notes.append(f"wrote the blocked quotation {order.name} for {partner.name}")
            return order.sudo()
        order.sudo().unlink()
    notes.append("no quotation could be blocked by the credit check")
    return env["sale.order"]


def _prepare_approval_request(env, company, salesperson, blocked_order_id, notes):
    """An approval waiting for a manager: the salesperson confirms a second over-limit quotation at the
    screen and asks for one, as in the credit dialog."""
    Override = env["cobranza.credit.override"]
    requested = Override.search([("company_id", "=", company.id), ("state", "=", "requested")], order="id", limit=1)
    if requested:
        return requested.id
    blocked = env["sale.order"].browse(blocked_order_id)
    for partner in _credit_candidates(env, company, exclude=blocked.partner_id.commercial_partner_id.ids)[:3]:
        order = _over_limit_quotation(env, company, salesperson, partner)
        action = order.with_context(cobranza_credit_dialog=True).action_confirm()
        if not isinstance(action, dict) or action.get("res_model") != "cobranza.credit.check.wizard":
            order.sudo().unlink()
            continue
        wizard = env["cobranza.credit.check.wizard"].with_user(salesperson).browse(action["res_id"])
        wizard.request_reason = "Pedido para una obra nueva; el cliente abonará la factura vencida esta semana."
        wizard.action_request_approval()
        notes.append(f"requested a credit approval for {order.name} ({partner.name})")
        return Override.search([("sale_order_id", "=", order.id), ("state", "=", "requested")], limit=1).id or None
    notes.append("no credit approval could be requested")
    return None


def _prepare_communications(env, company, today, notes):
    """Communications to show. Without any, today's run prepares the drafts (review mode) and a few of
    them are sent from the screen, one per level."""
    Dunning = env["cobranza.dunning"]
    domain = [("company_id", "=", company.id)]
    if Dunning.search_count(domain):
        return
    profiles = env["cobranza.partner.profile"].search([*domain, ("open_amount", "!=", 0)])
    env["cobranza.dunning.run"]._run_for(profiles, today, send=False)
    drafts = Dunning.search([*domain, ("state", "=", "draft")], order="id")
    by_level = {}
    for draft in drafts:
        by_level.setdefault(draft.level_id, draft)
    chosen = (Dunning.union(*by_level.values()) | drafts)[:8]
    if chosen:
        chosen.action_send()
    notes.append(f"ran today's dunning in review mode ({len(drafts)} drafts) and sent {len(chosen)} of them")


def _prepare_kpis(env, company, notes):
    Snapshot = env["cobranza.kpi.snapshot"].with_company(company)
    if not Snapshot.search_count([("company_id", "=", company.id)]):
        Snapshot.action_backfill(12)
        notes.append("computed the last 12 months of KPIs")


def _busiest_collector(env, company):
    """The demo collector with the most on My Day (the screen is filtered on the user's own)."""
    collectors = env["res.users"].search([("login", "in", COLLECTOR_LOGINS)], order="id")
    if not collectors:
        return None
    counts = dict(
        env["cobranza.collector.day"]._read_group(
            [("collector_id", "in", collectors.ids), ("company_id", "=", company.id)], ["collector_id"], ["__count"]
        )
    )
    return max(collectors, key=lambda user: (counts.get(user, 0), -user.id))


def _prepare_my_day(env, company, collector, today, notes):
    """The collector reviews and sends today's drafts of their customers, as in the morning: the calls,
    WhatsApp messages and letters that follow are what My Day lists. The other collector's drafts stay
    for the communications list and the run's preview."""
    drafts = env["cobranza.dunning"].search(
        [
            ("company_id", "=", company.id),
            ("state", "=", "draft"),
            ("date", "=", today),
            ("collector_id", "=", collector.id),
        ]
    )
    if drafts:
        drafts.with_user(collector).action_send()
        notes.append(f"{collector.login} sent today's {len(drafts)} draft(s) of their customers")


def _demo_story(name):
    """A customer of the demo's stories (cobranza_demo_portfolio), by its role there."""
    from odoo.addons.cobranza_odoo.models import cobranza_demo_portfolio

    return getattr(cobranza_demo_portfolio, name, "")


def _letter_communication(env, company):
    """A sent communication with a printed letter, the highest level first (the pre-legal notice)."""
    sent = env["cobranza.dunning"].search(
        [("company_id", "=", company.id), ("state", "=", "sent"), ("letter_attachment_id", "!=", False)],
        order="date desc, id desc",
    )
    preferred = sent.filtered(lambda dunning: dunning.partner_id.name == _demo_story("PRELEGAL_CUSTOMER"))
    return (preferred or sent)[:1]


def _featured_profile(env, company):
    """The customer on credit hold after its pre-legal notice, else the one most overdue."""
    Profile = env["cobranza.partner.profile"]
    domain = [("company_id", "=", company.id)]
    return Profile.search([*domain, ("partner_id.name", "=", _demo_story("PRELEGAL_CUSTOMER"))], limit=1) or (
        Profile.search([*domain, ("overdue_amount", ">", 0)], order="credit_hold desc, overdue_amount desc", limit=1)
    )


def _featured_agreement(env, company):
    """The active payment agreement of the demo's story, else any active one, else any."""
    Agreement = env["cobranza.agreement"]
    domain = [("company_id", "=", company.id)]
    story = [("partner_id.name", "=", _demo_story("AGREEMENT_CUSTOMER")), ("state", "=", "active")]
    return (
        Agreement.search([*domain, *story], limit=1)
        or Agreement.search([*domain, ("state", "=", "active")], order="id", limit=1)
        or Agreement.search(domain, order="id desc", limit=1)
    )


def _featured_incentive(env, company):
    return env["cobranza.incentive"].search([("company_id", "in", (company.id, False))], order="id", limit=1)


def _portal_customer(env, company):
    """A demo customer with something overdue, under an active agreement if one is."""
    profiles = env["cobranza.partner.profile"].search(
        [("company_id", "=", company.id), ("overdue_amount", ">", 0), ("partner_id.ref", "=like", "CLI-%")],
        order="overdue_amount desc",
    )
    under_agreement = env["cobranza.agreement"].search([("company_id", "=", company.id), ("state", "=", "active")])
    chosen = profiles.filtered(lambda profile: profile.partner_id in under_agreement.partner_id)
    chosen = chosen or profiles.filtered(lambda profile: profile.collection_status != "legal") or profiles
    return chosen[:1]


def _prepare_script(result_path):
    """What ``odoo shell`` runs: this file's ``prepare``, any error written where the result goes."""
    return (
        "import importlib.util, json, sys, traceback\n"
        f"spec = importlib.util.spec_from_file_location('cobranza_screenshots', {str(Path(__file__).resolve())!r})\n"
        "shots = importlib.util.module_from_spec(spec)\n"
        "spec.loader.exec_module(shots)\n"
        "try:\n"
        f"    shots.prepare(env, {str(result_path)!r})\n"
        "    env.cr.commit()\n"
        "except Exception as error:\n"
        "    env.cr.rollback()\n"
        "    traceback.print_exc()\n"
        f"    open({str(result_path)!r}, 'w').write(json.dumps({{'error': str(error)}}))\n"
    )


def run_prepare(odoo_root, pg, dbname, logs):
    handle = tempfile.NamedTemporaryFile(suffix="-screens.json", delete=False, dir=dev.LOCAL)
    handle.close()
    result_path = Path(handle.name)
    try:
        rc = dev.odoo_shell(
            odoo_root, pg, dbname, _prepare_script(result_path), log_file=logs / f"{dbname}-prepare.log"
        )
        text = result_path.read_text() if result_path.exists() else ""
        result = json.loads(text) if text.strip() else {}
    finally:
        result_path.unlink(missing_ok=True)
    if result.get("error") or rc or not result:
        reason = result.get("error") or f"odoo shell exited {rc}"
        raise dev.DevError(f"Preparing {dbname!r} failed: {reason} (log: {logs / f'{dbname}-prepare.log'}).")
    return result


def install(odoo_root, pg, dbname, logs, update=False):
    step = "Updating" if update else "Installing"
    dev.say(f"{step} {dev.ADDON} with its demo data in {dbname!r} (Spanish interface) ...")
    log = logs / f"{dbname}-{'update' if update else 'install'}.log"
    args = ["-d", dbname, "-u" if update else "-i", dev.ADDON, "--load-language", LANG, "--stop-after-init"]
    args.append("--no-http")
    rc, _ = dev.run_odoo(odoo_root, pg, args, log_file=log)
    if rc:
        raise dev.DevError(f"{step} {dev.ADDON} failed (exit {rc}); see {log}.")


# --------------------------------------------------------------------------- the Odoo server


class OdooServer:
    """Odoo's HTTP server on one database, without cron threads (nothing changes while we look)."""

    def __init__(self, odoo_root, pg, dbname, port, log_file):
        if port and not dev._port_free(port):
            raise dev.DevError(f"Port {port} is in use: leave out --port to take a free one.")
        self.port = port or dev._free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [
            sys.executable,
            str(dev.REPO / "tools" / "odoo_run.py"),
            "--summary",
            os.devnull,
            "--odoo-path",
            str(odoo_root),
            "--",
            "-d",
            dbname,
            "--db-filter",
            f"^{re.escape(dbname)}$",
            "--http-interface",
            "127.0.0.1",
            "--http-port",
            str(self.port),
            "--max-cron-threads",
            "0",
            "--addons-path",
            dev.addons_path(odoo_root),
            *pg.odoo_args(),
            "--logfile",
            str(log_file),
        ]
        self.log_file = log_file
        self.errors = Path(f"{log_file}.stderr")
        with open(self.errors, "wb") as errors:
            self.process = subprocess.Popen(command, cwd=dev.REPO, stdout=subprocess.DEVNULL, stderr=errors)

    def wait_up(self, timeout=180):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                lines = self.errors.read_text(errors="replace").strip().splitlines() or ["no message"]
                raise dev.DevError(
                    f"Odoo stopped at start (exit {self.process.returncode}): {lines[-1]}; see {self.log_file} "
                    f"and {self.errors}."
                )
            try:
                with urllib.request.urlopen(f"{self.url}/web/login", timeout=10) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(1)
        raise dev.DevError(f"Odoo did not answer on {self.url} within {timeout} s; see {self.log_file}.")

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


# --------------------------------------------------------------------------- Chromium


class BrowserError(Exception):
    pass


def find_chromium():
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    raise dev.DevError("No Chromium found (Debian: apt-get install chromium; ./dev setup installs it).")


class DevTools:
    """One websocket to a Chromium target: commands and their answers, events to the handlers."""

    def __init__(self, url):
        import websocket

        self._timeout_error = websocket.WebSocketTimeoutException
        self.ws = websocket.create_connection(url, timeout=30, suppress_origin=True)
        self.next_id = 0
        self.handlers = []

    def send(self, method, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        return self.next_id

    def call(self, method, timeout=30, **params):
        wanted = self.send(method, **params)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            message = self._receive(deadline)
            if message and message.get("id") == wanted:
                if "error" in message:
                    raise BrowserError(f"{method}: {message['error'].get('message')}")
                return message.get("result", {})
        raise BrowserError(f"{method}: no answer from Chromium within {timeout} s")

    def pump(self, seconds):
        """Handle the events that arrive during ``seconds``."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self._receive(deadline)

    def _receive(self, deadline):
        self.ws.settimeout(max(0.01, min(0.2, deadline - time.monotonic())))
        try:
            message = json.loads(self.ws.recv())
        except self._timeout_error:
            return None
        if "method" in message:
            for handler in self.handlers:
                handler(message["method"], message.get("params", {}))
        return message

    def close(self):
        try:
            self.ws.close()
        except OSError:
            pass


class Chromium:
    """Headless Chromium; each role gets its own browser context (its own cookies: its own session)."""

    def __init__(self):
        self.profile = tempfile.mkdtemp(prefix="cobranza-shots-chromium-")
        command = [
            find_chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-extensions",
            "--disable-background-networking",
            "--disable-default-apps",
            "--disable-sync",
            "--disable-translate",
            "--no-first-run",
            "--no-default-browser-check",
            "--hide-scrollbars",
            "--mute-audio",
            "--force-device-scale-factor=1",
            f"--window-size={WIDTH},{HEIGHT}",
            "--lang=es-419",
            "--remote-debugging-address=127.0.0.1",
            "--remote-debugging-port=0",
            f"--user-data-dir={self.profile}",
            "about:blank",
        ]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = Path(self.profile) / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not (port_file.is_file() and len(port_file.read_text().splitlines()) >= 2):
            if time.monotonic() > deadline or self.process.poll() is not None:
                self.close()
                raise dev.DevError("Chromium did not start (no DevTools port after 30 s).")
            time.sleep(0.2)
        port, path = port_file.read_text().splitlines()[:2]
        self.port = int(port)
        self.browser = DevTools(f"ws://127.0.0.1:{self.port}{path}")

    def new_page(self, time_zone):
        context = self.browser.call("Target.createBrowserContext")["browserContextId"]
        target = self.browser.call("Target.createTarget", url="about:blank", browserContextId=context)["targetId"]
        return Page(self, DevTools(f"ws://127.0.0.1:{self.port}/devtools/page/{target}"), context, time_zone)

    def close(self):
        if getattr(self, "browser", None):
            self.browser.close()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        shutil.rmtree(self.profile, ignore_errors=True)


# Still, tidy screens: no blinking caret, no transition caught halfway.
CALM_CSS = (
    "*, *::before, *::after { transition: none !important; animation-duration: 0s !important; "
    "animation-delay: 0s !important; caret-color: transparent !important; }"
)
CALM_SCRIPT = (
    "document.addEventListener('DOMContentLoaded', () => { const style = document.createElement('style');"
    f" style.textContent = {json.dumps(CALM_CSS)}; document.head.appendChild(style); }});"
)

# What the page says about itself: an error, still busy, or ready (its main element shown).
STATE_SCRIPT = """(() => {
    const find = (selector) => document.querySelector(selector);
    const error = find('.o_error_dialog');
    if (error) return 'error: ' + (error.closest('.modal-content') || error).innerText.trim().slice(0, 800);
    const danger = find('.o_notification .o_notification_bar.bg-danger');
    if (danger) return 'error: ' + danger.closest('.o_notification').innerText.trim().slice(0, 800);
    if (document.readyState !== 'complete') return 'busy: page loading';
    if (find('.o_loading_indicator')) return 'busy: waiting for the server';
    if (find('.o_blockUI:not(.o_blockUI_invisible)')) return 'busy: interface blocked';
    if (!find(%s)) return 'busy: waiting for ' + %s;
    return 'ready';
})()"""

# A list's columns sized by the browser from their titles and values (a long value cut at 16 rem);
# Odoo sets fixed widths on the headers once, from the first rows it draws, and cuts the titles.
FIT_COLUMNS_SCRIPT = """(() => {
    for (const table of document.querySelectorAll('.o_list_renderer .o_list_table')) {
        table.style.tableLayout = 'auto';
        table.style.width = '100%';
        for (const cell of table.querySelectorAll('thead th')) {
            cell.style.width = '';
            cell.style.minWidth = '';
            cell.style.maxWidth = '';
        }
        for (const cell of table.querySelectorAll('tbody td.o_list_button, tbody td.o_list_button *')) {
            cell.style.whiteSpace = 'nowrap';
            cell.style.flexWrap = 'nowrap';
        }
        for (const cell of table.querySelectorAll('tbody td.o_data_cell:not(.o_list_button)')) {
            cell.style.maxWidth = '16rem';
            cell.style.overflow = 'hidden';
            cell.style.textOverflow = 'ellipsis';
            cell.style.whiteSpace = 'nowrap';
        }
    }
    return true;
})()"""

# The interface's language: the web client's session, else the page's lang attribute.
LANG_SCRIPT = """(() => {
    const module = (name) => (window.odoo && odoo.loader && odoo.loader.modules.get(name)) || {};
    const user = module('@web/core/user').user || {};
    const context = (module('@web/session').session || {}).user_context || {};
    return user.lang || context.lang || document.documentElement.lang || '';
})()"""

EMPTY_SCRIPT = """(() => {
    if (document.querySelector('.o_view_sample_data')) return 'sample data (no records)';
    if (document.querySelector('.o_view_nocontent')) return 'no records';
    return '';
})()"""


class Page:
    """A tab of one browser context, with the requests in flight and the script errors it saw."""

    def __init__(self, chromium, tools, context, time_zone):
        self.chromium, self.tools, self.context = chromium, tools, context
        self.in_flight = {}
        self.script_errors = []
        self.loads = 0
        self.fitted = False
        tools.handlers.append(self._on_event)
        tools.call("Page.enable")
        tools.call("Runtime.enable")
        tools.call("Network.enable")
        tools.call("Network.setExtraHTTPHeaders", headers={"Accept-Language": "es-419,es;q=0.9"})
        self.resize(WIDTH)
        tools.call("Emulation.setTimezoneOverride", timezoneId=time_zone)
        tools.call("Page.addScriptToEvaluateOnNewDocument", source=CALM_SCRIPT)

    def _on_event(self, method, params):
        if method == "Network.requestWillBeSent":
            url = params["request"]["url"]
            if params.get("type") not in ("WebSocket", "EventSource") and not url.startswith(("data:", "blob:")):
                self.in_flight[params["requestId"]] = (url, time.monotonic())
        elif method in ("Network.loadingFinished", "Network.loadingFailed"):
            self.in_flight.pop(params["requestId"], None)
        elif method == "Page.loadEventFired":
            self.loads += 1
        elif method == "Page.javascriptDialogOpening":
            # e.g. "leave this page?": answered without waiting, the navigation goes on.
            self.tools.send("Page.handleJavaScriptDialog", accept=True)
        elif method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            text = details.get("exception", {}).get("description") or details.get("text", "")
            self.script_errors.append(text.splitlines()[0][:300] if text else "script error")

    def evaluate(self, expression, timeout=30):
        result = self.tools.call(
            "Runtime.evaluate", timeout=timeout, expression=expression, awaitPromise=True, returnByValue=True
        )
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            raise BrowserError(details.get("exception", {}).get("description") or details.get("text"))
        return result.get("result", {}).get("value")

    def goto(self, url, ready, timeout=SCREEN_TIMEOUT):
        loads = self.loads
        self.tools.call("Page.navigate", url=url)
        self._wait_loaded(loads, timeout)
        self.wait_ready(ready, timeout)

    def _wait_loaded(self, loads, timeout):
        deadline = time.monotonic() + timeout
        while self.loads == loads:
            if time.monotonic() > deadline:
                raise BrowserError("the page did not load")
            self.tools.pump(0.1)

    def network_quiet(self):
        now = time.monotonic()
        # A request hanging for long (a long poll) does not keep the screen "busy" for ever.
        return not any(now - started < 20 for _url, started in self.in_flight.values())

    def wait_ready(self, selector, timeout=SCREEN_TIMEOUT):
        """Until the page shows ``selector``, nothing is loading and the network stayed quiet a moment."""
        deadline = time.monotonic() + timeout
        quiet_since = None
        state = "busy"
        while time.monotonic() < deadline:
            self.tools.pump(0.1)
            state = self.evaluate(STATE_SCRIPT % (json.dumps(selector), json.dumps(selector)))
            if state.startswith("error"):
                raise BrowserError(state)
            if state == "ready" and self.network_quiet():
                quiet_since = quiet_since or time.monotonic()
                if time.monotonic() - quiet_since >= NETWORK_QUIET:
                    self.evaluate(
                        "document.fonts.ready.then(() => new Promise((done) => "
                        "requestAnimationFrame(() => requestAnimationFrame(() => done(true)))))"
                    )
                    return
            else:
                quiet_since = None
        raise BrowserError(f"not ready after {timeout} s ({state})")

    def click(self, selector):
        found = self.evaluate(
            f"(() => {{ const element = document.querySelector({json.dumps(selector)});"
            " if (!element) return false; element.scrollIntoView({block: 'center'}); element.click(); return true; })()"
        )
        if not found:
            raise BrowserError(f"nothing to click at {selector}")

    def expand_groups(self, count):
        """Open the first ``count`` groups of a grouped list, one after the other."""
        for _ in range(count):
            opened = self.evaluate(
                "(() => { const header = document.querySelector('.o_list_view .o_group_header:not(.o_group_open)');"
                " if (!header) return false; header.click(); return true; })()"
            )
            if not opened:
                break
            self.wait_ready(".o_list_view")
        if self.fitted:
            self.fit_columns()

    def fit_columns(self):
        """Columns as wide as their titles and values, the table no wider than the page: Odoo's list
        gives each column a width once, from its first rows, and cuts the titles that do not fit."""
        self.fitted = True
        self.evaluate(FIT_COLUMNS_SCRIPT)
        self.tools.pump(0.2)

    def scroll_to(self, selector):
        """The element at the top of its scrolling pane, with a little room above it for its title."""
        found = self.evaluate(
            f"(() => {{ const element = document.querySelector({json.dumps(selector)});"
            " if (!element) return false; element.scrollIntoView({block: 'start'});"
            " let pane = element.parentElement;"
            " while (pane && pane.scrollHeight <= pane.clientHeight) pane = pane.parentElement;"
            " if (pane) pane.scrollTop -= 70; return true; })()"
        )
        if not found:
            raise BrowserError(f"nothing to scroll to at {selector}")
        self.tools.pump(0.3)

    def search(self, text):
        self.click(".o_searchview_input")
        self.tools.call("Input.insertText", text=text)
        self.tools.pump(0.3)
        for kind in ("keyDown", "keyUp"):
            self.tools.call(
                "Input.dispatchKeyEvent", type=kind, key="Enter", code="Enter", windowsVirtualKeyCode=13, text="\r"
            )

    def do_action(self, xmlid):
        self.evaluate(
            "odoo.__WOWL_DEBUG__.root.env.services.action"
            f".doAction({json.dumps(xmlid)}, {{clearBreadcrumbs: true}}).then(() => true)"
        )

    def resize(self, width, height=HEIGHT):
        self.width = width
        self.tools.call(
            "Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=False
        )

    def screenshot(self, full_page=False):
        if full_page:
            height = min(FULL_PAGE_MAX_HEIGHT, max(HEIGHT, int(self.evaluate("document.documentElement.scrollHeight"))))
            self.resize(self.width, height)
            self.tools.pump(0.5)
        try:
            import base64

            data = self.tools.call("Page.captureScreenshot", format="png", fromSurface=True)["data"]
            return base64.b64decode(data)
        finally:
            if full_page:
                self.resize(self.width)

    def close(self):
        self.tools.close()
        try:
            self.chromium.browser.call("Target.disposeBrowserContext", browserContextId=self.context)
        except BrowserError:
            pass


# --------------------------------------------------------------------------- taking the screens


def login(page, base_url, dbname, login_name, password):
    """Through Odoo's own login form, as a person would."""
    page.goto(f"{base_url}/web/login?db={dbname}", "form.oe_login_form input[name=login]")
    loads = page.loads
    page.evaluate(
        "(() => { const form = document.querySelector('form.oe_login_form');"
        f" form.querySelector('input[name=login]').value = {json.dumps(login_name)};"
        f" form.querySelector('input[name=password]').value = {json.dumps(password)};"
        " form.querySelector('button[type=submit]').click(); return true; })()"
    )
    page._wait_loaded(loads, SCREEN_TIMEOUT)
    try:
        page.wait_ready(".o_web_client .o_main_navbar", timeout=SCREEN_TIMEOUT)
    except BrowserError as error:
        refused = page.evaluate("(document.querySelector('.oe_login_form .alert-danger') || {}).innerText || ''")
        raise BrowserError(f"could not log in as {login_name}: {refused or error}") from error


def take(page, screen, base_url, facts):
    """Open the screen and return its PNG; raise BrowserError (with the page's PNG) when it fails."""
    path, missing = fill_path(screen, facts)
    if path is None:
        raise BrowserError(missing)
    if page.width != screen.width:
        page.resize(screen.width)
    if screen.action:
        page.goto(base_url + path, ".o_action_manager .o_view_controller")
        page.do_action(screen.action)
        page.wait_ready(screen.ready)
    else:
        page.goto(base_url + path, screen.ready)
    if screen.fit_columns:
        page.fit_columns()
    for step, argument in screen.steps:
        if step == "click":
            page.click(argument)
            page.wait_ready("body")
        elif step == "wait":
            page.wait_ready(argument)
        elif step == "expand":
            page.expand_groups(argument)
        elif step == "search":
            page.search(argument)
            page.wait_ready(screen.ready)
        elif step == "scroll":
            page.scroll_to(argument)
        elif step == "settle":
            page.tools.pump(argument)
        else:
            raise ValueError(f"unknown step {step!r} in screen {screen.name}")
    page.wait_ready(screen.ready if not screen.steps else "body")
    return page.screenshot(full_page=screen.full_page)


def optimise_png(data):
    """Smaller PNGs without installing anything: pngquant (lossy, like Odoo's own images) when it is
    installed, else Pillow's lossless re-compression, then optipng when it is installed."""
    if shutil.which("pngquant"):
        out = subprocess.run(
            ["pngquant", "--quality=80-98", "--speed=3", "--strip", "-"], input=data, capture_output=True, check=False
        )
        if out.returncode == 0 and out.stdout:
            data = out.stdout
    else:
        try:
            from PIL import Image
        except ImportError:
            Image = None
        if Image is not None:
            buffer = io.BytesIO()
            Image.open(io.BytesIO(data)).convert("RGB").save(buffer, format="PNG", optimize=True)
            data = min(data, buffer.getvalue(), key=len)
    if shutil.which("optipng"):
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "screen.png"
            path.write_bytes(data)
            subprocess.run(["optipng", "-quiet", "-o2", str(path)], check=False)
            data = min(data, path.read_bytes(), key=len)
    return data


def shoot_all(screens, server, dbname, prepared, out):
    """Every screen, role by role; returns ([(screen, path, warnings)], [(screen, error)])."""
    facts, logins = prepared["facts"], prepared["logins"]
    taken, failed = [], []
    chromium = Chromium()
    try:
        for role in ROLES:
            role_screens = [screen for screen in screens if screen.role == role]
            if not role_screens:
                continue
            page = chromium.new_page(prepared.get("time_zone") or TIME_ZONE)
            try:
                if role != "customer":
                    password = ADMIN_PASSWORD if logins[role] == "admin" else PASSWORD
                    dev.say(f"  logging in as {logins[role]} ({role}) ...")
                    login(page, server.url, dbname, logins[role], password)
                for screen in role_screens:
                    started = time.monotonic()
                    page.script_errors.clear()
                    page.fitted = False
                    try:
                        png = take(page, screen, server.url, facts)
                    except BrowserError as error:
                        failed.append((screen, str(error)))
                        FAILED.mkdir(parents=True, exist_ok=True)
                        try:
                            (FAILED / f"{screen.name}.png").write_bytes(page.screenshot())
                        except Exception as capture_error:  # the browser may be gone: say it, go on
                            dev.say(f"  (no capture of {screen.name}: {capture_error})")
                        dev.say(f"  FAILED {screen.name}: {error}")
                        continue
                    target = out / f"{screen.name}.png"
                    target.write_bytes(optimise_png(png))
                    warnings = [text for text in (page.evaluate(EMPTY_SCRIPT),) if text]
                    lang = page.evaluate(LANG_SCRIPT)
                    if lang and not lang.lower().startswith("es"):
                        warnings.append(f"page language {lang}")
                    warnings += [f"script error: {text}" for text in page.script_errors]
                    taken.append((screen, target, warnings))
                    dev.say(
                        f"  {screen.name}.png  {target.stat().st_size // 1024} KiB  {time.monotonic() - started:.1f} s"
                        + (f"  ({'; '.join(warnings)})" if warnings else "")
                    )
            except BrowserError as error:
                for screen in role_screens:
                    if screen not in [entry[0] for entry in taken + failed]:
                        failed.append((screen, str(error)))
                dev.say(f"  FAILED ({role}): {error}")
            finally:
                page.close()
    finally:
        chromium.close()
    return taken, failed


def run(options):
    started = time.monotonic()
    screens = selected_screens(options.only)
    odoo_root = dev.find_odoo()
    if odoo_root is None:
        raise dev.DevError(dev.NO_ODOO_HELP.format(python=sys.executable, url=dev.OFFICIAL_ODOO_SOURCE))
    odoo_root = dev.verify_odoo_imports(odoo_root)
    find_chromium()
    pg = dev.get_postgres()
    logs = dev.LOCAL / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    created = None
    if options.db:
        check_reusable(pg, options.db)
        dbname = options.db
    else:
        dbname = new_database_name()
        pg.create(dbname, DB_PURPOSE, durable=False)
        created = dbname
    server = None
    try:
        if options.db and options.no_update:
            dev.say(f"Using {dbname!r} as it is (--no-update) ...")
        else:
            install(odoo_root, pg, dbname, logs, update=bool(options.db))
        dev.say("Preparing the screens' records ...")
        prepared = run_prepare(odoo_root, pg, dbname, logs)
        for note in prepared["notes"]:
            dev.say(f"  prepared: {note}")
        dev.say("  logins: " + ", ".join(f"{role} {login}" for role, login in prepared["logins"].items()))
        server = OdooServer(odoo_root, pg, dbname, options.port, logs / f"{dbname}-server.log")
        server.wait_up()
        dev.say(f"Odoo serves {dbname!r} on {server.url}; taking {len(screens)} screens at {WIDTH}x{HEIGHT} ...")
        options.out.mkdir(parents=True, exist_ok=True)
        taken, failed = shoot_all(screens, server, dbname, prepared, options.out)
    finally:
        if server:
            server.stop()
        if created and not options.keep_db:
            pg.drop(created)
        elif created:
            dev.say(f"Kept the database {created!r} (reuse it with --db {created}).")
    dev.say(f"\n{len(taken)} screenshot(s) in {options.out} ({time.monotonic() - started:.0f} s).")
    for screen, _target, warnings in taken:
        if warnings:
            dev.say(f"  check {screen.name}: {'; '.join(warnings)}")
    if failed:
        dev.loud(
            f"{len(failed)} SCREEN(S) FAILED (what the browser showed is in {FAILED}; the images in "
            f"{options.out} were left as they were):\n"
            + "\n".join(f"  {screen.name}: {error}" for screen, error in failed)
        )
        return 1
    return 0


def main(argv=None):
    options = parse_args(argv)
    try:
        return run(options)
    except dev.DevError as error:
        dev.loud(f"screenshots: {error}")
        return 2


if __name__ == "__main__":
    sys.exit(main())
