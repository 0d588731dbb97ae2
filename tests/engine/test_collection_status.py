from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from cobranza_engine.collection_status import CUSTOMER_SEVERITY, STATUSES, customer_status, invoice_status

TODAY = date(2026, 11, 23)


def due(offset, residual=100.0):
    return (TODAY + timedelta(days=offset), residual)


def test_statuses_by_the_worst_open_installment():
    assert invoice_status([due(30)], TODAY) == "current"
    assert invoice_status([due(7)], TODAY) == "due_soon"
    assert invoice_status([due(0)], TODAY) == "due_soon"
    assert invoice_status([due(8)], TODAY) == "current"
    assert invoice_status([due(-1)], TODAY) == "overdue"
    assert invoice_status([due(-90)], TODAY) == "overdue"
    assert invoice_status([due(-91)], TODAY) == "serious"
    assert invoice_status([due(30), due(-10)], TODAY) == "overdue"


def test_nothing_left_to_pay_is_paid_and_tolerance_ignores_cents():
    assert invoice_status([], TODAY) == "paid"
    assert invoice_status([due(-200, 0.4)], TODAY, tolerance=1.0) == "paid"


def test_legal_dispute_and_agreement_take_precedence_over_lateness():
    late = [due(-120)]
    assert invoice_status(late, TODAY, legal=True, in_dispute=True) == "legal"
    assert invoice_status(late, TODAY, in_dispute=True, under_agreement=True) == "in_dispute"
    assert invoice_status(late, TODAY, under_agreement=True) == "under_agreement"
    assert invoice_status([], TODAY, in_dispute=True) == "paid"


def test_configurable_thresholds():
    assert invoice_status([due(10)], TODAY, due_soon_days=15) == "due_soon"
    assert invoice_status([due(-31)], TODAY, serious_days=30) == "serious"


def test_customer_status_is_the_worst_open_invoice():
    assert customer_status([]) == "current"
    assert customer_status(["paid", "paid"]) == "current"
    assert customer_status(["current", "due_soon"]) == "due_soon"
    assert customer_status(["in_dispute", "overdue"]) == "overdue"
    assert customer_status(["under_agreement", "in_dispute"]) == "in_dispute"
    assert customer_status(["serious", "legal", "current"]) == "legal"


@given(st.lists(st.sampled_from(STATUSES), max_size=8), st.sampled_from(STATUSES))
def test_adding_an_invoice_never_makes_a_customer_look_better(statuses, extra):
    before = CUSTOMER_SEVERITY[customer_status(statuses)]
    after = CUSTOMER_SEVERITY[customer_status([*statuses, extra])]
    assert after >= before or (not [s for s in statuses if s != "paid"] and extra == "paid")
