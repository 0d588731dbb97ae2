from datetime import timedelta

from odoo import Command, _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import format_date

from ..engine import interest, payment_plans
from . import ledger_fragments as ledger

FREQUENCIES = [("weekly", "Weekly"), ("biweekly", "Every two weeks"), ("monthly", "Monthly")]
RATE_TYPES = [
    ("effective_annual", "Effective annual (E.A.)"),
    ("nominal_annual", "Nominal annual"),
    ("monthly", "Monthly"),
]


class CobranzaAgreement(models.Model):
    """A promise to pay or a payment agreement over some overdue installments of one customer.

    While active and honoured, the covered installments are out of dunning and their invoices
    show "under agreement". Progress comes from Odoo's own reconciliations: payments applied to
    the covered installments since activation fill the agreement's installments in order.
    """

    _name = "cobranza.agreement"
    _description = "Payment Agreement"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "id desc"
    _check_company_auto = True

    name = fields.Char(readonly=True, copy=False, default="/")
    kind = fields.Selection(
        [("promise", "Promise to pay"), ("agreement", "Payment agreement")],
        required=True,
        default="agreement",
        tracking=True,
    )
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        index=True,
        tracking=True,
        domain="[('parent_id', '=', False)]",
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company.root_id
    )
    currency_id = fields.Many2one("res.currency", required=True, default=lambda self: self.env.company.currency_id)
    collector_id = fields.Many2one("res.users", default=lambda self: self.env.user, tracking=True)
    state = fields.Selection(
        [
            ("draft", "Draft"),
            ("to_approve", "To Approve"),
            ("active", "Active"),
            ("done", "Done"),
            ("broken", "Broken"),
            ("cancelled", "Cancelled"),
        ],
        default="draft",
        required=True,
        tracking=True,
        readonly=True,
        index=True,
    )
    line_ids = fields.Many2many(
        "account.move.line",
        "cobranza_agreement_move_line_rel",
        "agreement_id",
        "move_line_id",
        string="Covered Installments",
        domain="[('partner_id.commercial_partner_id', '=', partner_id), ('cobranza_open_receivable', '=', True), "
        "('amount_residual', '>', 0)]",
    )
    move_ids = fields.Many2many("account.move", compute="_compute_move_ids", string="Covered Invoices")
    debt = fields.Monetary(
        compute="_compute_debt",
        store=True,
        readonly=False,
        tracking=True,
        help="What the agreement pays off: the open amount of the covered installments.",
    )
    down_payment = fields.Monetary(tracking=True)
    down_payment_date = fields.Date(default=fields.Date.context_today)
    installment_count = fields.Integer(string="Installments", default=3)
    frequency = fields.Selection(FREQUENCIES, default="monthly", required=True)
    first_date = fields.Date(
        string="First Installment", default=lambda self: fields.Date.context_today(self) + timedelta(days=30)
    )
    interest_rate = fields.Float(string="Interest Rate (%)", digits=(16, 4))
    rate_type = fields.Selection(RATE_TYPES, default="effective_annual", required=True)
    grace_days = fields.Integer(default=5, help="Days an installment may be late before the agreement is broken.")
    installment_ids = fields.One2many("cobranza.agreement.installment", "agreement_id", string="Schedule", copy=False)
    total_interest = fields.Monetary(compute="_compute_totals", store=True)
    total_amount = fields.Monetary(string="Total to Pay", compute="_compute_totals", store=True)
    paid_amount = fields.Monetary(string="Paid", readonly=True)
    interest_move_id = fields.Many2one("account.move", string="Interest Invoice", readonly=True, copy=False)
    activation_date = fields.Date(readonly=True, copy=False)
    approved_by_id = fields.Many2one("res.users", readonly=True, copy=False)
    broken_date = fields.Date(readonly=True, copy=False)
    broken_installment_id = fields.Many2one("cobranza.agreement.installment", readonly=True, copy=False)
    progress_date = fields.Date(readonly=True, copy=False, help="When progress was last read from the payments.")
    note = fields.Text()
    next_installment_date = fields.Date(compute="_compute_next_installment", store=True)
    next_installment_amount = fields.Monetary(compute="_compute_next_installment", store=True)

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                vals["name"] = self.env["ir.sequence"].next_by_code("cobranza.agreement") or "/"
        return super().create(vals_list)

    @api.depends("line_ids")
    def _compute_move_ids(self):
        for agreement in self:
            agreement.move_ids = agreement.line_ids.move_id

    @api.depends("line_ids.amount_residual", "line_ids.amount_residual_currency", "currency_id")
    def _compute_debt(self):
        for agreement in self.filtered(lambda record: record.state in ("draft", False)):
            if agreement.currency_id == agreement.company_id.currency_id:
                agreement.debt = sum(agreement.line_ids.mapped("amount_residual"))
            else:
                agreement.debt = sum(agreement.line_ids.mapped("amount_residual_currency"))

    @api.depends("installment_ids.amount", "installment_ids.interest")
    def _compute_totals(self):
        for agreement in self:
            agreement.total_interest = sum(agreement.installment_ids.mapped("interest"))
            agreement.total_amount = sum(agreement.installment_ids.mapped("amount"))

    @api.depends("installment_ids.state", "installment_ids.date", "installment_ids.paid_amount")
    def _compute_next_installment(self):
        for agreement in self:
            pending = agreement.installment_ids.filtered(lambda item: item.state != "paid").sorted("date")[:1]
            agreement.next_installment_date = pending.date
            agreement.next_installment_amount = pending.amount - pending.paid_amount

    @api.constrains("line_ids", "partner_id", "currency_id")
    def _check_lines(self):
        for agreement in self:
            lines = agreement.line_ids
            if lines.partner_id.commercial_partner_id - agreement.partner_id:
                raise ValidationError(_("An agreement covers installments of its own customer only."))
            currencies = lines.mapped(lambda line: line.currency_id or line.company_currency_id)
            if len(currencies) > 1 or (currencies and currencies != agreement.currency_id):
                raise ValidationError(_("The installments of an agreement must all be in the agreement's currency."))

    @api.constrains("interest_rate", "grace_days", "installment_count", "down_payment")
    def _check_terms(self):
        for agreement in self:
            if agreement.interest_rate < 0 or agreement.grace_days < 0 or agreement.down_payment < 0:
                raise ValidationError(_("Interest rate, grace days and down payment cannot be negative."))
            if agreement.kind == "agreement" and agreement.installment_count < 1:
                raise ValidationError(_("A payment agreement has at least one installment."))

    @api.model
    def _new_action(self, partner, lines, kind):
        """The form of a new promise or agreement, prefilled: the collector only checks and saves."""
        today = fields.Date.context_today(self)
        return {
            "type": "ir.actions.act_window",
            "name": _("Promise to Pay") if kind == "promise" else _("Payment Agreement"),
            "res_model": self._name,
            "view_mode": "form",
            "target": "new" if kind == "promise" else "current",
            "context": {
                "default_kind": kind,
                "default_partner_id": partner.id,
                "default_line_ids": [Command.set(lines.ids)],
                "default_first_date": today + timedelta(days=7 if kind == "promise" else 30),
                "default_currency_id": (lines[:1].currency_id or self.env.company.currency_id).id,
            },
        }

    def action_save_promise(self):
        """Promise form button: build its single installment and activate it at once."""
        for agreement in self:
            agreement.action_compute_schedule()
            agreement.action_confirm()
        return {"type": "ir.actions.act_window_close"}

    # ------------------------------------------------------------------ schedule

    def _plan_error(self, error):
        messages = {
            "non_positive_debt": _("Choose the overdue installments the agreement pays off: the debt is zero."),
            "negative_down_payment": _("The down payment cannot be negative."),
            "down_payment_too_big": _("The down payment must be less than the debt."),
            "no_installments": _("A payment agreement has at least one installment."),
            "negative_rate": _("The interest rate cannot be negative."),
            "unknown_rate_type": _("Unknown interest rate type."),
            "unknown_frequency": _("Unknown installment frequency."),
            "installment_too_small": _("Installments would be too small for this debt: use fewer installments."),
            "dates_not_increasing": _("Installment dates must increase, after the down payment."),
            "non_positive_amount": _("Every installment must be a positive amount."),
            "principal_mismatch": _("The installments must add up exactly to the debt (%s).", error.value),
        }
        return UserError(messages[error.reason])

    def action_compute_schedule(self):
        """(Re)build the schedule with the engine; only while the agreement is a draft."""
        for agreement in self:
            if agreement.state != "draft":
                raise UserError(_("The schedule can only be changed while the agreement is a draft."))
            try:
                schedule = agreement._engine_schedule()
            except payment_plans.PlanError as error:
                raise agreement._plan_error(error) from error
            agreement._check_interest_cap([item.date for item in schedule])
            agreement.installment_ids = [Command.clear()] + [
                Command.create(
                    {
                        "sequence": item.sequence,
                        "date": item.date,
                        "principal": item.principal,
                        "interest": item.interest,
                    }
                )
                for item in schedule
            ]
        return True

    def _engine_schedule(self):
        self.ensure_one()
        rounding = self.currency_id.rounding
        if self.kind == "promise":
            return payment_plans.build_schedule(self.debt, 1, "monthly", self.first_date, rounding)
        return payment_plans.build_schedule(
            self.debt,
            self.installment_count,
            self.frequency,
            self.first_date,
            rounding,
            down_payment=self.down_payment,
            down_payment_date=self.down_payment_date,
            rate=self.interest_rate / 100.0,
            rate_type=self.rate_type,
        )

    def _interest_cap_key(self):
        """(country, credit type) of the legal cap limiting this agreement's interest: the customer's late
        interest policy's, else the company's country for consumer and ordinary credit."""
        self.ensure_one()
        profile = self.env["cobranza.partner.profile"]._get_profiles(self.partner_id, self.company_id)
        policy = profile._interest_policy()
        country = policy.country_id or self.company_id.country_id or self.company_id.account_fiscal_country_id
        return country, policy.credit_type or "consumer_ordinary"

    def _check_interest_cap(self, dates):
        """Refuse an interest rate above the legal cap in force while the agreement runs (from today to
        its last installment) — and any rate while the cap in force today is unknown, in a country whose
        certified rates are loaded: interest is never agreed without a known ceiling."""
        self.ensure_one()
        if self.kind != "agreement" or not self.interest_rate:
            return
        today = fields.Date.context_today(self)
        day_to = max([today, *dates])
        country, credit_type = self._interest_cap_key()
        Rate = self.env["cobranza.interest.rate"]
        caps = Rate._cap_tables([(country.id, credit_type)], self.company_id, today, day_to)[(country.id, credit_type)]
        if not caps and not Rate._has_table(country, credit_type, self.company_id):
            return  # no legal cap loaded for this country: nothing to compare with
        if interest.missing_periods(caps, today, today):
            raise UserError(
                _(
                    "No certified cap of %(country)s is loaded for %(date)s: a Collections Manager must load it "
                    "before an agreement may carry interest.",
                    country=country.name,
                    date=format_date(self.env, today),
                )
            )
        try:
            interest.check_rate_within_cap(
                self.interest_rate / 100.0,
                self.rate_type,
                caps,
                today,
                day_to,
                periods_per_year=self.frequency if self.rate_type == "nominal_annual" else None,
            )
        except interest.InterestError as error:
            if error.reason != "above_cap":
                raise Rate._rate_error(error) from error
            first_day, cap_ea = error.value
            rate_ea = interest.to_effective_annual(
                self.interest_rate / 100.0,
                self.rate_type,
                self.frequency if self.rate_type == "nominal_annual" else None,
            )
            rate_label, cap_label = format(rate_ea * 100, ".2f"), format(cap_ea * 100, ".2f")
            raise UserError(
                _(
                    "The agreement's rate (%(rate)s%% E.A.) is above the legal cap in force on %(date)s: "
                    "%(cap)s%% E.A. Charging above it loses the interest and may be the crime of usury: "
                    "lower the rate.",
                    rate=rate_label,
                    date=format_date(self.env, first_day),
                    cap=cap_label,
                )
            ) from error

    def _engine_installments(self):
        self.ensure_one()
        return tuple(
            payment_plans.Installment(item.sequence, item.date, item.principal, item.interest)
            for item in self.installment_ids.sorted(lambda item: (item.date, item.sequence))
        )

    def _validate_schedule(self):
        for agreement in self:
            if not agreement.installment_ids:
                raise UserError(_("Compute the schedule first."))
            try:
                payment_plans.validate_schedule(
                    agreement._engine_installments(), agreement.debt, agreement.currency_id.rounding
                )
            except payment_plans.PlanError as error:
                raise agreement._plan_error(error) from error
            agreement._check_interest_cap(agreement.installment_ids.mapped("date"))

    # ------------------------------------------------------------------ workflow

    def _needs_approval(self):
        self.ensure_one()
        return payment_plans.needs_approval(
            self.debt,
            len(self.installment_ids.filtered(lambda item: item.sequence > 0)),
            self.company_id.cobranza_agreement_approval_amount,
            self.company_id.cobranza_agreement_approval_installments,
        )

    def action_confirm(self):
        """Submit: agreements above the company's thresholds wait for a Collections Manager."""
        for agreement in self:
            if agreement.state != "draft":
                raise UserError(_("Only draft agreements can be confirmed."))
            if not agreement.line_ids:
                raise UserError(_("Choose the overdue installments the agreement pays off."))
            agreement._validate_schedule()
            if agreement._needs_approval():
                agreement.state = "to_approve"
                agreement._ask_approval()
            else:
                agreement._activate()
        return True

    def _ask_approval(self):
        for agreement in self:
            for manager in agreement.company_id._cobranza_managers():
                agreement.sudo().activity_schedule(
                    "mail.mail_activity_data_todo",
                    user_id=manager.id,
                    summary=_("Approve payment agreement %s", agreement.name),
                )

    def action_approve(self):
        if not self.env.su and not self.env.user.has_group("cobranza_odoo.group_cobranza_manager"):
            raise AccessError(_("Only Collections Managers approve payment agreements."))
        for agreement in self:
            if agreement.state != "to_approve":
                raise UserError(_("Only agreements waiting for approval can be approved."))
            agreement.approved_by_id = self.env.user
            agreement.sudo().activity_ids.action_feedback(feedback=_("Approved"))
            agreement._activate()
        return True

    def _activate(self):
        today = fields.Date.context_today(self)
        for agreement in self:
            agreement.write({"state": "active", "activation_date": today})
            if agreement.total_interest:
                agreement._create_interest_invoice()
        self.line_ids.move_id._cobranza_refresh_status()
        self.message_post(body=_("Agreement active: the covered invoices are out of dunning while it is honoured."))

    def _create_interest_invoice(self):
        """The interest is a customer document of its own: the covered invoices' residual never shows it."""
        self.ensure_one()
        account = self.company_id.cobranza_interest_account_id or self.env["account.account"].search(
            [*self.env["account.account"]._check_company_domain(self.company_id), ("account_type", "=", "income")],
            limit=1,
        )
        last_date = max(self.installment_ids.mapped("date"))
        invoice = (
            self.env["account.move"]
            .sudo()
            .with_company(self.company_id)
            .create(
                {
                    "move_type": "out_invoice",
                    "partner_id": self.partner_id.id,
                    "currency_id": self.currency_id.id,
                    "invoice_date": self.activation_date,
                    "invoice_date_due": last_date,
                    "invoice_origin": self.name,
                    "cobranza_interest_document": True,
                    "invoice_line_ids": [
                        Command.create(
                            {
                                "name": _("Interest of payment agreement %s", self.name),
                                "quantity": 1,
                                "price_unit": self.total_interest,
                                "account_id": account.id,
                                "tax_ids": [Command.clear()],
                            }
                        )
                    ],
                }
            )
        )
        invoice.action_post()
        self.interest_move_id = invoice
        self.line_ids |= invoice.line_ids.filtered(ledger.is_receivable_line)

    def action_cancel(self):
        for agreement in self:
            if agreement.state not in ("draft", "to_approve", "active"):
                raise UserError(_("Only draft, waiting or active agreements can be cancelled."))
            if agreement.interest_move_id and agreement.interest_move_id.payment_state == "not_paid":
                agreement.interest_move_id.sudo().button_draft()
                agreement.interest_move_id.sudo().button_cancel()
        self.write({"state": "cancelled"})
        self.line_ids.move_id._cobranza_refresh_status()
        return True

    def action_draft(self):
        for agreement in self:
            if agreement.state not in ("to_approve", "cancelled"):
                raise UserError(_("Only waiting or cancelled agreements go back to draft."))
        self.write({"state": "draft", "approved_by_id": False})
        return True

    # ------------------------------------------------------------------ progress

    def _payments(self):
        """{agreement: [(date, amount)]}: payments applied to covered installments since activation.

        Credit notes and exchange differences settle installments without being payments: only
        real payments count (the facts layer decides). Amounts in the agreement's currency.
        """
        result = {agreement: [] for agreement in self}
        dated = self.filtered("activation_date")
        if not dated:
            return result
        payments = self.env["cobranza.receivable.facts"]._payments_on_lines(
            dated.line_ids.ids, since=min(dated.mapped("activation_date"))
        )
        by_line = {}
        for payment in payments:
            by_line.setdefault(payment.line_id, []).append(payment)
        for agreement in dated:
            in_company_currency = agreement.currency_id == agreement.company_id.currency_id
            for line_id in agreement.line_ids.ids:
                for payment in by_line.get(line_id, ()):
                    if payment.date >= agreement.activation_date:
                        amount = payment.amount if in_company_currency else payment.amount_currency
                        result[agreement].append((payment.date, amount))
        return result

    def _refresh_progress(self, today=None):
        """Apply payments to the installments; mark done or broken. Writes only what changed."""
        today = today or fields.Date.context_today(self)
        active = self.filtered(lambda agreement: agreement.state == "active")
        payments = active._payments()
        broken = self.browse()
        for agreement in active:
            progress = payment_plans.apply_payments(
                agreement._engine_installments(),
                payments[agreement],
                today,
                agreement.grace_days,
                agreement.currency_id.rounding,
            )
            by_sequence = {item.sequence: item for item in progress.installments}
            for installment in agreement.installment_ids:
                item = by_sequence[installment.sequence]
                values = {"paid_amount": item.paid, "state": item.state, "paid_date": item.paid_date or False}
                if any(installment[name] != value for name, value in values.items()):
                    installment.write(values)
            if agreement.paid_amount != progress.paid:
                agreement.paid_amount = progress.paid
            if progress.state == "done":
                agreement.write({"state": "done"})
                agreement.message_post(body=_("Every installment is paid: agreement fulfilled."))
            elif progress.state == "broken":
                agreement.write(
                    {
                        "state": "broken",
                        "broken_date": today,
                        "broken_installment_id": agreement.installment_ids.filtered(
                            lambda item, broken_sequence=progress.broken_sequence: item.sequence == broken_sequence
                        ).id,
                    }
                )
                broken |= agreement
            agreement.progress_date = today
        broken._notify_broken()
        active.filtered(lambda agreement: agreement.state == "done").line_ids.move_id._cobranza_refresh_status()
        return broken

    def _notify_broken(self):
        """Tell the customer and the collector; dunning resumes on the covered installments."""
        template = self.env.ref("cobranza_odoo.mail_template_agreement_broken", raise_if_not_found=False)
        for agreement in self:
            agreement.activity_schedule(
                "mail.mail_activity_data_todo",
                user_id=(agreement.collector_id or agreement.create_uid).id,
                summary=_("Payment agreement %s broken: call the customer", agreement.name),
            )
            if template:
                agreement.with_context(mail_notify_force_send=False).message_post_with_source(
                    template,
                    message_type="comment",
                    subtype_xmlid="mail.mt_comment",
                )
        self.line_ids.move_id._cobranza_refresh_status()

    def _notify_get_reply_to(self, default=None):
        """Customers answer their collector."""
        result = super()._notify_get_reply_to(default=default)
        for record in self.filtered(lambda record: record.collector_id.email):
            result[record.id] = record.collector_id.email_formatted
        return result

    # ------------------------------------------------------------------ daily run

    @api.model
    def _cron_refresh_agreements(self, batch_size=200):
        """Scheduled action: progress of active agreements, broken ones, reminders before installments.

        Batches per DESIGN §3: ``progress_date`` marks agreements handled today.
        """
        today = fields.Date.context_today(self)
        domain = [("state", "=", "active"), "|", ("progress_date", "=", False), ("progress_date", "<", today)]
        batch = self.sudo().search(domain, limit=batch_size, order="id")
        batch._refresh_progress(today)
        reminded = batch.filtered(lambda agreement: agreement.state == "active").installment_ids._send_reminders(today)
        # reminders the contact rules deferred to a slot that has come
        deferred = (
            self.env["cobranza.agreement.installment"]
            .sudo()
            .search(
                [("reminder_deferred_until", "<=", fields.Datetime.now()), ("reminder_sent_on", "=", False)],
                limit=batch_size,
            )
        )
        reminded |= deferred._send_reminders(today)
        remaining = self.sudo().search_count(domain)
        self.env["ir.cron"]._notify_progress(done=len(batch), remaining=remaining)
        return batch, reminded

    def action_refresh_progress(self):
        self._refresh_progress()
        return True
