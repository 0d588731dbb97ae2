from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..engine import bureau


class CobranzaBureauClaim(models.Model):
    """A customer's claim about data reported (or to be reported) to a credit bureau.

    It must be answered within 15 business days from the day after it was received (Ley 1266 de 2008
    art. 16), 8 more when the customer is told why; while open, its obligations are in dispute and
    are not reported.
    """

    _name = "cobranza.bureau.claim"
    _description = "Credit-Bureau Claim"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "deadline, id"
    _check_company_auto = True

    partner_id = fields.Many2one("res.partner", string="Customer", required=True, index=True, tracking=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company.root_id
    )
    line_ids = fields.Many2many(
        "cobranza.bureau.line", string="Obligations", domain="[('partner_id', '=', partner_id)]", check_company=True
    )
    received_on = fields.Date(required=True, default=fields.Date.context_today, tracking=True)
    extended = fields.Boolean(
        string="Term Extended",
        tracking=True,
        help="The customer was told why the answer needs up to 8 more business days.",
    )
    deadline = fields.Date(string="Answer By", compute="_compute_deadline", store=True)
    description = fields.Text(string="Claim", required=True)
    answer = fields.Text()
    answered_on = fields.Date(readonly=True, tracking=True)
    state = fields.Selection(
        [("open", "Open"), ("answered", "Answered")], default="open", required=True, readonly=True, tracking=True
    )
    user_id = fields.Many2one("res.users", string="Responsible", default=lambda self: self.env.user, tracking=True)

    @api.depends("received_on", "extended")
    def _compute_deadline(self):
        for claim in self:
            claim.deadline = claim.received_on and bureau.claim_deadline(claim.received_on, extended=claim.extended)

    def action_answer(self):
        for claim in self:
            if not (claim.answer or "").strip():
                raise UserError(_("Write the answer given to the customer first."))
        self.write({"state": "answered", "answered_on": fields.Date.context_today(self)})
        return True
