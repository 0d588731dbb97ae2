from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cobranza_engine.self_service import (
    DEFAULT_PROMISE_MAX_DAYS,
    PayItem,
    PromiseError,
    check_promise,
    discount_of,
    latest_promise_date,
    pay_groups,
    promise_max_days,
)

TODAY = date(2026, 3, 10)
COP = ("company", "COP")


# ---------------------------------------------------------------------------- the pay link


def test_the_link_pays_the_open_amounts_of_what_the_reminder_lists():
    (group,) = pay_groups([PayItem("INV/1", COP, 300.0), PayItem("INV/2", COP, 450.5)])
    assert (group.keys, group.total, group.full_amount, group.discounts) == (("INV/1", "INV/2"), 750.5, 750.5, {})


def test_an_open_early_payment_tier_lowers_the_amount_of_its_invoice_only():
    (group,) = pay_groups([PayItem("INV/1", COP, 1150.0, discounted=1115.5), PayItem("INV/2", COP, 200.0)])
    assert (group.total, group.full_amount, group.discount) == (1315.5, 1350.0, 34.5)
    assert group.discounts == {"INV/1": 34.5}


def test_invoices_paid_meanwhile_drop_out_and_nothing_left_gives_no_group():
    assert pay_groups([PayItem("INV/1", COP, 0.0), PayItem("INV/2", COP, -5.0)]) == []
    (group,) = pay_groups([PayItem("INV/1", COP, 0.004), PayItem("INV/2", COP, 10.0)])
    assert group.keys == ("INV/2",)


def test_each_company_and_currency_is_paid_on_its_own():
    usd = ("company", "USD")
    groups = pay_groups([PayItem("A", COP, 100.0), PayItem("B", usd, 20.0), PayItem("C", COP, 50.0)])
    assert [(group.group, group.keys, group.total) for group in groups] == [
        (COP, ("A", "C"), 150.0),
        (usd, ("B",), 20.0),
    ]


def test_a_meaningless_discounted_amount_is_ignored():
    assert discount_of(PayItem("A", COP, 100.0, discounted=100.0)) == 0.0
    assert discount_of(PayItem("A", COP, 100.0, discounted=120.0)) == 0.0
    assert discount_of(PayItem("A", COP, 100.0, discounted=0.0)) == 0.0
    assert discount_of(PayItem("A", COP, 100.0)) == 0.0


def test_zero_decimal_currencies_round_to_whole_units():
    (group,) = pay_groups([PayItem("A", COP, 1000.4, discounted=970.2)], rounding=1.0)
    assert (group.total, group.full_amount) == (970.0, 1000.0)


amounts = st.decimals(min_value=0, max_value=10**7, places=2).map(float)


@given(st.lists(st.tuples(amounts, st.one_of(st.none(), amounts)), max_size=12))
def test_the_total_plus_the_discounts_is_always_the_full_amount(rows):
    items = [PayItem(index, COP, residual, discounted) for index, (residual, discounted) in enumerate(rows)]
    for group in pay_groups(items):
        assert round(group.total + sum(group.discounts.values()), 2) == group.full_amount
        assert 0 < group.total <= group.full_amount
        assert all(0 < discount < group.full_amount for discount in group.discounts.values())


# ---------------------------------------------------------------------------- portal promises


def test_the_segment_limit_wins_over_the_companys():
    assert promise_max_days(15, 0) == 15
    assert promise_max_days(15, 30) == 30
    assert promise_max_days(0, 0) == 0
    assert DEFAULT_PROMISE_MAX_DAYS == 15


def test_the_latest_date_is_inclusive_and_zero_days_turns_portal_promises_off():
    assert latest_promise_date(TODAY, 15) == date(2026, 3, 25)
    assert latest_promise_date(TODAY, 0) is None
    with pytest.raises(PromiseError) as error:
        check_promise(TODAY, TODAY, 0, 100.0)
    assert error.value.reason == "disabled"


def test_a_promise_for_today_or_up_to_the_limit_is_accepted_for_everything_open_by_default():
    assert check_promise(TODAY, TODAY, 15, 700.0) == 700.0
    assert check_promise(TODAY, date(2026, 3, 25), 15, 700.0) == 700.0


def test_a_partial_amount_may_be_promised():
    assert check_promise(TODAY, date(2026, 3, 20), 15, 700.0, amount=250.004) == 250.0


@pytest.mark.parametrize(
    ("promise_date", "open_amount", "amount", "reason", "value"),
    [
        (date(2026, 3, 9), 700.0, None, "past_date", date(2026, 3, 9)),
        (date(2026, 3, 26), 700.0, None, "too_late", date(2026, 3, 25)),
        ("2026-03-20", 700.0, None, "not_a_date", "2026-03-20"),
        (date(2026, 3, 20), 0.0, None, "nothing_open", 0.0),
        (date(2026, 3, 20), 700.0, 0.0, "non_positive_amount", 0.0),
        (date(2026, 3, 20), 700.0, 700.01, "amount_too_big", 700.0),
    ],
)
def test_promises_the_rules_refuse_say_why(promise_date, open_amount, amount, reason, value):
    with pytest.raises(PromiseError) as error:
        check_promise(TODAY, promise_date, 15, open_amount, amount=amount)
    assert (error.value.reason, error.value.value) == (reason, value)
