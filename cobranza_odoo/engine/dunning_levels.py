"""Which dunning level each receivable line gets on a date (DESIGN §5 "Dunning level", issue 5).

A policy is an ordered list of levels. Each level has a stage (preventive, administrative,
prejudicial, judicial), an offset in days from the line's maturity (negative = before it), a
minimum interval since the previous level was sent, a minimum amount, and a ``required`` flag
(a notice no line may pass without receiving it: the formal notice before legal action, the
credit-bureau prior notice). Only overdue levels can be required: a line first seen after its
maturity could never receive a preventive one.

For a run on date T, per receivable line (an invoice's installments are separate lines):

* **Eligible**: not in legal collection (``in_legal``: it belongs to the lawyer; reason
  ``in_legal_collection``), residual above the tolerance, invoice not in dispute, installment
  not covered by an honoured agreement, customer neither excluded nor paused (paused while
  T <= paused until), and the line not already handled by a run on T (so a second run the same
  day plans nothing).
* **Credits**: a customer whose credits (unapplied payments, credit notes) cover its overdue
  eligible amount gets no overdue reminder; preventive reminders stop when the credits cover
  everything still open.
* **Target** = the highest level whose date has come (maturity + offset <= T); preventive levels
  only before maturity: once T >= maturity a preventive level is never the target.
* **A level never goes backwards**: a line whose last *sent* level is at or beyond the target
  gets nothing (``last_level_reached`` when no level follows it — preventive ones do not count
  once due —, otherwise ``not_due_yet`` with the next level and its date).
* **Catching up**: otherwise the line gets the target directly, even when it is further than
  the level right after its last sent one (a line first seen 300 days late does not get a
  friendly "maybe you forgot" notice) — except that it never passes a required level it has not
  received: it gets the first required level after its last sent one and up to the target
  first, and the target later. Everything at or before the last sent level counts as received;
  the levels passed over that are not required are simply skipped.
* The applied level is sent once ``min_interval_days`` *of that level* have passed since the
  last sent date (when there is one) and the customer's eligible amount reaches the level's
  ``min_amount`` (overdue lines for overdue levels, open lines for preventive ones).
* Each planned line records its ``target_level_key``, ``caught_up`` (the applied level is beyond
  the one right after the last sent) and ``held_at_required`` (the target was further but a
  required level stopped the line), for the run preview.
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
    negative_amount, unknown_stage, required_preventive."""

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
    required: bool = False  # no line passes this level without receiving it

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
    in_legal: bool = False  # in legal collection: the lawyer's, never planned


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
    target_level_key: object = None  # the highest level whose date has come
    caught_up: bool = False  # applied level beyond the one right after the last sent
    held_at_required: bool = False  # target further, stopped at a required level not yet received


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


def communication_amounts(lines):
    """(amount due, overdue amount) of a communication from its lines' (residual, days late): what it
    lists, and the part of it already past due."""
    lines = list(lines)
    return (
        sum(residual for residual, _days_late in lines),
        sum(residual for residual, days_late in lines if days_late > 0),
    )


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
        if level.required and level.preventive:
            raise PolicyError("required_preventive", level.key)
        if previous is not None:
            if level.offset_days < previous.offset_days:
                raise PolicyError("offsets_not_increasing", level.key)
            if STAGES.index(level.stage) < STAGES.index(previous.stage):
                raise PolicyError("stage_order", level.key)
        previous = level
    return levels


def _level_date(line, level):
    return line.date_maturity + timedelta(days=level.offset_days)


def _last_index(levels, line):
    """Index of the line's last sent level in the policy, -1 when none (or no longer in it)."""
    for index, level in enumerate(levels):
        if level.key == line.last_level_key:
            return index
    return -1


def _next_index(levels, last, due):
    """Index of the level right after ``last``, passing over preventive levels once due; None at the end."""
    for index in range(last + 1, len(levels)):
        if not (due and levels[index].preventive):
            return index
    return None


def _target_index(levels, line, today):
    """Index of the highest level whose date has come, preventive levels only before maturity; None if none."""
    due = today >= line.date_maturity
    target = None
    for index, level in enumerate(levels):
        if due and level.preventive:
            continue
        if _level_date(line, level) <= today:
            target = index
    return target


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
        if line.in_legal:
            skips.append(Skip(line.key, "in_legal_collection"))
        elif line.processed_on == today:
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
        due = today >= line.date_maturity
        last = _last_index(levels, line)
        following = _next_index(levels, last, due)
        if following is None:
            skips.append(Skip(line.key, "last_level_reached"))
            continue
        target = _target_index(levels, line, today)
        if target is None or target <= last:
            level = levels[following]
            skips.append(Skip(line.key, "not_due_yet", level.key, _level_date(line, level)))
            continue
        applied = next((index for index in range(last + 1, target + 1) if levels[index].required), target)
        level = levels[applied]
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
        planned.append(
            PlannedLine(
                line.key,
                level.key,
                line.residual,
                days_late,
                line.date_maturity,
                target_level_key=levels[target].key,
                caught_up=applied > following,
                held_at_required=applied < target,
            )
        )

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
