from datetime import timedelta

from odoo import api, fields, models

from ..engine import aging
from ..models import ledger_fragments as ledger

STATEMENT_PAYMENT_DAYS = 90


class ReportCustomerStatement(models.AbstractModel):
    """Data of the customer statement (estado de cuenta): open items, aging, recent payments."""

    _name = "report.cobranza_odoo.report_customer_statement"
    _description = "Collections: customer statement"

    @api.model
    def _get_report_values(self, docids, data=None):
        data = data or {}
        company = self.env["cobranza.receivable.facts"]._scope_company(self.env.company)
        today = fields.Date.to_date(data.get("date")) or fields.Date.context_today(self)
        partners = self.env["res.partner"].browse(docids).commercial_partner_id
        return {
            "doc_ids": partners.ids,
            "doc_model": "res.partner",
            "docs": partners,
            "company": company,
            "today": today,
            "statements": {partner.id: self._prepare_statement(partner, company, today, data) for partner in partners},
        }

    @api.model
    def _prepare_statement(self, partner, company, today, data):
        """Everything one customer's statement shows, as plain values."""
        facts = self.env["cobranza.receivable.facts"]
        open_items = facts._open_receivables(partner.ids, company)
        lines = self.env["account.move.line"].sudo().browse([item.line_id for item in open_items])
        by_id = {line.id: line for line in lines}
        limits = company._cobranza_bucket_limits()
        items = []
        for item in open_items:
            line = by_id[item.line_id]
            days = aging.days_past_due(item.date_maturity, today)
            items.append(
                {
                    "document": line.move_id.name,
                    "reference": line.move_id.ref or line.move_id.payment_reference or "",
                    "date": line.move_id.invoice_date or line.date,
                    "date_maturity": item.date_maturity,
                    "days_late": max(days, 0) if item.residual > 0 else 0,
                    "original": line.balance,
                    "residual": item.residual,
                    "is_credit": item.residual < 0,
                }
            )
        row = aging.age_open_amounts(
            [aging.OpenAmount(partner.id, item.date_maturity, item.residual) for item in open_items], today, limits
        ).get(partner.id)
        buckets = company._cobranza_aging_buckets()
        payment_days = int(data.get("payment_days") or STATEMENT_PAYMENT_DAYS)
        payments = (
            self.env["account.payment"]
            .sudo()
            .search(
                [
                    ("partner_id", "child_of", partner.id),
                    *ledger.company_family_domain(company),
                    ("payment_type", "=", "inbound"),
                    ("state", "in", ("in_process", "paid")),
                    ("date", ">=", today - timedelta(days=payment_days)),
                    ("date", "<=", today),
                ],
                order="date desc, id desc",
            )
        )
        return {
            "items": items,
            "aging": [
                {"label": label, "amount": row.amounts[bucket.index] if row else 0.0} for bucket, label in buckets
            ],
            "total": row.total if row else 0.0,
            "overdue": row.overdue_debt if row else 0.0,
            "credits": row.credits if row else 0.0,
            "payments": [
                {
                    "date": payment.date,
                    "name": payment.name,
                    "memo": payment.memo or "",
                    "amount": payment.amount_company_currency_signed,
                }
                for payment in payments
            ],
            "payment_days": payment_days,
            "offers": [
                {
                    "name": offer.name,
                    "amount_to_pay": offer.amount_to_pay,
                    "deadline": offer.deadline,
                    "waived_amount": offer.waived_amount,
                    "currency": offer.currency_id,
                    "documents": ", ".join((offer.move_ids | offer.interest_move_ids).mapped("name")),
                }
                for offer in self.env["cobranza.settlement.offer"]._open_offers(partner, company, today)
            ],
            "credit": partner.with_company(company).sudo().cobranza_credit_check(0.0),
        }
