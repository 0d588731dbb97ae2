from odoo import api, fields, models

from ..engine import aging


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    cobranza_days_overdue = fields.Integer(
        string="Days Overdue",
        compute="_compute_cobranza_aging",
        help="Days since this installment fell due; negative while it is not due yet.",
    )
    cobranza_aging_bucket = fields.Char(string="Aging Bucket", compute="_compute_cobranza_aging")

    @api.depends("date_maturity", "date", "company_id")
    def _compute_cobranza_aging(self):
        today = fields.Date.context_today(self)
        for company, lines in self.grouped("company_id").items():
            scale = company._cobranza_aging_buckets() if company else []
            limits = tuple(bucket.last_day for bucket, _label in scale if bucket.last_day)
            for line in lines:
                maturity = line.date_maturity or line.date
                if not maturity or not scale:
                    line.cobranza_days_overdue = 0
                    line.cobranza_aging_bucket = False
                    continue
                days = aging.days_past_due(maturity, today)
                line.cobranza_days_overdue = days
                line.cobranza_aging_bucket = scale[aging.bucket_index(days, limits)][1]

    def reconcile(self):
        result = super().reconcile()
        self._cobranza_refresh_invoice_status()
        return result

    def remove_move_reconcile(self):
        lines = self | self.matched_debit_ids.debit_move_id | self.matched_credit_ids.credit_move_id
        result = super().remove_move_reconcile()
        lines._cobranza_refresh_invoice_status()
        return result

    def _cobranza_refresh_invoice_status(self):
        """A payment or reconciliation can change an invoice's collection status: refresh it now."""
        invoices = self.filtered(lambda line: line.account_type == "asset_receivable").move_id
        invoices._cobranza_refresh_status_later()
