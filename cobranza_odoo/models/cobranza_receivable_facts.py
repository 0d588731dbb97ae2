from collections import defaultdict, namedtuple

from odoo import api, fields, models
from odoo.tools import SQL

from ..engine import aging, credit, payment_behaviour
from . import ledger_fragments as ledger

OpenReceivable = namedtuple("OpenReceivable", "line_id move_id partner_id date_maturity residual")
DunningLineFacts = namedtuple(
    "DunningLineFacts",
    "line_id move_id partner_id date_maturity residual level_id last_sent_date processed_on in_dispute in_legal",
)
LinePayment = namedtuple("LinePayment", "line_id date amount amount_currency")
InterestLine = namedtuple(
    "InterestLine",
    "line_id move_id partner_id company_id currency_id date_maturity amount residual in_dispute settlements",
)
Settlement = namedtuple("Settlement", "date amount is_payment")


class ExposureFacts(
    namedtuple(
        "ExposureFacts",
        "receivable_balance draft_invoices uninvoiced_orders overdue_amount oldest_days_overdue",
        defaults=(0.0, 0.0, 0.0, 0.0, 0),
    )
):
    """What a customer owes or will owe a company, in company currency (see DESIGN §5 "Credit decision").

    receivable_balance: net open receivable (unapplied payments and credit notes are negative);
    draft_invoices: draft customer invoices, from sale orders or not;
    uninvoiced_orders: confirmed orders' total minus what their invoices (posted, or draft: counted
    as drafts) already cover; orders Odoo marks fully invoiced are left out;
    overdue_amount / oldest_days_overdue: open amounts past due above the tolerance (the amount is
    None when the reading left it out: see ``_credit_snapshot``'s ``detail``).
    """

    @property
    def exposure(self):
        return credit.exposure(self.receivable_balance, self.draft_invoices, self.uninvoiced_orders)


CreditTerms = namedtuple("CreditTerms", "limit increases on_hold hold_reason hold_days segment_action")
CreditSnapshot = namedtuple("CreditSnapshot", "exposure terms address_ids")


class CobranzaReceivableFacts(models.AbstractModel):
    """The one place that reads receivable facts from the ledger, in bulk.

    Credit, segments, dunning, agreements, aging and KPIs all read through these methods,
    so the subtleties (installments, in_payment, credits, branches, company currency) are
    handled once. Every method takes many customers at once and returns plain data.
    """

    _name = "cobranza.receivable.facts"
    _description = "Collections: receivable facts"

    @api.model
    def _scope_company(self, company):
        """Collections state is kept per root company: a branch shares its parent's customers' credit."""
        return company.root_id

    @api.model
    def _flush_for_facts(self):
        """The facts are read with SQL: write pending ORM changes of what they read first."""
        self.env["res.partner"].flush_model(["commercial_partner_id"])
        self.env["account.move.line"].flush_model()
        self.env["account.move"].flush_model()
        self.env["account.partial.reconcile"].flush_model()
        self.env["cobranza.partner.profile"].flush_model()

    @api.model
    def _company_family_sql(self, company, alias="aml"):
        """SQL: the row ``alias`` belongs to ``company``'s family (its root and branches)."""
        return ledger.company_family(SQL.identifier(alias, "company_id"), self._scope_company(company))

    @api.model
    def _open_receivables(self, partner_ids, company):
        """Open receivable amounts of posted entries for these commercial partners, today.

        One row per receivable line (an invoice with a multi-installment payment term has
        several), with its own maturity and its residual in company currency. Payments and
        credit notes not yet applied come out as negative residuals. Invoices 'in payment'
        count as paid.
        """
        rows = self._open_lines(
            partner_ids,
            company,
            SQL("aml.id, aml.move_id, partner.commercial_partner_id, %s, aml.amount_residual", ledger.due_date("aml")),
            SQL("partner.commercial_partner_id, %s, aml.id", ledger.due_date("aml")),
        )
        return [OpenReceivable(*row) for row in rows]

    @api.model
    def _open_lines(self, partner_ids, company, columns, order):
        """Rows of ``columns`` (over ``aml``, its ``move`` and ``partner``) of the open receivable lines of
        these commercial partners in the company family, in ``order``."""
        if not partner_ids:
            return []
        self._flush_for_facts()
        return self.env.execute_query(
            SQL(
                """
            SELECT %(columns)s
              FROM account_move_line aml
              JOIN account_move move ON move.id = aml.move_id
              JOIN res_partner partner ON partner.id = aml.partner_id
             WHERE %(open)s
               AND partner.commercial_partner_id = ANY(%(partners)s)
               AND %(company)s
             ORDER BY %(order)s
            """,
                columns=columns,
                open=ledger.open_receivable_line("aml"),
                partners=list(partner_ids),
                company=self._company_family_sql(company),
                order=order,
            )
        )

    @api.model
    def _aging_by_partner(self, partner_ids, company, today):
        """{commercial partner id: engine AgingRow} of the open receivables on ``today``."""
        limits = company._cobranza_bucket_limits()
        amounts = [
            aging.OpenAmount(row.partner_id, row.date_maturity, row.residual)
            for row in self._open_receivables(partner_ids, company)
        ]
        return aging.age_open_amounts(amounts, today, limits)

    @api.model
    def _exposure_by_partner(self, partner_ids, company, today=None, exclude_move_ids=()):
        """{commercial partner id: ExposureFacts} in one query, whatever the history.

        Documents are grouped by the commercial partner of their invoice address. Branches of
        the company count with it. ``exclude_move_ids``: drafts being checked themselves.
        """
        snapshot = self._credit_snapshot(partner_ids, company, today, exclude_move_ids)
        return {partner_id: customer.exposure for partner_id, customer in snapshot.items()}

    @api.model
    def _credit_snapshot(self, partner_ids, company, today=None, exclude_move_ids=(), detail=True):
        """{commercial partner id: CreditSnapshot} in one query: what the customer owes and will owe,
        what its credit is (limit, current increases, hold, segment), and which of ``partner_ids``
        (the customers or any of their addresses) belong to it.

        ``detail=False`` is the credit check's own reading, the same whatever the customer's history:
        the balance is the one PostgreSQL keeps per address (``ledger_fragments``, kept open
        balances), the oldest overdue line is the first of the customer's lines by due date, and the
        overdue amount, which needs every overdue line, is left out (None): the check reads it only to
        explain a decision that stops or warns.

        One statement because the credit check runs inside every order confirmation: each query
        there is paid by a salesperson waiting at the screen. Planning it is most of its time, and
        PostgreSQL plans each table a query names against all its indexes (Odoo's invoices have
        thirty): so the company family, the customers' addresses and their invoices in payment or
        in draft are read once each (materialized) and reused; the customers are given to each part
        as an array (planned as one value, not as one more join); each order's uninvoiced amount is
        kept with the order (its invoice lines are not joined here).
        """
        if not partner_ids:
            return {}
        today = today or fields.Date.context_today(self)
        scope = self._scope_company(company)
        partner_ids = list(partner_ids)
        self._flush_for_facts()  # journal items and entries in full
        self.env["sale.order"].flush_model(
            ["state", "invoice_status", "partner_invoice_id", "company_id", "cobranza_uninvoiced_amount", "currency_id"]
        )
        self.env["cobranza.segment"].flush_model(["hold_days", "credit_action"])
        self.env["cobranza.credit.increase"].flush_model(["partner_id", "company_id", "amount", "date_from", "date_to"])
        Partner = self.env["res.partner"].with_company(scope).sudo()
        rows = self.env.execute_query(
            SQL(
                """
            WITH requested AS MATERIALIZED (
                SELECT id AS address_id, commercial_partner_id AS partner_id
                  FROM res_partner
                 WHERE id = ANY(%(partners)s)
            ), family AS MATERIALIZED (
                %(family)s
            ), addresses AS MATERIALIZED (
                -- the customers and all their addresses: lines and orders may name any of them
                SELECT id, commercial_partner_id AS partner_id
                  FROM res_partner
                 WHERE commercial_partner_id = ANY(ARRAY(SELECT partner_id FROM requested))
            ), moves AS MATERIALIZED (
                -- the customers' invoices in payment and their draft invoices, in one look-up
                SELECT move.id, move.commercial_partner_id AS partner_id, move.state,
                       move.amount_total_signed, %(in_payment)s AS in_payment
                  FROM account_move move
                 WHERE move.commercial_partner_id = ANY(ARRAY(SELECT partner_id FROM requested))
                   AND (%(in_payment)s OR (move.state = 'draft' AND move.move_type = 'out_invoice'))
                   AND move.company_id = ANY(ARRAY(SELECT id FROM family))
            ), receivable AS (
                %(receivable)s
            ), drafts AS (
                -- draft customer invoices, from orders or not
                SELECT moves.partner_id, SUM(moves.amount_total_signed) AS amount
                  FROM moves
                 WHERE moves.state = 'draft'
                   %(not_excluded)s
                 GROUP BY moves.partner_id
            ), orders AS (
                -- the confirmed orders Odoo has not marked fully invoiced (a partial index: the customer's
                -- invoiced orders are not read, however many), each with what it still adds (kept with
                -- the order: see sale.order's cobranza_uninvoiced_amount)
                SELECT addresses.partner_id, so.currency_id, SUM(so.cobranza_uninvoiced_amount) AS amount
                  FROM sale_order so
                  JOIN addresses ON addresses.id = so.partner_invoice_id
                 WHERE %(to_invoice)s
                   AND so.company_id = ANY(ARRAY(SELECT id FROM family))
                 GROUP BY addresses.partner_id, so.currency_id
            )
            SELECT partner.id,
                   receivable.balance, receivable.overdue, receivable.oldest_due,
                   drafts.amount,
                   (SELECT json_agg(json_build_array(orders.currency_id, orders.amount))
                      FROM orders WHERE orders.partner_id = partner.id),
                   %(credit_limit)s,
                   (SELECT json_agg(json_build_array(increase.amount, increase.date_from, increase.date_to))
                      FROM cobranza_credit_increase increase
                     WHERE increase.partner_id = partner.id
                       AND increase.company_id = %(scope)s
                       AND increase.date_to >= %(today)s),
                   profile.credit_hold, profile.credit_hold_reason, segment.hold_days, segment.credit_action,
                   (SELECT array_agg(requested.address_id) FROM requested WHERE requested.partner_id = partner.id)
              FROM res_partner partner
              LEFT JOIN receivable ON receivable.partner_id = partner.id
              LEFT JOIN drafts ON drafts.partner_id = partner.id
              LEFT JOIN cobranza_partner_profile profile
                     ON profile.partner_id = partner.id AND profile.company_id = %(scope)s
              LEFT JOIN cobranza_segment segment ON segment.id = profile.segment_id
             WHERE partner.id = ANY(ARRAY(SELECT partner_id FROM requested))
            """,
                receivable=self._credit_receivable_sql(scope, today, detail),
                in_payment=ledger.in_payment("move"),
                to_invoice=ledger.order_to_invoice("so"),
                partners=partner_ids,
                today=today,
                not_excluded=SQL("AND NOT (moves.id = ANY(%s))", list(exclude_move_ids)) if exclude_move_ids else SQL(),
                family=ledger.company_family_ids(scope),
                credit_limit=Partner._field_to_sql("partner", "credit_limit"),
                scope=scope.id,
            )
        )
        company_currency = scope.currency_id
        rates = {}  # one rate look-up per foreign currency, not per customer
        result = {}
        for (
            partner_id,
            balance,
            overdue,
            oldest_due,
            drafts,
            orders,
            credit_limit,
            increases,
            on_hold,
            hold_reason,
            hold_days,
            segment_action,
            address_ids,
        ) in rows:
            uninvoiced = 0.0
            for currency_id, amount in orders or ():
                if currency_id not in rates:
                    currency = self.env["res.currency"].browse(currency_id)
                    rates[currency_id] = (
                        1.0
                        if currency == company_currency
                        else currency._get_conversion_rate(currency, company_currency, company, today)
                    )
                uninvoiced += company_currency.round(amount * rates[currency_id])
            exposure = ExposureFacts(
                receivable_balance=balance or 0.0,
                draft_invoices=drafts or 0.0,
                uninvoiced_orders=uninvoiced,
                overdue_amount=(overdue or 0.0) if detail else None,
                oldest_days_overdue=max(0, (today - oldest_due).days) if oldest_due else 0,
            )
            terms = CreditTerms(
                limit=max(credit_limit or 0.0, 0.0),
                increases=tuple(
                    credit.Increase(amount, fields.Date.to_date(date_from), fields.Date.to_date(date_to))
                    for amount, date_from, date_to in sorted(increases or (), key=lambda row: row[1], reverse=True)
                ),
                on_hold=bool(on_hold),
                hold_reason=hold_reason or "",
                hold_days=hold_days or scope.cobranza_credit_hold_days,
                segment_action=segment_action if segment_action and segment_action != "company" else None,
            )
            result[partner_id] = CreditSnapshot(exposure, terms, tuple(address_ids))
        return result

    @api.model
    def _rebuild_open_balances(self):
        """Rebuild the kept open balances from the ledger (once a day; see ``ledger_fragments``)."""
        return ledger.rebuild_open_balances(self.env.cr)

    @api.model
    def _credit_receivable_sql(self, scope, today, detail):
        """The body of ``_credit_snapshot``'s ``receivable`` CTE (per customer: balance, overdue,
        oldest_due), reading the CTEs ``addresses``, ``family`` and ``moves`` (see there)."""
        oldest_condition = SQL(
            "aml.amount_residual > %(tolerance)s AND %(due)s < %(today)s",
            tolerance=scope.cobranza_tolerance_amount,
            due=ledger.due_date("aml"),
            today=today,
        )
        open_line = SQL(
            "aml.partner_id = addresses.id AND %s AND aml.company_id = ANY(ARRAY(SELECT id FROM family))",
            ledger.open_receivable_line_of_customers("aml", SQL("SELECT id FROM moves WHERE in_payment")),
        )
        if detail:
            # address by address through the covering partial index: the lines are summed without
            # visiting the table
            return SQL(
                """SELECT addresses.partner_id, SUM(lines.balance) AS balance,
                          SUM(lines.overdue) AS overdue, MIN(lines.oldest_due) AS oldest_due
                     FROM addresses
                    CROSS JOIN LATERAL (
                       SELECT SUM(aml.amount_residual) AS balance,
                              COALESCE(SUM(aml.amount_residual) FILTER (WHERE %(oldest)s), 0) AS overdue,
                              MIN(%(due)s) FILTER (WHERE %(oldest)s) AS oldest_due
                         FROM account_move_line aml
                        WHERE %(open)s
                    ) lines
                    WHERE lines.balance IS NOT NULL
                    GROUP BY addresses.partner_id""",
                oldest=oldest_condition,
                due=ledger.due_date("aml"),
                open=open_line,
            )
        # the kept balance of each address, and its first overdue line in the index's order (customer,
        # due date): two index look-ups, however many lines are open
        return SQL(
            """SELECT addresses.partner_id, SUM(kept.balance) AS balance, NULL::numeric AS overdue,
                      MIN(oldest.due) AS oldest_due
                 FROM addresses
                CROSS JOIN LATERAL (%(kept)s) kept(balance)
                 LEFT JOIN LATERAL (
                    SELECT %(due)s AS due
                      FROM account_move_line aml
                     WHERE %(open)s AND %(oldest)s
                     ORDER BY %(due)s
                     LIMIT 1
                 ) oldest ON TRUE
                WHERE kept.balance IS NOT NULL OR oldest.due IS NOT NULL
                GROUP BY addresses.partner_id""",
            kept=ledger.open_balance_of_addresses(SQL("addresses.id"), SQL("SELECT id FROM family")),
            due=ledger.due_date("aml"),
            open=open_line,
            oldest=oldest_condition,
        )

    @api.model
    def _payment_behaviour_lines(self, partner_ids, company, window_start):
        """{partner: [engine ReceivableLine]}: invoice installments still open or paid in the window.

        Only real payments (payment entries and bank statement lines) are attached to the
        lines: credit notes, reversals and exchange differences settle a line without being a
        payment, so they are left out.
        """
        if not partner_ids:
            return {}
        self._flush_for_facts()
        rows = self.env.execute_query(
            SQL(
                """
            SELECT aml.id, aml.move_id, partner.commercial_partner_id, aml.balance, %(due)s, aml.amount_residual
              FROM account_move_line aml
              JOIN account_move move ON move.id = aml.move_id
              JOIN res_partner partner ON partner.id = aml.partner_id
             WHERE %(receivable)s
               AND move.move_type = 'out_invoice'
               AND aml.balance > 0
               AND partner.commercial_partner_id = ANY(%(partners)s)
               AND %(company)s
               AND (aml.amount_residual != 0 OR EXISTS (
                       SELECT 1 FROM account_partial_reconcile apr
                        WHERE apr.debit_move_id = aml.id AND apr.max_date >= %(window_start)s))
            """,
                due=ledger.due_date("aml"),
                receivable=ledger.receivable_line("aml"),
                partners=list(partner_ids),
                company=self._company_family_sql(company),
                window_start=window_start,
            )
        )
        payments = defaultdict(list)
        for payment in self._payments_on_lines([row[0] for row in rows]):
            payments[payment.line_id].append(payment_behaviour.Payment(payment.amount, payment.date))
        result = defaultdict(list)
        for line_id, move_id, partner_id, balance, maturity, residual in rows:
            result[partner_id].append(
                payment_behaviour.ReceivableLine(
                    key=line_id,
                    invoice_key=move_id,
                    amount=balance,
                    date_maturity=maturity,
                    residual=residual,
                    payments=tuple(payments.get(line_id, ())),
                )
            )
        return dict(result)

    @api.model
    def _payments_on_lines(self, line_ids, since=None):
        """[LinePayment]: real payments applied to these receivable lines (dated ``since`` or later).

        ``amount`` is in company currency, ``amount_currency`` in the line's own currency.
        """
        if not line_ids:
            return []
        self._flush_for_facts()
        rows = self.env.execute_query(
            SQL(
                """
            SELECT part.debit_move_id, paying.date, part.amount, part.debit_amount_currency
              FROM account_partial_reconcile part
              -- each paying line looked up by its key: joined plainly, the planner hashes the whole
              -- journal-item table for a few thousand lines (a daily refresh's batch at 100,000 lines);
              -- LIMIT 1 (one line per key anyway) keeps the sub-select from being flattened into a join
              CROSS JOIN LATERAL (
                    SELECT credit_line.date
                      FROM account_move_line credit_line
                      JOIN account_move credit_move ON credit_move.id = credit_line.move_id
                     WHERE credit_line.id = part.credit_move_id
                       AND %(payment)s
                       %(since)s
                     LIMIT 1
              ) paying
             WHERE part.debit_move_id = ANY(%(lines)s)
            """,
                lines=list(line_ids),
                payment=ledger.real_payment_move("credit_move"),
                since=SQL("AND credit_line.date >= %s", since) if since else SQL(),
            )
        )
        return [LinePayment(*row) for row in rows]

    @api.model
    def _last_payment_dates(self, partner_ids, company):
        """{partner: date of its last payment} (payments and bank statement lines)."""
        if not partner_ids:
            return {}
        self._flush_for_facts()
        rows = self.env.execute_query(
            SQL(
                """
            SELECT partner.commercial_partner_id, MAX(paid.date)
              FROM res_partner partner
              -- LATERAL: each customer's (and address's) journal items through the partner index, not
              -- a scan of the whole table for a batch of customers
              CROSS JOIN LATERAL (
                    SELECT MAX(aml.date) AS date
                      FROM account_move_line aml
                      JOIN account_move move ON move.id = aml.move_id
                     WHERE aml.partner_id = partner.id
                       AND %(receivable)s
                       AND aml.balance < 0
                       AND %(payment)s
                       AND %(company)s
              ) paid
             WHERE partner.commercial_partner_id = ANY(%(partners)s)
               AND paid.date IS NOT NULL
             GROUP BY partner.commercial_partner_id
            """,
                receivable=ledger.receivable_line("aml"),
                payment=ledger.real_payment_move("move"),
                partners=list(partner_ids),
                company=self._company_family_sql(company),
            )
        )
        return dict(rows)

    @api.model
    def _overdue_lines(self, partner, company=None, today=None):
        """The customer's overdue open installments (what a promise or agreement usually covers)."""
        today = today or fields.Date.context_today(self)
        rows = self._open_receivables(partner.ids, company or self.env.company)
        ids = [row.line_id for row in rows if row.residual > 0 and row.date_maturity < today]
        return self.env["account.move.line"].browse(ids)

    @api.model
    def _broken_promise_counts(self, partner_ids, company, since):
        """{partner: promises and agreements broken since ``since``}."""
        if not partner_ids:
            return {}
        groups = (
            self.env["cobranza.agreement"]
            .sudo()
            ._read_group(
                [
                    ("partner_id", "in", list(partner_ids)),
                    ("company_id", "=", self._scope_company(company).id),
                    ("state", "=", "broken"),
                    ("broken_date", ">=", since),
                ],
                ["partner_id"],
                ["__count"],
            )
        )
        return {partner.id: count for partner, count in groups}

    @api.model
    def _invoices_to_classify(self, partner_ids, company):
        """Posted customer invoices whose collection status may need a refresh, with their flags.

        [(move id, partner, stored status, in dispute, legal)] — every invoice still open and
        every invoice whose stored status is not 'paid' yet.
        """
        if not partner_ids:
            return []
        self.env["account.move"].flush_model(
            [
                "move_type",
                "state",
                "commercial_partner_id",
                "company_id",
                "payment_state",
                "cobranza_status",
                "cobranza_dispute",
                "cobranza_legal",
            ]
        )
        return self.env.execute_query(
            SQL(
                """
            SELECT move.id, move.commercial_partner_id, move.cobranza_status,
                   COALESCE(move.cobranza_dispute, FALSE), COALESCE(move.cobranza_legal, FALSE)
              FROM account_move move
             WHERE move.move_type = 'out_invoice'
               AND move.state = 'posted'
               AND move.commercial_partner_id = ANY(%(partners)s)
               AND %(company)s
               AND (move.cobranza_status IS NULL OR move.cobranza_status != 'paid'
                    OR move.payment_state NOT IN ('paid', 'in_payment', 'reversed'))
            """,
                partners=list(partner_ids),
                company=self._company_family_sql(company, alias="move"),
            )
        )

    # ------------------------------------------------------------------ late interest

    @api.model
    def _interest_lines(self, partner_ids, company, since, date_to, include_done=False):
        """[InterestLine]: installments of posted customer invoices that may bear late interest up to ``date_to``.

        An installment qualifies when it fell due before ``date_to``, is not itself interest (late
        interest is never charged on interest), and is still open — or was settled on or after
        ``since`` and is not marked as fully charged yet. ``amount`` (the original debt) and the
        settlements are in the installment's own currency; ``settlements`` are every reconciliation
        that lowered it, dated by the paying (or crediting) entry: real payments and bank statement
        lines (``is_payment``), but also credit notes and reversals, since a credited debt no longer
        bears interest. Exchange differences change nothing in the invoice's currency. ``include_done``:
        also the installments settled since ``since`` that are fully charged (for statements).
        """
        if not partner_ids:
            return []
        self._flush_for_facts()
        rows = self.env.execute_query(
            SQL(
                """
            SELECT aml.id, aml.move_id, partner.commercial_partner_id, aml.company_id,
                   COALESCE(aml.currency_id, aml.company_currency_id), %(due)s, aml.amount_currency,
                   aml.amount_residual_currency, COALESCE(move.cobranza_dispute, FALSE)
              FROM account_move_line aml
              JOIN account_move move ON move.id = aml.move_id
              JOIN res_partner partner ON partner.id = aml.partner_id
             WHERE %(receivable)s
               AND move.move_type = 'out_invoice'
               AND NOT COALESCE(move.cobranza_interest_document, FALSE)
               AND aml.balance > 0
               AND %(due)s < %(date_to)s
               AND partner.commercial_partner_id = ANY(%(partners)s)
               AND %(company)s
               AND (aml.amount_residual != 0 OR (
                    (%(include_done)s OR NOT COALESCE(aml.cobranza_interest_done, FALSE))
                    AND EXISTS (SELECT 1 FROM account_partial_reconcile part
                                 WHERE part.debit_move_id = aml.id AND part.max_date >= %(since)s)))
             ORDER BY partner.commercial_partner_id, %(due)s, aml.id
            """,
                due=ledger.due_date("aml"),
                receivable=ledger.receivable_line("aml"),
                date_to=date_to,
                partners=list(partner_ids),
                company=self._company_family_sql(company),
                since=since,
                include_done=include_done,
            )
        )
        settlements = self._settlements_of_lines([row[0] for row in rows])
        return [InterestLine(*row, settlements=tuple(settlements.get(row[0], ()))) for row in rows]

    @api.model
    def _settlements_of_lines(self, line_ids):
        """{receivable line id: [Settlement]}: what lowered each line, in the line's currency, by date."""
        if not line_ids:
            return {}
        rows = self.env.execute_query(
            SQL(
                """
            SELECT part.debit_move_id, credit_line.date, part.debit_amount_currency, %(payment)s
              FROM account_partial_reconcile part
              JOIN account_move_line credit_line ON credit_line.id = part.credit_move_id
              JOIN account_move credit_move ON credit_move.id = credit_line.move_id
             WHERE part.debit_move_id = ANY(%(lines)s)
             ORDER BY credit_line.date, part.id
            """,
                payment=ledger.real_payment_move("credit_move"),
                lines=list(line_ids),
            )
        )
        result = defaultdict(list)
        for line_id, day, amount, is_payment in rows:
            if amount:
                result[line_id].append(Settlement(day, amount, is_payment))
        return dict(result)

    @api.model
    def _interest_charged_ranges(self, line_ids):
        """{receivable line id: [(date_from, date_to)]}: the days already charged (or waived) per installment.

        Charges of a cancelled interest document do not count: their days are free to charge again.
        """
        if not line_ids:
            return {}
        self.env["cobranza.interest.charge"].flush_model(["move_line_id", "date_from", "date_to", "state"])
        rows = self.env.execute_query(
            SQL(
                """
            SELECT charge.move_line_id, charge.date_from, charge.date_to
              FROM cobranza_interest_charge charge
             WHERE charge.move_line_id = ANY(%s) AND charge.state != 'cancelled'
             ORDER BY charge.date_from
            """,
                list(line_ids),
            )
        )
        result = defaultdict(list)
        for line_id, date_from, date_to in rows:
            result[line_id].append((date_from, date_to))
        return dict(result)

    @api.model
    def _moves_under_settlement_waiving_interest(self, move_ids):
        """Ids of these invoices covered by a settlement offer still open that waives the interest."""
        if not move_ids:
            return set()
        self.env["cobranza.settlement.offer"].flush_model(["state", "waive_interest", "move_ids"])
        rows = self.env.execute_query(
            SQL(
                """
            SELECT DISTINCT rel.move_id
              FROM cobranza_settlement_offer_move_rel rel
              JOIN cobranza_settlement_offer offer ON offer.id = rel.offer_id
             WHERE offer.state IN ('to_approve', 'offered') AND offer.waive_interest AND rel.move_id = ANY(%s)
            """,
                list(move_ids),
            )
        )
        return {row[0] for row in rows}

    # ------------------------------------------------------------------ agreements

    @api.model
    def _lines_under_agreement(self, line_ids, states=("active",)):
        """Ids of these receivable lines (installments) covered by an agreement in ``states`` (by default an
        active, so far honoured, agreement)."""
        if not line_ids:
            return set()
        self.env["cobranza.agreement"].flush_model(["state", "line_ids"])
        rows = self.env.execute_query(
            SQL(
                """
            SELECT DISTINCT rel.move_line_id
              FROM cobranza_agreement_move_line_rel rel
              JOIN cobranza_agreement agreement ON agreement.id = rel.agreement_id
             WHERE agreement.state = ANY(%s) AND rel.move_line_id = ANY(%s)
            """,
                list(states),
                list(line_ids),
            )
        )
        return {row[0] for row in rows}

    @api.model
    def _moves_under_agreement(self, move_ids, today=None):
        """Ids of the invoices with an installment covered by an active (so far honoured) agreement."""
        if not move_ids:
            return set()
        self.env["cobranza.agreement"].flush_model(["state", "line_ids"])
        rows = self.env.execute_query(
            SQL(
                """
            SELECT DISTINCT aml.move_id
              FROM cobranza_agreement_move_line_rel rel
              JOIN cobranza_agreement agreement ON agreement.id = rel.agreement_id
              JOIN account_move_line aml ON aml.id = rel.move_line_id
             WHERE agreement.state = 'active' AND aml.move_id = ANY(%s)
            """,
                list(move_ids),
            )
        )
        return {row[0] for row in rows}

    # ------------------------------------------------------------------ dunning and profiles

    @api.model
    def _dunning_lines(self, partner_ids, company):
        """[DunningLineFacts]: the open receivable lines of these customers with their dunning state.

        Positive residuals are what the dunning may chase; negative ones are the customer's credits.
        """
        columns = SQL(
            """aml.id, aml.move_id, partner.commercial_partner_id, %s, aml.amount_residual,
               aml.cobranza_level_id, aml.cobranza_last_dunning_date, aml.cobranza_dunning_processed_on,
               COALESCE(move.cobranza_dispute, FALSE), COALESCE(move.cobranza_legal, FALSE)""",
            ledger.due_date("aml"),
        )
        rows = self._open_lines(partner_ids, company, columns, SQL("%s, aml.id", ledger.due_date("aml")))
        return [DunningLineFacts(*row) for row in rows]

    @api.model
    def _debtor_profiles_sql(self):
        """SQL condition on ``profile`` (cobranza_partner_profile): its customer owes something open."""
        return SQL(
            """EXISTS (
                SELECT 1
                  FROM account_move_line aml
                  JOIN res_partner partner ON partner.id = aml.partner_id
                 WHERE %(open)s
                   AND aml.amount_residual > 0
                   AND partner.commercial_partner_id = profile.partner_id
                   AND %(root)s = profile.company_id)""",
            open=ledger.open_receivable_line("aml"),
            root=ledger.company_root(SQL("aml.company_id")),
        )

    @api.model
    def _missing_profiles_sql(self):
        """SQL: (commercial partner, root company) pairs with receivable lines and no profile yet."""
        return SQL(
            """
            SELECT DISTINCT partner.commercial_partner_id, lines.root_id
              FROM (SELECT aml.partner_id, %(root)s AS root_id
                      FROM account_move_line aml
                     WHERE %(receivable)s) lines
              JOIN res_partner partner ON partner.id = lines.partner_id
             WHERE NOT EXISTS (
                   SELECT 1 FROM cobranza_partner_profile profile
                    WHERE profile.partner_id = partner.commercial_partner_id AND profile.company_id = lines.root_id)
            """,
            root=ledger.company_root(SQL("aml.company_id")),
            receivable=ledger.receivable_line("aml"),
        )

    # ------------------------------------------------------------------ at a date (the ledger's view)

    @api.model
    def _open_receivables_at(self, company, at_date, partner_ids=None):
        """Open receivable amounts as they stood at the end of ``at_date`` (company currency).

        Lines dated up to that day, less what reconciliations dated up to that day had settled:
        the total equals the receivable balance of the general ledger on that date.
        Returns [(line id, partner, date_maturity, residual)] without zero residuals.
        """
        self._flush_for_facts()
        partner_filter = SQL("AND partner_id = ANY(%s)", list(partner_ids)) if partner_ids is not None else SQL()
        return self.env.execute_query(
            SQL(
                """
            WITH %(open_at)s
            SELECT id, partner_id, date_maturity, residual
              FROM open_at
             WHERE residual != 0 %(partner_filter)s
             ORDER BY partner_id, date_maturity, id
            """,
                open_at=ledger.open_at(self._scope_company(company), at_date),
                partner_filter=partner_filter,
            )
        )

    @api.model
    def _receivable_balance_at(self, company, at_date):
        """The receivable balance of the general ledger at the end of ``at_date``."""
        self._flush_for_facts()
        return self.env.execute_query(
            SQL(
                """
            SELECT COALESCE(SUM(aml.balance), 0)
              FROM account_move_line aml
             WHERE %(receivable)s
               AND aml.date <= %(at)s
               AND %(company)s
            """,
                receivable=ledger.receivable_line("aml"),
                at=at_date,
                company=self._company_family_sql(company),
            )
        )[0][0]

    # ------------------------------------------------------------------ KPIs

    @api.model
    def _monthly_credit_sales(self, company, date_from, date_to):
        """{month start: net credit sales (invoices less credit notes)} in one query."""
        self._flush_for_facts()
        rows = self.env.execute_query(
            SQL(
                """
            SELECT date_trunc('month', move.invoice_date)::date, SUM(move.amount_total_signed)
              FROM account_move move
             WHERE move.state = 'posted' AND move.move_type IN ('out_invoice', 'out_refund')
               AND move.invoice_date BETWEEN %(start)s AND %(end)s AND %(company)s
             GROUP BY 1
            """,
                start=date_from,
                end=date_to,
                company=self._company_family_sql(company, alias="move"),
            )
        )
        return dict(rows)

    @api.model
    def _collected_after_communications(self, company, date_from, date_to, window_days):
        """[(communication id, stage, amount dunned, real payments on its lines within ``window_days``)]
        for the communications sent (or failed after sending) in the period."""
        self._flush_for_facts()
        self.env["cobranza.dunning"].flush_model()
        self.env["cobranza.dunning.line"].flush_model()
        return self.env.execute_query(
            SQL(
                """
            SELECT dunning.id, level.stage, dunning.amount_total,
                   COALESCE(SUM(part.amount) FILTER (
                       WHERE %(payment)s AND credit_line.date BETWEEN dunning.date AND dunning.date + %(window)s), 0)
              FROM cobranza_dunning dunning
              JOIN cobranza_policy_level level ON level.id = dunning.level_id
              JOIN cobranza_dunning_line line ON line.dunning_id = dunning.id
              LEFT JOIN account_partial_reconcile part ON part.debit_move_id = line.move_line_id
              LEFT JOIN account_move_line credit_line ON credit_line.id = part.credit_move_id
              LEFT JOIN account_move credit_move ON credit_move.id = credit_line.move_id
             WHERE dunning.company_id = %(company)s
               AND dunning.state IN ('sent', 'failed')
               AND dunning.date BETWEEN %(start)s AND %(end)s
             GROUP BY dunning.id, level.stage, dunning.amount_total
            """,
                payment=ledger.real_payment_move("credit_move"),
                window=window_days,
                company=self._scope_company(company).id,
                start=date_from,
                end=date_to,
            )
        )

    @api.model
    def _collected_by_collector(self, company, date_from, date_to):
        """[(collector id or None, real payments received in the period on its customers' receivables)]."""
        self._flush_for_facts()
        return self.env.execute_query(
            SQL(
                """
            SELECT profile.collector_id, SUM(part.amount)
              FROM account_partial_reconcile part
              JOIN account_move_line debit_line ON debit_line.id = part.debit_move_id
              JOIN res_partner partner ON partner.id = debit_line.partner_id
              JOIN account_move_line credit_line ON credit_line.id = part.credit_move_id
              JOIN account_move credit_move ON credit_move.id = credit_line.move_id
              JOIN cobranza_partner_profile profile
                ON profile.partner_id = partner.commercial_partner_id AND profile.company_id = %(company)s
             WHERE %(receivable)s
               AND %(payment)s
               AND credit_line.date BETWEEN %(start)s AND %(end)s
               AND %(family)s
             GROUP BY profile.collector_id
            """,
                company=self._scope_company(company).id,
                receivable=ledger.receivable_line("debit_line"),
                payment=ledger.real_payment_move("credit_move"),
                start=date_from,
                end=date_to,
                family=self._company_family_sql(company, "debit_line"),
            )
        )
