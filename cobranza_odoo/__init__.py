from . import controllers
from . import engine
from . import models
from . import reports
from . import wizards


def uninstall_hook(env):
    """Odoo drops the addon's models' tables; what it put on Odoo's own tables is dropped here: the kept
    open balances' triggers (which would make every posting fail once their table is gone) and indexes."""
    models.ledger_fragments.drop_open_balance_triggers(env.cr)
    models.ledger_fragments.drop_open_line_indexes(env.cr)
