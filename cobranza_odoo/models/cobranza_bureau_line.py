from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import format_date

STATES = [
    ("noticed", "Noticed"),
    ("reportable", "Reportable"),
    ("reported", "Reported"),
    ("to_update", "To Update"),
    ("updated", "Updated"),
]
BUREAUS = [("datacredito", "Datacrédito Experian"), ("transunion", "TransUnion (CIFIN)"), ("other", "Other")]


class CobranzaBureauLine(models.Model):
    """One obligation (a receivable installment) on its way to, or at, a credit bureau.

    Created when its first prior notice reaches the customer; its state is refreshed every day by
    the engine (engine/bureau.py): noticed → reportable (20 days after the notice, two notices for
    small debts) → reported (a manager records it) → to update (paid, disputed, agreed after the
    report) → updated. Every manager action is kept in its chatter.
    """

    _name = "cobranza.bureau.line"
    _description = "Credit-Bureau Obligation"
    _inherit = ["mail.thread"]
    _order = "reportable_from, id"
    _rec_name = "move_id"
    _check_company_auto = True

    move_line_id = fields.Many2one(
        "account.move.line", string="Installment", required=True, readonly=True, index=True, ondelete="cascade"
    )
    move_id = fields.Many2one(related="move_line_id.move_id", store=True, string="Invoice")
    partner_id = fields.Many2one("res.partner", string="Customer", required=True, readonly=True, index=True)
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    date_maturity = fields.Date(string="Due Date", readonly=True)
    delinquency_start = fields.Date(readonly=True, help="The day after the due date.")
    amount = fields.Monetary(string="Amount Noticed", readonly=True)
    residual = fields.Monetary(string="Still Owed", readonly=True)
    notice_ids = fields.Many2many("cobranza.bureau.notice", string="Prior Notices", readonly=True)
    notice_count = fields.Integer(compute="_compute_notice_count")
    state = fields.Selection(STATES, default="noticed", required=True, readonly=True, index=True, tracking=True)
    reasons = fields.Char(string="Why", readonly=True)
    reportable_from = fields.Date(readonly=True)
    paid_date = fields.Date(readonly=True)
    stopped = fields.Boolean(readonly=True, help="Paid, disputed, under agreement or covered by credits today.")
    stops_cleared_on = fields.Date(readonly=True, help="A stop was lifted that day: earlier notices no longer count.")
    reported_on = fields.Date(readonly=True, tracking=True)
    bureau = fields.Selection(BUREAUS, readonly=True, tracking=True)
    reported_by_id = fields.Many2one("res.users", readonly=True)
    updated_on = fields.Date(readonly=True, tracking=True)
    updated_by_id = fields.Many2one("res.users", readonly=True)
    permanence_until = fields.Date(string="Negative Data Until", readonly=True)
    caducity_date = fields.Date(string="Caducity", readonly=True)
    refreshed_on = fields.Date(readonly=True, index=True)

    _sql_constraints = [("move_line_uniq", "unique(move_line_id)", "An installment is followed once.")]

    def _compute_notice_count(self):
        for line in self:
            line.notice_count = len(line.notice_ids)

    def _check_manager(self):
        if not self.env.su and not self.env.user.has_group("cobranza_odoo.group_cobranza_manager"):
            raise AccessError(_("Only Collections Managers record reports to credit bureaus."))

    def _mark_reported(self, bureau, on):
        """A manager records that these obligations were reported to ``bureau`` on ``on``."""
        self._check_manager()
        if any(line.state != "reportable" for line in self):
            raise UserError(_("Only reportable obligations can be marked as reported."))
        self.sudo().write({"state": "reported", "reported_on": on, "bureau": bureau, "reported_by_id": self.env.uid})
        for line in self:
            line.message_post(
                body=_(
                    "Reported to %(bureau)s on %(date)s by %(user)s.",
                    bureau=dict(BUREAUS)[bureau],
                    date=format_date(self.env, on),
                    user=self.env.user.name,
                )
            )

    def action_mark_updated(self):
        """A manager records that the bureau was updated (paid, agreed or disputed after the report)."""
        self._check_manager()
        if any(line.state != "to_update" for line in self):
            raise UserError(_("Only obligations to update can be marked as updated."))
        today = fields.Date.context_today(self)
        self.sudo().write({"state": "updated", "updated_on": today, "updated_by_id": self.env.uid})
        for line in self:
            line.message_post(
                body=_(
                    "Bureau updated on %(date)s by %(user)s.",
                    date=format_date(self.env, today),
                    user=self.env.user.name,
                )
            )
        return True

    def action_mark_reported(self):
        self._check_manager()
        action = self.env["ir.actions.act_window"]._for_xml_id("cobranza_odoo.cobranza_bureau_report_wizard_action")
        action["context"] = {"active_model": self._name, "active_ids": self.ids}
        return action

    def action_open_notices(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "cobranza.bureau.notice",
            "name": _("Prior Notices"),
            "view_mode": "list,form",
            "domain": [("id", "in", self.notice_ids.ids)],
        }

    @api.model
    def _cron_refresh(self, batch_size=500):
        """Scheduled action: the daily state of every obligation followed, in bounded batches."""
        today = fields.Date.context_today(self)
        domain = [
            "|",
            ("refreshed_on", "=", False),
            ("refreshed_on", "<", today),
            ("company_id.cobranza_bureau_enabled", "=", True),
        ]
        batch = self.sudo().search(domain, limit=batch_size, order="id")
        self.env["cobranza.bureau.run"]._refresh(batch, today)
        self.env["ir.cron"]._notify_progress(done=len(batch), remaining=self.sudo().search_count(domain))
        return batch
