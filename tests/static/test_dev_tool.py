"""The ./dev tool's own decisions: how it reads Odoo's results and prepares Odoo's requirements."""

import importlib.util
import sys
from pathlib import Path

import pytest

TOOLS = Path(__file__).resolve().parents[2] / "tools"


@pytest.fixture(scope="module")
def dev():
    spec = importlib.util.spec_from_file_location("cobranza_dev_tool", TOOLS / "dev.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["cobranza_dev_tool"] = module
    spec.loader.exec_module(module)
    return module


def _result(tests=10, failures=0, errors=0, skipped=0, skipped_messages=()):
    return {
        "databases": {"db": {"tests": tests, "failures": failures, "errors": errors, "skipped": skipped}},
        "skipped_tests": [{"logger": "odoo.addons.x.tests", "message": message} for message in skipped_messages],
    }


def _row(dev, data, rc=0, allowed=None):
    summary = dev.Summary()
    dev._odoo_tests_row(summary, "step", "db", data, rc, allowed_skips=allowed)
    return summary.rows[0][1], summary.failed


def test_all_green_passes(dev):
    assert _row(dev, _result()) == ("PASS", False)


def test_a_skipped_test_of_ours_is_a_failure(dev):
    data = _result(skipped=1, skipped_messages=["skipped TestX.test_y : no printer"])
    assert _row(dev, data) == ("FAIL", True)


def test_a_known_community_skip_of_odoo_is_reported_not_failed(dev):
    name = next(iter(dev.UPSTREAM_COMMUNITY_SKIPS))
    data = _result(skipped=1, skipped_messages=[f"skipped {name} : needs enterprise"])
    assert _row(dev, data, allowed=dev.UPSTREAM_COMMUNITY_SKIPS) == ("PASS", False)
    assert _row(dev, data) == ("FAIL", True)


def test_no_tests_at_all_is_a_failure(dev):
    assert _row(dev, _result(tests=0)) == ("FAIL", True)


def test_missing_result_is_a_failure(dev):
    assert _row(dev, {}) == ("FAIL", True)


def test_errors_or_failures_fail(dev):
    assert _row(dev, _result(errors=1))[1]
    assert _row(dev, _result(failures=2))[1]


def test_only_log_lines_naming_the_addon_count_and_test_failures_are_counted_elsewhere(dev):
    data = {
        "log": [
            {"level": "WARNING", "logger": "odoo.addons.cobranza_odoo.models.x", "message": "bad field"},
            {"level": "WARNING", "logger": "odoo.addons.sale.models.y", "message": "unrelated"},
            {"level": "ERROR", "logger": "odoo.tests.result", "message": "1 failed in database cobranza_odoo_test"},
            {"level": "ERROR", "logger": "odoo.addons.cobranza_odoo.tests.test_a", "message": "FAIL: TestA.test_b"},
            {"level": "WARNING", "logger": "odoo.modules.loading", "message": "cobranza_odoo: missing access rule"},
        ]
    }
    warnings = dev._addon_warnings(data)
    assert len(warnings) == 2
    assert "bad field" in warnings[0] and "missing access rule" in warnings[1]


def test_odoo_requirements_replace_the_cbor2_pin_that_no_longer_builds(dev, tmp_path):
    (tmp_path / "requirements.txt").write_text(
        "cbor2==5.4.2 ; python_version < '3.12'\nlxml==4.9.3 ; python_version > '3.10'\n"
    )
    rewritten = Path(dev.odoo_requirements(tmp_path)).read_text()
    assert "cbor2==5.6.5 ; python_version < '3.12'" in rewritten
    assert "lxml==4.9.3" in rewritten


def test_an_odoo_path_that_is_not_an_odoo_tree_is_refused_with_advice(dev, tmp_path):
    with pytest.raises(dev.DevError, match="not an Odoo source tree"):
        dev.find_odoo(str(tmp_path))
