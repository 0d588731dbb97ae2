"""Late-payment (moratorium) interest within the legal cap, and settlement offers.

Why a cap
  Colombia: the moratorium interest may not exceed 1.5 × the "interés bancario corriente"
  that the Superintendencia Financiera certifies every month as an effective annual (E.A.)
  rate (Código de Comercio art. 884); charging above it loses all the interest (Ley 45 de
  1990 art. 72) and is the crime of usury (Código Penal, Ley 599 de 2000, art. 305).
  Chile: no more than the "tasa máxima convencional", 50 % above the interés corriente
  (Ley 18.010 arts. 6 and 8). Peru: the Banco Central de Reserva fixes the maximum
  conventional and moratorium rates (Código Civil art. 1243). A cap table is loaded with the
  figure and the rate type the authority publishes; the rules below only compare rates.

Rates
  A rate is a fraction (0.2499 = 24.99 %) with its type: ``effective_annual`` (E.A.),
  ``nominal_annual`` (with its compounding periodicity: ``periods_per_year`` an integer or
  a name such as ``monthly`` = 12, ``quarterly`` = 4, ``daily`` = ``days_in_year``),
  ``effective_monthly`` (``monthly`` is accepted too, as in ``payment_plans``) or ``daily``
  (effective daily). Every rate is compared as E.A.; the daily rate comes from E.A. by
  compounding over a 365-day year: (1 + E.A.)^(1/365) − 1, so 24.99 % E.A. is 0.0611 % a day.

Cap table
  A :class:`CapPeriod` covers ``date_from``..``date_to`` (both included); periods may not
  overlap. A day's cap is the period covering it, if any. Colombian usury = 1.5 × the bank
  rate, both E.A. An agreed rate is within the cap when its E.A. does not exceed the cap's
  E.A. on any day (a difference below 1e-9 counts as equal, so "the maximum legal rate"
  typed as the cap itself is within it).

Accrual (:func:`accrue`)
  * Days overdue count from the day after the due date. With ``grace_days`` g, interest
    accrues only for the days after due date + g; the grace days are never charged
    afterwards. Without a due date the accrual starts on ``day_from``.
  * The principal is a timeline of (date, outstanding principal from that date on); before
    the first entry nothing is outstanding. A payment dated d lowers the principal from day
    d itself: an invoice paid in full on the 15th accrues up to the 14th. A principal that
    rounds to zero in the currency counts as paid.
  * Simple interest on the principal: a day's interest = principal that day × that day's
    daily rate, where the daily rate = min(agreed daily, daily rate of the cap in force).
    An agreed rate above the cap is cut to the cap (the row says so); whether the agreement
    itself may carry such a rate is :func:`check_rate_within_cap`'s question.
  * A day without a cap in force: with ``cap_required`` nothing accrues that day and the day
    is reported (nothing is ever charged without a known ceiling); the day stays uncharged,
    so a later run, once the certified rate is loaded, charges it. Without ``cap_required``
    the agreed rate applies.
  * The statement has one row per calendar month, split further where the cap in force
    changes within the month and where the outstanding principal is zero (no row for days
    with nothing outstanding). Within a row the rate is constant; the row shows its opening
    principal and its day-weighted average principal (interest = average × days × daily
    rate). Each row's interest is rounded to the currency (0.01, or 1.0 for COP/CLP) and the
    total is the sum of the rounded rows.

Never twice
  :func:`uncharged_ranges` gives the days of a range not yet charged, so a re-run or a
  resumed run adds nothing; :func:`monthly_periods` splits a range into calendar months for
  monthly posting (one interest document per customer and period, a line per invoice and
  period).

Settlement offers
  "Pay X by date D and we waive the interest (and/or p % of the principal)": fulfilled when
  payments dated on or before D (and not after today) reach X, on the date they reach it;
  lapsed when D has passed without that; pending otherwise. The waiver is the interest (if
  waived) plus principal × p / 100, each rounded; above the approval threshold a manager
  must approve. The waiver is written off on the covered documents in order
  (:func:`allocate_in_order`), never beyond what each still owes.
"""

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import pairwise

from .money import compare, round_money

RATE_TYPES = ("effective_annual", "nominal_annual", "effective_monthly", "daily")
RATE_TYPE_ALIASES = {"monthly": "effective_monthly"}
PERIODICITIES = {
    "annual": 1,
    "semiannual": 2,
    "quarterly": 4,
    "bimonthly": 6,
    "monthly": 12,
    "biweekly": 26,
    "weekly": 52,
}
USURY_FACTOR = 1.5
RATE_TOLERANCE = 1e-9
SETTLEMENT_STATES = ("pending", "fulfilled", "lapsed")


class InterestError(ValueError):
    """Figures interest cannot use. ``reason``: negative_rate, unknown_rate_type, missing_periodicity,
    bad_periodicity, bad_days_in_year, bad_cap_period, overlapping_caps, above_cap, bad_range,
    negative_grace, grace_without_due_date, negative_principal, duplicate_principal_date, bad_rounding,
    non_positive_offer, negative_payment, negative_amount, bad_percent, negative_threshold;
    ``value`` is the offending value (for above_cap: (first day above the cap, cap E.A.))."""

    def __init__(self, reason, value=None):
        super().__init__(f"{reason}: {value!r}")
        self.reason = reason
        self.value = value


# --------------------------------------------------------------------------- rates


def _rate_type(rate_type):
    rate_type = RATE_TYPE_ALIASES.get(rate_type, rate_type)
    if rate_type not in RATE_TYPES:
        raise InterestError("unknown_rate_type", rate_type)
    return rate_type


def _days_in_year(days_in_year):
    if isinstance(days_in_year, bool) or not isinstance(days_in_year, int) or days_in_year <= 0:
        raise InterestError("bad_days_in_year", days_in_year)
    return days_in_year


def _periods(periods_per_year, days_in_year):
    if periods_per_year is None:
        raise InterestError("missing_periodicity")
    if periods_per_year == "daily":
        return days_in_year
    if isinstance(periods_per_year, str):
        if periods_per_year not in PERIODICITIES:
            raise InterestError("bad_periodicity", periods_per_year)
        return PERIODICITIES[periods_per_year]
    if isinstance(periods_per_year, bool) or not isinstance(periods_per_year, int) or periods_per_year <= 0:
        raise InterestError("bad_periodicity", periods_per_year)
    return periods_per_year


def to_effective_annual(rate, rate_type, periods_per_year=None, days_in_year=365):
    """The effective annual (E.A.) equivalent of ``rate`` of ``rate_type``."""
    rate_type = _rate_type(rate_type)
    days_in_year = _days_in_year(days_in_year)
    if rate < 0:
        raise InterestError("negative_rate", rate)
    if rate_type == "effective_annual":
        return float(rate)
    if rate_type == "effective_monthly":
        return (1 + rate) ** 12 - 1
    if rate_type == "daily":
        return (1 + rate) ** days_in_year - 1
    periods = _periods(periods_per_year, days_in_year)
    return (1 + rate / periods) ** periods - 1


def from_effective_annual(rate_ea, rate_type, periods_per_year=None, days_in_year=365):
    """The rate of ``rate_type`` equivalent to the effective annual ``rate_ea`` (inverse of the above)."""
    rate_type = _rate_type(rate_type)
    days_in_year = _days_in_year(days_in_year)
    if rate_ea < 0:
        raise InterestError("negative_rate", rate_ea)
    if rate_type == "effective_annual":
        return float(rate_ea)
    if rate_type == "effective_monthly":
        return (1 + rate_ea) ** (1 / 12) - 1
    if rate_type == "daily":
        return (1 + rate_ea) ** (1 / days_in_year) - 1
    periods = _periods(periods_per_year, days_in_year)
    return periods * ((1 + rate_ea) ** (1 / periods) - 1)


def effective_daily(rate, rate_type, periods_per_year=None, days_in_year=365):
    """The effective daily rate: (1 + E.A.)^(1/days_in_year) − 1 (a daily rate is returned as is)."""
    if _rate_type(rate_type) == "daily":
        _days_in_year(days_in_year)
        if rate < 0:
            raise InterestError("negative_rate", rate)
        return float(rate)
    annual = to_effective_annual(rate, rate_type, periods_per_year, days_in_year)
    return (1 + annual) ** (1 / days_in_year) - 1


def usury_from_bank_rate(bank_ea):
    """Colombian usury rate (E.A.) = 1.5 × the certified interés bancario corriente (E.A.)."""
    if bank_ea < 0:
        raise InterestError("negative_rate", bank_ea)
    return round(USURY_FACTOR * bank_ea, 10)


# --------------------------------------------------------------------------- cap table


@dataclass(frozen=True)
class CapPeriod:
    """The legal ceiling in force from ``date_from`` to ``date_to`` (both included).

    ``periods_per_year`` is only needed when the cap (or bank) rate is ``nominal_annual``.
    """

    date_from: date
    date_to: date
    cap_rate: float
    cap_type: str = "effective_annual"
    bank_rate: float | None = None
    bank_type: str | None = None
    periods_per_year: int | str | None = None

    @property
    def cap_ea(self):
        return to_effective_annual(self.cap_rate, self.cap_type, self.periods_per_year)

    @property
    def bank_ea(self):
        if self.bank_rate is None:
            return None
        return to_effective_annual(self.bank_rate, self.bank_type or "effective_annual", self.periods_per_year)

    def covers(self, day):
        return self.date_from <= day <= self.date_to


def colombian_cap_period(date_from, date_to, bank_ea):
    """A Colombian month: the certified bank rate and its usury cap (1.5 ×), both E.A."""
    return CapPeriod(date_from, date_to, usury_from_bank_rate(bank_ea), "effective_annual", bank_ea, "effective_annual")


def validate_caps(periods):
    """The cap periods sorted by start; raise unless each is a proper range with a valid rate and none overlap."""
    ordered = sorted(periods, key=lambda period: period.date_from)
    previous = None
    for period in ordered:
        if period.date_from > period.date_to:
            raise InterestError("bad_cap_period", (period.date_from, period.date_to))
        to_effective_annual(period.cap_rate, period.cap_type, period.periods_per_year)
        if period.bank_rate is not None:
            to_effective_annual(period.bank_rate, period.bank_type or "effective_annual", period.periods_per_year)
        if previous is not None and period.date_from <= previous.date_to:
            raise InterestError("overlapping_caps", (previous.date_from, period.date_from))
        previous = period
    return tuple(ordered)


def _check_range(day_from, day_to):
    if day_from > day_to:
        raise InterestError("bad_range", (day_from, day_to))


def cap_in_force(periods, day):
    """The cap period covering ``day``, or None."""
    for period in validate_caps(periods):
        if period.covers(day):
            return period
    return None


def check_rate_within_cap(rate, rate_type, periods, day_from, day_to, periods_per_year=None):
    """The rate's E.A.; raise ``above_cap`` with (first day, cap E.A.) if it exceeds a cap in force in the range.

    Days without a cap are not judged here (see :func:`missing_periods`).
    """
    _check_range(day_from, day_to)
    rate_ea = to_effective_annual(rate, rate_type, periods_per_year)
    for period in validate_caps(periods):
        if period.date_to < day_from or period.date_from > day_to:
            continue
        cap_ea = period.cap_ea
        if rate_ea > cap_ea + RATE_TOLERANCE:
            raise InterestError("above_cap", (max(period.date_from, day_from), cap_ea))
    return rate_ea


def uncharged_ranges(day_from, day_to, charged_ranges):
    """The day ranges [(start, end)] of ``day_from``..``day_to`` (included) outside every charged range."""
    _check_range(day_from, day_to)
    for start, end in charged_ranges:
        _check_range(start, end)
    free = []
    cursor = day_from
    for start, end in sorted(charged_ranges):
        if end < cursor:
            continue
        if start > day_to:
            break
        if start > cursor:
            free.append((cursor, start - timedelta(days=1)))
        cursor = max(cursor, end + timedelta(days=1))
        if cursor > day_to:
            return free
    free.append((cursor, day_to))
    return free


def missing_periods(periods, day_from, day_to):
    """The day ranges [(start, end)] of the range that no cap period covers."""
    ordered = validate_caps(periods)
    return uncharged_ranges(day_from, day_to, [(period.date_from, period.date_to) for period in ordered])


def _month_end(day):
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def last_complete_month(today):
    """The calendar month before ``today``'s, as (first day, last day): what a monthly run posts."""
    last = today.replace(day=1) - timedelta(days=1)
    return last.replace(day=1), last


def monthly_periods(day_from, day_to):
    """``day_from``..``day_to`` split into calendar months [(start, end)], the first and last possibly partial."""
    _check_range(day_from, day_to)
    periods = []
    start = day_from
    while start <= day_to:
        end = min(_month_end(start), day_to)
        periods.append((start, end))
        start = end + timedelta(days=1)
    return periods


# --------------------------------------------------------------------------- accrual


def principal_timeline(principal, payments, rounding=0.01):
    """A principal timeline from an opening ``principal`` and ``payments`` [(date, amount)].

    The opening amount is outstanding from the start of time (``date.min``); each payment date
    starts a new, lower outstanding amount (same-day payments merged, never below zero).
    """
    if principal < 0:
        raise InterestError("negative_principal", principal)
    by_day = {}
    for payment_date, amount in payments:
        if amount < 0:
            raise InterestError("negative_payment", amount)
        by_day[payment_date] = by_day.get(payment_date, 0.0) + amount
    events = [(date.min, round_money(principal, rounding))]
    outstanding = events[0][1]
    for payment_date in sorted(by_day):
        outstanding = max(round_money(outstanding - by_day[payment_date], rounding), 0.0)
        if payment_date == date.min:
            events[0] = (date.min, outstanding)
        else:
            events.append((payment_date, outstanding))
    return tuple(events)


def _principal_events(principal_events):
    events = sorted(principal_events, key=lambda event: event[0])
    for index, (day, amount) in enumerate(events):
        if amount < 0:
            raise InterestError("negative_principal", amount)
        if index and events[index - 1][0] == day:
            raise InterestError("duplicate_principal_date", day)
    return events


def _principal_at(events, day):
    amount = 0.0
    for event_day, event_amount in events:
        if event_day > day:
            break
        amount = event_amount
    return amount


@dataclass(frozen=True)
class InterestRow:
    """One line of the liquidation: a calendar month (or part of it) at one rate on one principal timeline."""

    period_start: date
    period_end: date
    days: int
    opening_principal: float
    average_principal: float  # day-weighted
    rate_applied_ea: float
    daily_rate: float
    cap_ea: float | None  # None: no cap in force and not required
    capped: bool  # the agreed rate was above the cap and was cut to it
    interest: float  # rounded to the currency
    interest_unrounded: float


@dataclass(frozen=True)
class AccrualResult:
    rows: tuple
    total: float  # sum of the rounded rows
    uncapped_ranges: tuple  # days with principal but no cap in force, as (start, end)
    skipped_ranges: tuple  # of those, the days left unaccrued (all of them when cap_required, else none)
    settled_ranges: tuple  # days this run settles, to record as charged: the range less the skipped days
    accrual_start: date | None  # first day that may accrue (after due date + grace); None when none in range

    @property
    def total_unrounded(self):
        return sum(row.interest_unrounded for row in self.rows)

    @property
    def complete(self):
        """True when no day was left unaccrued for want of a cap."""
        return not self.skipped_ranges


def _merge(ranges):
    merged = []
    for start, end in ranges:
        if merged and merged[-1][1] + timedelta(days=1) == start:
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def accrue(
    principal_events,
    agreed_rate,
    agreed_type,
    caps,
    day_from,
    day_to,
    grace_days=0,
    due_date=None,
    rounding=0.01,
    cap_required=True,
    periods_per_year=None,
    days_in_year=365,
):
    """Late interest for ``day_from``..``day_to`` (included) on a principal timeline [(date, outstanding)].

    See the module docstring for the rules (start after due date + grace, payments lower the
    principal from their own date, the day's rate is the lower of the agreed rate and the cap,
    days without a cap, rows per month and cap, rounding per row).
    """
    _check_range(day_from, day_to)
    if rounding <= 0:
        raise InterestError("bad_rounding", rounding)
    if grace_days < 0:
        raise InterestError("negative_grace", grace_days)
    if grace_days and due_date is None:
        raise InterestError("grace_without_due_date", grace_days)
    events = _principal_events(principal_events)
    ordered_caps = validate_caps(caps)
    agreed_ea = to_effective_annual(agreed_rate, agreed_type, periods_per_year, days_in_year)
    agreed_daily = effective_daily(agreed_rate, agreed_type, periods_per_year, days_in_year)

    start = day_from
    if due_date is not None:
        start = max(start, due_date + timedelta(days=grace_days + 1))
    if start > day_to:
        return AccrualResult((), 0.0, (), (), ((day_from, day_to),), None)

    # Everything is constant between breakpoints: month starts, cap edges, principal changes.
    breaks = {start, day_to + timedelta(days=1)}
    month_start = start.replace(day=1)
    while month_start <= day_to:
        breaks.add(_month_end(month_start) + timedelta(days=1))
        month_start = _month_end(month_start) + timedelta(days=1)
    for period in ordered_caps:
        breaks.update((period.date_from, period.date_to + timedelta(days=1)))
    breaks.update(day for day, _amount in events)
    edges = sorted(day for day in breaks if start <= day <= day_to + timedelta(days=1))

    rows = []  # [key, start, end, opening, principal_days, interest, ea, daily, cap_ea, capped]
    uncapped = []
    for seg_start, next_start in pairwise(edges):
        seg_end = next_start - timedelta(days=1)
        days = (next_start - seg_start).days
        principal = _principal_at(events, seg_start)
        if compare(principal, 0.0, rounding) <= 0:
            continue
        cap_index = next((i for i, period in enumerate(ordered_caps) if period.covers(seg_start)), None)
        if cap_index is None:
            uncapped.append((seg_start, seg_end))
            if cap_required:
                continue
            cap_ea, daily, rate_ea, capped = None, agreed_daily, agreed_ea, False
        else:
            cap_ea = ordered_caps[cap_index].cap_ea
            cap_daily = effective_daily(cap_ea, "effective_annual", days_in_year=days_in_year)
            daily, rate_ea = min(agreed_daily, cap_daily), min(agreed_ea, cap_ea)
            capped = agreed_ea > cap_ea + RATE_TOLERANCE
        key = (seg_start.year, seg_start.month, cap_index)
        if rows and rows[-1][0] == key and rows[-1][2] + timedelta(days=1) == seg_start:
            row = rows[-1]
            row[2] = seg_end
            row[4] += principal * days
            row[5] += principal * days * daily
        else:
            rows.append([key, seg_start, seg_end, principal, principal * days, principal * days * daily])
            rows[-1].extend((rate_ea, daily, cap_ea, capped))

    result_rows = []
    for _key, row_start, row_end, opening, principal_days, interest, rate_ea, daily, cap_ea, capped in rows:
        days = (row_end - row_start).days + 1
        result_rows.append(
            InterestRow(
                period_start=row_start,
                period_end=row_end,
                days=days,
                opening_principal=opening,
                average_principal=round_money(principal_days / days, rounding),
                rate_applied_ea=rate_ea,
                daily_rate=daily,
                cap_ea=cap_ea,
                capped=capped,
                interest=round_money(interest, rounding),
                interest_unrounded=interest,
            )
        )
    total = round_money(sum(row.interest for row in result_rows), rounding)
    uncapped = tuple(_merge(uncapped))
    skipped = uncapped if cap_required else ()
    settled = tuple(uncharged_ranges(day_from, day_to, skipped)) if skipped else ((day_from, day_to),)
    return AccrualResult(tuple(result_rows), total, uncapped, skipped, settled, start)


# --------------------------------------------------------------------------- settlement offers


@dataclass(frozen=True)
class SettlementOutcome:
    state: str  # pending, fulfilled, lapsed
    paid: float  # paid on or before the deadline (and today)
    remaining: float  # still to pay to fulfil the offer (0 once fulfilled)
    fulfilled_on: date | None = None


def settlement_outcome(offer_amount, deadline, payments, today, rounding=0.01):
    """Judge an offer "pay ``offer_amount`` by ``deadline``" on ``today`` from ``payments`` [(date, amount)]."""
    if compare(offer_amount, 0.0, rounding) <= 0:
        raise InterestError("non_positive_offer", offer_amount)
    paid = 0.0
    fulfilled_on = None
    for payment_date, amount in sorted(payments, key=lambda item: item[0]):
        if amount < 0:
            raise InterestError("negative_payment", amount)
        if payment_date > deadline or payment_date > today:
            continue
        paid = round_money(paid + amount, rounding)
        if fulfilled_on is None and compare(paid, offer_amount, rounding) >= 0:
            fulfilled_on = payment_date
    remaining = max(round_money(offer_amount - paid, rounding), 0.0)
    if fulfilled_on is not None:
        return SettlementOutcome("fulfilled", paid, 0.0, fulfilled_on)
    if today > deadline:
        return SettlementOutcome("lapsed", paid, remaining)
    return SettlementOutcome("pending", paid, remaining)


@dataclass(frozen=True)
class SettlementWaiver:
    amount_to_pay: float  # principal + interest − waived
    waived_amount: float  # waived_interest + waived_principal
    waived_interest: float
    waived_principal: float


def settlement_waiver(debt_principal, interest_due, waive_interest, waive_percent=0.0, rounding=0.01):
    """What the customer pays and what is waived: the interest if ``waive_interest``, plus ``waive_percent`` % of
    the principal (0..100)."""
    if debt_principal < 0:
        raise InterestError("negative_amount", debt_principal)
    if interest_due < 0:
        raise InterestError("negative_amount", interest_due)
    if not 0 <= waive_percent <= 100:
        raise InterestError("bad_percent", waive_percent)
    principal = round_money(debt_principal, rounding)
    interest = round_money(interest_due, rounding)
    waived_interest = interest if waive_interest else 0.0
    waived_principal = round_money(principal * waive_percent / 100.0, rounding)
    waived = round_money(waived_interest + waived_principal, rounding)
    return SettlementWaiver(
        round_money(principal + interest - waived, rounding), waived, waived_interest, waived_principal
    )


def allocate_in_order(amount, open_amounts, rounding=0.01):
    """Spread ``amount`` over ``open_amounts`` in their order, each taking at most its own open amount.

    What a settlement writes off on each covered document: the first documents are cleared
    first; whatever exceeds the total open is not allocated (nothing is credited beyond a debt).
    Returns one rounded amount per open amount.
    """
    if amount < 0:
        raise InterestError("negative_amount", amount)
    left = round_money(amount, rounding)
    shares = []
    for open_amount in open_amounts:
        if open_amount < 0:
            raise InterestError("negative_amount", open_amount)
        share = min(left, round_money(open_amount, rounding))
        shares.append(share)
        left = round_money(left - share, rounding)
    return tuple(shares)


def needs_approval(waived_amount, threshold, rounding=0.01):
    """True when the waived amount is above ``threshold`` (exactly at it needs none): a manager approves."""
    if threshold < 0:
        raise InterestError("negative_threshold", threshold)
    return compare(waived_amount, threshold, rounding) > 0
