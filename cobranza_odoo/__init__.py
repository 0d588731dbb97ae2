from . import controllers
from . import engine
from . import models
from . import reports
from . import wizards


def uninstall_hook(env):
    """Odoo drops the addon's tables; the indexes it put on Odoo's own tables are dropped here."""
    models.ledger_fragments.drop_open_line_indexes(env.cr)
