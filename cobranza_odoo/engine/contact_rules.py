"""When the customer may be contacted: the contact-rules gate (rule packs as code).

Every outbound action (e-mail, SMS, WhatsApp, call, visit, printed letter) asks the gate first.
The answer is *allowed now*, *deferred* to the earliest instant where every rule holds, or
*refused* (no consent: final, no slot). Hours and days are read in the customer's time zone;
public holidays come from the ``holidays`` library for the customer's country (national
holidays, no regional ones); slots are returned in UTC.

Rule packs (one per country, chosen by ``pack_for``; the sources are on each pack below)

* **Colombia** — Ley 2300 de 2023 ("dejen de fregar"), art. 3: only the channels the consumer
  authorised; Monday to Friday 07:00–19:00, Saturday 08:00–15:00, never on Sundays nor public
  holidays; once contact was made, at most one contact a day and not through more than one channel
  in the same week.
* **Chile** — Ley 19.496 art. 37 as amended by Ley 21.320 (2021): at most one call or visit a
  week; other means (letters by post, SMS, e-mail, instant messaging) at most twice a week, at
  least two days apart; business days and hours of art. 59 of the Código de Procedimiento Civil:
  Monday to Saturday 08:00–20:00, never on Sundays nor holidays. The statute ties the hours to
  calls and visits; the pack holds written channels to them too (conservative). The contact log
  must be kept at least two years (``log_retention_days`` = 730).
* **Peru** — Ley 29571 (Código de Protección y Defensa del Consumidor), art. 62: no calls or
  visits between 20:00 and 07:00, nor on Saturdays, Sundays or public holidays. Our reading:
  art. 62 restricts *calls and visits* only, so written channels are free of hours and days there.
* **Mexico** — CONDUSEF, Disposiciones de carácter general aplicables a las entidades financieras
  en materia de despachos de cobranza: contact only between 07:00 and 22:00 in the debtor's time
  zone, any day (the rule names no closed days nor frequency cap, so the pack has none).
* **Default** (any other country) — the product's defaults follow Colombian practice for hours,
  days and frequency (with that country's holidays when the library knows it); consent is not
  required, since no law asks for it there.

Common rules

* Weeks are calendar weeks, Monday to Sunday in the customer's zone; days are local dates.
* The caps count the history's *outbound* contacts that the customer did not ask for; an
  unanswered attempt counts unless ``GateSettings.count_attempts`` is off (then only reached
  contacts count). Every contact of the history counts, before or after the instant asked about,
  so a contact already queued later in the week also blocks; "two days apart" is checked both ways.
* A contact the customer asked for (a reply to their own request, ``requested_by_customer``)
  is never blocked and never counts — not even for consent: asking through a channel authorises it.
* A customer that is not a consumer is not covered (everything allowed, ``pack`` None) unless
  ``GateSettings.apply_to_businesses``.
* Consent: ``Customer.authorised_channels`` None means "consent not recorded". A pack that
  requires consent (Colombia) refuses every channel then, and any channel outside the set; a
  pack that does not require it ignores the set.
* Letters are printed by the run and delivered by the post: they have no time of day, so hours,
  closed days and holidays never defer them. They are a written contact for every cap (daily cap,
  one channel a week, Chile's two written a week two days apart), counted on the local date they
  were issued (``Contact.when``).
* Deferral: the slot is the earliest instant, at or after the one asked about and within
  ``SEARCH_DAYS`` days, where every rule holds with the same history (it passes ``decide``);
  none found → not allowed, slot None, reason ``no_slot``. The search walks day by day and tries
  only the window's opening (or the instant asked about on its own day). Hours are wall-clock
  times of the customer's zone (``zoneinfo``: DST included); an opening that falls in a DST gap
  opens at the transition.

Reason codes: no_consent, sunday, saturday, closed_day (another weekday closed by the pack),
holiday, outside_hours, daily_limit, other_channel_this_week, weekly_voice_limit,
weekly_written_limit, written_too_soon, no_slot.
"""

from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

EMAIL, SMS, WHATSAPP, CALL, VISIT, LETTER = "email", "sms", "whatsapp", "call", "visit", "letter"
CHANNELS = (EMAIL, SMS, WHATSAPP, CALL, VISIT, LETTER)
VOICE, WRITTEN = "voice", "written"
VOICE_CHANNELS = frozenset({CALL, VISIT})
WRITTEN_CHANNELS = frozenset({EMAIL, SMS, WHATSAPP, LETTER})
UNTIMED_CHANNELS = frozenset({LETTER})  # no time of day: hours, closed days and holidays do not apply
SEARCH_DAYS = 60
UTC = timezone.utc

MAIN_ZONES = {"CO": "America/Bogota", "CL": "America/Santiago", "PE": "America/Lima", "MX": "America/Mexico_City"}
_DAY_NAMES = {5: "saturday", 6: "sunday"}


def channel_group(channel):
    """``voice`` (call, visit) or ``written`` (e-mail, SMS, WhatsApp, letter); ValueError otherwise."""
    if channel in VOICE_CHANNELS:
        return VOICE
    if channel in WRITTEN_CHANNELS:
        return WRITTEN
    raise ValueError(f"unknown channel: {channel!r}")


@dataclass(frozen=True)
class Window:
    """Open from ``start`` (included) to ``end`` (excluded), wall-clock times; ``end`` None = midnight."""

    start: time
    end: time | None = None

    def contains(self, moment):
        return self.start <= moment and (self.end is None or moment < self.end)


ALL_DAY = Window(time(0))


def _week(weekdays, saturday=None, sunday=None):
    """Seven windows, Monday first: ``weekdays`` Monday to Friday; None = closed that day."""
    return (weekdays,) * 5 + (saturday, sunday)


@dataclass(frozen=True)
class RulePack:
    """The rules of one country.

    ``voice_hours`` / ``written_hours``: seven windows, Monday first (None = the day is closed), or
    None for "any time, any day". ``skip_holidays``: the channel groups closed on public holidays.
    Caps (None = no cap): ``max_per_day`` contacts on one local date, any channel;
    ``max_voice_per_week`` / ``max_written_per_week`` per calendar week; ``min_days_between_written``:
    local dates of two written contacts at least that many days apart (2: Monday then Wednesday;
    3 would be the stricter reading "two full days between").
    """

    code: str
    source: str
    voice_hours: tuple | None
    written_hours: tuple | None
    skip_holidays: frozenset = frozenset({VOICE, WRITTEN})
    requires_consent: bool = False
    max_per_day: int | None = None
    one_channel_per_week: bool = False
    max_voice_per_week: int | None = None
    max_written_per_week: int | None = None
    min_days_between_written: int | None = None
    log_retention_days: int | None = None

    def hours(self, group):
        return self.voice_hours if group == VOICE else self.written_hours


_CO_HOURS = _week(Window(time(7), time(19)), saturday=Window(time(8), time(15)))

COLOMBIA = RulePack(
    code="CO",
    source="Ley 2300 de 2023, art. 3",
    voice_hours=_CO_HOURS,
    written_hours=_CO_HOURS,
    requires_consent=True,
    max_per_day=1,
    one_channel_per_week=True,
)

_CL_HOURS = _week(Window(time(8), time(20)), saturday=Window(time(8), time(20)))

CHILE = RulePack(
    code="CL",
    source="Ley 19.496, art. 37, as amended by Ley 21.320 de 2021; Código de Procedimiento Civil, art. 59",
    voice_hours=_CL_HOURS,
    written_hours=_CL_HOURS,
    max_voice_per_week=1,
    max_written_per_week=2,
    min_days_between_written=2,
    log_retention_days=730,
)

PERU = RulePack(
    code="PE",
    source="Ley 29571, Código de Protección y Defensa del Consumidor, art. 62",
    voice_hours=_week(Window(time(7), time(20))),
    written_hours=None,
    skip_holidays=frozenset({VOICE}),
)

_MX_HOURS = (Window(time(7), time(22)),) * 7

MEXICO = RulePack(
    code="MX",
    source="CONDUSEF, Disposiciones de carácter general en materia de despachos de cobranza",
    voice_hours=_MX_HOURS,
    written_hours=_MX_HOURS,
    skip_holidays=frozenset(),
)

DEFAULT = RulePack(
    code="DEFAULT",
    source="Product default following Colombian practice (Ley 2300 de 2023, art. 3), without its consent rule",
    voice_hours=_CO_HOURS,
    written_hours=_CO_HOURS,
    max_per_day=1,
    one_channel_per_week=True,
)

PACKS = {pack.code: pack for pack in (COLOMBIA, CHILE, PERU, MEXICO)}


def pack_for(country_code):
    """The rule pack of a country (ISO 3166 alpha-2, any case); ``DEFAULT`` for any other or None."""
    return PACKS.get((country_code or "").upper(), DEFAULT)


def default_timezone(country_code):
    """The country's main time zone name (CO, CL, PE, MX), or None."""
    return MAIN_ZONES.get((country_code or "").upper())


@lru_cache(maxsize=256)
def _holidays(country_code, year):
    try:
        return frozenset(holidays.country_holidays(country_code, years=year))
    except NotImplementedError:  # a country the library does not know: no holidays
        return frozenset()


def is_holiday(day, country_code):
    """Whether ``day`` is a national public holiday of the country (per the ``holidays`` library)."""
    if not country_code:
        return False
    return day in _holidays(country_code.upper(), day.year)


@dataclass(frozen=True)
class GateSettings:
    count_attempts: bool = True  # unanswered attempts count towards the caps (conservative)
    apply_to_businesses: bool = False  # also apply the pack to customers that are not consumers


@dataclass(frozen=True)
class Customer:
    country_code: str | None
    tz_name: str | None  # resolved by the caller; None falls back to default_timezone(country_code)
    is_consumer: bool = True
    authorised_channels: frozenset | None = None  # None = consent not recorded


@dataclass(frozen=True)
class Contact:
    """A past (or queued) contact of the customer's history; ``when`` is aware."""

    when: datetime
    channel: str
    reached: bool
    requested_by_customer: bool = False
    direction: str = "outbound"  # or "inbound"


@dataclass(frozen=True)
class Decision:
    """``slot``: now (UTC) when allowed, the earliest allowed instant (UTC) when deferred, None when
    refused or nothing was found. ``reasons``: why not now (empty when allowed). ``pack``: the code
    of the pack applied, None when the customer is not covered."""

    allowed: bool
    slot: datetime | None
    reasons: tuple = ()
    pack: str | None = None


def _aware(moment, what):
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{what} must be an aware datetime: {moment!r}")
    return moment


def _zone(customer):
    name = customer.tz_name or default_timezone(customer.country_code)
    if not name:
        raise ValueError(f"no time zone for customer: {customer!r}")
    return ZoneInfo(name)


def _covered(customer, settings):
    return customer.is_consumer or settings.apply_to_businesses


def _consent_refused(pack, channel, customer):
    if not pack.requires_consent:
        return False
    return customer.authorised_channels is None or channel not in customer.authorised_channels


def _window(pack, channel, day, country_code):
    """The window of ``channel`` on local date ``day``, or None when the day is closed to it."""
    if channel in UNTIMED_CHANNELS:
        return ALL_DAY
    group = channel_group(channel)
    hours = pack.hours(group)
    window = ALL_DAY if hours is None else hours[day.weekday()]
    if window is None or (group in pack.skip_holidays and is_holiday(day, country_code)):
        return None
    return window


def _calendar_reasons(pack, channel, local, country_code):
    if channel in UNTIMED_CHANNELS:
        return []
    group = channel_group(channel)
    hours = pack.hours(group)
    day = local.date()
    window = ALL_DAY if hours is None else hours[day.weekday()]
    reasons = []
    if window is None:
        reasons.append(_DAY_NAMES.get(day.weekday(), "closed_day"))
    if group in pack.skip_holidays and is_holiday(day, country_code):
        reasons.append("holiday")
    if not reasons and not window.contains(local.time()):
        reasons.append("outside_hours")
    return reasons


def _counted(history, settings, zone):
    """(local date, channel, group) of every contact that counts towards the caps."""
    counted = []
    for contact in history:
        _aware(contact.when, "Contact.when")
        if contact.direction != "outbound" or contact.requested_by_customer:
            continue
        if not (contact.reached or settings.count_attempts):
            continue
        counted.append((contact.when.astimezone(zone).date(), contact.channel, channel_group(contact.channel)))
    return counted


def _monday(day):
    return day - timedelta(days=day.weekday())


def _frequency_reasons(pack, channel, day, counted):
    group = channel_group(channel)
    same_day = [item for item in counted if item[0] == day]
    week = [item for item in counted if _monday(item[0]) == _monday(day)]
    reasons = []
    if pack.max_per_day is not None and len(same_day) >= pack.max_per_day:
        reasons.append("daily_limit")
    if pack.one_channel_per_week and any(item[1] != channel for item in week):
        reasons.append("other_channel_this_week")
    if group == VOICE and pack.max_voice_per_week is not None:
        if sum(1 for item in week if item[2] == VOICE) >= pack.max_voice_per_week:
            reasons.append("weekly_voice_limit")
    if group == WRITTEN and pack.max_written_per_week is not None:
        if sum(1 for item in week if item[2] == WRITTEN) >= pack.max_written_per_week:
            reasons.append("weekly_written_limit")
    if group == WRITTEN and pack.min_days_between_written:
        gap = pack.min_days_between_written
        if any(item[2] == WRITTEN and abs((day - item[0]).days) < gap for item in counted):
            reasons.append("written_too_soon")
    return reasons


def _first_instant(day, start, zone):
    """The earliest UTC instant whose local wall-clock time is ``day`` at ``start`` or later."""
    naive = datetime.combine(day, start)
    existing = [
        moment
        for moment in (naive.replace(tzinfo=zone, fold=fold).astimezone(UTC) for fold in (0, 1))
        if moment.astimezone(zone).replace(tzinfo=None) == naive
    ]
    if existing:
        return min(existing)
    # In a DST gap: the wall clock jumps over ``naive``; the opening is the transition instant.
    low, high = sorted(naive.replace(tzinfo=zone, fold=fold).astimezone(UTC) for fold in (0, 1))
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        middle = middle.replace(microsecond=0)
        if middle.astimezone(zone).replace(tzinfo=None) >= naive:
            high = middle
        else:
            low = middle
    return high


class _Gate:
    """One customer's rules and history, resolved once for repeated questions."""

    def __init__(self, channel, customer, history, settings):
        channel_group(channel)
        self.channel = channel
        self.customer = customer
        self.settings = settings
        self.pack = pack_for(customer.country_code)
        self.zone = _zone(customer)
        self.covered = _covered(customer, settings)
        self.counted = _counted(history, settings, self.zone)

    def reasons(self, moment):
        """Why a contact at ``moment`` is not allowed (consent aside); empty when it is."""
        if not self.covered:
            return []
        local = moment.astimezone(self.zone)
        return _calendar_reasons(self.pack, self.channel, local, self.customer.country_code) + _frequency_reasons(
            self.pack, self.channel, local.date(), self.counted
        )

    def earliest(self, moment, days=SEARCH_DAYS):
        moment = moment.astimezone(UTC)
        if not self.reasons(moment):
            return moment
        first_day = moment.astimezone(self.zone).date()
        for offset in range(days + 1):
            day = first_day + timedelta(days=offset)
            if _frequency_reasons(self.pack, self.channel, day, self.counted):
                continue
            window = _window(self.pack, self.channel, day, self.customer.country_code)
            if window is None:
                continue
            candidate = max(_first_instant(day, window.start, self.zone), moment)
            if candidate.astimezone(self.zone).date() == day and not self.reasons(candidate):
                return candidate
        return None


def blocks(channel, when, customer, history=(), settings=GateSettings()):
    """Why a contact through ``channel`` at ``when`` would not be allowed, consent included; () when it would."""
    _aware(when, "when")
    gate = _Gate(channel, customer, history, settings)
    if gate.covered and _consent_refused(gate.pack, channel, customer):
        return ("no_consent",)
    return tuple(gate.reasons(when))


def next_allowed_slot(channel, now, customer, history=(), settings=GateSettings()):
    """The earliest instant (UTC) at or after ``now`` where the contact is allowed; None when refused or none
    within ``SEARCH_DAYS`` days."""
    _aware(now, "now")
    gate = _Gate(channel, customer, history, settings)
    if gate.covered and _consent_refused(gate.pack, channel, customer):
        return None
    return gate.earliest(now)


def decide(channel, now, customer, history=(), settings=GateSettings(), requested_by_customer=False):
    """Allowed now, deferred to the earliest allowed slot, or refused (no consent), with the reasons."""
    _aware(now, "now")
    gate = _Gate(channel, customer, history, settings)
    now_utc = now.astimezone(UTC)
    if not gate.covered:
        return Decision(True, now_utc, (), None)
    code = gate.pack.code
    if requested_by_customer:
        return Decision(True, now_utc, (), code)
    if _consent_refused(gate.pack, channel, customer):
        return Decision(False, None, ("no_consent",), code)
    reasons = gate.reasons(now_utc)
    if not reasons:
        return Decision(True, now_utc, (), code)
    slot = gate.earliest(now_utc)
    if slot is None:
        reasons.append("no_slot")
    return Decision(False, slot, tuple(reasons), code)


def window_start(day, channel, customer, settings=GateSettings()):
    """When the window of ``channel`` opens on the customer's local date ``day`` (aware, UTC), or None when
    that day is closed to it; ignores the caps and consent. Midnight for letters, channels the pack leaves
    free, and customers not covered."""
    gate = _Gate(channel, customer, (), settings)
    window = _window(gate.pack, channel, day, customer.country_code) if gate.covered else ALL_DAY
    if window is None:
        return None
    return _first_instant(day, window.start, gate.zone)
