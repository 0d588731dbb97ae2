from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cobranza_engine.dunning_levels import Customer, Level, Line, PolicyError, plan_customer, validate_policy

TODAY = date(2026, 11, 23)

# The default policy shipped with the addon.
POLICY = [
    Level("reminder", 1, "preventive", -5),
    Level("friendly", 2, "administrative", 5),
    Level("formal", 3, "administrative", 20, min_interval_days=10),
    Level("prelegal", 4, "prejudicial", 45, min_interval_days=15),
    Level("legal", 5, "judicial", 90, min_interval_days=30),
]


def day(offset):
    return TODAY + timedelta(days=offset)


def line(key="l1", maturity=0, residual=100.0, **values):
    return Line(key, day(maturity), residual, **values)


def levels_of(plan):
    return {planned.line_key: planned.level_key for comm in plan.communications for planned in comm.lines}


def reasons_of(plan):
    return {skip.line_key: skip.reason for skip in plan.skips}


def test_preventive_reminder_five_days_before_maturity():
    assert levels_of(plan_customer([line(maturity=5)], POLICY, Customer(), TODAY)) == {"l1": "reminder"}
    plan = plan_customer([line(maturity=6)], POLICY, Customer(), TODAY)
    assert reasons_of(plan) == {"l1": "not_due_yet"}
    assert plan.skips[0].next_date == day(1)


def test_line_90_days_late_first_seen_gets_first_administrative_level():
    plan = plan_customer([line(maturity=-90)], POLICY, Customer(), TODAY)
    assert levels_of(plan) == {"l1": "friendly"}
    assert plan.communications[0].lines[0].days_late == 90


def test_never_a_preventive_level_on_or_after_maturity():
    assert reasons_of(plan_customer([line(maturity=0)], POLICY, Customer(), TODAY)) == {"l1": "not_due_yet"}


def test_next_level_after_the_last_sent_one_once_its_day_and_interval_have_come():
    sent = {"last_level_key": "friendly", "last_sent_date": day(-5)}
    plan = plan_customer([line(maturity=-25, **sent)], POLICY, Customer(), TODAY)
    assert reasons_of(plan) == {"l1": "interval_not_elapsed"}
    assert plan.skips[0].next_date == day(5)
    sent = {"last_level_key": "friendly", "last_sent_date": day(-10)}
    assert levels_of(plan_customer([line(maturity=-25, **sent)], POLICY, Customer(), TODAY)) == {"l1": "formal"}


def test_last_level_reached_plans_nothing():
    sent = {"last_level_key": "legal", "last_sent_date": day(-100)}
    assert reasons_of(plan_customer([line(maturity=-300, **sent)], POLICY, Customer(), TODAY)) == {
        "l1": "last_level_reached"
    }


def test_lines_left_out_and_why():
    lines = [
        line("tiny", -30, residual=0.5),
        line("disputed", -30, in_dispute=True),
        line("agreed", -30, under_agreement=True),
        line("done-today", -30, processed_on=TODAY),
        line("ok", -30),
    ]
    plan = plan_customer(lines, POLICY, Customer(tolerance=1.0), TODAY)
    assert reasons_of(plan) == {
        "tiny": "below_tolerance",
        "disputed": "in_dispute",
        "agreed": "under_agreement",
        "done-today": "already_processed",
    }
    assert levels_of(plan) == {"ok": "friendly"}


def test_excluded_and_paused_customers_get_nothing():
    assert set(reasons_of(plan_customer([line(maturity=-30)], POLICY, Customer(excluded=True), TODAY)).values()) == {
        "customer_excluded"
    }
    paused = Customer(paused_until=TODAY)
    assert set(reasons_of(plan_customer([line(maturity=-30)], POLICY, paused, TODAY)).values()) == {"customer_paused"}
    assert levels_of(plan_customer([line(maturity=-30)], POLICY, Customer(paused_until=day(-1)), TODAY))


def test_credits_covering_the_overdue_amount_stop_the_reminders():
    lines = [line("late", -30, residual=300.0), line("upcoming", 3, residual=500.0)]
    plan = plan_customer(lines, POLICY, Customer(credits=300.0), TODAY)
    assert reasons_of(plan) == {"late": "covered_by_credits"}
    assert levels_of(plan) == {"upcoming": "reminder"}
    everything = plan_customer(lines, POLICY, Customer(credits=800.0), TODAY)
    assert set(reasons_of(everything).values()) == {"covered_by_credits"}
    partly = plan_customer(lines, POLICY, Customer(credits=299.0), TODAY)
    assert levels_of(partly) == {"late": "friendly", "upcoming": "reminder"}


def test_minimum_amount_of_a_level_counts_the_customer_total():
    policy = [Level("friendly", 1, "administrative", 5, min_amount=250.0)]
    small = plan_customer([line("a", -10, 100.0), line("b", -10, 100.0)], policy, Customer(), TODAY)
    assert set(reasons_of(small).values()) == {"below_min_amount"}
    enough = plan_customer([line("a", -10, 100.0), line("b", -10, 150.0)], policy, Customer(), TODAY)
    assert levels_of(enough) == {"a": "friendly", "b": "friendly"}


def test_one_communication_per_customer_at_its_highest_level_or_split():
    lines = [line("new", -6), line("old", -60, last_level_key="formal", last_sent_date=day(-20))]
    plan = plan_customer(lines, POLICY, Customer(), TODAY)
    assert len(plan.communications) == 1
    assert plan.communications[0].level_key == "prelegal"
    assert levels_of(plan) == {"new": "friendly", "old": "prelegal"}
    split = plan_customer(lines, POLICY, Customer(), TODAY, split_by_level=True)
    assert [comm.level_key for comm in split.communications] == ["friendly", "prelegal"]


@pytest.mark.parametrize(
    ("levels", "reason"),
    [
        ([], "no_levels"),
        ([Level("a", 1, "administrative", 5), Level("b", 2, "administrative", 5)], "duplicate_offset"),
        ([Level("a", 1, "administrative", 20), Level("b", 2, "administrative", 5)], "offsets_not_increasing"),
        ([Level("a", 1, "preventive", 0)], "preventive_not_before_due"),
        ([Level("a", 1, "administrative", -3)], "overdue_level_not_after_due"),
        ([Level("a", 1, "administrative", 5), Level("b", 2, "preventive", -1)], "offsets_not_increasing"),
        ([Level("a", 1, "judicial", 5), Level("b", 2, "prejudicial", 10)], "stage_order"),
        ([Level("a", 1, "administrative", 5, min_interval_days=-1)], "negative_interval"),
        ([Level("a", 1, "administrative", 5, min_amount=-1)], "negative_amount"),
        ([Level("a", 1, "friendly", 5)], "unknown_stage"),
    ],
)
def test_inconsistent_policies_are_refused(levels, reason):
    with pytest.raises(PolicyError) as error:
        validate_policy(levels)
    assert error.value.reason == reason


def walk(maturity_offset, start, days, policy):
    """Run the plan every day for one line, sending what is planned; return [(date, level)]."""
    last_level = last_date = None
    sent = []
    for offset in range(start, start + days):
        today = TODAY + timedelta(days=offset)
        current = Line("l", TODAY + timedelta(days=maturity_offset), 100.0, last_level, last_date)
        plan = plan_customer([current], policy, Customer(), today)
        planned = levels_of(plan)
        if planned:
            last_level, last_date = planned["l"], today
            sent.append((today, last_level))
            # A second run the same day plans nothing.
            again = Line("l", current.date_maturity, 100.0, last_level, last_date, processed_on=today)
            assert not levels_of(plan_customer([again], policy, Customer(), today))
    return sent


policies = st.lists(
    st.tuples(st.integers(min_value=1, max_value=60), st.integers(min_value=0, max_value=40)),
    min_size=1,
    max_size=5,
    unique_by=lambda item: item[0],
).map(
    lambda items: [
        Level(f"L{index}", index, "administrative", offset, interval)
        for index, (offset, interval) in enumerate(sorted(items))
    ]
)


@settings(max_examples=60, deadline=None)
@given(
    policy=policies,
    preventive=st.lists(st.integers(min_value=1, max_value=10), max_size=2, unique=True),
    maturity=st.integers(min_value=-120, max_value=30),
)
def test_timeline_never_skips_a_level_nor_breaks_intervals_nor_reminds_after_maturity(policy, preventive, maturity):
    levels = [
        Level(f"P{index}", index - 10, "preventive", -days)
        for index, days in enumerate(sorted(preventive, reverse=True))
    ] + policy
    levels = validate_policy(levels)
    sent = walk(maturity, start=-5, days=200, policy=levels)
    order = [level.key for level in levels]
    by_key = {level.key: level for level in levels}
    due = TODAY + timedelta(days=maturity)
    previous_index, previous_date = -1, None
    for sent_date, key in sent:
        index = order.index(key)
        level = by_key[key]
        # Never skips: the next level sent is the following one, apart from preventive levels passed over.
        skipped = order[previous_index + 1 : index]
        assert all(by_key[name].preventive for name in skipped)
        if level.preventive:
            assert sent_date < due
        assert sent_date >= due + timedelta(days=level.offset_days)
        if previous_date is not None:
            assert sent_date >= previous_date + timedelta(days=level.min_interval_days)
        previous_index, previous_date = index, sent_date
