"""Run Odoo in this process and write what happened as JSON for ./dev.

Usage: python3 tools/odoo_run.py --summary FILE [--odoo-path DIR] -- <odoo command-line arguments>

Odoo's own test runner runs the tests; this wrapper only records, for the summary that
``./dev test`` prints: how many tests ran, failed, errored and were skipped (read from the
registry's test result, not guessed from the log), and every WARNING/ERROR log line with
the logger that emitted it.
"""

import argparse
import json
import logging
import sys


class _Collector(logging.Handler):
    """Keep WARNING and above, and the 'skipped' lines of the test runner."""

    def __init__(self):
        super().__init__(logging.INFO)
        self.records = []
        self.skipped = []

    def emit(self, record):
        try:
            message = record.getMessage()
        except Exception:  # a broken log call must not break the run
            message = str(record.msg)
        if record.levelno >= logging.WARNING:
            self.records.append({"level": record.levelname, "logger": record.name, "message": message[:2000]})
        elif message.startswith("skipped "):
            self.skipped.append({"logger": record.name, "message": message[:500]})


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--summary", required=True)
    parser.add_argument("--odoo-path")
    options, odoo_args = parser.parse_known_args()
    if odoo_args and odoo_args[0] == "--":
        odoo_args = odoo_args[1:]
    if options.odoo_path:
        sys.path.insert(0, options.odoo_path)

    import odoo
    import odoo.cli
    import odoo.service.server as server

    collector = _Collector()
    summary = {"databases": {}, "rc": None}
    original_preload = server.preload_registries

    def preload_and_record(dbnames):
        rc = original_preload(dbnames)
        from odoo.modules.registry import Registry

        for dbname in dbnames or []:
            registry = Registry.registries.get(dbname)
            report = registry and registry._assertion_report
            if report is not None:
                summary["databases"][dbname] = {
                    "tests": report.testsRun,
                    "failures": report.failures_count,
                    "errors": report.errors_count,
                    "skipped": report.skipped,
                }
        return rc

    server.preload_registries = preload_and_record

    def write_summary():
        summary["log"] = collector.records
        summary["skipped_tests"] = collector.skipped
        with open(options.summary, "w", encoding="utf-8") as handle:
            json.dump(summary, handle, indent=1)

    # Odoo configures logging itself when its command starts; attach after that point
    # by wrapping its logger initialisation.
    original_init_logger = odoo.netsvc.init_logger

    def init_logger_and_collect():
        original_init_logger()
        logging.getLogger().addHandler(collector)

    odoo.netsvc.init_logger = init_logger_and_collect

    sys.argv = ["odoo", *odoo_args]
    try:
        odoo.cli.command.main()
    except SystemExit as stop:
        summary["rc"] = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
        write_summary()
        raise
    summary["rc"] = 0
    write_summary()


if __name__ == "__main__":
    main()
