from datetime import date, timedelta
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cobranza_engine import interest
from cobranza_engine.money import round_money

# Colombian certified figures (interés bancario corriente / usury, both E.A.).
NOV_2025 = interest.colombian_cap_period(date(2025, 11, 1), date(2025, 11, 30), 0.1666)
DEC_2025 = interest.colombian_cap_period(date(2025, 12, 1), date(2025, 12, 31), 0.1668)
JAN_2026 = interest.colombian_cap_period(date(2026, 1, 1), date(2026, 1, 31), 0.1624)
CAPS = (NOV_2025, DEC_2025, JAN_2026)


def daily(ea):
    return (1 + ea) ** (1 / 365) - 1


def always(principal):
    return [(date(2000, 1, 1), principal)]


# --------------------------------------------------------------------------- rates


def test_effective_annual_24_99_is_0_0611_percent_a_day():
    rate = interest.effective_daily(0.2499, "effective_annual")
    assert round(rate * 100, 4) == 0.0611
    assert rate == pytest.approx(1.2499 ** (1 / 365) - 1)


def test_a_daily_rate_compounds_back_to_the_effective_annual_rate():
    rate = interest.effective_daily(0.2499, "effective_annual")
    assert interest.to_effective_annual(rate, "daily") == pytest.approx(0.2499)
    assert interest.from_effective_annual(0.2499, "daily") == pytest.approx(rate)
    assert interest.effective_daily(rate, "daily") == rate


def test_nominal_monthly_24_percent_is_26_82_percent_effective_annual_and_back():
    assert interest.to_effective_annual(0.24, "nominal_annual", "monthly") == pytest.approx(1.02**12 - 1)
    assert round(interest.to_effective_annual(0.24, "nominal_annual", 12) * 100, 2) == 26.82
    assert interest.from_effective_annual(1.02**12 - 1, "nominal_annual", "monthly") == pytest.approx(0.24)


def test_nominal_quarterly_and_nominal_daily_compound_at_their_periodicity():
    assert interest.to_effective_annual(0.20, "nominal_annual", "quarterly") == pytest.approx(1.05**4 - 1)
    assert interest.to_effective_annual(0.365, "nominal_annual", "daily") == pytest.approx(1.001**365 - 1)


def test_effective_monthly_compounds_twelve_times():
    assert interest.to_effective_annual(0.02, "effective_monthly") == pytest.approx(1.02**12 - 1)
    assert interest.to_effective_annual(0.02, "monthly") == pytest.approx(1.02**12 - 1)
    assert interest.from_effective_annual(0.2499, "effective_monthly") == pytest.approx(1.2499 ** (1 / 12) - 1)


@pytest.mark.parametrize(
    ("rate", "rate_type", "periods", "reason"),
    [
        (-0.01, "effective_annual", None, "negative_rate"),
        (0.1, "weekly", None, "unknown_rate_type"),
        (0.1, "nominal_annual", None, "missing_periodicity"),
        (0.1, "nominal_annual", "fortnightly", "bad_periodicity"),
        (0.1, "nominal_annual", 0, "bad_periodicity"),
    ],
)
def test_bad_rates_are_refused_with_a_reason(rate, rate_type, periods, reason):
    with pytest.raises(interest.InterestError) as error:
        interest.effective_daily(rate, rate_type, periods)
    assert error.value.reason == reason


# --------------------------------------------------------------------------- caps


def test_colombian_usury_is_one_and_a_half_times_the_bank_rate():
    assert interest.usury_from_bank_rate(0.1666) == 0.2499
    assert interest.usury_from_bank_rate(0.1668) == 0.2502
    assert interest.usury_from_bank_rate(0.1624) == 0.2436
    assert DEC_2025.cap_ea == 0.2502
    assert DEC_2025.bank_ea == 0.1668


def test_the_cap_in_force_is_the_period_covering_the_day():
    assert interest.cap_in_force(CAPS, date(2025, 11, 30)) is NOV_2025
    assert interest.cap_in_force(CAPS, date(2025, 12, 1)) is DEC_2025
    assert interest.cap_in_force(CAPS, date(2026, 2, 1)) is None


def test_overlapping_or_inverted_cap_periods_are_refused():
    overlapping = interest.CapPeriod(date(2025, 11, 20), date(2025, 12, 10), 0.25, "effective_annual")
    with pytest.raises(interest.InterestError) as error:
        interest.cap_in_force([*CAPS, overlapping], date(2025, 11, 1))
    assert error.value.reason == "overlapping_caps"
    inverted = interest.CapPeriod(date(2025, 12, 10), date(2025, 12, 1), 0.25)
    with pytest.raises(interest.InterestError) as error:
        interest.validate_caps([inverted])
    assert error.value.reason == "bad_cap_period"


def test_a_rate_above_the_cap_is_refused_on_the_first_day_above_it():
    # 25.00 % E.A. fits November's 24.99 %? No: above it from Nov 10; fits December (25.02 %).
    with pytest.raises(interest.InterestError) as error:
        interest.check_rate_within_cap(0.25, "effective_annual", CAPS, date(2025, 11, 10), date(2026, 1, 31))
    assert error.value.reason == "above_cap"
    assert error.value.value == (date(2025, 11, 10), 0.2499)
    assert interest.check_rate_within_cap(0.25, "effective_annual", CAPS, date(2025, 12, 1), date(2025, 12, 31)) == 0.25
    with pytest.raises(interest.InterestError) as error:
        interest.check_rate_within_cap(0.25, "effective_annual", CAPS, date(2025, 12, 1), date(2026, 1, 31))
    assert error.value.value == (date(2026, 1, 1), 0.2436)


def test_a_rate_exactly_at_the_cap_is_within_it_whatever_its_type():
    at_cap_daily = interest.effective_daily(0.2436, "effective_annual")
    assert interest.check_rate_within_cap(at_cap_daily, "daily", CAPS, date(2025, 11, 1), date(2026, 1, 31))
    monthly = interest.from_effective_annual(0.2436, "nominal_annual", "monthly")
    assert interest.check_rate_within_cap(monthly, "nominal_annual", CAPS, date(2026, 1, 1), date(2026, 1, 31), 12)


def test_missing_periods_are_the_days_no_cap_covers():
    caps = (NOV_2025, JAN_2026)
    assert interest.missing_periods(caps, date(2025, 10, 15), date(2026, 2, 10)) == [
        (date(2025, 10, 15), date(2025, 10, 31)),
        (date(2025, 12, 1), date(2025, 12, 31)),
        (date(2026, 2, 1), date(2026, 2, 10)),
    ]
    assert interest.missing_periods(CAPS, date(2025, 11, 1), date(2026, 1, 31)) == []


# --------------------------------------------------------------------------- accrual


def test_accrual_over_month_boundaries_follows_each_months_cap():
    # 10 000 000 COP due Nov 15 2025 at 30 % E.A. (above every cap): each month is cut to its usury rate.
    result = interest.accrue(
        always(10_000_000.0),
        0.30,
        "effective_annual",
        CAPS,
        date(2025, 11, 1),
        date(2026, 1, 20),
        due_date=date(2025, 11, 15),
        rounding=1.0,
    )
    rows = [(row.period_start, row.period_end, row.days, row.cap_ea, row.rate_applied_ea) for row in result.rows]
    assert rows == [
        (date(2025, 11, 16), date(2025, 11, 30), 15, 0.2499, 0.2499),
        (date(2025, 12, 1), date(2025, 12, 31), 31, 0.2502, 0.2502),
        (date(2026, 1, 1), date(2026, 1, 20), 20, 0.2436, 0.2436),
    ]
    assert all(row.capped for row in result.rows)
    # 10 000 000 × 0.061132 % × 15 = 91 698; × 0.061198 % × 31 = 189 713; × 0.059747 % × 20 = 119 493.
    assert [row.interest for row in result.rows] == [91698.0, 189713.0, 119493.0]
    assert [row.interest for row in result.rows] == [
        round_money(10_000_000 * daily(cap) * days, 1.0) for cap, days in ((0.2499, 15), (0.2502, 31), (0.2436, 20))
    ]
    assert result.total == 91698.0 + 189713.0 + 119493.0
    assert result.complete and result.settled_ranges == ((date(2025, 11, 1), date(2026, 1, 20)),)


def test_a_rate_below_the_cap_is_kept():
    result = interest.accrue(always(1000.0), 0.20, "effective_annual", CAPS, date(2025, 12, 1), date(2025, 12, 31))
    (row,) = result.rows
    assert row.rate_applied_ea == 0.20 and row.cap_ea == 0.2502 and not row.capped
    assert row.interest == round_money(1000.0 * daily(0.20) * 31, 0.01) == 15.49


def test_a_payment_mid_month_reduces_accrual_from_its_own_day():
    timeline = interest.principal_timeline(1000.0, [(date(2025, 12, 11), 400.0)])
    assert timeline == ((date.min, 1000.0), (date(2025, 12, 11), 600.0))
    result = interest.accrue(timeline, 0.2502, "effective_annual", CAPS, date(2025, 12, 1), date(2025, 12, 31))
    (row,) = result.rows
    assert (row.opening_principal, row.days) == (1000.0, 31)
    assert row.average_principal == round_money((1000.0 * 10 + 600.0 * 21) / 31, 0.01) == 729.03
    assert row.interest == round_money((1000.0 * 10 + 600.0 * 21) * daily(0.2502), 0.01)


def test_an_invoice_paid_in_full_mid_month_stops_accruing_that_day():
    timeline = interest.principal_timeline(1000.0, [(date(2025, 12, 15), 700.0), (date(2025, 12, 15), 300.0)])
    result = interest.accrue(timeline, 0.30, "effective_annual", CAPS, date(2025, 12, 1), date(2026, 1, 31))
    (row,) = result.rows
    assert (row.period_start, row.period_end, row.days) == (date(2025, 12, 1), date(2025, 12, 14), 14)
    assert row.interest == round_money(1000.0 * daily(0.2502) * 14, 0.01)


def test_grace_days_are_never_charged():
    due = date(2025, 12, 5)
    result = interest.accrue(
        always(1000.0), 0.2502, "effective_annual", CAPS, date(2025, 12, 1), date(2025, 12, 31), 10, due
    )
    (row,) = result.rows
    assert result.accrual_start == date(2025, 12, 16)
    assert (row.period_start, row.days) == (date(2025, 12, 16), 16)
    within_grace = interest.accrue(
        always(1000.0), 0.2502, "effective_annual", CAPS, date(2025, 12, 1), date(2025, 12, 15), 10, due
    )
    assert within_grace.rows == () and within_grace.total == 0.0 and within_grace.accrual_start is None
    assert within_grace.settled_ranges == ((date(2025, 12, 1), date(2025, 12, 15)),)


def test_without_grace_accrual_starts_the_day_after_the_due_date():
    result = interest.accrue(
        always(1000.0), 0.2, "effective_annual", CAPS, date(2025, 12, 1), date(2025, 12, 31), due_date=date(2025, 12, 5)
    )
    assert result.rows[0].period_start == date(2025, 12, 6)


def test_zero_decimal_currency_rows_are_whole_pesos_and_the_total_is_their_sum():
    result = interest.accrue(
        always(1_234_567.0), 0.30, "effective_annual", CAPS, date(2025, 11, 20), date(2026, 1, 5), rounding=1.0
    )
    assert len(result.rows) == 3
    assert all(row.interest == int(row.interest) == round_money(row.interest_unrounded, 1.0) for row in result.rows)
    assert all(row.average_principal == 1_234_567.0 for row in result.rows)
    assert result.total == sum(row.interest for row in result.rows)


def test_a_day_without_a_cap_accrues_nothing_when_a_cap_is_required():
    caps = (NOV_2025, JAN_2026)  # December's rate not loaded yet
    result = interest.accrue(always(1000.0), 0.2, "effective_annual", caps, date(2025, 11, 1), date(2026, 1, 31))
    assert [(row.period_start, row.period_end) for row in result.rows] == [
        (date(2025, 11, 1), date(2025, 11, 30)),
        (date(2026, 1, 1), date(2026, 1, 31)),
    ]
    assert result.skipped_ranges == ((date(2025, 12, 1), date(2025, 12, 31)),) == result.uncapped_ranges
    assert not result.complete
    assert result.settled_ranges == (
        (date(2025, 11, 1), date(2025, 11, 30)),
        (date(2026, 1, 1), date(2026, 1, 31)),
    )


def test_a_day_without_a_cap_uses_the_agreed_rate_when_no_cap_is_required():
    caps = (NOV_2025,)
    result = interest.accrue(
        always(1000.0), 0.2, "effective_annual", caps, date(2025, 11, 1), date(2025, 12, 31), cap_required=False
    )
    assert [(row.days, row.cap_ea, row.rate_applied_ea) for row in result.rows] == [(30, 0.2499, 0.2), (31, None, 0.2)]
    assert result.uncapped_ranges == ((date(2025, 12, 1), date(2025, 12, 31)),) and result.complete


def test_a_cap_change_within_a_month_splits_the_row():
    caps = (
        interest.CapPeriod(date(2025, 12, 1), date(2025, 12, 15), 0.25, "effective_annual"),
        interest.CapPeriod(date(2025, 12, 16), date(2026, 1, 15), 0.24, "effective_annual"),
    )
    result = interest.accrue(always(1000.0), 0.30, "effective_annual", caps, date(2025, 12, 1), date(2026, 1, 15))
    assert [(row.period_start, row.period_end, row.cap_ea) for row in result.rows] == [
        (date(2025, 12, 1), date(2025, 12, 15), 0.25),
        (date(2025, 12, 16), date(2025, 12, 31), 0.24),
        (date(2026, 1, 1), date(2026, 1, 15), 0.24),
    ]


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"grace_days": -1}, "negative_grace"),
        ({"grace_days": 3}, "grace_without_due_date"),
        ({"rounding": 0}, "bad_rounding"),
        ({"day_to": date(2025, 11, 30)}, "bad_range"),
        ({"principal_events": [(date(2025, 12, 1), -5.0)]}, "negative_principal"),
        ({"principal_events": [(date(2025, 12, 1), 5.0), (date(2025, 12, 1), 4.0)]}, "duplicate_principal_date"),
    ],
)
def test_bad_accrual_inputs_are_refused_with_a_reason(kwargs, reason):
    arguments = {
        "principal_events": always(1000.0),
        "agreed_rate": 0.2,
        "agreed_type": "effective_annual",
        "caps": CAPS,
        "day_from": date(2025, 12, 1),
        "day_to": date(2025, 12, 31),
        **kwargs,
    }
    with pytest.raises(interest.InterestError) as error:
        interest.accrue(**arguments)
    assert error.value.reason == reason


# --------------------------------------------------------------------------- properties

BASE = date(2025, 1, 1)
offsets = st.integers(min_value=0, max_value=500)


@st.composite
def cap_tables(draw):
    """Consecutive periods, some dropped (gaps), each with its own E.A. cap."""
    cuts = sorted(draw(st.sets(st.integers(min_value=1, max_value=499), max_size=8)))
    edges = [0, *cuts, 500]
    periods = []
    for start, end in pairwise(edges):
        if draw(st.booleans()) or not periods:
            cap = draw(st.floats(min_value=0.05, max_value=0.6))
            periods.append(interest.CapPeriod(BASE + timedelta(start), BASE + timedelta(end - 1), cap))
    return periods


timelines = st.dictionaries(offsets, st.floats(min_value=0, max_value=1e7), max_size=6).map(
    lambda events: [(BASE + timedelta(day), round_money(amount, 0.01)) for day, amount in events.items()]
)


def reference_accrual(events, agreed_ea, caps, day_from, day_to, cap_required, rounding):
    """Day by day, straight from the rules; a principal rounding to zero in the currency is paid."""
    total = 0.0
    day = day_from
    while day <= day_to:
        dated = [(when, amount) for when, amount in events if when <= day]
        principal = max(dated)[1] if dated else 0.0
        if round_money(principal, rounding) == 0:
            principal = 0.0
        cover = [period for period in caps if period.date_from <= day <= period.date_to]
        if cover:
            total += principal * min(daily(agreed_ea), daily(cover[0].cap_rate))
        elif not cap_required:
            total += principal * daily(agreed_ea)
        day += timedelta(days=1)
    return total


@settings(max_examples=150, deadline=None)
@given(
    events=timelines,
    agreed=st.floats(min_value=0, max_value=0.8),
    caps=cap_tables(),
    first=offsets,
    length=st.integers(min_value=0, max_value=200),
    rounding=st.sampled_from([0.01, 1.0]),
    cap_required=st.booleans(),
)
def test_accrued_interest_never_exceeds_the_capped_day_by_day_accrual_and_is_never_negative(
    events, agreed, caps, first, length, rounding, cap_required
):
    day_from = BASE + timedelta(first)
    day_to = day_from + timedelta(length)
    result = interest.accrue(
        events, agreed, "effective_annual", caps, day_from, day_to, rounding=rounding, cap_required=cap_required
    )
    reference = reference_accrual(events, agreed, caps, day_from, day_to, cap_required, rounding)
    slack = len(result.rows) * rounding / 2 + 1e-6 * max(reference, 1.0)
    assert result.total >= 0
    assert all(row.interest >= 0 for row in result.rows)
    assert result.total <= reference + slack
    assert result.total == pytest.approx(reference, abs=slack)
    for row in result.rows:
        assert row.cap_ea is None or row.rate_applied_ea <= row.cap_ea
        assert row.rate_applied_ea <= agreed


@settings(max_examples=150, deadline=None)
@given(
    events=timelines,
    agreed=st.floats(min_value=0, max_value=0.8),
    caps=cap_tables(),
    first=offsets,
    length=st.integers(min_value=1, max_value=200),
    split=st.floats(min_value=0, max_value=1, exclude_max=True),
    grace=st.integers(min_value=0, max_value=40),
    rounding=st.sampled_from([0.01, 1.0]),
)
def test_accruing_a_range_in_two_parts_gives_the_same_total_as_one_accrual(
    events, agreed, caps, first, length, split, grace, rounding
):
    day_from = BASE + timedelta(first)
    day_to = day_from + timedelta(length)
    middle = day_from + timedelta(int(split * length))
    options = {"grace_days": grace, "due_date": day_from - timedelta(10), "rounding": rounding}
    whole = interest.accrue(events, agreed, "effective_annual", caps, day_from, day_to, **options)
    first_part = interest.accrue(events, agreed, "effective_annual", caps, day_from, middle, **options)
    second_part = interest.accrue(events, agreed, "effective_annual", caps, middle + timedelta(1), day_to, **options)
    parts_unrounded = first_part.total_unrounded + second_part.total_unrounded
    assert whole.total_unrounded == pytest.approx(parts_unrounded, rel=1e-9, abs=1e-6)
    rows = len(whole.rows) + len(first_part.rows) + len(second_part.rows)
    assert abs(whole.total - (first_part.total + second_part.total)) <= rows * rounding / 2 + 1e-6
    assert days_of(first_part.settled_ranges + second_part.settled_ranges) == days_of(whole.settled_ranges)


# --------------------------------------------------------------------------- never twice


def test_a_fully_charged_range_has_nothing_left_to_charge():
    charged = [(date(2025, 11, 1), date(2025, 11, 30)), (date(2025, 12, 1), date(2025, 12, 31))]
    assert interest.uncharged_ranges(date(2025, 11, 1), date(2025, 12, 31), charged) == []
    assert interest.uncharged_ranges(date(2025, 11, 10), date(2025, 11, 20), charged) == []


def test_a_resumed_run_charges_only_the_days_not_charged_yet():
    charged = [(date(2025, 11, 1), date(2025, 11, 30)), (date(2025, 12, 10), date(2025, 12, 12))]
    assert interest.uncharged_ranges(date(2025, 11, 1), date(2025, 12, 31), charged) == [
        (date(2025, 12, 1), date(2025, 12, 9)),
        (date(2025, 12, 13), date(2025, 12, 31)),
    ]


def test_monthly_periods_split_a_range_into_calendar_months():
    assert interest.monthly_periods(date(2025, 11, 16), date(2026, 2, 3)) == [
        (date(2025, 11, 16), date(2025, 11, 30)),
        (date(2025, 12, 1), date(2025, 12, 31)),
        (date(2026, 1, 1), date(2026, 1, 31)),
        (date(2026, 2, 1), date(2026, 2, 3)),
    ]
    assert interest.monthly_periods(date(2028, 2, 29), date(2028, 2, 29)) == [(date(2028, 2, 29), date(2028, 2, 29))]


ranges = st.tuples(offsets, st.integers(min_value=0, max_value=60)).map(
    lambda item: (BASE + timedelta(item[0]), BASE + timedelta(item[0] + item[1]))
)


def days_of(spans):
    return {start + timedelta(n) for start, end in spans for n in range((end - start).days + 1)}


@given(target=ranges, charged=st.lists(ranges, max_size=6))
def test_uncharged_ranges_never_overlap_what_was_charged_and_cover_the_rest(target, charged):
    free = interest.uncharged_ranges(*target, charged)
    assert days_of(free) == days_of([target]) - days_of(charged)
    assert len(days_of(free)) == sum((end - start).days + 1 for start, end in free)  # no overlap among them
    assert all(start <= end for start, end in free)
    assert interest.uncharged_ranges(*target, [*charged, *free]) == []


@given(first=offsets, length=st.integers(min_value=0, max_value=400))
def test_monthly_periods_tile_the_range_without_gaps(first, length):
    day_from = BASE + timedelta(first)
    day_to = day_from + timedelta(length)
    periods = interest.monthly_periods(day_from, day_to)
    assert periods[0][0] == day_from and periods[-1][1] == day_to
    for (_, end), (start, _) in pairwise(periods):
        assert start == end + timedelta(1) and start.day == 1
    assert all((start.year, start.month) == (end.year, end.month) for start, end in periods)


# --------------------------------------------------------------------------- settlement offers

DEADLINE = date(2026, 3, 31)


def test_an_offer_paid_in_full_by_the_deadline_is_fulfilled_on_the_day_it_was_reached():
    payments = [(date(2026, 3, 10), 300_000.0), (date(2026, 3, 31), 700_000.0)]
    outcome = interest.settlement_outcome(1_000_000.0, DEADLINE, payments, date(2026, 4, 15), rounding=1.0)
    assert outcome == interest.SettlementOutcome("fulfilled", 1_000_000.0, 0.0, date(2026, 3, 31))


def test_an_offer_paid_one_day_late_has_lapsed():
    payments = [(date(2026, 4, 1), 1_000_000.0)]
    outcome = interest.settlement_outcome(1_000_000.0, DEADLINE, payments, date(2026, 4, 1), rounding=1.0)
    assert (outcome.state, outcome.paid, outcome.remaining) == ("lapsed", 0.0, 1_000_000.0)


def test_a_partially_paid_offer_is_pending_until_the_deadline_then_lapses():
    payments = [(date(2026, 3, 5), 400.0)]
    pending = interest.settlement_outcome(1000.0, DEADLINE, payments, DEADLINE)
    assert (pending.state, pending.paid, pending.remaining) == ("pending", 400.0, 600.0)
    lapsed = interest.settlement_outcome(1000.0, DEADLINE, payments, DEADLINE + timedelta(1))
    assert (lapsed.state, lapsed.remaining) == ("lapsed", 600.0)


def test_payments_dated_after_today_do_not_count_yet():
    outcome = interest.settlement_outcome(1000.0, DEADLINE, [(date(2026, 3, 20), 1000.0)], date(2026, 3, 10))
    assert outcome.state == "pending"


def test_bad_offers_are_refused():
    with pytest.raises(interest.InterestError) as error:
        interest.settlement_outcome(0.0, DEADLINE, [], DEADLINE)
    assert error.value.reason == "non_positive_offer"
    with pytest.raises(interest.InterestError) as error:
        interest.settlement_outcome(10.0, DEADLINE, [(DEADLINE, -1.0)], DEADLINE)
    assert error.value.reason == "negative_payment"


def test_waiving_the_interest_and_a_percentage_of_the_principal():
    waiver = interest.settlement_waiver(1_000_000.0, 85_333.0, True, 10, rounding=1.0)
    assert waiver == interest.SettlementWaiver(900_000.0, 185_333.0, 85_333.0, 100_000.0)
    interest_only = interest.settlement_waiver(1000.0, 123.456, True)
    assert (interest_only.amount_to_pay, interest_only.waived_amount) == (1000.0, 123.46)
    principal_only = interest.settlement_waiver(1000.0, 50.0, False, 12.5)
    assert (principal_only.amount_to_pay, principal_only.waived_amount) == (925.0, 125.0)


def test_a_waiver_above_the_threshold_needs_a_managers_approval():
    assert interest.needs_approval(100_000.01, 100_000.0)
    assert not interest.needs_approval(100_000.0, 100_000.0)
    with pytest.raises(interest.InterestError) as error:
        interest.settlement_waiver(1000.0, 0.0, False, 101)
    assert error.value.reason == "bad_percent"


def test_a_waiver_is_written_off_on_the_covered_documents_in_order_never_beyond_their_debt():
    assert interest.allocate_in_order(150.0, [100.0, 80.0, 20.0]) == (100.0, 50.0, 0.0)
    assert interest.allocate_in_order(500.0, [100.0, 80.0]) == (100.0, 80.0)
    assert interest.allocate_in_order(0.0, [100.0]) == (0.0,)
    assert interest.allocate_in_order(33_333.4, [10_000.0, 50_000.0], rounding=1.0) == (10_000.0, 23_333.0)
    with pytest.raises(interest.InterestError) as error:
        interest.allocate_in_order(-1.0, [100.0])
    assert error.value.reason == "negative_amount"


@given(
    amount=st.floats(min_value=0, max_value=1e7, allow_nan=False),
    opens=st.lists(st.floats(min_value=0, max_value=1e6, allow_nan=False), max_size=6),
)
def test_allocations_add_up_to_the_smaller_of_the_amount_and_the_debt(amount, opens):
    shares = interest.allocate_in_order(amount, opens)
    assert all(0 <= share <= round_money(debt, 0.01) for share, debt in zip(shares, opens, strict=True))
    expected = min(round_money(amount, 0.01), round_money(sum(round_money(debt, 0.01) for debt in opens), 0.01))
    assert round_money(sum(shares), 0.01) == pytest.approx(expected, abs=0.011)


def test_the_monthly_run_posts_the_last_complete_month():
    assert interest.last_complete_month(date(2026, 1, 1)) == (date(2025, 12, 1), date(2025, 12, 31))
    assert interest.last_complete_month(date(2026, 3, 15)) == (date(2026, 2, 1), date(2026, 2, 28))
    assert interest.last_complete_month(date(2028, 3, 31)) == (date(2028, 2, 1), date(2028, 2, 29))
