from datetime import date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cobranza_engine import kpis
from cobranza_engine.aging import OpenAmount

# The DESIGN countback example: AR 212k against monthly sales 100k, 80k, 70k, newest first.
AR = 212_000.0
DESIGN_MONTHS = (100_000.0, 80_000.0, 70_000.0)


def reason_of(call, *args, **kwargs):
    with pytest.raises(kpis.KpiError) as error:
        call(*args, **kwargs)
    return error.value.reason


# Months ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "days"),
    [(date(2023, 2, 10), 28), (date(2024, 2, 10), 29), (date(1900, 2, 1), 28), (date(2000, 2, 1), 29)],
)
def test_february_has_29_days_only_in_leap_years(day, days):
    assert kpis.days_in_month(day) == days


def test_month_start_and_end_of_a_date():
    assert kpis.month_start(date(2024, 2, 17)) == date(2024, 2, 1)
    assert kpis.month_end(date(2024, 2, 17)) == date(2024, 2, 29)
    assert kpis.month_end(date(2025, 12, 1)) == date(2025, 12, 31)
    assert kpis.month_end(date(2025, 4, 30)) == date(2025, 4, 30)
    assert kpis.month_of(date(2025, 4, 30)).days == 30


def test_last_months_on_a_month_end_start_with_that_month_newest_first():
    months = kpis.last_months(date(2024, 3, 31), 3)
    assert [(month.start, month.end, month.days) for month in months] == [
        (date(2024, 3, 1), date(2024, 3, 31), 31),
        (date(2024, 2, 1), date(2024, 2, 29), 29),
        (date(2024, 1, 1), date(2024, 1, 31), 31),
    ]


def test_last_months_on_the_first_of_a_month_start_with_the_month_before_across_the_year():
    months = kpis.last_months(date(2024, 1, 1), 2)
    assert [month.start for month in months] == [date(2023, 12, 1), date(2023, 11, 1)]


def test_last_months_on_the_day_before_a_month_end_leave_out_the_unfinished_month():
    assert kpis.last_months(date(2023, 2, 27), 1)[0] == kpis.Month(date(2023, 1, 1), date(2023, 1, 31))
    assert kpis.last_months(date(2023, 2, 28), 1)[0] == kpis.Month(date(2023, 2, 1), date(2023, 2, 28))


def test_zero_months_is_an_empty_list_and_a_negative_count_is_refused():
    assert kpis.last_months(date(2024, 3, 31), 0) == ()
    assert reason_of(kpis.last_months, date(2024, 3, 31), -1) == "negative_count"


@pytest.mark.parametrize("value", ["2024-03-31", datetime(2024, 3, 31, 12, 0), None])
def test_month_helpers_refuse_anything_but_a_date(value):
    assert reason_of(kpis.month_end, value) == "not_a_date"
    assert reason_of(kpis.last_months, value, 1) == "not_a_date"


def test_period_days_count_both_ends_and_follow_february():
    assert kpis.period_days(date(2024, 2, 1), date(2024, 2, 29)) == 29
    assert kpis.period_days(date(2023, 2, 1), date(2023, 2, 28)) == 28
    assert kpis.period_days(date(2023, 1, 1), date(2023, 3, 31)) == 90
    assert kpis.period_days(date(2023, 5, 4), date(2023, 5, 4)) == 1
    assert reason_of(kpis.period_days, date(2023, 5, 4), date(2023, 5, 3)) == "period_end_before_start"


# DSO (countback) ------------------------------------------------------------------------


def test_countback_worked_example_of_the_design_gives_73_7_days():
    result = kpis.dso_countback(AR, DESIGN_MONTHS)
    assert result.days == pytest.approx(30 + 30 + 32 / 70 * 30)  # 73.714…
    assert kpis.round_kpi(result.days) == 73.7
    assert (result.months_used, result.capped) == (3, False)


def test_countback_uses_each_calendar_month_real_length_when_given():
    months = kpis.last_months(date(2024, 3, 31), 3)  # March 31, leap February 29, January 31
    sales = [(amount, month.days) for amount, month in zip(DESIGN_MONTHS, months, strict=True)]
    result = kpis.dso_countback(AR, sales)
    assert result.days == pytest.approx(31 + 29 + 32 / 70 * 31)  # 74.171…
    assert kpis.round_kpi(result.days) == 74.2


def test_countback_over_a_non_leap_february():
    result = kpis.dso_countback(150_000.0, [(100_000.0, 28), (100_000.0, 31)])
    assert result.days == pytest.approx(28 + 50 / 100 * 31)


def test_receivable_smaller_than_the_newest_month_is_a_fraction_of_it():
    result = kpis.dso_countback(50_000.0, DESIGN_MONTHS)
    assert result.days == pytest.approx(15.0)
    assert result.months_used == 1


def test_receivable_equal_to_the_newest_month_is_exactly_that_month():
    result = kpis.dso_countback(100_000.0, DESIGN_MONTHS)
    assert result.days == 30.0
    assert (result.months_used, result.capped) == (1, False)


def test_receivable_equal_to_all_the_sales_is_all_the_days_without_being_capped():
    result = kpis.dso_countback(250_000.0, DESIGN_MONTHS)
    assert result.days == 90.0
    assert (result.months_used, result.capped) == (3, False)


def test_receivable_beyond_all_the_months_is_capped_at_their_days_and_flagged():
    result = kpis.dso_countback(400_000.0, DESIGN_MONTHS)
    assert result.days == 90.0
    assert (result.months_used, result.capped) == (3, True)


def test_a_difference_below_the_currency_rounding_is_no_difference():
    assert kpis.dso_countback(100_000.004, [100_000.0]) == kpis.Countback(30.0, 1, False)
    assert kpis.dso_countback(100_000.4, [100_000.0], rounding=1.0) == kpis.Countback(30.0, 1, False)
    assert kpis.dso_countback(100_000.4, [100_000.0], rounding=0.01).capped


def test_a_month_without_sales_counts_in_full_and_explains_nothing():
    result = kpis.dso_countback(150_000.0, [100_000.0, 0.0, 80_000.0])
    assert result.days == pytest.approx(30 + 30 + 50 / 80 * 30)  # 78.75


def test_a_month_with_net_negative_sales_counts_like_a_month_without_sales():
    # Taking off -20k would leave 70k to explain and give 30 + 30 + 70/80 × 30 = 86.25.
    result = kpis.dso_countback(150_000.0, [100_000.0, -20_000.0, 80_000.0])
    assert result.days == pytest.approx(78.75)


def test_countback_without_any_sales_is_undefined_not_a_crash():
    assert kpis.dso_countback(AR, [0.0, 0.0, 0.0]).days is None
    assert kpis.dso_countback(AR, []).days is None
    assert kpis.dso_countback(0.0, [0.0]).days is None
    assert kpis.dso_countback(AR, [-5_000.0]).days is None


def test_countback_of_a_zero_or_negative_receivable_is_zero_days():
    assert kpis.dso_countback(0.0, DESIGN_MONTHS) == kpis.Countback(0.0, 0, False)
    assert kpis.dso_countback(-12_000.0, DESIGN_MONTHS) == kpis.Countback(0.0, 0, False)


@pytest.mark.parametrize(
    ("month", "reason"),
    [
        ("100", "bad_month"),
        ((1.0,), "bad_month"),
        (("x", 30), "bad_month"),
        (True, "bad_month"),
        ((1.0, 0), "non_positive_days"),
        ((1.0, 30.5), "non_positive_days"),
    ],
)
def test_malformed_months_are_refused(month, reason):
    assert reason_of(kpis.dso_countback, AR, [month]) == reason


month_sales = st.lists(
    st.tuples(st.floats(min_value=0, max_value=1e7, allow_nan=False), st.integers(min_value=28, max_value=31)),
    min_size=1,
    max_size=24,
).filter(lambda months: sum(sales for sales, _days in months) >= 1)


@given(months=month_sales, share=st.floats(min_value=0, max_value=1))
def test_countback_never_exceeds_the_months_days_when_the_receivable_is_covered_by_the_sales(months, share):
    receivable = share * sum(sales for sales, _days in months)
    result = kpis.dso_countback(receivable, months)
    assert 0.0 <= result.days <= sum(days for _sales, days in months) + 1e-9
    assert not result.capped


@given(months=month_sales, first=st.floats(min_value=0, max_value=3e8), second=st.floats(min_value=0, max_value=3e8))
def test_more_receivable_never_gives_a_shorter_countback(months, first, second):
    low, high = sorted((first, second))
    assert kpis.dso_countback(low, months).days <= kpis.dso_countback(high, months).days + 1e-9


# Standard DSO, best possible DSO, ADD ---------------------------------------------------

# Worked example: first quarter of 2023 (31 + 28 + 31 = 90 days), credit sales 250,000,
# AR at March 31 212,000 of which 100,000 not yet due.
Q1_DAYS = 90


def test_standard_dso_worked_example():
    assert kpis.dso_standard(AR, 250_000.0, Q1_DAYS) == pytest.approx(212 / 250 * 90)  # 76.32


def test_best_possible_dso_uses_only_the_receivable_not_yet_due():
    assert kpis.best_possible_dso(100_000.0, 250_000.0, Q1_DAYS) == pytest.approx(36.0)


def test_add_worked_example_is_dso_minus_best_possible_dso():
    dso = kpis.dso_standard(AR, 250_000.0, Q1_DAYS)
    best = kpis.best_possible_dso(100_000.0, 250_000.0, Q1_DAYS)
    add = kpis.average_days_delinquent(dso, best)
    assert add == pytest.approx(40.32)  # 76.32 − 36: the overdue 112k / 250k × 90
    assert kpis.round_kpi(add) == 40.3


def test_add_is_undefined_when_either_dso_is():
    assert kpis.average_days_delinquent(None, 36.0) is None
    assert kpis.average_days_delinquent(76.32, None) is None


@pytest.mark.parametrize("credit_sales", [0.0, 0.004, -1_000.0])
def test_standard_and_best_possible_dso_without_credit_sales_are_undefined(credit_sales):
    assert kpis.dso_standard(AR, credit_sales, 30) is None
    assert kpis.best_possible_dso(AR, credit_sales, 30) is None


@pytest.mark.parametrize("receivable", [0.0, -3_000.0])
def test_a_zero_or_negative_receivable_gives_zero_days_never_negative(receivable):
    assert kpis.dso_standard(receivable, 250_000.0, Q1_DAYS) == 0.0
    assert kpis.best_possible_dso(receivable, 250_000.0, Q1_DAYS) == 0.0


@pytest.mark.parametrize("days", [0, -30, 30.0, True])
def test_a_period_without_a_positive_whole_number_of_days_is_refused(days):
    assert reason_of(kpis.dso_standard, AR, 250_000.0, days) == "non_positive_days"


# CEI and shares -------------------------------------------------------------------------


def test_cei_worked_example():
    # (500k + 300k − 450k) / (500k + 300k − 200k) = 350 / 600
    cei = kpis.collection_effectiveness_index(500_000.0, 300_000.0, 450_000.0, 200_000.0)
    assert cei == pytest.approx(58.3333333)
    assert kpis.round_kpi(cei) == 58.3


def test_cei_is_100_when_nothing_overdue_is_left():
    assert kpis.collection_effectiveness_index(500_000.0, 300_000.0, 200_000.0, 200_000.0) == 100.0


def test_cei_is_zero_when_nothing_was_collected():
    assert kpis.collection_effectiveness_index(500_000.0, 300_000.0, 800_000.0, 200_000.0) == 0.0


@pytest.mark.parametrize(("opening", "sales", "current"), [(0.0, 0.0, 0.0), (100.0, 50.0, 150.0), (0.0, 0.0, 10.0)])
def test_cei_is_undefined_when_nothing_was_collectible(opening, sales, current):
    assert kpis.collection_effectiveness_index(opening, sales, current, current) is None


def test_cei_on_net_figures_is_not_clamped_when_past_credits_exceed_the_overdue_debt():
    # Closing total 150k below the current 200k: an old unapplied payment of 50k.
    cei = kpis.collection_effectiveness_index(500_000.0, 300_000.0, 150_000.0, 200_000.0)
    assert cei == pytest.approx(650 / 600 * 100)


def test_share_of_current_and_over_90_days():
    assert kpis.receivable_share(150_000.0, 200_000.0) == 75.0
    assert kpis.receivable_share(30_000.0, 200_000.0) == 15.0
    assert kpis.receivable_share(0.0, 200_000.0) == 0.0


@pytest.mark.parametrize("total", [0.0, 0.001, -5_000.0])
def test_shares_of_a_zero_or_negative_receivable_are_undefined(total):
    assert kpis.receivable_share(100.0, total) is None


def test_receivable_position_splits_current_and_over_90_days_by_maturity():
    as_of = date(2024, 6, 30)
    amounts = [
        OpenAmount("a", as_of, 100.0),  # due today: current
        OpenAmount("a", as_of + timedelta(days=10), 50.0),  # not due
        OpenAmount("b", as_of - timedelta(days=1), 20.0),  # 1 day late
        OpenAmount("b", as_of - timedelta(days=90), 30.0),  # 90 days: not over 90
        OpenAmount("c", as_of - timedelta(days=91), 40.0),  # 91 days: over 90
        OpenAmount("c", as_of - timedelta(days=200), -15.0),  # old unapplied payment
    ]
    assert kpis.receivable_position(amounts, as_of) == kpis.ReceivablePosition(225.0, 150.0, 25.0)


def test_receivable_position_sums_are_rounded_to_the_currency():
    amounts = [OpenAmount("a", date(2024, 1, 1), 0.1), OpenAmount("a", date(2024, 1, 1), 0.2)]
    assert kpis.receivable_position(amounts, date(2024, 1, 1)).total == 0.3


# Promises, recovery by stage, collectors ------------------------------------------------


def test_promises_kept_percent():
    assert kpis.promises_kept_percent(7, 8) == 87.5
    assert kpis.promises_kept_percent(8, 8) == 100.0
    assert kpis.promises_kept_percent(0, 8) == 0.0


def test_promises_kept_without_promises_due_is_undefined():
    assert kpis.promises_kept_percent(0, 0) is None


def test_more_promises_kept_than_due_or_negative_counts_are_refused():
    assert reason_of(kpis.promises_kept_percent, 3, 2) == "kept_exceeds_due"
    assert reason_of(kpis.promises_kept_percent, -1, 2) == "negative_count"
    assert reason_of(kpis.promises_kept_percent, 0, -2) == "negative_count"


def test_recovery_window_is_the_day_sent_and_the_30_days_after():
    assert kpis.recovery_window(date(2024, 2, 15)) == (date(2024, 2, 15), date(2024, 3, 16))
    assert kpis.recovery_window(date(2023, 2, 15)) == (date(2023, 2, 15), date(2023, 3, 17))


def test_recovery_by_stage_worked_example():
    communications = [
        kpis.StageCommunication("preventive", 1_000.0, 800.0),
        kpis.StageCommunication("administrative", 2_000.0, 500.0),
        kpis.StageCommunication("administrative", 3_000.0, 1_000.0),
        kpis.StageCommunication("prejudicial", 4_000.0, 0.0),
    ]
    result = kpis.recovery_by_stage(communications)
    assert list(result) == ["preventive", "administrative", "prejudicial"]
    assert result["administrative"] == kpis.StageRecovery("administrative", 2, 5_000.0, 1_500.0, 30.0)
    assert result["preventive"].recovery_percent == 80.0
    assert result["prejudicial"].recovery_percent == 0.0


def test_collected_beyond_what_a_communication_dunned_counts_only_up_to_it():
    communications = [
        kpis.StageCommunication("administrative", 1_000.0, 2_500.0),
        kpis.StageCommunication("administrative", 1_000.0, 0.0),
    ]
    stage = kpis.recovery_by_stage(communications)["administrative"]
    assert (stage.collected, stage.recovery_percent) == (1_000.0, 50.0)


def test_a_stage_that_dunned_nothing_has_no_recovery_rate():
    stage = kpis.recovery_by_stage([kpis.StageCommunication("judicial", 0.0, 0.0)])["judicial"]
    assert (stage.communications, stage.recovery_percent) == (1, None)


def test_negative_dunned_or_collected_amounts_are_refused():
    assert reason_of(kpis.recovery_by_stage, [kpis.StageCommunication("x", -1.0, 0.0)]) == "negative_amount"
    assert reason_of(kpis.recovery_by_stage, [kpis.StageCommunication("x", 1.0, -1.0)]) == "negative_amount"


def test_collector_rows_from_several_queries_are_added_up_per_collector():
    rows = [
        kpis.CollectorActivity("ana", collected=1_000.1),
        kpis.CollectorActivity("luis", contacts=4),
        kpis.CollectorActivity("ana", collected=500.2, contacts=12),
        kpis.CollectorActivity("ana", promises_made=5, promises_due=4, promises_kept=3),
        kpis.CollectorActivity(None, collected=75.0),
    ]
    result = kpis.collector_performance(rows)
    assert list(result) == ["ana", "luis", None]
    assert result["ana"] == kpis.CollectorPerformance("ana", 1_500.3, 12, 5, 4, 3, 75.0)
    assert result["luis"] == kpis.CollectorPerformance("luis", 0.0, 4, 0, 0, 0, None)
    assert result[None].collected == 75.0


def test_a_collector_keeping_more_promises_than_due_is_refused_after_adding_up():
    rows = [kpis.CollectorActivity("ana", promises_due=1), kpis.CollectorActivity("ana", promises_kept=1)]
    assert kpis.collector_performance(rows)["ana"].promises_kept_percent == 100.0
    rows.append(kpis.CollectorActivity("ana", promises_kept=1))
    assert reason_of(kpis.collector_performance, rows) == "kept_exceeds_due"


def test_negative_collector_figures_are_refused():
    assert reason_of(kpis.collector_performance, [kpis.CollectorActivity("ana", contacts=-1)]) == "negative_count"
    assert reason_of(kpis.collector_performance, [kpis.CollectorActivity("ana", collected=-5.0)]) == "negative_amount"


# One period -----------------------------------------------------------------------------


def first_quarter(**changes):
    figures = {
        "period_start": date(2023, 1, 1),
        "period_end": date(2023, 3, 31),
        "opening_receivable": 150_000.0,
        "credit_sales": 250_000.0,
        "closing_receivable": AR,
        "closing_current_receivable": 100_000.0,
        "closing_over_90_receivable": 21_200.0,
        "monthly_sales": DESIGN_MONTHS,
        "promises_due": 8,
        "promises_kept": 6,
        "communications": (kpis.StageCommunication("administrative", 10_000.0, 4_000.0),),
        "collector_activity": (kpis.CollectorActivity("ana", collected=4_000.0, contacts=9),),
    }
    figures.update(changes)
    return kpis.PeriodFigures(**figures)


def test_period_kpis_of_a_quarter_worked_by_hand():
    result = kpis.period_kpis(first_quarter())
    assert result.period_days == 90
    assert result.dso_countback == pytest.approx(73.714285714)
    assert result.dso_standard == pytest.approx(76.32)
    assert result.best_possible_dso == pytest.approx(36.0)
    assert (result.add, result.add_method) == (pytest.approx(40.32), "standard")
    assert result.cei == pytest.approx((150 + 250 - 212) / (150 + 250 - 100) * 100)  # 62.67
    assert result.current_percent == pytest.approx(100 / 212 * 100)  # 47.17
    assert result.over_90_percent == pytest.approx(10.0)
    assert result.promises_kept_percent == 75.0
    assert result.recovery_by_stage["administrative"].recovery_percent == 40.0
    assert result.collectors["ana"].contacts == 9


def test_add_can_be_measured_from_the_countback_dso():
    result = kpis.period_kpis(first_quarter(), add_method="countback")
    assert result.add == pytest.approx(30 + 30 + 32 / 70 * 30 - 36.0)  # 37.71
    assert result.add_method == "countback"


def test_an_unknown_dso_method_for_add_is_refused():
    assert reason_of(kpis.period_kpis, first_quarter(), add_method="average") == "unknown_dso_method"


def test_a_period_without_sales_leaves_the_dsos_undefined_but_still_measures_the_rest():
    result = kpis.period_kpis(first_quarter(credit_sales=0.0, monthly_sales=(0.0, 0.0, 0.0)))
    assert (result.dso_countback, result.dso_standard, result.best_possible_dso, result.add) == (None,) * 4
    assert result.cei == pytest.approx((150 - 212) / (150 - 100) * 100)
    assert result.current_percent is not None


def test_a_period_with_a_net_credit_balance_has_zero_days_and_no_shares():
    result = kpis.period_kpis(
        first_quarter(closing_receivable=-5_000.0, closing_current_receivable=-5_000.0, closing_over_90_receivable=0.0)
    )
    assert (result.dso_countback, result.dso_standard, result.best_possible_dso, result.add) == (0.0, 0.0, 0.0, 0.0)
    assert (result.current_percent, result.over_90_percent) == (None, None)


def test_a_leap_february_period_lasts_29_days():
    result = kpis.period_kpis(
        first_quarter(period_start=date(2024, 2, 1), period_end=date(2024, 2, 29), credit_sales=29_000.0)
    )
    assert result.period_days == 29
    assert result.best_possible_dso == pytest.approx(100_000 / 29_000 * 29)


def test_a_period_ending_before_it_starts_is_refused():
    figures = first_quarter(period_start=date(2023, 3, 1), period_end=date(2023, 2, 28))
    assert reason_of(kpis.period_kpis, figures) == "period_end_before_start"


def test_empty_period_facts_give_undefined_rates_and_empty_breakdowns():
    result = kpis.period_kpis(first_quarter(promises_due=0, promises_kept=0, communications=(), collector_activity=()))
    assert result.promises_kept_percent is None
    assert (result.recovery_by_stage, result.collectors) == ({}, {})


# Display --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "digits", "shown"),
    [(73.714285, 1, 73.7), (0.25, 1, 0.3), (-0.25, 1, -0.3), (2.675, 2, 2.68), (40.0, 1, 40.0), (None, 1, None)],
)
def test_round_kpi_rounds_half_up_for_display(value, digits, shown):
    assert kpis.round_kpi(value, digits) == shown
