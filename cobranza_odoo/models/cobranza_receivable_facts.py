from collections import namedtuple

from odoo import api, models
from odoo.tools import SQL

from ..engine import aging

OpenReceivable = namedtuple("OpenReceivable", "line_id move_id partner_id date_maturity residual")


class CobranzaReceivableFacts(models.AbstractModel):
    """The one place that reads receivable facts from the ledger, in bulk.

    Credit, segments, dunning, agreements, aging and KPIs all read through these methods,
    so the subtleties (installments, in_payment, credits, branches, company currency) are
    handled once. Every method takes many customers at once and returns plain data.
    """

    _name = "cobranza.receivable.facts"
    _description = "Collections: receivable facts"

    @api.model
    def _scope_company(self, company):
        """Collections state is kept per root company: a branch shares its parent's customers' credit."""
        return company.root_id

    @api.model
    def _company_family_sql(self, company, alias="aml"):
        family = self.env["res.company"].search([("id", "child_of", self._scope_company(company).id)])
        return SQL("%s = ANY(%s)", SQL.identifier(alias, "company_id"), family.ids)

    @api.model
    def _open_receivables(self, partner_ids, company):
        """Open receivable amounts of posted entries for these commercial partners, today.

        One row per receivable line (an invoice with a multi-installment payment term has
        several), with its own maturity and its residual in company currency. Payments and
        credit notes not yet applied come out as negative residuals. Invoices 'in payment'
        count as paid.
        """
        if not partner_ids:
            return []
        self.env["account.move.line"].flush_model(
            [
                "account_id",
                "amount_residual",
                "company_id",
                "parent_state",
                "partner_id",
                "reconciled",
                "date_maturity",
                "date",
                "move_id",
            ]
        )
        self.env["account.move"].flush_model(["payment_state"])
        rows = self.env.execute_query(
            SQL(
                """
            SELECT aml.id, aml.move_id, partner.commercial_partner_id,
                   COALESCE(aml.date_maturity, aml.date), aml.amount_residual
              FROM account_move_line aml
              JOIN account_account account ON account.id = aml.account_id
              JOIN res_partner partner ON partner.id = aml.partner_id
              JOIN account_move move ON move.id = aml.move_id
             WHERE account.account_type = 'asset_receivable'
               AND aml.parent_state = 'posted'
               AND NOT aml.reconciled
               AND aml.amount_residual != 0
               AND move.payment_state IS DISTINCT FROM 'in_payment'
               AND partner.commercial_partner_id = ANY(%(partners)s)
               AND %(company)s
             ORDER BY partner.commercial_partner_id, COALESCE(aml.date_maturity, aml.date), aml.id
            """,
                partners=list(partner_ids),
                company=self._company_family_sql(company),
            )
        )
        return [OpenReceivable(*row) for row in rows]

    @api.model
    def _aging_by_partner(self, partner_ids, company, today):
        """{commercial partner id: engine AgingRow} of the open receivables on ``today``."""
        limits = company._cobranza_bucket_limits()
        amounts = [
            aging.OpenAmount(row.partner_id, row.date_maturity, row.residual)
            for row in self._open_receivables(partner_ids, company)
        ]
        return aging.age_open_amounts(amounts, today, limits)
