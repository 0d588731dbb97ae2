from . import test_security
from . import test_partner_profile
from . import test_receivable_facts
from . import test_settings
from . import test_demo_portfolio
from . import test_translations
from . import test_credit_limit
from . import test_customer_statement
