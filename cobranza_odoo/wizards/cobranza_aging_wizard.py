from odoo import Command, _, fields, models
from odoo.tools import format_date

from ..engine import aging


class CobranzaAgingWizard(models.TransientModel):
    """Aging as it stood on a past date; its total is the ledger's receivable balance that day."""

    _name = "cobranza.aging.wizard"
    _description = "Aging at a Date"

    at_date = fields.Date(string="Aging at", required=True, default=fields.Date.context_today)
    company_id = fields.Many2one("res.company", default=lambda self: self.env.company.root_id, readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    line_ids = fields.One2many("cobranza.aging.wizard.line", "wizard_id", readonly=True)
    aging_total = fields.Monetary(readonly=True)
    ledger_balance = fields.Monetary(string="Receivable per Ledger", readonly=True)
    difference = fields.Monetary(readonly=True)
    computed = fields.Boolean(readonly=True)

    def action_compute(self):
        self.ensure_one()
        Facts = self.env["cobranza.receivable.facts"]
        company = self.company_id
        rows = Facts._open_receivables_at(company, self.at_date)
        scale = company._cobranza_aging_buckets()
        aged = aging.age_open_amounts(
            [aging.OpenAmount(partner_id, maturity, residual) for _line, partner_id, maturity, residual in rows],
            self.at_date,
            company._cobranza_bucket_limits(),
        )
        lines = []
        for partner_id, row in aged.items():
            for bucket, label in scale:
                amount = row.amounts[bucket.index]
                if not company.currency_id.is_zero(amount):
                    lines.append(
                        Command.create(
                            {
                                "partner_id": partner_id,
                                "bucket": label,
                                "bucket_index": bucket.index,
                                "amount": amount,
                            }
                        )
                    )
        total = company.currency_id.round(sum(row.total for row in aged.values()))
        ledger = company.currency_id.round(Facts._receivable_balance_at(company, self.at_date))
        self.write(
            {
                "line_ids": [Command.clear(), *lines],
                "aging_total": total,
                "ledger_balance": ledger,
                "difference": company.currency_id.round(total - ledger),
                "computed": True,
            }
        )
        return {
            "type": "ir.actions.act_window",
            "name": _("Aging at %s", format_date(self.env, self.at_date)),
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
        }

    def action_open_pivot(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Aging at %s", format_date(self.env, self.at_date)),
            "res_model": "cobranza.aging.wizard.line",
            "view_mode": "pivot,list",
            "domain": [("wizard_id", "=", self.id)],
        }

    def action_export_xlsx(self):
        self.ensure_one()
        export = self.env["cobranza.xlsx.export.wizard"].create({"report": "aging", "at_date": self.at_date})
        return export.action_export()
