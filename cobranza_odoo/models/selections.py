"""Selection lists shared by several models (labels are translated per field)."""

COLLECTION_STATUSES = [
    ("current", "Current"),
    ("due_soon", "Due soon"),
    ("overdue", "Overdue"),
    ("serious", "Serious delinquency"),
    ("under_agreement", "Under agreement"),
    ("in_dispute", "In dispute"),
    ("legal", "Legal collection"),
    ("paid", "Paid"),
]

# The channels of the contact-rules gate (engine/contact_rules.py uses the same codes).
CONTACT_CHANNELS = [
    ("email", "E-mail"),
    ("sms", "SMS"),
    ("whatsapp", "WhatsApp"),
    ("call", "Phone call"),
    ("visit", "Visit"),
    ("letter", "Letter"),
]

# Rate types of late interest and of the legal caps (engine/interest.py uses the same codes).
INTEREST_RATE_TYPES = [
    ("effective_annual", "Effective annual (E.A.)"),
    ("nominal_annual", "Nominal annual"),
    ("effective_monthly", "Effective monthly"),
    ("daily", "Effective daily"),
]

# Compounding periods of a nominal rate (engine/interest.py PERIODICITIES, plus daily).
INTEREST_PERIODICITIES = [
    ("monthly", "Monthly"),
    ("bimonthly", "Every two months"),
    ("quarterly", "Quarterly"),
    ("semiannual", "Every six months"),
    ("annual", "Yearly"),
    ("daily", "Daily"),
]

# Credit types whose legal cap is certified separately (Colombia's modalities by default).
INTEREST_CREDIT_TYPES = [
    ("consumer_ordinary", "Consumer and ordinary credit"),
    ("low_amount_consumer", "Low-amount consumer credit"),
    ("productive_large", "Larger-amount productive credit"),
    ("productive_rural", "Rural productive credit"),
    ("productive_urban", "Urban productive credit"),
    ("popular_rural", "Rural popular productive credit"),
    ("popular_urban", "Urban popular productive credit"),
    ("microcredit", "Microcredit"),
    ("general", "General"),
]

# Channels a customer contacts the company through on their own (only in the contact log: nobody
# is contacted through them, so the contact rules never ask about them).
INBOUND_CHANNELS = [
    ("portal", "Customer portal"),
]
