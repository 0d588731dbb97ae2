"""Early-payment incentives (DESIGN §5 "Incentives", issue 7).

A program has tiers "paid within N days of the invoice date → p %", day N inclusive. The model
records, when an invoice is posted, each tier's deadline and discount; at payment the tier in
force on the payment date decides the discount. Managers compare each tier's annualised cost
with their cost of funds: a customer who takes d % to pay on day N instead of on the due date
lends the company money for (term − N) days at d / (1 − d) for that period.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from itertools import pairwise

from .money import compare, round_money

TAX_MODES = ("included", "excluded", "credit_note")


class IncentiveError(ValueError):
    """Tiers or figures an incentive cannot use. ``reason``: negative_days, bad_percent,
    duplicate_days, later_tier_not_smaller, no_tiers, unknown_tax_mode, negative_amount,
    not_a_date; ``value`` is the offending value."""

    def __init__(self, reason, value=None):
        super().__init__(f"{reason}: {value!r}")
        self.reason = reason
        self.value = value


@dataclass(frozen=True)
class Tier:
    """Paid within ``days`` days of the invoice date (inclusive) → ``percent`` % off."""

    days: int
    percent: float


@dataclass(frozen=True)
class Deadline:
    """One tier applied to one invoice: pay ``amount_to_pay`` by ``deadline`` and save ``discount``."""

    tier: Tier
    deadline: date
    discount: float
    amount_to_pay: float


def validate_tiers(tiers):
    """Raise :class:`IncentiveError` unless the tiers make a coherent program.

    Days are not negative and distinct, percentages are in (0, 100), and a later tier never
    gives as much as an earlier one (otherwise nobody would pay early).
    """
    tiers = sorted(tiers, key=lambda tier: tier.days)
    if not tiers:
        raise IncentiveError("no_tiers")
    seen = set()
    for tier in tiers:
        if tier.days < 0:
            raise IncentiveError("negative_days", tier.days)
        if not 0 < tier.percent < 100:
            raise IncentiveError("bad_percent", tier.percent)
        if tier.days in seen:
            raise IncentiveError("duplicate_days", tier.days)
        seen.add(tier.days)
    for earlier, later in pairwise(tiers):
        if later.percent >= earlier.percent:
            raise IncentiveError("later_tier_not_smaller", later.days)
    return tiers


def discount_base(tax_mode, amount_total, amount_untaxed):
    """The amount the percentage applies to: the total (tax included) or the untaxed amount."""
    if tax_mode not in TAX_MODES:
        raise IncentiveError("unknown_tax_mode", tax_mode)
    if amount_total < 0 or amount_untaxed < 0:
        raise IncentiveError("negative_amount", min(amount_total, amount_untaxed))
    return amount_untaxed if tax_mode == "excluded" else amount_total


def deadlines(invoice_date, tiers, tax_mode, amount_total, amount_untaxed, rounding=0.01):
    """Each tier's deadline, discount and amount to pay for an invoice, earliest first.

    The discount is rounded to the currency (whole units for COP or CLP); the amount to pay is
    the total minus that rounded discount, so both add up to the invoice total exactly.
    """
    if not isinstance(invoice_date, date):
        raise IncentiveError("not_a_date", invoice_date)
    base = discount_base(tax_mode, amount_total, amount_untaxed)
    result = []
    for tier in validate_tiers(tiers):
        discount = round_money(base * tier.percent / 100.0, rounding)
        result.append(
            Deadline(
                tier=tier,
                deadline=invoice_date + timedelta(days=tier.days),
                discount=discount,
                amount_to_pay=round_money(amount_total - discount, rounding),
            )
        )
    return result


def deadline_on(invoice_deadlines, payment_date):
    """The deadline in force for a payment on ``payment_date``: the earliest one not passed.

    Day N is inclusive: a payment on the deadline itself still gets the tier. A payment dated
    before the invoice gets the first tier. None once every deadline has passed.
    """
    for item in sorted(invoice_deadlines, key=lambda item: item.deadline):
        if payment_date <= item.deadline:
            return item
    return None


def discount_earned(residual_after_payment, discount, rounding=0.01):
    """A payment inside a tier earns the discount when it left exactly the discount open: the
    customer paid the discounted amount. A partial payment (more left open) earns nothing."""
    return compare(discount, 0.0, rounding) > 0 and compare(residual_after_payment, discount, rounding) == 0


def annualized_cost(percent, term_days, tier_days):
    """Annualised cost of a tier in percent: d/(1−d) × 365/(term days − tier days) × 100.

    None when the tier's days reach the payment term (the customer pays no earlier than it
    owes, so the discount buys no financing: its cost is unbounded).
    """
    if not 0 < percent < 100:
        raise IncentiveError("bad_percent", percent)
    if term_days - tier_days <= 0:
        return None
    rate = percent / 100.0
    return rate / (1 - rate) * 365.0 / (term_days - tier_days) * 100.0


def costs_more_than_funds(percent, term_days, tier_days, cost_of_funds_percent):
    """True when the tier's annualised cost exceeds the company's annual cost of funds."""
    cost = annualized_cost(percent, term_days, tier_days)
    return cost is None or cost > cost_of_funds_percent
