from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..engine import aging, self_service


class ResCompany(models.Model):
    _inherit = "res.company"

    cobranza_grace_days = fields.Integer(
        string="Grace Days",
        default=3,
        help="Days after the due date during which a payment still counts as on time "
        "(bank transfers take a while to arrive).",
    )
    cobranza_tolerance_amount = fields.Monetary(
        string="Tolerance Amount",
        currency_field="currency_id",
        default=1.0,
        help="Open amounts at or below this value (in company currency) are ignored by collections: "
        "rounding differences are not chased.",
    )
    cobranza_aging_buckets = fields.Char(
        string="Aging Buckets",
        default=aging.format_bucket_limits(aging.DEFAULT_BUCKET_LIMITS),
        required=True,
        help="Upper limits in days of the overdue buckets, separated by commas. "
        "'30,60,90,120' gives Current, 1-30, 31-60, 61-90, 91-120 and more than 120 days.",
    )

    cobranza_metrics_window_days = fields.Integer(
        string="Payment History Window",
        default=365,
        help="Days of payment history the customer metrics and segments look at.",
    )
    cobranza_due_soon_days = fields.Integer(
        string="Due Soon Within",
        default=7,
        help="An invoice with an installment falling due within this many days is 'due soon'.",
    )
    cobranza_serious_days = fields.Integer(
        string="Serious Delinquency After",
        default=90,
        help="An invoice with an installment overdue more than this many days is a serious delinquency.",
    )
    cobranza_contact_rules_all_customers = fields.Boolean(
        string="Contact Rules for Companies Too",
        help="Apply the consumer contact rules (hours, days, frequency, consent) to business customers as well.",
    )
    cobranza_contact_count_attempts = fields.Boolean(
        string="Unanswered Attempts Count",
        default=True,
        help="An unanswered call counts as a contact for the daily and weekly limits (the cautious reading). "
        "Off: only contacts that reached the customer count.",
    )
    cobranza_bureau_enabled = fields.Boolean(
        string="Credit-Bureau Reporting",
        help="Follow the obligations of bureau prior notices (Colombia, Ley 1266 de 2008): reportable after the "
        "waiting period, reported, to update.",
    )
    cobranza_bureau_wait_days = fields.Integer(
        string="Days After the Prior Notice",
        default=20,
        help="Calendar days after the prior notice before an obligation may be reported (20 by law; 21 for the "
        "strictest reading of 'transcurridos').",
    )
    cobranza_bureau_max_report_months = fields.Integer(
        string="No Report After (Months)",
        default=18,
        help="A first report is not made more than this many months after the delinquency started (0: no limit).",
    )
    cobranza_policy_id = fields.Many2one(
        "cobranza.policy",
        string="Default Dunning Policy",
        help="Used for customers whose segment or profile does not choose another one.",
    )
    cobranza_incentive_id = fields.Many2one(
        "cobranza.incentive",
        string="Default Early-Payment Incentive",
        help="Offered on the invoices of customers whose segment or profile does not choose another program. "
        "Empty: no incentive unless a segment or customer has one.",
    )
    cobranza_cost_of_funds = fields.Float(
        string="Cost of Funds (%)",
        default=20.0,
        help="What money costs the company a year (e.g. its bank credit line rate). A discount tier whose "
        "annualised cost is higher makes early payment more expensive than borrowing.",
    )
    cobranza_dunning_mode = fields.Selection(
        [("off", "Off"), ("draft", "Prepare drafts to review"), ("send", "Send automatically")],
        string="Daily Dunning Run",
        default="off",
        required=True,
        help="What the daily dunning run does for this company. Off by default: nobody is contacted until you choose.",
    )
    cobranza_agreement_approval_amount = fields.Monetary(
        string="Approve Agreements Above",
        help="Payment agreements over this debt wait for a Collections Manager (0: no amount limit).",
    )
    cobranza_agreement_approval_installments = fields.Integer(
        string="Approve Agreements With More Installments Than",
        default=6,
        help="Payment agreements with more installments wait for a Collections Manager (0: no limit).",
    )
    cobranza_agreement_reminder_days = fields.Integer(
        string="Remind Installments Before",
        default=3,
        help="Days before each installment of an agreement when the customer gets a reminder.",
    )
    cobranza_interest_account_id = fields.Many2one(
        "account.account",
        string="Agreement Interest Account",
        domain="[('account_type', 'in', ('income', 'income_other'))]",
        help="Income account of the interest invoices of payment agreements.",
    )
    cobranza_interest_policy_id = fields.Many2one(
        "cobranza.interest.policy",
        string="Default Late Interest Policy",
        help="Late-payment interest of the customers whose segment or profile does not choose another policy. "
        "Empty: no late interest unless a segment or customer has a policy.",
    )
    cobranza_settlement_approval_amount = fields.Monetary(
        string="Approve Settlements Waiving More Than",
        currency_field="currency_id",
        help="Settlement offers waiving more than this amount wait for a Collections Manager "
        "(0: every offer that waives something).",
    )
    cobranza_settlement_account_id = fields.Many2one(
        "account.account",
        string="Settlement Discount Account",
        domain="[('account_type', 'in', ('expense', 'income', 'income_other'))]",
        help="Where the principal waived by fulfilled settlement offers is booked. Empty: against the income "
        "account of the invoice's first line.",
    )
    cobranza_payment_instructions = fields.Html(
        string="How to Pay",
        translate=True,
        default=lambda self: self._default_cobranza_payment_instructions(),
        help="Printed on statements and collection letters, above the company's bank accounts.",
    )
    cobranza_credit_action = fields.Selection(
        [("none", "Do not check"), ("warn", "Warn"), ("block", "Block")],
        string="Credit Limit Enforcement",
        default="none",
        required=True,
        help="What happens when a salesperson confirms an order that exceeds the customer's credit limit, "
        "or for a customer on credit hold: nothing (the status is only shown), a warning to accept, or a block "
        "that only a Collections Manager's approval lifts.",
    )
    cobranza_credit_check_invoices = fields.Boolean(
        string="Check Invoices Too",
        help="Also check the credit when posting a customer invoice that does not come from a confirmed sale order.",
    )
    cobranza_credit_hold_days = fields.Integer(
        string="Automatic Hold After",
        default=90,
        help="A customer with an installment overdue more than this many days is on automatic credit hold. "
        "0 disables the automatic hold.",
    )

    cobranza_portal_promise_max_days = fields.Integer(
        string="Portal Promises Up To",
        default=self_service.DEFAULT_PROMISE_MAX_DAYS,
        help="Customers may promise to pay from the portal (or a reminder's link) on a date at most this many "
        "days ahead; a segment can allow another number. 0: no promises from the portal.",
    )

    @api.model
    def _default_cobranza_payment_instructions(self):
        return _(
            "<p>Pay by bank transfer to one of the accounts below, quoting your invoice numbers, and send us the "
            "receipt by replying to this message.</p>"
        )

    @api.constrains(
        "cobranza_grace_days",
        "cobranza_tolerance_amount",
        "cobranza_credit_hold_days",
        "cobranza_metrics_window_days",
        "cobranza_due_soon_days",
        "cobranza_serious_days",
        "cobranza_cost_of_funds",
        "cobranza_portal_promise_max_days",
    )
    def _check_cobranza_defaults(self):
        for company in self:
            if company.cobranza_portal_promise_max_days < 0:
                raise ValidationError(_("The days ahead of a portal promise cannot be negative (0 turns them off)."))
            if company.cobranza_cost_of_funds < 0:
                raise ValidationError(_("The cost of funds cannot be negative."))
            if company.cobranza_metrics_window_days < 30:
                raise ValidationError(_("The payment history window must cover at least 30 days."))
            if company.cobranza_due_soon_days < 0 or company.cobranza_serious_days < 1:
                raise ValidationError(_("'Due soon' days cannot be negative and 'serious delinquency' needs a day."))
            if company.cobranza_grace_days < 0:
                raise ValidationError(_("Grace days cannot be negative."))
            if company.cobranza_tolerance_amount < 0:
                raise ValidationError(_("The collections tolerance amount cannot be negative."))
            if company.cobranza_credit_hold_days < 0:
                raise ValidationError(_("The days before an automatic credit hold cannot be negative."))

    @api.constrains("cobranza_aging_buckets")
    def _check_cobranza_aging_buckets(self):
        for company in self:
            company._cobranza_bucket_limits()

    def _cobranza_managers(self):
        """Collections Managers working in this company: who approves exceptions and agreements."""
        self.ensure_one()
        group = self.env.ref("cobranza_odoo.group_cobranza_manager")
        root = self.env.ref("base.user_root")
        return group.sudo().users.filtered(
            lambda user: not user.share and user.active and self in user.company_ids and user != root
        )

    def _cobranza_bucket_limits(self):
        """The aging bucket limits of this company as a tuple of days (validated)."""
        self.ensure_one()
        try:
            return aging.parse_bucket_limits(self.cobranza_aging_buckets)
        except aging.BucketLimitsError as error:
            messages = {
                "empty": _("Give at least one aging bucket limit, e.g. 30,60,90,120."),
                "not_a_number": _("Aging bucket limits must be whole numbers of days: '%s' is not.", error.value),
                "not_positive": _("Aging bucket limits must be greater than zero."),
                "not_increasing": _(
                    "Aging bucket limits must increase from left to right: %s is not greater than the one before.",
                    error.value,
                ),
            }
            raise ValidationError(messages[error.reason]) from error

    def _cobranza_aging_buckets(self):
        """The company's aging scale as engine buckets with translated labels: [(bucket, label)]."""
        self.ensure_one()
        scale = aging.buckets(self._cobranza_bucket_limits())
        return [(bucket, self._cobranza_bucket_label(bucket)) for bucket in scale]

    def _cobranza_bucket_label(self, bucket):
        if bucket.is_current:
            return _("Current")
        if bucket.last_day is None:
            return _("Over %s days", bucket.first_day - 1)
        return _("%(first)s-%(last)s days", first=bucket.first_day, last=bucket.last_day)
