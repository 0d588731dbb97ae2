from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..engine import dunning_levels

STAGES = [
    ("preventive", "Preventive"),
    ("administrative", "Administrative"),
    ("prejudicial", "Pre-legal"),
    ("judicial", "Judicial"),
]


class CobranzaPolicyLevel(models.Model):
    """One step of a dunning policy: when, how, and what else happens."""

    _name = "cobranza.policy.level"
    _description = "Dunning Level"
    _order = "policy_id, sequence, id"

    policy_id = fields.Many2one("cobranza.policy", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="policy_id.company_id", store=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    sequence = fields.Integer(default=10)
    name = fields.Char(required=True, translate=True)
    stage = fields.Selection(STAGES, required=True, default="administrative")
    offset_days = fields.Integer(
        string="Days from Due Date",
        required=True,
        help="When a line reaches this level: days after its due date (negative: before it).",
    )
    min_interval_days = fields.Integer(
        string="Days since Previous Level", help="At least this many days after the previous level was sent."
    )
    min_amount = fields.Monetary(
        string="Minimum Amount", help="Customers owing less than this (in company currency) skip this level."
    )
    message = fields.Html(
        translate=True,
        sanitize_style=True,
        help="The text of the e-mail and of the letter, before the list of invoices.",
    )
    send_email = fields.Boolean(string="E-mail", default=True)
    mail_template_id = fields.Many2one(
        "mail.template",
        string="E-mail Template",
        domain="[('model', '=', 'cobranza.dunning')]",
        default=lambda self: self.env.ref("cobranza_odoo.mail_template_dunning", raise_if_not_found=False),
    )
    send_sms = fields.Boolean(string="SMS", help="A short text message to the customer's mobile (Odoo SMS).")
    sms_template_id = fields.Many2one(
        "sms.template",
        string="SMS Template",
        domain="[('model', '=', 'cobranza.dunning')]",
        default=lambda self: self.env.ref("cobranza_odoo.sms_template_dunning", raise_if_not_found=False),
    )
    send_whatsapp = fields.Boolean(
        string="WhatsApp",
        help="The collector sends a WhatsApp message from the communication (a wa.me link with the text ready).",
    )
    whatsapp_message = fields.Text(
        translate=True,
        help="The WhatsApp text; {customer}, {amount} and {reference} are replaced.",
    )
    print_letter = fields.Boolean(string="Printed Letter", help="Print the collection letter and keep it as evidence.")
    attach_statement = fields.Boolean(help="Attach the customer's account statement (PDF) to the e-mail.")
    schedule_call = fields.Boolean(string="Phone Call", help="Plan a call for the collector, with a script.")
    call_script = fields.Html(translate=True, help="What the collector says on the call.")
    server_action_id = fields.Many2one(
        "ir.actions.server",
        domain="[('model_id.model', '=', 'cobranza.dunning')]",
        help="Run for each communication of this level, e.g. to send a WhatsApp message or call another system. "
        "It runs after the communication is saved.",
    )
    fallback_channel = fields.Selection(
        [("letter", "Printed letter"), ("call", "Phone call")],
        string="If Not Delivered",
        help="When none of the level's channels reaches the customer (e.g. no e-mail address), use this one.",
    )
    required = fields.Boolean(
        string="Required Step",
        help="A line that catches up (first seen long after its due date) never passes this level without "
        "receiving it: e.g. the formal notice before legal action or the credit-bureau prior notice.",
    )
    bureau_notice = fields.Boolean(
        string="Credit-Bureau Prior Notice",
        help="This level's communication is the prior notice before reporting to credit bureaus (Colombia, "
        "Ley 1266 de 2008 art. 12): it states the debt and the report, its letter is kept as evidence and the "
        "obligations become reportable after the waiting period. Mark the level as a required step.",
    )
    set_credit_hold = fields.Boolean(string="Put on Credit Hold")
    handoff = fields.Boolean(string="Hand Over", help="Hand the invoices over to a lawyer or a collection agency.")
    handoff_partner_id = fields.Many2one("res.partner", string="Lawyer or Agency")

    @api.constrains(
        "stage",
        "bureau_notice",
        "required",
        "handoff",
        "handoff_partner_id",
        "send_email",
        "mail_template_id",
        "schedule_call",
        "send_sms",
        "sms_template_id",
        "send_whatsapp",
    )
    def _check_level(self):
        for level in self:
            if level.stage == "judicial" and not (level.handoff and level.handoff_partner_id):
                raise ValidationError(
                    _("The judicial level %s hands the invoices over: choose the lawyer or agency.", level.name)
                )
            if level.handoff and not level.handoff_partner_id:
                raise ValidationError(_("Choose the lawyer or agency level %s hands the invoices over to.", level.name))
            if level.send_email and not level.mail_template_id:
                raise ValidationError(_("Level %s sends an e-mail: choose its template.", level.name))
            if level.send_sms and not level.sms_template_id:
                raise ValidationError(_("Level %s sends an SMS: choose its template.", level.name))
            if level.bureau_notice and not level.required:
                raise ValidationError(
                    _(
                        "Level %s is the credit-bureau prior notice: make it a required step, so that no "
                        "obligation is reported without it.",
                        level.name,
                    )
                )
            channels = (level.send_email, level.send_sms, level.send_whatsapp, level.print_letter, level.schedule_call)
            if not (any(channels) or level.server_action_id):
                raise ValidationError(_("Level %s does nothing: choose at least one channel.", level.name))

    @api.constrains("sequence", "stage", "offset_days", "min_interval_days", "min_amount", "required")
    def _check_policy_consistency(self):
        self.policy_id._check_levels()

    def _engine_level(self):
        self.ensure_one()
        return dunning_levels.Level(
            key=self.id,
            sequence=self.sequence,
            stage=self.stage,
            offset_days=self.offset_days,
            min_interval_days=self.min_interval_days,
            min_amount=self.min_amount,
            required=self.required,
        )
