from odoo import fields, models

from ..engine import incentives


class CobranzaIncentiveDeadline(models.Model):
    """One tier of a program as it applies to one posted invoice: pay this much by this date.

    Recorded when the invoice is posted, so later changes to the program never change what the
    customer was offered.
    """

    _name = "cobranza.incentive.deadline"
    _description = "Early-Payment Deadline"
    _order = "move_id, deadline, id"

    move_id = fields.Many2one("account.move", string="Invoice", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="move_id.company_id", store=True)
    currency_id = fields.Many2one(related="move_id.currency_id")
    incentive_id = fields.Many2one("cobranza.incentive", string="Program", required=True, ondelete="restrict")
    days = fields.Integer(string="Paid Within (days)", required=True)
    percent = fields.Float(string="Discount (%)", required=True, digits=(5, 2))
    deadline = fields.Date(string="Pay By", required=True)
    discount = fields.Monetary(required=True)
    amount_to_pay = fields.Monetary(string="Amount to Pay", required=True)

    def _engine_deadline(self):
        self.ensure_one()
        return incentives.Deadline(
            tier=incentives.Tier(self.days, self.percent),
            deadline=self.deadline,
            discount=self.discount,
            amount_to_pay=self.amount_to_pay,
        )
