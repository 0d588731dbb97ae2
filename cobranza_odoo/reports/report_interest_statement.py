from collections import defaultdict
from datetime import date, timedelta

from odoo import _, api, fields, models

from ..engine import money


class ReportInterestStatement(models.AbstractModel):
    """Data of the interest statement (liquidación de intereses): per installment, month by month,
    the principal, the days, the rate applied, the cap in force and the interest.

    The document a lawyer attaches to a claim. It is computed afresh by the engine from the ledger
    (through the facts layer) with the customer's late interest policy — or, without one, at the
    maximum legal rate — and shows what was already invoiced or waived.
    ``data``: ``date_to`` (default today), ``date_from`` (default each installment's due date),
    ``move_ids`` (only these invoices), ``partner_ids`` (the customers, when no record ids are given).
    """

    _name = "report.cobranza_odoo.report_interest_statement"
    _description = "Collections: interest statement"

    @api.model
    def _get_report_values(self, docids, data=None):
        data = data or {}
        company = self.env["cobranza.receivable.facts"]._scope_company(self.env.company)
        date_to = fields.Date.to_date(data.get("date_to")) or fields.Date.context_today(self)
        date_from = fields.Date.to_date(data.get("date_from")) or None
        move_ids = set(data.get("move_ids") or ()) or None
        # Printed with data, the web client sends no record ids: they travel in the data.
        partners = self.env["res.partner"].browse(docids or data.get("partner_ids") or ()).commercial_partner_id
        return {
            "doc_ids": partners.ids,
            "doc_model": "res.partner",
            "docs": partners,
            "company": company,
            "date_to": date_to,
            "date_from": date_from,
            "statements": {
                partner.id: self._prepare_statement(partner, company, date_from, date_to, move_ids)
                for partner in partners
            },
        }

    @api.model
    def _prepare_statement(self, partner, company, date_from, date_to, move_ids=None):
        """Everything one customer's interest statement shows, as plain values."""
        Run = self.env["cobranza.interest.run"]
        policy = Run._statement_policy(partner, company)
        facts = self.env["cobranza.receivable.facts"]._interest_lines(
            partner.ids, company, date_from or date_to, date_to, include_done=True
        )
        if move_ids is not None:
            facts = [fact for fact in facts if fact.move_id in move_ids]
        caps = self.env["cobranza.interest.rate"]._cap_tables(
            [policy._cap_key()], company, min([date_to, *(fact.date_maturity for fact in facts)]), date_to
        )[policy._cap_key()]
        charged = self._charged_amounts([fact.line_id for fact in facts])
        moves = {move.id: move for move in self.env["account.move"].sudo().browse({fact.move_id for fact in facts})}
        installments, totals, missing = [], defaultdict(lambda: defaultdict(float)), set()
        for fact in facts:
            currency = self.env["res.currency"].browse(fact.currency_id)
            day_from = max(date_from or date.min, fact.date_maturity + timedelta(days=1))
            if day_from > date_to:
                continue
            result = Run._accrue(fact, policy, caps, day_from, date_to, currency.rounding)
            missing.update(result.skipped_ranges)
            move = moves[fact.move_id]
            invoiced, waived = charged.get(fact.line_id, (0.0, 0.0))
            installments.append(
                {
                    "document": move.name,
                    "date": move.invoice_date or move.date,
                    "date_maturity": fact.date_maturity,
                    "amount": fact.amount,
                    "outstanding": self._outstanding(fact, date_to, currency.rounding),
                    "currency": currency,
                    "in_dispute": fact.in_dispute,
                    "rows": [
                        {
                            "start": row.period_start,
                            "end": row.period_end,
                            "days": row.days,
                            "principal": row.average_principal,
                            "rate": row.rate_applied_ea * 100.0,
                            "daily_rate": row.daily_rate * 100.0,
                            "cap": row.cap_ea * 100.0 if row.cap_ea is not None else None,
                            "capped": row.capped and not policy.legal_maximum,
                            "interest": row.interest,
                        }
                        for row in result.rows
                    ],
                    "total": result.total,
                    "invoiced": invoiced,
                    "waived": waived,
                }
            )
            total = totals[currency]
            total["interest"] += result.total
            total["invoiced"] += invoiced
            total["waived"] += waived
        return {
            "policy": policy,
            "policy_label": self._policy_label(policy),
            "cap_label": self._cap_label(policy),
            "installments": installments,
            "totals": [
                {
                    "currency": currency,
                    "interest": currency.round(values["interest"]),
                    "invoiced": currency.round(values["invoiced"]),
                    "waived": currency.round(values["waived"]),
                    "pending": currency.round(values["interest"] - values["invoiced"] - values["waived"]),
                }
                for currency, values in totals.items()
            ],
            "missing": sorted(missing),
        }

    @api.model
    def _policy_label(self, policy):
        if policy.legal_maximum:
            return _("the maximum legal rate in force each day")
        rate = format(policy.rate_ea, ".2f")
        return _(
            "%(rate)s%% E.A. (%(policy)s), never above the legal cap in force each day", rate=rate, policy=policy.name
        )

    @api.model
    def _cap_label(self, policy):
        labels = dict(self.env["cobranza.interest.policy"]._fields["credit_type"]._description_selection(self.env))
        return _(
            "the certified maximum of %(country)s for %(type)s",
            country=policy.country_id.name or "-",
            type=labels.get(policy.credit_type, policy.credit_type),
        )

    @api.model
    def _charged_amounts(self, line_ids):
        """{installment id: (invoiced interest, waived interest)} from the charges."""
        result = defaultdict(lambda: [0.0, 0.0])
        groups = (
            self.env["cobranza.interest.charge"]
            .sudo()
            ._read_group(
                [("move_line_id", "in", line_ids), ("state", "in", ("charged", "waived"))],
                ["move_line_id", "state"],
                ["amount:sum"],
            )
        )
        for line, state, amount in groups:
            result[line.id][0 if state == "charged" else 1] += amount
        return {line_id: tuple(amounts) for line_id, amounts in result.items()}

    @api.model
    def _outstanding(self, fact, date_to, rounding):
        """What the installment still owed at the end of ``date_to`` (its debt less what settled it by then)."""
        settled = sum(settlement.amount for settlement in fact.settlements if settlement.date <= date_to)
        return max(money.round_money(fact.amount - settled, rounding), 0.0)
