"""Collections KPIs of a company over a period (DESIGN §5 "KPIs", issue 8).

The model gathers the figures in bulk (receivable balances, credit sales, promises,
communications, collectors' activity) and calls :func:`period_kpis` once per company and
period, or the single-KPI functions. KPI values come back as unrounded floats, or None when
they are undefined; :func:`round_kpi` rounds them for display (1 decimal, half up).

Periods and months
  Months are calendar months. A period runs from ``period_start`` to ``period_end``, both
  included, so its length in days is ``period_end - period_start + 1`` (29 for February
  2024). :func:`last_months` gives the N whole calendar months that end on or before a date,
  newest first: on a month's last day that month is the newest; on any other day (e.g. the
  1st of the next month, when a monthly job runs) the newest is the previous month.

Receivable figures and customers' credits
  Receivable amounts are *net* balances, as in the general ledger: unapplied payments and
  credit notes count negative, so the KPIs reconcile with the books. "Current" receivable is
  what is not yet due on the date (an amount due that very day is current, as in aging);
  "over 90 days" is what is more than 90 days past due (day 91 on). Amounts are compared in
  the currency's ``rounding``: a difference that rounds to zero is no difference.

  A zero or negative receivable means nothing is outstanding: every DSO is then 0 days,
  never negative. Shares of the receivable need a positive total, otherwise they are None.
  Ratios are not clamped: credits dated in the past can make a part larger than its total
  (more than 100 %), and the figure shows it rather than hiding it.

DSO (countback)
  Named "DSO (countback)" to keep it apart from Odoo's own ``days_sales_outstanding``. The
  receivable at period end is explained by the credit sales of the months before it, newest
  first: while what is left of it covers a month's sales, the whole month's days count and
  its sales are taken off; the month it no longer covers counts the fraction left / sales of
  its days, and counting stops. A month is given as ``(credit_sales, days)``, or as a bare
  amount for a 30-day month (the textbook convention of the DESIGN example: AR 212k against
  100k, 80k, 70k → 30 + 30 + 32/70 × 30 = 73.7 days). A month with no (or net negative) credit
  sales explains none of the receivable: its days count in full and nothing is taken off.
  A receivable larger than all the months' sales is capped at all the months' days and the
  result is flagged ``capped``. Without any credit sales in the months DSO is None.

DSO (standard)
  receivable / credit sales of the period × days of the period. None without credit sales
  (zero or net negative).

Best possible DSO (BPDSO)
  The same formula on the current (not yet due) receivable: the DSO if every customer paid
  exactly on time.

ADD (average days delinquent)
  DSO − BPDSO, with the standard DSO by default because BPDSO uses the same sales and days,
  so ADD is then exactly the overdue receivable / sales × days. The countback DSO can be
  chosen instead. None when either side is None; not clamped (negative when the overdue part
  is net negative).

CEI (collection effectiveness index)
  (opening receivable + credit sales − closing total receivable) /
  (opening receivable + credit sales − closing current receivable) × 100: what was collected
  out of what could be collected. The opening receivable is the total on the day before the
  period starts. None when the denominator is zero or negative (nothing was collectible).

% current and share over 90 days
  current receivable / total receivable × 100 and receivable more than 90 days past due /
  total receivable × 100.

Promises kept %
  promises kept / promises due in the period × 100; the model decides which were kept (paid
  in full by their date + grace). None when no promise fell due; more kept than due is an
  error.

Recovery by stage
  For each dunning stage: amount collected within 30 days after its communications / amount
  dunned at that stage × 100. The window runs from the day the communication was sent to 30
  days after it, both included (:func:`recovery_window`), so a payment made right after a
  call counts. Per communication, what is counted as collected never exceeds what it dunned:
  a customer paying other debts does not push a stage above 100 %. None for a stage that
  dunned nothing.

Collector performance
  Per collector (any key, None for "no collector"): amount collected, contacts, promises made,
  promises due and kept, and kept % as above. Rows are summed per collector, so the model may
  send one row per fact or pre-grouped rows from several queries. Amounts are rounded to the
  currency.

Bad input (negative counts or amounts where they cannot be, a period ending before it starts,
months without a positive length, an unknown DSO method, something other than a date) raises
:class:`KpiError` with a machine ``reason``.
"""

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from .aging import days_past_due
from .money import compare, round_money

COUNTBACK_MONTH_DAYS = 30
OVER_DUE_DAYS = 90
RECOVERY_WINDOW_DAYS = 30
DSO_METHODS = ("standard", "countback")


class KpiError(ValueError):
    """Figures a KPI cannot be computed from. ``reason``: not_a_date, negative_count,
    non_positive_days, period_end_before_start, bad_month, unknown_dso_method, negative_amount,
    kept_exceeds_due; ``value`` is the offending value."""

    def __init__(self, reason, value=None):
        super().__init__(f"{reason}: {value!r}")
        self.reason = reason
        self.value = value


def _check_date(value):
    # A datetime would silently carry a time and a time zone into month arithmetic.
    if not isinstance(value, date) or isinstance(value, datetime):
        raise KpiError("not_a_date", value)


def _check_count(value):
    if value < 0:
        raise KpiError("negative_count", value)


def _check_amount(value):
    if value < 0:
        raise KpiError("negative_amount", value)


def _check_days(days):
    if isinstance(days, bool) or not isinstance(days, int) or days <= 0:
        raise KpiError("non_positive_days", days)


# Months ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Month:
    """One calendar month: its first and last day."""

    start: date
    end: date

    @property
    def days(self):
        return (self.end - self.start).days + 1


def days_in_month(day):
    """Number of days of the calendar month ``day`` is in (28, 29, 30 or 31)."""
    _check_date(day)
    return calendar.monthrange(day.year, day.month)[1]


def month_start(day):
    """First day of the calendar month of ``day``."""
    _check_date(day)
    return day.replace(day=1)


def month_end(day):
    """Last day of the calendar month of ``day``."""
    last_day = days_in_month(day)
    return day.replace(day=last_day)


def month_of(day):
    """The :class:`Month` that contains ``day``."""
    return Month(month_start(day), month_end(day))


def last_months(as_of, count):
    """The ``count`` whole calendar months ending on or before ``as_of``, newest first."""
    _check_date(as_of)
    _check_count(count)
    end = as_of if as_of == month_end(as_of) else month_start(as_of) - timedelta(days=1)
    months = []
    for _ in range(count):
        month = month_of(end)
        months.append(month)
        end = month.start - timedelta(days=1)
    return tuple(months)


def period_days(period_start, period_end):
    """Length of a period in days, both ends included."""
    _check_date(period_start)
    _check_date(period_end)
    if period_end < period_start:
        raise KpiError("period_end_before_start", (period_start, period_end))
    return (period_end - period_start).days + 1


# DSO, BPDSO, ADD ------------------------------------------------------------------------


@dataclass(frozen=True)
class Countback:
    """DSO (countback): ``days`` (None without sales), how many months it reached into, and
    whether the receivable went beyond all the months given (``capped``)."""

    days: float | None
    months_used: int = 0
    capped: bool = False


def _month_sales(item):
    if isinstance(item, bool):
        raise KpiError("bad_month", item)
    if isinstance(item, int | float):
        return float(item), COUNTBACK_MONTH_DAYS
    try:
        sales, month_days = item
        sales = float(sales)
    except (TypeError, ValueError):
        raise KpiError("bad_month", item) from None
    _check_days(month_days)
    return sales, month_days


def dso_countback(receivable, monthly_sales, rounding=0.01):
    """DSO by the countback method.

    ``monthly_sales``: the credit sales of the months up to the receivable's date, newest
    first, each ``(credit_sales, days)`` or a bare amount for a 30-day month.
    """
    months = [_month_sales(item) for item in monthly_sales]
    if compare(sum(max(sales, 0.0) for sales, _days in months), 0.0, rounding) <= 0:
        return Countback(None)
    if compare(receivable, 0.0, rounding) <= 0:
        return Countback(0.0)
    left = receivable
    days = 0.0
    used = 0
    for sales, month_days in months:
        if compare(left, 0.0, rounding) <= 0:
            break
        used += 1
        if compare(sales, 0.0, rounding) <= 0:
            days += month_days
        elif compare(left, sales, rounding) >= 0:
            days += month_days
            left -= sales
        else:
            days += left / sales * month_days
            left = 0.0
    return Countback(days, used, compare(left, 0.0, rounding) > 0)


def dso_standard(receivable, credit_sales, days, rounding=0.01):
    """Standard DSO: receivable / credit sales of the period × ``days`` of the period."""
    _check_days(days)
    if compare(credit_sales, 0.0, rounding) <= 0:
        return None
    if compare(receivable, 0.0, rounding) <= 0:
        return 0.0
    return receivable / credit_sales * days


def best_possible_dso(current_receivable, credit_sales, days, rounding=0.01):
    """Best possible DSO: the standard formula on the receivable not yet due."""
    return dso_standard(current_receivable, credit_sales, days, rounding)


def average_days_delinquent(dso, best_possible):
    """ADD = DSO − best possible DSO; None when either is undefined."""
    if dso is None or best_possible is None:
        return None
    return dso - best_possible


# CEI and shares of the receivable -------------------------------------------------------


def collection_effectiveness_index(
    opening_receivable, credit_sales, closing_receivable, closing_current_receivable, rounding=0.01
):
    """CEI in percent; None when nothing was collectible (denominator zero or negative)."""
    collectible = opening_receivable + credit_sales - closing_current_receivable
    if compare(collectible, 0.0, rounding) <= 0:
        return None
    return (opening_receivable + credit_sales - closing_receivable) / collectible * 100


def receivable_share(part, total_receivable, rounding=0.01):
    """``part`` as a percentage of the total receivable; None unless the total is positive."""
    if compare(total_receivable, 0.0, rounding) <= 0:
        return None
    return part / total_receivable * 100


@dataclass(frozen=True)
class ReceivablePosition:
    """Net receivable on a date: total, not yet due, and more than 90 days past due."""

    total: float
    current: float
    over_90: float


def receivable_position(open_amounts, as_of, rounding=0.01):
    """Split open amounts (``date_maturity``, ``residual``, e.g. ``aging.OpenAmount``) on ``as_of``."""
    total = current = over_90 = 0.0
    for item in open_amounts:
        days = days_past_due(item.date_maturity, as_of)
        total += item.residual
        if days <= 0:
            current += item.residual
        elif days > OVER_DUE_DAYS:
            over_90 += item.residual
    return ReceivablePosition(
        round_money(total, rounding), round_money(current, rounding), round_money(over_90, rounding)
    )


# Promises, recovery by stage, collectors ------------------------------------------------


def promises_kept_percent(promises_kept, promises_due):
    """Promises kept / promises due × 100; None when none fell due."""
    _check_count(promises_kept)
    _check_count(promises_due)
    if promises_kept > promises_due:
        raise KpiError("kept_exceeds_due", (promises_kept, promises_due))
    if not promises_due:
        return None
    return promises_kept / promises_due * 100


def recovery_window(date_sent):
    """First and last day (both included) in which payments count for a communication."""
    _check_date(date_sent)
    return date_sent, date_sent + timedelta(days=RECOVERY_WINDOW_DAYS)


@dataclass(frozen=True)
class StageCommunication:
    """One communication: its stage, the amount it dunned, what was collected in its window."""

    stage: object
    dunned: float
    collected: float


@dataclass(frozen=True)
class StageRecovery:
    stage: object
    communications: int
    dunned: float
    collected: float
    recovery_percent: float | None


def recovery_by_stage(communications, rounding=0.01):
    """``{stage: StageRecovery}``, stages in the order they first appear."""
    totals = {}
    for communication in communications:
        _check_amount(communication.dunned)
        _check_amount(communication.collected)
        count, dunned, collected = totals.get(communication.stage, (0, 0.0, 0.0))
        totals[communication.stage] = (
            count + 1,
            dunned + communication.dunned,
            collected + min(communication.collected, communication.dunned),
        )
    result = {}
    for stage, (count, dunned, collected) in totals.items():
        dunned = round_money(dunned, rounding)
        collected = round_money(collected, rounding)
        percent = collected / dunned * 100 if compare(dunned, 0.0, rounding) > 0 else None
        result[stage] = StageRecovery(stage, count, dunned, collected, percent)
    return result


@dataclass(frozen=True)
class CollectorActivity:
    """Facts about one collector; several rows for the same collector are added up."""

    collector: object
    collected: float = 0.0
    contacts: int = 0
    promises_made: int = 0
    promises_due: int = 0
    promises_kept: int = 0


@dataclass(frozen=True)
class CollectorPerformance:
    collector: object
    collected: float
    contacts: int
    promises_made: int
    promises_due: int
    promises_kept: int
    promises_kept_percent: float | None


_ACTIVITY_COUNTS = ("contacts", "promises_made", "promises_due", "promises_kept")


def collector_performance(activity, rounding=0.01):
    """``{collector: CollectorPerformance}``, collectors in the order they first appear."""
    totals = {}
    for row in activity:
        _check_amount(row.collected)
        counts = [getattr(row, name) for name in _ACTIVITY_COUNTS]
        for count in counts:
            _check_count(count)
        previous = totals.get(row.collector, [0.0, 0, 0, 0, 0])
        totals[row.collector] = [a + b for a, b in zip(previous, [row.collected, *counts], strict=True)]
    result = {}
    for collector, (collected, contacts, made, due, kept) in totals.items():
        result[collector] = CollectorPerformance(
            collector, round_money(collected, rounding), contacts, made, due, kept, promises_kept_percent(kept, due)
        )
    return result


# One period -----------------------------------------------------------------------------


@dataclass(frozen=True)
class PeriodFigures:
    """What the model gathers for one company and period (amounts in company currency).

    ``opening_receivable`` is the total on the day before ``period_start``; the ``closing_*``
    figures are on ``period_end``. ``monthly_sales`` feeds the countback (see
    :func:`dso_countback`), newest month first, the newest being the month ending on
    ``period_end``.
    """

    period_start: date
    period_end: date
    opening_receivable: float
    credit_sales: float
    closing_receivable: float
    closing_current_receivable: float
    closing_over_90_receivable: float = 0.0
    monthly_sales: tuple = ()
    promises_due: int = 0
    promises_kept: int = 0
    communications: tuple = ()
    collector_activity: tuple = ()


@dataclass(frozen=True)
class PeriodKpis:
    period_days: int
    countback: Countback
    dso_standard: float | None
    best_possible_dso: float | None
    add: float | None
    add_method: str
    cei: float | None
    current_percent: float | None
    over_90_percent: float | None
    promises_kept_percent: float | None
    recovery_by_stage: dict
    collectors: dict

    @property
    def dso_countback(self):
        return self.countback.days


def period_kpis(figures, add_method="standard", rounding=0.01):
    """Every KPI of one company and period (see the module docstring).

    ``add_method`` chooses the DSO ADD is measured from: ``"standard"`` or ``"countback"``.
    """
    if add_method not in DSO_METHODS:
        raise KpiError("unknown_dso_method", add_method)
    days = period_days(figures.period_start, figures.period_end)
    countback = dso_countback(figures.closing_receivable, figures.monthly_sales, rounding)
    standard = dso_standard(figures.closing_receivable, figures.credit_sales, days, rounding)
    best = best_possible_dso(figures.closing_current_receivable, figures.credit_sales, days, rounding)
    add_from = standard if add_method == "standard" else countback.days
    return PeriodKpis(
        period_days=days,
        countback=countback,
        dso_standard=standard,
        best_possible_dso=best,
        add=average_days_delinquent(add_from, best),
        add_method=add_method,
        cei=collection_effectiveness_index(
            figures.opening_receivable,
            figures.credit_sales,
            figures.closing_receivable,
            figures.closing_current_receivable,
            rounding,
        ),
        current_percent=receivable_share(figures.closing_current_receivable, figures.closing_receivable, rounding),
        over_90_percent=receivable_share(figures.closing_over_90_receivable, figures.closing_receivable, rounding),
        promises_kept_percent=promises_kept_percent(figures.promises_kept, figures.promises_due),
        recovery_by_stage=recovery_by_stage(figures.communications, rounding),
        collectors=collector_performance(figures.collector_activity, rounding),
    )


def round_kpi(value, digits=1):
    """Round a KPI half up to ``digits`` decimals for display; None stays None."""
    if value is None:
        return None
    step = Decimal(1).scaleb(-digits)
    return float(Decimal(repr(float(value))).quantize(step, rounding=ROUND_HALF_UP))
