from odoo import _, api, fields, models
from odoo.exceptions import UserError


class CobranzaInterestCharge(models.Model):
    """The late interest of one installment for a range of days, charged once.

    Every interest document line is backed by these records, one per installment and period; the
    runs charge only the days no charge covers yet (the engine's ``uncharged_ranges``), so a
    repeated or resumed run adds nothing. Days waived by a fulfilled settlement offer are recorded
    too, without a document. Cancelling the interest document frees its days.
    """

    _name = "cobranza.interest.charge"
    _description = "Late-Payment Interest Charge"
    _order = "date_from desc, id desc"
    _check_company_auto = True

    company_id = fields.Many2one("res.company", required=True, index=True, readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", required=True, index=True, readonly=True)
    move_id = fields.Many2one(
        "account.move", string="Invoice", required=True, index=True, readonly=True, ondelete="cascade"
    )
    move_line_id = fields.Many2one(
        "account.move.line", string="Installment", required=True, index=True, readonly=True, ondelete="cascade"
    )
    date_maturity = fields.Date(string="Due Date", readonly=True)
    date_from = fields.Date(string="From", required=True, readonly=True)
    date_to = fields.Date(string="To", required=True, readonly=True)
    days = fields.Integer(readonly=True)
    currency_id = fields.Many2one("res.currency", required=True, readonly=True)
    principal = fields.Monetary(string="Average Principal", readonly=True)
    rate_ea = fields.Float(string="Rate Applied (% E.A.)", digits=(16, 4), readonly=True)
    cap_ea = fields.Float(string="Cap in Force (% E.A.)", digits=(16, 4), readonly=True)
    amount = fields.Monetary(string="Interest", readonly=True)
    interest_move_id = fields.Many2one(
        "account.move", string="Interest Document", index="btree_not_null", readonly=True, ondelete="cascade"
    )
    interest_line_id = fields.Many2one("account.move.line", string="Document Line", readonly=True, ondelete="set null")
    offer_id = fields.Many2one(
        "cobranza.settlement.offer", string="Waived by Offer", index="btree_not_null", readonly=True
    )
    state = fields.Selection(
        [("charged", "Charged"), ("waived", "Waived"), ("cancelled", "Cancelled")],
        compute="_compute_state",
        store=True,
        index=True,
    )

    _sql_constraints = [
        ("date_range", "CHECK (date_from <= date_to)", "An interest charge must start before it ends."),
    ]

    @api.ondelete(at_uninstall=False)
    def _unlink_only_cancelled(self):
        # a charge is what stops the next run from charging the same days again
        if any(charge.state != "cancelled" for charge in self):
            raise UserError(_("Only charges whose interest invoice was cancelled can be deleted."))

    @api.depends("interest_move_id.state", "offer_id")
    def _compute_state(self):
        for charge in self:
            if charge.offer_id and not charge.interest_move_id:
                charge.state = "waived"
            elif charge.interest_move_id.state == "cancel":
                charge.state = "cancelled"
            else:
                charge.state = "charged"
