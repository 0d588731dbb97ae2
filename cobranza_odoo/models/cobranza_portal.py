import uuid
from collections import defaultdict
from datetime import timedelta
from urllib.parse import urlencode

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import format_date

from ..engine import aging, self_service
from . import bulk_write
from . import ledger_fragments as ledger

PAY_SCOPES = ("overdue", "all")


class CobranzaPortal(models.AbstractModel):
    """What the customer sees and does on their own: the statement page, the pay links, promises and
    disputes from the portal (the controllers in ``controllers/portal.py`` only check access and render).

    Every method takes the customer's collections profile (one customer in one company) and works in
    sudo: the caller has checked that the visitor is that customer (signed link or own portal user), and
    nothing outside that customer and company is ever read. The open items come from the facts layer
    (one query); the rules (amount of a pay link, what a promise may say) from ``engine/self_service``.
    """

    _name = "cobranza.portal"
    _description = "Collections: customer portal"

    # ------------------------------------------------------------------ reading

    @api.model
    def _today(self, profile):
        """The customer's own day (their time zone, as the contact rules read it)."""
        zone = self.env["cobranza.contact.gate"]._zone_name(profile.partner_id, profile.company_id)
        return fields.Date.context_today(self.with_context(tz=zone))

    @api.model
    def _invoice_urls(self, moves):
        """{invoice id: absolute link to its portal page, signed with its access token}; the missing
        tokens are made in one UPDATE."""
        moves = moves.sudo()
        # only what the links need: reading an invoice in full (a hundred columns) for its token costs
        # a batch of reminders more than the rest of its links
        moves.fetch(["access_token", "move_type"])
        missing = moves.filtered(lambda move: not move.access_token)
        if missing:
            bulk_write.bulk_update(
                moves, {move.id: {"access_token": str(uuid.uuid4())} for move in missing}, ("access_token",)
            )
        base_url = moves[:1].get_base_url() if moves else ""
        return {
            move.id: f"{base_url}{move.access_url}?{urlencode({'access_token': move.access_token})}" for move in moves
        }

    @api.model
    def _open_items(self, profile):
        """(debt lines, credit lines, ids of the lines under an active agreement) of the customer in the
        profile's company, as sudo records; two queries whatever the number of invoices."""
        Facts = self.env["cobranza.receivable.facts"]
        rows = Facts._open_receivables(profile.partner_id.ids, profile.company_id)
        lines = self.env["account.move.line"].sudo().browse([row.line_id for row in rows])
        debts = lines.filtered(lambda line: line.amount_residual > 0)
        agreed = Facts._lines_under_agreement(debts.ids)
        return debts, lines - debts, agreed

    @api.model
    def _due(self, line):
        return line.date_maturity or line.date

    # ------------------------------------------------------------------ paying

    @api.model
    def _pay_lines(self, profile, scope="all", dunning=None, today=None):
        """The open installments a pay link settles: what ``dunning`` lists and is still open, or the
        customer's overdue (``scope`` "overdue") or open ("all") installments. Disputed invoices are
        never in a pay link."""
        today = today or self._today(profile)
        debts, _credits, _agreed = self._open_items(profile)
        debts = debts.filtered(lambda line: not line.move_id.cobranza_dispute)
        if dunning:
            return debts & dunning.sudo().line_ids.move_line_id
        if scope == "overdue":
            return debts.filtered(lambda line: self._due(line) < today)
        return debts

    @api.model
    def _pay_groups(self, lines):
        """What paying these installments takes now: [{company, currency, moves, total, full_amount,
        discount, discounts: {invoice id: discount}}], one per company and currency (the engine decides).

        An invoice whose early-payment discount (Odoo's own, or a program's tier) is open today is paid at
        its discounted amount when all its open installments are in the link.
        """
        by_move = lines.grouped("move_id")
        discounted = self._discounted_amounts(by_move)
        items_by_currency = defaultdict(list)
        for move, move_lines in by_move.items():
            currency = move.currency_id
            items_by_currency[currency].append(
                self_service.PayItem(
                    key=move,
                    group=(move.company_id, currency),
                    residual=sum(move_lines.mapped("amount_residual_currency")),
                    discounted=discounted.get(move),
                )
            )
        groups = []
        for currency, items in items_by_currency.items():
            residuals = {item.key: item.residual for item in items}
            for group in self_service.pay_groups(items, currency.rounding):
                company, _currency = group.group
                discounts = {move.id: amount for move, amount in group.discounts.items()}
                groups.append(
                    {
                        "company": company,
                        "currency": currency,
                        "moves": self.env["account.move"].sudo().union(*group.keys),
                        "total": group.total,
                        "full_amount": group.full_amount,
                        "discount": currency.round(group.discount),
                        "discounts": discounts,
                        "amounts": {
                            move.id: currency.round(residuals[move] - discounts.get(move.id, 0.0))
                            for move in group.keys
                        },
                    }
                )
        return groups

    @api.model
    def _discounted_amounts(self, lines_by_move):
        """{invoice: what pays it in full today} for the invoices with an early-payment discount open and
        all their open installments chosen (only invoices offering a discount are looked at)."""
        result = {}
        for move, chosen in lines_by_move.items():
            if not (move.cobranza_incentive_deadline_ids or move.invoice_payment_term_id.early_discount):
                continue
            open_lines = move.line_ids.filtered(
                lambda line: ledger.is_open_receivable_line(line) and line.amount_residual > 0
            )
            if open_lines - chosen:
                continue
            values = move._get_invoice_next_payment_values()
            if values.get("installment_state") == "epd":
                result[move] = values["amount_due"]
        return result

    @api.model
    def _pay_group(self, profile, scope="all", dunning=None, company=None, currency=None):
        """The one payment a pay link makes: the group of ``company`` and ``currency`` (default: the only
        one), or None when nothing is left to pay; also returns every group found."""
        groups = self._pay_groups(self._pay_lines(profile, scope=scope, dunning=dunning))
        chosen = [
            group
            for group in groups
            if (not company or group["company"] == company) and (not currency or group["currency"] == currency)
        ]
        return (chosen[0] if len(chosen) == 1 else None), groups

    # ------------------------------------------------------------------ the statement page

    @api.model
    def _invoice_rows(self, profile, today):
        """The customer's open invoices with what the page needs to know of each, oldest due first, and the
        credit lines (payments and credit notes not applied yet)."""
        debts, credits, agreed = self._open_items(profile)
        rows = []
        for move, lines in debts.grouped("move_id").items():
            days = max(aging.days_past_due(self._due(line), today) for line in lines)
            under_agreement = any(line.id in agreed for line in lines)
            blocked = move.cobranza_dispute or move.cobranza_legal
            rows.append(
                {
                    "move": move,
                    "date_maturity": min(self._due(line) for line in lines),
                    "days_overdue": max(days, 0),
                    "residual": sum(lines.mapped("amount_residual_currency")),
                    "residual_company": sum(lines.mapped("amount_residual")),
                    "currency": move.currency_id,
                    "under_agreement": under_agreement,
                    "promisable": days > 0 and not (blocked or under_agreement),
                    "promise_line_ids": lines.ids,
                    "disputable": not blocked and move.move_type == "out_invoice",
                }
            )
        rows.sort(key=lambda row: (row["date_maturity"], row["move"].id))
        return rows, credits

    @api.model
    def _statement(self, profile):
        """Everything the customer's statement page shows, as plain values."""
        today = self._today(profile)
        company = profile.company_id
        invoices, credits = self._invoice_rows(profile, today)
        moves = self.env["account.move"].sudo().union(*(row["move"] for row in invoices))
        urls = self._invoice_urls(moves)
        for row in invoices:
            row["url"] = urls[row["move"].id]
        latest = self_service.latest_promise_date(today, profile._portal_promise_max_days())
        promisable = [row for row in invoices if row["promisable"]]
        credit_total = -sum(credits.mapped("amount_residual"))
        return {
            "profile": profile,
            "partner": profile.partner_id,
            "company": company,
            "currency": company.currency_id,
            "today": today,
            "invoices": invoices,
            "credits": [
                {"name": line.move_id.name, "date": line.date, "amount": -line.amount_residual}
                for line in credits.sorted(lambda line: (line.date, line.id))
            ],
            "total": sum(row["residual_company"] for row in invoices) - credit_total,
            "overdue": sum(row["residual_company"] for row in invoices if row["days_overdue"] > 0),
            "credits_total": credit_total,
            "agreements": self._agreements(profile),
            "offers": self._offers(moves, today),
            "credit": self._credit(profile),
            "pay": {
                scope: self._pay_groups(self._pay_lines(profile, scope=scope, today=today)) for scope in PAY_SCOPES
            },
            "promise": bool(latest and promisable)
            and {"latest": latest, "default_date": min(latest, today + timedelta(days=7)), "invoices": promisable},
        }

    @api.model
    def _agreements(self, profile):
        Agreement = self.env["cobranza.agreement"].sudo()
        agreements = Agreement.search(
            [
                ("partner_id", "=", profile.partner_id.id),
                ("company_id", "=", profile.company_id.id),
                ("state", "in", ("active", "to_approve")),
            ],
            order="next_installment_date, id",
        )
        kinds = dict(Agreement._fields["kind"]._description_selection(self.env))
        states = dict(Agreement._fields["state"]._description_selection(self.env))
        return [
            {
                "name": agreement.name,
                "kind": kinds[agreement.kind],
                "state": states[agreement.state],
                "next_date": agreement.next_installment_date,
                "next_amount": agreement.next_installment_amount,
                "total": agreement.total_amount,
                "paid": agreement.paid_amount,
                "currency": agreement.currency_id,
            }
            for agreement in agreements
        ]

    @api.model
    def _offers(self, moves, today):
        """Early-payment discounts open today on these invoices: a program's tiers, or Odoo's own discount."""
        offers = []
        for move in moves:
            if move.move_type != "out_invoice" or move.cobranza_dispute:
                continue
            for deadline in move._cobranza_incentive_offers(today):
                offers.append(
                    {
                        "move": move,
                        "deadline": deadline.deadline,
                        "amount_to_pay": deadline.amount_to_pay,
                        "discount": deadline.discount,
                        "currency": move.currency_id,
                    }
                )
            if move.invoice_payment_term_id.early_discount and not move._cobranza_uses_incentive():
                values = move._get_invoice_next_payment_values()
                if values.get("installment_state") == "epd":
                    offers.append(
                        {
                            "move": move,
                            "deadline": fields.Date.to_date(values["discount_date"]),
                            "amount_to_pay": values["amount_due"],
                            "discount": values["epd_discount_amount_currency"],
                            "currency": move.currency_id,
                        }
                    )
        return sorted(offers, key=lambda offer: (offer["deadline"], offer["move"].id))

    @api.model
    def _credit(self, profile):
        """The credit limit and what is still available, for customers with a limit (else None)."""
        partner = profile.partner_id.with_company(profile.company_id).sudo()
        if partner.cobranza_credit_unlimited:
            return None
        return {"limit": partner.cobranza_credit_limit, "available": max(partner.cobranza_credit_available, 0.0)}

    # ------------------------------------------------------------------ acting

    @api.model
    def _collector(self, profile):
        """Who handles what the customer does in the portal: their collector, their segment's, else a
        Collections Manager of the company."""
        return (
            profile.collector_id
            or profile.segment_id.collector_id
            or profile.company_id._cobranza_managers()[:1]
            or self.env.ref("base.user_admin")
        )

    @api.model
    def _log(self, profile, outcome, note, **values):
        """An inbound contact of the customer through the portal, in the contact log."""
        user = self.env.user
        return self.env["cobranza.contact.gate"]._log(
            profile.partner_id,
            "portal",
            company=profile.company_id,
            direction="inbound",
            requested_by_customer=True,
            reached=True,
            outcome=outcome,
            note=note,
            contact_partner_id=user.partner_id.id if not user._is_public() else False,
            **values,
        )

    @api.model
    def _promise_error(self, error, currency):
        """The customer's words for a promise the rules refuse."""
        reason = error.reason
        if reason == "too_late":
            message = _("Choose a date no later than %s.", format_date(self.env, error.value))
        elif reason == "amount_too_big":
            message = _("You can promise at most %s, what the chosen invoices owe.", currency.format(error.value))
        else:
            message = {
                "disabled": _("Promises to pay cannot be made here: please contact us."),
                "not_a_date": _("Choose the date you will pay."),
                "past_date": _("The payment date cannot be in the past."),
                "nothing_open": _("Choose the invoices you will pay."),
                "non_positive_amount": _("The amount you promise must be greater than zero."),
            }[reason]
        return UserError(message)

    @api.model
    def _make_promise(self, profile, move_ids, promise_date, amount=None):
        """A promise to pay made by the customer for some of their overdue invoices: the collector's kind
        of promise (one installment on ``promise_date`` over the invoices' open installments), activated at
        once unless the company's approval thresholds ask for a manager. While active, its installments are
        out of dunning; unpaid after its grace days it breaks as usual.
        """
        today = self._today(profile)
        invoices, _credits = self._invoice_rows(profile, today)
        allowed = {row["move"].id: row["promise_line_ids"] for row in invoices if row["promisable"]}
        move_ids = {move_id for move_id in move_ids if move_id}
        if not move_ids or move_ids - set(allowed):
            raise UserError(_("Choose the invoices you will pay."))
        chosen = (
            self.env["account.move.line"]
            .sudo()
            .browse([line_id for move_id in sorted(move_ids) for line_id in allowed[move_id]])
        )
        currencies = chosen.mapped(lambda line: line.currency_id or line.company_currency_id)
        if len(currencies) > 1:
            raise UserError(_("Promise the invoices of each currency separately."))
        currency = currencies
        company = profile.company_id
        in_company_currency = currency == company.currency_id
        open_amount = sum(chosen.mapped("amount_residual" if in_company_currency else "amount_residual_currency"))
        try:
            promised = self_service.check_promise(
                today, promise_date, profile._portal_promise_max_days(), open_amount, amount, currency.rounding
            )
        except self_service.PromiseError as error:
            raise self._promise_error(error, currency) from error
        collector = self._collector(profile)
        agreement = (
            self.env["cobranza.agreement"]
            .sudo()
            .with_company(company)
            .create(
                {
                    "kind": "promise",
                    "partner_id": profile.partner_id.id,
                    "company_id": company.id,
                    "currency_id": currency.id,
                    "collector_id": collector.id,
                    "line_ids": [fields.Command.set(chosen.ids)],
                    "first_date": promise_date,
                    "note": _("Promised by the customer in the portal."),
                }
            )
        )
        if currency.compare_amounts(promised, agreement.debt):
            agreement.debt = promised
        agreement.action_compute_schedule()
        agreement.action_confirm()
        agreement.message_post(
            body=_(
                "Promise made by the customer in the portal: %(amount)s on %(date)s.",
                amount=currency.format(promised),
                date=format_date(self.env, promise_date),
            ),
            subtype_xmlid="mail.mt_note",
        )
        self._log(
            profile,
            "promise",
            _(
                "Promise to pay %(amount)s on %(date)s",
                amount=currency.format(promised),
                date=format_date(self.env, promise_date),
            ),
            agreement_id=agreement.id,
        )
        return agreement

    @api.model
    def _open_dispute(self, profile, move_id, reason):
        """The customer contests one of their open invoices: it becomes the invoice's dispute (out of
        dunning) and a to-do for the collector."""
        reason = (reason or "").strip()
        if not reason:
            raise UserError(_("Tell us why you contest this invoice."))
        debts, _credits, _agreed = self._open_items(profile)
        move = debts.move_id.filtered(lambda record: record.id == move_id and record.move_type == "out_invoice")
        if not move or move.cobranza_legal:
            raise UserError(_("This invoice cannot be contested here: please contact us."))
        if move.cobranza_dispute:
            return move
        move.write({"cobranza_dispute": True, "cobranza_dispute_reason": reason[:500]})
        move.activity_schedule(
            "mail.mail_activity_data_todo",
            user_id=self._collector(profile).id,
            summary=_("%s contested from the portal: review it with the customer", move.name),
            note=reason,
        )
        move.message_post(
            body=_("The customer contests this invoice from the portal: %s", reason),
            author_id=profile.partner_id.id,
            subtype_xmlid="mail.mt_note",
        )
        self._log(profile, "dispute", reason, move_id=move.id)
        return move
