from datetime import date, timedelta

import holidays
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cobranza_engine import bureau
from cobranza_engine.bureau import BureauError, BureauParams, LineFacts, line_state

SMMLV_2025 = bureau.SMMLV[2025]
PARAMS = BureauParams(smmlv=SMMLV_2025)
START = date(2025, 3, 1)  # the day after the due date
BIG = 5_000_000.0  # well above 15 % of the SMMLV: one notice
SMALL = 100_000.0  # below 15 % of the SMMLV (213,525): two notices


def facts(notices=(), amount=BIG, residual=None, **values):
    return LineFacts(START, amount, amount if residual is None else residual, tuple(notices), **values)


def days(offset):
    return START + timedelta(days=offset)


# Prior notice and the 20-day wait


def test_a_notice_makes_the_line_reportable_on_the_twentieth_day_not_the_nineteenth():
    sent = days(5)
    waiting = line_state(facts([sent]), sent + timedelta(days=19), PARAMS)
    assert (waiting.state, waiting.reasons) == ("noticed", ("waiting_period",))
    assert waiting.reportable_from == sent + timedelta(days=20)
    ready = line_state(facts([sent]), sent + timedelta(days=20), PARAMS)
    assert (ready.state, ready.reasons, ready.reportable_from) == ("reportable", (), sent + timedelta(days=20))


def test_the_wait_can_be_set_to_the_strict_reading_of_twenty_full_days():
    sent = days(5)
    strict = BureauParams(smmlv=SMMLV_2025, wait_days=21)
    assert line_state(facts([sent]), sent + timedelta(days=20), strict).state == "noticed"
    assert line_state(facts([sent]), sent + timedelta(days=21), strict).state == "reportable"


def test_a_newer_notice_restarts_the_wait():
    assert bureau.reportable_from([days(5), days(12)], BIG, SMMLV_2025) == days(32)


def test_without_notice_nothing_is_reportable():
    status = line_state(facts(), days(60), PARAMS)
    assert (status.state, status.reasons, status.reportable_from) == ("none", ("no_notice",), None)


def test_a_notice_sent_before_the_delinquency_started_does_not_count():
    status = line_state(facts([days(-3)]), days(60), PARAMS)
    assert (status.state, status.reasons) == ("none", ("no_notice",))


def test_a_line_not_yet_delinquent_is_not_reportable():
    status = line_state(facts([days(-3)]), days(-1), PARAMS)
    assert (status.state, status.reasons) == ("none", ("not_delinquent",))


def test_a_notice_dated_after_today_is_not_counted_yet():
    assert line_state(facts([days(10)]), days(9), PARAMS).reasons == ("no_notice",)


# Two notices for small obligations


def test_obligations_up_to_fifteen_percent_of_the_minimum_wage_need_two_notices_on_different_days():
    threshold = 213_525.0  # 15 % of 1,423,500
    assert bureau.notice_requirements(threshold, SMMLV_2025) == bureau.NoticeRequirement(2, True)
    assert bureau.notice_requirements(threshold + 1, SMMLV_2025) == bureau.NoticeRequirement(1, False)
    assert line_state(facts(amount=SMALL), days(1), PARAMS).notices_required == 2
    assert line_state(facts(), days(1), PARAMS).notices_required == 1


def test_two_notices_on_the_same_day_count_as_one():
    assert bureau.reportable_from([days(5), days(5)], SMALL, SMMLV_2025) is None
    status = line_state(facts([days(5), days(5)], amount=SMALL), days(60), PARAMS)
    assert (status.state, status.reasons, status.reportable_from) == ("noticed", ("second_notice_missing",), None)


def test_a_small_obligation_is_reportable_twenty_days_after_its_second_notice():
    notices = [days(5), days(9)]
    assert bureau.reportable_from(notices, SMALL, SMMLV_2025) == days(29)
    assert line_state(facts(notices, amount=SMALL), days(28), PARAMS).state == "noticed"
    assert line_state(facts(notices, amount=SMALL), days(29), PARAMS).state == "reportable"


def test_the_minimum_wage_comes_from_a_yearly_table_and_a_missing_year_is_an_error():
    assert bureau.smmlv_for(2024) == 1_300_000
    assert bureau.smmlv_for(2026, {2026: 1_750_905}) == 1_750_905
    with pytest.raises(BureauError) as error:
        bureau.smmlv_for(1999)
    assert error.value.reason == "unknown_smmlv_year"


@pytest.mark.parametrize(
    ("values", "reason"),
    [
        ({"smmlv": 0}, "non_positive_smmlv"),
        ({"smmlv": SMMLV_2025, "wait_days": -1}, "negative_wait_days"),
        ({"smmlv": SMMLV_2025, "max_report_months": 0}, "non_positive_max_report_months"),
    ],
)
def test_bad_parameters_are_refused_with_a_reason(values, reason):
    with pytest.raises(BureauError) as error:
        BureauParams(**values)
    assert error.value.reason == reason


# The 18-month cutoff


def test_a_first_report_is_possible_up_to_eighteen_months_after_the_delinquency_started():
    start = date(2025, 1, 10)
    line = LineFacts(start, BIG, BIG, (date(2025, 2, 1),))
    assert bureau.report_cutoff(start) == date(2026, 7, 10)
    assert line_state(line, date(2026, 7, 10), PARAMS).state == "reportable"
    status = line_state(line, date(2026, 7, 11), PARAMS)
    assert (status.state, status.reasons, status.reportable_from) == ("noticed", ("too_old",), None)


def test_a_wait_ending_after_the_cutoff_is_too_old_already():
    start = date(2025, 1, 10)
    line = LineFacts(start, BIG, BIG, (date(2026, 7, 1),))
    status = line_state(line, date(2026, 7, 5), PARAMS)
    assert (status.state, status.reasons) == ("noticed", ("too_old",))


def test_the_cutoff_falls_on_the_last_day_of_a_shorter_month():
    assert bureau.report_cutoff(date(2025, 8, 31)) == date(2027, 2, 28)


def test_without_the_company_cutoff_the_caducity_bounds_the_first_report():
    start = date(2017, 5, 2)
    assert bureau.report_cutoff(start, None) == date(2025, 5, 1)
    line = LineFacts(start, BIG, BIG, (date(2025, 4, 1),))
    no_cutoff = BureauParams(smmlv=SMMLV_2025, max_report_months=None)
    assert line_state(line, date(2025, 4, 21), no_cutoff).state == "reportable"
    assert line_state(line, date(2025, 5, 2), no_cutoff).reasons == ("too_old",)


# Stops


@pytest.mark.parametrize(
    ("values", "reason"),
    [
        ({"paid_date": date(2025, 3, 20)}, "paid"),
        ({"residual": 0.0}, "paid"),
        ({"in_dispute": True}, "in_dispute"),
        ({"under_agreement": True}, "under_agreement"),
        ({"covered_by_credits": True}, "covered_by_credits"),
    ],
)
def test_each_stop_cancels_the_notice(values, reason):
    status = line_state(facts([days(5)], **values), days(60), PARAMS)
    assert (status.state, status.reasons, status.reportable_from) == ("none", (reason,), None)


def test_several_stops_are_all_given():
    status = line_state(facts([days(5)], in_dispute=True, under_agreement=True), days(60), PARAMS)
    assert status.reasons == ("in_dispute", "under_agreement")


def test_once_a_stop_is_lifted_a_new_notice_and_a_new_wait_are_needed():
    lifted = {"stops_cleared_on": days(40)}
    assert line_state(facts([days(5)], **lifted), days(60), PARAMS).reasons == ("no_notice",)
    assert line_state(facts([days(5), days(40)], **lifted), days(60), PARAMS).reasons == ("no_notice",)
    renewed = facts([days(5), days(41)], **lifted)
    assert line_state(renewed, days(60), PARAMS).reasons == ("waiting_period",)
    assert line_state(renewed, days(61), PARAMS).state == "reportable"


def test_a_partial_payment_does_not_stop_the_timer():
    assert line_state(facts([days(5)], residual=BIG / 2), days(25), PARAMS).state == "reportable"


# After the report


def test_a_reported_line_without_changes_stays_reported():
    status = line_state(facts([days(5)], reported_on=days(30)), days(90), PARAMS)
    assert (status.state, status.reasons, status.reportable_from) == ("reported", (), days(25))


def test_a_reported_line_that_gets_paid_is_to_update_until_the_bureau_is_updated():
    paid = {"reported_on": days(30), "paid_date": days(70), "residual": 0.0}
    status = line_state(facts([days(5)], **paid), days(71), PARAMS)
    assert (status.state, status.reasons) == ("to_update", ("paid",))
    assert status.permanence_until == days(70) + timedelta(days=2 * 71)
    assert line_state(facts([days(5)], updated_on=days(72), **paid), days(90), PARAMS).state == "updated"


def test_an_updated_line_stays_updated_and_a_later_payment_needs_a_new_update():
    disputed = {"reported_on": days(30), "updated_on": days(40), "in_dispute": True}
    assert line_state(facts([days(5)], **disputed), days(90), PARAMS).state == "updated"
    settled = {"reported_on": days(30), "updated_on": days(40), "paid_date": days(80), "residual": 0.0}
    assert line_state(facts([days(5)], **settled), days(90), PARAMS).state == "to_update"
    assert line_state(facts([days(5)], reported_on=days(30), updated_on=days(40)), days(90), PARAMS).state == (
        "updated"
    )


@pytest.mark.parametrize(
    ("values", "reason"),
    [
        ({"in_dispute": True}, "in_dispute"),
        ({"under_agreement": True}, "under_agreement"),
        ({"covered_by_credits": True}, "covered_by_credits"),
    ],
)
def test_a_change_after_the_report_must_be_sent_to_the_bureau(values, reason):
    status = line_state(facts([days(5)], reported_on=days(30), **values), days(40), PARAMS)
    assert (status.state, status.reasons) == ("to_update", (reason,))


def test_a_report_made_before_the_notices_allowed_it_is_flagged():
    early = line_state(facts([days(5)], reported_on=days(24)), days(40), PARAMS)
    assert (early.state, early.reasons) == ("to_update", ("reported_without_notice",))
    unnoticed = line_state(facts(reported_on=days(24), updated_on=days(30)), days(40), PARAMS)
    assert (unnoticed.state, unnoticed.reasons) == ("to_update", ("reported_without_notice",))


def test_an_old_report_says_when_permanence_and_caducity_are_over():
    paid = facts([days(5)], reported_on=days(30), updated_on=days(41), paid_date=days(40), residual=0.0)
    status = line_state(paid, days(40 + 82), PARAMS)
    assert (status.state, status.reasons) == ("updated", ("paid", "permanence_ended"))
    unpaid = line_state(facts([days(5)], reported_on=days(30)), date(2033, 3, 1), PARAMS)
    assert (unpaid.state, unpaid.reasons, unpaid.caducity_date) == ("reported", ("caducity_reached",), date(2033, 3, 1))


# Permanence and caducity


def test_a_paid_obligation_stays_twice_the_time_of_delinquency():
    # Due on 28 Feb, delinquent from 1 Mar, paid on 10 Mar: 10 days late, 20 days of permanence.
    assert bureau.delinquency_days(date(2025, 3, 1), date(2025, 3, 10)) == 10
    assert bureau.permanence_until(date(2025, 3, 1), date(2025, 3, 10)) == date(2025, 3, 30)
    assert bureau.permanence_until(date(2025, 3, 1), date(2025, 3, 1)) == date(2025, 3, 3)


def test_permanence_is_at_most_four_years_from_the_payment():
    assert bureau.permanence_until(date(2020, 1, 1), date(2023, 1, 1)) == date(2027, 1, 1)


def test_permanence_never_goes_beyond_the_caducity():
    assert bureau.permanence_until(date(2018, 1, 1), date(2025, 6, 1)) == date(2026, 1, 1)


def test_an_unpaid_obligation_has_no_permanence_term_only_a_caducity_eight_years_on():
    assert bureau.permanence_until(START, None) is None
    assert bureau.caducity_date(date(2025, 3, 1)) == date(2033, 3, 1)
    status = line_state(facts([days(5)]), days(30), PARAMS)
    assert (status.permanence_until, status.caducity_date) == (None, date(2033, 3, 1))


def test_the_twenty_ninth_of_february_plus_years_is_the_twenty_eighth_in_a_common_year():
    assert bureau.add_years(date(2024, 2, 29), 1) == date(2025, 2, 28)
    assert bureau.add_years(date(2024, 2, 29), 4) == date(2028, 2, 29)
    assert bureau.caducity_date(date(2092, 2, 29)) == date(2100, 2, 28)  # 2100 is not a leap year
    assert bureau.permanence_until(date(2093, 1, 1), date(2096, 2, 29)) == date(2100, 2, 28)


# Claims: business days


def test_a_claim_is_answered_within_fifteen_business_days_skipping_weekends_and_holidays():
    co = holidays.country_holidays("CO", years=[2026, 2027])
    assert {date(2026, 12, 8), date(2026, 12, 25), date(2027, 1, 1), date(2027, 1, 11)} <= set(co)
    # Received Friday 4 Dec 2026: counting from Saturday, skipping 8 Dec and 25 Dec.
    assert bureau.business_day_deadline(date(2026, 12, 4)) == date(2026, 12, 29)
    assert bureau.claim_deadline(date(2026, 12, 4)) == date(2026, 12, 29)


def test_the_extension_adds_eight_business_days_across_new_year_and_epiphany():
    # 30, 31 Dec, 4-8 Jan (1 Jan a holiday), then 12 Jan (11 Jan is the Epiphany Monday).
    assert bureau.claim_deadline(date(2026, 12, 4), extended=True) == date(2027, 1, 12)
    assert bureau.business_day_deadline(date(2026, 12, 4), days=23) == date(2027, 1, 12)


def test_business_days_can_use_a_given_holiday_list():
    friday = date(2026, 3, 6)
    assert bureau.business_day_deadline(friday, 1, holiday_dates=()) == date(2026, 3, 9)
    assert bureau.business_day_deadline(friday, 1, holiday_dates={date(2026, 3, 9)}) == date(2026, 3, 10)
    assert bureau.business_day_deadline(friday, 0, holiday_dates=()) == friday
    with pytest.raises(BureauError):
        bureau.business_day_deadline(friday, -1)


# Properties

dates = st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31))
amounts = st.floats(min_value=1, max_value=10_000_000, allow_nan=False)


@given(st.lists(dates, max_size=5), amounts)
def test_reportable_from_is_never_before_the_last_required_notice_plus_twenty_days(notices, amount):
    result = bureau.reportable_from(notices, amount, SMMLV_2025)
    distinct = sorted(set(notices))
    required = bureau.notice_requirements(amount, SMMLV_2025).count
    if len(distinct) < required:
        assert result is None
    else:
        assert result >= distinct[required - 1] + timedelta(days=20)
        assert result == distinct[-1] + timedelta(days=20)


@given(dates, st.integers(min_value=-30, max_value=4000))
def test_permanence_is_twice_the_delinquency_capped_at_four_years_and_the_caducity(start, late):
    paid = start + timedelta(days=late)
    until = bureau.permanence_until(start, paid)
    assert until <= bureau.add_years(paid, 4)
    assert until <= bureau.caducity_date(start)
    twice = paid + timedelta(days=2 * bureau.delinquency_days(start, paid))
    assert until == min(twice, bureau.add_years(paid, 4), bureau.caducity_date(start))
    assert until >= min(paid, bureau.caducity_date(start))


@given(
    st.lists(st.integers(min_value=-10, max_value=400), max_size=4),
    amounts,
    st.integers(min_value=-10, max_value=700),
    st.booleans(),
    st.booleans(),
    st.booleans(),
    st.booleans(),
)
def test_a_line_is_reportable_only_when_no_stop_applies_and_the_wait_is_over(
    offsets, amount, today_offset, paid, disputed, agreed, covered
):
    line = facts(
        [days(offset) for offset in offsets],
        amount=amount,
        residual=0.0 if paid else amount,
        in_dispute=disputed,
        under_agreement=agreed,
        covered_by_credits=covered,
    )
    today = days(today_offset)
    status = line_state(line, today, PARAMS)
    assert status.state in bureau.STATES
    assert set(status.reasons) <= set(bureau.REASONS)
    if status.state == "reportable":
        assert not (paid or disputed or agreed or covered)
        assert status.reasons == ()
        assert status.reportable_from <= today <= bureau.report_cutoff(START)
        counted = sorted({day for day in line.notice_dates if START <= day <= today})
        assert len(counted) >= status.notices_required
        assert status.reportable_from >= counted[status.notices_required - 1] + timedelta(days=20)
    if paid or disputed or agreed or covered:
        assert status.state == "none"


@given(dates, st.integers(min_value=0, max_value=40), st.sets(dates, max_size=20))
def test_a_deadline_is_exactly_that_many_business_days_after_reception(received, count, holiday_set):
    deadline = bureau.business_day_deadline(received, count, holiday_dates=holiday_set)
    between = [received + timedelta(days=offset) for offset in range(1, (deadline - received).days + 1)]
    assert sum(1 for day in between if day.weekday() < 5 and day not in holiday_set) == count
    if count:
        assert deadline.weekday() < 5 and deadline not in holiday_set
