"""Upgrade of a database installed with 18.0.1.x (round one).

The scheduled actions, the standard policy's levels, the e-mail templates and the example server
action are ``noupdate`` data: an upgrade leaves them as they were. What round two changed in them is
applied here — only to records nobody edited since the install (last written by the system user),
so that a company's own wording and settings are never overwritten.
"""

import logging

from odoo import SUPERUSER_ID, api

_logger = logging.getLogger(__name__)

# The user that installs and upgrades modules (OdooBot): a record last written by it was never edited.
SYSTEM_USER_ID = 1

CRONS = {
    # xmlid: (model of the service that now runs it, its code)
    "cobranza_odoo.ir_cron_cobranza_refresh_customers": ("cobranza.profile.refresh", None),
    "cobranza_odoo.ir_cron_cobranza_dunning": ("cobranza.dunning.run", "model._cron_run_dunning(worker=0)"),
}

# Before, the daily runs started at 06:00 and 04:30 UTC: the middle of the night in the Americas. The
# contact rules defer what is out of hours anyway; new installs start them at 12:00 and 12:30 UTC.
CRON_HOURS = {
    "cobranza_odoo.ir_cron_cobranza_dunning": (6, 12),
    "cobranza_odoo.ir_cron_cobranza_agreements": (4, 12),
}

TEMPLATES = ("cobranza_odoo.mail_template_dunning", "cobranza_odoo.mail_template_customer_statement")

LEVELS = {
    "cobranza_odoo.policy_level_reminder": {},
    "cobranza_odoo.policy_level_friendly": {"fallback_channel": "letter"},
    "cobranza_odoo.policy_level_formal": {},
    "cobranza_odoo.policy_level_prelegal": {"required": True},
    "cobranza_odoo.policy_level_legal": {},
}


def _untouched(record):
    return record.exists() and record.write_uid.id == SYSTEM_USER_ID


def migrate_crons(env):
    for xmlid, (model, code) in CRONS.items():
        cron = env.ref(xmlid, raise_if_not_found=False)
        if not cron:
            continue
        values = {"model_id": env["ir.model"]._get_id(model)}
        if code and cron.code.strip() == "model._cron_run_dunning()":
            values["code"] = code
        cron.write(values)
    for xmlid, (old_hour, new_hour) in CRON_HOURS.items():
        cron = env.ref(xmlid, raise_if_not_found=False)
        if cron and cron.nextcall.hour == old_hour:
            cron.nextcall = cron.nextcall.replace(hour=new_hour, minute=30 if "agreements" in xmlid else 0)


def migrate_levels(env):
    sms_template = env.ref("cobranza_odoo.sms_template_dunning", raise_if_not_found=False)
    for xmlid, values in LEVELS.items():
        level = env.ref(xmlid, raise_if_not_found=False)
        if not level or not _untouched(level):
            continue
        values = dict(values)
        if sms_template and not level.sms_template_id:
            values["sms_template_id"] = sms_template.id
        if values:
            level.write(values)


def migrate_templates(env):
    for xmlid in TEMPLATES:
        template = env.ref(xmlid, raise_if_not_found=False)
        if not template:
            continue
        if _untouched(template) and template.template_fs:
            template.reset_template()  # the file's version, with its translations
        else:
            _logger.warning(
                "%s was edited in this database and is kept as it is: use its Reset Template button to get "
                "the payment links and the credit-bureau notice of this version (your changes are then lost).",
                xmlid,
            )


def migrate_server_action(env):
    action = env.ref("cobranza_odoo.action_server_cobranza_credit_check", raise_if_not_found=False)
    if action and action.binding_model_id and _untouched(action):
        action.unlink_action()  # an example to copy, not an entry in every customer's Action menu


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    migrate_crons(env)
    migrate_levels(env)
    migrate_templates(env)
    migrate_server_action(env)
