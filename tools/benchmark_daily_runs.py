"""Benchmark: the daily scheduled runs at two portfolio sizes, with their ratio.

    python3 tools/benchmark_daily_runs.py [--sizes 1000:10000,10000:100000] [--steps ...] [--keep-db]

For each size (customers:open receivable lines) it creates a throwaway database (./dev's
PostgreSQL), installs cobranza_odoo without demo data, loads a portfolio with SQL (open invoices
over the last 13 months, as many paid ones with real payments, a fifth of the open ones half
paid, one customer with 5,000 open invoices), then runs each scheduled action to completion as
Odoo's cron does (call, commit, call again) and prints per run: wall time, SQL time, queries,
records created and peak RSS of the process. Steps: refresh (metrics, segments, statuses, first
day: profiles created), review (dunning in review mode: plan + create), send (a new day in send
mode, e-mail only: plan, update and deliver), letters (cost of one printed letter), credit (order
confirmation: plain / enforcement off / Block, 1 vs 5,000 open invoices), posting (an invoice posted
and paid with and without the kept open balances' triggers), workers (the review run
again, from the first day, by one Odoo process and then by two side by side, as Odoo's prefork server
runs two cron workers). The databases are dropped unless --keep-db.
"""

import argparse
import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import dev

SCRIPT = Path(__file__).resolve().parent / "benchmark_daily_runs_script.py"


def run_size(odoo_root, pg, customers, lines, steps, keep_db):
    dbname = f"cobranza_bench_{customers}_{datetime.now().strftime('%Y%m%d%H%M%S')}"
    pg.create(dbname, "benchmark database", durable=False)
    try:
        dev.say(f"[{customers} customers / {lines} lines] installing cobranza_odoo in {dbname} ...")
        rc, _data = dev.run_odoo(
            odoo_root,
            pg,
            ["-d", dbname, "-i", dev.ADDON, "--without-demo=all", "--stop-after-init", "--no-http", "--log-level=warn"],
        )
        if rc:
            raise SystemExit(f"install failed ({rc})")
        shell = [*dev.odoo_shell_command(odoo_root, pg, dbname), "--log-level=warn"]
        log = dev.LOCAL / "logs" / f"{dbname}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        env = dict(
            os.environ,
            PYTHONPATH=str(odoo_root),
            BENCH_CUSTOMERS=str(customers),
            BENCH_LINES=str(lines),
            BENCH_STEPS=steps,
            # the workers step starts more Odoo processes on the same database, with the same script
            BENCH_SHELL_COMMAND=json.dumps(shell),
            BENCH_SCRIPT=str(SCRIPT),
            BENCH_LOG=str(log),
        )
        # Odoo's log goes straight to a file: a pipe nobody reads while the figures stream in fills
        # up, and the next log line then blocks the benchmark forever.
        with open(SCRIPT) as script, open(log, "w") as log_file:
            process = subprocess.Popen(
                shell,
                stdin=script,
                stdout=subprocess.PIPE,
                stderr=log_file,
                text=True,
                env=env,
            )
            result = None
            for line in process.stdout:
                if line.startswith("BENCHMARK "):
                    result = json.loads(line[len("BENCHMARK ") :])
                elif line.startswith(("step ", "loaded ")):
                    dev.say(f"  {line.rstrip()}")
            process.wait()
        if result is None:
            errors = [line for line in log.read_text().splitlines() if "Error" in line or "ERROR" in line]
            sys.stderr.write("\n".join(errors[-10:]) + f"\nfull log: {log}\n")
            raise SystemExit("the benchmark did not report")
        return result
    finally:
        if not keep_db:
            pg.drop(dbname)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000:10000,10000:100000", help="customers:lines,customers:lines")
    parser.add_argument("--steps", default="refresh,review,send,letters,credit,posting,workers")
    parser.add_argument("--keep-db", action="store_true")
    options = parser.parse_args()
    odoo_root = dev.find_odoo()
    if odoo_root is None:
        raise SystemExit("The benchmark needs Odoo 18: run ./dev setup first.")
    pg = dev.get_postgres()
    sizes = [tuple(int(part) for part in size.split(":")) for size in options.sizes.split(",")]
    results = {
        f"{lines}": run_size(odoo_root, pg, customers, lines, options.steps, options.keep_db)
        for customers, lines in sizes
    }
    print(json.dumps(results, indent=1))
    if len(results) == 2:
        small, large = results.values()
        dev.say("\nrun                     " + "  ".join(f"{key:>12}" for key in results) + "   ratio")
        for step in ("refresh", "dunning_review", "dunning_send", "dunning_one_process", "dunning_two_workers"):
            if step in small and step in large:
                ratio = large[step]["wall_s"] / max(small[step]["wall_s"], 0.001)
                dev.say(
                    f"{step:<24}" + "  ".join(f"{r[step]['wall_s']:>11}s" for r in (small, large)) + f"  {ratio:6.1f}"
                )


if __name__ == "__main__":
    main()
