"""pytest at the repository root: only what the addon's Odoo tests need under pytest-odoo.

``python3 -m pytest tests`` runs the engine tests without Odoo (pyproject.toml keeps pytest-odoo off);
``python3 -m pytest -p odoo --odoo-database=... cobranza_odoo/tests/test_x.py`` runs Odoo tests (README).
"""

import pytest


@pytest.fixture(scope="session", autouse=True)
def odoo_test_mode(request):
    """Odoo 18's test mode, as its own test runner sets it: e-mails are not sent to an SMTP server.

    pytest-odoo sets it for Odoo 19 and later only; without it a test that sends mail tries a real
    server and leaves the mail queued as failed.
    """
    if not request.config.pluginmanager.has_plugin("odoo"):
        yield
        return
    request.getfixturevalue("load_registry")  # after the registry is loaded, as Odoo's runner does
    from odoo.modules import module

    module.current_test = True
    yield
    module.current_test = False
