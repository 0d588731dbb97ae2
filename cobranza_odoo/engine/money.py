"""Money arithmetic shared by the rules: rounding to a currency's rounding step.

Amounts travel as floats (as in Odoo) together with the currency's ``rounding``
(0.01 for USD, 1.0 for COP or CLP). Rounding is half-up on the decimal value the
user sees, like Odoo's ``float_round``, so ``round_money(2.675, 0.01) == 2.68``.
"""

from decimal import ROUND_HALF_UP, Decimal


def _decimal(value):
    # repr() gives the shortest text that reads back as the same float: 2.675 stays "2.675".
    return Decimal(repr(float(value)))


def round_money(amount, rounding=0.01):
    """Round ``amount`` half-up to a multiple of ``rounding``."""
    if rounding <= 0:
        raise ValueError("rounding must be positive")
    step = _decimal(rounding)
    steps = (_decimal(amount) / step).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return float(steps * step)


def is_zero(amount, rounding=0.01):
    """True when ``amount`` rounds to zero in the currency."""
    return round_money(amount, rounding) == 0.0


def compare(first, second, rounding=0.01):
    """-1, 0 or 1 as ``first`` is below, equal to or above ``second`` once rounded."""
    difference = round_money(first - second, rounding)
    return (difference > 0) - (difference < 0)
