"""Credit decision: may this customer take on this amount now?

Rules (DESIGN §5 "Credit decision", issue 3), for one customer (commercial partner) in one
company, every amount in company currency:

* Exposure = net receivable balance (unapplied payments and credit notes make it lower) +
  draft customer invoices + confirmed orders' uninvoiced amount: an order's total less what its
  invoices cover (posted invoices net of posted credit notes, and draft invoices, which count
  already as drafts), never below zero.
  The amount being checked comes on top.
* Limit = the customer's credit limit (0 means *no limit*) + the temporary increases in force
  on the day (``date_from <= today <= date_to``). A customer without limit stays unlimited.
* Over limit when exposure + amount exceeds the limit (exactly at the limit is fine). An amount
  of zero or less (a credit note, an order that lowers nothing) never creates an over-limit
  reason: it does not add to what the customer owes.
* On hold when a manager put the customer on hold (with a reason), or automatically when an
  open installment is more than ``hold_days`` days overdue (``hold_days`` 0 or None = off).
  A hold stops any new credit, whatever the amount.
* The customer's segment may set its own enforcement; otherwise the company's applies. The
  setting turns reasons into an outcome: ``none`` → always allow (reasons are
  still reported, so sales see the status), ``warn`` → warn, ``block`` → block.
* An approval (override) lets one document through once: it must be unused, not expired
  (valid through its expiry date) and cover the document's amount.
"""

from dataclasses import dataclass, field
from datetime import date

from .money import compare, round_money

ACTIONS = ("none", "warn", "block")
OUTCOME_ORDER = {"allow": 0, "warn": 1, "block": 2}


class CreditInputError(ValueError):
    """Bad credit configuration. ``reason``: negative_limit, non_positive_increase, increase_ends_before_start,
    non_positive_approval, unknown_action."""

    def __init__(self, reason, value=None):
        super().__init__(f"{reason}: {value!r}")
        self.reason = reason
        self.value = value


@dataclass(frozen=True)
class Increase:
    """A temporary credit-limit increase, in force from ``date_from`` to ``date_to`` included."""

    amount: float
    date_from: date
    date_to: date

    def in_force(self, today):
        return self.date_from <= today <= self.date_to


@dataclass(frozen=True)
class CreditFacts:
    """What is known of one customer in one company when checking credit."""

    base_limit: float = 0.0
    increases: tuple = ()
    receivable_balance: float = 0.0
    draft_invoices: float = 0.0
    uninvoiced_orders: float = 0.0
    overdue_amount: float | None = 0.0  # None: not read (it does not change the decision, only explains it)
    oldest_days_overdue: int = 0
    on_hold: bool = False
    hold_reason: str = ""
    hold_days: int | None = None
    rounding: float = 0.01
    segment_action: str | None = None  # the customer's segment's setting; None = the company's

    @property
    def exposure(self):
        return exposure(self.receivable_balance, self.draft_invoices, self.uninvoiced_orders)


@dataclass(frozen=True)
class CreditReason:
    """Why credit is refused or questioned. ``code``: over_limit, manual_hold, overdue_hold."""

    code: str
    limit: float | None = None
    exposure: float | None = None
    excess: float | None = None
    hold_reason: str = ""
    oldest_days_overdue: int | None = None
    hold_days: int | None = None


@dataclass(frozen=True)
class CreditDecision:
    outcome: str
    reasons: tuple = ()
    amount: float = 0.0
    exposure_before: float = 0.0
    exposure: float = 0.0
    limit: float | None = None
    increase: float = 0.0
    available: float | None = None
    excess: float = 0.0
    overdue_amount: float | None = 0.0  # None when the facts did not have it
    oldest_days_overdue: int = 0
    facts: CreditFacts = field(default_factory=CreditFacts, repr=False, compare=False)

    @property
    def codes(self):
        return tuple(reason.code for reason in self.reasons)

    @property
    def on_hold(self):
        return any(reason.code in ("manual_hold", "overdue_hold") for reason in self.reasons)


def exposure(receivable_balance, draft_invoices, uninvoiced_orders):
    """What the customer owes or will owe: net receivable (credits deducted) + draft invoices + what
    confirmed orders still have to invoice."""
    return receivable_balance + draft_invoices + uninvoiced_orders


def order_line_invoiced(amount_currency, price_subtotal, price_total, state):
    """What one invoice line linked to an order covers of it (order currency, taxes included).

    An invoice's line covers its total, posted or draft (a draft already counts as a draft invoice).
    A credit note's line gives its total back once posted; a draft credit note does not count yet.
    A credit note's line moves the other way than an invoice's: its amount in currency has the sign
    of its subtotal (Odoo's direction sign). Cancelled lines cover nothing.
    """
    if state not in ("posted", "draft"):
        return 0.0
    if (amount_currency or 0.0) * (price_subtotal or 0.0) <= 0:
        return price_total or 0.0
    return -(price_total or 0.0) if state == "posted" else 0.0


def order_uninvoiced(order_total, invoiced_lines):
    """What a confirmed order still adds to the exposure: its total less what its invoice lines cover
    (``order_line_invoiced`` of each), never below zero."""
    return max(order_total - sum(invoiced_lines), 0.0)


def validate_limit(limit):
    if limit < 0:
        raise CreditInputError("negative_limit", limit)
    return limit


def validate_increase(increase):
    if increase.amount <= 0:
        raise CreditInputError("non_positive_increase", increase.amount)
    if increase.date_to < increase.date_from:
        raise CreditInputError("increase_ends_before_start", (increase.date_from, increase.date_to))
    return increase


def increase_in_force(increases, today):
    """Sum of the temporary increases in force on ``today``."""
    return sum(increase.amount for increase in increases if increase.in_force(today))


def effective_limit(base_limit, increases, today):
    """The limit on ``today``: base + increases in force; None when the customer has no limit (0)."""
    validate_limit(base_limit)
    if not base_limit:
        return None
    return base_limit + increase_in_force(increases, today)


def automatic_hold(oldest_days_overdue, hold_days):
    """True when an installment is overdue strictly more than ``hold_days`` (0/None = never)."""
    return bool(hold_days) and oldest_days_overdue > hold_days


def decide(facts, amount, today, action="block"):
    """The credit decision for taking ``amount`` on top of the customer's exposure on ``today``."""
    action = facts.segment_action or action
    if action not in ACTIONS:
        raise CreditInputError("unknown_action", action)
    rounding = facts.rounding
    limit = effective_limit(facts.base_limit, facts.increases, today)
    exposure_before = round_money(facts.exposure, rounding)
    exposure = round_money(exposure_before + amount, rounding)
    reasons = []
    excess = 0.0
    if limit is not None and compare(amount, 0.0, rounding) > 0 and compare(exposure, limit, rounding) > 0:
        excess = round_money(exposure - limit, rounding)
        reasons.append(CreditReason("over_limit", limit=limit, exposure=exposure, excess=excess))
    if facts.on_hold:
        reasons.append(CreditReason("manual_hold", hold_reason=facts.hold_reason or ""))
    if automatic_hold(facts.oldest_days_overdue, facts.hold_days):
        reasons.append(
            CreditReason("overdue_hold", oldest_days_overdue=facts.oldest_days_overdue, hold_days=facts.hold_days)
        )
    if not reasons or action == "none":
        outcome = "allow"
    else:
        outcome = action
    return CreditDecision(
        outcome=outcome,
        reasons=tuple(reasons),
        amount=amount,
        exposure_before=exposure_before,
        exposure=exposure,
        limit=limit,
        increase=increase_in_force(facts.increases, today) if limit is not None else 0.0,
        available=None if limit is None else round_money(limit - exposure_before, rounding),
        excess=excess,
        overdue_amount=None if facts.overdue_amount is None else round_money(facts.overdue_amount, rounding),
        oldest_days_overdue=facts.oldest_days_overdue,
        facts=facts,
    )


@dataclass(frozen=True)
class Override:
    """A manager's approval for one document."""

    approved_amount: float
    expiry: date
    used: bool = False


@dataclass(frozen=True)
class OverrideCheck:
    valid: bool
    reason: str | None = None  # used, expired, amount_exceeded


def check_override(override, document_amount, today, rounding=0.01):
    """May ``override`` let a document of ``document_amount`` through on ``today``?"""
    if override.approved_amount <= 0:
        raise CreditInputError("non_positive_approval", override.approved_amount)
    if override.used:
        return OverrideCheck(False, "used")
    if today > override.expiry:
        return OverrideCheck(False, "expired")
    if compare(document_amount, override.approved_amount, rounding) > 0:
        return OverrideCheck(False, "amount_exceeded")
    return OverrideCheck(True)
