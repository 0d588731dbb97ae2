import pytest
from hypothesis import given
from hypothesis import strategies as st

from cobranza_engine import money


def test_half_cents_round_up_like_odoo():
    assert money.round_money(2.675, 0.01) == 2.68
    assert money.round_money(-2.675, 0.01) == -2.68


def test_zero_decimal_currencies_round_to_whole_units():
    assert money.round_money(1234.5, 1.0) == 1235.0
    assert money.round_money(1234.49, 1.0) == 1234.0


def test_rounding_step_must_be_positive():
    with pytest.raises(ValueError):
        money.round_money(1.0, 0)


def test_is_zero_and_compare_respect_the_currency():
    assert money.is_zero(0.004, 0.01)
    assert not money.is_zero(0.005, 0.01)
    assert money.compare(10.001, 10.0, 0.01) == 0
    assert money.compare(10.01, 10.0, 0.01) == 1
    assert money.compare(9.99, 10.0, 0.01) == -1


@given(st.decimals(min_value=-(10**9), max_value=10**9, places=2).map(float))
def test_amounts_already_rounded_are_unchanged(amount):
    assert money.round_money(amount, 0.01) == amount
