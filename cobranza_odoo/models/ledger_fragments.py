"""What the addon means by the ledger's words, written once: SQL fragments and their ORM twins.

Every query of the addon that reads receivables composes these fragments (the facts layer,
reports, SQL views, exports), so a subtlety is decided here and nowhere else:

* **A receivable line** is a journal item on an account of type *receivable* of a posted entry.
* **An open receivable line** (today) is a receivable line that is not reconciled, whose
  residual is not zero, and whose invoice is not *in payment*. Odoo marks an invoice *in
  payment* when a payment was registered for it but is not matched with the bank yet; its
  receivable line can still show a residual, but the customer has paid: for collections it is
  paid, and neither the worklist, the dunning nor the credit check count it. (Positive
  residuals are debts; negative ones are the customer's credits: unapplied payments and credit
  notes.)
* **Open at a date** (aging at a past date, KPIs) is the ledger's view instead: what the
  reconciliations dated up to that day had not settled, *in payment* or not, so the total
  equals the general ledger's receivable balance on that date.
* **A real payment** is an entry made by a payment or by a bank statement line. Credit notes,
  reversals and exchange differences settle lines too, but nobody paid.
* **The company family** of a company is its root company and every branch below it
  (``parent_path`` starts with the root's id): collections state is kept per root company.
* **The aging bucket** of a number of days past due: 0 while not due (days <= 0), then 1 + the
  number of bucket limits the days exceed — the engine's ``aging.bucket_index`` in SQL.

Aliases are passed in, so the fragments fit any query. A static test keeps the account type
and the payment test out of every other file.
"""

from odoo.tools import SQL
from odoo.tools.sql import create_index

RECEIVABLE_ACCOUNT_TYPE = "asset_receivable"


def _column(alias, name):
    return SQL.identifier(alias, name) if alias else SQL.identifier(name)


# ---------------------------------------------------------------------------- receivable lines


def receivable_line(aml="aml"):
    """SQL: the journal item ``aml`` is a receivable line of a posted entry."""
    return SQL(
        "%s IN (SELECT account.id FROM account_account account WHERE account.account_type = %s) AND %s = 'posted'",
        _column(aml, "account_id"),
        RECEIVABLE_ACCOUNT_TYPE,
        _column(aml, "parent_state"),
    )


def open_receivable_line(aml="aml"):
    """SQL: ``aml`` is an open receivable line today (see the module's docstring)."""
    return SQL("%s AND %s AND %s", receivable_line(aml), _unsettled(aml), _not_in_payment(aml))


def _unsettled(aml):
    """SQL: the journal item ``aml`` is not reconciled and still has a residual."""
    return SQL("NOT %s AND %s != 0", _column(aml, "reconciled"), _column(aml, "amount_residual"))


def _not_in_payment(aml):
    """SQL: the entry of the journal item ``aml`` is not *in payment*."""
    return SQL(
        "NOT EXISTS (SELECT 1 FROM account_move paying WHERE paying.id = %s AND %s)",
        _column(aml, "move_id"),
        in_payment("paying"),
    )


def open_receivable_line_of_customers(aml, invoices_in_payment):
    """SQL: ``aml`` is an open receivable line (the same decision as ``open_receivable_line``), worded
    for reading a few customers' lines one address at a time, as the credit check does at every
    confirmation: the receivable accounts as a list made once, and the *in payment* test against these
    customers' own entries in payment instead of one look-up per line. ``invoices_in_payment``: SQL
    selecting the ids of the entries of ``aml``'s customer that are ``in_payment`` (a handful, through
    their partial index).

    An invoice's receivable lines carry its commercial partner (Odoo computes their partner so), so the
    invoices of the customer are the only ones whose lines can be theirs."""
    return SQL(
        "%s = ANY(ARRAY(SELECT account.id FROM account_account account WHERE account.account_type = %s)) "
        "AND %s = 'posted' AND NOT %s AND %s != 0 AND %s NOT IN (%s)",
        _column(aml, "account_id"),
        RECEIVABLE_ACCOUNT_TYPE,
        _column(aml, "parent_state"),
        _column(aml, "reconciled"),
        _column(aml, "amount_residual"),
        _column(aml, "move_id"),
        invoices_in_payment,
    )


def in_payment(move="move"):
    """SQL: the entry ``move`` is *in payment*: paid by a payment not yet matched with the bank, so paid
    for collections (see the module's docstring)."""
    return SQL("%s = 'in_payment'", _column(move, "payment_state"))


# What the credit check reads of an open line: kept in its index, so that summing a customer's
# thousands of open lines does not visit the table (index-only scan).
OPEN_LINE_INDEX_COLUMNS = ("company_id", "account_id", "move_id", "amount_residual", "date_maturity", "date")


# earlier versions of the open-line index (keyed by customer only; first without the included columns)
EARLIER_OPEN_LINE_INDEXES = ("cobranza_open_line_partner_index", "cobranza_open_line_partner_covering_index")

# The indexes this addon puts on Odoo's own tables (its own tables go with the addon).
INDEXES_ON_ODOO_TABLES = (
    "cobranza_open_line_partner_due_index",
    *EARLIER_OPEN_LINE_INDEXES,
    "cobranza_in_payment_partner_index",
    "cobranza_posted_invoice_partner_index",
    "cobranza_draft_invoice_partner_index",
    "cobranza_order_to_invoice_partner_index",
)


def order_to_invoice(order):
    """SQL: the sale order ``order`` (alias) is confirmed and Odoo has not marked it fully invoiced."""
    return SQL(
        "%s = 'sale' AND %s IS DISTINCT FROM 'invoiced'",
        SQL.identifier(order, "state"),
        SQL.identifier(order, "invoice_status"),
    )


def create_order_index(cr):
    """The partial index of the confirmed orders still to invoice, by invoice address: the credit check
    reads a customer's orders through it, however many of them were invoiced long ago."""
    cr.execute(
        SQL(
            "CREATE INDEX IF NOT EXISTS cobranza_order_to_invoice_partner_index ON sale_order "
            "(partner_invoice_id) WHERE %s",
            order_to_invoice("sale_order"),
        )
    )


def fill_order_uninvoiced_amounts(cr):
    """Fill ``sale_order.cobranza_uninvoiced_amount`` from the ledger when the column is created (the same
    rule as ``engine.credit.order_line_invoiced``/``order_uninvoiced``): orders not to invoice get 0."""
    cr.execute(
        SQL(
            """
        UPDATE sale_order so
           SET cobranza_uninvoiced_amount = CASE WHEN %(to_invoice)s
                   THEN GREATEST(so.amount_total - COALESCE((
                       SELECT SUM(CASE WHEN COALESCE(line.amount_currency, 0) * COALESCE(line.price_subtotal, 0) <= 0
                                       THEN line.price_total
                                       WHEN line.parent_state = 'posted' THEN -line.price_total
                                       ELSE 0 END)
                         FROM sale_order_line sol
                         JOIN sale_order_line_invoice_rel rel ON rel.order_line_id = sol.id
                         JOIN account_move_line line ON line.id = rel.invoice_line_id
                        WHERE sol.order_id = so.id
                          AND line.parent_state IN ('posted', 'draft')), 0), 0)
                   ELSE 0 END
        """,
            to_invoice=order_to_invoice("so"),
        )
    )


def drop_open_line_indexes(cr):
    """Remove the indexes of ``create_open_line_indexes`` (when the addon is uninstalled: every write of a
    journal item or invoice would keep paying for them)."""
    for name in INDEXES_ON_ODOO_TABLES:
        cr.execute(SQL("DROP INDEX IF EXISTS %s", SQL.identifier(name)))


def create_open_line_indexes(cr):
    """Partial indexes for what the addon reads customer by customer: a customer's open lines (the
    credit check at every confirmation, a dunning batch, a statement), its posted invoices (their
    collection status, refreshed every day), its invoices in payment and its draft invoices. Their
    predicates repeat ``open_receivable_line``'s own words, so that PostgreSQL sees they apply."""
    # the index keyed by customer and due date replaces the earlier ones (the credit check reads the
    # oldest line first)
    for earlier in EARLIER_OPEN_LINE_INDEXES:
        cr.execute(SQL("DROP INDEX IF EXISTS %s", SQL.identifier(earlier)))
    cr.execute(
        SQL(
            "CREATE INDEX IF NOT EXISTS cobranza_open_line_partner_due_index ON account_move_line "
            "(partner_id, (%s)) INCLUDE (%s) WHERE parent_state = 'posted' AND NOT reconciled AND amount_residual != 0",
            due_date(None),
            SQL(", ").join(SQL.identifier(column) for column in OPEN_LINE_INDEX_COLUMNS),
        )
    )
    create_index(
        cr,
        "cobranza_in_payment_partner_index",
        "account_move",
        ["commercial_partner_id"],
        where="payment_state = 'in_payment'",
    )
    create_index(
        cr,
        "cobranza_posted_invoice_partner_index",
        "account_move",
        ["commercial_partner_id"],
        where="move_type = 'out_invoice' AND state = 'posted'",
    )
    create_index(
        cr,
        "cobranza_draft_invoice_partner_index",
        "account_move",
        ["commercial_partner_id"],
        where="state = 'draft' AND move_type = 'out_invoice'",
    )


# ---------------------------------------------------------------------------- kept open balances
#
# The credit check runs inside every order confirmation, so what a customer owes cannot be summed
# from its lines there: a customer with thousands of open invoices would make every confirmation
# wait longer. PostgreSQL keeps it instead: triggers on journal items, entries and accounts add one
# row (customer address, company, amount) to OPEN_BALANCE_TABLE for every change of a line's open
# amount as ``open_receivable_line`` decides it, so the balance of an address is the sum of its
# rows. Rows are only ever inserted by the triggers (no row a posting could wait for); the daily
# refresh rebuilds the table from the ledger, which keeps it to about one row per address (and
# would mend it if the triggers were ever bypassed).

OPEN_BALANCE_TABLE = "cobranza_open_balance_entry"
OPEN_BALANCE_FUNCTIONS = (
    "cobranza_open_balance_of_line",
    "cobranza_open_balance_of_move",
    "cobranza_open_balance_of_account",
)
OPEN_BALANCE_TRIGGERS = (  # (trigger, table)
    ("cobranza_open_balance_line_insert", "account_move_line"),
    ("cobranza_open_balance_line_update", "account_move_line"),
    ("cobranza_open_balance_line_delete", "account_move_line"),
    ("cobranza_open_balance_move_update", "account_move"),
    ("cobranza_open_balance_account_update", "account_account"),
)
# what decides a line's part in the balance (``open_receivable_line``): a change of another column
# (the dunning level, a label) does not wake the trigger
BALANCE_LINE_COLUMNS = (
    "partner_id",
    "company_id",
    "account_id",
    "move_id",
    "parent_state",
    "reconciled",
    "amount_residual",
)
# an advisory lock key of its own: one rebuild at a time
OPEN_BALANCE_REBUILD_LOCK = 4_177_920_181


def _open_line_amount(line, source=None):
    """SQL SELECT of what the journal item ``line`` (a trigger's NEW/OLD, or the alias of ``source``, SQL
    naming account_move_line) adds to its address's open balance: its residual when it is an open
    receivable line of a partner."""
    return SQL(
        "SELECT %(partner)s, %(company)s, %(residual)s %(from)s WHERE %(partner)s IS NOT NULL AND %(open)s",
        partner=_column(line, "partner_id"),
        company=_column(line, "company_id"),
        residual=_column(line, "amount_residual"),
        open=open_receivable_line(line),
        **{"from": SQL("FROM %s", source) if source else SQL()},
    )


_INSERT_BALANCE_ROW = SQL("INSERT INTO %s (partner_id, company_id, amount)", SQL.identifier(OPEN_BALANCE_TABLE))


def _may_be_open(row):
    """SQL: a trigger's row ``row`` (new/old) may be an open receivable line of a partner (the cheap test
    of the trigger's WHEN clause; the function decides)."""
    return SQL("%s.parent_state = 'posted' AND %s.partner_id IS NOT NULL AND %s.amount_residual != 0", *[SQL(row)] * 3)


def _lines_joining_or_leaving(joining, lines):
    """PL/pgSQL: the balance rows of the journal items ``lines`` (SQL condition on ``aml``), partners only,
    that all join the open balance when ``joining`` (SQL condition) is true and leave it otherwise."""
    return SQL(
        """%(insert)s
           SELECT aml.partner_id, aml.company_id,
                  CASE WHEN %(joining)s THEN SUM(aml.amount_residual) ELSE -SUM(aml.amount_residual) END
             FROM account_move_line aml
            WHERE aml.partner_id IS NOT NULL AND %(lines)s
            GROUP BY aml.partner_id, aml.company_id;""",
        insert=_INSERT_BALANCE_ROW,
        joining=joining,
        lines=lines,
    )


def _create_trigger_function(cr, name, body):
    """Create (or replace) the PL/pgSQL trigger function ``name`` running ``body`` after each row."""
    cr.execute(
        SQL(
            "CREATE OR REPLACE FUNCTION %s() RETURNS trigger LANGUAGE plpgsql "
            "AS $body$ BEGIN %s RETURN NULL; END $body$",
            SQL.identifier(name),
            body,
        )
    )


def create_open_balance_triggers(cr):
    """Create (or replace, on upgrade) the table of kept open balances, its triggers, and fill it."""
    cr.execute(
        SQL(
            "CREATE TABLE IF NOT EXISTS %(table)s (partner_id integer NOT NULL, company_id integer NOT NULL, "
            "amount numeric NOT NULL)",
            table=SQL.identifier(OPEN_BALANCE_TABLE),
        )
    )
    cr.execute(
        SQL(
            "CREATE INDEX IF NOT EXISTS %s ON %s (partner_id) INCLUDE (company_id, amount)",
            SQL.identifier(f"{OPEN_BALANCE_TABLE}_partner_index"),
            SQL.identifier(OPEN_BALANCE_TABLE),
        )
    )
    # a line: out goes what it added before the change, in what it adds now (its entry's *in payment*
    # state is the current one in both: a statement changes lines or entries, not both)
    _create_trigger_function(
        cr,
        "cobranza_open_balance_of_line",
        SQL(
            """IF TG_OP <> 'INSERT' THEN
                   %(insert)s
                   SELECT partner_id, company_id, -residual FROM (%(old)s) was(partner_id, company_id, residual);
               END IF;
               IF TG_OP <> 'DELETE' THEN
                   %(insert)s %(new)s;
               END IF;""",
            insert=_INSERT_BALANCE_ROW,
            old=_open_line_amount("old"),
            new=_open_line_amount("new"),
        ),
    )
    # an entry going in or out of payment: its open lines leave or rejoin the balance
    _create_trigger_function(
        cr,
        "cobranza_open_balance_of_move",
        _lines_joining_or_leaving(
            SQL("(%s) IS NOT TRUE", in_payment("new")),
            SQL("aml.move_id = new.id AND %s AND %s", receivable_line("aml"), _unsettled("aml")),
        ),
    )
    # an account becoming receivable or ceasing to be (rare): its open lines join or leave
    _create_trigger_function(
        cr,
        "cobranza_open_balance_of_account",
        _lines_joining_or_leaving(
            SQL("new.account_type = %s", RECEIVABLE_ACCOUNT_TYPE),
            SQL(
                "aml.account_id = new.id AND aml.parent_state = 'posted' AND %s AND %s",
                _unsettled("aml"),
                _not_in_payment("aml"),
            ),
        ),
    )
    line_columns = SQL(", ").join(SQL.identifier(column) for column in BALANCE_LINE_COLUMNS)
    changed = SQL(" OR ").join(
        SQL("old.%s IS DISTINCT FROM new.%s", SQL.identifier(column), SQL.identifier(column))
        for column in BALANCE_LINE_COLUMNS
    )
    definitions = {
        "cobranza_open_balance_line_insert": SQL(
            "AFTER INSERT ON account_move_line FOR EACH ROW WHEN (%s) EXECUTE FUNCTION cobranza_open_balance_of_line()",
            _may_be_open("new"),
        ),
        "cobranza_open_balance_line_update": SQL(
            "AFTER UPDATE OF %s ON account_move_line FOR EACH ROW WHEN (%s) "
            "EXECUTE FUNCTION cobranza_open_balance_of_line()",
            line_columns,
            changed,
        ),
        "cobranza_open_balance_line_delete": SQL(
            "AFTER DELETE ON account_move_line FOR EACH ROW WHEN (%s) EXECUTE FUNCTION cobranza_open_balance_of_line()",
            _may_be_open("old"),
        ),
        "cobranza_open_balance_move_update": SQL(
            "AFTER UPDATE OF payment_state ON account_move FOR EACH ROW WHEN ((%s) IS DISTINCT FROM (%s)) "
            "EXECUTE FUNCTION cobranza_open_balance_of_move()",
            in_payment("old"),
            in_payment("new"),
        ),
        "cobranza_open_balance_account_update": SQL(
            "AFTER UPDATE OF account_type ON account_account FOR EACH ROW "
            "WHEN ((old.account_type = %s) IS DISTINCT FROM (new.account_type = %s)) "
            "EXECUTE FUNCTION cobranza_open_balance_of_account()",
            RECEIVABLE_ACCOUNT_TYPE,
            RECEIVABLE_ACCOUNT_TYPE,
        ),
    }
    for trigger, table in OPEN_BALANCE_TRIGGERS:
        cr.execute(SQL("DROP TRIGGER IF EXISTS %s ON %s", SQL.identifier(trigger), SQL.identifier(table)))
        cr.execute(SQL("CREATE TRIGGER %s %s", SQL.identifier(trigger), definitions[trigger]))
    rebuild_open_balances(cr)


def rebuild_open_balances(cr):
    """Replace the kept open balances by the ledger's, one row per address and company; False when another
    transaction is rebuilding them (its result will stand)."""
    cr.execute(SQL("SELECT pg_try_advisory_xact_lock(%s)", OPEN_BALANCE_REBUILD_LOCK))
    if not cr.fetchone()[0]:
        return False
    # DELETE, not TRUNCATE: rows a concurrent posting adds are not seen here, and must stay
    cr.execute(SQL("DELETE FROM %s", SQL.identifier(OPEN_BALANCE_TABLE)))
    cr.execute(
        SQL(
            """%(insert)s
               SELECT partner_id, company_id, SUM(residual) FROM (%(lines)s) line(partner_id, company_id, residual)
                GROUP BY partner_id, company_id HAVING SUM(residual) != 0""",
            insert=_INSERT_BALANCE_ROW,
            lines=_open_line_amount("aml", SQL("account_move_line aml")),
        )
    )
    return True


def drop_open_balance_triggers(cr):
    """Remove the triggers, functions and table of ``create_open_balance_triggers`` (uninstall: left
    behind, every posting would fail on the missing table)."""
    for trigger, table in OPEN_BALANCE_TRIGGERS:
        cr.execute(SQL("DROP TRIGGER IF EXISTS %s ON %s", SQL.identifier(trigger), SQL.identifier(table)))
    for function in OPEN_BALANCE_FUNCTIONS:
        cr.execute(SQL("DROP FUNCTION IF EXISTS %s()", SQL.identifier(function)))
    cr.execute(SQL("DROP TABLE IF EXISTS %s", SQL.identifier(OPEN_BALANCE_TABLE)))


def open_balance_of_addresses(addresses, family):
    """SQL: the kept open balance of the address ``addresses`` (an SQL id expression) in the companies of
    ``family`` (SQL selecting company ids): one index look-up, whatever the number of open lines."""
    return SQL(
        "SELECT SUM(entry.amount) FROM %s entry WHERE entry.partner_id = %s AND entry.company_id = ANY(ARRAY(%s))",
        SQL.identifier(OPEN_BALANCE_TABLE),
        addresses,
        family,
    )


def open_receivable_domain():
    """The ORM domain of an open receivable line (the same decision as ``open_receivable_line``)."""
    return [
        ("account_type", "=", RECEIVABLE_ACCOUNT_TYPE),
        ("parent_state", "=", "posted"),
        ("reconciled", "=", False),
        ("amount_residual", "!=", 0),
        ("move_id.payment_state", "!=", "in_payment"),
    ]


def is_receivable_line(line):
    """Python: a journal item (record) is on a receivable account."""
    return line.account_type == RECEIVABLE_ACCOUNT_TYPE


def is_open_receivable_line(line):
    """Python: a journal item (record) is an open receivable line (see ``open_receivable_line``)."""
    return (
        is_receivable_line(line)
        and line.parent_state == "posted"
        and not line.reconciled
        and not line.company_currency_id.is_zero(line.amount_residual)
        and line.move_id.payment_state != "in_payment"
    )


def receivable_accounts_domain():
    """ORM domain of receivable accounts (for the benchmark and set-ups)."""
    return [("account_type", "=", RECEIVABLE_ACCOUNT_TYPE)]


def due_date(aml="aml"):
    """SQL: a line's due date (its own maturity, else its date)."""
    return SQL("COALESCE(%s, %s)", _column(aml, "date_maturity"), _column(aml, "date"))


# ---------------------------------------------------------------------------- payments


def real_payment_move(move="move"):
    """SQL: the entry ``move`` was made by a payment or a bank statement line."""
    return SQL(
        "(%s IS NOT NULL OR %s IS NOT NULL)", _column(move, "origin_payment_id"), _column(move, "statement_line_id")
    )


def payment_move_fields():
    """Fields of account.move the payment test reads (to flush before a query)."""
    return ["origin_payment_id", "statement_line_id"]


# ---------------------------------------------------------------------------- companies


def company_family_ids(company):
    """SQL: SELECT the ids of ``company``'s root and branches."""
    return SQL("SELECT family.id FROM res_company family WHERE family.parent_path LIKE %s", f"{company.root_id.id}/%")


def company_family(company_column, company):
    """SQL: ``company_column`` (an SQL expression) is ``company``'s root or one of its branches."""
    # an array computed once per query (a handful of companies), not a look-up per row
    return SQL("%s = ANY(ARRAY(%s))", company_column, company_family_ids(company))


def company_root(company_column):
    """SQL: the root company id of the company in ``company_column`` (for queries over every company)."""
    return SQL(
        "(SELECT split_part(root.parent_path, '/', 1)::int FROM res_company root WHERE root.id = %s)", company_column
    )


def company_family_domain(company, field="company_id"):
    """ORM domain: ``field`` is ``company``'s root or one of its branches."""
    return [(field, "child_of", company.root_id.id)]


# ---------------------------------------------------------------------------- at a date


def settled_at(at_date):
    """CTE ``settled``: per journal item, what reconciliations dated up to ``at_date`` settled
    (positive on the debit side, negative on the credit side)."""
    return SQL(
        """settled AS (
            SELECT line_id, SUM(amount) AS amount FROM (
                SELECT debit_move_id AS line_id, amount FROM account_partial_reconcile WHERE max_date <= %(at)s
                UNION ALL
                SELECT credit_move_id, -amount FROM account_partial_reconcile WHERE max_date <= %(at)s
            ) parts GROUP BY line_id
        )""",
        at=at_date,
    )


def open_at(company, at_date):
    """CTEs ``settled`` and ``open_at``: every receivable line of the company family dated up to
    ``at_date`` with its commercial partner, due date and what was still open at the end of that day."""
    return SQL(
        """%(settled)s, open_at AS (
            SELECT aml.id, partner.commercial_partner_id AS partner_id,
                   %(due)s AS date_maturity,
                   aml.balance - COALESCE(settled.amount, 0) AS residual
              FROM account_move_line aml
              JOIN res_partner partner ON partner.id = aml.partner_id
              LEFT JOIN settled ON settled.line_id = aml.id
             WHERE %(receivable)s
               AND aml.date <= %(at)s
               AND %(company)s
        )""",
        settled=settled_at(at_date),
        due=due_date("aml"),
        receivable=receivable_line("aml"),
        at=at_date,
        company=company_family(SQL("aml.company_id"), company),
    )


# ---------------------------------------------------------------------------- aging


def bucket_index(days, limits):
    """SQL: the aging bucket index of ``days`` past due against ``limits`` (an SQL int array)."""
    return SQL(
        "CASE WHEN %(days)s <= 0 THEN 0 "
        "ELSE 1 + (SELECT COUNT(*) FROM unnest(%(limits)s) AS bucket_limit WHERE %(days)s > bucket_limit) END",
        days=days,
        limits=limits,
    )


def bucket_limits_param(limits):
    """SQL int array of the given bucket limits (e.g. (30, 60, 90, 120))."""
    return SQL("%s::int[]", list(limits))


def bucket_limits_of_company(company_alias):
    """SQL int array of the limits configured on the company row ``company_alias`` ("30,60,90,120")."""
    return SQL("string_to_array(replace(%s, ' ', ''), ',')::int[]", _column(company_alias, "cobranza_aging_buckets"))
