"""Promises to pay and payment agreements: schedules, rates and progress (DESIGN §5 "Agreements").

Rates
  A rate is a fraction (0.24 = 24 %) with its type: ``effective_annual`` (E.A., as Colombia's
  usury cap is certified), ``nominal_annual`` (compounded once per installment period) or
  ``monthly`` (effective monthly). It is converted to the effective rate of the installment
  period: weekly = 7 days, biweekly = 14 days (not twice a month), monthly = one month.

Schedule
  The debt, less an optional down payment (due on its own date), is paid in ``count``
  installments from ``first_date`` at the frequency (a monthly schedule keeps its anchor day:
  Jan 31 → Feb 28/29 → Mar 31). Without interest the installments are equal; with interest
  they follow the French method (a constant payment, interest on the outstanding principal).
  Every amount is rounded to the currency's rounding; the last installment absorbs the
  difference, so the principal adds up exactly to the debt and the schedule to debt + interest.

Progress
  Payments are applied to installments in order (oldest first); an overpayment spills over to
  the next installments and whatever exceeds the whole schedule is reported, not lost. On date
  T an installment not fully paid is overdue after its date; the agreement is broken once an
  installment is still unpaid after its date + grace days, and done when everything is paid.

A promise to pay is a one-installment agreement: kept when payments dated on or before its
date + grace days reach its amount.
"""

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from .money import compare, round_money

RATE_TYPES = ("effective_annual", "nominal_annual", "monthly")
FREQUENCIES = ("weekly", "biweekly", "monthly")
PERIODS_PER_YEAR = {"weekly": 52, "biweekly": 26, "monthly": 12}
PERIOD_DAYS = {"weekly": 7, "biweekly": 14}


class PlanError(ValueError):
    """A schedule that cannot be built or accepted. ``reason``: non_positive_debt, negative_down_payment,
    down_payment_too_big, no_installments, negative_rate, unknown_rate_type, unknown_frequency,
    installment_too_small, dates_not_increasing, non_positive_amount, principal_mismatch."""

    def __init__(self, reason, value=None):
        super().__init__(f"{reason}: {value!r}")
        self.reason = reason
        self.value = value


def _check_rate(rate, rate_type):
    if rate < 0:
        raise PlanError("negative_rate", rate)
    if rate_type not in RATE_TYPES:
        raise PlanError("unknown_rate_type", rate_type)


def periodic_rate(rate, rate_type, frequency):
    """The effective rate of one installment period."""
    _check_rate(rate, rate_type)
    if frequency not in FREQUENCIES:
        raise PlanError("unknown_frequency", frequency)
    if rate_type == "nominal_annual":
        return rate / PERIODS_PER_YEAR[frequency]
    annual = (1 + rate) ** 12 - 1 if rate_type == "monthly" else rate
    if frequency == "monthly":
        return (1 + annual) ** (1 / 12) - 1
    return (1 + annual) ** (PERIOD_DAYS[frequency] / 365) - 1


def daily_rate(rate, rate_type):
    """The effective daily rate (365-day year), e.g. to accrue late interest."""
    _check_rate(rate, rate_type)
    if rate_type == "nominal_annual":
        annual = (1 + rate / 365) ** 365 - 1
    elif rate_type == "monthly":
        annual = (1 + rate) ** 12 - 1
    else:
        annual = rate
    return (1 + annual) ** (1 / 365) - 1


def add_months(start, months):
    """``start`` plus ``months`` months, keeping the day of month where the month allows it."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def installment_date(first_date, frequency, index):
    """Date of installment ``index`` (0-based) of a schedule starting on ``first_date``."""
    if frequency == "monthly":
        return add_months(first_date, index)
    if frequency not in PERIOD_DAYS:
        raise PlanError("unknown_frequency", frequency)
    return first_date + timedelta(days=PERIOD_DAYS[frequency] * index)


@dataclass(frozen=True)
class Installment:
    sequence: int  # 0 = down payment
    date: date
    principal: float
    interest: float = 0.0

    @property
    def amount(self):
        return round(self.principal + self.interest, 10)


def build_schedule(
    debt,
    count,
    frequency,
    first_date,
    rounding=0.01,
    down_payment=0.0,
    down_payment_date=None,
    rate=0.0,
    rate_type="effective_annual",
):
    """The installments of an agreement (see the module docstring)."""
    if compare(debt, 0.0, rounding) <= 0:
        raise PlanError("non_positive_debt", debt)
    if down_payment < 0:
        raise PlanError("negative_down_payment", down_payment)
    if compare(down_payment, debt, rounding) >= 0:
        raise PlanError("down_payment_too_big", down_payment)
    if count < 1:
        raise PlanError("no_installments", count)
    period_rate = periodic_rate(rate, rate_type, frequency)
    schedule = []
    if compare(down_payment, 0.0, rounding) > 0:
        schedule.append(Installment(0, down_payment_date or first_date, round_money(down_payment, rounding)))
    balance = round_money(debt - down_payment, rounding)
    if period_rate > 0:
        payment = round_money(balance * period_rate / (1 - (1 + period_rate) ** -count), rounding)
    else:
        payment = round_money(balance / count, rounding)
    if compare(payment, 0.0, rounding) <= 0:
        raise PlanError("installment_too_small", payment)
    for index in range(count):
        interest = round_money(balance * period_rate, rounding)
        if index == count - 1:
            principal = balance  # the last one absorbs every rounding difference
        else:
            principal = round_money(payment - interest, rounding)
        balance = round_money(balance - principal, rounding)
        # Interest eating a whole installment (tiny debts, huge rates) would never pay the debt down.
        if compare(principal, 0.0, rounding) <= 0:
            raise PlanError("installment_too_small", principal)
        schedule.append(Installment(index + 1, installment_date(first_date, frequency, index), principal, interest))
    if schedule[0].sequence == 0 and len(schedule) > 1 and schedule[1].date <= schedule[0].date:
        raise PlanError("dates_not_increasing", schedule[1].date)
    return tuple(schedule)


def validate_schedule(installments, debt, rounding=0.01):
    """Check a schedule edited by hand: dates strictly increase, amounts positive, principal exact."""
    previous = None
    for installment in installments:
        if previous is not None and installment.date <= previous:
            raise PlanError("dates_not_increasing", installment.date)
        if compare(installment.principal, 0.0, rounding) <= 0 or installment.interest < 0:
            raise PlanError("non_positive_amount", installment.sequence)
        previous = installment.date
    total = round_money(sum(installment.principal for installment in installments), rounding)
    if compare(total, debt, rounding) != 0:
        raise PlanError("principal_mismatch", (total, debt))
    return installments


def total_interest(installments):
    return sum(installment.interest for installment in installments)


@dataclass(frozen=True)
class InstallmentProgress:
    sequence: int
    date: date
    amount: float
    paid: float
    state: str  # paid, partial, open, overdue
    paid_date: date | None = None


@dataclass(frozen=True)
class Progress:
    installments: tuple
    state: str  # active, done, broken
    broken_sequence: int | None = None
    excess: float = 0.0

    @property
    def paid(self):
        return sum(item.paid for item in self.installments)


def apply_payments(installments, payments, today, grace_days=0, rounding=0.01):
    """Fill installments in order with ``payments`` [(date, amount)] and judge the agreement on ``today``."""
    remaining = [[installment, 0.0, None] for installment in installments]
    excess = 0.0
    for payment_date, amount in sorted(payments, key=lambda item: item[0]):
        left = amount
        for slot in remaining:
            if compare(left, 0.0, rounding) <= 0:
                break
            due = round_money(slot[0].amount - slot[1], rounding)
            if compare(due, 0.0, rounding) <= 0:
                continue
            taken = min(left, due)
            slot[1] = round_money(slot[1] + taken, rounding)
            left = round_money(left - taken, rounding)
            if compare(slot[1], slot[0].amount, rounding) >= 0:
                slot[2] = payment_date
        excess = round_money(excess + max(left, 0.0), rounding)
    progress = []
    broken = None
    for installment, paid, paid_date in remaining:
        if compare(paid, installment.amount, rounding) >= 0:
            state = "paid"
        elif today > installment.date:
            state = "overdue"
            if broken is None and today > installment.date + timedelta(days=grace_days):
                broken = installment.sequence
        else:
            state = "partial" if compare(paid, 0.0, rounding) > 0 else "open"
        progress.append(
            InstallmentProgress(installment.sequence, installment.date, installment.amount, paid, state, paid_date)
        )
    if all(item.state == "paid" for item in progress):
        overall = "done"
    elif broken is not None:
        overall = "broken"
    else:
        overall = "active"
    return Progress(tuple(progress), overall, broken, excess)


def promise_kept(promise_date, amount, payments, grace_days=0, rounding=0.01):
    """A promise is kept when payments dated up to its date + grace days reach its amount."""
    deadline = promise_date + timedelta(days=grace_days)
    paid = sum(value for payment_date, value in payments if payment_date <= deadline)
    return compare(paid, amount, rounding) >= 0


def kept_on_time(installments, grace_days=0):
    """A promise or agreement was kept when every installment was paid in full by its date + grace days.

    ``installments``: [(due date, date paid in full or None)]. Nothing to pay is not "kept".
    """
    installments = list(installments)
    return bool(installments) and all(
        paid_date is not None and paid_date <= due + timedelta(days=grace_days) for due, paid_date in installments
    )


def needs_approval(debt, installment_count, max_amount=0.0, max_installments=0):
    """An agreement waits for a manager when its debt exceeds ``max_amount`` or it has more than
    ``max_installments`` installments (the down payment not counted); a threshold of 0 is off."""
    over_amount = bool(max_amount) and debt > max_amount
    over_count = bool(max_installments) and installment_count > max_installments
    return over_amount or over_count
