from datetime import datetime, time, timedelta

from freezegun import freeze_time
from odoo import Command
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged

from .common import CobranzaCommon


@tagged("post_install", "-at_install")
class TestSegmentsAndStatuses(CobranzaCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Profile = cls.env["cobranza.partner.profile"]
        cls.segment_new = cls.env.ref("cobranza_odoo.segment_new")
        cls.segment_a = cls.env.ref("cobranza_odoo.segment_a")
        cls.segment_b = cls.env.ref("cobranza_odoo.segment_b")
        cls.segment_c = cls.env.ref("cobranza_odoo.segment_c")
        cls.segment_d = cls.env.ref("cobranza_odoo.segment_d")
        cls.env.company.cobranza_grace_days = 3

    @classmethod
    def _customer(cls, name):
        return cls.env["res.partner"].create({"name": name, "is_company": True})

    @classmethod
    def _history(cls, partner, delays, amount=1_000.0):
        """Invoices on 30 days paid ``delay`` days after their due date (None: left unpaid)."""
        invoices = cls.env["account.move"]
        for index, delay in enumerate(delays):
            issued = 300 - index * 25
            invoice = cls._invoice(partner, amount, issued, term=cls.term_30)
            if delay is not None:
                cls._pay(invoice, amount, days_ago=issued - 30 - delay)
            invoices |= invoice
        return invoices

    def _refresh(self, partner):
        profile = self.Profile._get_profiles(partner)
        profile._refresh(self.today)
        return profile

    @staticmethod
    def _noon(day):
        return datetime.combine(day, time(12, 0))

    # ------------------------------------------------------------------ metrics

    def test_metrics_of_a_realistic_history(self):
        customer = self._customer("Distribuidora Los Álamos")
        customer.credit_limit = 10_000.0
        self._history(customer, [0, 2, 10, 20])  # on time, in grace, 10 and 20 days late
        partial = self._invoice(customer, 1_000.0, 75, term=self.term_30)  # 45 days overdue
        self._pay(partial, 400.0, days_ago=35)  # 10 days late, partial
        self._invoice(customer, 500.0, 10, term=self.term_30)  # not due yet
        profile = self._refresh(customer)
        self.assertEqual(profile.metrics_date, self.today)
        self.assertEqual(profile.paid_invoice_count, 4)
        self.assertEqual(profile.on_time_ratio, 50.0)
        self.assertAlmostEqual(profile.avg_days_late, (0 + 2 + 10 + 20) * 1000 / 4400 + 10 * 400 / 4400, places=1)
        self.assertEqual(profile.worst_days_overdue, 45)
        self.assertEqual((profile.overdue_amount, profile.open_amount), (600.0, 1_100.0))
        self.assertEqual(profile.credit_use, 11.0)
        self.assertEqual(profile.last_payment_date, self.today - timedelta(days=35))

    def test_credit_notes_are_not_payments(self):
        customer = self._customer("Ferretería Nota Crédito")
        invoice = self._invoice(customer, 800.0, 100, term=self.term_30)
        invoice._reverse_moves([{"invoice_date": self.today - timedelta(days=5)}], cancel=True)
        self.assertEqual(invoice.payment_state, "reversed")
        profile = self._refresh(customer)
        self.assertEqual((profile.paid_invoice_count, profile.avg_days_late, profile.worst_days_overdue), (0, 0.0, 0))

    # ------------------------------------------------------------------ segments

    def test_customers_land_in_the_segment_their_payments_deserve(self):
        punctual = self._customer("Puntual S.A.S.")
        self._history(punctual, [0, -2, 1, 0])
        slow = self._customer("Lenta S.A.S.")
        self._history(slow, [30, 40, 35, 45])
        newcomer = self._customer("Nueva S.A.S.")
        self._invoice(newcomer, 500.0, 10, term=self.term_30)
        defaulter = self._customer("Morosa S.A.S.")
        self._history(defaulter, [5, None])  # the second invoice, due 245 days ago, is unpaid
        self.assertEqual(self._refresh(punctual).segment_id, self.segment_a)
        self.assertEqual(self._refresh(slow).segment_id, self.segment_c)
        self.assertEqual(self._refresh(newcomer).segment_id, self.segment_new)
        profile = self._refresh(defaulter)
        self.assertEqual(profile.segment_id, self.segment_d)
        change = profile.segment_change_ids
        self.assertEqual(
            (change.old_segment_id, change.new_segment_id, change.source),
            (self.env["cobranza.segment"], self.segment_d, "rule"),
        )

    def test_segment_changes_are_tracked_with_the_rule_and_not_repeated(self):
        customer = self._customer("Cambiante S.A.S.")
        self._history(customer, [0, 0, 0])
        profile = self._refresh(customer)
        self.assertEqual(profile.segment_id, self.segment_a)
        late = self._invoice(customer, 1_000.0, 80, term=self.term_30)  # 50 days overdue
        profile._refresh(self.today)
        self.assertEqual(profile.segment_id, self.segment_c)
        change = profile.segment_change_ids[0]
        self.assertEqual((change.old_segment_id, change.new_segment_id), (self.segment_a, self.segment_c))
        self.assertIn("Worst days overdue at most 90: 50", change.reason)
        profile._refresh(self.today)
        self.assertEqual(len(profile.segment_change_ids), 2)  # same day, nothing new
        self._pay(late, 1_000.0)
        self.assertEqual(profile.segment_id, self.segment_c)  # the daily run decides, not the payment

    def test_a_locked_segment_is_kept_by_the_daily_run(self):
        customer = self._customer("Bloqueada S.A.S.")
        self._history(customer, [60, 70, 80])
        profile = self.Profile._get_profiles(customer)
        with self.assertRaises(AccessError):
            profile.with_user(self.collector).write({"segment_id": self.segment_a.id})
        with self.assertRaises(ValidationError):
            profile.with_user(self.collections_manager).write({"segment_locked": True})
        profile.with_user(self.collections_manager).write(
            {
                "segment_id": self.segment_b.id,
                "segment_locked": True,
                "segment_lock_reason": "Cliente estratégico",
            }
        )
        profile._refresh(self.today)
        self.assertEqual(profile.segment_id, self.segment_b)
        change = profile.segment_change_ids
        self.assertEqual(
            (change.source, change.reason, change.user_id), ("lock", "Cliente estratégico", self.collections_manager)
        )
        profile.with_user(self.collections_manager).segment_locked = False
        profile._refresh(self.today)
        self.assertEqual(profile.segment_id, self.segment_d)

    def test_segment_rules_are_validated(self):
        segment = self.env["cobranza.segment"].create({"name": "Prueba"})
        for rules in (
            [{"condition": "max_avg_days_late", "value": -1}],
            [{"condition": "min_on_time_ratio", "value": 120}],
            [{"condition": "min_paid_invoices", "value": 5}, {"condition": "max_paid_invoices", "value": 2}],
        ):
            with self.subTest(rules=rules), self.assertRaises(ValidationError):
                segment.write({"rule_ids": [Command.create(rule) for rule in rules]})

    def test_segment_counts_its_customers_live(self):
        customer = self._customer("Contada S.A.S.")
        self._history(customer, [0, 0, 0])
        before = self.segment_a.customer_count
        self._refresh(customer)
        self.segment_a.invalidate_recordset(["customer_count"])
        self.assertEqual(self.segment_a.customer_count, before + 1)

    def test_segment_drives_the_default_collector_and_the_credit_check(self):
        self.segment_d.write({"collector_id": self.collector.id, "credit_action": "block", "hold_days": 10})
        customer = self._customer("Riesgosa S.A.S.")
        self._history(customer, [None])
        profile = self._refresh(customer)
        self.assertEqual((profile.segment_id, profile.collector_id), (self.segment_d, self.collector))
        self.assertEqual(self.env.company.cobranza_credit_action, "none")
        result = customer.cobranza_credit_check(1.0)
        self.assertEqual(result["outcome"], "block")
        self.assertEqual(result["reasons"], ["overdue_hold"])
        other = self._customer("Con Gestor S.A.S.")
        self._history(other, [None])
        other_profile = self.Profile._get_profiles(other)
        other_profile.collector_id = self.collections_manager
        other_profile._refresh(self.today)
        self.assertEqual(other_profile.collector_id, self.collections_manager)

    # ------------------------------------------------------------------ statuses

    def test_invoice_status_follows_the_calendar_and_payments(self):
        customer = self._customer("Calendario S.A.S.")
        invoice = self._invoice(customer, 1_000.0, 0, term=self.term_30)  # due in 30 days
        self.env.cr.precommit.run()
        self.assertEqual(invoice.cobranza_status, "current")
        profile = self.Profile._get_profiles(customer)
        for days, status in ((25, "due_soon"), (31, "overdue"), (121, "serious")):
            with freeze_time(self._noon(self.today + timedelta(days=days))):
                profile._refresh_statuses(self.today + timedelta(days=days))
            self.assertEqual((invoice.cobranza_status, profile.collection_status), (status, status))
        self._pay(invoice, 1_000.0)
        self.env.cr.precommit.run()  # statuses refresh when the payment's transaction commits
        self.assertEqual((invoice.cobranza_status, profile.collection_status), ("paid", "current"))

    def test_dispute_is_shown_apart_tracked_and_needs_a_reason(self):
        customer = self._customer("Disputa S.A.S.")
        disputed = self._invoice(customer, 1_000.0, 60, term=self.term_30)
        other = self._invoice(customer, 200.0, 5, term=self.term_30)
        with self.assertRaises(ValidationError):
            disputed.write({"cobranza_dispute": True})
        disputed.with_context(tracking_disable=False, mail_notrack=False).write(
            {"cobranza_dispute": True, "cobranza_dispute_reason": "Mercancía dañada"}
        )
        self.assertEqual((disputed.cobranza_status, disputed.cobranza_dispute_date), ("in_dispute", self.today))
        profile = self.Profile._get_profiles(customer)
        self.assertEqual(profile.collection_status, "in_dispute")
        self.env.flush_all()
        self.env.cr.precommit.run()
        self.assertIn("cobranza_dispute", disputed.message_ids.tracking_value_ids.field_id.mapped("name"))
        disputed.cobranza_dispute = False
        self.assertEqual((disputed.cobranza_status, disputed.cobranza_dispute_reason), ("overdue", False))
        self.assertEqual(other.cobranza_status, "current")

    def test_customer_status_is_the_worst_of_its_invoices_and_legal_is_for_managers(self):
        customer = self._customer("Peor Estado S.A.S.")
        self._invoice(customer, 100.0, 10, term=self.term_30)
        late = self._invoice(customer, 100.0, 50, term=self.term_30)
        profile = self._refresh(customer)
        self.assertEqual(profile.collection_status, "overdue")
        with self.assertRaises(AccessError):
            late.with_user(self.collector).write({"cobranza_legal": True})
        late.with_user(self.collections_manager).write({"cobranza_legal": True})
        self.assertEqual((late.cobranza_status, profile.collection_status), ("legal", "legal"))

    # ------------------------------------------------------------------ the daily run

    def _cron_call(self, batch_size):
        progress = self.env["ir.cron.progress"].create(
            {
                "cron_id": self.env.ref("cobranza_odoo.ir_cron_cobranza_refresh_customers").id,
            }
        )
        self.env["cobranza.profile.refresh"].with_context(ir_cron_progress_id=progress.id)._cron_refresh_customers(
            batch_size=batch_size
        )
        return progress.done, progress.remaining

    def test_daily_run_works_in_batches_resumes_and_does_nothing_twice(self):
        # Everything already in the database is up to date: only our customers are new work.
        self.env["cobranza.profile.refresh"]._create_missing_profiles(limit=100_000)
        self.Profile.sudo().search([]).write({"metrics_date": self.today})
        customers = self.env["res.partner"]
        for index in range(7):
            customer = self._customer(f"Lote {index}")
            self._history(customer, [index * 5, index * 5])
            customers |= customer
        existing = len(self.Profile.search([("partner_id", "in", customers.ids)]))  # made when payments committed
        calls = []
        while True:
            done, remaining = self._cron_call(batch_size=3)
            calls.append((done, remaining))
            if not remaining:
                break
            self.assertLess(len(calls), 10)
        # Every missing profile created once, then every profile refreshed once.
        self.assertEqual(sum(done for done, _remaining in calls), (7 - existing) + 7)
        profiles = self.Profile.search([("partner_id", "in", customers.ids)])
        self.assertEqual(len(profiles), 7)
        self.assertEqual(set(profiles.mapped("metrics_date")), {self.today})
        self.assertTrue(all(profiles.mapped("segment_id")))
        changes = self.env["cobranza.segment.change"].search_count([("profile_id", "in", profiles.ids)])
        self.assertEqual(self._cron_call(batch_size=3), (0, 0))  # the same day: nothing to do
        self.assertEqual(
            self.env["cobranza.segment.change"].search_count([("profile_id", "in", profiles.ids)]), changes
        )
        with freeze_time(self._noon(self.today + timedelta(days=1))):
            done, remaining = self._cron_call(batch_size=10_000)
        self.assertGreaterEqual(done, 7)
        self.assertEqual(remaining, 0)

    def test_refreshing_costs_the_same_queries_for_few_and_many_customers(self):
        def customers(count):
            partners = self.env["res.partner"].create(
                [{"name": f"Cliente {count}-{index}", "is_company": True} for index in range(count)]
            )
            moves = self.env["account.move"].create(
                [
                    {
                        "move_type": "out_invoice",
                        "partner_id": partner.id,
                        "invoice_date": self.today - timedelta(days=60 + index % 90),
                        "invoice_payment_term_id": self.term_30.id,
                        "invoice_line_ids": [Command.create({"name": "x", "price_unit": 100.0, "tax_ids": []})],
                    }
                    for index, partner in enumerate(partners)
                ]
            )
            # Odoo's payment-state query at posting is planned from the statistics: taken on a nearly empty
            # test database, they make posting hundreds of invoices take minutes
            self.env.flush_all()
            self.env.cr.execute("ANALYZE account_move, account_move_line, account_partial_reconcile")
            moves.action_post()
            return self.Profile._get_profiles(partners)

        def queries(profiles):
            self.env.flush_all()
            self.env.cr.precommit.run()
            self.env.invalidate_all()
            before = self.cr.sql_log_count
            profiles._refresh(self.today)
            self.env.flush_all()
            return self.cr.sql_log_count - before

        few, many = customers(10), customers(500)
        queries(customers(3))  # warm-up
        self.assertEqual(queries(few), queries(many))

    def test_collectors_are_reassigned_in_bulk_by_managers_only(self):
        profiles = self.Profile._get_profiles(self._customer("Uno S.A.S.") | self._customer("Dos S.A.S."))
        Wizard = self.env["cobranza.collector.assign.wizard"]
        wizard = (
            Wizard.with_user(self.collections_manager)
            .with_context(active_model="cobranza.partner.profile", active_ids=profiles.ids)
            .create({"collector_id": self.collector.id})
        )
        wizard.action_assign()
        self.assertEqual(profiles.collector_id, self.collector)
        with self.assertRaises(AccessError):
            Wizard.with_user(self.collector).create({"collector_id": self.collector.id})
        mine = self.Profile.with_user(self.collector).search([("collector_id", "=", self.collector.id)])
        self.assertEqual(mine & profiles, profiles)
