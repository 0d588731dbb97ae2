from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cobranza_engine import credit

TODAY = date(2026, 11, 23)


def facts(**values):
    defaults = {"base_limit": 10_000.0, "receivable_balance": 6_000.0}
    return credit.CreditFacts(**{**defaults, **values})


def test_exposure_adds_receivable_draft_invoices_and_uninvoiced_orders():
    decision = credit.decide(
        facts(receivable_balance=4_000.0, draft_invoices=1_000.0, uninvoiced_orders=2_500.0), 500.0, TODAY
    )
    assert (decision.exposure_before, decision.exposure) == (7_500.0, 8_000.0)
    assert decision.available == 2_500.0
    assert decision.outcome == "allow"


def test_unapplied_payments_and_credit_notes_lower_the_exposure():
    decision = credit.decide(facts(receivable_balance=-1_500.0), 11_000.0, TODAY)
    assert decision.exposure == 9_500.0
    assert decision.outcome == "allow"


def test_over_the_limit_blocks_with_the_excess():
    decision = credit.decide(facts(), 4_500.0, TODAY)
    assert decision.outcome == "block"
    assert decision.codes == ("over_limit",)
    (reason,) = decision.reasons
    assert (reason.limit, reason.exposure, reason.excess) == (10_000.0, 10_500.0, 500.0)
    assert decision.excess == 500.0


def test_exactly_at_the_limit_is_allowed():
    assert credit.decide(facts(), 4_000.0, TODAY).outcome == "allow"


def test_a_cent_over_the_limit_is_over():
    assert credit.decide(facts(), 4_000.01, TODAY).outcome == "block"


def test_zero_limit_means_no_limit():
    decision = credit.decide(facts(base_limit=0.0, receivable_balance=1e9), 1e9, TODAY)
    assert decision.outcome == "allow"
    assert decision.limit is None and decision.available is None


def test_an_amount_that_adds_nothing_never_creates_an_over_limit_reason():
    # Already above the limit: a credit note or a zero-amount document still goes through.
    over = facts(receivable_balance=12_000.0)
    assert credit.decide(over, 0.0, TODAY).outcome == "allow"
    assert credit.decide(over, -300.0, TODAY).outcome == "allow"
    assert credit.decide(over, 1.0, TODAY).outcome == "block"


def test_temporary_increase_counts_only_inside_its_dates_both_included():
    increase = credit.Increase(5_000.0, TODAY, TODAY + timedelta(days=10))
    with_increase = facts(increases=(increase,))
    assert credit.decide(with_increase, 9_000.0, TODAY).outcome == "allow"
    assert credit.decide(with_increase, 9_000.0, TODAY + timedelta(days=10)).outcome == "allow"
    assert credit.decide(with_increase, 9_000.0, TODAY + timedelta(days=11)).outcome == "block"
    assert credit.decide(with_increase, 9_000.0, TODAY - timedelta(days=1)).outcome == "block"
    assert credit.decide(with_increase, 0.0, TODAY).increase == 5_000.0


def test_an_increase_does_not_give_a_limit_to_an_unlimited_customer():
    increase = credit.Increase(5_000.0, TODAY, TODAY)
    assert credit.effective_limit(0.0, [increase], TODAY) is None


def test_manual_hold_blocks_any_amount_with_its_reason():
    decision = credit.decide(facts(on_hold=True, hold_reason="Cheque devuelto"), 1.0, TODAY)
    assert decision.outcome == "block"
    assert decision.codes == ("manual_hold",)
    assert decision.reasons[0].hold_reason == "Cheque devuelto"
    assert decision.on_hold


def test_automatic_hold_starts_the_day_after_the_hold_days():
    assert credit.decide(facts(oldest_days_overdue=90, hold_days=90), 1.0, TODAY).outcome == "allow"
    decision = credit.decide(facts(oldest_days_overdue=91, hold_days=90), 1.0, TODAY)
    assert decision.outcome == "block"
    assert decision.codes == ("overdue_hold",)
    assert (decision.reasons[0].oldest_days_overdue, decision.reasons[0].hold_days) == (91, 90)


def test_hold_days_zero_or_none_disable_the_automatic_hold():
    assert credit.decide(facts(oldest_days_overdue=500, hold_days=0), 1.0, TODAY).outcome == "allow"
    assert credit.decide(facts(oldest_days_overdue=500, hold_days=None), 1.0, TODAY).outcome == "allow"


def test_every_reason_is_reported_together():
    decision = credit.decide(
        facts(on_hold=True, hold_reason="Quiebra", oldest_days_overdue=200, hold_days=90), 9_000.0, TODAY
    )
    assert decision.codes == ("over_limit", "manual_hold", "overdue_hold")


def test_the_company_setting_turns_reasons_into_the_outcome():
    over = facts()
    assert credit.decide(over, 5_000.0, TODAY, action="none").outcome == "allow"
    assert credit.decide(over, 5_000.0, TODAY, action="none").codes == ("over_limit",)
    assert credit.decide(over, 5_000.0, TODAY, action="warn").outcome == "warn"
    assert credit.decide(over, 5_000.0, TODAY, action="block").outcome == "block"


def test_unknown_setting_and_bad_limits_are_refused():
    with pytest.raises(credit.CreditInputError) as error:
        credit.decide(facts(), 1.0, TODAY, action="maybe")
    assert error.value.reason == "unknown_action"
    with pytest.raises(credit.CreditInputError) as error:
        credit.validate_limit(-1)
    assert error.value.reason == "negative_limit"
    with pytest.raises(credit.CreditInputError) as error:
        credit.validate_increase(credit.Increase(0.0, TODAY, TODAY))
    assert error.value.reason == "non_positive_increase"
    with pytest.raises(credit.CreditInputError) as error:
        credit.validate_increase(credit.Increase(10.0, TODAY, TODAY - timedelta(days=1)))
    assert error.value.reason == "increase_ends_before_start"


def test_an_overdue_amount_not_read_does_not_change_the_decision_and_stays_unknown():
    """The credit check reads the overdue amount only to explain a stop or a warning."""
    for amount in (500.0, 4_500.0):
        read = credit.decide(facts(overdue_amount=1_200.0, oldest_days_overdue=40, hold_days=30), amount, TODAY)
        unread = credit.decide(facts(overdue_amount=None, oldest_days_overdue=40, hold_days=30), amount, TODAY)
        assert (unread.outcome, unread.codes, unread.exposure) == (read.outcome, read.codes, read.exposure)
        assert read.overdue_amount == 1_200.0
        assert unread.overdue_amount is None


def test_zero_decimal_currency_compares_whole_pesos():
    cop = facts(base_limit=5_000_000.0, receivable_balance=4_999_999.0, rounding=1.0)
    assert credit.decide(cop, 1.0, TODAY).outcome == "allow"  # exactly the limit
    assert credit.decide(cop, 1.4, TODAY).outcome == "allow"  # 5 000 000.4 is 5 000 000 pesos
    assert credit.decide(cop, 2.0, TODAY).outcome == "block"


def test_approval_is_valid_once_until_its_expiry_and_within_its_amount():
    approval = credit.Override(approved_amount=2_000.0, expiry=TODAY)
    assert credit.check_override(approval, 2_000.0, TODAY).valid
    assert credit.check_override(approval, 2_000.01, TODAY).reason == "amount_exceeded"
    assert credit.check_override(approval, 100.0, TODAY + timedelta(days=1)).reason == "expired"
    used = credit.Override(approved_amount=2_000.0, expiry=TODAY, used=True)
    assert credit.check_override(used, 100.0, TODAY).reason == "used"
    with pytest.raises(credit.CreditInputError):
        credit.check_override(credit.Override(0.0, TODAY), 1.0, TODAY)


money = st.floats(min_value=-1e7, max_value=1e7, allow_nan=False).map(lambda value: round(value, 2))
positive = st.floats(min_value=0.0, max_value=1e7, allow_nan=False).map(lambda value: round(value, 2))


@given(balance=money, extra=positive, amount=money, limit=positive, action=st.sampled_from(credit.ACTIONS))
def test_more_exposure_never_turns_a_block_into_an_allow(balance, extra, amount, limit, action):
    low = credit.decide(facts(base_limit=limit, receivable_balance=balance), amount, TODAY, action)
    high = credit.decide(facts(base_limit=limit, receivable_balance=balance + extra), amount, TODAY, action)
    assert credit.OUTCOME_ORDER[high.outcome] >= credit.OUTCOME_ORDER[low.outcome]


@given(balance=money, amount=money, limit=positive, more=positive, action=st.sampled_from(credit.ACTIONS))
def test_a_bigger_limit_never_turns_an_allow_into_a_block(balance, amount, limit, more, action):
    if not limit:
        return  # 0 means unlimited: a bigger number would be a smaller limit
    small = credit.decide(facts(base_limit=limit, receivable_balance=balance), amount, TODAY, action)
    big = credit.decide(facts(base_limit=limit + more, receivable_balance=balance), amount, TODAY, action)
    assert credit.OUTCOME_ORDER[big.outcome] <= credit.OUTCOME_ORDER[small.outcome]


@given(amount=positive, days=st.integers(min_value=1, max_value=400))
def test_an_increase_outside_its_dates_changes_nothing(amount, days):
    outside = credit.Increase(amount + 1, TODAY + timedelta(days=days), TODAY + timedelta(days=days + 5))
    assert credit.decide(facts(increases=(outside,)), amount, TODAY) == credit.decide(facts(), amount, TODAY)


@given(balance=money, amount=money, limit=positive)
def test_outcome_grows_with_the_strictness_of_the_setting(balance, amount, limit):
    outcomes = [
        credit.OUTCOME_ORDER[
            credit.decide(facts(base_limit=limit, receivable_balance=balance), amount, TODAY, a).outcome
        ]
        for a in credit.ACTIONS
    ]
    assert outcomes == sorted(outcomes)


def test_the_segment_setting_replaces_the_company_setting():
    strict_segment = facts(segment_action="block")
    assert credit.decide(strict_segment, 5_000.0, TODAY, action="none").outcome == "block"
    lenient_segment = facts(segment_action="none")
    assert credit.decide(lenient_segment, 5_000.0, TODAY, action="block").outcome == "allow"
    assert credit.decide(facts(), 5_000.0, TODAY, action="warn").outcome == "warn"


def test_an_invoice_line_covers_its_order_posted_or_draft_and_a_cancelled_one_nothing():
    # an invoice's line: credit in the ledger (negative amount in currency), positive subtotal
    assert credit.order_line_invoiced(-115.0, 100.0, 115.0, "posted") == 115.0
    assert credit.order_line_invoiced(-115.0, 100.0, 115.0, "draft") == 115.0
    assert credit.order_line_invoiced(-115.0, 100.0, 115.0, "cancel") == 0.0


def test_a_credit_note_line_gives_its_order_back_once_posted_only():
    # a credit note's line: debit (positive amount in currency), positive subtotal
    assert credit.order_line_invoiced(115.0, 100.0, 115.0, "posted") == -115.0
    assert credit.order_line_invoiced(115.0, 100.0, 115.0, "draft") == 0.0


def test_an_order_uninvoiced_amount_is_its_total_less_what_is_covered_never_below_zero():
    assert credit.order_uninvoiced(1_000.0, [300.0, 200.0]) == 500.0
    assert credit.order_uninvoiced(1_000.0, [1_000.0, -400.0]) == 400.0
    assert credit.order_uninvoiced(1_000.0, [1_200.0]) == 0.0
    assert credit.order_uninvoiced(1_000.0, []) == 1_000.0
