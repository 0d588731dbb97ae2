from odoo import fields, models


class CobranzaSmmlv(models.Model):
    """Colombia's legal monthly minimum wage (SMMLV) by year: obligations up to 15 % of it need two
    prior notices before a credit-bureau report (Ley 2157 de 2021)."""

    _name = "cobranza.smmlv"
    _description = "Legal Monthly Minimum Wage (Colombia)"
    _order = "year desc"
    _rec_name = "year"

    year = fields.Integer(required=True)
    amount = fields.Float(string="Amount (COP)", required=True, digits=(16, 0))
    source = fields.Char(help="The decree that set it.")

    _sql_constraints = [("year_uniq", "unique(year)", "One minimum wage per year.")]

    def _by_year(self):
        return {row.year: row.amount for row in self.sudo().search([])}
