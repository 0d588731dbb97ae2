from collections import defaultdict
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.tools import SQL

from ..engine import collection_status, credit, payment_behaviour, segmentation
from . import bulk_write

# How many customers one call of the daily scheduled action refreshes.
REFRESH_BATCH_SIZE = 200


class CobranzaProfileRefresh(models.AbstractModel):
    """The daily refresh of customers' collections profiles: metrics, segments and statuses.

    A service: it gathers the facts of many customers at once through the facts layer, asks the
    engine, and writes only what changed, in bulk. The profile model stays a record.
    """

    _name = "cobranza.profile.refresh"
    _description = "Collections: daily refresh of customer profiles"

    @api.model
    def _cron_refresh_customers(self, batch_size=REFRESH_BATCH_SIZE):
        """Scheduled action: refresh metrics, segments and statuses, one bounded batch per call.

        Follows Odoo's batching protocol: each call creates the missing profiles of customers
        with receivables (bounded), refreshes up to ``batch_size`` profiles not refreshed
        today, reports progress with ``_notify_progress`` and returns; the framework commits
        and calls again. ``metrics_date`` marks finished work, so an interrupted or repeated
        run goes on where it stopped and does nothing twice the same day.
        """
        Profile = self.env["cobranza.partner.profile"].sudo()
        today = fields.Date.context_today(self)
        created = Profile.browse()
        parameters = self.env["ir.config_parameter"].sudo()
        if parameters.get_param("cobranza_odoo.profiles_completed_on") != str(today):
            # the day's first call: customers with receivables and no profile yet get one, all at once
            # (later in the day, posting an invoice creates its customer's profile)
            created = self._create_missing_profiles()
            # the day's postings and payments left rows in the kept open balances: back to one an address
            self.env["cobranza.receivable.facts"]._rebuild_open_balances()
            parameters.set_param("cobranza_odoo.profiles_completed_on", str(today))
        stale_domain = ["|", ("metrics_date", "=", False), ("metrics_date", "<", today)]
        batch = Profile.search(stale_domain, limit=batch_size, order="id")
        self._refresh(batch, today)
        remaining = Profile.search_count(stale_domain)
        self.env["ir.cron"]._notify_progress(done=len(batch) + len(created), remaining=remaining)
        return batch

    @api.model
    def _create_missing_profiles(self, limit=None):
        """Profiles for customers with receivables in a company and no profile yet, in one statement
        (the first day on an existing ledger: every customer at once). ``limit``: at most that many."""
        Profile = self.env["cobranza.partner.profile"].sudo()
        Profile.flush_model()
        missing = self.env["cobranza.receivable.facts"]._missing_profiles_sql()
        select = SQL(
            """SELECT missing.commercial_partner_id, missing.root_id, NOT COALESCE(partner.is_company, FALSE),
                      'current'
                 FROM (%s) missing JOIN res_partner partner ON partner.id = missing.commercial_partner_id
                %s""",
            missing,
            SQL("LIMIT %s", limit) if limit else SQL(),
        )
        ids = bulk_write.bulk_insert_select(
            Profile, ["partner_id", "company_id", "consumer", "collection_status"], select
        )
        return Profile.browse(ids)

    @api.model
    def _refresh(self, profiles, today):
        """Compute metrics, segment and statuses of ``profiles`` for ``today``; write only what changed."""
        for company, company_profiles in profiles.sudo().grouped("company_id").items():
            self._refresh_company(company_profiles, company, today)

    @api.model
    def _refresh_company(self, profiles, company, today):
        Facts = self.env["cobranza.receivable.facts"]
        partners = profiles.partner_id
        window_start = today - timedelta(days=company.cobranza_metrics_window_days)
        lines = Facts._payment_behaviour_lines(partners.ids, company, window_start)
        last_payments = Facts._last_payment_dates(partners.ids, company)
        broken = Facts._broken_promise_counts(partners.ids, company, window_start)
        credit_facts = partners._cobranza_credit_facts(company)
        segments = self.env["cobranza.segment"]._for_company(company)
        # reasons are stored text: written in the company's language, the collections team's
        lang = company.partner_id.lang or self.env.lang
        engine_segments = [segment._engine_segment() for segment in segments]
        changes = []
        updates = {}
        for profile in profiles:
            partner_id = profile.partner_id.id
            facts = credit_facts[partner_id]
            metrics = payment_behaviour.compute_metrics(
                lines.get(partner_id, []),
                today,
                window_days=company.cobranza_metrics_window_days,
                grace_days=company.cobranza_grace_days,
                tolerance=company.cobranza_tolerance_amount,
                exposure=facts.exposure,
                credit_limit=credit.effective_limit(facts.base_limit, facts.increases, today),
                broken_promises=broken.get(partner_id, 0),
                last_payment_date=last_payments.get(partner_id),
                rounding=company.currency_id.rounding,
            )
            values = {
                **profile._prepare_metrics_values(metrics),
                "metrics_date": today,
                "segment_id": profile.segment_id.id,
                "segment_reason": profile.segment_reason,
                "segment_date": profile.segment_date,
                "collector_id": profile.collector_id.id,
            }
            if not profile.segment_locked and engine_segments:
                result = segmentation.classify(metrics, engine_segments)
                segment = segments.browse(result.segment_key) if result.segment_key else profile.segment_id
                if result.segment_key and segment != profile.segment_id:
                    reason = self.with_context(lang=lang)._segment_reason(result, segments)
                    values.update(segment_id=segment.id, segment_reason=reason, segment_date=today)
                    changes.append((profile, profile.segment_id, segment, reason))
                if not profile.collector_id and segment.collector_id:
                    values["collector_id"] = segment.collector_id.id
            if profile._snapshot_changed(values):
                updates[profile.id] = values
        # Segment changes have their own history (cobranza.segment.change); the collector is tracked.
        bulk_write.bulk_update(profiles.browse(), updates, tracked_elsewhere=("segment_id",))
        self.env["cobranza.segment.change"]._bulk_log(changes, source="rule")
        self._refresh_statuses(profiles, today, company)

    @api.model
    def _segment_reason(self, result, segments):
        """Why the engine chose this segment, in words: the rules it met, or — for a segment without
        rules — the rules of the segment just before it that the customer did not meet."""
        Rule = self.env["cobranza.segment.rule"]
        if result.conditions:
            return "\n".join(Rule._describe(condition) for condition in result.conditions)
        if result.closest_miss:
            key, failed = result.closest_miss
            return "\n".join(
                [
                    _("Not in %s because:", segments.browse(key).with_context(lang=self.env.lang).name),
                    *(Rule._describe(condition) for condition in failed),
                ]
            )
        return _("Catch-all segment: no rule to meet.")

    @api.model
    def _refresh_statuses(self, profiles, today, company=None):
        """Collection status of these customers' invoices and of the customers themselves."""
        Facts = self.env["cobranza.receivable.facts"]
        Move = self.env["account.move"].sudo()
        Profile = self.env["cobranza.partner.profile"].sudo()
        for scope, scope_profiles in profiles.sudo().grouped("company_id").items():
            if company and scope != company:
                continue
            partner_ids = scope_profiles.partner_id.ids
            rows = Facts._invoices_to_classify(partner_ids, scope)
            open_lines = Facts._open_receivables(partner_ids, scope)
            statuses = Move._cobranza_compute_statuses(rows, open_lines, scope, today)
            to_write = defaultdict(list)
            per_partner = defaultdict(list)
            for move_id, partner_id, stored, _dispute, _legal in rows:
                status = statuses[move_id]
                per_partner[partner_id].append(status)
                if status != stored:
                    to_write[status].append(move_id)
            # One UPDATE per status value, whatever the number of invoices and customers.
            for status, move_ids in to_write.items():
                bulk_write.bulk_set(Move, move_ids, {"cobranza_status": status}, touch=False)
            by_status = defaultdict(list)
            for profile in scope_profiles:
                status = collection_status.customer_status(per_partner.get(profile.partner_id.id, []))
                if profile.collection_status != status:
                    by_status[status].append(profile.id)
            for status, profile_ids in by_status.items():
                bulk_write.bulk_set(Profile, profile_ids, {"collection_status": status})
