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
