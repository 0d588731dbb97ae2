from odoo import _, api, fields, models
from odoo.exceptions import ValidationError
from odoo.osv import expression

from ..engine import credit


class CobranzaCreditIncrease(models.Model):
    """A temporary credit-limit increase: counted only between its dates (both included)."""

    _name = "cobranza.credit.increase"
    _description = "Temporary Credit Limit Increase"
    _inherit = ["mail.thread"]
    _order = "date_from desc, id desc"
    _check_company_auto = True

    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        index=True,
        ondelete="cascade",
        domain="[('parent_id', '=', False)]",
        tracking=True,
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company.root_id, tracking=True
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    amount = fields.Monetary(string="Increase", required=True, tracking=True)
    date_from = fields.Date(string="Valid From", required=True, default=fields.Date.context_today, tracking=True)
    date_to = fields.Date(string="Valid Until", required=True, tracking=True)
    reason = fields.Text(required=True, tracking=True)
    approved_by_id = fields.Many2one("res.users", required=True, readonly=True, default=lambda self: self.env.user)
    state = fields.Selection(
        [("scheduled", "Scheduled"), ("active", "Active"), ("expired", "Expired")],
        compute="_compute_state",
        search="_search_state",
    )

    @api.constrains("amount", "date_from", "date_to", "partner_id")
    def _check_increase(self):
        messages = {
            "non_positive_increase": _("A credit limit increase must be a positive amount."),
            "increase_ends_before_start": _("A credit limit increase cannot end before it starts."),
        }
        for increase in self:
            try:
                credit.validate_increase(increase._engine_increase())
            except credit.CreditInputError as error:
                raise ValidationError(messages[error.reason]) from error
            if increase.partner_id != increase.partner_id.commercial_partner_id:
                raise ValidationError(
                    _(
                        "Credit limits belong to the commercial entity: grant the increase to %s.",
                        increase.partner_id.commercial_partner_id.display_name,
                    )
                )

    def _engine_increase(self):
        self.ensure_one()
        return credit.Increase(self.amount, self.date_from, self.date_to)

    @api.depends("date_from", "date_to")
    def _compute_state(self):
        today = fields.Date.context_today(self)
        for increase in self:
            if increase.date_from and increase.date_from > today:
                increase.state = "scheduled"
            elif increase.date_to and increase.date_to < today:
                increase.state = "expired"
            else:
                increase.state = "active"

    def _search_state(self, operator, value):
        today = fields.Date.context_today(self)
        domains = {
            "scheduled": [("date_from", ">", today)],
            "active": [("date_from", "<=", today), ("date_to", ">=", today)],
            "expired": [("date_to", "<", today)],
        }
        if operator not in ("=", "in"):
            raise ValidationError(_("Unsupported search on the state of a credit increase."))
        values = [value] if isinstance(value, str) else list(value)
        return expression.OR([domains[state] for state in values]) if values else expression.FALSE_DOMAIN

    @api.depends("partner_id", "amount", "date_to")
    def _compute_display_name(self):
        for increase in self:
            increase.display_name = _(
                "%(partner)s: +%(amount)s until %(date)s",
                partner=increase.partner_id.display_name or "",
                amount=increase.currency_id.format(increase.amount) if increase.currency_id else increase.amount,
                date=increase.date_to or "",
            )
