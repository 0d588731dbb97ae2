from datetime import date, datetime, time, timedelta, timezone
from functools import cache
from itertools import pairwise
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cobranza_engine import contact_rules as cr

UTC = timezone.utc
BOGOTA = ZoneInfo("America/Bogota")
SANTIAGO = ZoneInfo("America/Santiago")
LIMA = ZoneInfo("America/Lima")
MEXICO_CITY = ZoneInfo("America/Mexico_City")
ALL = frozenset(cr.CHANNELS)

CO = cr.Customer("CO", "America/Bogota", True, ALL)
CL = cr.Customer("CL", "America/Santiago", True, ALL)
PE = cr.Customer("PE", "America/Lima", True, ALL)
MX = cr.Customer("MX", "America/Mexico_City", True, ALL)


def at(zone, *parts):
    return datetime(*parts, tzinfo=zone)


def sent(zone, *parts, channel="email", reached=True, **values):
    return cr.Contact(at(zone, *parts), channel, reached, **values)


def local(slot, zone):
    return slot.astimezone(zone).replace(tzinfo=None)


# --- An independent restatement of the calendars, to check the engine against -------------------------------

CO_DAYS = {0: (7, 19), 1: (7, 19), 2: (7, 19), 3: (7, 19), 4: (7, 19), 5: (8, 15)}
CL_DAYS = dict.fromkeys(range(6), (8, 20))
SPEC = {  # country: ({group: {weekday: (opens, closes)} or None for any time}, groups closed on holidays)
    "CO": ({"voice": CO_DAYS, "written": CO_DAYS}, {"voice", "written"}),
    "CL": ({"voice": CL_DAYS, "written": CL_DAYS}, {"voice", "written"}),
    "PE": ({"voice": dict.fromkeys(range(5), (7, 20)), "written": None}, {"voice"}),
    "MX": ({"voice": dict.fromkeys(range(7), (7, 22)), "written": dict.fromkeys(range(7), (7, 22))}, set()),
    "AR": ({"voice": CO_DAYS, "written": CO_DAYS}, {"voice", "written"}),  # an unknown country: the default
}


@cache
def holidays_of(country, year):
    return frozenset(holidays.country_holidays(country, years=year))


def open_by_spec(country, channel, moment, zone):
    """Whether the law's calendar (not the engine's) lets ``channel`` reach the customer at ``moment``."""
    if channel == "letter":
        return True
    group = "voice" if channel in ("call", "visit") else "written"
    hours, holiday_groups = SPEC[country]
    wall = moment.astimezone(zone)
    if group in holiday_groups and wall.date() in holidays_of(country, wall.year):
        return False
    days = hours[group]
    if days is None:
        return True
    if wall.weekday() not in days:
        return False
    opens, closes = days[wall.weekday()]
    return opens * 60 <= wall.hour * 60 + wall.minute < closes * 60


def counted(history, count_attempts):
    return [
        contact
        for contact in history
        if contact.direction == "outbound" and not contact.requested_by_customer and (contact.reached or count_attempts)
    ]


def assert_earliest(channel, now, slot, customer, history, gate_settings, step=timedelta(minutes=60)):
    """No instant before ``slot`` (from ``now``, on a coarse grid plus the boundaries) is allowed."""
    assert slot >= now
    probes = [now]
    grid = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0) + step
    while grid < slot:
        probes.append(grid)
        grid += step
    if slot - timedelta(seconds=1) >= now:
        probes += [slot - timedelta(minutes=1), slot - timedelta(seconds=1)]
    for probe in probes:
        if probe < now or probe >= slot:
            continue
        assert cr.blocks(channel, probe, customer, history, gate_settings), probe


# --- Examples -------------------------------------------------------------------------------------------------


def test_bogota_friday_evening_is_deferred_to_saturday_eight():
    decision = cr.decide("email", at(BOGOTA, 2026, 11, 20, 20), CO)
    assert (decision.allowed, decision.reasons, decision.pack) == (False, ("outside_hours",), "CO")
    assert decision.slot == datetime(2026, 11, 21, 13, tzinfo=UTC)
    assert decision.slot.tzinfo is UTC


def test_bogota_saturday_afternoon_is_deferred_to_monday_seven_or_tuesday_after_a_holiday_monday():
    assert local(cr.decide("call", at(BOGOTA, 2026, 11, 21, 16), CO).slot, BOGOTA) == datetime(2026, 11, 23, 7)
    # Monday 2026-11-16 is a holiday (Independencia de Cartagena, moved to Monday).
    assert local(cr.decide("call", at(BOGOTA, 2026, 11, 14, 16), CO).slot, BOGOTA) == datetime(2026, 11, 17, 7)


def test_bogota_sunday_is_deferred_to_monday_seven():
    decision = cr.decide("whatsapp", at(BOGOTA, 2026, 11, 22, 10), CO)
    assert decision.reasons == ("sunday",)
    assert local(decision.slot, BOGOTA) == datetime(2026, 11, 23, 7)


def test_christmas_eve_evening_in_bogota_is_deferred_past_christmas_to_saturday_eight():
    decision = cr.decide("sms", at(BOGOTA, 2026, 12, 24, 20), CO)
    assert local(decision.slot, BOGOTA) == datetime(2026, 12, 26, 8)
    assert cr.decide("sms", at(BOGOTA, 2026, 12, 25, 10), CO).reasons == ("holiday",)


@pytest.mark.parametrize(
    ("holiday", "next_open"),
    [
        (date(2026, 1, 12), datetime(2026, 1, 13, 7)),  # Reyes Magos, moved to Monday (Ley Emiliani)
        (date(2026, 3, 23), datetime(2026, 3, 24, 7)),  # San José, moved to Monday (Ley Emiliani)
        (date(2026, 12, 8), datetime(2026, 12, 9, 7)),  # Inmaculada Concepción
    ],
)
def test_colombian_public_holidays_from_the_holidays_library_are_closed(holiday, next_open):
    decision = cr.decide("call", datetime.combine(holiday, time(10), BOGOTA), CO)
    assert decision.reasons == ("holiday",)
    assert local(decision.slot, BOGOTA) == next_open
    assert cr.window_start(holiday, "call", CO) is None


def test_colombia_a_second_channel_in_the_week_is_deferred_to_next_monday_seven():
    history = (sent(BOGOTA, 2026, 11, 23, 10, channel="email"),)
    decision = cr.decide("call", at(BOGOTA, 2026, 11, 25, 10), CO, history)
    assert decision.reasons == ("other_channel_this_week",)
    assert local(decision.slot, BOGOTA) == datetime(2026, 11, 30, 7)
    assert cr.decide("email", at(BOGOTA, 2026, 11, 25, 10), CO, history).allowed


def test_colombia_one_contact_a_day_whatever_the_channel():
    history = (sent(BOGOTA, 2026, 11, 23, 8, channel="email"),)
    decision = cr.decide("email", at(BOGOTA, 2026, 11, 23, 12), CO, history)
    assert decision.reasons == ("daily_limit",)
    assert local(decision.slot, BOGOTA) == datetime(2026, 11, 24, 7)


def test_colombia_a_contact_queued_later_in_the_week_blocks_another_channel_earlier():
    history = (sent(BOGOTA, 2026, 11, 27, 9, channel="sms"),)
    decision = cr.decide("email", at(BOGOTA, 2026, 11, 24, 9), CO, history)
    assert decision.reasons == ("other_channel_this_week",)
    assert local(decision.slot, BOGOTA) == datetime(2026, 11, 30, 7)


def test_a_contact_the_customer_requested_is_neither_blocked_nor_counted():
    history = (
        sent(BOGOTA, 2026, 11, 23, 8, channel="call", requested_by_customer=True),
        sent(BOGOTA, 2026, 11, 23, 9, channel="whatsapp", direction="inbound"),
    )
    assert cr.decide("email", at(BOGOTA, 2026, 11, 23, 12), CO, history).allowed
    reply = cr.decide("whatsapp", at(BOGOTA, 2026, 11, 22, 23), CO, requested_by_customer=True)
    assert (reply.allowed, reply.reasons) == (True, ())
    no_consent = cr.Customer("CO", "America/Bogota", True, frozenset())
    assert cr.decide("call", at(BOGOTA, 2026, 11, 22, 23), no_consent, requested_by_customer=True).allowed


def test_a_company_is_not_covered_unless_the_settings_apply_the_rules_to_businesses():
    company = cr.Customer("CO", "America/Bogota", is_consumer=False, authorised_channels=None)
    sunday_night = at(BOGOTA, 2026, 11, 22, 23)
    decision = cr.decide("call", sunday_night, company)
    assert decision == cr.Decision(True, sunday_night.astimezone(UTC), (), None)
    covered = cr.decide("call", sunday_night, company, settings=cr.GateSettings(apply_to_businesses=True))
    assert (covered.allowed, covered.slot, covered.reasons) == (False, None, ("no_consent",))
    consenting = cr.Customer("CO", "America/Bogota", False, ALL)
    covered = cr.decide("call", sunday_night, consenting, settings=cr.GateSettings(apply_to_businesses=True))
    assert local(covered.slot, BOGOTA) == datetime(2026, 11, 23, 7)
    assert cr.window_start(date(2026, 11, 22), "call", company) == at(BOGOTA, 2026, 11, 22, 0)


def test_colombia_a_channel_without_consent_is_refused_without_a_slot():
    email_only = cr.Customer("CO", "America/Bogota", True, frozenset({"email"}))
    decision = cr.decide("sms", at(BOGOTA, 2026, 11, 23, 10), email_only)
    assert decision == cr.Decision(False, None, ("no_consent",), "CO")
    assert cr.next_allowed_slot("sms", at(BOGOTA, 2026, 11, 23, 10), email_only) is None
    assert cr.blocks("sms", at(BOGOTA, 2026, 11, 23, 10), email_only) == ("no_consent",)
    assert cr.decide("email", at(BOGOTA, 2026, 11, 23, 10), email_only).allowed
    not_recorded = cr.Customer("CO", "America/Bogota", True, None)
    assert cr.decide("email", at(BOGOTA, 2026, 11, 23, 10), not_recorded).reasons == ("no_consent",)


def test_consent_not_recorded_does_not_block_where_the_pack_does_not_require_consent():
    for customer, zone in (
        (cr.Customer("MX", "America/Mexico_City"), MEXICO_CITY),
        (cr.Customer("CL", None), SANTIAGO),
    ):
        assert cr.decide("email", at(zone, 2026, 11, 23, 10), customer).allowed


def test_unanswered_attempts_do_not_count_when_the_settings_count_only_reached_contacts():
    history = (sent(BOGOTA, 2026, 11, 23, 8, channel="call", reached=False),)
    now = at(BOGOTA, 2026, 11, 23, 15)
    assert cr.decide("call", now, CO, history).reasons == ("daily_limit",)
    assert cr.decide("email", now, CO, history).reasons == ("daily_limit", "other_channel_this_week")
    only_reached = cr.GateSettings(count_attempts=False)
    assert cr.decide("call", now, CO, history, only_reached).allowed
    assert cr.decide("email", now, CO, history, only_reached).allowed


def test_chile_a_third_written_contact_in_the_week_is_deferred_to_next_week():
    history = (sent(SANTIAGO, 2026, 11, 9, 10), sent(SANTIAGO, 2026, 11, 11, 10, channel="sms"))
    decision = cr.decide("email", at(SANTIAGO, 2026, 11, 13, 10), CL, history)
    assert (decision.reasons, decision.pack) == (("weekly_written_limit",), "CL")
    assert local(decision.slot, SANTIAGO) == datetime(2026, 11, 16, 8)


def test_chile_written_contacts_at_least_two_days_apart_letters_included():
    history = (sent(SANTIAGO, 2026, 11, 9, 10, channel="letter"),)
    decision = cr.decide("email", at(SANTIAGO, 2026, 11, 10, 10), CL, history)
    assert decision.reasons == ("written_too_soon",)
    assert local(decision.slot, SANTIAGO) == datetime(2026, 11, 11, 8)
    # The interval holds across weeks: a letter issued on a Sunday holds Monday's e-mail.
    sunday_letter = (sent(SANTIAGO, 2026, 11, 15, 10, channel="letter"),)
    decision = cr.decide("email", at(SANTIAGO, 2026, 11, 16, 9), CL, sunday_letter)
    assert (decision.reasons, local(decision.slot, SANTIAGO)) == (("written_too_soon",), datetime(2026, 11, 17, 8))
    assert cr.decide("sms", at(SANTIAGO, 2026, 11, 16, 9), CL, (sent(SANTIAGO, 2026, 11, 14, 10),)).allowed


def test_chile_one_call_or_visit_a_week_apart_from_the_written_ones():
    history = (sent(SANTIAGO, 2026, 11, 9, 10, channel="call"),)
    decision = cr.decide("visit", at(SANTIAGO, 2026, 11, 12, 10), CL, history)
    assert decision.reasons == ("weekly_voice_limit",)
    assert local(decision.slot, SANTIAGO) == datetime(2026, 11, 16, 8)
    assert cr.decide("email", at(SANTIAGO, 2026, 11, 9, 11), CL, history).allowed


def test_chile_monday_to_saturday_eight_to_eight_and_never_on_holidays():
    assert cr.decide("call", at(SANTIAGO, 2026, 11, 14, 19, 59), CL).allowed
    assert cr.decide("call", at(SANTIAGO, 2026, 11, 14, 20), CL).reasons == ("outside_hours",)
    assert cr.decide("call", at(SANTIAGO, 2026, 11, 15, 10), CL).reasons == ("sunday",)
    # 2026-09-18 and 19 (Fiestas Patrias) are holidays, the 20th a Sunday.
    assert local(cr.decide("call", at(SANTIAGO, 2026, 9, 17, 21), CL).slot, SANTIAGO) == datetime(2026, 9, 21, 8)


def test_chile_keeps_the_contact_log_two_years():
    assert cr.CHILE.log_retention_days == 730
    assert {pack.log_retention_days for pack in (cr.COLOMBIA, cr.PERU, cr.MEXICO, cr.DEFAULT)} == {None}


def test_peru_a_call_on_saturday_is_deferred_to_monday_seven_but_an_email_is_allowed():
    saturday = at(LIMA, 2026, 11, 14, 10)
    decision = cr.decide("call", saturday, PE)
    assert (decision.reasons, decision.pack) == (("saturday",), "PE")
    assert local(decision.slot, LIMA) == datetime(2026, 11, 16, 7)
    assert cr.decide("email", saturday, PE).allowed
    assert cr.decide("sms", at(LIMA, 2026, 11, 15, 23, 30), PE).allowed


def test_peru_calls_between_seven_and_eight_pm_on_working_days_and_not_on_holidays():
    assert cr.decide("call", at(LIMA, 2026, 11, 17, 19, 59), PE).allowed
    late = cr.decide("visit", at(LIMA, 2026, 11, 17, 20), PE)
    assert (late.reasons, local(late.slot, LIMA)) == (("outside_hours",), datetime(2026, 11, 18, 7))
    # 2026-12-08 and 09 are Peruvian holidays; e-mail is not held by them.
    assert local(cr.decide("call", at(LIMA, 2026, 12, 8, 10), PE).slot, LIMA) == datetime(2026, 12, 10, 7)
    assert cr.decide("email", at(LIMA, 2026, 12, 8, 10), PE).allowed


def test_mexico_eleven_pm_is_deferred_to_seven_next_morning_any_day():
    decision = cr.decide("call", at(MEXICO_CITY, 2026, 11, 18, 23), MX)
    assert (decision.reasons, decision.pack) == (("outside_hours",), "MX")
    assert local(decision.slot, MEXICO_CITY) == datetime(2026, 11, 19, 7)
    assert cr.decide("call", at(MEXICO_CITY, 2026, 11, 22, 10), MX).allowed  # a Sunday
    assert cr.decide("call", at(MEXICO_CITY, 2026, 11, 16, 10), MX).allowed  # a holiday
    assert cr.decide("sms", at(MEXICO_CITY, 2026, 11, 18, 21, 59), MX).allowed


def test_mexico_hours_follow_the_zone_with_and_without_daylight_saving():
    # Mexico City kept daylight saving time until 2022.
    assert cr.decide("call", at(MEXICO_CITY, 2021, 7, 1, 6), MX).slot == datetime(2021, 7, 1, 12, tzinfo=UTC)
    assert cr.decide("call", at(MEXICO_CITY, 2023, 7, 1, 6), MX).slot == datetime(2023, 7, 1, 13, tzinfo=UTC)
    tijuana = cr.Customer("MX", "America/Tijuana", True, ALL)
    assert cr.decide("call", datetime(2026, 7, 1, 13, tzinfo=UTC), tijuana).slot == datetime(2026, 7, 1, 14, tzinfo=UTC)


def test_chile_daylight_saving_change_moves_the_utc_opening():
    decision = cr.decide("call", at(SANTIAGO, 2026, 9, 5, 21), CL)  # Saturday night; clocks go forward at midnight
    assert decision.slot == datetime(2026, 9, 7, 11, tzinfo=UTC)  # Monday 08:00 -03 (it was -04 on Saturday)


def test_a_window_opening_inside_a_daylight_saving_gap_opens_at_the_transition():
    customer = cr.Customer("PE", "America/Santiago", True, ALL)  # midnight of 2026-09-06 does not exist there
    assert cr.window_start(date(2026, 9, 6), "email", customer) == datetime(2026, 9, 6, 4, tzinfo=UTC)
    abroad = cr.Customer("CO", "America/Santiago", True, ALL)
    history = (sent(SANTIAGO, 2026, 9, 5, 10, channel="letter"),)
    slot = cr.next_allowed_slot("letter", at(SANTIAGO, 2026, 9, 5, 23, 30), abroad, history)
    assert slot == datetime(2026, 9, 6, 4, tzinfo=UTC)  # 01:00 -03, the first instant of Sunday there


def test_letters_have_no_time_of_day_but_count_as_a_written_contact():
    sunday_night = at(BOGOTA, 2026, 11, 22, 23)
    assert cr.decide("letter", sunday_night, CO).allowed
    assert cr.decide("letter", at(BOGOTA, 2026, 12, 25, 3), CO).allowed
    history = (sent(BOGOTA, 2026, 11, 23, 2, channel="letter"),)
    decision = cr.decide("email", at(BOGOTA, 2026, 11, 24, 10), CO, history)
    assert decision.reasons == ("other_channel_this_week",)
    blocked_letter = cr.decide("letter", at(BOGOTA, 2026, 11, 23, 3), CO, history)
    assert (blocked_letter.reasons, local(blocked_letter.slot, BOGOTA)) == (("daily_limit",), datetime(2026, 11, 24))
    assert cr.window_start(date(2026, 11, 22), "letter", CO) == at(BOGOTA, 2026, 11, 22, 0)


def test_window_start_gives_the_local_opening_in_utc_or_none_on_closed_days():
    assert cr.window_start(date(2026, 11, 21), "email", CO) == datetime(2026, 11, 21, 13, tzinfo=UTC)
    assert cr.window_start(date(2026, 11, 23), "email", CO) == datetime(2026, 11, 23, 12, tzinfo=UTC)
    assert cr.window_start(date(2026, 11, 22), "email", CO) is None
    assert cr.window_start(date(2026, 11, 14), "call", PE) is None
    assert cr.window_start(date(2026, 11, 14), "email", PE) == datetime(2026, 11, 14, 5, tzinfo=UTC)
    assert cr.window_start(date(2026, 11, 16), "call", MX) == datetime(2026, 11, 16, 13, tzinfo=UTC)


def test_an_unknown_country_gets_the_colombian_practice_without_consent_and_with_its_own_holidays():
    customer = cr.Customer("AR", "America/Argentina/Buenos_Aires")
    zone = ZoneInfo("America/Argentina/Buenos_Aires")
    assert cr.pack_for("AR") is cr.DEFAULT and cr.pack_for(None) is cr.DEFAULT
    assert cr.decide("email", at(zone, 2026, 11, 24, 10), customer).pack == "DEFAULT"
    holiday = cr.decide("email", at(zone, 2026, 5, 25, 10), customer)  # Revolución de Mayo
    assert (holiday.reasons, local(holiday.slot, zone)) == (("holiday",), datetime(2026, 5, 26, 7))
    history = (sent(zone, 2026, 11, 24, 8, channel="sms"),)
    assert cr.decide("email", at(zone, 2026, 11, 25, 10), customer, history).reasons == ("other_channel_this_week",)
    nowhere = cr.Customer("ZZ", "UTC")
    assert cr.decide("email", datetime(2026, 11, 24, 10, tzinfo=UTC), nowhere).allowed


def test_packs_are_selected_by_country_and_main_zones_are_known():
    assert cr.pack_for("co") is cr.COLOMBIA and cr.pack_for("CL") is cr.CHILE
    assert cr.pack_for("PE") is cr.PERU and cr.pack_for("MX") is cr.MEXICO
    assert [cr.default_timezone(code) for code in ("CO", "CL", "PE", "MX", "AR", None)] == [
        "America/Bogota",
        "America/Santiago",
        "America/Lima",
        "America/Mexico_City",
        None,
        None,
    ]
    assert cr.channel_group("visit") == "voice" and cr.channel_group("letter") == "written"


def test_no_slot_within_the_search_horizon_is_said():
    history = tuple(
        cr.Contact(at(BOGOTA, 2026, 11, 23, 10) + timedelta(days=offset), "email", True) for offset in range(62)
    )
    decision = cr.decide("email", at(BOGOTA, 2026, 11, 23, 12), CO, history)
    assert (decision.allowed, decision.slot, decision.reasons) == (False, None, ("daily_limit", "no_slot"))


def test_naive_datetimes_unknown_channels_and_missing_zones_are_refused():
    with pytest.raises(ValueError):
        cr.decide("email", datetime(2026, 11, 23, 10), CO)
    with pytest.raises(ValueError):
        cr.decide("email", at(BOGOTA, 2026, 11, 23, 10), CO, (cr.Contact(datetime(2026, 11, 23, 8), "sms", True),))
    with pytest.raises(ValueError):
        cr.decide("fax", at(BOGOTA, 2026, 11, 23, 10), CO)
    with pytest.raises(ValueError):
        cr.decide("email", at(BOGOTA, 2026, 11, 23, 10), cr.Customer("AR", None))
    assert cr.decide("email", at(BOGOTA, 2026, 11, 23, 10), cr.Customer("CO", None, True, ALL)).allowed


# --- Properties -----------------------------------------------------------------------------------------------

COUNTRIES = ("CO", "CL", "PE", "MX", "AR")
ZONES = (
    "America/Bogota",
    "America/Santiago",
    "America/Lima",
    "America/Mexico_City",
    "America/Tijuana",
    "America/New_York",
    "Europe/Madrid",
    "America/Havana",
    "Asia/Kolkata",
)
moments = st.datetimes(min_value=datetime(2021, 1, 1), max_value=datetime(2027, 11, 30), timezones=st.just(UTC))
customers = st.builds(
    lambda country, zone: cr.Customer(country, zone, True, ALL), st.sampled_from(COUNTRIES), st.sampled_from(ZONES)
)
channels = st.sampled_from(cr.CHANNELS)


@settings(max_examples=150, deadline=None)
@given(customers, channels, moments)
def test_an_allowed_contact_or_a_slot_is_never_outside_the_law_calendar_and_the_slot_is_the_earliest(
    customer, channel, now
):
    zone = ZoneInfo(customer.tz_name)
    decision = cr.decide(channel, now, customer)
    assert decision.slot is not None
    assert open_by_spec(customer.country_code, channel, decision.slot, zone)
    if decision.allowed:
        assert decision.slot == now and decision.reasons == ()
    else:
        assert decision.reasons and decision.slot > now
        assert not open_by_spec(customer.country_code, channel, now, zone)
        assert_earliest(channel, now, decision.slot, customer, (), cr.GateSettings(), step=timedelta(minutes=30))
    assert cr.decide(channel, decision.slot, customer) == cr.Decision(True, decision.slot, (), decision.pack)


@settings(max_examples=80, deadline=None)
@given(customers, channels, st.dates(min_value=date(2021, 1, 1), max_value=date(2027, 12, 31)))
def test_window_start_is_the_first_open_instant_of_the_day_or_none_when_the_day_is_closed(customer, channel, day):
    zone = ZoneInfo(customer.tz_name)
    start = cr.window_start(day, channel, customer)
    noon = datetime.combine(day, time(12), zone)
    if start is None:
        assert not any(
            open_by_spec(customer.country_code, channel, noon.replace(hour=hour), zone) for hour in range(24)
        )
        return
    assert start.astimezone(zone).date() == day
    assert open_by_spec(customer.country_code, channel, start, zone)
    before = start - timedelta(seconds=1)
    assert before.astimezone(zone).date() < day or not open_by_spec(customer.country_code, channel, before, zone)


actions = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=3 * 24 * 60),  # minutes since the previous action
        channels,
        st.booleans(),  # reached
        st.sampled_from(("normal", "normal", "normal", "requested", "inbound")),
        st.booleans(),  # a deferred action is carried out at its slot
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(("CO", "CO", "CL", "CL", "PE", "MX", "AR")),
    st.sampled_from(ZONES),
    moments,
    actions,
    st.booleans(),
)
def test_a_run_of_contacts_through_the_gate_never_breaks_the_caps_and_every_deferral_is_the_earliest_slot(
    country, zone_name, start, steps, count_attempts
):
    zone = ZoneInfo(zone_name)
    customer = cr.Customer(country, zone_name, True, ALL)
    gate_settings = cr.GateSettings(count_attempts=count_attempts)
    history = []
    now = start
    for minutes, channel, reached, kind, follow in steps:
        now += timedelta(minutes=minutes)
        if kind == "inbound":
            history.append(cr.Contact(now, channel, True, direction="inbound"))
            continue
        requested = kind == "requested"
        decision = cr.decide(channel, now, customer, tuple(history), gate_settings, requested_by_customer=requested)
        if decision.allowed:
            assert decision.slot == now
            history.append(cr.Contact(now, channel, reached, requested_by_customer=requested))
            continue
        assert decision.slot is not None, decision
        assert cr.blocks(channel, decision.slot, customer, tuple(history), gate_settings) == ()
        assert cr.decide(channel, decision.slot, customer, tuple(history), gate_settings).allowed
        assert_earliest(channel, now, decision.slot, customer, tuple(history), gate_settings)
        if follow:
            history.append(cr.Contact(decision.slot, channel, reached))

    kept = counted(history, count_attempts)
    for contact in kept:
        assert open_by_spec(country, contact.channel, contact.when, zone)
    days = [contact.when.astimezone(zone).date() for contact in kept]
    weeks = [day - timedelta(days=day.weekday()) for day in days]
    if country in ("CO", "AR"):
        assert len(set(days)) == len(days), "two counted contacts on one local day"
        for week in set(weeks):
            assert len({c.channel for c, w in zip(kept, weeks, strict=True) if w == week}) == 1, "two channels a week"
    if country == "CL":
        written = sorted(day for c, day in zip(kept, days, strict=True) if cr.channel_group(c.channel) == "written")
        voice = [day for c, day in zip(kept, days, strict=True) if cr.channel_group(c.channel) == "voice"]
        assert all(later - earlier >= timedelta(days=2) for earlier, later in pairwise(written))
        for week in set(weeks):
            assert sum(1 for day in written if day - timedelta(days=day.weekday()) == week) <= 2
            assert sum(1 for day in voice if day - timedelta(days=day.weekday()) == week) <= 1
