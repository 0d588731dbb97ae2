"""The body of tools/benchmark_daily_runs.py, run inside ``odoo shell`` on a throwaway database.

Parameters come from the environment (BENCH_CUSTOMERS, BENCH_LINES, BENCH_STEPS); the figures are
printed as one ``BENCHMARK {json}`` line. Not an addon file: it is never installed.
"""

import json
import os
import statistics
import subprocess
import threading
import time

from odoo import Command, fields, sql_db
from odoo.addons.cobranza_odoo.models import ledger_fragments
from odoo.tools import SQL

env = globals()["env"]  # given by odoo shell
CUSTOMERS = int(os.environ["BENCH_CUSTOMERS"])
LINES = int(os.environ["BENCH_LINES"])
CREDIT_ROUNDS = int(os.environ.get("BENCH_CREDIT_ROUNDS", "100"))  # confirmations per mode and customer
STEPS = os.environ.get("BENCH_STEPS", "refresh,review,send,letters,credit,posting,workers").split(",")
BIG_CUSTOMER_LINES = min(int(os.environ.get("BENCH_BIG_CUSTOMER_LINES", "5000")), LINES // 4)

# --------------------------------------------------------------------------- measuring


class Meter:
    """Queries and SQL time of every cursor of this process, wall time, peak RSS."""

    def __init__(self):
        self.queries = 0
        self.sql_seconds = 0.0
        self.lock = threading.Lock()
        real_execute = sql_db.Cursor.execute
        meter = self

        def execute(cursor, query, params=None, log_exceptions=True):
            started = time.perf_counter()
            try:
                return real_execute(cursor, query, params, log_exceptions)
            finally:
                with meter.lock:
                    meter.queries += 1
                    meter.sql_seconds += time.perf_counter() - started

        sql_db.Cursor.execute = execute

    def snapshot(self):
        return self.queries, self.sql_seconds, time.perf_counter()


meter = Meter()


def memory_kib(field):
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(field + ":"))


def reset_peak():
    with open("/proc/self/clear_refs", "w") as clear_refs:
        clear_refs.write("5")


def count(table):
    env.cr.execute(SQL("SELECT COUNT(*) FROM %s", SQL.identifier(table)))
    return env.cr.fetchone()[0]


def run_cron(method, xmlid, cr_env=None, max_calls=100_000):
    """Call a scheduled action's method as Odoo's cron does: call, commit, call again until done."""
    cr_env = cr_env or env
    cron = cr_env.ref(xmlid)
    calls = 0
    while calls < max_calls:
        progress = cr_env["ir.cron.progress"].create({"cron_id": cron.id})
        cr_env.cr.commit()  # as Odoo does: the call's own transaction begins after the progress record
        method(cr_env(context=dict(cr_env.context, ir_cron_progress_id=progress.id)))
        cr_env.cr.commit()
        calls += 1
        if not progress.remaining or not progress.done:
            break
    return calls


def measure(name, action, created_tables=()):
    before_rows = {table: count(table) for table in created_tables}
    env.cr.commit()
    reset_peak()
    rss_before = memory_kib("VmRSS")
    queries, sql, started = meter.snapshot()
    extra = action() or {}
    queries2, sql2, ended = meter.snapshot()
    figures = {
        "wall_s": round(ended - started, 2),
        "sql_s": round(sql2 - sql, 2),
        "queries": queries2 - queries,
        "peak_rss_mib": round(memory_kib("VmHWM") / 1024, 1),
        "rss_growth_mib": round((memory_kib("VmHWM") - rss_before) / 1024, 1),
        **{f"created_{table}": count(table) - rows for table, rows in before_rows.items()},
        **extra,
    }
    RESULTS[name] = figures
    print(f"step {name}: {json.dumps(figures)}", flush=True)
    return figures


RESULTS = {}

# --------------------------------------------------------------------------- the portfolio


def load_portfolio():
    company = env.ref("base.main_company")
    today = fields.Date.context_today(env.user)
    journal = env["account.journal"].search([("type", "=", "sale"), ("company_id", "=", company.id)], limit=1)
    bank = env["account.journal"].search([("type", "=", "bank"), ("company_id", "=", company.id)], limit=1)
    receivable = env["account.account"].search(
        [*ledger_fragments.receivable_accounts_domain(), ("company_ids", "in", company.id)], limit=1
    )
    income = env["account.account"].search(
        [("account_type", "=", "income"), ("company_ids", "in", company.id)], limit=1
    )
    partners = (
        env["res.partner"]
        .with_context(tracking_disable=True, mail_create_nolog=True)
        .create(
            [
                {"name": f"Cliente {n:05d} S.A.S.", "is_company": True, "email": f"pagos{n}@cliente.example"}
                for n in range(CUSTOMERS)
            ]
        )
    )
    big = partners[0]
    paid_lines = LINES // 2
    partial_lines = LINES // 5
    total = LINES + paid_lines
    params = {
        "journal": journal.id,
        "bank": bank.id,
        "bank_account": bank.default_account_id.id,
        "company": company.id,
        "currency": company.currency_id.id,
        "today": today,
        "partners": partners[1:].ids,
        "others": CUSTOMERS - 1,
        "big": big.id,
        "big_lines": BIG_CUSTOMER_LINES,
        "total": total,
        "open": LINES,
        "partial": partial_lines,
        "receivable": receivable.id,
        "income": income.id,
        "pattern": "BENCH/%",
    }
    # Invoices n = 1..total: the first LINES stay open (the first `partial` of them half paid), the
    # rest are paid. The big customer holds `big_lines` open invoices (the credit check's worst case).
    env.cr.execute(
        SQL(
            """
        CREATE TEMP TABLE bench_invoice AS
        SELECT n,
               CASE WHEN n <= %(big_lines)s THEN %(big)s
                    ELSE (%(partners)s::int[])[1 + mod(n, %(others)s)] END AS partner,
               round((100 + mod(n * 37, 5000))::numeric, 2) AS amount,
               %(today)s::date - (CASE WHEN n <= %(open)s THEN mod(n * 7, 390) ELSE 30 + mod(n * 11, 330) END) AS day,
               CASE WHEN n <= %(partial)s THEN 'partial' WHEN n <= %(open)s THEN 'open' ELSE 'paid' END AS status
          FROM generate_series(1, %(total)s) n
            """,
            **params,
        )
    )
    env.cr.execute(
        SQL(
            """
        WITH moves AS (
            INSERT INTO account_move (name, journal_id, company_id, currency_id, date, invoice_date, invoice_date_due,
                                      move_type, state, payment_state, partner_id, commercial_partner_id,
                                      amount_total, amount_total_signed, amount_residual, amount_residual_signed,
                                      amount_untaxed, amount_untaxed_signed, amount_tax, amount_tax_signed,
                                      auto_post, ref, create_date, write_date)
            SELECT 'BENCH/' || n, %(journal)s, %(company)s, %(currency)s, day, day, day + 30, 'out_invoice', 'posted',
                   CASE status WHEN 'paid' THEN 'paid' WHEN 'partial' THEN 'partial' ELSE 'not_paid' END,
                   partner, partner, amount, amount,
                   CASE status WHEN 'paid' THEN 0 WHEN 'partial' THEN round(amount / 2, 2) ELSE amount END,
                   CASE status WHEN 'paid' THEN 0 WHEN 'partial' THEN round(amount / 2, 2) ELSE amount END,
                   amount, amount, 0, 0, 'no', n::text, now(), now()
              FROM bench_invoice
            RETURNING id, partner_id, date, invoice_date_due, amount_total, amount_residual, ref
        )
        INSERT INTO account_move_line (move_id, journal_id, company_id, company_currency_id, currency_id, account_id,
                                       partner_id, name, date, date_maturity, parent_state, display_type,
                                       balance, debit, credit, amount_currency, amount_residual,
                                       amount_residual_currency, reconciled, create_date, write_date)
        SELECT id, %(journal)s, %(company)s, %(currency)s, %(currency)s, %(receivable)s, partner_id, ref, date,
               invoice_date_due, 'posted', 'payment_term', amount_total, amount_total, 0, amount_total,
               amount_residual, amount_residual, amount_residual = 0, now(), now()
          FROM moves
        UNION ALL
        SELECT id, %(journal)s, %(company)s, %(currency)s, %(currency)s, %(income)s, partner_id, 'Venta', date,
               NULL, 'posted', 'product', -amount_total, 0, amount_total, -amount_total, 0, 0, FALSE, now(), now()
          FROM moves
            """,
            **params,
        )
    )
    # Real payments for the paid and partly paid invoices: a payment, its entry, its two lines and
    # the partial reconciliation with the invoice's receivable line (paid 10 days early to 40 late).
    env.cr.execute(
        SQL(
            """
        CREATE TEMP TABLE bench_payment AS
        SELECT line.id AS invoice_line, line.partner_id, line.balance - line.amount_residual AS amount,
               LEAST(line.date_maturity - 10 + mod(line.id * 13, 50), %(today)s::date) AS day
          FROM account_move_line line
          JOIN account_move move ON move.id = line.move_id
         WHERE move.name LIKE %(pattern)s AND line.display_type = 'payment_term'
           AND line.amount_residual < line.balance;

        ALTER TABLE bench_payment ADD COLUMN payment_id int, ADD COLUMN move_id int, ADD COLUMN credit_line int;

        WITH payments AS (
            INSERT INTO account_payment (company_id, journal_id, date, partner_id, partner_type, payment_type, state,
                                         amount, currency_id, memo, create_date, write_date)
            SELECT %(company)s, %(bank)s, day, partner_id, 'customer', 'inbound', 'paid', amount, %(currency)s,
                   'BENCH-PAY/' || invoice_line, now(), now()
              FROM bench_payment
            RETURNING id, memo
        )
        UPDATE bench_payment SET payment_id = payments.id
          FROM payments WHERE payments.memo = 'BENCH-PAY/' || bench_payment.invoice_line;

        WITH moves AS (
            INSERT INTO account_move (name, journal_id, company_id, currency_id, date, move_type, state, payment_state,
                                      partner_id, commercial_partner_id, origin_payment_id, auto_post, ref,
                                      create_date, write_date)
            SELECT 'BENCH-PAY/' || invoice_line, %(bank)s, %(company)s, %(currency)s, day, 'entry', 'posted',
                   'not_paid', partner_id, partner_id, payment_id, 'no', invoice_line::text, now(), now()
              FROM bench_payment
            RETURNING id, ref
        )
        UPDATE bench_payment SET move_id = moves.id FROM moves WHERE moves.ref = bench_payment.invoice_line::text;

        UPDATE account_payment SET move_id = bench_payment.move_id
          FROM bench_payment WHERE bench_payment.payment_id = account_payment.id;

        WITH lines AS (
            INSERT INTO account_move_line (move_id, journal_id, company_id, company_currency_id, currency_id,
                                           account_id, partner_id, name, ref, date, parent_state, display_type,
                                           balance, debit, credit, amount_currency, amount_residual,
                                           amount_residual_currency, reconciled, create_date, write_date)
            SELECT move_id, %(bank)s, %(company)s, %(currency)s, %(currency)s, %(receivable)s, partner_id, 'Pago',
                   invoice_line::text, day, 'posted', 'product', -amount, 0, amount, -amount, 0, 0, TRUE, now(), now()
              FROM bench_payment
            RETURNING id, ref
        )
        UPDATE bench_payment SET credit_line = lines.id FROM lines WHERE lines.ref = bench_payment.invoice_line::text;

        INSERT INTO account_move_line (move_id, journal_id, company_id, company_currency_id, currency_id, account_id,
                                       partner_id, name, date, parent_state, display_type, balance, debit, credit,
                                       amount_currency, amount_residual, amount_residual_currency, reconciled,
                                       create_date, write_date)
        SELECT move_id, %(bank)s, %(company)s, %(currency)s, %(currency)s, %(bank_account)s, partner_id, 'Pago', day,
               'posted', 'product', amount, amount, 0, amount, 0, 0, FALSE, now(), now()
          FROM bench_payment;

        INSERT INTO account_partial_reconcile (debit_move_id, credit_move_id, amount, debit_amount_currency,
                                               credit_amount_currency, debit_currency_id, credit_currency_id,
                                               company_id, max_date, create_date, write_date)
        SELECT invoice_line, credit_line, amount, amount, amount, %(currency)s, %(currency)s, %(company)s, day,
               now(), now()
          FROM bench_payment;
            """,
            **params,
        )
    )
    env.cr.commit()
    env.cr.execute("ANALYZE")
    env.invalidate_all()
    env.cr.execute(
        SQL(
            "SELECT COUNT(*) FROM account_move_line aml WHERE %s AND aml.amount_residual > 0",
            ledger_fragments.open_receivable_line("aml"),
        )
    )
    return {"open_receivable_lines": env.cr.fetchone()[0], "paid_lines": paid_lines, "big_customer": big.id}


# --------------------------------------------------------------------------- the runs


def refresh_run():
    calls = run_cron(
        lambda e: e["cobranza.profile.refresh"]._cron_refresh_customers(),
        "cobranza_odoo.ir_cron_cobranza_refresh_customers",
    )
    return {"calls": calls}


def dunning_run(cr_env=None, worker=None):
    calls = run_cron(
        lambda e: e["cobranza.dunning.run"]._cron_run_dunning(worker=worker),
        "cobranza_odoo.ir_cron_cobranza_dunning",
        cr_env=cr_env,
    )
    return {"calls": calls}


def new_day():
    """As if the next day had come: nothing handled yet today (the communications stay open)."""
    env.cr.execute("UPDATE cobranza_partner_profile SET dunning_checked_on = NULL")
    env.cr.execute(
        "UPDATE account_move_line SET cobranza_dunning_processed_on = NULL "
        "WHERE cobranza_dunning_processed_on IS NOT NULL"
    )
    env.cr.commit()
    env.invalidate_all()


def email_only_policy():
    levels = env.ref("cobranza_odoo.policy_standard").level_ids
    levels.write({"print_letter": False, "schedule_call": False, "fallback_channel": False})
    # the judicial level hands over with a letter: for this run it is a last notice by e-mail
    levels.filtered("handoff").write({"stage": "prejudicial", "handoff": False})
    env.cr.commit()


def letters_step():
    """The cost of a printed letter (one wkhtmltopdf call each), outside the time-limited batches."""
    dunnings = env["cobranza.dunning"].search([("state", "=", "sent")], limit=3)
    started = time.perf_counter()
    for dunning in dunnings:
        dunning._render_letters()
    seconds = time.perf_counter() - started
    env.cr.rollback()
    return {"letters": len(dunnings), "seconds_per_letter": round(seconds / max(len(dunnings), 1), 2)}


def cpu_ticks():
    """(steal, total) CPU ticks of the machine so far: on a virtual machine, the share of time its host
    gave to others ("steal"), which inflates every wall and CPU time measured meanwhile."""
    with open("/proc/stat") as stat:
        ticks = [int(value) for value in stat.readline().split()[1:]]
    return ticks[7] if len(ticks) > 7 else 0, sum(ticks)


def vacuum(*tables):
    """VACUUM ANALYZE ``tables`` now, as PostgreSQL's autovacuum does minutes after a bulk change: until
    then an index-only scan of rows just written visits the table for each of them (outside any
    transaction, so on a connection of its own)."""
    env.cr.commit()
    connection = sql_db.db_connect(env.cr.dbname).cursor()
    try:
        connection._cnx.autocommit = True
        for table in tables:
            connection.execute(SQL("VACUUM ANALYZE %s", SQL.identifier(table)))
    finally:
        connection.close()


def credit_step():
    """Confirming an order: plain (the addon's gate bypassed), with enforcement off, and in Block mode,
    for a customer with 1 and with BIG_CUSTOMER_LINES open invoices, on a ledger autovacuum has seen and
    with the kept open balances as the day's first refresh leaves them (one row an address)."""
    env["cobranza.receivable.facts"]._rebuild_open_balances()
    vacuum("account_move_line", "account_move", "sale_order", "sale_order_line", "cobranza_open_balance_entry")
    company = env.ref("base.main_company")
    product = env["product.product"].create({"name": "Bench product", "list_price": 10.0, "type": "consu"})
    small = env["res.partner"].create({"name": "Cliente Pequeño", "is_company": True})
    env["account.move"].create(
        {
            "move_type": "out_invoice",
            "partner_id": small.id,
            "invoice_line_ids": [Command.create({"name": "x", "price_unit": 100.0, "tax_ids": []})],
        }
    ).action_post()
    big = env["res.partner"].browse(RESULTS["load"]["big_customer"])
    (small | big).write({"credit_limit": 1e12})
    # Within the limit and no automatic hold: the check runs in full and lets the order through.
    company.cobranza_credit_hold_days = 0
    env["cobranza.partner.profile"].search([("credit_hold", "=", True)]).write({"credit_hold": False})
    env["cobranza.segment"].search([]).write({"credit_action": "company", "hold_days": 0})
    # A salesperson at the screen (the superuser's confirmations are never checked: nobody to ask).
    salesman = env["res.users"].create(
        {
            "name": "Bench Salesman",
            "login": "bench_salesman",
            "groups_id": [Command.set([env.ref("sales_team.group_sale_salesman_all_leads").id])],
        }
    )
    Gate = type(env["cobranza.credit.gate"])
    real_gate = Gate._cobranza_credit_gate
    figures = {}

    env.cr.execute("SELECT pg_backend_pid()")
    backend_schedstat = f"/proc/{env.cr.fetchone()[0]}/schedstat"

    def cpu_seconds():
        """CPU time of this process and of its PostgreSQL backend (when it runs on this machine): unlike
        wall time, not inflated while the machine lends its CPUs to someone else."""
        try:
            with open(backend_schedstat) as schedstat:
                backend = int(schedstat.read().split()[0]) / 1e9
        except OSError:
            backend = 0.0
        return time.process_time() + backend

    def confirm_once(partner):
        # each sample rolls its order back: the customer measured keeps its 1 or BIG_CUSTOMER_LINES open
        # invoices and no confirmed order, whatever the number of rounds
        with env.cr.savepoint() as savepoint:
            order = env["sale.order"].create(
                {
                    "partner_id": partner.id,
                    "order_line": [Command.create({"product_id": product.id, "product_uom_qty": 1})],
                }
            )
            env.flush_all()
            env.invalidate_all()
            # as a request does: Odoo's pool resets each connection it lends (psycopg2 runs DISCARD ALL),
            # so no plan PostgreSQL kept for an earlier sample (a PL/pgSQL function's, a prepared one) is
            # left to help this one
            env.cr.execute("DISCARD PLANS")
            queries, _sql, started = meter.snapshot()
            cpu_started = cpu_seconds()
            # as from the web client, whose every call carries the user's time zone in its context
            order.with_user(salesman).with_context(tz="America/Bogota").action_confirm()
            env.flush_all()
            cpu_ended = cpu_seconds()
            queries2, _sql2, ended = meter.snapshot()
            savepoint.rollback()
        return queries2 - queries, (ended - started) * 1000, (cpu_ended - cpu_started) * 1000

    def use_mode(mode):
        Gate._cobranza_credit_gate = (
            (lambda self: (None, self.env["cobranza.credit.override"])) if mode == "plain" else real_gate
        )
        company.cobranza_credit_action = "none" if mode == "plain" else mode

    # The modes take turns, sample by sample: a machine that slows down for a while (another
    # process, the disk) then slows all of them alike instead of tilting one mode's median.
    modes = ("plain", "none", "block")
    steal_started, total_started = cpu_ticks()
    for label, customer in (("1_invoice", small), (f"{BIG_CUSTOMER_LINES}_invoices", big)):
        samples = {mode: [] for mode in modes}
        for round_number in range(CREDIT_ROUNDS + 2):
            for mode in modes:
                use_mode(mode)
                sample = confirm_once(customer)
                if round_number >= 2:  # the first rounds warm Odoo's and PostgreSQL's caches
                    samples[mode].append(sample)
        Gate._cobranza_credit_gate = real_gate
        medians = {mode: statistics.median(ms for _queries, ms, _cpu in samples[mode]) for mode in modes}
        cpu_medians = {mode: statistics.median(cpu for _queries, _ms, cpu in samples[mode]) for mode in modes}
        for mode in modes:
            figures[f"{label}_{mode}"] = {
                "queries": samples[mode][-1][0],
                "ms_median": round(medians[mode], 1),
                "cpu_ms_median": round(cpu_medians[mode], 1),
            }
        for mode in ("none", "block"):
            pairs = list(zip(samples[mode], samples["plain"], strict=True))
            figures[f"{label}_{mode}_over_plain"] = {
                "queries": samples[mode][-1][0] - samples["plain"][-1][0],
                "ms": round(medians[mode] - medians["plain"], 1),
                # paired: each sample against the plain one of its own round
                "ms_median_of_pairs": round(
                    statistics.median(ms - plain_ms for (_q, ms, _c), (_pq, plain_ms, _pc) in pairs), 1
                ),
                "cpu_ms_median_of_pairs": round(
                    statistics.median(cpu - plain_cpu for (_q, _m, cpu), (_pq, _pm, plain_cpu) in pairs), 1
                ),
            }
    steal_ended, total_ended = cpu_ticks()
    elapsed_ticks = max(total_ended - total_started, 1)
    figures["machine_steal_percent"] = round(100 * (steal_ended - steal_started) / elapsed_ticks, 1)
    env.cr.rollback()
    return figures


def posting_step():
    """What the kept open balances' triggers add to the ledger's own work: a customer invoice of ten lines
    posted, then paid in full (payment posted and reconciled), with the triggers and with them disabled,
    taking turns sample by sample; each sample rolls itself back."""
    product = env["product.product"].create({"name": "Bench posting", "list_price": 10.0, "type": "consu"})
    customer = env["res.partner"].create({"name": "Cliente Contado", "is_company": True})

    def set_triggers(enabled):
        for trigger, table in ledger_fragments.OPEN_BALANCE_TRIGGERS:
            env.cr.execute(
                SQL(
                    "ALTER TABLE %s %s TRIGGER %s",
                    SQL.identifier(table),
                    SQL("ENABLE" if enabled else "DISABLE"),
                    SQL.identifier(trigger),
                )
            )

    def sample():
        with env.cr.savepoint() as savepoint:
            invoice = env["account.move"].create(
                {
                    "move_type": "out_invoice",
                    "partner_id": customer.id,
                    "invoice_line_ids": [
                        Command.create({"product_id": product.id, "price_unit": 10.0 + n, "tax_ids": []})
                        for n in range(10)
                    ],
                }
            )
            env.flush_all()
            env.invalidate_all()
            _queries, _sql, started = meter.snapshot()
            invoice.action_post()
            env.flush_all()
            _queries, _sql, posted = meter.snapshot()
            env["account.payment.register"].with_context(active_model="account.move", active_ids=invoice.ids).create(
                {}
            )._create_payments()
            env.flush_all()
            _queries, _sql, paid = meter.snapshot()
            assert invoice.payment_state in ("paid", "in_payment"), invoice.payment_state
            savepoint.rollback()
        return (posted - started) * 1000, (paid - posted) * 1000

    samples = {True: [], False: []}
    for round_number in range(CREDIT_ROUNDS + 2):
        for enabled in (True, False):
            set_triggers(enabled)
            result = sample()
            if round_number >= 2:
                samples[enabled].append(result)
    set_triggers(True)
    figures = {}
    for index, action in enumerate(("post", "pay")):
        with_triggers = [sample[index] for sample in samples[True]]
        without = [sample[index] for sample in samples[False]]
        figures[f"{action}_ms_median_without_triggers"] = round(statistics.median(without), 1)
        figures[f"{action}_ms_median_with_triggers"] = round(statistics.median(with_triggers), 1)
        figures[f"{action}_triggers_ms_median_of_pairs"] = round(
            statistics.median(a - b for a, b in zip(with_triggers, without, strict=True)), 1
        )
    env.cr.rollback()
    return figures


def reset_dunning():
    """Back to the first day: no communication, no level sent."""
    env.cr.execute("DELETE FROM cobranza_dunning")
    env.cr.execute(
        "UPDATE account_move_line SET cobranza_level_id = NULL, cobranza_last_dunning_date = NULL, "
        "cobranza_dunning_processed_on = NULL WHERE cobranza_level_id IS NOT NULL "
        "OR cobranza_dunning_processed_on IS NOT NULL"
    )
    new_day()


def run_in_processes(workers):
    """The review run by ``workers`` Odoo processes side by side, as ``--workers=2 --max-cron-threads=2``
    runs it (each cron worker its own process: no interpreter lock shared). Each process loads the
    registry first; the clock starts when all are ready and stops when the last one is done."""
    reset_dunning()
    command = json.loads(os.environ["BENCH_SHELL_COMMAND"])
    go_file = f"/tmp/cobranza_bench_go_{os.getpid()}"
    if os.path.exists(go_file):
        os.remove(go_file)
    processes = []
    log_file = open(os.environ.get("BENCH_LOG", os.devnull), "a")
    for number in range(workers):
        worker_env = dict(os.environ, BENCH_WORKER="none" if workers == 1 else str(number), BENCH_GO_FILE=go_file)
        with open(os.environ["BENCH_SCRIPT"]) as script:
            processes.append(
                subprocess.Popen(
                    command,
                    stdin=script,
                    stdout=subprocess.PIPE,
                    stderr=log_file,
                    text=True,
                    env=worker_env,
                )
            )
    for process in processes:
        for line in process.stdout:
            if line.startswith("WORKER READY"):
                break
    started = time.time()
    with open(go_file, "w"):
        pass
    reports = []
    for process in processes:
        for line in process.stdout:
            if line.startswith("WORKER DONE "):
                reports.append(json.loads(line[len("WORKER DONE ") :]))
        process.wait()
    os.remove(go_file)
    log_file.close()
    env.invalidate_all()
    env.cr.execute(
        "SELECT COUNT(*) FROM (SELECT partner_id, date, level_id FROM cobranza_dunning WHERE state != 'cancelled' "
        "GROUP BY 1, 2, 3 HAVING COUNT(*) > 1) duplicates"
    )
    duplicates = env.cr.fetchone()[0]
    return {
        "wall_s": round(max((report["ended"] for report in reports), default=started) - started, 2),
        "sql_s": round(sum(report["sql_s"] for report in reports), 2),
        "queries": sum(report["queries"] for report in reports),
        "calls": [report["calls"] for report in reports],
        "errors": [error for report in reports for error in report["errors"]]
        + ([] if len(reports) == workers else [f"{workers - len(reports)} process(es) did not report"]),
        "duplicate_communications": duplicates,
        "communications": count("cobranza_dunning"),
    }


def processes_step(name, workers):
    figures = run_in_processes(workers)
    RESULTS[name] = figures
    print(f"step {name}: {json.dumps(figures)}", flush=True)


def worker_process(worker):
    """Inside one of run_in_processes' processes: wait for the start, run, report."""
    print("WORKER READY", flush=True)
    while not os.path.exists(os.environ["BENCH_GO_FILE"]):
        time.sleep(0.002)
    errors = []
    queries, sql, _started = meter.snapshot()
    calls = 0
    try:
        calls = dunning_run(worker=worker)["calls"]
    except Exception as error:  # reported in the figures
        errors.append(repr(error))
    queries2, sql2, _ended = meter.snapshot()
    report = {"ended": time.time(), "queries": queries2 - queries, "sql_s": sql2 - sql, "calls": calls}
    print("WORKER DONE " + json.dumps({**report, "errors": errors}), flush=True)


# --------------------------------------------------------------------------- main


def main():
    started = time.perf_counter()
    RESULTS["load"] = load_portfolio()
    RESULTS["load"]["seconds"] = round(time.perf_counter() - started, 1)
    print("loaded", json.dumps(RESULTS["load"]), flush=True)
    company = env.ref("base.main_company")
    if "refresh" in STEPS:
        measure("refresh", refresh_run, ("cobranza_partner_profile", "cobranza_segment_change"))
    if "review" in STEPS:
        company.cobranza_dunning_mode = "draft"
        env.cr.commit()
        measure("dunning_review", dunning_run, ("cobranza_dunning", "cobranza_dunning_line"))
    if "send" in STEPS:
        email_only_policy()
        company.cobranza_dunning_mode = "send"
        new_day()
        figures = measure("dunning_send", dunning_run, ("mail_mail", "cobranza_contact_log"))
        sent = figures["created_mail_mail"] or 1
        figures["ms_per_communication"] = round(figures["wall_s"] * 1000 / sent, 1)
        figures["queries_per_communication"] = round(figures["queries"] / sent, 1)
    if "letters" in STEPS:
        measure("letters", letters_step)
    if "credit" in STEPS:
        measure("credit_check", credit_step)
    if "posting" in STEPS:
        measure("posting", posting_step)
    if "workers" in STEPS:
        company.cobranza_dunning_mode = "draft"
        env.cr.commit()
        processes_step("dunning_one_process", 1)
        processes_step("dunning_two_workers", 2)
    print("BENCHMARK " + json.dumps(RESULTS))
    env.cr.rollback()


if os.environ.get("BENCH_WORKER"):
    worker_process(None if os.environ["BENCH_WORKER"] == "none" else int(os.environ["BENCH_WORKER"]))
    env.cr.rollback()
else:
    main()
