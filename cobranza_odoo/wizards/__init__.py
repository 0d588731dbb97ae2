from . import cobranza_credit_check_wizard
