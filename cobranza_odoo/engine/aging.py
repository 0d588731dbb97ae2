"""Aging: how late an open amount is and which bucket it falls in.

Rules (DESIGN §5 "Aging"):

* Days past due = ``today - date_maturity`` in calendar days. An amount that falls due
  today is not yet overdue (0 days), one due yesterday is 1 day late.
* Every open amount is aged by its *own* maturity date: an invoice paid in several
  installments has several open amounts, each in its own bucket.
* Buckets are given by their upper limits in days, strictly increasing positive
  integers, e.g. ``(30, 60, 90, 120)`` gives Current (not due), 1–30, 31–60, 61–90,
  91–120 and >120. Bucket 0 is always "Current".
"""

from dataclasses import dataclass, field
from datetime import date

DEFAULT_BUCKET_LIMITS = (30, 60, 90, 120)


class BucketLimitsError(ValueError):
    """Bucket limits that cannot define an aging scale.

    ``reason`` is one of ``"empty"``, ``"not_a_number"``, ``"not_positive"`` or
    ``"not_increasing"``; ``value`` is the offending piece of the specification.
    Callers turn it into a translated message.
    """

    def __init__(self, reason, value=None):
        super().__init__(f"{reason}: {value!r}")
        self.reason = reason
        self.value = value


@dataclass(frozen=True)
class Bucket:
    """One column of an aging scale.

    ``first_day`` is None for the Current bucket; ``last_day`` is None for the
    open-ended last bucket.
    """

    index: int
    first_day: int | None
    last_day: int | None

    @property
    def is_current(self):
        return self.first_day is None

    def label(self, current_label="Current"):
        if self.is_current:
            return current_label
        if self.last_day is None:
            return f"> {self.first_day - 1}"
        return f"{self.first_day}-{self.last_day}"


def parse_bucket_limits(spec):
    """Return the bucket limits written as ``"30,60,90,120"`` as a tuple of ints.

    Spaces are ignored. Raises :class:`BucketLimitsError` when the text does not
    describe strictly increasing positive whole numbers.
    """
    pieces = [piece.strip() for piece in (spec or "").split(",")]
    pieces = [piece for piece in pieces if piece]
    if not pieces:
        raise BucketLimitsError("empty", spec)
    limits = []
    for piece in pieces:
        if not piece.isdigit():
            raise BucketLimitsError("not_a_number", piece)
        limits.append(int(piece))
    return validate_bucket_limits(limits)


def validate_bucket_limits(limits):
    """Check that limits are strictly increasing positive integers; return them as a tuple."""
    limits = tuple(limits)
    if not limits:
        raise BucketLimitsError("empty", limits)
    previous = 0
    for limit in limits:
        if limit <= 0:
            raise BucketLimitsError("not_positive", limit)
        if limit <= previous:
            raise BucketLimitsError("not_increasing", limit)
        previous = limit
    return limits


def format_bucket_limits(limits):
    """Inverse of :func:`parse_bucket_limits`."""
    return ",".join(str(limit) for limit in validate_bucket_limits(limits))


def buckets(limits=DEFAULT_BUCKET_LIMITS):
    """All buckets of the scale given by ``limits``, Current first."""
    limits = validate_bucket_limits(limits)
    scale = [Bucket(0, None, None)]
    first_day = 1
    for index, limit in enumerate(limits, start=1):
        scale.append(Bucket(index, first_day, limit))
        first_day = limit + 1
    scale.append(Bucket(len(limits) + 1, first_day, None))
    return scale


def days_past_due(date_maturity, today):
    """Calendar days between the maturity date and ``today``; negative when not yet due."""
    if not isinstance(date_maturity, date) or not isinstance(today, date):
        raise TypeError("date_maturity and today must be dates")
    return (today - date_maturity).days


def bucket_index(days_late, limits=DEFAULT_BUCKET_LIMITS):
    """Index of the bucket for an amount ``days_late`` days past due (0 = Current)."""
    if days_late <= 0:
        return 0
    for index, limit in enumerate(limits, start=1):
        if days_late <= limit:
            return index
    return len(limits) + 1


def bucket_for(date_maturity, today, limits=DEFAULT_BUCKET_LIMITS):
    """The :class:`Bucket` an amount maturing on ``date_maturity`` is in on ``today``."""
    scale = buckets(limits)
    return scale[bucket_index(days_past_due(date_maturity, today), limits)]


@dataclass(frozen=True)
class OpenAmount:
    """An open receivable amount: whose it is, when it falls due, how much is left."""

    key: object
    date_maturity: date
    residual: float


@dataclass
class AgingRow:
    """Totals of one key (usually a customer) spread over the buckets.

    ``amounts`` are net per bucket (credits included), so they add up to the balance.
    ``overdue_debt`` counts only amounts owed and past due: credits do not make a
    customer less late, they are reported apart in ``credits`` (a negative number).
    """

    key: object
    amounts: list = field(default_factory=list)
    oldest_days_late: int = 0
    overdue_debt: float = 0.0
    credits: float = 0.0

    @property
    def total(self):
        return sum(self.amounts)

    @property
    def overdue(self):
        """Net amount in the overdue buckets (credits dated in the past included)."""
        return sum(self.amounts[1:])


def age_open_amounts(open_amounts, today, limits=DEFAULT_BUCKET_LIMITS):
    """Spread open amounts over the aging buckets, per key.

    Returns ``{key: AgingRow}``. Credits (negative residuals, e.g. an unapplied
    payment) stay in the bucket of their own date, so a row's total is the key's
    net open balance. ``oldest_days_late`` and ``overdue_debt`` only consider
    positive amounts.
    """
    limits = validate_bucket_limits(limits)
    width = len(limits) + 2
    result = {}
    for item in open_amounts:
        row = result.get(item.key)
        if row is None:
            row = result[item.key] = AgingRow(item.key, [0.0] * width)
        days = days_past_due(item.date_maturity, today)
        row.amounts[bucket_index(days, limits)] += item.residual
        if item.residual < 0:
            row.credits += item.residual
        elif days > 0:
            row.overdue_debt += item.residual
            row.oldest_days_late = max(row.oldest_days_late, days)
    return result
