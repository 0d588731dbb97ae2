"""Which segment a customer belongs to (DESIGN §5 "Segments", issue 4).

Segments are ordered; each has optional conditions over the payment-behaviour metrics
(see :mod:`payment_behaviour`). The first segment whose conditions all hold wins. A segment
without conditions holds for everyone (a catch-all, usually the last one).

* A condition over a metric that is undefined for the customer (no paid invoice, so no
  on-time ratio; no limit, so no credit use) does not hold: a segment that asks for a good
  on-time ratio is not earned without history.
* "Too little history" is expressed as data: the "new" segment comes first with
  ``max_paid_invoices`` (and usually ``max_worst_days_overdue`` so that a new customer who is
  already seriously late is not treated as new).
* No segment holds → None: the caller keeps the previous segment and says so.
"""

from dataclasses import dataclass, field

# condition name -> (metric, comparison) ; bounds are inclusive.
CONDITIONS = {
    "min_paid_invoices": ("paid_invoices", ">="),
    "max_paid_invoices": ("paid_invoices", "<="),
    "min_on_time_ratio": ("on_time_ratio", ">="),
    "max_avg_days_late": ("avg_days_late", "<="),
    "max_worst_days_overdue": ("worst_days_overdue", "<="),
    "max_overdue_amount": ("overdue_amount", "<="),
    "max_credit_use": ("credit_use", "<="),
    "max_broken_promises": ("broken_promises", "<="),
}


class SegmentRuleError(ValueError):
    """A segment rule that cannot work. ``reason``: unknown_condition, negative_bound, ratio_out_of_range,
    min_above_max."""

    def __init__(self, reason, value=None):
        super().__init__(f"{reason}: {value!r}")
        self.reason = reason
        self.value = value


@dataclass(frozen=True)
class Segment:
    """A segment and its conditions: ``{condition name: bound}`` (see CONDITIONS)."""

    key: object
    sequence: int = 10
    conditions: dict = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class ConditionResult:
    condition: str
    metric: str
    bound: float
    value: object
    holds: bool


@dataclass(frozen=True)
class Classification:
    """The winning segment (None if none holds), the conditions that made it win, and for each segment
    checked before it, the conditions that failed: ``missed`` = ((segment key, (ConditionResult, ...)), ...)."""

    segment_key: object
    conditions: tuple = ()
    missed: tuple = ()

    @property
    def closest_miss(self):
        """(segment key, failed conditions) of the segment just before the winner: why not one better."""
        return self.missed[-1] if self.missed else None


def validate_conditions(conditions):
    """Refuse conditions that are unknown, negative, ratios outside 0..1 or min above max."""
    for name, bound in conditions.items():
        if name not in CONDITIONS:
            raise SegmentRuleError("unknown_condition", name)
        if bound is None:
            continue
        if bound < 0:
            raise SegmentRuleError("negative_bound", name)
        if name == "min_on_time_ratio" and bound > 1:
            raise SegmentRuleError("ratio_out_of_range", bound)
    low, high = conditions.get("min_paid_invoices"), conditions.get("max_paid_invoices")
    if low is not None and high is not None and low > high:
        raise SegmentRuleError("min_above_max", (low, high))
    return conditions


def evaluate(metrics, segment):
    """Each set condition of ``segment`` with the customer's value and whether it holds."""
    results = []
    for name, bound in segment.conditions.items():
        if bound is None:
            continue
        metric, comparison = CONDITIONS[name]
        value = getattr(metrics, metric)
        if value is None:
            holds = False
        elif comparison == ">=":
            holds = value >= bound
        else:
            holds = value <= bound
        results.append(ConditionResult(name, metric, bound, value, holds))
    return results


def classify(metrics, segments):
    """The first segment, by sequence, whose conditions all hold (and why the earlier ones did not)."""
    missed = []
    for segment in sorted(segments, key=lambda item: item.sequence):
        results = evaluate(metrics, segment)
        if all(result.holds for result in results):
            return Classification(segment.key, tuple(results), tuple(missed))
        missed.append((segment.key, tuple(result for result in results if not result.holds)))
    return Classification(None, (), tuple(missed))


def first_failed_condition(metrics, segment):
    """Why a customer is not in ``segment``: the first condition that does not hold, or None."""
    return next((result for result in evaluate(metrics, segment) if not result.holds), None)
