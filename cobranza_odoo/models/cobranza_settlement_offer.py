from odoo import Command, _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import format_date

from ..engine import interest
from . import ledger_fragments as ledger

# Offers still waiting for the customer (or a manager): shown on letters and statements, checked daily.
OPEN_STATES = ("to_approve", "offered")
# How many offers one call of the daily scheduled action checks.
OFFER_BATCH_SIZE = 200


class CobranzaSettlementOffer(models.Model):
    """ "Pay X by date D and we waive the interest (and/or p % of the principal)" for some invoices.

    A collector prepares it; a waiver above the company's threshold waits for a Collections
    Manager. Once offered it shows on collection letters and statements. Real payments on the
    covered documents since it was offered decide its fate (the engine's ``settlement_outcome``):
    paid in full by the deadline, the waived amount is written off automatically, once, by credit
    notes against the covered documents; past the deadline it lapses and nothing changes.
    """

    _name = "cobranza.settlement.offer"
    _description = "Settlement Offer"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "id desc"
    _check_company_auto = True

    name = fields.Char(readonly=True, copy=False, default="/")
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
            ("offered", "Offered"),
            ("fulfilled", "Fulfilled"),
            ("lapsed", "Lapsed"),
            ("cancelled", "Cancelled"),
        ],
        default="draft",
        required=True,
        readonly=True,
        tracking=True,
        index=True,
        copy=False,
    )
    move_ids = fields.Many2many(
        "account.move",
        "cobranza_settlement_offer_move_rel",
        "offer_id",
        "move_id",
        string="Covered Invoices",
        domain="[('commercial_partner_id', '=', partner_id), ('move_type', '=', 'out_invoice'), "
        "('state', '=', 'posted'), ('payment_state', 'in', ('not_paid', 'partial')), "
        "('cobranza_interest_document', '=', False)]",
    )
    interest_move_ids = fields.Many2many(
        "account.move",
        "cobranza_settlement_offer_interest_rel",
        "offer_id",
        "move_id",
        string="Interest Documents",
        domain="[('commercial_partner_id', '=', partner_id), ('move_type', '=', 'out_invoice'), "
        "('state', '=', 'posted'), ('payment_state', 'in', ('not_paid', 'partial')), "
        "('cobranza_interest_document', '=', True)]",
        help="Interest already invoiced that the offer covers (and waives, if it waives the interest).",
    )
    deadline = fields.Date(
        required=True, tracking=True, help="The customer must have paid the amount to pay by this day (included)."
    )
    waive_interest = fields.Boolean(
        string="Waive the Interest",
        default=True,
        tracking=True,
        help="The invoiced interest of the covered documents is waived, and so is the interest the covered "
        "invoices accrue until they are paid.",
    )
    waive_percent = fields.Float(
        string="Waive Principal (%)", digits=(16, 2), tracking=True, help="Share of the principal waived as well."
    )
    principal_amount = fields.Monetary(
        string="Principal Owed", compute="_compute_amounts", store=True, help="What the covered invoices still owe."
    )
    interest_amount = fields.Monetary(
        string="Interest Owed", compute="_compute_amounts", store=True, help="What the interest documents still owe."
    )
    waived_interest = fields.Monetary(compute="_compute_amounts", store=True)
    waived_principal = fields.Monetary(compute="_compute_amounts", store=True)
    waived_amount = fields.Monetary(string="Waived", compute="_compute_amounts", store=True, tracking=True)
    amount_to_pay = fields.Monetary(string="Amount to Pay", compute="_compute_amounts", store=True, tracking=True)
    needs_approval = fields.Boolean(
        compute="_compute_needs_approval", help="The waiver is above the company's threshold: a manager approves it."
    )
    offered_on = fields.Date(readonly=True, copy=False)
    approved_by_id = fields.Many2one("res.users", readonly=True, copy=False)
    checked_on = fields.Date(readonly=True, copy=False, help="When the payments were last checked.")
    paid_amount = fields.Monetary(string="Paid So Far", readonly=True, copy=False)
    fulfilled_on = fields.Date(readonly=True, copy=False)
    lapsed_on = fields.Date(readonly=True, copy=False)
    writeoff_move_ids = fields.Many2many(
        "account.move",
        "cobranza_settlement_offer_writeoff_rel",
        "offer_id",
        "move_id",
        string="Write-off Credit Notes",
        readonly=True,
        copy=False,
    )
    written_off_amount = fields.Monetary(string="Written Off", readonly=True, copy=False)
    waived_accrued_interest = fields.Monetary(
        string="Accrued Interest Waived",
        readonly=True,
        copy=False,
        help="Interest the covered invoices had accrued but not been invoiced when the offer was fulfilled: "
        "never charged.",
    )
    note = fields.Text(string="Terms")

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                vals["name"] = self.env["ir.sequence"].next_by_code("cobranza.settlement.offer") or "/"
        return super().create(vals_list)

    @api.depends(
        "move_ids.amount_residual",
        "interest_move_ids.amount_residual",
        "waive_interest",
        "waive_percent",
        "currency_id",
    )
    def _compute_amounts(self):
        for offer in self.filtered(lambda record: record.state in ("draft", False)):
            principal = offer._open_amount(offer.move_ids)
            interest_due = offer._open_amount(offer.interest_move_ids)
            try:
                waiver = interest.settlement_waiver(
                    max(principal, 0.0),
                    max(interest_due, 0.0),
                    offer.waive_interest,
                    offer.waive_percent,
                    offer.currency_id.rounding or 0.01,
                )
            except interest.InterestError:
                waiver = interest.SettlementWaiver(principal + interest_due, 0.0, 0.0, 0.0)
            offer.principal_amount = principal
            offer.interest_amount = interest_due
            offer.waived_interest = waiver.waived_interest
            offer.waived_principal = waiver.waived_principal
            offer.waived_amount = waiver.waived_amount
            offer.amount_to_pay = waiver.amount_to_pay

    def _open_amount(self, moves):
        """What ``moves`` still owe, in the offer's currency."""
        self.ensure_one()
        field = "amount_residual" if self.currency_id == self.company_id.currency_id else "amount_residual_currency"
        return sum(
            line[field] for line in moves.line_ids if ledger.is_open_receivable_line(line) and line.amount_residual > 0
        )

    @api.depends("waived_amount", "company_id.cobranza_settlement_approval_amount")
    def _compute_needs_approval(self):
        for offer in self:
            offer.needs_approval = interest.needs_approval(
                offer.waived_amount,
                max(offer.company_id.cobranza_settlement_approval_amount, 0.0),
                offer.currency_id.rounding or 0.01,
            )

    @api.constrains("waive_percent")
    def _check_waive_percent(self):
        for offer in self:
            if not 0 <= offer.waive_percent <= 100:
                raise ValidationError(_("The share of the principal waived is a percentage between 0 and 100."))

    @api.constrains("move_ids", "interest_move_ids", "partner_id", "currency_id")
    def _check_documents(self):
        for offer in self:
            moves = offer.move_ids | offer.interest_move_ids
            if moves.commercial_partner_id - offer.partner_id:
                raise ValidationError(_("A settlement offer covers documents of its own customer only."))
            if moves.currency_id - offer.currency_id:
                raise ValidationError(_("The documents of a settlement offer must all be in the offer's currency."))

    @api.onchange("partner_id")
    def _onchange_partner_id(self):
        """Prefill the customer's overdue invoices and the interest documents still owed."""
        if not self.partner_id:
            return
        lines = self.env["cobranza.receivable.facts"]._overdue_lines(self.partner_id, self.company_id)
        moves = lines.move_id
        self.move_ids = moves.filtered(lambda move: not move.cobranza_interest_document)
        self.interest_move_ids = moves.filtered("cobranza_interest_document")
        if moves:
            self.currency_id = moves[:1].currency_id

    # ------------------------------------------------------------------ workflow

    def action_submit(self):
        """Make the offer: above the company's threshold it waits for a Collections Manager."""
        today = fields.Date.context_today(self)
        for offer in self:
            if offer.state != "draft":
                raise UserError(_("Only draft offers can be submitted."))
            if not offer.move_ids and not offer.interest_move_ids:
                raise UserError(_("Choose the invoices the offer covers."))
            if offer.deadline < today:
                raise UserError(_("The deadline of the offer has passed: choose a later one."))
            if offer.currency_id.compare_amounts(offer.amount_to_pay, 0.0) <= 0:
                raise UserError(_("The amount to pay must be positive: waive less."))
            if offer.needs_approval:
                offer.state = "to_approve"
                offer._ask_approval()
            else:
                offer._offer(today)
        return True

    def _ask_approval(self):
        for offer in self:
            for manager in offer.company_id._cobranza_managers():
                offer.sudo().activity_schedule(
                    "mail.mail_activity_data_todo",
                    user_id=manager.id,
                    summary=_("Approve settlement offer %s", offer.name),
                )

    def action_approve(self):
        if not self.env.su and not self.env.user.has_group("cobranza_odoo.group_cobranza_manager"):
            raise AccessError(_("Only Collections Managers approve settlement offers."))
        today = fields.Date.context_today(self)
        for offer in self:
            if offer.state != "to_approve":
                raise UserError(_("Only offers waiting for approval can be approved."))
            if offer.deadline < today:
                raise UserError(_("The deadline of the offer has passed: put it back to draft and change it."))
            offer.approved_by_id = self.env.user
            offer.sudo().activity_ids.action_feedback(feedback=_("Approved"))
            offer._offer(today)
        return True

    def _offer(self, today):
        self.write({"state": "offered", "offered_on": today, "checked_on": False})
        for offer in self:
            offer.message_post(
                body=_(
                    "Offer made: pay %(amount)s by %(date)s and %(waived)s is waived.",
                    amount=offer.currency_id.format(offer.amount_to_pay),
                    date=format_date(self.env, offer.deadline),
                    waived=offer.currency_id.format(offer.waived_amount),
                )
            )

    def action_cancel(self):
        for offer in self:
            if offer.state not in ("draft", "to_approve", "offered"):
                raise UserError(_("Only draft, waiting or open offers can be cancelled."))
        self.sudo().activity_ids.unlink()
        self.write({"state": "cancelled"})
        return True

    def action_draft(self):
        for offer in self:
            if offer.state not in ("to_approve", "cancelled"):
                raise UserError(_("Only waiting or cancelled offers go back to draft."))
        self.write({"state": "draft", "approved_by_id": False, "offered_on": False})
        self.modified(["waive_percent"])  # the amounts follow the documents again
        return True

    def action_check_payments(self):
        self._check_outcome(fields.Date.context_today(self))
        return True

    # ------------------------------------------------------------------ outcome

    def _covered_lines(self):
        self.ensure_one()
        return (self.move_ids | self.interest_move_ids).line_ids.filtered(ledger.is_receivable_line)

    def _payments(self):
        """{offer: [(date, amount)]}: real payments on the covered documents since the offer was made,
        in the offer's currency (the facts layer decides what a real payment is)."""
        result = {offer: [] for offer in self}
        dated = self.filtered("offered_on")
        if not dated:
            return result
        lines = self.env["account.move.line"]
        for offer in dated:
            lines |= offer._covered_lines()
        payments = self.env["cobranza.receivable.facts"]._payments_on_lines(
            lines.ids, since=min(dated.mapped("offered_on"))
        )
        by_line = {}
        for payment in payments:
            by_line.setdefault(payment.line_id, []).append(payment)
        for offer in dated:
            in_company_currency = offer.currency_id == offer.company_id.currency_id
            for line_id in offer._covered_lines().ids:
                for payment in by_line.get(line_id, ()):
                    if payment.date >= offer.offered_on:
                        result[offer].append(
                            (payment.date, payment.amount if in_company_currency else payment.amount_currency)
                        )
        return result

    def _check_outcome(self, today):
        """Judge the open offers on ``today``: fulfilled ones are written off, expired ones lapse."""
        waiting = self.filtered(lambda offer: offer.state == "to_approve" and offer.deadline < today)
        for offer in waiting:
            offer._lapse(today)
        offered = self.filtered(lambda offer: offer.state == "offered")
        payments = offered._payments()
        for offer in offered:
            outcome = interest.settlement_outcome(
                offer.amount_to_pay, offer.deadline, payments[offer], today, offer.currency_id.rounding
            )
            values = {"checked_on": today}
            if offer.paid_amount != outcome.paid:
                values["paid_amount"] = outcome.paid
            offer.write(values)
            if outcome.state == "fulfilled":
                offer._fulfil(outcome.fulfilled_on, today)
            elif outcome.state == "lapsed":
                offer._lapse(today)
        return offered

    def _lapse(self, today):
        self.ensure_one()
        self.sudo().activity_ids.unlink()
        self.write({"state": "lapsed", "lapsed_on": today})
        self.message_post(body=_("The deadline passed without the full payment: the offer lapsed, nothing was waived."))

    def _fulfil(self, fulfilled_on, today):
        """Paid in full by the deadline: write the waiver off, exactly once."""
        self.ensure_one()
        if self.state != "offered":
            return self.env["account.move"]
        # Whatever documents the payments went to, what is still open is the waiver: interest
        # documents are cleared first, then the invoices, oldest first.
        ordered = self.interest_move_ids.sorted(self._writeoff_order) + self.move_ids.sorted(self._writeoff_order)
        shares = interest.allocate_in_order(
            self.waived_amount, [self._open_amount(move) for move in ordered], self.currency_id.rounding
        )
        credit_notes = self.env["account.move"]
        for move, share in zip(ordered, shares, strict=True):
            if not self.currency_id.is_zero(share):
                kind = "interest" if move.cobranza_interest_document else "principal"
                credit_notes |= self._write_off(move, share, kind, today)
        accrued = 0.0
        if self.waive_interest:
            accrued = self.env["cobranza.interest.run"]._waive_uncharged(self, self.move_ids, fulfilled_on)
        written_off = self.currency_id.round(sum(credit_notes.mapped("amount_total")))
        self.write(
            {
                "state": "fulfilled",
                "fulfilled_on": fulfilled_on,
                "writeoff_move_ids": [Command.set(credit_notes.ids)],
                "written_off_amount": written_off,
                "waived_accrued_interest": accrued,
            }
        )
        self.message_post(
            body=_(
                "Paid in full by the deadline: %(amount)s written off by %(notes)s.",
                amount=self.currency_id.format(written_off),
                notes=", ".join(credit_notes.mapped("name")) or "-",
            )
        )
        return credit_notes

    @staticmethod
    def _writeoff_order(move):
        return move.invoice_date_due or move.invoice_date or move.date, move.id

    def _write_off(self, move, amount, kind, today):
        """A posted credit note of ``amount`` against ``move``, reconciled with it."""
        values = self._prepare_writeoff_values(move, amount, kind, today)
        credit_note = self.env["account.move"].sudo().with_company(move.company_id).create(values)
        credit_note.action_post()
        (credit_note.line_ids | move.line_ids).filtered(
            lambda line: ledger.is_receivable_line(line) and not line.reconciled
        ).reconcile()
        return credit_note

    def _writeoff_account(self, move, kind):
        """Interest is reversed on the interest document's own income account; the principal waived goes
        to the company's settlement account, else back against the invoice's first income line."""
        self.ensure_one()
        product_lines = move.invoice_line_ids.filtered(lambda line: line.display_type == "product")
        if kind == "principal" and self.company_id.cobranza_settlement_account_id:
            return self.company_id.cobranza_settlement_account_id
        return product_lines[:1].account_id

    def _prepare_writeoff_values(self, move, amount, kind, today):
        """Values of the credit note writing ``amount`` of ``move`` off (integrators add taxes or journals)."""
        label = (
            _("Interest waived by settlement offer %(offer)s on %(document)s", offer=self.name, document=move.name)
            if kind == "interest"
            else _(
                "Principal waived by settlement offer %(offer)s on %(document)s", offer=self.name, document=move.name
            )
        )
        return {
            "move_type": "out_refund",
            "partner_id": move.partner_id.id,
            "currency_id": move.currency_id.id,
            "invoice_date": today,
            "reversed_entry_id": move.id,
            "ref": label,
            "invoice_origin": self.name,
            "invoice_line_ids": [
                Command.create(
                    {
                        "name": label,
                        "quantity": 1,
                        "price_unit": amount,
                        "account_id": self._writeoff_account(move, kind).id,
                        "tax_ids": [Command.clear()],
                    }
                )
            ],
        }

    # ------------------------------------------------------------------ daily run

    @api.model
    def _cron_check_offers(self, batch_size=OFFER_BATCH_SIZE):
        """Scheduled action (daily): fulfil or lapse open offers, one bounded batch per call.

        ``checked_on`` marks the offers judged today, so a repeated run skips them.
        """
        today = fields.Date.context_today(self)
        domain = [
            "|",
            "&",
            ("state", "=", "offered"),
            "|",
            ("checked_on", "=", False),
            ("checked_on", "<", today),
            "&",
            ("state", "=", "to_approve"),
            ("deadline", "<", today),
        ]
        batch = self.sudo().search(domain, limit=batch_size, order="id")
        batch._check_outcome(today)
        remaining = self.sudo().search_count(domain)
        self.env["ir.cron"]._notify_progress(done=len(batch), remaining=remaining)
        return batch

    @api.model
    def _open_offers(self, partner, company, on_date):
        """Offers made to ``partner`` in ``company`` still open on ``on_date``, for letters and statements."""
        return self.sudo().search(
            [
                ("partner_id", "=", partner.commercial_partner_id.id),
                ("company_id", "=", company.root_id.id),
                ("state", "=", "offered"),
                ("deadline", ">=", on_date),
            ],
            order="deadline, id",
        )
