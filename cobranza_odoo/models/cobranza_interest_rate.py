from collections import defaultdict

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..engine import interest
from .selections import INTEREST_CREDIT_TYPES, INTEREST_PERIODICITIES, INTEREST_RATE_TYPES


class CobranzaInterestRate(models.Model):
    """One period of the legal-cap table: the bank rate and the cap a country's authority certified.

    Each rate is entered as the authority publishes it, with its type (Colombia's Superintendencia
    Financiera certifies effective annual rates; other authorities publish nominal ones); the engine
    converts them. In Colombia the cap (usury rate) is 1.5 × the bank rate: it is filled in from
    the bank rate. Late interest is never charged above the cap in force each day, and an agreement
    may not carry a rate above it. Only Collections Managers maintain the table.
    """

    _name = "cobranza.interest.rate"
    _description = "Certified Interest Rate"
    _inherit = ["mail.thread"]
    _order = "country_id, credit_type, date_from desc, id desc"

    country_id = fields.Many2one(
        "res.country", required=True, tracking=True, default=lambda self: self._default_country()
    )
    company_id = fields.Many2one(
        "res.company",
        index=True,
        help="Leave empty: the rate applies to every company of the country.",
    )
    credit_type = fields.Selection(
        INTEREST_CREDIT_TYPES,
        required=True,
        default="consumer_ordinary",
        tracking=True,
        help="The authority certifies a rate per credit type; sales on credit usually fall under consumer "
        "and ordinary credit.",
    )
    date_from = fields.Date(string="Valid From", required=True, tracking=True)
    date_to = fields.Date(string="Valid To", required=True, tracking=True)
    bank_rate = fields.Float(
        string="Bank Rate (%)",
        digits=(16, 4),
        tracking=True,
        help="The certified current bank rate (in Colombia, the interés bancario corriente).",
    )
    bank_rate_type = fields.Selection(INTEREST_RATE_TYPES, required=True, default="effective_annual")
    bank_periodicity = fields.Selection(
        INTEREST_PERIODICITIES, string="Bank Rate Compounding", help="How often a nominal bank rate compounds."
    )
    cap_rate = fields.Float(
        string="Cap (%)",
        digits=(16, 4),
        compute="_compute_cap_rate",
        store=True,
        readonly=False,
        tracking=True,
        help="The highest rate that may be charged (the usury rate). In Colombia it is 1.5 times the bank rate, "
        "and is filled in from it.",
    )
    cap_rate_type = fields.Selection(INTEREST_RATE_TYPES, string="Cap Type", required=True, default="effective_annual")
    cap_periodicity = fields.Selection(
        INTEREST_PERIODICITIES, string="Cap Compounding", help="How often a nominal cap compounds."
    )
    bank_ea = fields.Float(string="Bank Rate (% E.A.)", digits=(16, 4), compute="_compute_equivalents")
    cap_ea = fields.Float(string="Cap (% E.A.)", digits=(16, 4), compute="_compute_equivalents")
    cap_daily = fields.Float(
        string="Daily Cap (%)",
        digits=(16, 6),
        compute="_compute_equivalents",
        help="The cap as an effective daily rate: what one day of late interest may cost at most.",
    )
    source = fields.Char(tracking=True, help="Where the rate was certified: authority, resolution and date.")

    @api.model
    def _default_country(self):
        return self.env.company.country_id or self.env.company.account_fiscal_country_id

    @api.depends("country_id", "date_from", "credit_type")
    def _compute_display_name(self):
        labels = dict(self._fields["credit_type"]._description_selection(self.env))
        for rate in self:
            period = rate.date_from.strftime("%Y-%m") if rate.date_from else ""
            rate.display_name = " · ".join(
                part for part in (rate.country_id.name, labels.get(rate.credit_type), period) if part
            )

    @api.depends("bank_rate", "bank_rate_type", "country_id")
    def _compute_cap_rate(self):
        for rate in self:
            if rate.country_id.code == "CO" and rate.bank_rate_type == "effective_annual" and rate.bank_rate:
                rate.cap_rate = round(interest.usury_from_bank_rate(rate.bank_rate / 100.0) * 100.0, 4)

    @api.depends("bank_rate", "bank_rate_type", "bank_periodicity", "cap_rate", "cap_rate_type", "cap_periodicity")
    def _compute_equivalents(self):
        for rate in self:
            try:
                cap_ea = rate._cap_ea()
                rate.cap_ea = cap_ea * 100.0
                rate.cap_daily = interest.effective_daily(cap_ea, "effective_annual") * 100.0
                bank_ea = rate._bank_ea()
                rate.bank_ea = bank_ea * 100.0 if bank_ea is not None else 0.0
            except interest.InterestError:
                rate.cap_ea = rate.cap_daily = rate.bank_ea = 0.0

    def _cap_ea(self):
        self.ensure_one()
        return interest.to_effective_annual(self.cap_rate / 100.0, self.cap_rate_type, self.cap_periodicity or None)

    def _bank_ea(self):
        self.ensure_one()
        if not self.bank_rate:
            return None
        return interest.to_effective_annual(self.bank_rate / 100.0, self.bank_rate_type, self.bank_periodicity or None)

    def _engine_period(self):
        """The engine's cap period of this row, both rates as effective annual."""
        self.ensure_one()
        bank_ea = self._bank_ea()
        return interest.CapPeriod(
            self.date_from,
            self.date_to,
            self._cap_ea(),
            "effective_annual",
            bank_ea,
            "effective_annual" if bank_ea is not None else None,
        )

    @api.model
    def _rate_error(self, error):
        """A translated message for an engine InterestError about rates and cap periods."""
        messages = {
            "negative_rate": _("Interest rates cannot be negative."),
            "unknown_rate_type": _("Unknown interest rate type."),
            "missing_periodicity": _("A nominal rate needs its compounding (monthly, quarterly...)."),
            "bad_periodicity": _("Unknown compounding of a nominal rate."),
            "bad_cap_period": _("A certified rate's period must start before it ends."),
            "overlapping_caps": _(
                "Two certified rates of the same country and credit type overlap (from %s): each day has one cap.",
                error.value[1] if isinstance(error.value, tuple) else error.value,
            ),
        }
        return ValidationError(messages.get(error.reason, _("Invalid interest rate (%s).", error.reason)))

    @api.constrains(
        "date_from",
        "date_to",
        "country_id",
        "credit_type",
        "company_id",
        "bank_rate",
        "bank_rate_type",
        "bank_periodicity",
        "cap_rate",
        "cap_rate_type",
        "cap_periodicity",
    )
    def _check_periods(self):
        for rate in self:
            if rate.cap_rate <= 0:
                raise ValidationError(
                    _("Give the cap (the highest rate that may be charged) of %s.", rate.display_name)
                )
        keys = {(rate.country_id.id, rate.credit_type) for rate in self}
        table = self.search(
            [
                ("country_id", "in", [key[0] for key in keys]),
                ("credit_type", "in", [key[1] for key in keys]),
            ]
        )
        groups = defaultdict(lambda: self.browse())
        for rate in table:
            groups[(rate.country_id.id, rate.credit_type)] |= rate
        for key in keys:
            rows = groups[key]
            # A company's own rows may not overlap the shared ones, nor each other.
            for company in {*rows.company_id, None}:
                scope = rows.filtered(lambda row, company=company: not row.company_id or row.company_id == company)
                try:
                    interest.validate_caps([row._engine_period() for row in scope])
                except interest.InterestError as error:
                    raise self._rate_error(error) from error

    # ------------------------------------------------------------------ reading the table

    @api.model
    def _cap_tables(self, keys, company, date_from, date_to):
        """{(country id, credit type): (engine CapPeriod, ...)} in force between the dates, in one search.

        A company's own rows apply to it as well as the shared rows (empty company).
        """
        keys = set(keys)
        result = {key: [] for key in keys}
        if not keys:
            return {}
        rows = (
            self.sudo()
            .with_context(active_test=False)
            .search(
                [
                    ("country_id", "in", [key[0] for key in keys]),
                    ("credit_type", "in", [key[1] for key in keys]),
                    ("date_from", "<=", date_to),
                    ("date_to", ">=", date_from),
                    ("company_id", "in", [False, company.root_id.id, company.id]),
                ],
                order="date_from",
            )
        )
        for row in rows:
            key = (row.country_id.id, row.credit_type)
            if key in result:
                result[key].append(row._engine_period())
        return {key: tuple(periods) for key, periods in result.items()}

    @api.model
    def _has_table(self, country, credit_type, company):
        """Whether any rate was ever loaded for this country and credit type (a country with a cap regime)."""
        return bool(
            self.sudo().search_count(
                [
                    ("country_id", "=", country.id),
                    ("credit_type", "=", credit_type),
                    ("company_id", "in", [False, company.root_id.id, company.id]),
                ],
                limit=1,
            )
        )
