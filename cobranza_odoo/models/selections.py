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

# Channels a customer contacts the company through on their own (only in the contact log: nobody
# is contacted through them, so the contact rules never ask about them).
INBOUND_CHANNELS = [
    ("portal", "Customer portal"),
]
