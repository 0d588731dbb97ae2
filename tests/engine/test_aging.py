from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cobranza_engine import aging

TODAY = date(2026, 11, 23)


def test_amount_due_today_is_current_not_overdue():
    assert aging.days_past_due(TODAY, TODAY) == 0
    assert aging.bucket_for(TODAY, TODAY).is_current


def test_amount_due_yesterday_is_one_day_late_in_first_bucket():
    bucket = aging.bucket_for(TODAY - timedelta(days=1), TODAY)
    assert aging.days_past_due(TODAY - timedelta(days=1), TODAY) == 1
    assert (bucket.index, bucket.label()) == (1, "1-30")


def test_amount_not_yet_due_has_negative_days():
    assert aging.days_past_due(TODAY + timedelta(days=5), TODAY) == -5
    assert aging.bucket_for(TODAY + timedelta(days=5), TODAY).label("Al día") == "Al día"


@pytest.mark.parametrize(
    ("days", "label"),
    [
        (30, "1-30"),
        (31, "31-60"),
        (60, "31-60"),
        (61, "61-90"),
        (90, "61-90"),
        (91, "91-120"),
        (120, "91-120"),
        (121, "> 120"),
        (4000, "> 120"),
    ],
)
def test_default_bucket_boundaries_are_inclusive_upper_limits(days, label):
    assert aging.bucket_for(TODAY - timedelta(days=days), TODAY).label() == label


def test_default_scale_has_six_buckets_current_first():
    labels = [b.label() for b in aging.buckets()]
    assert labels == ["Current", "1-30", "31-60", "61-90", "91-120", "> 120"]


def test_configurable_buckets_change_the_scale():
    limits = aging.parse_bucket_limits(" 15, 45 ,180")
    assert limits == (15, 45, 180)
    assert [b.label() for b in aging.buckets(limits)] == ["Current", "1-15", "16-45", "46-180", "> 180"]
    assert aging.bucket_for(TODAY - timedelta(days=16), TODAY, limits).label() == "16-45"


@pytest.mark.parametrize(
    ("spec", "reason"),
    [
        ("", "empty"),
        (" , ", "empty"),
        ("30,abc", "not_a_number"),
        ("30,-5", "not_a_number"),
        ("0,30", "not_positive"),
        ("30,30", "not_increasing"),
        ("60,30", "not_increasing"),
        ("1.5", "not_a_number"),
    ],
)
def test_bad_bucket_specifications_are_refused_with_a_reason(spec, reason):
    with pytest.raises(aging.BucketLimitsError) as error:
        aging.parse_bucket_limits(spec)
    assert error.value.reason == reason


def test_format_is_the_inverse_of_parse():
    assert aging.format_bucket_limits(aging.parse_bucket_limits("30, 60,90")) == "30,60,90"


def test_each_installment_is_aged_by_its_own_maturity():
    # One invoice paid in two installments: 40 % due 45 days ago, 60 % due in 15 days.
    rows = aging.age_open_amounts(
        [
            aging.OpenAmount("ACME", TODAY - timedelta(days=45), 400.0),
            aging.OpenAmount("ACME", TODAY + timedelta(days=15), 600.0),
        ],
        TODAY,
    )
    row = rows["ACME"]
    assert row.amounts == [600.0, 0.0, 400.0, 0.0, 0.0, 0.0]
    assert (row.total, row.overdue, row.oldest_days_late) == (1000.0, 400.0, 45)
    assert (row.overdue_debt, row.credits) == (400.0, 0.0)


def test_credits_reduce_the_total_but_do_not_make_a_customer_late():
    rows = aging.age_open_amounts(
        [
            aging.OpenAmount("ACME", TODAY - timedelta(days=200), -150.0),
            aging.OpenAmount("ACME", TODAY - timedelta(days=10), 100.0),
        ],
        TODAY,
    )
    row = rows["ACME"]
    assert row.total == -50.0
    assert row.amounts[5] == -150.0
    assert row.oldest_days_late == 10
    assert (row.overdue_debt, row.credits, row.overdue) == (100.0, -150.0, -50.0)


def test_customers_are_kept_apart():
    rows = aging.age_open_amounts(
        [aging.OpenAmount(1, TODAY, 10.0), aging.OpenAmount(2, TODAY - timedelta(days=100), 20.0)], TODAY
    )
    assert rows[1].overdue == 0 and rows[2].amounts[4] == 20.0


def test_dates_are_required_not_datetimes_or_text():
    with pytest.raises(TypeError):
        aging.days_past_due("2026-01-01", TODAY)


@given(
    limits=st.lists(st.integers(min_value=1, max_value=400), min_size=1, max_size=8, unique=True).map(sorted),
    days=st.integers(min_value=-400, max_value=2000),
)
def test_every_day_lands_in_exactly_the_bucket_that_contains_it(limits, days):
    scale = aging.buckets(limits)
    index = aging.bucket_index(days, limits)
    containing = [
        b.index
        for b in scale
        if (b.is_current and days <= 0)
        or (not b.is_current and days >= b.first_day and (b.last_day is None or days <= b.last_day))
    ]
    assert containing == [index]
