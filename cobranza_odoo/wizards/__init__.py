from . import cobranza_credit_check_wizard
from . import cobranza_collector_assign_wizard
from . import cobranza_dunning_run_wizard
from . import cobranza_dunning_run_wizard_line
from . import cobranza_aging_wizard
from . import cobranza_aging_wizard_line
from . import cobranza_xlsx_export_wizard
from . import account_payment_register
