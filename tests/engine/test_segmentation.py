import pytest

from cobranza_engine.payment_behaviour import Metrics
from cobranza_engine.segmentation import (
    Segment,
    SegmentRuleError,
    classify,
    first_failed_condition,
    validate_conditions,
)

# The default segments shipped with the addon (data/cobranza_segment_data.xml).
NEW = Segment("new", 1, {"max_paid_invoices": 2, "max_worst_days_overdue": 30})
A = Segment(
    "A",
    10,
    {
        "min_paid_invoices": 3,
        "min_on_time_ratio": 0.9,
        "max_avg_days_late": 5,
        "max_worst_days_overdue": 15,
        "max_broken_promises": 0,
    },
)
B = Segment(
    "B", 20, {"min_on_time_ratio": 0.7, "max_avg_days_late": 15, "max_worst_days_overdue": 30, "max_broken_promises": 1}
)
C = Segment("C", 30, {"max_avg_days_late": 45, "max_worst_days_overdue": 90})
D = Segment("D", 40, {})
DEFAULTS = [D, C, B, A, NEW]  # order of the list does not matter, the sequence does


def metrics(**values):
    base = {"paid_invoices": 12, "on_time_ratio": 0.95, "avg_days_late": 2.0, "worst_days_overdue": 0}
    return Metrics(**{**base, **values})


def test_excellent_payer_is_a():
    result = classify(metrics(), DEFAULTS)
    assert result.segment_key == "A"
    assert {condition.condition for condition in result.conditions} == set(A.conditions)


def test_first_matching_segment_wins_in_sequence_order():
    # Meets B and C: B comes first.
    assert classify(metrics(on_time_ratio=0.8, avg_days_late=10), DEFAULTS).segment_key == "B"


def test_late_payer_falls_to_c_then_d():
    assert classify(metrics(on_time_ratio=0.3, avg_days_late=40, worst_days_overdue=60), DEFAULTS).segment_key == "C"
    assert classify(metrics(on_time_ratio=0.3, avg_days_late=40, worst_days_overdue=91), DEFAULTS).segment_key == "D"


def test_too_little_history_is_new_unless_already_seriously_late():
    assert classify(metrics(paid_invoices=0, on_time_ratio=None, avg_days_late=None), DEFAULTS).segment_key == "new"
    late_newcomer = metrics(paid_invoices=1, on_time_ratio=0.0, avg_days_late=20, worst_days_overdue=45)
    assert classify(late_newcomer, DEFAULTS).segment_key == "C"


def test_undefined_metric_does_not_satisfy_a_condition():
    no_ratio = metrics(paid_invoices=5, on_time_ratio=None)
    assert first_failed_condition(no_ratio, A).condition == "min_on_time_ratio"
    assert classify(no_ratio, [A, D]).segment_key == "D"


def test_bounds_are_inclusive():
    assert classify(metrics(on_time_ratio=0.9, avg_days_late=5, worst_days_overdue=15), DEFAULTS).segment_key == "A"
    assert classify(metrics(on_time_ratio=0.9, avg_days_late=5.01), DEFAULTS).segment_key == "B"


def test_broken_promises_drop_a_customer():
    assert classify(metrics(broken_promises=1), DEFAULTS).segment_key == "B"
    assert classify(metrics(broken_promises=2, on_time_ratio=0.8), DEFAULTS).segment_key == "C"


def test_no_segment_holding_returns_none():
    assert classify(metrics(worst_days_overdue=500), [A, B]).segment_key is None


def test_first_failed_condition_explains_why_not_better():
    failed = first_failed_condition(metrics(worst_days_overdue=20), A)
    assert (failed.condition, failed.bound, failed.value) == ("max_worst_days_overdue", 15, 20)
    assert first_failed_condition(metrics(), A) is None


@pytest.mark.parametrize(
    ("conditions", "reason"),
    [
        ({"max_speed": 1}, "unknown_condition"),
        ({"max_avg_days_late": -1}, "negative_bound"),
        ({"min_on_time_ratio": 1.5}, "ratio_out_of_range"),
        ({"min_paid_invoices": 5, "max_paid_invoices": 2}, "min_above_max"),
    ],
)
def test_impossible_rules_are_refused(conditions, reason):
    with pytest.raises(SegmentRuleError) as error:
        validate_conditions(conditions)
    assert error.value.reason == reason


def test_a_catch_all_segment_says_which_rules_of_the_segment_before_it_failed():
    from cobranza_engine.payment_behaviour import Metrics
    from cobranza_engine.segmentation import Segment, classify

    segments = [
        Segment("A", 1, {"min_on_time_ratio": 0.9}),
        Segment("C", 2, {"min_on_time_ratio": 0.5, "max_worst_days_overdue": 60}),
        Segment("D", 3, {}),
    ]
    metrics = Metrics(paid_invoices=10, on_time_ratio=0.3, worst_days_overdue=90)
    result = classify(metrics, segments)
    assert result.segment_key == "D"
    key, failed = result.closest_miss
    assert key == "C"
    assert {item.condition for item in failed} == {"min_on_time_ratio", "max_worst_days_overdue"}
    assert [key for key, _failed in result.missed] == ["A", "C"]
