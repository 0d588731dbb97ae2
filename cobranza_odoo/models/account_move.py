from collections import defaultdict

from odoo import Command, _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import format_date, frozendict

from ..engine import aging, collection_status, incentives
from . import bulk_write
from . import ledger_fragments as ledger
from .selections import COLLECTION_STATUSES


class AccountMove(models.Model):
    _name = "account.move"
    _inherit = ["account.move", "cobranza.credit.gate"]

    cobranza_credit_override_ids = fields.One2many(
        "cobranza.credit.override", "move_id", string="Credit Approvals", readonly=True
    )

    cobranza_status = fields.Selection(
        COLLECTION_STATUSES,
        string="Collection Status",
        readonly=True,
        copy=False,
        index=True,
        help="Refreshed every day and whenever the invoice is paid, disputed or reconciled.",
    )
    cobranza_dispute = fields.Boolean(
        string="In Dispute", tracking=True, copy=False, help="The customer contests this invoice: no reminder is sent."
    )
    cobranza_dispute_reason = fields.Char(string="Dispute Reason", tracking=True, copy=False)
    cobranza_dispute_date = fields.Date(string="Disputed Since", readonly=True, copy=False)
    cobranza_legal = fields.Boolean(
        string="Legal Collection", tracking=True, copy=False, help="Handed over to a lawyer or a collection agency."
    )
    cobranza_dunning_line_ids = fields.One2many("cobranza.dunning.line", "move_id", string="Reminders", readonly=True)
    cobranza_incentive_id = fields.Many2one(
        "cobranza.incentive",
        string="Early-Payment Incentive",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="The program whose tiers were offered when the invoice was posted.",
    )
    cobranza_incentive_deadline_ids = fields.One2many(
        "cobranza.incentive.deadline", "move_id", string="Early-Payment Deadlines", readonly=True, copy=False
    )
    cobranza_interest_document = fields.Boolean(
        string="Interest Document",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="This document charges interest (late-payment or agreement interest): it never bears late interest "
        "itself.",
    )
    cobranza_interest_charge_ids = fields.One2many(
        "cobranza.interest.charge", "interest_move_id", string="Interest Charges", readonly=True
    )
    cobranza_days_overdue = fields.Integer(
        string="Days Overdue",
        compute="_compute_cobranza_days_overdue",
        help="Days past due of the oldest open installment of this invoice (0 when nothing is overdue).",
    )

    @api.depends("line_ids.amount_residual", "line_ids.date_maturity")
    def _compute_cobranza_days_overdue(self):
        today = fields.Date.context_today(self)
        for move in self:
            days = [
                aging.days_past_due(line.date_maturity or line.date, today)
                for line in move.line_ids
                if ledger.is_open_receivable_line(line) and line.amount_residual > 0
            ]
            move.cobranza_days_overdue = max([0, *days])

    # ------------------------------------------------------------------ credit check on posting

    def _cobranza_credit_partner(self):
        return self.commercial_partner_id._origin

    def _cobranza_credit_amount(self):
        self.ensure_one()
        return abs(self.amount_total_signed)

    def _cobranza_credit_needs_check(self):
        """Customer invoices not coming from a confirmed order, when the company checks invoices.

        An invoice made from a confirmed order was already checked when the order was confirmed.
        """
        return (
            self.move_type == "out_invoice"
            and self.state == "draft"
            and self.company_id.root_id.cobranza_credit_check_invoices
            and not self.line_ids.sale_line_ids.order_id.filtered(lambda order: order.state == "sale")
        )

    def action_post(self):
        dialog, approvals = self._cobranza_credit_gate()
        if dialog:
            return dialog
        result = super().action_post()
        approvals._mark_used()
        return result

    def _post(self, soft=True):
        posted = super()._post(soft=soft)
        posted._cobranza_refresh_status_later()
        posted._cobranza_record_incentives()
        return posted

    def button_draft(self):
        result = super().button_draft()
        self._cobranza_clear_incentives()
        return result

    # ------------------------------------------------------------------ early-payment incentives

    def _cobranza_clear_incentives(self):
        offered = self.filtered("cobranza_incentive_id")
        if offered:
            offered.sudo().cobranza_incentive_deadline_ids.unlink()
            offered._cobranza_set_incentive(self.env["cobranza.incentive"])
            term_lines = offered.line_ids.filtered(lambda line: line.display_type == "payment_term")
            term_lines._cobranza_set_discount_date(False)

    def _cobranza_set_incentive(self, program):
        """Set the program in one UPDATE: a regular write on posted invoices re-synchronises each
        invoice's lines one by one, and nothing stored depends on this field."""
        bulk_write.bulk_set(self, self.ids, {"cobranza_incentive_id": program.id or False}, touch=False)

    def _cobranza_incentive_programs(self):
        """{invoice: program} for the invoices whose customer has a program: the customer's own,
        its segment's, or the company's default (one profile query per company)."""
        Profile = self.env["cobranza.partner.profile"].sudo()
        programs = {}
        Program = self.env["cobranza.incentive"].sudo()
        for company, moves in self.grouped(lambda move: move.company_id.root_id).items():
            if not Program.search_count([("company_id", "=", company.id)], limit=1):
                continue  # opt-in: without any program nothing is looked up
            profiles = Profile._get_profiles(moves.commercial_partner_id, company)
            by_partner = {profile.partner_id: profile for profile in profiles}
            for move in moves:
                profile = by_partner.get(move.commercial_partner_id)
                program = (
                    profile and (profile.incentive_id or profile.segment_id.incentive_id)
                ) or company.cobranza_incentive_id
                if program and program.company_id == company and program._applies_to(move.invoice_date):
                    programs[move] = program
        return programs

    def _cobranza_record_incentives(self):
        """At posting: record the program and each tier's deadline and amount on eligible invoices.

        Eligible: a customer invoice in one installment whose payment term has no early discount of
        its own (Odoo's then applies), with a positive total and a program for its customer.
        """
        self._cobranza_clear_incentives()
        candidates = self.filtered(
            lambda move: (
                move.move_type == "out_invoice"
                and not move.invoice_payment_term_id.early_discount
                and move.currency_id.compare_amounts(move.amount_total, 0.0) > 0
                and len(move.line_ids.filtered(lambda line: line.display_type == "payment_term")) == 1
            )
        )
        if not candidates:
            return
        deadline_values = []
        moves_by_program = defaultdict(lambda: self.browse())
        term_lines_by_date = defaultdict(lambda: self.env["account.move.line"])
        for move, program in candidates._cobranza_incentive_programs().items():
            offered = incentives.deadlines(
                move.invoice_date,
                program._engine_tiers(),
                program.tax_mode,
                move.amount_total,
                move.amount_untaxed,
                move.currency_id.rounding,
            )
            if program.tax_mode == "credit_note":
                # The discount is what the credit note will total, taxes computed as Odoo will.
                offered = [
                    incentives.Deadline(
                        item.tier,
                        item.deadline,
                        discount := move._cobranza_credit_note_total(item.tier.percent),
                        move.currency_id.round(move.amount_total - discount),
                    )
                    for item in offered
                ]
            moves_by_program[program] |= move
            # Odoo's portal reads the last discount date from the installment line.
            term_lines_by_date[offered[-1].deadline] |= move.line_ids.filtered(
                lambda line: line.display_type == "payment_term"
            )
            deadline_values += [
                {
                    "move_id": move.id,
                    "incentive_id": program.id,
                    "days": item.tier.days,
                    "percent": item.tier.percent,
                    "deadline": item.deadline,
                    "discount": item.discount,
                    "amount_to_pay": item.amount_to_pay,
                }
                for item in offered
            ]
        for program, moves in moves_by_program.items():
            moves._cobranza_set_incentive(program)
        for deadline, term_lines in term_lines_by_date.items():
            term_lines._cobranza_set_discount_date(deadline)
        self.env["cobranza.incentive.deadline"].sudo().create(deadline_values)

    def _cobranza_incentive_deadline(self, currency, payment_date=None):
        """The deadline in force for a payment in ``currency`` on ``payment_date`` (default today),
        or an empty recordset: wrong currency, already partly paid, or every deadline passed."""
        self.ensure_one()
        Deadline = self.env["cobranza.incentive.deadline"]
        if self.state != "posted" or self.currency_id != currency or not self.cobranza_incentive_deadline_ids:
            return Deadline
        term_lines = self.line_ids.filtered(lambda line: line.display_type == "payment_term")
        paid_before = term_lines.matched_debit_ids or term_lines.matched_credit_ids
        if paid_before and not self.env.context.get("cobranza_incentive_skip_paid_check"):
            return Deadline  # a partial payment or credit note already applied: no discount any more
        offered = {deadline._engine_deadline(): deadline for deadline in self.cobranza_incentive_deadline_ids}
        chosen = incentives.deadline_on(list(offered), payment_date or fields.Date.context_today(self))
        return offered[chosen] if chosen else Deadline

    def _cobranza_uses_incentive(self):
        self.ensure_one()
        return bool(self.cobranza_incentive_deadline_ids) and not self.invoice_payment_term_id.early_discount

    def _cobranza_incentive_date(self):
        return self.env.context.get("cobranza_incentive_date") or fields.Date.context_today(self)

    def _is_eligible_for_early_payment_discount(self, currency, reference_date):
        if not self._cobranza_uses_incentive():
            return super()._is_eligible_for_early_payment_discount(currency, reference_date)
        return bool(self._cobranza_incentive_deadline(currency, reference_date))

    def _get_invoice_counterpart_amls_for_early_payment_discount_per_payment_term_line(self):
        """The write-off lines of a program's discount, like Odoo's own early discount: one line on the
        discount account (untaxed mode), or base and tax lines that reduce the tax proportionally."""
        self.ensure_one()
        if not self._cobranza_uses_incentive():
            return super()._get_invoice_counterpart_amls_for_early_payment_discount_per_payment_term_line()
        result = {
            "term_lines": defaultdict(dict),
            "tax_lines": defaultdict(dict),
            "base_lines": defaultdict(dict),
        }
        deadline = self._cobranza_incentive_deadline(self.currency_id, self._cobranza_incentive_date())
        program = self.cobranza_incentive_id
        if not deadline or program.tax_mode == "credit_note":
            return result
        term_line = self.line_ids.filtered(lambda line: line.display_type == "payment_term")
        rate = term_line.balance / term_line.amount_currency if term_line.amount_currency else 1.0
        discount = deadline.discount
        discount_balance = self.company_currency_id.round(discount * rate)
        label = self._cobranza_incentive_label(deadline)
        account = program.discount_account_id
        tax_lines = self.line_ids.filtered(lambda line: line.display_type == "tax")
        if program.tax_mode == "excluded" or not tax_lines:
            result["term_lines"][term_line][frozendict({"account_id": account.id})] = {
                "name": label,
                "partner_id": term_line.partner_id.id,
                "currency_id": term_line.currency_id.id,
                "amount_currency": discount,
                "balance": discount_balance,
            }
            return result
        # Tax included: the discount is this share of every base and tax line, booked in reverse.
        share = discount / self.amount_total
        for tax_line in tax_lines:
            invoice_rep = tax_line.tax_repartition_line_id
            tax = invoice_rep.tax_id
            refund_rep = tax.refund_repartition_line_ids.sorted(lambda rep: (rep.sequence, rep.id))[
                list(tax.invoice_repartition_line_ids.sorted(lambda rep: (rep.sequence, rep.id))).index(invoice_rep)
            ]
            key = frozendict(
                {
                    "account_id": tax_line.account_id.id,
                    "partner_id": tax_line.partner_id.id,
                    "currency_id": tax_line.currency_id.id,
                    "analytic_distribution": tax_line.analytic_distribution,
                    "tax_repartition_line_id": refund_rep.id,
                    "tax_ids": [Command.set(tax_line.tax_ids.ids)],
                    "tax_tag_ids": [Command.set(refund_rep.tag_ids.ids)],
                    "group_tax_id": tax_line.group_tax_id.id,
                }
            )
            values = result["tax_lines"][term_line].setdefault(
                key,
                {"name": _("%(label)s (%(tax)s)", label=label, tax=tax.name), "amount_currency": 0.0, "balance": 0.0},
            )
            values["amount_currency"] += self.currency_id.round(-tax_line.amount_currency * share)
            values["balance"] += self.company_currency_id.round(-tax_line.balance * share)
        for line in self.line_ids.filtered(lambda line: line.display_type == "product"):
            base_tags = line.tax_ids.refund_repartition_line_ids.filtered(
                lambda rep: rep.repartition_type == "base"
            ).tag_ids
            key = frozendict(
                {
                    "account_id": account.id,
                    "partner_id": term_line.partner_id.id,
                    "currency_id": term_line.currency_id.id,
                    "analytic_distribution": line.analytic_distribution,
                    "tax_ids": [Command.set(line.tax_ids.ids)],
                    "tax_tag_ids": [Command.set(base_tags.ids)],
                }
            )
            values = result["base_lines"][term_line].setdefault(
                key, {"name": label, "amount_currency": 0.0, "balance": 0.0}
            )
            values["amount_currency"] += self.currency_id.round(-line.amount_currency * share)
            values["balance"] += self.company_currency_id.round(-line.balance * share)
        # Rounding: the largest base line absorbs the difference so the lines add up to the discount.
        written = [*result["base_lines"][term_line].values(), *result["tax_lines"][term_line].values()]
        largest = max(result["base_lines"][term_line].values(), key=lambda values: values["amount_currency"])
        largest["amount_currency"] += discount - sum(values["amount_currency"] for values in written)
        largest["balance"] += discount_balance - sum(values["balance"] for values in written)
        return result

    def _cobranza_credit_note_line_values(self, percent, label):
        """Lines of the credit note granting ``percent`` % of this invoice: one per set of taxes."""
        self.ensure_one()
        bases = defaultdict(float)
        for line in self.invoice_line_ids.filtered(lambda line: line.display_type == "product"):
            bases[line.tax_ids] += line.price_subtotal
        return [
            {
                "name": label,
                "account_id": self.cobranza_incentive_id.discount_account_id.id,
                "quantity": 1.0,
                "price_unit": self.currency_id.round(base * percent / 100.0),
                "tax_ids": [Command.set(taxes.ids)],
            }
            for taxes, base in bases.items()
            if not self.currency_id.is_zero(base * percent / 100.0)
        ]

    def _cobranza_credit_note_total(self, percent):
        total = 0.0
        for values in self._cobranza_credit_note_line_values(percent, ""):
            taxes = self.env["account.tax"].browse(values["tax_ids"][0][2])
            total += taxes.compute_all(
                values["price_unit"], currency=self.currency_id, quantity=1.0, partner=self.partner_id
            )["total_included"]
        return self.currency_id.round(total)

    def _cobranza_grant_by_credit_note(self, deadline):
        """Credit-note mode: once the discounted amount is paid, a posted credit note for the discount
        settles the rest of the invoice."""
        self.ensure_one()
        label = self._cobranza_incentive_label(deadline)
        refund = (
            self.env["account.move"]
            .sudo()
            .create(
                {
                    "move_type": "out_refund",
                    "partner_id": self.partner_id.id,
                    "journal_id": self.journal_id.id,
                    "currency_id": self.currency_id.id,
                    "company_id": self.company_id.id,
                    "invoice_date": self._cobranza_incentive_date(),
                    "reversed_entry_id": self.id,
                    "ref": label,
                    "invoice_origin": self.name,
                    "invoice_line_ids": [
                        Command.create(values)
                        for values in self._cobranza_credit_note_line_values(deadline.percent, label)
                    ],
                }
            )
        )
        refund.action_post()
        (refund + self).line_ids.filtered(
            lambda line: ledger.is_receivable_line(line) and not line.reconciled
        ).reconcile()
        self.message_post(body=_("Early-payment discount granted by credit note %s.", refund._get_html_link()))
        return refund

    def js_assign_outstanding_line(self, line_id):
        """Applying an outstanding payment from the invoice grants the discount when the payment is
        dated inside a tier and pays exactly the discounted amount; anything else reconciles as usual."""
        self.ensure_one()
        payment_line = self.env["account.move.line"].browse(line_id)
        deadline = self.env["cobranza.incentive.deadline"]
        if self._cobranza_uses_incentive() and payment_line.currency_id == self.currency_id:
            deadline = self._cobranza_incentive_deadline(self.currency_id, payment_line.date)
            if deadline and self.currency_id.compare_amounts(
                -payment_line.amount_residual_currency, deadline.amount_to_pay
            ):
                deadline = self.env["cobranza.incentive.deadline"]
        result = super().js_assign_outstanding_line(line_id)
        if deadline:
            self._cobranza_grant_incentive_if_earned(deadline, payment_line.date)
        return result

    def _cobranza_grant_incentive_if_earned(self, deadline, payment_date):
        """After a payment dated inside ``deadline``'s tier: grant the discount when the payment left
        exactly the discount open (by credit note or write-off, as the program says). The one place
        the payment wizard, online payments and applied outstanding payments grant discounts."""
        self.ensure_one()
        if not incentives.discount_earned(self.amount_residual, deadline.discount, self.currency_id.rounding):
            return self.env["account.move"]
        granting = self.with_context(cobranza_incentive_date=payment_date)
        if self.cobranza_incentive_id.tax_mode == "credit_note":
            return granting._cobranza_grant_by_credit_note(deadline)
        return granting._cobranza_grant_by_write_off(deadline)

    def _cobranza_grant_by_write_off(self, deadline):
        """A journal entry writing the discount off against the invoice, with the same lines the
        payment wizard would have added to the payment."""
        self.ensure_one()
        term_line = self.line_ids.filtered(lambda line: line.display_type == "payment_term")
        # The invoice is partly paid now: compute the lines as of before the payment.
        counterpart = self.with_context(cobranza_incentive_skip_paid_check=True)
        counterpart = counterpart._get_invoice_counterpart_amls_for_early_payment_discount_per_payment_term_line()
        label = self._cobranza_incentive_label(deadline)
        lines = []
        for kind in ("term_lines", "tax_lines", "base_lines"):
            for grouping, values in counterpart[kind][term_line].items():
                lines.append(
                    {
                        "partner_id": term_line.partner_id.id,
                        "currency_id": self.currency_id.id,
                        **grouping,
                        **values,
                        "display_type": "epd",
                    }
                )
        lines.append(
            {
                "name": label,
                "account_id": term_line.account_id.id,
                "partner_id": term_line.partner_id.id,
                "currency_id": self.currency_id.id,
                "amount_currency": -sum(values["amount_currency"] for values in lines),
                "balance": -sum(values["balance"] for values in lines),
            }
        )
        journal = self.env["account.journal"].search(
            [*self.env["account.journal"]._check_company_domain(self.company_id), ("type", "=", "general")], limit=1
        )
        entry = (
            self.env["account.move"]
            .sudo()
            .create(
                {
                    "move_type": "entry",
                    "journal_id": journal.id,
                    "company_id": self.company_id.id,
                    "date": self._cobranza_incentive_date(),
                    "ref": label,
                    "line_ids": [Command.create(values) for values in lines],
                }
            )
        )
        entry.action_post()
        (entry.line_ids + term_line).filtered(
            lambda line: line.account_id == term_line.account_id and not line.reconciled
        ).reconcile()
        self.message_post(body=_("Early-payment discount granted by entry %s.", entry._get_html_link()))
        return entry

    @api.model
    def _get_invoice_counterpart_amls_for_early_payment_discount(self, aml_values_list, open_balance):
        # The payment wizard passes the payment date in this environment's context; the lines it
        # hands over were read without it.
        if self.env.context.get("cobranza_incentive_date"):
            aml_values_list = [{**values, "aml": values["aml"].with_env(self.env)} for values in aml_values_list]
        return super()._get_invoice_counterpart_amls_for_early_payment_discount(aml_values_list, open_balance)

    def _cobranza_incentive_label(self, deadline):
        return _(
            "Early-payment discount %(percent)s%% (%(program)s, paid by %(date)s) on %(invoice)s",
            percent=format(deadline.percent, "g"),
            program=deadline.incentive_id.name,
            date=format_date(self.env, deadline.deadline),
            invoice=self.name,
        )

    def _get_invoice_next_payment_values(self, custom_amount=None):
        values = super()._get_invoice_next_payment_values(custom_amount=custom_amount)
        if values.get("installment_state") != "epd" or not self._cobranza_uses_incentive():
            return values
        today = fields.Date.context_today(self)
        deadline = self._cobranza_incentive_deadline(self.currency_id, today)
        if deadline:
            values.update(
                {
                    "discount_date": fields.Date.to_string(deadline.deadline),
                    "epd_days_left": (deadline.deadline - today).days,
                    "epd_discount_msg": _(
                        "Pay %(amount)s by %(date)s and save %(discount)s",
                        amount=self.currency_id.format(deadline.amount_to_pay),
                        date=format_date(self.env, deadline.deadline),
                        discount=self.currency_id.format(deadline.discount),
                    ),
                }
            )
        return values

    def _cobranza_incentive_offers(self, today=None):
        """Deadlines still open on ``today`` (default today), for printed documents and reminders."""
        self.ensure_one()
        today = today or fields.Date.context_today(self)
        if self.payment_state not in ("not_paid",) or not self._cobranza_uses_incentive():
            return self.env["cobranza.incentive.deadline"]
        return self.cobranza_incentive_deadline_ids.filtered(lambda deadline: deadline.deadline >= today)

    # ------------------------------------------------------------------ dispute and collection status

    @api.constrains("cobranza_dispute", "cobranza_dispute_reason")
    def _check_cobranza_dispute_reason(self):
        for move in self:
            if move.cobranza_dispute and not (move.cobranza_dispute_reason or "").strip():
                raise ValidationError(_("Say why the customer disputes %s.", move.display_name))

    def write(self, vals):
        if "cobranza_legal" in vals and not self.env.su:
            if not self.env.user.has_group("cobranza_odoo.group_cobranza_manager"):
                raise AccessError(_("Only Collections Managers hand invoices over to legal collection."))
        if "cobranza_dispute" in vals:
            vals = {
                **vals,
                "cobranza_dispute_date": fields.Date.context_today(self) if vals["cobranza_dispute"] else False,
            }
            if not vals["cobranza_dispute"]:
                vals["cobranza_dispute_reason"] = False
        result = super().write(vals)
        if {"cobranza_dispute", "cobranza_legal"} & set(vals):
            self._cobranza_refresh_status()
        elif "state" in vals:
            self._cobranza_refresh_status_later()
        if vals.get("state") == "cancel":
            self._cobranza_free_interest_days()
        return result

    def _cobranza_free_interest_days(self):
        """A cancelled interest document frees its days (its charges no longer count): the installments
        it charged are read again by the next interest run."""
        lines = self.filtered("cobranza_interest_document").sudo().cobranza_interest_charge_ids.move_line_id
        bulk_write.bulk_set(lines, lines.ids, {"cobranza_interest_done": False}, touch=False)

    def action_cobranza_new_promise(self):
        """Log a promise to pay for this invoice's open installments."""
        self.ensure_one()
        lines = self.line_ids.filtered(lambda line: ledger.is_open_receivable_line(line) and line.amount_residual > 0)
        return self.env["cobranza.agreement"]._new_action(self.commercial_partner_id, lines, "promise")

    def action_cobranza_interest_statement(self):
        """The interest statement of these invoices' customers, limited to these invoices."""
        invoices = self.filtered(lambda move: move.move_type == "out_invoice" and move.state == "posted")
        if not invoices:
            raise UserError(_("Choose posted customer invoices."))
        partners = invoices.commercial_partner_id
        return self.env.ref("cobranza_odoo.action_report_interest_statement").report_action(
            partners, data={"move_ids": invoices.ids, "partner_ids": partners.ids}
        )

    def _cobranza_refresh_status_later(self):
        """Refresh the collection status of these invoices once, just before the transaction commits.

        Posting and reconciling run in bulk in many Odoo flows: batching the refresh at commit
        costs one refresh per transaction instead of one per call, and keeps Odoo's own query
        counts unchanged.
        """
        invoice_ids = self.filtered(lambda move: move.move_type == "out_invoice").ids
        if not invoice_ids:
            return
        pending = self.env.cr.precommit.data.setdefault("cobranza.status.invoices", set())
        if not pending:
            self.env.cr.precommit.add(self._cobranza_run_pending_status_refresh)
        pending.update(invoice_ids)

    def _cobranza_run_pending_status_refresh(self):
        invoice_ids = self.env.cr.precommit.data.pop("cobranza.status.invoices", set())
        invoices = self.env["account.move"].sudo().browse(invoice_ids).exists()
        agreements = (
            self.env["cobranza.agreement"]
            .sudo()
            .search([("state", "=", "active"), ("line_ids.move_id", "in", invoices.ids)])
        )
        agreements._refresh_progress()  # a payment may complete (or a reversal reopen) an agreement
        invoices.filtered(lambda move: move.state != "posted" and move.cobranza_status).cobranza_status = False
        invoices._cobranza_refresh_status()
        self.env.flush_all()  # called after the main flush, just before commit

    def _cobranza_refresh_status(self, today=None):
        """Recompute the collection status of these invoices and of their customers; write only changes."""
        invoices = self.filtered(lambda move: move.move_type == "out_invoice")
        if not invoices:
            return
        today = today or fields.Date.context_today(self)
        Facts = self.env["cobranza.receivable.facts"]
        for company, moves in invoices.grouped(lambda move: Facts._scope_company(move.company_id)).items():
            partners = moves.commercial_partner_id
            self.env["cobranza.partner.profile"]._get_profiles(partners, company)._refresh_statuses(today)

    @api.model
    def _cobranza_compute_statuses(self, rows, open_lines, company, today):
        """{move id: status} for rows of ``_invoices_to_classify`` (the rule lives in the engine)."""
        installments = defaultdict(list)
        for line in open_lines:
            if line.residual > 0:
                installments[line.move_id].append((line.date_maturity, line.residual))
        agreed = self.env["cobranza.receivable.facts"]._moves_under_agreement([row[0] for row in rows], today)
        return {
            move_id: collection_status.invoice_status(
                installments.get(move_id, []),
                today,
                in_dispute=dispute,
                under_agreement=move_id in agreed,
                legal=legal,
                due_soon_days=company.cobranza_due_soon_days,
                serious_days=company.cobranza_serious_days,
                tolerance=company.cobranza_tolerance_amount,
            )
            for move_id, _partner, _stored, dispute, legal in rows
        }
