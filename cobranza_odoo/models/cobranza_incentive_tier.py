from odoo import api, fields, models

from ..engine import incentives


class CobranzaIncentiveTier(models.Model):
    """One tier of a program: paid within ``days`` days of the invoice date (inclusive) → ``percent`` % off."""

    _name = "cobranza.incentive.tier"
    _description = "Early-Payment Incentive Tier"
    _order = "incentive_id, days, id"

    incentive_id = fields.Many2one("cobranza.incentive", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="incentive_id.company_id", store=True)
    days = fields.Integer(string="Paid Within (days)", required=True, help="Days from the invoice date, inclusive.")
    percent = fields.Float(string="Discount (%)", required=True, digits=(5, 2))
    annualized_cost = fields.Float(
        string="Annualised Cost (%)",
        compute="_compute_annualized_cost",
        digits=(16, 1),
        help="d/(1−d) × 365/(term days − tier days): the yearly rate the company pays, through the discount, "
        "for being paid earlier than the usual term. Empty when the tier reaches the term (unbounded cost).",
    )
    too_expensive = fields.Boolean(
        string="Costs More Than Funds",
        compute="_compute_annualized_cost",
        help="The annualised cost is above the company's cost of funds: borrowing would be cheaper.",
    )

    @api.constrains("days", "percent")
    def _check_tier(self):
        self.incentive_id._check_program()

    @api.depends("days", "percent", "incentive_id.term_days", "incentive_id.company_id.cobranza_cost_of_funds")
    def _compute_annualized_cost(self):
        for tier in self:
            program = tier.incentive_id
            if not 0 < tier.percent < 100 or program.term_days <= 0:
                tier.annualized_cost = 0.0
                tier.too_expensive = False
                continue
            cost = incentives.annualized_cost(tier.percent, program.term_days, tier.days)
            tier.annualized_cost = cost or 0.0
            tier.too_expensive = incentives.costs_more_than_funds(
                tier.percent, program.term_days, tier.days, program.company_id.cobranza_cost_of_funds
            )
