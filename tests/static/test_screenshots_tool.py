"""./dev screenshots without Odoo: its options, its list of screens, the database it may touch, and the
images the README and the Apps page show."""

import importlib.util
import re
import sys
from datetime import datetime
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TOOLS = REPO / "tools"
DESCRIPTION = REPO / "cobranza_odoo" / "static" / "description"


@pytest.fixture(scope="module")
def shots():
    sys.path.insert(0, str(TOOLS))
    try:
        spec = importlib.util.spec_from_file_location("cobranza_screenshots_tool", TOOLS / "screenshots.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(TOOLS))
    return module


class FakePostgres:
    def __init__(self, ours=(), others=()):
        self.ours, self.others = set(ours), set(others)

    def exists(self, name):
        return name in self.ours | self.others

    def marked_databases(self):
        return dict.fromkeys(self.ours, "created by cobranza_odoo ./dev: screenshots database")


def test_every_screen_has_a_unique_file_name_a_known_role_and_a_caption(shots):
    names = shots.screen_names()
    assert len(names) == len(set(names))
    for screen in shots.SCREENS:
        assert re.fullmatch(r"[a-z][a-z0-9_]*", screen.name), screen.name
        assert screen.role in shots.ROLES, screen.name
        assert screen.caption.strip().endswith("."), screen.name
        assert screen.ready, screen.name
        for step, _argument in screen.steps:
            assert step in {"click", "wait", "expand", "search", "scroll", "settle"}, (screen.name, step)


def test_each_role_has_its_screens(shots):
    assert {screen.role for screen in shots.SCREENS} == set(shots.ROLES)


def test_screens_are_found_by_xml_id_of_the_addon_or_odoo(shots):
    for screen in shots.SCREENS:
        assert screen.path.startswith(("/odoo/action-", "/report/html/cobranza_odoo.", "{portal_path}")), screen.name
        assert not screen.action or screen.action.startswith("cobranza_odoo."), screen.name


def test_default_options_make_a_throwaway_database_and_write_into_the_addon(shots):
    options = shots.parse_args([])
    assert options.db is None and not options.keep_db and options.only is None and options.port == 0
    assert not options.no_update
    assert options.out == DESCRIPTION / "screenshots"
    options = shots.parse_args(["--db", "cobranza_shots_1", "--keep-db", "--only", "worklist", "--port", "8077"])
    assert (options.db, options.keep_db, options.only, options.port) == ("cobranza_shots_1", True, "worklist", 8077)


def test_the_throwaway_database_is_named_with_the_prefix_and_the_time(shots):
    assert shots.new_database_name(datetime(2026, 12, 1, 9, 5, 3)) == "cobranza_shots_20261201090503"


def test_only_selects_screens_in_their_order_and_refuses_unknown_names(shots):
    assert [screen.name for screen in shots.selected_screens("kpis, worklist")] == ["worklist", "kpis"]
    assert shots.selected_screens(None) == list(shots.SCREENS)
    with pytest.raises(shots.dev.DevError, match="no_such_screen"):
        shots.selected_screens("worklist,no_such_screen")


def test_a_database_without_the_projects_comment_is_refused(shots):
    pg = FakePostgres(ours={"cobranza_shots_1"}, others={"production"})
    with pytest.raises(shots.dev.DevError, match=r"not created by \./dev"):
        shots.check_reusable(pg, "production")
    with pytest.raises(shots.dev.DevError, match="no database named"):
        shots.check_reusable(pg, "nowhere")
    shots.check_reusable(pg, "cobranza_shots_1")


def test_a_screen_whose_record_is_missing_says_so_instead_of_opening_a_wrong_url(shots):
    screen = next(screen for screen in shots.SCREENS if screen.name == "agreement")
    path, reason = shots.fill_path(screen, {"agreement_id": None})
    assert path is None and "agreement_id" in reason
    path, _reason = shots.fill_path(screen, {"agreement_id": 42})
    assert path == "/odoo/action-cobranza_odoo.cobranza_agreement_action/42"


def test_the_dev_tool_offers_the_screenshots_command(shots):
    source = (TOOLS / "dev.py").read_text()
    assert '"screenshots": screenshots.run' in source
    assert "./dev screenshots" in source.split('"""')[1]


def _image_links(text):
    return re.findall(r"!\[[^\]]*\]\(([^)]+\.png)\)", text) + re.findall(r'<img[^>]+src="([^"]+\.png)"', text)


def test_every_screen_has_its_image_shown_in_the_readme_and_the_apps_page(shots):
    readme = _image_links((REPO / "README.md").read_text())
    apps_page = _image_links((DESCRIPTION / "index.html").read_text())
    for screen in shots.SCREENS:
        assert (DESCRIPTION / "screenshots" / f"{screen.name}.png").is_file(), screen.name
        assert f"cobranza_odoo/static/description/screenshots/{screen.name}.png" in readme, screen.name
        assert f"screenshots/{screen.name}.png" in apps_page, screen.name


def test_every_image_the_readme_and_the_apps_page_show_exists():
    for link in _image_links((REPO / "README.md").read_text()):
        assert (REPO / link).is_file(), link
    for link in _image_links((DESCRIPTION / "index.html").read_text()):
        assert (DESCRIPTION / link).is_file(), link
    assert "<!-- screenshots: lead fills -->" not in (REPO / "README.md").read_text()


def test_the_screenshots_stay_small_enough_for_the_repository_and_the_apps_page():
    images = sorted((DESCRIPTION / "screenshots").glob("*.png"))
    assert sum(image.stat().st_size for image in images) < 3 * 1024 * 1024
