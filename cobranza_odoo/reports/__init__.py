from . import report_customer_statement
from . import cobranza_aging_report
from . import report_interest_statement
