from odoo import _, api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import format_date

from ..engine import interest
from .selections import INTEREST_CREDIT_TYPES, INTEREST_PERIODICITIES, INTEREST_RATE_TYPES


class CobranzaInterestPolicy(models.Model):
    """How late-payment interest is charged: the agreed rate, grace days, the cap that limits it.

    Assigned to a customer (its collections profile), to a segment or as the company default, in
    that order of precedence. Off by default: no company has a policy after install, and a policy
    whose "Charge Interest" is off exempts the customers it is assigned to.
    """

    _name = "cobranza.interest.policy"
    _description = "Late-Payment Interest Policy"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True, tracking=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True, tracking=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company.root_id, tracking=True
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    charge_interest = fields.Boolean(
        default=True,
        tracking=True,
        help="Off: the customers this policy is assigned to are never charged late interest "
        "(to exempt a segment or a customer from the company's policy).",
    )
    legal_maximum = fields.Boolean(
        string="At the Maximum Legal Rate",
        tracking=True,
        help="Charge the cap in force each day (in Colombia, the usury rate) instead of an agreed rate.",
    )
    rate = fields.Float(string="Agreed Rate (%)", digits=(16, 4), tracking=True)
    rate_type = fields.Selection(INTEREST_RATE_TYPES, required=True, default="effective_annual")
    periodicity = fields.Selection(
        INTEREST_PERIODICITIES, string="Compounding", help="How often a nominal rate compounds."
    )
    rate_ea = fields.Float(string="Agreed Rate (% E.A.)", digits=(16, 4), compute="_compute_rate_equivalents")
    daily_rate = fields.Float(string="Daily Rate (%)", digits=(16, 6), compute="_compute_rate_equivalents")
    grace_days = fields.Integer(tracking=True, help="Days after the due date that never bear interest.")
    date_start = fields.Date(
        string="Charge From",
        required=True,
        tracking=True,
        default=lambda self: fields.Date.context_today(self).replace(day=1),
        help="Interest accrues from this day on: earlier days are never charged.",
    )
    country_id = fields.Many2one(
        "res.country",
        string="Cap Country",
        required=True,
        default=lambda self: self.env.company.country_id or self.env.company.account_fiscal_country_id,
        help="Whose legal cap limits the interest (the certified rates of this country).",
    )
    credit_type = fields.Selection(
        INTEREST_CREDIT_TYPES,
        required=True,
        default="consumer_ordinary",
        help="Which certified cap applies: sales on credit usually fall under consumer and ordinary credit.",
    )
    cap_required = fields.Boolean(
        string="Only With a Certified Cap",
        default=True,
        help="Days without a certified cap in the table bear no interest until the rate is loaded; they are "
        "charged by a later run. Turn off only where no legal cap exists.",
    )
    account_id = fields.Many2one(
        "account.account",
        string="Income Account",
        check_company=True,
        domain="[('account_type', 'in', ('income', 'income_other'))]",
        help="Where the interest is booked. Empty: the company's agreement interest account.",
    )
    journal_id = fields.Many2one(
        "account.journal",
        check_company=True,
        domain="[('type', '=', 'sale')]",
        help="Sales journal of the interest documents. Empty: the default sales journal.",
    )
    auto_post = fields.Boolean(
        string="Post Automatically",
        default=True,
        help="Post the interest documents at once. Off: they stay in draft for someone to review.",
    )
    note = fields.Text(string="Notes", translate=True)

    @api.depends("rate", "rate_type", "periodicity", "legal_maximum")
    def _compute_rate_equivalents(self):
        for policy in self:
            try:
                rate, rate_type, periods = policy._engine_rate(())
                policy.rate_ea = interest.to_effective_annual(rate, rate_type, periods) * 100.0
                policy.daily_rate = interest.effective_daily(rate, rate_type, periods) * 100.0
            except interest.InterestError:
                policy.rate_ea = policy.daily_rate = 0.0

    @api.constrains("rate", "rate_type", "periodicity", "grace_days", "legal_maximum", "charge_interest")
    def _check_rate(self):
        for policy in self:
            if policy.grace_days < 0:
                raise ValidationError(_("Grace days cannot be negative."))
            if policy.charge_interest and not policy.legal_maximum and policy.rate <= 0:
                raise ValidationError(
                    _("Policy %s: give the agreed rate, or charge the maximum legal rate.", policy.name)
                )
            try:
                interest.effective_daily(*policy._engine_rate(()))
            except interest.InterestError as error:
                raise self.env["cobranza.interest.rate"]._rate_error(error) from error

    def _engine_rate(self, caps):
        """(rate, rate type, periods per year) to accrue with: the agreed rate, or — at the maximum legal
        rate — the highest cap of ``caps``, which the engine then lowers to each day's cap."""
        self.ensure_one()
        if self.legal_maximum:
            return max((period.cap_ea for period in caps), default=0.0), "effective_annual", None
        return self.rate / 100.0, self.rate_type, self.periodicity or None

    def _cap_key(self):
        self.ensure_one()
        return self.country_id.id, self.credit_type

    def _income_account(self):
        """The account of the interest lines: the policy's, else the company's interest account, else an income one."""
        self.ensure_one()
        company = self.company_id
        return (
            self.account_id
            or company.cobranza_interest_account_id
            or self.env["account.account"]
            .sudo()
            .search(
                [*self.env["account.account"]._check_company_domain(company), ("account_type", "=", "income")], limit=1
            )
        )

    def _remind_missing_rate(self, ranges):
        """A to-do for the company's Collections Managers: load the certified rates of ``ranges``, once."""
        labels = dict(self.env["cobranza.interest.rate"]._fields["credit_type"]._description_selection(self.env))
        for policy in self:
            first = min(start for start, _end in ranges)
            summary = _(
                "Load the certified interest rate of %(country)s (%(type)s) from %(date)s",
                country=policy.country_id.name,
                type=labels.get(policy.credit_type),
                date=format_date(self.env, first),
            )
            existing = policy.sudo().activity_ids.filtered(
                lambda activity, summary=summary: activity.summary == summary
            )
            if existing:
                continue
            days = ", ".join(f"{start} – {end}" for start, end in ranges)
            note = _("No cap is loaded for these days, so no late interest is charged for them until it is: %s.", days)
            for manager in policy.company_id._cobranza_managers():
                policy.sudo().activity_schedule(
                    "mail.mail_activity_data_todo", user_id=manager.id, summary=summary, note=note
                )
