"""Collection status of an invoice and of a customer on a date (issue 4).

An open customer invoice is, from the most to the least serious:

1. ``legal`` — handed over to a lawyer or a collection agency;
2. ``in_dispute`` — the customer contests it: shown apart and left out of dunning, even when
   it is late (a dispute is solved, not chased);
3. ``under_agreement`` — covered by an active, honoured payment agreement or promise;
4. ``serious`` — an installment is more than ``serious_days`` days past due;
5. ``overdue`` — an installment is past due;
6. ``due_soon`` — an installment falls due within ``due_soon_days`` days (today included);
7. ``current`` — nothing due soon.

An invoice with nothing left to pay is ``paid``. Installments at or below the tolerance do not
count. A customer's status is the worst status of its open invoices (``current`` without any),
with the severity order::

    legal > serious > overdue > in_dispute > under_agreement > due_soon > current > paid

(a customer with one disputed and one overdue invoice is overdue: the overdue one is chased).
"""

from .aging import days_past_due

STATUSES = ("current", "due_soon", "overdue", "serious", "under_agreement", "in_dispute", "legal", "paid")

CUSTOMER_SEVERITY = {
    "paid": 0,
    "current": 1,
    "due_soon": 2,
    "under_agreement": 3,
    "in_dispute": 4,
    "overdue": 5,
    "serious": 6,
    "legal": 7,
}


def invoice_status(
    installments,
    today,
    in_dispute=False,
    under_agreement=False,
    legal=False,
    due_soon_days=7,
    serious_days=90,
    tolerance=0.0,
):
    """Status of one invoice from its open installments ``[(date_maturity, residual)]``."""
    open_maturities = [maturity for maturity, residual in installments if residual > tolerance]
    if not open_maturities:
        return "paid"
    if legal:
        return "legal"
    if in_dispute:
        return "in_dispute"
    if under_agreement:
        return "under_agreement"
    worst = max(days_past_due(maturity, today) for maturity in open_maturities)
    if worst > serious_days:
        return "serious"
    if worst > 0:
        return "overdue"
    if worst >= -due_soon_days:
        return "due_soon"
    return "current"


def customer_status(invoice_statuses):
    """The worst of a customer's invoice statuses; ``current`` when it has no open invoice."""
    statuses = [status for status in invoice_statuses if status != "paid"]
    if not statuses:
        return "current"
    return max(statuses, key=CUSTOMER_SEVERITY.__getitem__)
