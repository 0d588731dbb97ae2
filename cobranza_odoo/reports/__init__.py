from . import report_customer_statement
from . import cobranza_aging_report
