from odoo import api, fields, models

from ..engine import aging


class AccountMove(models.Model):
    _name = "account.move"
    _inherit = ["account.move", "cobranza.credit.gate"]

    cobranza_credit_override_ids = fields.One2many(
        "cobranza.credit.override", "move_id", string="Credit Approvals", readonly=True
    )

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

    # ------------------------------------------------------------------ credit check on posting

    def _cobranza_credit_partner(self):
        return self.commercial_partner_id._origin

    def _cobranza_credit_amount(self):
        self.ensure_one()
        return abs(self.amount_total_signed)

    def _cobranza_credit_needs_check(self):
        """Customer invoices not coming from a confirmed order, when the company checks invoices.

        An invoice made from a confirmed order was already checked when the order was confirmed.
        """
        return (
            self.move_type == "out_invoice"
            and self.state == "draft"
            and self.company_id.root_id.cobranza_credit_check_invoices
            and not self.line_ids.sale_line_ids.order_id.filtered(lambda order: order.state == "sale")
        )

    def action_post(self):
        dialog, approvals = self._cobranza_credit_gate()
        if dialog:
            return dialog
        result = super().action_post()
        approvals._mark_used()
        return result
