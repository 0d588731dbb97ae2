"""The ./dev tool's own decisions: how it reads Odoo's results, prepares Odoo's requirements and lints."""

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TOOLS = REPO / "tools"


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


def _fake_odoo_tree(root, version_line):
    (root / "odoo").mkdir(parents=True)
    (root / "odoo" / "release.py").write_text(
        "RELEASE_LEVELS = [ALPHA, BETA, RELEASE_CANDIDATE, FINAL] = ['alpha', 'beta', 'candidate', 'final']\n"
        f"{version_line}\n"
        "series = serie = major_version = '.'.join(str(s) for s in version_info[:2])\n"
        # a tree whose requirements are not installed yet: importing it would fail here
        "import babel  # noqa\n"
    )
    return root


def test_the_series_of_an_odoo_tree_is_read_from_its_release_file_without_importing_it(dev, tmp_path):
    tree = _fake_odoo_tree(tmp_path / "odoo18", "version_info = (18, 0, 0, FINAL, 0, '')")
    assert dev.odoo_tree_series(tree) == "18.0"
    assert dev.odoo_tree_series(_fake_odoo_tree(tmp_path / "odoo17", "version_info = (17, 0, 0, FINAL, 0, '')")) == (
        "17.0"
    )
    assert dev.odoo_tree_series(tmp_path / "nowhere") is None


def test_an_odoo_18_tree_whose_requirements_are_missing_is_found_before_set_up_installs_them(dev, tmp_path):
    tree = _fake_odoo_tree(tmp_path / "odoo18", "version_info = (18, 0, 0, FINAL, 0, '')")
    assert dev.find_odoo(str(tree)) == tree.resolve()


def test_an_odoo_tree_of_another_series_is_refused_with_its_series(dev, tmp_path):
    tree = _fake_odoo_tree(tmp_path / "odoo17", "version_info = (17, 0, 0, FINAL, 0, '')")
    with pytest.raises(dev.DevError, match=r"series 17\.0"):
        dev.find_odoo(str(tree))


def test_a_tree_that_still_does_not_import_after_set_up_says_why(dev, tmp_path):
    tree = _fake_odoo_tree(tmp_path / "odoo18", "version_info = (18, 0, 0, FINAL, 0, '')")
    (tree / "odoo" / "__init__.py").write_text("import a_library_nobody_installed\n")
    with pytest.raises(dev.DevError, match="a_library_nobody_installed"):
        dev.verify_odoo_imports(tree)


def test_the_private_cluster_stays_durable_and_only_throwaway_databases_commit_lazily(dev):
    source = (TOOLS / "dev.py").read_text()
    assert "fsync=off" not in source
    assert "synchronous_commit = off" in source
    import inspect

    run_source = inspect.getsource(dev.cmd_run)
    assert "durable=False" not in run_source
    assert "durable=False" in inspect.getsource(dev.cmd_test)


def _pylint_row(dev, monkeypatch, installed=True, returncode=0):
    commands = []

    def run(command, **kwargs):
        commands.append(command)
        return subprocess.CompletedProcess(command, returncode)

    monkeypatch.setattr(dev, "_module_available", lambda name: installed and name == "pylint_odoo")
    monkeypatch.setattr(dev.subprocess, "run", run)
    summary = dev.Summary()
    dev._pylint_odoo_row(summary)
    return summary, commands


def test_pylint_odoo_lints_the_addon_with_the_repository_rc_file(dev, monkeypatch):
    summary, commands = _pylint_row(dev, monkeypatch)
    assert summary.rows[0][1] == "PASS" and not summary.failed
    assert commands[0][1:3] == ["-m", "pylint"]
    assert commands[0][-3:] == ["--rcfile", str(REPO / ".pylintrc"), "cobranza_odoo"]


def test_any_pylint_odoo_message_fails_the_test_run(dev, monkeypatch):
    for returncode in (1, 2, 4, 16, 32):  # fatal, error, warning, convention, usage error
        summary, _commands = _pylint_row(dev, monkeypatch, returncode=returncode)
        assert (summary.rows[0][1], summary.failed) == ("FAIL", True), returncode


def test_without_pylint_odoo_installed_the_step_is_reported_not_run(dev, monkeypatch):
    summary, commands = _pylint_row(dev, monkeypatch, installed=False)
    assert (summary.rows[0][1], summary.failed, commands) == ("NOT RUN", False, [])


def test_pylint_odoo_never_lints_odoo_sources_nor_the_local_folder():
    rc_file = (REPO / ".pylintrc").read_text()
    assert "load-plugins=pylint_odoo" in rc_file and "valid-odoo-versions=18.0" in rc_file
    assert re.search(r"^ignore=.*\.local", rc_file, re.M)
    assert r"^(.*/)?\.local/.*$" in rc_file and "^/opt/odoo" in rc_file


def test_pre_commit_hooks_clone_nothing_and_pin_what_they_install():
    config = (REPO / ".pre-commit-config.yaml").read_text()
    repos = re.findall(r"^\s*- repo:\s*(\S+)", config, re.M)
    assert repos and set(repos) == {"local"}, "hooks must install from PyPI, not clone a git host"
    for dependencies in re.findall(r"additional_dependencies:\s*\[(.*)\]", config):
        for requirement in dependencies.split(","):
            assert "==" in requirement, requirement


def test_the_engine_tests_keep_pytest_odoo_off_so_they_need_no_database():
    # pytest-odoo, when installed, would open an Odoo database before every run (README, Developers).
    addopts = re.search(r'^addopts\s*=\s*"([^"]*)"', (REPO / "pyproject.toml").read_text(), re.M).group(1)
    assert "-p no:odoo" in addopts
