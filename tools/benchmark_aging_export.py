"""Benchmark: the aging XLSX export on 10,000 customers and 100,000 open receivable lines.

    python3 tools/benchmark_aging_export.py [--customers 10000] [--lines 100000] [--keep-db]

Creates a throwaway database (./dev's PostgreSQL), installs cobranza_odoo without demo data,
loads a synthetic portfolio with SQL (balanced journal entries: one receivable line and one
income line each, spread over the last 12 months, half of them partly paid), then times the
"Aging by customer and bucket" export alone and reports its peak memory. Nothing else is
timed. The database is dropped at the end unless --keep-db.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import dev

BENCH_SCRIPT = r'''
import json, time, tracemalloc
from datetime import timedelta
from odoo import fields
from odoo.tools import SQL

CUSTOMERS, LINES = {customers}, {lines}
company = env.ref("base.main_company")
today = fields.Date.context_today(env.user)
journal = env["account.journal"].search([("type", "=", "sale"), ("company_id", "=", company.id)], limit=1)
from odoo.addons.cobranza_odoo.models import ledger_fragments
receivable = env["account.account"].search([*ledger_fragments.receivable_accounts_domain(),
                                             ("company_ids", "in", company.id)], limit=1)
income = env["account.account"].search([("account_type", "=", "income"), ("company_ids", "in", company.id)], limit=1)

started = time.time()
partners = env["res.partner"].with_context(tracking_disable=True, mail_create_nolog=True).create(
    [{{"name": f"Cliente {{n}}", "is_company": True, "customer_rank": 1}} for n in range(CUSTOMERS)]
)
partner_ids = partners.ids
env.cr.execute(SQL(
    """
    WITH moves AS (
        INSERT INTO account_move (name, journal_id, company_id, currency_id, date, invoice_date, invoice_date_due,
                                  move_type, state, payment_state, partner_id, commercial_partner_id,
                                  amount_total, amount_total_signed, amount_residual, amount_residual_signed,
                                  amount_untaxed, amount_untaxed_signed, amount_tax, amount_tax_signed,
                                  auto_post, create_date, write_date)
        SELECT 'BENCH/' || n, %(journal)s, %(company)s, %(currency)s,
               %(today)s - mod(n, 365), %(today)s - mod(n, 365), %(today)s - mod(n, 365) + 30,
               'out_invoice', 'posted', 'not_paid', partner, partner,
               amount, amount, amount, amount, amount, amount, 0, 0, 'no', now(), now()
          FROM (SELECT n, (%(partners)s::int[])[1 + mod(n, %(customers)s)] AS partner,
                       round((100 + mod(n * 37, 5000))::numeric, 2) AS amount
                  FROM generate_series(1, %(lines)s) n) source
        RETURNING id, partner_id, date, invoice_date_due, amount_total
    )
    INSERT INTO account_move_line (move_id, journal_id, company_id, company_currency_id, currency_id, account_id,
                                   partner_id, name, date, date_maturity, parent_state, display_type,
                                   balance, debit, credit, amount_currency, amount_residual,
                                   amount_residual_currency, reconciled, create_date, write_date)
    SELECT id, %(journal)s, %(company)s, %(currency)s, %(currency)s, %(receivable)s, partner_id, 'Cuota', date,
           invoice_date_due, 'posted', 'payment_term', amount_total, amount_total, 0, amount_total,
           CASE WHEN mod(id, 2) = 0 THEN round(amount_total / 2, 2) ELSE amount_total END,
           CASE WHEN mod(id, 2) = 0 THEN round(amount_total / 2, 2) ELSE amount_total END,
           FALSE, now(), now()
      FROM moves
    UNION ALL
    SELECT id, %(journal)s, %(company)s, %(currency)s, %(currency)s, %(income)s, partner_id, 'Venta', date,
           NULL, 'posted', 'product', -amount_total, 0, amount_total, -amount_total, 0, 0, FALSE, now(), now()
      FROM moves
    """,
    journal=journal.id, company=company.id, currency=company.currency_id.id, today=today,
    partners=partner_ids, customers=CUSTOMERS, lines=LINES, receivable=receivable.id, income=income.id,
))
env.cr.commit()
env.cr.execute("ANALYZE")
load_seconds = time.time() - started

wizard = env["cobranza.xlsx.export.wizard"].create({{"report": "aging", "at_date": today}})
env.invalidate_all()
def memory_kib(field):
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(field + ":"))

# Reset the kernel's peak-RSS mark (VmHWM) so the peak below belongs to the export alone.
with open("/proc/self/clear_refs", "w") as clear_refs:
    clear_refs.write("5")
rss_before = memory_kib("VmRSS")
tracemalloc.start()
started = time.time()
wizard.action_export()
export_seconds = time.time() - started
_current, peak = tracemalloc.get_traced_memory()
tracemalloc.stop()
rss_peak = memory_kib("VmHWM")
env.cr.execute(SQL("SELECT COUNT(*) FROM account_move_line WHERE name = 'Cuota' AND amount_residual != 0"))
open_lines = env.cr.fetchone()[0]
print("BENCHMARK " + json.dumps({{
    "customers": CUSTOMERS,
    "open_receivable_lines": open_lines,
    "load_seconds": round(load_seconds, 1),
    "export_seconds": round(export_seconds, 2),
    "python_peak_mib": round(peak / 2**20, 1),
    "process_rss_before_mib": round(rss_before / 1024, 1),
    "process_peak_rss_growth_mib": round((rss_peak - rss_before) / 1024, 1),
    "xlsx_kib": round(len(wizard.attachment_id.raw) / 1024, 1),
}}))
env.cr.rollback()
'''


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--keep-db", action="store_true")
    options = parser.parse_args()
    odoo_root = dev.find_odoo()
    if odoo_root is None:
        raise SystemExit("The benchmark needs Odoo 18: run ./dev setup first.")
    pg = dev.get_postgres()
    dbname = f"cobranza_bench_{datetime.now().strftime('%Y%m%d%H%M%S')}"
    pg.create(dbname, "benchmark database", durable=False)
    try:
        dev.say(f"Installing cobranza_odoo in {dbname} ...")
        rc, _data = dev.run_odoo(
            odoo_root,
            pg,
            ["-d", dbname, "-i", dev.ADDON, "--without-demo=all", "--stop-after-init", "--no-http", "--log-level=warn"],
        )
        if rc:
            raise SystemExit(f"install failed ({rc})")
        script = BENCH_SCRIPT.format(customers=options.customers, lines=options.lines)
        with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as handle:
            handle.write(script)
        try:
            env = dict(os.environ, PYTHONPATH=str(odoo_root))
            output = subprocess.run(
                [*dev.odoo_shell_command(odoo_root, pg, dbname), "--log-level=warn"],
                stdin=open(handle.name),
                capture_output=True,
                text=True,
                env=env,
                check=False,
            )
        finally:
            os.unlink(handle.name)
        result = [line for line in output.stdout.splitlines() if line.startswith("BENCHMARK ")]
        if not result:
            sys.stderr.write(output.stdout[-3000:] + output.stderr[-3000:])
            raise SystemExit("the benchmark did not report")
        figures = json.loads(result[0][len("BENCHMARK ") :])
        print(json.dumps(figures, indent=2))
    finally:
        if not options.keep_db:
            pg.drop(dbname)


if __name__ == "__main__":
    main()
