from . import res_company
from . import res_config_settings
from . import cobranza_receivable_facts
from . import cobranza_partner_profile
from . import res_partner
from . import account_move
from . import account_move_line
from . import cobranza_demo_portfolio
