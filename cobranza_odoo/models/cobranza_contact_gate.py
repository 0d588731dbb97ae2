from collections import defaultdict
from datetime import UTC, datetime, timedelta

from odoo import _, api, fields, models
from odoo.tools import format_datetime

from ..engine import contact_rules

# How far back the contact log is read: the current calendar week and Chile's "two days apart".
HISTORY_DAYS = 9


def aware(moment):
    """Odoo keeps naive UTC datetimes; the engine wants aware ones."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def naive(moment):
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


class GateContext:
    """The contact rules' view of many customers at once: each customer's country, zone, consumer
    flag, authorised channels and recent contacts, read in a fixed number of queries. Contacts made
    while it is in use are added to it, so the second channel of a run sees the first."""

    def __init__(self, customers, histories, settings):
        self.customers = customers  # {partner id: engine Customer}
        self.histories = histories  # {partner id: [engine Contact]}
        self.settings = settings  # {partner id: engine GateSettings}

    def decide(self, partner_id, channel, now, requested_by_customer=False):
        return contact_rules.decide(
            channel,
            aware(now),
            self.customers[partner_id],
            tuple(self.histories.get(partner_id, ())),
            self.settings[partner_id],
            requested_by_customer=requested_by_customer,
        )

    def record(self, partner_id, channel, when, reached=True):
        self.histories.setdefault(partner_id, []).append(contact_rules.Contact(aware(when), channel, reached=reached))


class CobranzaContactGate(models.AbstractModel):
    """The contact-rules gate of every outbound action: allowed now, or deferred to the next allowed
    slot with the reason (the rules themselves are in engine/contact_rules.py)."""

    _name = "cobranza.contact.gate"
    _description = "Collections: contact rules"

    @api.model
    def _reason_text(self, reasons):
        labels = {
            "no_consent": _("the customer did not authorise this channel"),
            "sunday": _("no contact on Sundays"),
            "saturday": _("no calls or visits on Saturdays"),
            "closed_day": _("no contact on this day"),
            "holiday": _("public holiday"),
            "outside_hours": _("outside the allowed hours"),
            "daily_limit": _("already contacted today"),
            "other_channel_this_week": _("already contacted through another channel this week"),
            "weekly_voice_limit": _("already called or visited this week"),
            "weekly_written_limit": _("two written contacts this week already"),
            "written_too_soon": _("a written contact less than two days ago"),
            "no_slot": _("no allowed moment in the coming weeks"),
        }
        return ", ".join(labels.get(reason, reason) for reason in reasons)

    @api.model
    def _explain(self, decision, partner):
        """A translated sentence for a decision that is not "allowed now"."""
        reason = self._reason_text(decision.reasons)
        if decision.slot:
            return _(
                "Contact rules: %(reason)s; allowed from %(slot)s (customer's time).",
                reason=reason,
                slot=format_datetime(self.env, naive(decision.slot), tz=self._zone_name(partner), dt_format="short"),
            )
        return _("Contact rules: %s.", reason)

    @api.model
    def _pack_label(self, partner, profile):
        """Which rules protect this customer, in words."""
        company = profile.company_id
        if not (profile.consumer or company.cobranza_contact_rules_all_customers):
            return _("None: not a consumer")
        code = (partner.country_id or company.country_id).code
        names = {
            "CO": _("Colombia, Ley 2300 de 2023"),
            "CL": _("Chile, Ley 19.496 art. 37"),
            "PE": _("Peru, Ley 29571 art. 62"),
            "MX": _("Mexico, CONDUSEF collection rules"),
        }
        return names.get(code, _("Default (Colombian practice)")) + " — " + self._zone_name(partner, company)

    @api.model
    def _zone_name(self, partner, company=None):
        """The customer's time zone: its own, else its country's main zone, else the company's."""
        company = company or self.env.company
        country = (partner.country_id or company.country_id).code
        return partner.tz or contact_rules.default_timezone(country) or company.partner_id.tz or "UTC"

    @api.model
    def _gate_context(self, partners, company, now):
        """GateContext of these (commercial) partners in ``company``: three queries whatever their number."""
        company = self.env["cobranza.receivable.facts"]._scope_company(company)
        partners = partners.commercial_partner_id.sudo()
        profiles = self.env["cobranza.partner.profile"]._get_profiles(partners, company).sudo()
        by_partner = {profile.partner_id.id: profile for profile in profiles}
        today = fields.Date.context_today(self)
        consents = defaultdict(set)
        recorded = set()
        for consent in profiles.consent_ids:
            recorded.add(consent.profile_id.partner_id.id)
            if consent._in_force(today):
                consents[consent.profile_id.partner_id.id].add(consent.channel)
        histories = defaultdict(list)
        logs = (
            self.env["cobranza.contact.log"]
            .sudo()
            .search_read(
                [
                    ("partner_id", "in", partners.ids),
                    ("company_id", "=", company.id),
                    ("date", ">=", naive(now) - timedelta(days=HISTORY_DAYS)),
                ],
                ["partner_id", "date", "channel", "reached", "requested_by_customer", "direction"],
            )
        )
        for log in logs:
            histories[log["partner_id"][0]].append(
                contact_rules.Contact(
                    aware(log["date"]),
                    log["channel"],
                    reached=log["reached"],
                    requested_by_customer=log["requested_by_customer"],
                    direction=log["direction"],
                )
            )
        customers, settings = {}, {}
        for partner in partners:
            profile = by_partner.get(partner.id)
            customers[partner.id] = contact_rules.Customer(
                country_code=(partner.country_id or company.country_id).code,
                tz_name=self._zone_name(partner, company),
                is_consumer=profile.consumer if profile else not partner.is_company,
                authorised_channels=frozenset(consents[partner.id]) if partner.id in recorded else None,
            )
            settings[partner.id] = contact_rules.GateSettings(
                count_attempts=company.cobranza_contact_count_attempts,
                apply_to_businesses=company.cobranza_contact_rules_all_customers,
            )
        return GateContext(customers, histories, settings)

    @api.model
    def _log(self, partner, channel, when=None, company=None, **values):
        """Record a contact in the log (the contact rules count it from now on)."""
        return (
            self.env["cobranza.contact.log"].sudo().create(self._log_values(partner, channel, when, company, **values))
        )

    @api.model
    def _log_values(self, partner, channel, when=None, company=None, **values):
        """The contact log's values of a contact (a batch of deliveries creates many at once)."""
        company = self.env["cobranza.receivable.facts"]._scope_company(company or self.env.company)
        return {
            "partner_id": partner.commercial_partner_id.id,
            "company_id": company.id,
            "date": naive(when or fields.Datetime.now()),
            "channel": channel,
            "user_id": self.env.uid,
            **values,
        }

    @api.model
    def _check_now(self, partner, channel, company=None, now=None):
        """For a person about to contact the customer: None if allowed now, else the reason (a sentence)."""
        now = now or fields.Datetime.now()
        partner = partner.commercial_partner_id
        decision = self._gate_context(partner, company or self.env.company, now).decide(partner.id, channel, now)
        return None if decision.allowed else self._explain(decision, partner)

    @api.model
    def _local_now(self, partner, now=None):
        """The customer's local time, for the collectors' screens."""
        zone = self._zone_name(partner)
        return format_datetime(self.env, naive(now or datetime.now(UTC)), tz=zone, dt_format="short")
