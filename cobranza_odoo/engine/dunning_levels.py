"""Which dunning level each receivable line gets on a date (DESIGN §5 "Dunning level", issue 5).

A policy is an ordered list of levels. Each level has a stage (preventive, administrative,
prejudicial, judicial), an offset in days from the line's maturity (negative = before it), a
minimum interval since the previous level was sent, and a minimum amount.

For a run on date T, per receivable line:

* **Eligible**: residual above the tolerance, invoice not in dispute, not covered by an honoured
  agreement, customer neither excluded nor paused (paused while T <= paused until), and the
  line not already handled by a run on T (so a second run the same day plans nothing).
* **Credits**: a customer whose credits (unapplied payments, credit notes) cover its overdue
  eligible amount gets no overdue reminder; preventive reminders stop when the credits cover
  everything still open.
* **Next level** = the level after the last one *sent* for the line — no skipping. A line never
  gets a preventive level on or after its maturity: once due, its next level is the first
  non-preventive level after the last one sent (a line 90 days late seen for the first time
  gets the first administrative level, not the 90-day one).
* The next level is applied when its date has come (maturity + offset <= T), the previous
  level was sent at least ``min_interval_days`` ago, and the customer's eligible amount reaches
  the level's ``min_amount`` (overdue lines for overdue levels, open lines for preventive ones).
* **One communication per customer per run** lists all its planned lines, each at its own
  level; the communication's level is the highest of them. ``split_by_level`` makes one
  communication per level instead.

Every line that gets no level is returned with a reason, for the run preview.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from .aging import days_past_due
from .money import compare

STAGES = ("preventive", "administrative", "prejudicial", "judicial")


class PolicyError(ValueError):
    """An inconsistent policy. ``reason``: no_levels, duplicate_offset, offsets_not_increasing,
    preventive_not_before_due, overdue_level_not_after_due, stage_order, negative_interval,
    negative_amount, unknown_stage."""

    def __init__(self, reason, value=None):
        super().__init__(f"{reason}: {value!r}")
        self.reason = reason
        self.value = value


@dataclass(frozen=True)
class Level:
    key: object
    sequence: int
    stage: str
    offset_days: int
    min_interval_days: int = 0
    min_amount: float = 0.0

    @property
    def preventive(self):
        return self.stage == "preventive"


@dataclass(frozen=True)
class Line:
    """A receivable line as the run sees it."""

    key: object
    date_maturity: object
    residual: float
    last_level_key: object = None
    last_sent_date: object = None
    in_dispute: bool = False
    under_agreement: bool = False
    processed_on: object = None


@dataclass(frozen=True)
class Customer:
    excluded: bool = False
    paused_until: object = None
    credits: float = 0.0  # unapplied payments and credit notes, as a positive amount
    tolerance: float = 0.0
    rounding: float = 0.01


@dataclass(frozen=True)
class PlannedLine:
    line_key: object
    level_key: object
    residual: float
    days_late: int
    date_maturity: object = None


@dataclass(frozen=True)
class Communication:
    level_key: object
    lines: tuple = ()


@dataclass(frozen=True)
class Skip:
    """A line that gets nothing today, and why. ``next_date``: when it may, if known."""

    line_key: object
    reason: str
    level_key: object = None
    next_date: object = None


@dataclass(frozen=True)
class Plan:
    communications: tuple = ()
    skips: tuple = field(default_factory=tuple)


def validate_policy(levels):
    """Levels sorted by sequence, or PolicyError when they cannot make a sensible escalation."""
    levels = sorted(levels, key=lambda level: level.sequence)
    if not levels:
        raise PolicyError("no_levels")
    seen_offsets = set()
    previous = None
    for level in levels:
        if level.stage not in STAGES:
            raise PolicyError("unknown_stage", level.stage)
        if level.offset_days in seen_offsets:
            raise PolicyError("duplicate_offset", level.offset_days)
        seen_offsets.add(level.offset_days)
        if level.preventive and level.offset_days >= 0:
            raise PolicyError("preventive_not_before_due", level.key)
        if not level.preventive and level.offset_days <= 0:
            raise PolicyError("overdue_level_not_after_due", level.key)
        if level.min_interval_days < 0:
            raise PolicyError("negative_interval", level.key)
        if level.min_amount < 0:
            raise PolicyError("negative_amount", level.key)
        if previous is not None:
            if level.offset_days < previous.offset_days:
                raise PolicyError("offsets_not_increasing", level.key)
            if STAGES.index(level.stage) < STAGES.index(previous.stage):
                raise PolicyError("stage_order", level.key)
        previous = level
    return levels


def _next_level(levels, line, today):
    """The level that comes after the line's last sent one, skipping preventive levels once due."""
    keys = [level.key for level in levels]
    start = keys.index(line.last_level_key) + 1 if line.last_level_key in keys else 0
    due = today >= line.date_maturity
    for level in levels[start:]:
        if due and level.preventive:
            continue
        return level
    return None


def plan_customer(lines, levels, customer, today, split_by_level=False):
    """The communications one customer gets on ``today`` and why every other line gets none."""
    levels = validate_policy(levels)
    rank = {level.key: index for index, level in enumerate(levels)}
    skips = []

    def skip_all(reason):
        return Plan((), tuple(Skip(line.key, reason) for line in lines))

    if customer.excluded:
        return skip_all("customer_excluded")
    if customer.paused_until and today <= customer.paused_until:
        return skip_all("customer_paused")

    eligible = []
    for line in lines:
        if line.processed_on == today:
            skips.append(Skip(line.key, "already_processed"))
        elif compare(line.residual, customer.tolerance, customer.rounding) <= 0:
            skips.append(Skip(line.key, "below_tolerance"))
        elif line.in_dispute:
            skips.append(Skip(line.key, "in_dispute"))
        elif line.under_agreement:
            skips.append(Skip(line.key, "under_agreement"))
        else:
            eligible.append(line)

    overdue_total = sum(line.residual for line in eligible if today > line.date_maturity)
    open_total = sum(line.residual for line in eligible)
    covered_overdue = overdue_total > 0 and compare(customer.credits, overdue_total, customer.rounding) >= 0
    covered_all = compare(customer.credits, open_total, customer.rounding) >= 0

    planned = []
    for line in eligible:
        overdue = today > line.date_maturity
        if (overdue and covered_overdue) or (not overdue and covered_all):
            skips.append(Skip(line.key, "covered_by_credits"))
            continue
        level = _next_level(levels, line, today)
        if level is None:
            skips.append(Skip(line.key, "last_level_reached"))
            continue
        level_date = line.date_maturity + timedelta(days=level.offset_days)
        if level_date > today:
            skips.append(Skip(line.key, "not_due_yet", level.key, level_date))
            continue
        if line.last_sent_date and line.last_sent_date + timedelta(days=level.min_interval_days) > today:
            skips.append(
                Skip(
                    line.key,
                    "interval_not_elapsed",
                    level.key,
                    line.last_sent_date + timedelta(days=level.min_interval_days),
                )
            )
            continue
        base = open_total if level.preventive else overdue_total
        if level.min_amount and compare(base, level.min_amount, customer.rounding) < 0:
            skips.append(Skip(line.key, "below_min_amount", level.key))
            continue
        days_late = days_past_due(line.date_maturity, today)
        planned.append(PlannedLine(line.key, level.key, line.residual, days_late, line.date_maturity))

    if not planned:
        return Plan((), tuple(skips))
    if split_by_level:
        groups = {}
        for planned_line in planned:
            groups.setdefault(planned_line.level_key, []).append(planned_line)
        communications = tuple(
            Communication(level_key, tuple(group))
            for level_key, group in sorted(groups.items(), key=lambda item: rank[item[0]])
        )
    else:
        top = max(planned, key=lambda planned_line: rank[planned_line.level_key]).level_key
        communications = (Communication(top, tuple(planned)),)
    return Plan(communications, tuple(skips))
