from datetime import date

import pytest

from cobranza_engine.incentives import (
    IncentiveError,
    Tier,
    annualized_cost,
    costs_more_than_funds,
    deadline_on,
    deadlines,
    discount_base,
    validate_tiers,
)

PROGRAM = (Tier(20, 1.5), Tier(10, 3.0))
INVOICE_DATE = date(2026, 12, 2)


def test_deadlines_are_counted_from_the_invoice_date_earliest_first():
    result = deadlines(INVOICE_DATE, PROGRAM, "included", 1000.0, 840.34)
    assert [(item.deadline, item.tier.percent) for item in result] == [
        (date(2026, 12, 12), 3.0),
        (date(2026, 12, 22), 1.5),
    ]
    assert [(item.discount, item.amount_to_pay) for item in result] == [(30.0, 970.0), (15.0, 985.0)]


def test_excluded_tax_mode_takes_the_percentage_of_the_untaxed_amount():
    result = deadlines(INVOICE_DATE, PROGRAM, "excluded", 1190.0, 1000.0)
    assert [(item.discount, item.amount_to_pay) for item in result] == [(30.0, 1160.0), (15.0, 1175.0)]


def test_credit_note_mode_discounts_the_total_like_included():
    assert discount_base("credit_note", 1190.0, 1000.0) == 1190.0
    assert discount_base("included", 1190.0, 1000.0) == 1190.0


@pytest.mark.parametrize(
    ("payment_date", "percent"),
    [
        (date(2026, 11, 30), 3.0),  # paid before the invoice date: the best tier
        (date(2026, 12, 2), 3.0),
        (date(2026, 12, 12), 3.0),  # day 10 itself is inclusive
        (date(2026, 12, 13), 1.5),  # day 11: second tier
        (date(2026, 12, 22), 1.5),  # day 20 inclusive
        (date(2026, 12, 23), None),  # day 21: no discount
    ],
)
def test_tier_in_force_at_the_boundaries(payment_date, percent):
    found = deadline_on(deadlines(INVOICE_DATE, PROGRAM, "included", 1000.0, 1000.0), payment_date)
    assert (found.tier.percent if found else None) == percent


def test_day_zero_tier_only_covers_the_invoice_date():
    result = deadlines(INVOICE_DATE, (Tier(0, 5.0),), "included", 100.0, 100.0)
    assert deadline_on(result, INVOICE_DATE).discount == 5.0
    assert deadline_on(result, date(2026, 12, 3)) is None


def test_zero_decimal_currency_discounts_are_whole_pesos_and_add_up():
    # COP: 3 % of 1.234.567 = 37.037,01 → 37.037; 1,5 % = 18.518,505 → 18.519 (half up).
    result = deadlines(INVOICE_DATE, PROGRAM, "included", 1234567.0, 1037451.0, rounding=1.0)
    assert [(item.discount, item.amount_to_pay) for item in result] == [(37037.0, 1197530.0), (18519.0, 1216048.0)]
    for item in result:
        assert item.discount + item.amount_to_pay == 1234567.0


def test_two_decimal_rounding_is_half_up():
    # 1.5 % of 33.33 = 0.49995 → 0.50
    (item,) = deadlines(INVOICE_DATE, (Tier(5, 1.5),), "included", 33.33, 33.33)
    assert item.discount == 0.5
    assert item.amount_to_pay == 32.83


@pytest.mark.parametrize(
    ("tiers", "reason"),
    [
        ((), "no_tiers"),
        ((Tier(-1, 2.0),), "negative_days"),
        ((Tier(10, 0.0),), "bad_percent"),
        ((Tier(10, 100.0),), "bad_percent"),
        ((Tier(10, 3.0), Tier(10, 2.0)), "duplicate_days"),
        ((Tier(10, 3.0), Tier(20, 3.0)), "later_tier_not_smaller"),
        ((Tier(10, 1.0), Tier(20, 2.0)), "later_tier_not_smaller"),
    ],
)
def test_incoherent_tiers_are_refused(tiers, reason):
    with pytest.raises(IncentiveError) as error:
        validate_tiers(tiers)
    assert error.value.reason == reason


def test_unknown_tax_mode_and_negative_amounts_are_refused():
    with pytest.raises(IncentiveError) as error:
        deadlines(INVOICE_DATE, PROGRAM, "mixed", 100.0, 100.0)
    assert error.value.reason == "unknown_tax_mode"
    with pytest.raises(IncentiveError) as error:
        deadlines(INVOICE_DATE, PROGRAM, "included", -100.0, -100.0)
    assert error.value.reason == "negative_amount"
    with pytest.raises(IncentiveError) as error:
        deadlines("2026-12-02", PROGRAM, "included", 100.0, 100.0)
    assert error.value.reason == "not_a_date"


def test_annualized_cost_formula():
    # 2/10 net 30: 2/98 × 365/20 = 37.24 % a year
    assert annualized_cost(2.0, 30, 10) == pytest.approx(37.2449, abs=1e-4)
    # 3 % within 10 days on a 30-day term: 3/97 × 365/20 = 56.44 %
    assert annualized_cost(3.0, 30, 10) == pytest.approx(56.4433, abs=1e-4)
    # 1.5 % within 20 days: 1.5/98.5 × 365/10 = 55.58 %
    assert annualized_cost(1.5, 30, 20) == pytest.approx(55.5838, abs=1e-4)


def test_a_tier_reaching_the_term_has_no_bounded_cost():
    assert annualized_cost(1.0, 30, 30) is None
    assert annualized_cost(1.0, 30, 45) is None
    assert costs_more_than_funds(1.0, 30, 30, 1000.0)


def test_cost_is_compared_with_the_cost_of_funds():
    assert costs_more_than_funds(3.0, 30, 10, 24.0)
    assert not costs_more_than_funds(0.5, 60, 10, 24.0)  # 0.5/99.5 × 365/50 = 3.67 %
    with pytest.raises(IncentiveError):
        annualized_cost(0.0, 30, 10)


def test_the_discount_is_earned_only_when_the_payment_left_exactly_the_discount_open():
    from cobranza_engine.incentives import discount_earned

    assert discount_earned(30.0, 30.0)
    assert discount_earned(30.004, 30.0)  # the same once rounded to the currency
    assert not discount_earned(130.0, 30.0)  # a partial payment
    assert not discount_earned(0.0, 30.0)  # paid in full: nothing to write off
    assert not discount_earned(0.0, 0.0)
    assert discount_earned(300.0, 300.0, rounding=1.0)
