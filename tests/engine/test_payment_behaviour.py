from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from cobranza_engine.payment_behaviour import Payment, ReceivableLine, compute_metrics

TODAY = date(2026, 11, 23)


def day(offset):
    return TODAY + timedelta(days=offset)


def line(key, amount, maturity, residual=0.0, payments=(), invoice=None):
    return ReceivableLine(key, invoice or key, amount, day(maturity), residual, tuple(payments))


def test_no_history_gives_undefined_ratios_and_zero_counts():
    metrics = compute_metrics([], TODAY)
    assert (metrics.paid_invoices, metrics.on_time_ratio, metrics.avg_days_late) == (0, None, None)
    assert (metrics.worst_days_overdue, metrics.overdue_amount, metrics.open_amount) == (0, 0.0, 0.0)


def test_paid_on_time_and_late_with_grace_days():
    lines = [
        line("on-time", 100, -40, payments=[Payment(100, day(-40))]),
        line("in-grace", 100, -40, payments=[Payment(100, day(-37))]),
        line("late", 100, -40, payments=[Payment(100, day(-36))]),
    ]
    metrics = compute_metrics(lines, TODAY, grace_days=3)
    assert metrics.paid_invoices == 3
    assert metrics.on_time_ratio == 2 / 3
    assert metrics.avg_days_late == (0 + 3 + 4) / 3


def test_average_days_late_weighs_each_payment_by_its_amount():
    lines = [
        line("big", 900, -100, payments=[Payment(900, day(-90))]),  # 10 days late
        line("small", 100, -100, payments=[Payment(100, day(-50))]),  # 50 days late
    ]
    assert compute_metrics(lines, TODAY).avg_days_late == (900 * 10 + 100 * 50) / 1000


def test_partial_payment_counts_for_lateness_but_the_invoice_is_not_paid():
    lines = [line("partial", 1000, -30, residual=600, payments=[Payment(400, day(-20))])]
    metrics = compute_metrics(lines, TODAY)
    assert metrics.paid_invoices == 0
    assert metrics.on_time_ratio is None
    assert metrics.avg_days_late == 10
    assert (metrics.overdue_amount, metrics.worst_days_overdue) == (600, 30)


def test_a_line_settled_by_a_credit_note_is_neither_paid_nor_late():
    # The caller gives only real payments: a credit note leaves the line without payments.
    lines = [line("credited", 500, -60, residual=0.0, payments=[])]
    metrics = compute_metrics(lines, TODAY)
    assert (metrics.paid_invoices, metrics.avg_days_late, metrics.worst_days_overdue) == (0, None, 0)


def test_multi_installment_invoice_is_on_time_only_when_every_installment_is():
    lines = [
        line("inv1-a", 500, -60, payments=[Payment(500, day(-60))], invoice="inv1"),
        line("inv1-b", 500, -30, payments=[Payment(500, day(-20))], invoice="inv1"),
        line("inv2-a", 500, -60, payments=[Payment(500, day(-61))], invoice="inv2"),
        line("inv2-b", 500, -30, payments=[Payment(500, day(-30))], invoice="inv2"),
    ]
    metrics = compute_metrics(lines, TODAY)
    assert metrics.paid_invoices == 2
    assert metrics.on_time_ratio == 0.5


def test_invoice_with_an_open_installment_is_not_paid():
    lines = [
        line("a", 500, -60, payments=[Payment(500, day(-60))], invoice="inv"),
        line("b", 500, 30, residual=500, invoice="inv"),
    ]
    metrics = compute_metrics(lines, TODAY)
    assert metrics.paid_invoices == 0
    assert (metrics.open_amount, metrics.overdue_amount) == (500, 0)


def test_payment_before_the_invoice_date_is_zero_days_late_never_negative():
    lines = [line("prepaid", 100, 30, payments=[Payment(100, day(-5))])]
    metrics = compute_metrics(lines, TODAY)
    assert (metrics.avg_days_late, metrics.on_time_ratio) == (0, 1.0)


def test_window_edge_is_included_and_older_payments_are_out():
    lines = [
        line("edge", 100, -400, payments=[Payment(100, day(-365))]),
        line("old", 100, -400, payments=[Payment(100, day(-366))]),
    ]
    metrics = compute_metrics(lines, TODAY, window_days=365)
    assert metrics.paid_invoices == 1
    assert metrics.avg_days_late == 35


def test_in_payment_invoices_count_as_paid_on_their_payment_date():
    # An invoice 'in payment' is reconciled with the payment already: its date is the payment's.
    lines = [line("in-payment", 300, -10, residual=0.0, payments=[Payment(300, day(-2))])]
    metrics = compute_metrics(lines, TODAY, grace_days=3)
    assert (metrics.paid_invoices, metrics.on_time_ratio, metrics.avg_days_late) == (1, 0.0, 8)


def test_reversed_moves_do_not_count():
    # A reversed invoice is settled by its reversal (not a payment) and has nothing open.
    metrics = compute_metrics([line("reversed", 800, -50, residual=0.0)], TODAY)
    assert (metrics.paid_invoices, metrics.worst_days_overdue, metrics.open_amount) == (0, 0, 0)


def test_tolerance_ignores_tiny_residuals_and_due_today_is_not_overdue():
    lines = [line("cents", 100, -200, residual=0.5), line("today", 100, 0, residual=100)]
    metrics = compute_metrics(lines, TODAY, tolerance=1.0)
    assert (metrics.worst_days_overdue, metrics.overdue_amount, metrics.open_amount) == (0, 0, 100)


def test_credit_use_needs_a_limit():
    assert compute_metrics([], TODAY, exposure=500, credit_limit=2000).credit_use == 0.25
    assert compute_metrics([], TODAY, exposure=500, credit_limit=0).credit_use is None


@given(
    amounts=st.lists(st.integers(min_value=1, max_value=10_000), min_size=1, max_size=6),
    delays=st.lists(st.integers(min_value=-60, max_value=300), min_size=6, max_size=6),
)
def test_average_days_late_is_between_the_smallest_and_largest_lateness(amounts, delays):
    lines = [
        line(f"l{index}", amount, -400, payments=[Payment(amount, day(-400 + delay))])
        for index, (amount, delay) in enumerate(zip(amounts, delays, strict=False))
    ]
    lateness = [max(0, delay) for delay in delays[: len(amounts)] if -400 + delay >= -365]
    metrics = compute_metrics(lines, TODAY)
    if lateness:
        assert min(lateness) - 1e-9 <= metrics.avg_days_late <= max(lateness) + 1e-9
    assert metrics.on_time_ratio is None or 0 <= metrics.on_time_ratio <= 1
