import logging
import time
from collections import defaultdict

from odoo import api, fields, models
from odoo.tools import SQL
from psycopg2 import errors as pg_errors

from ..engine import dunning_levels
from . import bulk_write

_logger = logging.getLogger(__name__)

# How many customers one call of the daily dunning run plans.
DUNNING_BATCH_SIZE = 100
# How long one call of the scheduled run may work before it hands over to the next call (seconds):
# well under Odoo's time limit for a scheduled action (limit_time_real_cron, 120 s by default).
DEFAULT_TIME_BUDGET = 60
# Communications delivered together: their e-mails are rendered in one go (one template compilation).
# At about 15 ms each, a chunk takes a couple of seconds: the time budget is checked between chunks.
DELIVERY_CHUNK = 100
# Printed letters in one such chunk (about 1.3 s each): how far a call may run past its time budget.
LETTERS_PER_CHUNK = 5
# Scheduled actions that run the dunning side by side (one per cron thread): worker k of them starts
# with the customers and communications whose id modulo WORKERS is k, then helps with the others
# from the far end, so that two threads rarely meet on the same records.
WORKERS = 2
# Namespace of the advisory locks that claim customers and communications (any fixed number).
CLAIM_LOCK_NAMESPACE = 74_201
# What locking the rows just claimed may meet: a row changed since this transaction began, or one another
# transaction is writing (a deadlock with it is broken by PostgreSQL): the next call tries again.
STALE_CLAIM_ERRORS = (pg_errors.SerializationFailure, pg_errors.DeadlockDetected, pg_errors.LockNotAvailable)
# Another transaction handled the same customer meanwhile: nothing is lost, the next call retries.
CONCURRENCY_ERRORS = (
    pg_errors.SerializationFailure,
    pg_errors.DeadlockDetected,
    pg_errors.LockNotAvailable,
    pg_errors.UniqueViolation,
)


class CobranzaDunningRun(models.AbstractModel):
    """The dunning run: which customers to handle, what the engine plans for them, and keeping one
    open communication per customer up to date. A service over cobranza.dunning (the records).

    Several runs may work at once (the scheduled action on two cron threads, a collector's run from
    the screen): each claims the customers and communications it handles without waiting — a
    customer claimed by another run is left to it — and a customer that another transaction handled
    meanwhile is retried by the next call, never handled twice (the database refuses a second
    communication of a customer, level and day).
    """

    _name = "cobranza.dunning.run"
    _description = "Collections: dunning run"

    # ------------------------------------------------------------------ planning

    @api.model
    def _gather(self, profiles, today):
        """Engine inputs for these profiles of one company: {profile: (lines, customer, policy)}.

        Bulk reads through the facts layer: one query for the open lines of every customer.
        """
        if not profiles:
            return {}
        company = profiles.company_id
        company.ensure_one()
        Facts = self.env["cobranza.receivable.facts"]
        rows = Facts._dunning_lines(profiles.partner_id.ids, company)
        agreed = Facts._lines_under_agreement([row.line_id for row in rows if row.residual > 0])
        lines, credits = defaultdict(list), defaultdict(float)
        for row in rows:
            if row.residual < 0:
                credits[row.partner_id] -= row.residual  # unapplied payments and credit notes
                continue
            lines[row.partner_id].append(
                dunning_levels.Line(
                    key=row.line_id,
                    date_maturity=row.date_maturity,
                    residual=row.residual,
                    last_level_key=row.level_id,
                    last_sent_date=row.last_sent_date,
                    in_dispute=row.in_dispute,
                    under_agreement=row.line_id in agreed,
                    processed_on=row.processed_on,
                    in_legal=row.in_legal,
                )
            )
        result = {}
        for profile in profiles:
            policy = profile._dunning_policy()
            if not policy.level_ids:
                continue
            customer = dunning_levels.Customer(
                excluded=profile.dunning_excluded,
                paused_until=profile.dunning_paused_until or None,
                credits=credits.get(profile.partner_id.id, 0.0),
                tolerance=company.cobranza_tolerance_amount,
                rounding=company.currency_id.rounding,
            )
            result[profile] = (lines.get(profile.partner_id.id, []), customer, policy)
        return result

    @api.model
    def _plan(self, profiles, today):
        """{profile: (policy, customer, engine Plan)}: what the run would do today, and why not the rest."""
        plans = {}
        for _company, company_profiles in profiles.grouped("company_id").items():
            for profile, (lines, customer, policy) in self._gather(company_profiles, today).items():
                plan = dunning_levels.plan_customer(
                    lines, policy._engine_levels(), customer, today, split_by_level=policy.split_by_level
                )
                plans[profile] = (policy, customer, plan)
        return plans

    @api.model
    def _apply_plans(self, plans, today, send):
        """Turn plans into communications: update the customer's open one, or create one.

        A level never goes backwards: an open communication updated today keeps the higher of its
        level and the new one. A customer already sent a communication of a level today gets no
        second one that day. ``send``: queue them for delivery (else they stay drafts for review).
        """
        Dunning = self.env["cobranza.dunning"].sudo().with_context(mail_create_nolog=True, tracking_disable=True)
        plans = {profile: plan for profile, plan in plans.items() if plan[2].communications}
        if not plans:
            return Dunning.browse()
        state = "queued" if send else "draft"
        touched = Dunning.browse()
        to_create, created_lines, updates, totals = [], [], [], {}
        for company, profiles in self.env["cobranza.partner.profile"].union(*plans).grouped("company_id").items():
            partner_ids = profiles.partner_id.ids
            opened = Dunning._open_by_partner(partner_ids, company)
            done_today = self._communicated_today(partner_ids, company, today)
            for profile in profiles:
                policy, customer, plan = plans[profile]
                rank = {level.id: index for index, level in enumerate(policy.level_ids.sorted("sequence"))}
                available = list(opened.get(profile.partner_id, Dunning.browse()))
                for communication in plan.communications:
                    level_id = communication.level_key
                    if (profile.partner_id.id, level_id) in done_today:
                        continue  # the same day, a second run creates nothing new
                    existing = self._pick_open(available, communication, policy)
                    if existing:
                        available.remove(existing)
                        if rank.get(existing.level_id.id, -1) > rank[level_id]:
                            level_id = existing.level_id.id
                        updates.append((existing, communication, level_id, customer))
                    else:
                        to_create.append(self._prepare_dunning_values(profile, policy, customer, communication, today))
                        created_lines.append((communication.lines, customer))
        if updates:
            touched |= self._update_open(updates, today, state, totals)
        if to_create:
            for values in to_create:
                values["state"] = state
            created = Dunning.create(to_create)
            bulk_write.refresh_statistics(self.env, ("cobranza_dunning",))
            self._insert_lines(
                [(dunning, lines) for dunning, (lines, _customer) in zip(created, created_lines, strict=True)]
            )
            for dunning, (lines, customer) in zip(created, created_lines, strict=True):
                totals[dunning.id] = self._amounts(dunning.company_id, lines, customer)
            touched |= created
        # No per-line marker is written (a daily UPDATE of every planned journal item): the customer's
        # dunning_checked_on and the communications of the day already make a second run add nothing.
        touched.invalidate_recordset(["line_ids"])
        # The amounts come from the plan, written in one UPDATE: not read back from the lines just
        # inserted, and not given to create (each amount there costs the ORM a new record to find
        # its currency — a third of creating a communication).
        for name in ("amount_total", "amount_overdue"):
            self.env.remove_to_compute(Dunning._fields[name], touched)
        bulk_write.bulk_update(Dunning, totals)
        return touched.with_env(self.env)

    @api.model
    def _pick_open(self, available, communication, policy):
        """The open communication a planned one updates: the customer's only one, or (one per level)
        the one of the same level."""
        if not available:
            return None
        if policy.split_by_level:
            return next((dunning for dunning in available if dunning.level_id.id == communication.level_key), None)
        return available[0]

    @api.model
    def _communicated_today(self, partner_ids, company, today):
        """{(partner id, level id)} of the communications already delivered (or on their way) today."""
        groups = (
            self.env["cobranza.dunning"]
            .sudo()
            ._read_group(
                [
                    ("partner_id", "in", list(partner_ids)),
                    ("company_id", "=", company.id),
                    ("date", "=", today),
                    ("state", "in", ("sent", "waiting")),
                ],
                ["partner_id", "level_id"],
            )
        )
        return {(partner.id, level.id) for partner, level in groups}

    @api.model
    def _update_open(self, updates, today, state, totals):
        """Refresh open communications with today's plan: lines, level and date (their new totals are
        added to ``totals``)."""
        Dunning = self.env["cobranza.dunning"].sudo()
        dunnings = Dunning.union(*(dunning for dunning, _communication, _level, _customer in updates))
        dunnings.line_ids.unlink()
        for dunning, _communication, level_id, _customer in updates:
            values = {"level_id": level_id, "date": today}
            if dunning.state in ("draft", "undeliverable", "failed") or (
                dunning.state == "waiting" and level_id != dunning.level_id.id
            ):
                # to review (draft), or on its way (queued) when the company sends without review; a
                # waiting one (its call not made yet) that reached a higher level goes out at that level
                values["state"] = state
            # queued and deferred ones are already on their way
            dunning.write(values)
        self._insert_lines([(dunning, communication.lines) for dunning, communication, _level, _c in updates])
        for dunning, communication, _level, customer in updates:
            totals[dunning.id] = self._amounts(dunning.company_id, communication.lines, customer)
        return dunnings

    @api.model
    def _insert_lines(self, rows):
        """Insert the lines of communications in one statement: [(communication, planned lines)]."""
        line_ids = [planned.line_key for _dunning, lines in rows for planned in lines]
        move_of = dict(
            self.env.execute_query(SQL("SELECT id, move_id FROM account_move_line WHERE id = ANY(%s)", line_ids))
        )
        self.env["cobranza.dunning.line"]._bulk_insert(
            [(dunning, planned, move_of[planned.line_key]) for dunning, lines in rows for planned in lines]
        )

    @api.model
    def _amounts(self, company, lines, customer):
        """A communication's amounts: its totals from its planned lines (the same rule as
        ``_compute_amounts``) and the customer's credits."""
        currency = company.currency_id
        total, overdue = dunning_levels.communication_amounts(
            (planned.residual, planned.days_late) for planned in lines
        )
        return {
            "amount_total": currency.round(total),
            "amount_overdue": currency.round(overdue),
            "credits_amount": currency.round(customer.credits),
        }

    @api.model
    def _prepare_dunning_values(self, profile, policy, customer, communication, today):
        """Values of a new communication; integrators add theirs here."""
        return {
            "partner_id": profile.partner_id.id,
            "company_id": profile.company_id.id,
            "date": today,
            "policy_id": policy.id,
            "level_id": communication.level_key,
            "collector_id": profile.collector_id.id,
        }

    # ------------------------------------------------------------------ running for customers

    @api.model
    def _run_for(self, profiles, today, send=None, deliver=True):
        """Plan these customers and keep their communications up to date; mark them handled today.

        ``send``: queue for delivery (None: as the company's dunning mode says); ``deliver``: deliver
        the queued ones now (the scheduled run delivers in its own time-bounded step instead).
        The batch is applied at once; if anything fails, customer by customer, so that one customer's
        failure stays with it and a customer handled meanwhile by another run is simply retried later.
        """
        profiles = profiles.sudo()
        try:
            with self.env.cr.savepoint():
                dunnings = self._run_batch(profiles, today, send)
        except Exception:
            dunnings = self.env["cobranza.dunning"].sudo()
            for profile in profiles:
                try:
                    with self.env.cr.savepoint():
                        dunnings |= self._run_batch(profile, today, send)
                except CONCURRENCY_ERRORS as error:
                    _logger.info("Dunning of %s left to the next call: %s", profile.partner_id.display_name, error)
                except Exception as error:
                    _logger.warning("Dunning of %s failed: %s", profile.partner_id.display_name, error)
                    dunnings |= self._record_customer_failure(profile, today, error)
        if deliver:
            dunnings.filtered(lambda dunning: dunning.state == "queued")._deliver_each(fields.Datetime.now())
        return dunnings.with_env(self.env)

    @api.model
    def _run_batch(self, profiles, today, send):
        by_mode = defaultdict(lambda: self.env["cobranza.partner.profile"].sudo())
        for profile in profiles:
            by_mode[send if send is not None else profile.company_id.cobranza_dunning_mode == "send"] |= profile
        dunnings = self.env["cobranza.dunning"].sudo()
        for mode, mode_profiles in by_mode.items():
            dunnings |= self._apply_plans(self._plan(mode_profiles, today), today, mode)
        bulk_write.bulk_set(profiles, profiles.ids, {"dunning_checked_on": today})
        return dunnings

    @api.model
    def _record_customer_failure(self, profile, today, error):
        """Planning failed for one customer: an empty failed communication keeps the error for the collector."""
        dunning = (
            self.env["cobranza.dunning"]
            .sudo()
            .with_context(mail_create_nolog=True, tracking_disable=True)
            .create(
                {
                    "partner_id": profile.partner_id.id,
                    "company_id": profile.company_id.id,
                    "date": today,
                    "policy_id": profile._dunning_policy().id,
                    "collector_id": profile.collector_id.id,
                    "state": "draft",
                }
            )
        )
        dunning._record_failure(error)
        bulk_write.bulk_set(profile, profile.ids, {"dunning_checked_on": today})
        return dunning

    # ------------------------------------------------------------------ claims

    @api.model
    def _claim(self, query, limit, worker=None):
        """Ids returned by ``query`` (SQL of candidate ids) that no other run holds, at most ``limit``;
        they stay claimed until this transaction ends. ``worker``: see WORKERS (None: in id order).

        Advisory locks, not ``FOR UPDATE SKIP LOCKED``: under Odoo's REPEATABLE READ isolation, locking a
        row that another run changed after this transaction began raises a serialization failure,
        while an advisory lock only says "someone is on it" — a row handled meanwhile is then caught
        when it is written (and retried by the next call).
        """
        rows = self.env.execute_query(
            SQL(
                """
            WITH candidates AS MATERIALIZED (SELECT id FROM (%(query)s) todo %(order)s LIMIT %(scan)s)
            SELECT id FROM candidates WHERE pg_try_advisory_xact_lock(%(namespace)s, id) LIMIT %(limit)s
            """,
                query=query,
                order=self._worker_order(worker),
                scan=limit * 3,
                namespace=CLAIM_LOCK_NAMESPACE,
                limit=limit,
            )
        )
        return [row[0] for row in rows]

    @api.model
    def _claim_current(self, table, query, limit, worker=None):
        """``_claim``, for a scheduled call: (ids claimed, 0), or ([], n) when another run changed the n
        rows claimed after this transaction began.

        This transaction reads the database as it was when it began (REPEATABLE READ); another run
        may have handled some of the rows since, committed and so released its claims: they look
        still to do and free. Locking them finds out at once (PostgreSQL refuses to lock a row
        changed after the snapshot), before any work is done twice only to be refused when written;
        the next call, with a fresh view of the database, goes on. Another transaction writing one of
        them (the daily refresh, a user) is waited for, and its commit ends the same way; a deadlock
        with it, which PostgreSQL breaks, too.
        """
        ids = self._claim(query, limit, worker)
        if not ids:
            return ids, 0
        try:
            with self.env.cr.savepoint(flush=False):
                self.env.cr.execute(
                    SQL("SELECT id FROM %s WHERE id = ANY(%s) FOR NO KEY UPDATE", SQL.identifier(table), ids),
                    log_exceptions=False,
                )
        except STALE_CLAIM_ERRORS as error:
            _logger.info("%s rows of %s changed meanwhile, left to the next call: %s", len(ids), table, error)
            return [], len(ids)
        return ids, 0

    @api.model
    def _worker_order(self, worker):
        """ORDER BY of a worker's claims: its own share first (ascending), then the others' from the
        far end (descending) — where the other worker gets last."""
        if worker is None:
            return SQL("ORDER BY id")
        return SQL(
            "ORDER BY (MOD(id, %(workers)s) = %(worker)s) DESC, "
            "CASE WHEN MOD(id, %(workers)s) = %(worker)s THEN id ELSE -id END",
            workers=WORKERS,
            worker=worker % WORKERS,
        )

    @api.model
    def _candidates_sql(self, today):
        """SQL: ids of the profiles the run still has to handle today, in order (dunning on, not done today)."""
        return SQL(
            """SELECT profile.id
                 FROM cobranza_partner_profile profile
                 JOIN res_company company ON company.id = profile.company_id
                WHERE company.cobranza_dunning_mode != 'off'
                  AND (profile.dunning_checked_on IS NULL OR profile.dunning_checked_on < %s)""",
            today,
        )

    @api.model
    def _claim_profiles(self, today, limit, worker=None):
        """(profiles claimed, how many were found handled by another run meanwhile): see _claim_current."""
        self.env["cobranza.partner.profile"].flush_model(["dunning_checked_on"])
        Profile = self.env["cobranza.partner.profile"].sudo()
        ids, stale = self._claim_current("cobranza_partner_profile", self._candidates_sql(today), limit, worker)
        return Profile.browse(ids), stale

    @api.model
    def _count_candidates(self, today):
        self.env["cobranza.partner.profile"].flush_model(["dunning_checked_on"])
        return self.env.execute_query(SQL("SELECT COUNT(*) FROM (%s) todo", self._candidates_sql(today)))[0][0]

    @api.model
    def _due_sql(self, now):
        """SQL: ids of the communications to deliver now (queued, or deferred until now)."""
        return SQL(
            """SELECT id FROM cobranza_dunning
                WHERE state = 'queued' OR (state = 'deferred' AND deferred_until <= %s)""",
            now,
        )

    @api.model
    def _pending_actions_sql(self):
        return SQL("SELECT id FROM cobranza_dunning WHERE action_state = 'pending'")

    @api.model
    def _count(self, query):
        self.env["cobranza.dunning"].flush_model(["state", "action_state", "deferred_until"])
        return self.env.execute_query(SQL("SELECT COUNT(*) FROM (%s) todo", query))[0][0]

    # ------------------------------------------------------------------ the scheduled action

    @api.model
    def _trigger_workers(self):
        """Ask every active scheduled action of the run to start now (they share the work)."""
        for xmlid in ("cobranza_odoo.ir_cron_cobranza_dunning", "cobranza_odoo.ir_cron_cobranza_dunning_second_worker"):
            cron = self.env.ref(xmlid, raise_if_not_found=False)
            if cron and cron.sudo().active:
                cron.sudo()._trigger()

    @api.model
    def _time_budget(self):
        value = self.env["ir.config_parameter"].sudo().get_param("cobranza_odoo.cron_time_budget")
        try:
            return max(float(value), 0.0) if value else DEFAULT_TIME_BUDGET
        except ValueError:
            return DEFAULT_TIME_BUDGET

    @api.model
    def _cron_run_dunning(self, batch_size=DUNNING_BATCH_SIZE, worker=None):
        """Scheduled action: the daily dunning run for every company that switched it on.

        Each call does one bounded piece of work and reports progress; the framework commits and
        calls again:

        1. server actions of communications whose sending is committed — alone in their call, so
           that their completion commits with their effect (an interruption repeats nothing);
        2. otherwise one batch of customers not handled today (``dunning_checked_on``): their
           communications are created or updated (queued in send mode);
        3. then delivery of queued (and deferred, once their slot has come) communications until
           the call's time budget is spent — letters take about a second each to print.

        ``worker``: which of the side-by-side scheduled actions calls (see WORKERS); each can do
        everything alone, together they share the day without waiting for each other.
        """
        started = time.monotonic()
        deadline = started + self._time_budget()
        today = fields.Date.context_today(self)
        now = fields.Datetime.now()
        Dunning = self.env["cobranza.dunning"].sudo()
        progress = self.env["ir.cron"]
        Dunning.flush_model(["action_state"])
        ids, stale = self._claim_current("cobranza_dunning", self._pending_actions_sql(), batch_size, worker)
        pending = Dunning.browse(ids)
        if pending:
            pending._run_server_actions()
            remaining = self._count(self._pending_actions_sql()) + self._count_candidates(today)
            progress._notify_progress(done=len(pending), remaining=remaining + self._count(self._due_sql(now)))
            return Dunning.browse()
        profiles, stale_profiles = self._claim_profiles(today, batch_size, worker)
        if not profiles and not stale_profiles:
            self.env["cobranza.profile.refresh"]._create_missing_profiles(limit=batch_size)
            profiles, stale_profiles = self._claim_profiles(today, batch_size, worker)
        stale += stale_profiles
        dunnings = self._run_for(profiles, today, deliver=False)
        delivered, stale_deliveries = self._deliver_due(now, deadline, batch_size, worker)
        stale += stale_deliveries
        remaining = (
            self._count_candidates(today) + self._count(self._due_sql(now)) + self._count(self._pending_actions_sql())
        )
        # what another run handled meanwhile counts as done (it is), so that the framework calls
        # again at once: that call sees the database afresh
        progress._notify_progress(done=len(profiles) + len(delivered) + stale, remaining=max(remaining, bool(stale)))
        return dunnings | delivered

    @api.model
    def _deliver_due(self, now, deadline, batch_size, worker=None):
        """Deliver queued communications (claimed one batch at a time) until ``deadline`` — at least one
        per call, so that every call makes progress whatever the budget. Returns (communications
        attempted, how many claimed were found delivered by another run meanwhile: see _claim_current)."""
        Dunning = self.env["cobranza.dunning"].sudo()
        delivered = Dunning.browse()
        while not delivered or time.monotonic() < deadline:
            Dunning.flush_model(["state", "deferred_until"])
            ids, stale = self._claim_current("cobranza_dunning", self._due_sql(now), batch_size, worker)
            if stale:
                return delivered, stale
            batch = Dunning.browse(ids) - delivered
            if not batch:
                break
            # in chunks: e-mails are rendered together (one template compilation a chunk), and the
            # budget is checked between chunks
            for chunk in self._delivery_chunks(batch):
                delivered |= chunk._deliver_each(now)
                if time.monotonic() >= deadline:
                    return delivered, 0
        return delivered, 0

    @api.model
    def _delivery_chunks(self, dunnings):
        """Chunks of at most DELIVERY_CHUNK communications and LETTERS_PER_CHUNK printed letters: a letter
        costs about 1.3 s (one wkhtmltopdf process), so a chunk never runs far past the time budget."""
        chunk, letters = [], 0
        for dunning in dunnings:
            level = dunning.level_id
            prints = level.print_letter or level.handoff or level.bureau_notice
            if chunk and (len(chunk) >= DELIVERY_CHUNK or (prints and letters >= LETTERS_PER_CHUNK)):
                yield dunnings.browse(chunk)
                chunk, letters = [], 0
            chunk.append(dunning.id)
            letters += bool(prints)
        if chunk:
            yield dunnings.browse(chunk)
