from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..engine import incentives


class CobranzaIncentive(models.Model):
    """An early-payment incentive program: "paid within N days of the invoice date → p % off".

    Assigned to a customer (its collections profile), to a segment or as the company default,
    in that order of precedence. Opt-in: none exists after install.
    """

    _name = "cobranza.incentive"
    _description = "Early-Payment Incentive"
    _inherit = ["mail.thread"]
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True, tracking=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True, tracking=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company.root_id, tracking=True
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    date_from = fields.Date(string="Invoices From", tracking=True, help="Invoices dated before are not eligible.")
    date_to = fields.Date(string="Invoices Until", tracking=True, help="Invoices dated after are not eligible.")
    tax_mode = fields.Selection(
        [
            ("included", "On the total, tax reduced too"),
            ("excluded", "On the untaxed amount, tax unchanged"),
            ("credit_note", "On the total, granted by a credit note"),
        ],
        required=True,
        default="included",
        tracking=True,
        help="On the total: the discount is a percentage of the total and reduces the tax base and the tax, "
        "like Odoo's 'Always (upon invoice)' early discount. On the untaxed amount: the percentage applies to "
        "the untaxed amount and the tax stays as invoiced. Credit note: like the first, but the discount is "
        "documented by a customer credit note, where the tax authority requires one.",
    )
    discount_account_id = fields.Many2one(
        "account.account",
        tracking=True,
        domain="[('account_type', 'in', ('expense', 'expense_direct_cost', 'income', 'income_other')), "
        "('company_ids', 'parent_of', company_id)]",
        help="Where the discounts granted are written off (or the credit notes' lines are booked).",
    )
    tier_ids = fields.One2many("cobranza.incentive.tier", "incentive_id", string="Tiers", copy=True)
    term_days = fields.Integer(
        string="Usual Payment Term",
        default=30,
        help="Days in which these customers otherwise pay: the annualised cost of each tier is computed against it.",
    )
    cost_of_funds = fields.Float(related="company_id.cobranza_cost_of_funds")
    too_expensive = fields.Boolean(
        string="A Tier Costs More Than Funds", compute="_compute_too_expensive", help="At least one tier costs more."
    )
    note = fields.Text(translate=True, help="Internal notes: why this program, for whom.")
    invoice_count = fields.Integer(string="Invoices", compute="_compute_invoice_count")

    _sql_constraints = [
        ("term_days_positive", "CHECK (term_days > 0)", "The usual payment term must be at least one day."),
    ]

    @api.depends("tier_ids.too_expensive")
    def _compute_too_expensive(self):
        for program in self:
            program.too_expensive = any(program.tier_ids.mapped("too_expensive"))

    def _compute_invoice_count(self):
        counts = dict(
            self.env["account.move"]._read_group(
                [("cobranza_incentive_id", "in", self.ids)], ["cobranza_incentive_id"], ["__count"]
            )
        )
        for program in self:
            program.invoice_count = counts.get(program, 0)

    @api.constrains("tier_ids", "active", "discount_account_id", "date_from", "date_to")
    def _check_program(self):
        messages = {
            "no_tiers": _("it needs at least one tier."),
            "negative_days": _("the days of a tier cannot be negative."),
            "bad_percent": _("a tier's discount must be above 0 % and below 100 %."),
            "duplicate_days": _("two tiers cannot have the same days."),
            "later_tier_not_smaller": _("a later tier must give a smaller discount than an earlier one."),
        }
        for program in self:
            if program.date_from and program.date_to and program.date_from > program.date_to:
                raise ValidationError(_("Program %s: its start date is after its end date.", program.name))
            if not program.active:
                continue
            if not program.discount_account_id:
                raise ValidationError(_("Program %s: choose the account the discounts go to.", program.name))
            try:
                incentives.validate_tiers(program._engine_tiers())
            except incentives.IncentiveError as error:
                raise ValidationError(
                    _("Program %(program)s: %(problem)s", program=program.name, problem=messages[error.reason])
                ) from error

    def _engine_tiers(self):
        self.ensure_one()
        return [incentives.Tier(tier.days, tier.percent) for tier in self.tier_ids]

    def _applies_to(self, invoice_date):
        """Whether an invoice dated ``invoice_date`` is inside the program's dates."""
        self.ensure_one()
        return (
            self.active
            and (not self.date_from or invoice_date >= self.date_from)
            and (not self.date_to or invoice_date <= self.date_to)
        )

    def action_open_invoices(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("account.action_move_out_invoice_type")
        action.update({"domain": [("cobranza_incentive_id", "=", self.id)], "context": {"create": False}})
        return action
