import logging
from collections import defaultdict, namedtuple
from datetime import timedelta

from odoo import Command, _, api, fields, models
from odoo.tools import format_date

from ..engine import interest, money
from . import bulk_write

_logger = logging.getLogger(__name__)

# How many customers one call of the monthly scheduled action charges.
INTEREST_BATCH_SIZE = 100

# One installment's accrual over one calendar month (or part of it) not charged yet.
Piece = namedtuple("Piece", "fact policy result")


class CobranzaInterestRun(models.AbstractModel):
    """Late-payment interest: accrue it with the engine and charge it, never twice for the same days.

    A service over the facts layer. For a set of customers of one company and a closing date it
    reads their overdue installments (with every settlement that lowered them) in one query, the
    days already charged in another, and the cap table once; the engine accrues each installment
    day by day at the lower of the agreed rate and the cap in force, month by month, over the days
    no charge covers yet. One interest document per customer (and currency) then carries a line per
    invoice and month, and a charge per installment and period records the days it settled.
    """

    _name = "cobranza.interest.run"
    _description = "Collections: late-payment interest run"

    # ------------------------------------------------------------------ scheduled action

    @api.model
    def _cron_post_interest(self, batch_size=INTEREST_BATCH_SIZE):
        """Scheduled action (monthly): charge the last complete month, one bounded batch per call.

        Follows Odoo's batching protocol: ``interest_charged_until`` on the profile marks the
        customers done for the month, progress goes through ``_notify_progress`` and the framework
        commits and calls again. A resumed run adds nothing: the charges decide what is left.
        """
        today = fields.Date.context_today(self)
        _period_from, period_to = interest.last_complete_month(today)
        Profile = self.env["cobranza.partner.profile"].sudo()
        self._remind_missing_rates(today)
        domain = self._candidates_domain(period_to)
        batch = Profile.search(domain, limit=batch_size, order="id")
        documents = self._charge_profiles(batch, period_to)
        bulk_write.bulk_set(Profile, batch.ids, {"interest_charged_until": period_to})
        remaining = Profile.search_count(domain)
        self.env["ir.cron"]._notify_progress(done=len(batch), remaining=remaining)
        return documents

    @api.model
    def _candidates_domain(self, period_to):
        """Profiles not charged up to ``period_to`` yet whose customer, segment or company has a policy."""
        return [
            "|",
            ("interest_charged_until", "=", False),
            ("interest_charged_until", "<", period_to),
            *self._charging_domain(),
        ]

    @api.model
    def _charging_domain(self):
        """Profiles whose customer, segment or company has a policy that charges interest (the profile's
        own policy decides in the end: it may exempt the customer)."""
        return [
            "|",
            "|",
            ("interest_policy_id.charge_interest", "=", True),
            ("segment_id.interest_policy_id.charge_interest", "=", True),
            ("company_id.cobranza_interest_policy_id.charge_interest", "=", True),
        ]

    # ------------------------------------------------------------------ charging

    @api.model
    def _charge_profiles(self, profiles, period_to):
        """Charge the late interest of these customers up to ``period_to``; return the documents created."""
        documents = self.env["account.move"]
        for company, company_profiles in profiles.grouped("company_id").items():
            documents |= self._charge_company(company_profiles, company, period_to)
        return documents

    @api.model
    def _charging_policies(self, profiles):
        """{commercial partner id: (profile, policy)} of the customers whose policy charges interest."""
        result = {}
        for profile in profiles:
            policy = profile._interest_policy()
            if policy and policy.charge_interest:
                result[profile.partner_id.id] = (profile, policy)
        return result

    @api.model
    def _charge_company(self, profiles, company, period_to):
        charging = self._charging_policies(profiles)
        if not charging:
            return self.env["account.move"]
        policies = {partner_id: policy for partner_id, (_profile, policy) in charging.items()}
        pieces, done_lines = self._plan(company, policies, period_to)
        by_partner = defaultdict(list)
        for piece in pieces:
            by_partner[piece.fact.partner_id].append(piece)
        documents = self.env["account.move"]
        for partner_id, (profile, policy) in charging.items():
            partner_pieces = by_partner.get(partner_id)
            if not partner_pieces and not done_lines.get(partner_id):
                continue
            try:
                with self.env.cr.savepoint():
                    documents |= self._charge_customer(profile, policy, partner_pieces or [], period_to)
                    bulk_write.bulk_set(
                        self.env["account.move.line"],
                        done_lines.get(partner_id, []),
                        {"cobranza_interest_done": True},
                        touch=False,
                    )
            except Exception as error:  # one customer's failure (a lock date, an account) must not stop the others
                _logger.warning("Late interest of %s failed: %s", profile.partner_id.display_name, error)
                profile.sudo().message_post(
                    body=_("Late interest up to %(date)s could not be charged: %(error)s", date=period_to, error=error)
                )
        return documents

    @api.model
    def _excluded_moves(self, facts, offered=False):
        """Ids of invoices that bear no late interest now: in dispute, under a payment agreement (active
        or fulfilled: the agreement replaced late interest), or under a settlement offer waiving it
        (unless ``offered``: the offer's own invoices, when it waives what they accrued)."""
        Facts = self.env["cobranza.receivable.facts"]
        agreed = Facts._lines_under_agreement([fact.line_id for fact in facts], states=("active", "done"))
        excluded = {fact.move_id for fact in facts if fact.in_dispute or fact.line_id in agreed}
        if offered:
            return excluded
        return excluded | Facts._moves_under_settlement_waiving_interest({fact.move_id for fact in facts})

    @api.model
    def _plan(self, company, policies, period_to, move_ids=None):
        """(pieces to charge, {partner: ids of installments settled and fully charged}) for these customers.

        ``policies``: {commercial partner id: policy}; ``move_ids``: only these invoices (a settlement
        offer's). Reads everything in a handful of queries.
        """
        Facts = self.env["cobranza.receivable.facts"]
        since = min(policy.date_start for policy in policies.values())
        facts = Facts._interest_lines(list(policies), company, since, period_to + timedelta(days=1))
        if move_ids is not None:
            facts = [fact for fact in facts if fact.move_id in move_ids]
        excluded = self._excluded_moves(facts, offered=move_ids is not None)
        facts = [fact for fact in facts if fact.move_id not in excluded]
        charged = Facts._interest_charged_ranges([fact.line_id for fact in facts])
        caps = self._cap_tables(policies.values(), company, since, period_to)
        missing = defaultdict(list)
        pieces, done_lines = [], defaultdict(list)
        for fact in facts:
            policy = policies[fact.partner_id]
            rounding = self._rounding(fact.currency_id)
            start = max(policy.date_start, fact.date_maturity + timedelta(days=1))
            skipped = False
            if start <= period_to:
                free = interest.uncharged_ranges(start, period_to, charged.get(fact.line_id, ()))
                for free_from, free_to in free:
                    for month_from, month_to in interest.monthly_periods(free_from, free_to):
                        result = self._accrue(fact, policy, caps[policy._cap_key()], month_from, month_to, rounding)
                        if result.skipped_ranges:
                            skipped = True
                            missing[policy].extend(result.skipped_ranges)
                        if result.rows:
                            pieces.append(Piece(fact, policy, result))
            if not skipped and self._fully_settled(fact, period_to, rounding):
                done_lines[fact.partner_id].append(fact.line_id)
        for policy, ranges in missing.items():
            policy._remind_missing_rate(sorted(set(ranges)))
        return pieces, done_lines

    @api.model
    def _fully_settled(self, fact, period_to, rounding):
        """Whether nothing of the installment was outstanding after ``period_to``: every day that can bear
        interest is then charged, and later runs need not read it again."""
        if money.round_money(fact.residual, rounding) != 0.0:
            return False
        last = max((settlement.date for settlement in fact.settlements), default=None)
        return last is not None and last <= period_to + timedelta(days=1)

    @api.model
    def _cap_tables(self, policies, company, date_from, date_to):
        return self.env["cobranza.interest.rate"]._cap_tables(
            {policy._cap_key() for policy in policies}, company, date_from, date_to
        )

    @api.model
    def _rounding(self, currency_id):
        return self.env["res.currency"].browse(currency_id).rounding

    @api.model
    def _accrue(self, fact, policy, caps, day_from, day_to, rounding):
        """The engine's accrual of one installment (an InterestLine fact) under ``policy``."""
        rate, rate_type, periods = policy._engine_rate(caps)
        timeline = interest.principal_timeline(
            fact.amount, [(settlement.date, settlement.amount) for settlement in fact.settlements], rounding
        )
        return interest.accrue(
            timeline,
            rate,
            rate_type,
            caps,
            day_from,
            day_to,
            grace_days=policy.grace_days,
            due_date=fact.date_maturity,
            rounding=rounding,
            cap_required=policy.cap_required,
            periods_per_year=periods,
        )

    @api.model
    def _charge_values(self, piece, rounding):
        """Values of the charges of one piece: one per range of days it settles (the rows inside it)."""
        fact, result = piece.fact, piece.result
        values = []
        for range_from, range_to in result.settled_ranges:
            rows = [row for row in result.rows if range_from <= row.period_start and row.period_end <= range_to]
            if not rows:
                continue
            days = sum(row.days for row in rows)
            caps = [row.cap_ea for row in rows if row.cap_ea is not None]
            values.append(
                {
                    "company_id": self.env["res.company"].browse(fact.company_id).root_id.id,
                    "document_company_id": fact.company_id,
                    "partner_id": fact.partner_id,
                    "move_id": fact.move_id,
                    "move_line_id": fact.line_id,
                    "date_maturity": fact.date_maturity,
                    "date_from": range_from,
                    "date_to": range_to,
                    "days": days,
                    "currency_id": fact.currency_id,
                    "principal": money.round_money(
                        sum(row.average_principal * row.days for row in rows) / days, rounding
                    ),
                    "rate_ea": max(row.rate_applied_ea for row in rows) * 100.0,
                    "cap_ea": max(caps) * 100.0 if caps else 0.0,
                    "amount": money.round_money(sum(row.interest for row in rows), rounding),
                }
            )
        return values

    @api.model
    def _charge_customer(self, profile, policy, pieces, period_to):
        """Create the customer's interest documents (one per company and currency) and their charges."""
        Charge = self.env["cobranza.interest.charge"].sudo()
        groups = defaultdict(list)
        for piece in pieces:
            rounding = self._rounding(piece.fact.currency_id)
            for values in self._charge_values(piece, rounding):
                groups[(values.pop("document_company_id"), values["currency_id"])].append(values)
        documents = self.env["account.move"]
        for (company_id, currency_id), charges in groups.items():
            company = self.env["res.company"].browse(company_id)
            currency = self.env["res.currency"].browse(currency_id)
            by_invoice_month = defaultdict(list)
            for values in charges:
                by_invoice_month[(values["move_id"], values["date_from"].replace(day=1))].append(values)
            lines = []  # (charges of the line, line values)
            for (move_id, _month), line_charges in sorted(
                by_invoice_month.items(), key=lambda item: (item[0][1], item[0][0])
            ):
                amount = currency.round(sum(values["amount"] for values in line_charges))
                if currency.is_zero(amount):
                    continue
                invoice = self.env["account.move"].browse(move_id)
                lines.append((line_charges, self._prepare_interest_line_values(invoice, policy, line_charges, amount)))
            if not lines:
                Charge.create(charges)
                continue
            document = (
                self.env["account.move"]
                .with_company(company)
                .create(
                    self._prepare_interest_document_values(
                        profile.partner_id, company, currency, policy, period_to, [values for _c, values in lines]
                    )
                )
            )
            document_lines = document.invoice_line_ids.sorted("id")
            for (line_charges, _values), document_line in zip(lines, document_lines, strict=True):
                for values in line_charges:
                    values.update({"interest_move_id": document.id, "interest_line_id": document_line.id})
            Charge.create(charges)
            if policy.auto_post:
                document.action_post()
            documents |= document
        return documents

    # ------------------------------------------------------------------ hooks of the interest document

    @api.model
    def _get_interest_move_type(self, company):
        """The move type of interest documents: a customer invoice. Localisations that document late
        interest with a debit note override this (and ``_prepare_interest_document_values``)."""
        return "out_invoice"

    @api.model
    def _prepare_interest_document_values(self, partner, company, currency, policy, period_to, line_values):
        """Values of one customer's interest document for the period ending ``period_to``."""
        values = {
            "move_type": self._get_interest_move_type(company),
            "partner_id": partner.id,
            "company_id": company.id,
            "currency_id": currency.id,
            "invoice_date": period_to,
            "invoice_origin": _("Late-payment interest up to %s", format_date(self.env, period_to)),
            "cobranza_interest_document": True,
            "invoice_line_ids": [Command.create(line) for line in line_values],
        }
        if policy.journal_id:
            values["journal_id"] = policy.journal_id.id
        return values

    @api.model
    def _prepare_interest_line_values(self, invoice, policy, charges, amount):
        """One line of the interest document: an invoice's late interest for one month."""
        first = min(values["date_from"] for values in charges)
        last = max(values["date_to"] for values in charges)
        rate = format(max(values["rate_ea"] for values in charges), ".2f")
        return {
            "name": _(
                "Late-payment interest on %(invoice)s from %(start)s to %(end)s: %(days)s days at %(rate)s%% E.A.",
                invoice=invoice.name,
                start=format_date(self.env, first),
                end=format_date(self.env, last),
                days=max(values["days"] for values in charges),
                rate=rate,
            ),
            "quantity": 1,
            "price_unit": amount,
            "account_id": policy._income_account().id,
            "tax_ids": [Command.clear()],
        }

    # ------------------------------------------------------------------ reminders

    @api.model
    def _remind_missing_rates(self, today):
        """Managers get a to-do when a charging policy has no certified cap for the rest of the month."""
        policies = (
            self.env["cobranza.interest.policy"]
            .sudo()
            .search([("charge_interest", "=", True), ("cap_required", "=", True)])
        )
        if not policies:
            return
        month_end = interest.monthly_periods(today, today + timedelta(days=31))[0][1]
        for company, company_policies in policies.grouped("company_id").items():
            caps = self._cap_tables(company_policies, company, today, month_end)
            for policy in company_policies:
                missing = interest.missing_periods(caps[policy._cap_key()], today, month_end)
                if missing:
                    policy._remind_missing_rate(missing)

    # ------------------------------------------------------------------ waivers and statements

    @api.model
    def _waive_uncharged(self, offer, moves, until):
        """Record the interest not charged yet on ``moves`` up to ``until`` as waived by ``offer``.

        Returns the interest waived this way (nothing is invoiced, and no later run charges it).
        """
        profile = self.env["cobranza.partner.profile"]._get_profiles(offer.partner_id, offer.company_id)
        charging = self._charging_policies(profile)
        if not charging:
            return 0.0
        policies = {partner_id: policy for partner_id, (_profile, policy) in charging.items()}
        pieces, _done = self._plan(offer.company_id, policies, until, move_ids=set(moves.ids))
        values = []
        for piece in pieces:
            values += self._charge_values(piece, self._rounding(piece.fact.currency_id))
        for charge in values:
            del charge["document_company_id"]
            charge["offer_id"] = offer.id
        self.env["cobranza.interest.charge"].sudo().create(values)
        return sum(charge["amount"] for charge in values)

    @api.model
    def _statement_policy(self, partner, company):
        """The policy the interest statement computes with: the customer's charging policy, else the
        maximum legal rate (what a claim may ask for), with the company's country cap."""
        profile = self.env["cobranza.partner.profile"]._get_profiles(partner, company)
        policy = profile._interest_policy()
        if policy and policy.charge_interest:
            return policy
        return self.env["cobranza.interest.policy"].new(
            {
                "name": _("Maximum legal rate"),
                "company_id": company.id,
                "legal_maximum": True,
                "country_id": (policy.country_id or company.country_id or company.account_fiscal_country_id).id,
                "credit_type": policy.credit_type or "consumer_ordinary",
                "grace_days": 0,
                "cap_required": True,
            }
        )
