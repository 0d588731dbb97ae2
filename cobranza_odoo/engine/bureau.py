"""Credit-bureau prior notice, reporting and permanence of negative data (Colombia).

Sources: Ley Estatutaria 1266 de 2008 (hábeas data financiero) as amended by Ley 2157 de 2021
("borrón y cuenta nueva"). Every amount is in COP; every date is passed in.

Prior notice (Ley 1266 art. 12, as amended by Ley 2157 art. 6)
  Negative data may be reported to a bureau (Datacrédito, TransUnion) only after a prior
  notice to the debtor, "transcurridos veinte (20) días calendario siguientes a la fecha de
  envío de la comunicación". Here a notice sent on day N makes the line reportable on N + 20
  (``wait_days``, default 20). A strict reading of "transcurridos" with Ley 4 de 1913 art. 59
  (a term ends at midnight of its last day) gives N + 21: set ``wait_days=21`` for it.
  Obligations of at most 15 % of one legal monthly minimum wage (SMMLV) need at least two
  notices on different days, and the 20 days run from the last one (parágrafo added to art.
  12 by Ley 2157 art. 6; "inferiores o iguales", so the threshold itself needs two). Several
  notices on one day count as one. The threshold is compared with the amount of the
  delinquent obligation when it was noticed (``LineFacts.amount``), against the SMMLV in force
  when the last notice was sent (the model passes it; ``smmlv_for`` reads the yearly table).
  Conservative choices: the waiting time always runs from the latest notice counted (a newer
  notice restarts it, even when one notice would suffice); a notice counts only when sent
  on or after the delinquency started (the notice exists so the debtor can pay or dispute a
  debt already due) and, after a stop was lifted, only when sent after that day.

Stops
  An open claim (``in_dispute``), full payment (a paid date, or nothing left to pay), an
  agreement in force (``under_agreement``) or credits covering the debt (``covered_by_credits``)
  stop the timer. A stop cancels the effect of the notices sent so far: once it is lifted
  (``stops_cleared_on``) a new notice is required, and the 20 days start again. Partial
  payments do not stop the timer (the delinquency goes on; the report shows the residual).

Report cutoff (company rule, not a legal term)
  No first report more than ``max_report_months`` (default 18) after the delinquency started:
  reportable up to that date included, ``too_old`` from the next day, also when the waiting
  time would end after it. ``None`` turns the rule off; the legal bound then is the caducity
  below (nothing is reported on or after the caducity date). We know no 18-month term in Ley
  1266 or Ley 2157; the rule is the issue's, kept as a parameter.

After a report (Ley 1266 art. 8 num. 2 and art. 12: the source reports every change)
  A reported line that gets paid, disputed, put under an agreement or covered by credits is
  ``to_update`` until an update is recorded (``updated_on`` on or after the payment date):
  then ``updated``. A line reported before its notices allowed it is ``to_update`` with
  ``reported_without_notice``. Only the payment carries a date; when another change arises
  after an update, the model clears ``updated_on``. The legal time for the update is left to
  the model.

Permanence (Ley 1266 art. 13, as amended by Ley 2157 art. 3)
  Paid (or extinguished) obligations: the negative data stays twice the time of the
  delinquency, at most four years, counted from the payment. The time of delinquency is
  counted in calendar days from its start (the day after the due date) through the payment
  day, i.e. the days past due on the payment day. Unpaid: the negative data expires
  ("caducidad") eight years after the delinquency started (parágrafo 1); we cap the
  permanence of a paid obligation at that date too. The dates returned are the days the
  term is completed: the data must no longer be shown from that day. Years are calendar
  years; 29 February plus years is 28 February when the target year has none (the earlier
  day, as a term of years ends on the same-numbered day: Código Civil art. 67, Ley 4 de
  1913 art. 59). The article's shorter terms for short delinquencies are the twice-the-time
  rule itself; no other paragraph is folded in.

Claims (Ley 1266 art. 16 numeral II)
  A claim about reported data is answered within 15 business days counted from the day after
  it was received; when justified, the debtor is told and the term is extended by up to
  8 business days after the first one. Saturdays, Sundays and the country's public holidays
  (the ``holidays`` library) are not business days.

States of a receivable line: none → noticed → reportable → reported → to_update → updated.
"""

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

import holidays as holiday_calendars

from .money import compare, is_zero

# Legal monthly minimum wage (SMMLV) in COP, by year. Data, not law: the model lets managers keep
# the table; the engine only takes the figure it is given.
SMMLV = {
    2024: 1_300_000,  # Decreto 2292 de 2023
    2025: 1_423_500,  # Decreto 1572 de 2024
    # Decreto 1469 of 29 Dec 2025 (23 %). Not confirmed from the official text here: press reports say
    # the Consejo de Estado suspended it provisionally on 13 Feb 2026 and the transitional Decreto 0159
    # of 19 Feb 2026 kept the same figure. Check before relying on it.
    2026: 1_750_905,
}

WAIT_DAYS = 20
SMALL_DEBT_SHARE = 0.15
MAX_REPORT_MONTHS = 18
PERMANENCE_MAX_YEARS = 4
CADUCITY_YEARS = 8
CLAIM_DAYS = 15
CLAIM_EXTENSION_DAYS = 8

STATES = ("none", "noticed", "reportable", "reported", "to_update", "updated")
STOP_REASONS = ("paid", "in_dispute", "under_agreement", "covered_by_credits")
REASONS = (
    *STOP_REASONS,
    "not_delinquent",  # the delinquency has not started yet
    "no_notice",  # no notice counts (none sent, sent before the delinquency or before a stop was lifted)
    "second_notice_missing",  # a small obligation has notices on one day only
    "waiting_period",  # the 20 days since the last notice have not elapsed
    "too_old",  # past the report cutoff, or the waiting time ends after it
    "reported_without_notice",  # reported before the notices allowed it
    "permanence_ended",  # informative: the permanence term of the paid obligation is completed
    "caducity_reached",  # informative: the eight-year caducity is reached
)


class BureauError(ValueError):
    """Bad input. ``reason``: unknown_smmlv_year, non_positive_smmlv, negative_wait_days,
    non_positive_max_report_months, negative_days."""

    def __init__(self, reason, value=None):
        super().__init__(f"{reason}: {value!r}")
        self.reason = reason
        self.value = value


@dataclass(frozen=True)
class NoticeRequirement:
    count: int  # notices required before a report
    different_days: bool  # whether they must be sent on different days


@dataclass(frozen=True)
class BureauParams:
    smmlv: float  # the SMMLV in force when the last notice was sent, in COP
    wait_days: int = WAIT_DAYS
    max_report_months: int = MAX_REPORT_MONTHS  # None = no company cutoff
    small_debt_share: float = SMALL_DEBT_SHARE
    rounding: float = 1.0  # COP

    def __post_init__(self):
        if self.smmlv <= 0:
            raise BureauError("non_positive_smmlv", self.smmlv)
        if self.wait_days < 0:
            raise BureauError("negative_wait_days", self.wait_days)
        if self.max_report_months is not None and self.max_report_months <= 0:
            raise BureauError("non_positive_max_report_months", self.max_report_months)


@dataclass(frozen=True)
class LineFacts:
    """One delinquent receivable line as the bureau rules see it."""

    delinquency_start: date  # the day after the due date
    amount: float  # amount of the delinquent obligation when noticed, COP
    residual: float  # amount still owed today, COP
    notice_dates: tuple = ()  # dates prior notices were sent
    paid_date: date = None  # paid in full (or extinguished) on
    in_dispute: bool = False  # an open claim (reclamo)
    under_agreement: bool = False
    covered_by_credits: bool = False
    stops_cleared_on: date = None  # the last day a stop was lifted: earlier notices no longer count
    reported_on: date = None
    updated_on: date = None  # the last update sent to the bureau


@dataclass(frozen=True)
class BureauStatus:
    state: str
    reportable_from: date = None
    reasons: tuple = ()
    notices_required: int = 1
    permanence_until: date = None
    caducity_date: date = None


def smmlv_for(year, table=SMMLV):
    """The SMMLV of ``year`` from ``table``; BureauError when the year is missing (never guessed)."""
    if year not in table:
        raise BureauError("unknown_smmlv_year", year)
    return table[year]


def add_years(day, years):
    """``day`` plus calendar years; 29 February becomes 28 February in a year without it."""
    if day.month == 2 and day.day == 29 and not calendar.isleap(day.year + years):
        return date(day.year + years, 2, 28)
    return day.replace(year=day.year + years)


def add_months(day, months):
    """``day`` plus calendar months, on the month's last day when it is shorter."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def notice_requirements(amount, smmlv, share=SMALL_DEBT_SHARE, rounding=1.0):
    """Two notices on different days up to ``share`` (15 %) of one SMMLV included, otherwise one."""
    if smmlv <= 0:
        raise BureauError("non_positive_smmlv", smmlv)
    if compare(amount, share * smmlv, rounding) <= 0:
        return NoticeRequirement(2, True)
    return NoticeRequirement(1, False)


def reportable_from(notice_dates, amount, smmlv, wait_days=WAIT_DAYS, share=SMALL_DEBT_SHARE, rounding=1.0):
    """The first day a report may be made: latest notice + ``wait_days``; None without enough notice days."""
    days = sorted(set(notice_dates))
    if len(days) < notice_requirements(amount, smmlv, share, rounding).count:
        return None
    return days[-1] + timedelta(days=wait_days)


def report_cutoff(delinquency_start, max_report_months=MAX_REPORT_MONTHS):
    """The last day a first report may be made: the company cutoff, and always before the caducity."""
    last = caducity_date(delinquency_start) - timedelta(days=1)
    if max_report_months is None:
        return last
    return min(add_months(delinquency_start, max_report_months), last)


def delinquency_days(delinquency_start, paid_date):
    """Calendar days of delinquency from its start through the payment day (0 if paid before it)."""
    return max(0, (paid_date - delinquency_start).days + 1)


def caducity_date(delinquency_start):
    """The day negative data expires when never paid: eight years after the delinquency started."""
    return add_years(delinquency_start, CADUCITY_YEARS)


def permanence_until(delinquency_start, paid_date):
    """The day the negative data of a paid obligation must be gone: payment + twice the delinquency,
    at most payment + four years, never after the caducity date. None when not paid."""
    if paid_date is None:
        return None
    twice = paid_date + timedelta(days=2 * delinquency_days(delinquency_start, paid_date))
    return min(twice, add_years(paid_date, PERMANENCE_MAX_YEARS), caducity_date(delinquency_start))


def _is_business_day(day, holiday_dates):
    return day.weekday() < 5 and day not in holiday_dates


def business_day_deadline(received_on, days=CLAIM_DAYS, country="CO", holiday_dates=None):
    """The ``days``-th business day after ``received_on`` (counting starts the day after).

    ``holiday_dates``: a container of dates; by default the country's public holidays from the
    ``holidays`` library (which adds later years as they are reached)."""
    if days < 0:
        raise BureauError("negative_days", days)
    if holiday_dates is None:
        holiday_dates = holiday_calendars.country_holidays(country, years=range(received_on.year, received_on.year + 2))
    day, counted = received_on, 0
    while counted < days:
        day += timedelta(days=1)
        if _is_business_day(day, holiday_dates):
            counted += 1
    return day


def claim_deadline(received_on, extended=False, extension_days=CLAIM_EXTENSION_DAYS, country="CO", holiday_dates=None):
    """Last day to answer a claim: 15 business days, plus ``extension_days`` when ``extended``."""
    days = CLAIM_DAYS + (extension_days if extended else 0)
    return business_day_deadline(received_on, days, country, holiday_dates)


def _stops(facts, rounding):
    paid = facts.paid_date is not None or is_zero(facts.residual, rounding) or facts.residual < 0
    flags = (paid, facts.in_dispute, facts.under_agreement, facts.covered_by_credits)
    return tuple(reason for reason, on in zip(STOP_REASONS, flags, strict=True) if on)


def _counted_notices(facts, until):
    """Notices that may ground a report on ``until``: sent in the delinquency, after any lifted stop."""
    return tuple(
        day
        for day in facts.notice_dates
        if facts.delinquency_start <= day <= until and (facts.stops_cleared_on is None or day > facts.stops_cleared_on)
    )


def line_state(facts, today, params):
    """The bureau state of one receivable line on ``today``, with the reasons behind it."""
    requirement = notice_requirements(facts.amount, params.smmlv, params.small_debt_share, params.rounding)
    caducity = caducity_date(facts.delinquency_start)
    dates = {
        "notices_required": requirement.count,
        "permanence_until": permanence_until(facts.delinquency_start, facts.paid_date),
        "caducity_date": caducity,
    }
    stops = _stops(facts, params.rounding)

    def ready(notices):
        return reportable_from(
            notices, facts.amount, params.smmlv, params.wait_days, params.small_debt_share, params.rounding
        )

    if facts.reported_on is not None:
        # Whether the notices allowed the report is judged on the notices sent by then, whatever came after.
        earlier = tuple(day for day in facts.notice_dates if facts.delinquency_start <= day <= facts.reported_on)
        ready_on = ready(earlier)
        changes = list(stops)
        if ready_on is None or ready_on > facts.reported_on:
            changes.append("reported_without_notice")
        updated = facts.updated_on is not None and facts.updated_on >= facts.reported_on
        if changes:
            covered = (
                updated
                and (facts.paid_date is None or facts.paid_date <= facts.updated_on)
                and "reported_without_notice" not in changes
            )
            state = "updated" if covered else "to_update"
        else:
            state = "updated" if updated else "reported"
        if dates["permanence_until"] is not None and today >= dates["permanence_until"]:
            changes.append("permanence_ended")
        if today >= caducity:
            changes.append("caducity_reached")
        return BureauStatus(state, ready_on, tuple(changes), **dates)

    if stops:
        return BureauStatus("none", None, stops, **dates)
    if today < facts.delinquency_start:
        return BureauStatus("none", None, ("not_delinquent",), **dates)
    notices = _counted_notices(facts, today)
    noticed = "noticed" if notices else "none"
    cutoff = report_cutoff(facts.delinquency_start, params.max_report_months)
    if today > cutoff:
        return BureauStatus(noticed, None, ("too_old",), **dates)
    if not notices:
        return BureauStatus("none", None, ("no_notice",), **dates)
    ready_on = ready(notices)
    if ready_on is None:
        return BureauStatus("noticed", None, ("second_notice_missing",), **dates)
    if ready_on > cutoff:
        return BureauStatus("noticed", None, ("too_old",), **dates)
    if today < ready_on:
        return BureauStatus("noticed", ready_on, ("waiting_period",), **dates)
    return BureauStatus("reportable", ready_on, (), **dates)
