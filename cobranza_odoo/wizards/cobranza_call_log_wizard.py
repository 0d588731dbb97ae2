from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..models.cobranza_contact_log import OUTCOMES


class CobranzaCallLogWizard(models.TransientModel):
    """Log a call (or a visit) with a customer: what the contact rules count, and what comes of it."""

    _name = "cobranza.call.log.wizard"
    _description = "Log a Call"

    partner_id = fields.Many2one("res.partner", string="Customer", required=True, domain="[('parent_id', '=', False)]")
    company_id = fields.Many2one("res.company", default=lambda self: self.env.company.root_id, readonly=True)
    dunning_id = fields.Many2one("cobranza.dunning", string="Communication", domain="[('partner_id', '=', partner_id)]")
    channel = fields.Selection([("call", "Phone call"), ("visit", "Visit")], required=True, default="call")
    direction = fields.Selection(
        [("outbound", "I called the customer"), ("inbound", "The customer called")], required=True, default="outbound"
    )
    outcome = fields.Selection(OUTCOMES[1:], required=True, default="reached")
    requested_by_customer = fields.Boolean(
        string="The Customer Asked for It",
        help="A call back the customer asked for: the contact rules do not count it.",
    )
    move_id = fields.Many2one(
        "account.move",
        string="Disputed Invoice",
        domain="[('commercial_partner_id', '=', partner_id), ('move_type', '=', 'out_invoice'), "
        "('state', '=', 'posted')]",
    )
    dispute_reason = fields.Char()
    note = fields.Text()
    local_time = fields.Char(string="Customer's Time", compute="_compute_rules")
    rules_warning = fields.Char(string="Contact Rules", compute="_compute_rules")

    @api.depends("partner_id", "channel", "direction", "requested_by_customer")
    def _compute_rules(self):
        Gate = self.env["cobranza.contact.gate"]
        for wizard in self:
            partner = wizard.partner_id.commercial_partner_id
            if not partner:
                wizard.local_time = wizard.rules_warning = False
                continue
            wizard.local_time = Gate._local_now(partner)
            outbound = wizard.direction == "outbound" and not wizard.requested_by_customer
            wizard.rules_warning = (outbound and Gate._check_now(partner, wizard.channel, wizard.company_id)) or False

    def action_log(self):
        """Record the contact; a call that reached the customer completes the communication it answers."""
        self.ensure_one()
        if self.outcome == "dispute":
            if not (self.move_id and (self.dispute_reason or "").strip()):
                raise UserError(_("Choose the disputed invoice and say why the customer disputes it."))
            self.move_id.write({"cobranza_dispute": True, "cobranza_dispute_reason": self.dispute_reason})
        reached = self.outcome not in ("no_answer", "wrong_number")
        log = self.env["cobranza.contact.gate"]._log(
            self.partner_id,
            self.channel,
            company=self.company_id,
            direction=self.direction,
            outcome=self.outcome,
            reached=reached,
            requested_by_customer=self.requested_by_customer,
            dunning_id=self.dunning_id.id,
            move_id=self.move_id.id,
            note=self.note,
        )
        dunning = self.dunning_id
        if dunning and reached:
            call = self.env.ref("mail.mail_activity_data_call")
            dunning.activity_ids.filtered(lambda activity: activity.activity_type_id == call).action_feedback(
                feedback=dict(self._fields["outcome"]._description_selection(self.env))[self.outcome]
            )
            if dunning.state == "waiting":
                dunning._mark_delivered()
        if self.outcome == "promise":
            lines = dunning.line_ids.move_line_id.filtered(lambda line: not line.reconciled) if dunning else None
            lines = lines or self.env["cobranza.receivable.facts"]._overdue_lines(self.partner_id, self.company_id)
            action = self.env["cobranza.agreement"]._new_action(self.partner_id.commercial_partner_id, lines, "promise")
            action["context"]["default_note"] = self.note or False
            return action
        return {"type": "ir.actions.act_window_close", "infos": {"contact_log_id": log.id}}
