"""How a customer pays: the metrics segments are built on (DESIGN §5 "Segments", issue 4).

For one customer in one company, over a trailing window of ``window_days`` ending ``today``:

* A receivable line is one installment of a customer invoice (an invoice on a
  multi-installment term has several). Only *payments* settle it for these metrics: the
  caller leaves out credit notes, reversals and exchange-difference entries, which reduce what
  is owed but say nothing about how the customer pays.
* A line is *paid* when its payments cover its amount; it was paid on the date of the payment
  that completed it. An invoice is paid when all its lines are paid; it was paid on time when
  every line was paid by its own maturity + ``grace_days``.
* ``paid_invoices``: invoices paid, the completing payment inside the window (``today -
  window_days`` included).
* ``on_time_ratio``: share of those paid on time (None without paid invoices).
* ``avg_days_late``: amount-weighted average of the days late of every payment inside the
  window (partial payments included): a payment weighs its amount, its lateness is
  ``max(0, payment date - maturity)`` (never negative, even for payments made before the
  invoice date). None without payments.
* ``worst_days_overdue``: the largest number of days past due today of a line still open
  above the tolerance; 0 when nothing is overdue.
* ``overdue_amount`` / ``open_amount``: residuals of open lines above the tolerance (overdue:
  past due today). Credits are not netted here; they belong to the credit decision.
* ``credit_use``: exposure / limit (None without limit).
"""

from dataclasses import dataclass, field
from datetime import timedelta

from .aging import days_past_due
from .money import compare, round_money


@dataclass(frozen=True)
class Payment:
    """A payment applied to a receivable line: how much, on which date."""

    amount: float
    date: object


@dataclass(frozen=True)
class ReceivableLine:
    """One installment of a customer invoice, with the payments applied to it."""

    key: object
    invoice_key: object
    amount: float
    date_maturity: object
    residual: float
    payments: tuple = field(default_factory=tuple)

    def completion_date(self, rounding=0.01):
        """Date of the payment that covered the whole amount, or None if payments never did."""
        paid = 0.0
        for payment in sorted(self.payments, key=lambda item: item.date):
            paid += payment.amount
            if compare(paid, self.amount, rounding) >= 0:
                return payment.date
        return None


@dataclass(frozen=True)
class Metrics:
    paid_invoices: int = 0
    on_time_ratio: float | None = None
    avg_days_late: float | None = None
    worst_days_overdue: int = 0
    overdue_amount: float = 0.0
    open_amount: float = 0.0
    credit_use: float | None = None
    last_payment_date: object = None
    broken_promises: int = 0


def compute_metrics(
    lines,
    today,
    window_days=365,
    grace_days=0,
    tolerance=0.0,
    exposure=0.0,
    credit_limit=0.0,
    broken_promises=0,
    last_payment_date=None,
    rounding=0.01,
):
    """The payment-behaviour metrics of one customer (see the module docstring)."""
    window_start = today - timedelta(days=window_days)
    by_invoice = {}
    weighted_days = 0.0
    weight = 0.0
    worst = 0
    overdue = 0.0
    open_amount = 0.0
    for line in lines:
        by_invoice.setdefault(line.invoice_key, []).append(line)
        for payment in line.payments:
            if window_start <= payment.date <= today:
                weighted_days += payment.amount * max(0, (payment.date - line.date_maturity).days)
                weight += payment.amount
        if compare(line.residual, tolerance, rounding) > 0:
            open_amount += line.residual
            days = days_past_due(line.date_maturity, today)
            if days > 0:
                overdue += line.residual
                worst = max(worst, days)
    paid = on_time = 0
    for invoice_lines in by_invoice.values():
        completions = [line.completion_date(rounding) for line in invoice_lines]
        if any(date is None for date in completions) or not completions:
            continue
        if not window_start <= max(completions) <= today:
            continue
        paid += 1
        if all(
            (completed - line.date_maturity).days <= grace_days
            for completed, line in zip(completions, invoice_lines, strict=True)
        ):
            on_time += 1
    return Metrics(
        paid_invoices=paid,
        on_time_ratio=(on_time / paid) if paid else None,
        avg_days_late=(weighted_days / weight) if weight > 0 else None,
        worst_days_overdue=worst,
        overdue_amount=round_money(overdue, rounding),
        open_amount=round_money(open_amount, rounding),
        credit_use=(exposure / credit_limit) if credit_limit else None,
        last_payment_date=last_payment_date,
        broken_promises=broken_promises,
    )
