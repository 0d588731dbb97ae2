import itertools
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cobranza_engine import payment_plans as plans
from cobranza_engine.money import round_money

START = date(2026, 12, 15)


def test_effective_annual_rate_to_monthly_and_weekly():
    assert plans.periodic_rate(0.24, "effective_annual", "monthly") == pytest.approx(1.24 ** (1 / 12) - 1)
    assert plans.periodic_rate(0.24, "effective_annual", "weekly") == pytest.approx(1.24 ** (7 / 365) - 1)
    assert plans.periodic_rate(0.24, "effective_annual", "biweekly") == pytest.approx(1.24 ** (14 / 365) - 1)


def test_nominal_annual_rate_is_divided_by_the_periods_of_the_year():
    assert plans.periodic_rate(0.24, "nominal_annual", "monthly") == pytest.approx(0.02)
    assert plans.periodic_rate(0.26, "nominal_annual", "biweekly") == pytest.approx(0.01)


def test_monthly_rate_stays_monthly_and_compounds_for_other_periods():
    assert plans.periodic_rate(0.02, "monthly", "monthly") == pytest.approx(0.02)
    assert plans.periodic_rate(0.02, "monthly", "weekly") == pytest.approx(1.02 ** (12 * 7 / 365) - 1)


def test_daily_rate_compounds_back_to_the_annual_rate():
    daily = plans.daily_rate(0.2650, "effective_annual")  # a Colombian usury cap
    assert (1 + daily) ** 365 - 1 == pytest.approx(0.2650)


@pytest.mark.parametrize(
    ("rate", "rate_type", "reason"), [(-0.01, "monthly", "negative_rate"), (0.1, "daily", "unknown_rate_type")]
)
def test_bad_rates_are_refused(rate, rate_type, reason):
    with pytest.raises(plans.PlanError) as error:
        plans.periodic_rate(rate, rate_type, "monthly")
    assert error.value.reason == reason


def test_monthly_dates_keep_their_anchor_day():
    dates = [plans.installment_date(date(2027, 1, 31), "monthly", index) for index in range(4)]
    assert dates == [date(2027, 1, 31), date(2027, 2, 28), date(2027, 3, 31), date(2027, 4, 30)]
    assert plans.installment_date(date(2028, 1, 31), "monthly", 1) == date(2028, 2, 29)


def test_equal_installments_without_interest_and_the_last_absorbs_the_rounding():
    schedule = plans.build_schedule(1000.0, 3, "monthly", START)
    assert [item.principal for item in schedule] == [333.33, 333.33, 333.34]
    assert [item.date for item in schedule] == [START, date(2027, 1, 15), date(2027, 2, 15)]


def test_down_payment_is_its_own_first_line():
    schedule = plans.build_schedule(
        1200.0, 2, "biweekly", START, down_payment=200.0, down_payment_date=START - timedelta(days=3)
    )
    assert [(item.sequence, item.date, item.amount) for item in schedule] == [
        (0, START - timedelta(days=3), 200.0),
        (1, START, 500.0),
        (2, START + timedelta(days=14), 500.0),
    ]


def test_french_amortisation_worked_example():
    # 10 000 at 2 % a month in 3 months: payment 3 467.55; interest 200 + 134.65 (on 6 732.45) + 67.99 (on 3 399.55).
    schedule = plans.build_schedule(10_000.0, 3, "monthly", START, rate=0.02, rate_type="monthly")
    assert [item.amount for item in schedule[:2]] == [3467.55, 3467.55]
    assert [item.interest for item in schedule] == [200.0, 134.65, 67.99]
    assert round(sum(item.principal for item in schedule), 2) == 10_000.0
    assert round(plans.total_interest(schedule), 2) == 402.64


def test_zero_decimal_currency_schedule_is_whole_pesos():
    schedule = plans.build_schedule(1_000_000.0, 3, "monthly", START, rounding=1.0)
    assert [item.principal for item in schedule] == [333333.0, 333333.0, 333334.0]


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"debt": 0.0}, "non_positive_debt"),
        ({"down_payment": -1.0}, "negative_down_payment"),
        ({"down_payment": 1000.0}, "down_payment_too_big"),
        ({"count": 0}, "no_installments"),
        ({"debt": 3.0, "count": 5, "rounding": 1.0}, "installment_too_small"),
        ({"frequency": "daily"}, "unknown_frequency"),
        ({"down_payment": 100.0, "down_payment_date": START}, "dates_not_increasing"),
    ],
)
def test_impossible_schedules_are_refused(kwargs, reason):
    values = {"debt": 1000.0, "count": 3, "frequency": "monthly", "first_date": START, **kwargs}
    with pytest.raises(plans.PlanError) as error:
        plans.build_schedule(**values)
    assert error.value.reason == reason


def test_hand_edited_schedule_is_checked():
    good = plans.build_schedule(900.0, 3, "monthly", START)
    assert plans.validate_schedule(good, 900.0)
    swapped = (good[1], good[0], good[2])
    with pytest.raises(plans.PlanError, match="dates_not_increasing"):
        plans.validate_schedule(swapped, 900.0)
    short = (*good[:2], plans.Installment(3, good[2].date, 299.0))
    with pytest.raises(plans.PlanError, match="principal_mismatch"):
        plans.validate_schedule(short, 900.0)
    zero = (*good[:2], plans.Installment(3, good[2].date, 0.0))
    with pytest.raises(plans.PlanError, match="non_positive_amount"):
        plans.validate_schedule(zero, 600.0)


def test_payments_fill_installments_in_order_and_spill_over():
    schedule = plans.build_schedule(900.0, 3, "monthly", START)
    progress = plans.apply_payments(schedule, [(START, 450.0)], START)
    assert [item.state for item in progress.installments] == ["paid", "partial", "open"]
    assert progress.installments[1].paid == 150.0
    assert progress.installments[0].paid_date == START
    assert progress.state == "active"


def test_unpaid_installment_past_its_grace_days_breaks_the_agreement():
    schedule = plans.build_schedule(900.0, 3, "monthly", START)
    within_grace = plans.apply_payments(schedule, [], START + timedelta(days=5), grace_days=5)
    assert (within_grace.installments[0].state, within_grace.state) == ("overdue", "active")
    broken = plans.apply_payments(schedule, [(START, 299.0)], START + timedelta(days=6), grace_days=5)
    assert (broken.state, broken.broken_sequence) == ("broken", 1)


def test_all_paid_is_done_and_the_excess_is_reported():
    schedule = plans.build_schedule(900.0, 3, "monthly", START)
    progress = plans.apply_payments(schedule, [(START, 500.0), (START + timedelta(days=40), 450.0)], START)
    assert progress.state == "done"
    assert progress.excess == 50.0


def test_promise_kept_only_with_payments_by_its_date_plus_grace():
    payments = [(START, 300.0), (START + timedelta(days=3), 200.0)]
    assert plans.promise_kept(START, 500.0, payments, grace_days=3)
    assert not plans.promise_kept(START, 500.0, payments, grace_days=2)


debts = st.integers(min_value=1, max_value=50_000_000).map(lambda cents: cents / 100)
roundings = st.sampled_from([0.01, 1.0])


@settings(max_examples=200)
@given(
    debt=debts,
    count=st.integers(min_value=1, max_value=48),
    frequency=st.sampled_from(plans.FREQUENCIES),
    rate=st.sampled_from([0.0, 0.0, 0.12, 0.2650, 0.45]),
    rate_type=st.sampled_from(plans.RATE_TYPES),
    rounding=roundings,
    down_share=st.sampled_from([0.0, 0.1, 0.3]),
)
def test_every_schedule_is_exact_positive_increasing_and_never_charges_negative_interest(
    debt, count, frequency, rate, rate_type, rounding, down_share
):
    debt = round_money(debt, rounding)
    down = round_money(debt * down_share, rounding)
    try:
        schedule = plans.build_schedule(
            debt,
            count,
            frequency,
            START,
            rounding,
            down_payment=down,
            down_payment_date=START - timedelta(days=1),
            rate=rate,
            rate_type=rate_type,
        )
    except plans.PlanError as error:
        assert error.reason in ("installment_too_small", "non_positive_debt", "down_payment_too_big")
        return
    assert round_money(sum(item.principal for item in schedule), rounding) == debt
    assert all(item.principal > 0 and item.interest >= 0 for item in schedule)
    assert all(later.date > earlier.date for earlier, later in itertools.pairwise(schedule))
    for item in schedule:
        assert round_money(item.principal, rounding) == item.principal
        assert round_money(item.interest, rounding) == item.interest
    regular = [item for item in schedule if item.sequence > 0]
    if rate == 0:
        amounts = [item.amount for item in regular]
        assert max(amounts) - min(amounts) <= rounding * (count + 1)
        assert max(amounts[:-1] or amounts) - min(amounts[:-1] or amounts) == 0
    else:
        assert len({item.amount for item in regular[:-1]}) <= 1  # French: constant but the last
    plans.validate_schedule(schedule, debt, rounding)


@settings(max_examples=100)
@given(
    debt=debts,
    count=st.integers(min_value=1, max_value=12),
    payments=st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=400),
            st.integers(min_value=1, max_value=10_000_00).map(lambda cents: cents / 100),
        ),
        max_size=8,
    ),
)
def test_progress_never_marks_an_installment_paid_below_its_amount(debt, count, payments):
    try:
        schedule = plans.build_schedule(debt, count, "monthly", START)
    except plans.PlanError:
        return
    dated = [(START + timedelta(days=offset), amount) for offset, amount in payments]
    progress = plans.apply_payments(schedule, dated, START + timedelta(days=400))
    for installment, item in zip(schedule, progress.installments, strict=True):
        if item.state == "paid":
            assert item.paid >= installment.amount - 1e-9
        assert item.paid <= installment.amount + 1e-9
    assert round(progress.paid + progress.excess, 2) == round(sum(amount for _day, amount in dated), 2)


def test_a_promise_is_kept_only_when_every_installment_was_paid_in_full_by_its_date_plus_grace():
    from cobranza_engine.payment_plans import kept_on_time

    due = date(2026, 3, 10)
    assert kept_on_time([(due, due)])
    assert kept_on_time([(due, due + timedelta(days=3))], grace_days=3)
    assert not kept_on_time([(due, due + timedelta(days=4))], grace_days=3)
    assert not kept_on_time([(due, due), (due + timedelta(days=30), None)])
    assert not kept_on_time([])


def test_an_agreement_needs_approval_above_either_threshold_and_zero_turns_a_threshold_off():
    from cobranza_engine.payment_plans import needs_approval

    assert not needs_approval(1000.0, 3)
    assert needs_approval(1000.01, 3, max_amount=1000.0)
    assert not needs_approval(1000.0, 3, max_amount=1000.0)
    assert needs_approval(500.0, 7, max_installments=6)
    assert not needs_approval(500.0, 6, max_installments=6)
