from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cobranza_engine.dunning_levels import (
    Customer,
    Level,
    Line,
    PolicyError,
    communication_amounts,
    plan_customer,
    validate_policy,
)

TODAY = date(2026, 11, 23)

# The default policy shipped with the addon.
POLICY = [
    Level("reminder", 1, "preventive", -5),
    Level("friendly", 2, "administrative", 5),
    Level("formal", 3, "administrative", 20, min_interval_days=10),
    Level("prelegal", 4, "prejudicial", 45, min_interval_days=15, required=True),
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


def planned_of(plan):
    return {planned.line_key: planned for comm in plan.communications for planned in comm.lines}


def test_preventive_reminder_five_days_before_maturity():
    assert levels_of(plan_customer([line(maturity=5)], POLICY, Customer(), TODAY)) == {"l1": "reminder"}
    plan = plan_customer([line(maturity=6)], POLICY, Customer(), TODAY)
    assert reasons_of(plan) == {"l1": "not_due_yet"}
    assert plan.skips[0].next_date == day(1)


def test_a_line_first_seen_30_days_late_catches_up_to_the_formal_notice_skipping_the_friendly_one():
    plan = plan_customer([line(maturity=-30)], POLICY, Customer(), TODAY)
    planned = planned_of(plan)["l1"]
    assert (planned.level_key, planned.target_level_key) == ("formal", "formal")
    assert planned.caught_up and not planned.held_at_required
    assert planned.days_late == 30


def test_a_line_first_seen_300_days_late_gets_the_required_prelegal_notice_not_the_friendly_one():
    plan = plan_customer([line(maturity=-300)], POLICY, Customer(), TODAY)
    planned = planned_of(plan)["l1"]
    assert (planned.level_key, planned.target_level_key) == ("prelegal", "legal")
    assert planned.caught_up and planned.held_at_required
    assert plan.communications[0].level_key == "prelegal"


def test_after_the_required_notice_the_line_goes_on_once_the_interval_of_the_next_level_has_passed():
    sent = {"last_level_key": "prelegal", "last_sent_date": TODAY}
    too_soon = plan_customer([line(maturity=-300, **sent)], POLICY, Customer(), day(29))
    assert reasons_of(too_soon) == {"l1": "interval_not_elapsed"}
    assert (too_soon.skips[0].level_key, too_soon.skips[0].next_date) == ("legal", day(30))
    planned = planned_of(plan_customer([line(maturity=-300, **sent)], POLICY, Customer(), day(30)))["l1"]
    assert (planned.level_key, planned.target_level_key) == ("legal", "legal")
    assert not planned.caught_up and not planned.held_at_required


def test_a_line_last_sent_the_friendly_notice_100_days_late_is_held_at_the_required_prelegal_not_legal():
    sent = {"last_level_key": "friendly", "last_sent_date": day(-95)}
    planned = planned_of(plan_customer([line(maturity=-100, **sent)], POLICY, Customer(), TODAY))["l1"]
    assert (planned.level_key, planned.target_level_key) == ("prelegal", "legal")
    assert planned.caught_up and planned.held_at_required


def test_a_line_never_passes_any_required_level_it_has_not_received_one_at_a_time():
    policy = [
        Level("notice", 1, "administrative", 5),
        Level("formal", 2, "administrative", 20, required=True),
        Level("bureau", 3, "prejudicial", 40, required=True),
        Level("legal", 4, "judicial", 90),
    ]
    first = planned_of(plan_customer([line(maturity=-200)], policy, Customer(), TODAY))["l1"]
    assert (first.level_key, first.target_level_key, first.caught_up, first.held_at_required) == (
        "formal",
        "legal",
        True,
        True,
    )
    sent = {"last_level_key": "formal", "last_sent_date": TODAY}
    second = planned_of(plan_customer([line(maturity=-200, **sent)], policy, Customer(), day(1)))["l1"]
    assert (second.level_key, second.caught_up, second.held_at_required) == ("bureau", False, True)
    sent = {"last_level_key": "bureau", "last_sent_date": day(1)}
    third = planned_of(plan_customer([line(maturity=-200, **sent)], policy, Customer(), day(2)))["l1"]
    assert (third.level_key, third.caught_up, third.held_at_required) == ("legal", False, False)


def test_a_required_level_already_passed_in_the_policy_order_counts_as_received():
    # The line got "legal" somehow (e.g. before the level was marked required): nothing to send back.
    sent = {"last_level_key": "legal", "last_sent_date": day(-100)}
    assert reasons_of(plan_customer([line(maturity=-300, **sent)], POLICY, Customer(), TODAY)) == {
        "l1": "last_level_reached"
    }


def test_the_interval_is_that_of_the_applied_level_counted_from_the_last_sent_date():
    # Formal's 10 days have passed but the line catches up to prelegal, whose 15 days have not.
    sent = {"last_level_key": "friendly", "last_sent_date": day(-12)}
    plan = plan_customer([line(maturity=-50, **sent)], POLICY, Customer(), TODAY)
    assert reasons_of(plan) == {"l1": "interval_not_elapsed"}
    assert (plan.skips[0].level_key, plan.skips[0].next_date) == ("prelegal", day(3))


def test_a_line_on_time_gets_the_next_level_without_catching_up_nor_holding():
    planned = planned_of(plan_customer([line(maturity=-5)], POLICY, Customer(), TODAY))["l1"]
    assert (planned.level_key, planned.target_level_key) == ("friendly", "friendly")
    assert not planned.caught_up and not planned.held_at_required


def test_a_level_never_goes_backwards_the_line_at_its_target_waits_for_the_next_level():
    sent = {"last_level_key": "formal", "last_sent_date": day(-1)}
    plan = plan_customer([line(maturity=-25, **sent)], POLICY, Customer(), TODAY)
    assert reasons_of(plan) == {"l1": "not_due_yet"}
    assert (plan.skips[0].level_key, plan.skips[0].next_date) == ("prelegal", day(20))
    beyond = {"last_level_key": "prelegal", "last_sent_date": day(-1)}
    plan = plan_customer([line(maturity=-25, **beyond)], POLICY, Customer(), TODAY)
    assert reasons_of(plan) == {"l1": "not_due_yet"}
    assert (plan.skips[0].level_key, plan.skips[0].next_date) == ("legal", day(65))


def test_never_a_preventive_level_on_or_after_maturity():
    plan = plan_customer([line(maturity=0)], POLICY, Customer(), TODAY)
    assert reasons_of(plan) == {"l1": "not_due_yet"}
    assert (plan.skips[0].level_key, plan.skips[0].next_date) == ("friendly", day(5))
    # Before maturity the preventive reminder is still the target, even for a line seen late.
    assert levels_of(plan_customer([line(maturity=1)], POLICY, Customer(), TODAY)) == {"l1": "reminder"}


def test_a_line_first_seen_before_maturity_catches_up_to_the_latest_preventive_level():
    policy = [
        Level("early", 1, "preventive", -10),
        Level("late", 2, "preventive", -3),
        Level("friendly", 3, "administrative", 5),
    ]
    planned = planned_of(plan_customer([line(maturity=2)], policy, Customer(), TODAY))["l1"]
    assert (planned.level_key, planned.caught_up) == ("late", True)
    sent = {"last_level_key": "late", "last_sent_date": TODAY}
    assert reasons_of(plan_customer([line(maturity=2, **sent)], policy, Customer(), day(2))) == {"l1": "not_due_yet"}


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
        line("lawyer", -300, in_legal=True),
        line("ok", -30),
    ]
    plan = plan_customer(lines, POLICY, Customer(tolerance=1.0), TODAY)
    assert reasons_of(plan) == {
        "tiny": "below_tolerance",
        "disputed": "in_dispute",
        "agreed": "under_agreement",
        "done-today": "already_processed",
        "lawyer": "in_legal_collection",
    }
    assert levels_of(plan) == {"ok": "formal"}


def test_a_line_in_legal_collection_is_never_planned_whatever_its_history():
    for sent in ({}, {"last_level_key": "prelegal", "last_sent_date": day(-200)}):
        plan = plan_customer([line(maturity=-300, in_legal=True, **sent)], POLICY, Customer(), TODAY)
        assert not plan.communications
        assert reasons_of(plan) == {"l1": "in_legal_collection"}


def test_an_invoice_with_three_installments_one_under_agreement_plans_the_other_two():
    installments = [
        line("inst-1", -60),
        line("inst-2", -30, under_agreement=True),
        line("inst-3", -10),
    ]
    plan = plan_customer(installments, POLICY, Customer(), TODAY)
    assert reasons_of(plan) == {"inst-2": "under_agreement"}
    assert levels_of(plan) == {"inst-1": "prelegal", "inst-3": "friendly"}
    assert plan.communications[0].level_key == "prelegal"


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
    assert levels_of(partly) == {"late": "formal", "upcoming": "reminder"}


def test_minimum_amount_of_a_level_counts_the_customer_total():
    policy = [Level("friendly", 1, "administrative", 5, min_amount=250.0)]
    small = plan_customer([line("a", -10, 100.0), line("b", -10, 100.0)], policy, Customer(), TODAY)
    assert set(reasons_of(small).values()) == {"below_min_amount"}
    enough = plan_customer([line("a", -10, 100.0), line("b", -10, 150.0)], policy, Customer(), TODAY)
    assert levels_of(enough) == {"a": "friendly", "b": "friendly"}


def test_minimum_amount_is_that_of_the_applied_level_after_catching_up():
    policy = [Level("friendly", 1, "administrative", 5), Level("formal", 2, "administrative", 20, min_amount=500.0)]
    plan = plan_customer([line(maturity=-30)], policy, Customer(), TODAY)
    assert reasons_of(plan) == {"l1": "below_min_amount"}
    assert plan.skips[0].level_key == "formal"


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
        ([Level("a", 1, "preventive", -3, required=True)], "required_preventive"),
    ],
)
def test_inconsistent_policies_are_refused(levels, reason):
    with pytest.raises(PolicyError) as error:
        validate_policy(levels)
    assert error.value.reason == reason


def walk(maturity, start, days, policy, last_level=None, last_date=None):
    """Run the plan every day for one line, sending what is planned; return [(date, level key)]."""
    sent = []
    for offset in range(start, start + days):
        today = TODAY + timedelta(days=offset)
        current = Line("l", TODAY + timedelta(days=maturity), 100.0, last_level, last_date)
        plan = plan_customer([current], policy, Customer(), today)
        planned = levels_of(plan)
        if planned:
            last_level, last_date = planned["l"], today
            sent.append((today, last_level))
            # A second run the same day plans nothing.
            again = Line("l", current.date_maturity, 100.0, last_level, last_date, processed_on=today)
            assert not levels_of(plan_customer([again], policy, Customer(), today))
    return sent


STAGE_LISTS = st.lists(st.sampled_from(["administrative", "prejudicial", "judicial"]), min_size=6, max_size=6)


@st.composite
def policies(draw):
    """A valid policy: 0-2 preventive levels, then 1-6 overdue levels with random intervals and required flags."""
    before = draw(st.lists(st.integers(min_value=1, max_value=15), max_size=2, unique=True))
    after = draw(st.lists(st.integers(min_value=1, max_value=120), min_size=1, max_size=6, unique=True))
    stages = sorted(draw(STAGE_LISTS), key=["administrative", "prejudicial", "judicial"].index)
    levels = [
        Level(f"P{index}", index, "preventive", -days, draw(st.integers(0, 10)))
        for index, days in enumerate(sorted(before, reverse=True))
    ]
    for index, offset in enumerate(sorted(after)):
        levels.append(
            Level(
                f"L{index}",
                10 + index,
                stages[index],
                offset,
                min_interval_days=draw(st.integers(0, 40)),
                required=draw(st.booleans()),
            )
        )
    return validate_policy(levels)


@settings(max_examples=150, deadline=None)
@given(
    policy=policies(),
    maturity=st.integers(min_value=-400, max_value=30),
    history=st.data(),
)
def test_daily_runs_never_pass_a_required_level_never_go_backwards_respect_dates_and_reach_the_last_level(
    policy, maturity, history
):
    order = [level.key for level in policy]
    # A random history before the first run: nothing sent, or some level sent some days before.
    initial = history.draw(st.integers(min_value=-1, max_value=len(policy) - 1), label="last sent index")
    last_level = order[initial] if initial >= 0 else None
    last_date = TODAY - timedelta(days=history.draw(st.integers(1, 60), label="days since")) if last_level else None
    due = TODAY + timedelta(days=maturity)
    # Enough days: once the last level's date has come it is the target; each later step (a required level or
    # the last one) waits at most its interval.
    horizon = max(0, maturity + policy[-1].offset_days) + sum(level.min_interval_days for level in policy) + 2
    sent = walk(maturity, 0, horizon, policy, last_level, last_date)

    indexes = [order.index(key) for _, key in sent]
    # (b) Never backwards: strictly increasing in policy order, beyond the level sent before.
    assert indexes == sorted(set(indexes))
    assert all(index > initial for index in indexes)
    # (a) Never passes a required level it did not receive.
    final = indexes[-1] if indexes else initial
    for index in range(initial + 1, final + 1):
        if policy[index].required:
            assert index in indexes
    # (c) Each level sent once its date has come, after its interval since the previous one, preventive before due.
    previous_date = last_date
    for sent_date, key in sent:
        level = policy[order.index(key)]
        assert sent_date >= due + timedelta(days=level.offset_days)
        if previous_date is not None:
            assert sent_date >= previous_date + timedelta(days=level.min_interval_days)
        if level.preventive:
            assert sent_date < due
        previous_date = sent_date
    # (d) Nothing blocks the line: it ends at the last level.
    assert final == len(policy) - 1


def test_a_communication_amounts_are_what_it_lists_and_what_of_it_is_past_due():
    lines = [(300.0, 10), (200.0, 0), (50.0, -5), (25.0, 40)]
    assert communication_amounts(lines) == (575.0, 325.0)
    assert communication_amounts(iter(lines)) == (575.0, 325.0)  # a generator is read once
    assert communication_amounts([]) == (0, 0)
