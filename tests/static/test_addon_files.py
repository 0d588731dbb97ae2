"""Static checks of the addon's files: they need no Odoo and catch mistakes before an install does."""

import ast
import csv
import re
from pathlib import Path

import polib
import pytest
from lxml import etree

ADDON = Path(__file__).resolve().parents[2] / "cobranza_odoo"
MANIFEST = ast.literal_eval((ADDON / "__manifest__.py").read_text())


def python_files(folder):
    return sorted(path for path in (ADDON / folder).rglob("*.py") if path.name != "__init__.py")


def model_classes(path):
    """(class name, new model name or None, is_abstract_or_transient) of the Odoo models declared in a file."""
    tree = ast.parse(path.read_text())
    found = []
    for node in tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        bases = {ast.unparse(base) for base in node.bases}
        if not bases & {"models.Model", "models.AbstractModel", "models.TransientModel"}:
            continue
        attributes = {
            target.id: statement.value
            for statement in node.body
            if isinstance(statement, ast.Assign)
            for target in statement.targets
            if isinstance(target, ast.Name)
        }
        name = ast.literal_eval(attributes["_name"]) if "_name" in attributes else None
        inherit = ast.literal_eval(attributes["_inherit"]) if "_inherit" in attributes else ()
        inherit = [inherit] if isinstance(inherit, str) else list(inherit)
        if name in inherit:
            name = None  # extends an existing model under its own name: not a new model
        found.append((node.name, name, "models.Model" not in bases))
    return found


def test_manifest_declares_an_odoo_18_lgpl_application_with_its_python_libraries():
    assert re.fullmatch(r"18\.0\.\d+\.\d+\.\d+", MANIFEST["version"])
    assert MANIFEST["license"] == "LGPL-3"
    assert MANIFEST["application"] is True
    assert MANIFEST["category"].startswith("Accounting")
    assert {"account", "sale", "mail"} <= set(MANIFEST["depends"])
    assert {"phonenumbers", "xlsxwriter", "holidays"} <= set(MANIFEST["external_dependencies"]["python"])


def test_every_data_and_demo_file_of_the_manifest_exists():
    for relative in MANIFEST["data"] + MANIFEST.get("demo", []):
        assert (ADDON / relative).is_file(), relative


def test_the_standard_folders_exist():
    for folder in ("models", "views", "security", "wizards", "i18n", "engine", "tests", "static/description"):
        assert (ADDON / folder).is_dir(), folder
    assert (ADDON / "static/description/icon.png").is_file()
    assert (ADDON / "static/description/index.html").is_file()


@pytest.mark.parametrize("path", python_files("models"), ids=lambda path: path.name)
def test_one_model_per_file(path):
    assert len(model_classes(path)) <= 1, path.name


def test_every_new_stored_model_has_access_rights():
    rows = list(csv.DictReader((ADDON / "security/ir.model.access.csv").open()))
    covered = {row["model_id:id"] for row in rows}
    for path in python_files("models"):
        for _class, name, abstract_or_transient in model_classes(path):
            if name and not abstract_or_transient:
                assert "model_" + name.replace(".", "_") in covered, name


def test_engine_never_imports_odoo_nor_reads_the_clock():
    for path in sorted((ADDON / "engine").rglob("*.py")):
        source = path.read_text()
        tree = ast.parse(source)
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = [alias.name for alias in node.names] + [getattr(node, "module", None) or ""]
                assert not any(name == "odoo" or name.startswith("odoo.") for name in names), path.name
        assert not re.search(r"\b(date|datetime)\.(today|now|utcnow)\(", source), path.name
        assert "time.time(" not in source, path.name


@pytest.mark.parametrize("path", sorted(ADDON.rglob("*.xml")), ids=lambda path: path.name)
def test_views_use_odoo_18_idioms(path):
    root = etree.parse(str(path)).getroot()
    for arch in root.iter("field"):
        if arch.get("name") != "arch":
            continue
        for element in arch.iter():
            assert element.tag != "tree", f"{path.name}: use <list>, not <tree>"
            assert "attrs" not in element.attrib, f"{path.name}: use invisible=/readonly= expressions, not attrs"
            assert "states" not in element.attrib or element.tag == "field", f"{path.name}: no states="


def _python_terms():
    """Every literal string passed to _() or _lt() in the addon's Python code."""
    terms = set()
    for path in ADDON.rglob("*.py"):
        if "tests" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ("_", "_lt")
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                terms.add(node.args[0].value)
    return terms


def test_every_python_message_is_translated_in_es_po():
    catalog = polib.pofile(str(ADDON / "i18n/es.po"))
    translated = {entry.msgid for entry in catalog if entry.msgstr.strip() and "fuzzy" not in entry.flags}
    missing = sorted(_python_terms() - translated)
    assert not missing, "missing from es.po (run ./dev i18n): " + "; ".join(missing)


def test_spanish_translations_keep_the_placeholders_of_their_source():
    catalog = polib.pofile(str(ADDON / "i18n/es.po"))
    placeholder = re.compile(r"%\([a-z_]+\)s|%s|%d|\{[a-z_]*\}")
    for entry in catalog:
        if entry.msgstr:
            assert sorted(placeholder.findall(entry.msgid)) == sorted(placeholder.findall(entry.msgstr)), entry.msgid


def _addon_sources(*suffixes):
    for path in sorted(ADDON.rglob("*")):
        if path.suffix in suffixes and "tests" not in path.relative_to(ADDON).parts:
            yield path


def test_only_the_ledger_fragments_module_names_receivable_accounts_and_the_payment_test():
    """One reader of the ledger: what a receivable line and a real payment are is decided once."""
    fragments = ADDON / "models" / "ledger_fragments.py"
    offenders = []
    for path in _addon_sources(".py", ".xml"):
        if path == fragments:
            continue
        text = path.read_text()
        for word in ("asset_receivable", "origin_payment_id", "statement_line_id"):
            if word in text:
                offenders.append(f"{path.relative_to(ADDON)}: {word}")
    assert not offenders, offenders


def test_no_query_of_the_addon_uses_the_database_servers_day():
    """Days overdue and buckets are computed on the user's (or company's) day, never on CURRENT_DATE (UTC)."""
    # (views may use the web client's ``current_date``, which is the user's own day)
    for path in _addon_sources(".py", ".xml"):
        assert not re.search(r"\bCURRENT_DATE\b|[^.]\bnow\(\)", path.read_text()), path.name


def test_company_families_and_open_items_are_not_recomputed_outside_the_fragments_module():
    fragments = ADDON / "models" / "ledger_fragments.py"
    for path in _addon_sources(".py"):
        if path == fragments:
            continue
        text = path.read_text()
        assert "parent_path" not in text, f"{path.name}: use ledger_fragments.company_family / company_root"
        assert "payment_state IS DISTINCT FROM" not in text, f"{path.name}: use ledger_fragments.open_receivable_line"


def test_raw_writes_of_the_addon_go_through_the_bulk_write_helper():
    """Raw UPDATE/INSERT statements invalidate the cache and keep tracking in one place only."""
    helper = ADDON / "models" / "bulk_write.py"
    fragments = ADDON / "models" / "ledger_fragments.py"
    pattern = re.compile(r"\b(UPDATE\s+[a-z_]+\s+SET|INSERT\s+INTO)\b", re.IGNORECASE)
    for path in _addon_sources(".py"):
        if path == helper or "demo" in path.name:
            continue
        text = path.read_text()
        if path == fragments:
            # the kept open balances are a table of no model (nothing cached, nothing tracked): the only
            # one written there, and only by inserts into it
            text = re.sub(r"INSERT INTO %s \(partner_id, company_id, amount\)", "", text)
        assert not pattern.search(text), f"{path.name}: write through models/bulk_write.py"
