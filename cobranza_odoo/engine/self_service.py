"""Customer self-service (issue 18): what a reminder's pay link asks for, what a portal promise may say.

Paying is made easier than not paying: every reminder carries one link that pays everything it
lists. The amount of that link is decided here, from each invoice's open amount and, while one
of its early-payment tiers is open, its discounted amount. Invoices are paid in their own
currency and company, so the link pays one group per (company, currency); the usual reminder has
one.

A customer may also promise to pay from the portal: a date no later than the maximum the company
(or the customer's segment) allows, and optionally an amount no larger than what the chosen
invoices owe.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from .money import compare, round_money

DEFAULT_PROMISE_MAX_DAYS = 15


class PromiseError(ValueError):
    """A portal promise the rules refuse. ``reason``: disabled, not_a_date, past_date, too_late,
    nothing_open, non_positive_amount, amount_too_big; ``value`` is the offending value."""

    def __init__(self, reason, value=None):
        super().__init__(f"{reason}: {value!r}")
        self.reason = reason
        self.value = value


@dataclass(frozen=True)
class PayItem:
    """One invoice in a pay link.

    ``residual``: what its listed installments still owe, in the invoice currency; ``discounted``:
    what pays it in full today while an early-payment tier is open (None otherwise); ``group``:
    the (company, currency) it is paid in.
    """

    key: object
    group: object
    residual: float
    discounted: float | None = None


@dataclass(frozen=True)
class PayGroup:
    """What one payment settles: the invoices of one (company, currency) and the amount to pay."""

    group: object
    keys: tuple
    total: float
    full_amount: float
    discounts: dict = field(default_factory=dict)  # {invoice key: discount granted when paid in time}

    @property
    def discount(self):
        return self.full_amount - self.total


def discount_of(item, rounding=0.01):
    """The discount an item earns when paid today: 0 without an open tier (or a meaningless one)."""
    if item.discounted is None:
        return 0.0
    discount = round_money(item.residual - item.discounted, rounding)
    if discount <= 0 or compare(item.discounted, 0.0, rounding) <= 0:
        return 0.0
    return discount


def pay_groups(items, rounding=0.01):
    """[PayGroup] of the items that still owe something, one per group, in order of appearance.

    The total of a group is the sum of what each invoice needs today: its discounted amount while
    its tier is open, else its residual. Items owing nothing (paid meanwhile) are left out.
    """
    grouped = {}
    for item in items:
        if compare(item.residual, 0.0, rounding) <= 0:
            continue
        grouped.setdefault(item.group, []).append(item)
    result = []
    for group, members in grouped.items():
        discounts = {item.key: discount_of(item, rounding) for item in members}
        full_amount = round_money(sum(item.residual for item in members), rounding)
        total = round_money(full_amount - sum(discounts.values()), rounding)
        result.append(
            PayGroup(
                group=group,
                keys=tuple(item.key for item in members),
                total=total,
                full_amount=full_amount,
                discounts={key: amount for key, amount in discounts.items() if amount},
            )
        )
    return result


def promise_max_days(company_days, segment_days=0):
    """How many days ahead a customer may promise: the segment's own limit, else the company's."""
    return segment_days if segment_days and segment_days > 0 else max(company_days or 0, 0)


def latest_promise_date(today, max_days):
    """The last date a portal promise may name, or None when portal promises are off (0 days)."""
    if not max_days or max_days <= 0:
        return None
    return today + timedelta(days=max_days)


def check_promise(today, promise_date, max_days, open_amount, amount=None, rounding=0.01):
    """The amount promised once the rules accept the promise; raise :class:`PromiseError` otherwise.

    ``open_amount``: what the chosen invoices owe; ``amount``: what the customer promises (None:
    all of it). The date lies between today and ``today + max_days`` (inclusive).
    """
    latest = latest_promise_date(today, max_days)
    if latest is None:
        raise PromiseError("disabled")
    if not isinstance(promise_date, date):
        raise PromiseError("not_a_date", promise_date)
    if promise_date < today:
        raise PromiseError("past_date", promise_date)
    if promise_date > latest:
        raise PromiseError("too_late", latest)
    if compare(open_amount, 0.0, rounding) <= 0:
        raise PromiseError("nothing_open", open_amount)
    if amount is None:
        return round_money(open_amount, rounding)
    if compare(amount, 0.0, rounding) <= 0:
        raise PromiseError("non_positive_amount", amount)
    if compare(amount, open_amount, rounding) > 0:
        raise PromiseError("amount_too_big", round_money(open_amount, rounding))
    return round_money(amount, rounding)
