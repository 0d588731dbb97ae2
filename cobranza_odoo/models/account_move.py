from odoo import api, fields, models

from ..engine import aging


class AccountMove(models.Model):
    _inherit = "account.move"

    cobranza_days_overdue = fields.Integer(
        string="Days Overdue",
        compute="_compute_cobranza_days_overdue",
        help="Days past due of the oldest open installment of this invoice (0 when nothing is overdue).",
    )

    @api.depends("line_ids.amount_residual", "line_ids.date_maturity")
    def _compute_cobranza_days_overdue(self):
        today = fields.Date.context_today(self)
        for move in self:
            days = [
                aging.days_past_due(line.date_maturity or line.date, today)
                for line in move.line_ids
                if line.account_type == "asset_receivable" and not line.reconciled and line.amount_residual > 0
            ]
            move.cobranza_days_overdue = max([0, *days])
