import contextlib
from datetime import datetime, time, timedelta
from unittest.mock import patch

from freezegun import freeze_time
from lxml import etree
from odoo import Command
from odoo.addons.cobranza_odoo.models import bulk_write
from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import mute_logger
from psycopg2 import IntegrityError

from .common import CobranzaCommon


@tagged("post_install", "-at_install")
class TestDunningDelivery(CobranzaCommon):
    """A daily run you can leave alone: delivery truth, catch-up, one open draft, isolated failures."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Dunning = cls.env["cobranza.dunning"]
        cls.Run = cls.env["cobranza.dunning.run"]
        cls.Profile = cls.env["cobranza.partner.profile"]
        cls.policy = cls.env.ref("cobranza_odoo.policy_standard").sudo().copy({"company_id": cls.env.company.id})
        cls.env.company.write({"cobranza_policy_id": cls.policy.id, "cobranza_dunning_mode": "send"})
        levels = {level.sequence: level for level in cls.policy.level_ids}
        cls.reminder, cls.friendly, cls.formal, cls.prelegal, cls.legal = (levels[i] for i in range(1, 6))
        cls.customer_contact.email = "pagos@ferreteria-central.example"
        cls.Profile._get_profiles(cls.customer).collector_id = cls.collector

    def _customer(self, name, email=True):
        partner = self.env["res.partner"].create(
            {"name": name, "is_company": True, "email": email and f"{name.split()[0].lower()}@ejemplo.example"}
        )
        self.Profile._get_profiles(partner).collector_id = self.collector
        return partner

    def _run(self, partners, days=0, send=None):
        day = self.today + timedelta(days=days)
        with freeze_time(datetime.combine(day, time(12, 0))):
            return self.Run._run_for(self.Profile._get_profiles(partners), day, send=send)

    @staticmethod
    def _receivable(invoice):
        return invoice.line_ids.filtered(lambda line: line.account_type == "asset_receivable").sorted("date_maturity")

    # ------------------------------------------------------------------ delivery truth

    def test_a_customer_without_email_is_not_reached_the_collector_gets_a_todo_and_the_level_stays(self):
        self.friendly.fallback_channel = False
        customer = self._customer("Sin Correo Ltda.", email=False)
        invoice = self._invoice(customer, 300.0, 40, term=self.term_30)  # 10 days late: friendly notice
        dunning = self._run(customer)
        self.assertEqual(dunning.level_id, self.friendly)
        self.assertEqual(dunning.state, "undeliverable")
        self.assertIn("no e-mail address", dunning.failure_reason)
        self.assertFalse(dunning.sent_date)
        todo = dunning.activity_ids.filtered(
            lambda a: a.activity_type_id == self.env.ref("mail.mail_activity_data_todo")
        )
        self.assertEqual(todo.user_id, self.collector)
        line = self._receivable(invoice)
        self.assertFalse(line.cobranza_level_id, "nobody was told: the line keeps its level")
        self.assertFalse(
            self.env["mail.mail"].search([("model", "=", "cobranza.dunning"), ("res_id", "=", dunning.id)])
        )
        # Two days later the same communication is tried again, no pile of records nor of to-dos.
        again = self._run(customer, days=2)
        self.assertEqual(again, dunning)
        self.assertEqual(len(dunning.activity_ids.filtered(lambda a: a.activity_type_id == todo.activity_type_id)), 1)
        # The customer gives an address: trying again delivers it and the lines advance.
        customer.email = "pagos@sincorreo.example"
        dunning.action_send()
        self.assertEqual(dunning.state, "sent")
        self.assertTrue(line.cobranza_level_id)

    def test_the_levels_fallback_channel_prints_a_letter_when_there_is_no_email(self):
        customer = self._customer("Sin Correo Dos S.A.", email=False)
        invoice = self._invoice(customer, 300.0, 40, term=self.term_30)
        self.assertEqual(self.friendly.fallback_channel, "letter", "the default policy prints a letter instead")
        dunning = self._run(customer)
        self.assertEqual(dunning.state, "sent")
        self.assertTrue(dunning.letter_attachment_id)
        self.assertFalse(dunning.email_sent)
        self.assertIn("Letter", dunning.delivery_note)
        self.assertEqual(self._receivable(invoice).cobranza_level_id, self.friendly)

    def test_credit_hold_and_legal_handoff_happen_only_when_the_customer_was_reached(self):
        for level in self.policy.level_ids:
            level.write({"fallback_channel": False, "print_letter": False, "schedule_call": False, "send_email": True})
        self.legal.write({"print_letter": True})  # a judicial level always prints its letter
        customer = self._customer("Moroso Sin Correo S.A.S.", email=False)
        invoice = self._invoice(customer, 900.0, 110, term=self.term_30)  # 80 days late: pre-legal notice
        dunning = self._run(customer)
        self.assertEqual((dunning.level_id, dunning.state), (self.prelegal, "undeliverable"))
        self.assertFalse(self.Profile._get_profiles(customer).credit_hold)
        self.assertFalse(invoice.cobranza_legal)

    # ------------------------------------------------------------------ catch-up and legal collection

    def test_a_line_first_seen_300_days_late_gets_the_required_pre_legal_notice_not_the_friendly_one(self):
        customer = self._customer("Deuda Antigua S.A.S.")
        invoice = self._invoice(customer, 5_000.0, 330, term=self.term_30)
        self.assertTrue(self.prelegal.required)
        wizard = self.env["cobranza.dunning.run.wizard"].create({"partner_ids": [Command.set(customer.ids)]})
        wizard.action_preview()
        line = wizard.line_ids.filtered(lambda line: line.move_id == invoice)
        self.assertEqual((line.decision, line.level_id), ("planned", self.prelegal))
        self.assertTrue(line.held_at_required)
        self.assertEqual(line.target_level_id, self.legal)
        self.assertIn(self.prelegal.name, line.note)
        dunning = self._run(customer)
        self.assertEqual(dunning.level_id, self.prelegal)
        self.assertEqual(dunning.state, "sent")
        # Thirty days later (the legal level's interval) it goes on to the legal hand-off.
        self.assertEqual(self._run(customer, days=30).level_id, self.legal)

    def test_invoices_in_legal_collection_are_never_planned_and_the_preview_says_so(self):
        customer = self._customer("En Abogados S.A.S.")
        legal = self._invoice(customer, 1_000.0, 327, term=self.term_30)
        legal.sudo().cobranza_legal = True
        fresh = self._invoice(customer, 100.0, 40, term=self.term_30)
        dunning = self._run(customer)
        self.assertEqual(dunning.line_ids.move_id, fresh)
        wizard = self.env["cobranza.dunning.run.wizard"].create({"partner_ids": [Command.set(customer.ids)]})
        wizard.action_preview()
        decisions = {line.move_id: line.decision for line in wizard.line_ids}
        self.assertEqual(decisions[legal], "in_legal_collection")

    def test_an_agreement_over_one_of_three_installments_leaves_the_other_two_chased(self):
        term = self.env["account.payment.term"].create(
            {
                "name": "3 cuotas",
                "line_ids": [
                    Command.create({"value": "percent", "value_amount": 30.0, "nb_days": 10}),
                    Command.create({"value": "percent", "value_amount": 30.0, "nb_days": 20}),
                    Command.create({"value": "percent", "value_amount": 40.0, "nb_days": 30}),
                ],
            }
        )
        customer = self._customer("Tres Cuotas S.A.S.")
        invoice = self._invoice(customer, 1_000.0, 60, term=term)
        first, second, third = self._receivable(invoice)
        agreement = self.env["cobranza.agreement"].create(
            {"partner_id": customer.id, "kind": "promise", "line_ids": [Command.set(first.ids)], "debt": 300.0}
        )
        agreement.action_save_promise()
        self.assertEqual(agreement.state, "active")
        dunning = self._run(customer)
        self.assertEqual(dunning.line_ids.move_line_id, second | third)

    # ------------------------------------------------------------------ review mode: one open draft

    def test_three_daily_runs_in_review_mode_leave_one_open_draft_and_sending_it_mails_once(self):
        self.env.company.cobranza_dunning_mode = "draft"
        customer = self._customer("Revisión Diaria S.A.S.")
        first = self._invoice(customer, 300.0, 40, term=self.term_30)
        drafts = self._run(customer, days=0)
        self._run(customer, days=1)
        second = self._invoice(customer, 200.0, 38, term=self.term_30)
        self._run(customer, days=2)
        all_drafts = self.Dunning.search([("partner_id", "=", customer.id)])
        self.assertEqual(all_drafts, drafts)
        self.assertEqual((drafts.state, drafts.date), ("draft", self.today + timedelta(days=2)))
        self.assertEqual(drafts.line_ids.move_id, first | second)
        drafts.action_send()
        mails = self.env["mail.mail"].search([("model", "=", "cobranza.dunning"), ("res_id", "=", drafts.id)])
        self.assertEqual(len(mails), 1)
        self.assertEqual(drafts.state, "sent")

    def test_sending_an_older_communication_never_lowers_a_lines_level(self):
        customer = self._customer("Nivel Alto S.A.S.")
        invoice = self._invoice(customer, 500.0, 40, term=self.term_30)
        line = self._receivable(invoice)
        late = self._run(customer, days=30)  # 40 days late: formal notice, sent
        self.assertEqual(line.cobranza_level_id, self.formal)
        older = self.Dunning.sudo().create(
            {
                "partner_id": customer.id,
                "company_id": self.env.company.id,
                "date": self.today,
                "policy_id": self.policy.id,
                "level_id": self.friendly.id,
                "state": "draft",
            }
        )
        self.assertTrue(late.line_ids)
        self.Run._insert_lines([(older, [self._planned(line, self.friendly)])])
        older.action_send()
        self.assertEqual(older.state, "sent")
        self.assertEqual(line.cobranza_level_id, self.formal)

    def _planned(self, line, level):
        from ..engine import dunning_levels

        return dunning_levels.PlannedLine(line.id, level.id, line.amount_residual, 10, line.date_maturity)

    def test_old_drafts_are_discarded_in_bulk_and_a_customer_day_and_level_has_one_communication(self):
        self.env.company.cobranza_dunning_mode = "draft"
        customers = self._customer("Uno S.A.S.") | self._customer("Dos S.A.S.")
        for customer in customers:
            self._invoice(customer, 100.0, 40, term=self.term_30)
        drafts = self._run(customers)
        self.assertEqual(len(drafts), 2)
        drafts.action_cancel()
        self.assertEqual(set(drafts.mapped("state")), {"cancelled"})
        sent = self._run(customers[0], days=1, send=True)
        with self.assertRaises(UserError):
            sent.action_cancel()
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError), self.cr.savepoint():
            self.Dunning.sudo().create(
                {
                    "partner_id": sent.partner_id.id,
                    "company_id": sent.company_id.id,
                    "date": sent.date,
                    "level_id": sent.level_id.id,
                    "policy_id": sent.policy_id.id,
                }
            )

    # ------------------------------------------------------------------ failures stay with their customer

    def _failing_action(self, victim):
        return self.env["ir.actions.server"].create(
            {
                "name": "Avisar al sistema externo",
                "model_id": self.env.ref("cobranza_odoo.model_cobranza_dunning").id,
                "state": "code",
                "code": f"if record.partner_id.id == {victim.id}:\n"
                "    raise UserError('El sistema externo no responde')\n"
                "record.message_post(body='Aviso externo enviado')",
            }
        )

    def _cron_call(self, batch_size=100):
        cron = self.env.ref("cobranza_odoo.ir_cron_cobranza_dunning")
        progress = self.env["ir.cron.progress"].create({"cron_id": cron.id})
        self.Run.with_context(ir_cron_progress_id=progress.id)._cron_run_dunning(batch_size=batch_size)
        return progress

    def _queries_of_a_call(self, partners, tracked=False):
        """Queries of one call of the scheduled run working on ``partners`` only; ``tracked``: with mail
        tracking on, as in production (the test classes turn it off)."""
        self._only(partners)
        self.env.flush_all()
        self.env.cr.precommit.run()
        self.env.invalidate_all()
        before = self.cr.sql_log_count
        run = self.Run.with_context(tracking_disable=False, mail_notrack=False) if tracked else self.Run
        progress = self.env["ir.cron.progress"].create(
            {"cron_id": self.env.ref("cobranza_odoo.ir_cron_cobranza_dunning").id}
        )
        run.with_context(ir_cron_progress_id=progress.id)._cron_run_dunning()
        self.env.flush_all()
        self.env.cr.precommit.run()  # the tracking messages, as at the commit
        return self.cr.sql_log_count - before

    def _only(self, customers, days=0):
        """Leave every other profile handled today, so the scheduled run works on these customers only."""
        self.Profile.sudo().search([]).write({"dunning_checked_on": self.today + timedelta(days=days)})
        self.Profile._get_profiles(customers).write({"dunning_checked_on": False})

    def test_a_customer_whose_server_action_raises_does_not_stop_the_others(self):
        customers = self._customer("Bueno Uno S.A.S.") | self._customer("Falla S.A.S.") | self._customer("Bueno Dos")
        victim = customers[1]
        for customer in customers:
            self._invoice(customer, 100.0, 40, term=self.term_30)
        self.friendly.write({"send_email": False, "server_action_id": self._failing_action(victim).id})
        self._only(customers)
        self._cron_call()  # plans, queues and "sends": the server actions wait for the commit
        dunnings = self.Dunning.search([("partner_id", "in", customers.ids)])
        self.assertEqual(set(dunnings.mapped("state")), {"waiting"})
        progress = self._cron_call()  # runs the server actions, alone in their call
        self.assertGreater(progress.done, 0)
        by_customer = {dunning.partner_id: dunning for dunning in dunnings}
        self.assertEqual(by_customer[customers[0]].state, "sent")
        self.assertEqual(by_customer[customers[2]].state, "sent")
        failed = by_customer[victim]
        self.assertEqual((failed.state, failed.action_state), ("failed", "failed"))
        self.assertIn("El sistema externo no responde", failed.failure_reason)
        self.assertTrue(failed.activity_ids)

    @mute_logger("odoo.addons.cobranza_odoo.models.cobranza_dunning")
    def test_a_customer_whose_letter_fails_to_print_does_not_stop_the_batch(self):
        customers = self._customer("Carta Uno S.A.S.") | self._customer("Carta Rota S.A.S.")
        for customer in customers:
            self._invoice(customer, 100.0, 60, term=self.term_30)  # 30 days late: formal notice with a letter
        victim = customers[1]
        real_render = type(self.Dunning)._render_letters

        def render(dunnings):
            if victim in dunnings.partner_id:
                raise UserError("wkhtmltopdf se detuvo")  # pylint: disable=translation-required  # a test double
            return real_render(dunnings)

        self._only(customers)
        with patch.object(type(self.Dunning), "_render_letters", render):
            progress = self._cron_call()
        dunnings = self.Dunning.search([("partner_id", "in", customers.ids)])
        by_customer = {dunning.partner_id: dunning for dunning in dunnings}
        self.assertEqual(by_customer[customers[0]].state, "sent")
        self.assertEqual(by_customer[victim].state, "failed")
        self.assertIn("wkhtmltopdf se detuvo", by_customer[victim].failure_reason)
        self.assertEqual(progress.remaining, 0)

    def test_a_customer_whose_planning_fails_gets_a_failed_communication_and_the_others_theirs(self):
        customers = self._customer("Plan Uno S.A.S.") | self._customer("Plan Roto S.A.S.")
        for customer in customers:
            self._invoice(customer, 100.0, 40, term=self.term_30)
        victim = self.Profile._get_profiles(customers[1])
        real_values = type(self.Run)._prepare_dunning_values

        def values(run, profile, *args):
            if profile == victim:
                raise ValueError("plantilla mal configurada")
            return real_values(run, profile, *args)

        self._only(customers)
        with (
            patch.object(type(self.Run), "_prepare_dunning_values", values),
            mute_logger("odoo.addons.cobranza_odoo.models.cobranza_dunning_run"),
        ):
            self._cron_call()
        dunnings = self.Dunning.search([("partner_id", "in", customers.ids)])
        self.assertEqual(dunnings.filtered(lambda d: d.partner_id == customers[0]).state, "sent")
        failed = dunnings.filtered(lambda d: d.partner_id == customers[1])
        self.assertEqual(failed.state, "failed")
        self.assertIn("plantilla mal configurada", failed.failure_reason)

    def test_a_server_action_interrupted_after_it_ran_is_not_run_again(self):
        customer = self._customer("Una Vez S.A.S.")
        self._invoice(customer, 100.0, 40, term=self.term_30)
        other = self._customer("Rompe S.A.S.")
        self._invoice(other, 100.0, 40, term=self.term_30)
        ActionServer = type(self.env["ir.actions.server"])
        action = self.env["ir.actions.server"].create(
            {
                "name": "Llamar al sistema externo",
                "model_id": self.env.ref("cobranza_odoo.model_cobranza_dunning").id,
                "state": "code",
                "code": "record.message_post(body='Sistema externo avisado')",
            }
        )
        self.friendly.server_action_id = action
        self._only(customer)
        self._cron_call()
        dunning = self.Dunning.search([("partner_id", "=", customer.id)])
        self.assertEqual(dunning.action_state, "pending")
        # The other system is called: something outside the database, that a rollback cannot undo.
        external_calls = []
        real_run = ActionServer.run

        def run(actions):
            external_calls.append(actions.env.context.get("cobranza_dunning_key"))
            return real_run(actions)

        self.Profile._get_profiles(other).dunning_checked_on = False
        crash = RuntimeError("caída del servidor")
        with patch.object(ActionServer, "run", run), patch.object(type(self.Run), "_claim_profiles", side_effect=crash):
            for _call in range(3):  # the scheduled action goes on after a crash; the action runs once
                with contextlib.suppress(RuntimeError), self.cr.savepoint():
                    self._cron_call()
        self.assertEqual(external_calls, [dunning.name], "run once, with the communication's reference as key")
        self.assertEqual(dunning.action_state, "done")

    # ------------------------------------------------------------------ batches bounded by time

    def test_a_call_delivers_within_its_time_budget_and_the_next_call_goes_on(self):
        customers = self._customer("Tiempo Uno") | self._customer("Tiempo Dos") | self._customer("Tiempo Tres")
        for customer in customers:
            self._invoice(customer, 100.0, 40, term=self.term_30)
        self.env["ir.config_parameter"].sudo().set_param("cobranza_odoo.cron_time_budget", "0")
        self._only(customers)
        with patch("odoo.addons.cobranza_odoo.models.cobranza_dunning_run.DELIVERY_CHUNK", 1):
            first = self._cron_call()
        dunnings = self.Dunning.search([("partner_id", "in", customers.ids)])
        self.assertEqual(len(dunnings), 3)
        self.assertEqual(len(dunnings.filtered(lambda d: d.state == "sent")), 1, "one per call at least, no more")
        self.assertEqual(first.remaining, 2)
        self.env["ir.config_parameter"].sudo().set_param("cobranza_odoo.cron_time_budget", "60")
        last = self._cron_call()
        self.assertEqual(set(dunnings.mapped("state")), {"sent"})
        self.assertEqual(last.remaining, 0)

    def test_a_run_call_costs_the_same_queries_for_few_and_many_customers(self):
        """Planning and creating work per batch: the queries of a call do not grow with its customers."""
        self.env.company.cobranza_dunning_mode = "draft"

        def portfolio(count, tag):
            partners = self.env["res.partner"].create(
                [{"name": f"Lote {tag} {index} S.A.S.", "is_company": True} for index in range(count)]
            )
            for partner in partners:
                self._invoice(partner, 100.0, 40, term=self.term_30)
                self._invoice(partner, 50.0, 70, term=self.term_30)
            return partners

        self._queries_of_a_call(portfolio(2, "calentamiento"))
        few = self._queries_of_a_call(portfolio(3, "pocos"))
        many = self._queries_of_a_call(portfolio(15, "muchos"))
        self.assertEqual(few, many)
        self.assertEqual(self.Dunning.search_count([("partner_id.name", "like", "Lote muchos")]), 15)

    def test_sending_costs_the_same_queries_for_few_and_many_customers(self):
        """Delivering works per batch: the e-mails, the contact log, the lines' levels and the credit
        holds (with their tracking in the customers' chatter) are written once for the batch."""
        self.friendly.write(
            {"print_letter": False, "schedule_call": False, "fallback_channel": False, "set_credit_hold": True}
        )

        def portfolio(count, tag):
            partners = self.env["res.partner"].create(
                [
                    {
                        "name": f"Envío {tag} {index} S.A.S.",
                        "is_company": True,
                        "email": f"{tag}{index}@ejemplo.example",
                    }
                    for index in range(count)
                ]
            )
            for partner in partners:
                self._invoice(partner, 100.0, 40, term=self.term_30)  # 10 days late: friendly notice
            self.Profile._get_profiles(partners)  # else the first one's run would take them in too
            return partners

        self._queries_of_a_call(portfolio(2, "calentamiento"), tracked=True)
        few, many = portfolio(3, "pocos"), portfolio(15, "muchos")
        self.assertEqual(self._queries_of_a_call(few, tracked=True), self._queries_of_a_call(many, tracked=True))
        dunnings = self.Dunning.search([("partner_id", "in", many.ids)])
        self.assertEqual(set(dunnings.mapped("state")), {"sent"})
        self.assertEqual(len(self.env["cobranza.contact.log"].search([("dunning_id", "in", dunnings.ids)])), 15)
        for dunning in dunnings:
            reminder = dunning.message_ids.filtered(lambda message: message.message_type == "comment")
            self.assertIn(dunning.line_ids.move_id.name, reminder.body)
            profile = self.Profile._get_profiles(dunning.partner_id)
            self.assertTrue(profile.credit_hold)
            self.assertEqual(profile.credit_hold_reason, dunning._hold_reason())
            profile.invalidate_recordset(["message_ids"])
            tracked = profile.message_ids.tracking_value_ids.filtered(
                lambda value: value.field_id.name == "credit_hold"
            )
            self.assertEqual(len(tracked), 1, "the hold is in the customer's chatter, as any tracked change")
            self.assertTrue(tracked.new_value_integer)

    def test_a_communications_amounts_follow_its_lines_when_created_and_when_updated(self):
        """The amounts are written from the plan (not recomputed from the lines): they must still match them."""
        self.env.company.cobranza_dunning_mode = "draft"
        customer = self._customer("Montos S.A.S.")
        late = self._invoice(customer, 300.0, 40, term=self.term_30)  # 10 days late
        self._invoice(customer, 200.0, 60, term=self.term_30)  # 30 days late
        self._invoice(customer, 120.0, 5, move_type="out_refund")  # a credit in the customer's favour
        dunning = self._run(customer)

        def expected(dunning):
            lines = dunning.line_ids
            return (
                sum(lines.mapped("amount_residual")),
                sum(line.amount_residual for line in lines if line.days_late > 0),
            )

        self.assertEqual(len(dunning.line_ids), 2)
        self.assertEqual((dunning.amount_total, dunning.amount_overdue), (500.0, 500.0))
        self.assertEqual((dunning.amount_total, dunning.amount_overdue), expected(dunning))
        self.assertEqual(dunning.credits_amount, 120.0)
        # Two days later, after a partial payment, the same draft is updated: its amounts follow.
        self._pay(late, 100.0)
        self.assertEqual(self._run(customer, days=2), dunning)
        dunning.invalidate_recordset()
        self.assertEqual((dunning.amount_total, dunning.amount_overdue), (400.0, 400.0))
        self.assertEqual((dunning.amount_total, dunning.amount_overdue), expected(dunning))

    def test_the_chatter_copy_of_a_reminder_is_sanitized_the_email_is_sent_as_rendered(self):
        self.friendly.write({"print_letter": False, "schedule_call": False, "fallback_channel": False})
        customer = self._customer("Limpio S.A.S.")
        self._invoice(customer, 100.0, 40, term=self.term_30)
        body = '<p>Su saldo <img src="x" onerror="alert(1)"/></p>'
        Dunning = type(self.Dunning)
        real_render = Dunning._render_emails

        def render(dunnings):
            rendered = real_render(dunnings)
            for values in rendered.values():
                values["body_html"] = body
            return rendered

        with patch.object(Dunning, "_render_emails", render):
            dunning = self._run(customer)
        self.assertEqual(dunning.state, "sent")
        reminder = dunning.message_ids.filtered(lambda message: message.message_type == "comment")
        self.assertIn("Su saldo", reminder.body)
        self.assertNotIn("onerror", reminder.body)
        mail = self.env["mail.mail"].search([("mail_message_id", "=", reminder.id)])
        self.assertEqual(mail.body_html, body)

    def test_the_run_refreshes_the_statistics_of_a_new_communications_table(self):
        """A foreign-key check planned while the communications table looked empty scans it for every
        line inserted: the run analyzes the table while its statistics say it is small."""

        def estimated_rows():
            self.env.cr.execute("SELECT reltuples FROM pg_class WHERE oid = 'cobranza_dunning'::regclass")
            return self.env.cr.fetchone()[0]

        self.env.cr.execute("SELECT COUNT(*) FROM cobranza_dunning")
        rows = self.env.cr.fetchone()[0]
        bulk_write.refresh_statistics(self.env, ("cobranza_dunning",))
        self.assertGreaterEqual(estimated_rows(), rows, "analyzed: the statistics count the table's rows")
        self.env.company.cobranza_dunning_mode = "draft"
        customer = self._customer("Estadísticas S.A.S.")
        self._invoice(customer, 100.0, 40, term=self.term_30)
        with patch.object(bulk_write, "refresh_statistics", wraps=bulk_write.refresh_statistics) as refresh:
            self._run(customer)
        self.assertEqual(refresh.call_count, 1)
        self.assertEqual(refresh.call_args.args[1:], (("cobranza_dunning",),))

    # ------------------------------------------------------------------ seen in review of the round

    def test_a_communication_waiting_for_its_call_is_kept_not_duplicated_and_goes_out_at_a_higher_level(self):
        self.friendly.write({"send_email": False, "schedule_call": True, "fallback_channel": False})
        customer = self._customer("Solo Llamadas S.A.S.")
        customer.phone = "+57 601 555 0101"
        invoice = self._invoice(customer, 400.0, 40, term=self.term_30)  # 10 days late: friendly notice
        dunning = self._run(customer)
        self.assertEqual((dunning.level_id, dunning.state), (self.friendly, "waiting"))
        call = self.env.ref("mail.mail_activity_data_call")
        self.assertEqual(len(dunning.activity_ids.filtered(lambda a: a.activity_type_id == call)), 1)
        # The call is not made; the next days' runs keep the same communication and the same call.
        for days in (3, 6):
            self.assertEqual(self._run(customer, days=days), dunning)
        self.assertEqual(self.Dunning.search_count([("partner_id", "=", customer.id)]), 1)
        self.assertEqual(len(dunning.activity_ids.filtered(lambda a: a.activity_type_id == call)), 1)
        # Once the formal notice is due, the waiting one goes out at that level (e-mail and letter).
        self.formal.write({"print_letter": False, "schedule_call": False})
        self.assertEqual(self._run(customer, days=12), dunning)
        self.assertEqual((dunning.level_id, dunning.state), (self.formal, "sent"))
        self.assertEqual(self._receivable(invoice).cobranza_level_id, self.formal)

    def test_a_bounced_reminder_can_be_tried_again(self):
        customer = self._customer("Rebote S.A.S.")
        self._invoice(customer, 300.0, 40, term=self.term_30)
        dunning = self._run(customer)
        self.assertEqual(dunning.state, "sent")
        dunning._message_receive_bounce(customer.email, customer)
        self.assertEqual(dunning.state, "failed")
        view = self.env.ref("cobranza_odoo.cobranza_dunning_view_form")
        arch = etree.fromstring(self.env["cobranza.dunning"].get_view(view.id)["arch"])
        (retry,) = arch.xpath("//header/button[@name='action_send'][@string='Try Again']")
        self.assertNotIn("sent_date", retry.get("invisible"), "a bounced one was delivered once: still retried")
        customer.email = "tesoreria@rebote.example"
        dunning.action_send()
        self.assertEqual(dunning.state, "sent")
        mails = self.env["mail.mail"].search([("model", "=", "cobranza.dunning"), ("res_id", "=", dunning.id)])
        self.assertIn("tesoreria@rebote.example", mails.recipient_ids.mapped("email"))

    def test_a_bounced_notice_takes_its_lines_back_to_the_last_delivered_level_so_nothing_follows_it(self):
        self.formal.write({"print_letter": False, "schedule_call": False, "fallback_channel": False})
        customer = self._customer("Rebote Tres S.A.S.")
        invoice = self._invoice(customer, 400.0, 40, term=self.term_30)  # 10 days late: friendly notice
        line = self._receivable(invoice)
        friendly = self._run(customer)
        self.assertEqual(
            (friendly.level_id, friendly.state, line.cobranza_level_id), (self.friendly, "sent", self.friendly)
        )
        formal = self._run(customer, days=12)
        self.assertEqual((formal.level_id, formal.state, line.cobranza_level_id), (self.formal, "sent", self.formal))
        formal._message_receive_bounce(customer.email, customer)
        self.assertEqual((formal.state, formal.sent_date), ("failed", False), "nobody was told")
        self.assertEqual(
            (line.cobranza_level_id, line.cobranza_last_dunning_date),
            (self.friendly, self.today),
            "the line is back at the last notice that reached the customer, with its date",
        )
        self.assertEqual(friendly.state, "sent", "the earlier delivery stands")
        # The next day the same communication is tried again at the formal level: no new one, no pre-legal.
        customer.email = "tesoreria@rebotetres.example"
        self.assertEqual(self._run(customer, days=13), formal)
        self.assertEqual((formal.level_id, formal.state), (self.formal, "sent"))
        self.assertEqual(self.Dunning.search_count([("partner_id", "=", customer.id)]), 2)
        self.assertEqual(line.cobranza_level_id, self.formal)

    def test_a_bounced_reminder_discarded_is_still_evidence_and_cannot_be_deleted(self):
        customer = self._customer("Rebote Siete S.A.S.")
        self._invoice(customer, 300.0, 40, term=self.term_30)
        dunning = self._run(customer)
        dunning._message_receive_bounce(customer.email, customer)
        dunning.action_cancel()
        with self.assertRaises(UserError):
            dunning.unlink()

    def test_a_first_reminder_that_bounced_leaves_the_line_without_level(self):
        customer = self._customer("Rebote Cuatro S.A.S.")
        invoice = self._invoice(customer, 300.0, 40, term=self.term_30)
        dunning = self._run(customer)
        dunning._message_receive_bounce(customer.email, customer)
        line = self._receivable(invoice)
        self.assertFalse(line.cobranza_level_id, "no notice reached the customer yet")
        self.assertFalse(line.cobranza_last_dunning_date)

    def test_a_bounce_after_a_line_moved_on_leaves_the_line_where_it_is(self):
        self.formal.write({"print_letter": False, "schedule_call": False, "fallback_channel": False})
        customer = self._customer("Rebote Cinco S.A.S.")
        invoice = self._invoice(customer, 400.0, 40, term=self.term_30)
        friendly = self._run(customer)
        self._run(customer, days=12)  # the formal notice reached the customer
        friendly._message_receive_bounce(customer.email, customer)  # a late bounce of the earlier one
        self.assertEqual(self._receivable(invoice).cobranza_level_id, self.formal)

    def test_a_bounced_email_of_a_notice_that_also_reached_by_letter_stays_delivered(self):
        customer = self._customer("Rebote Seis S.A.S.")
        invoice = self._invoice(customer, 300.0, 40, term=self.term_30)
        dunning = self._run(customer)
        self.env["cobranza.contact.log"].create(
            {"partner_id": customer.id, "channel": "letter", "outcome": "sent", "dunning_id": dunning.id}
        )
        dunning._message_receive_bounce(customer.email, customer)
        self.assertEqual(dunning.state, "sent")
        self.assertEqual(self._receivable(invoice).cobranza_level_id, self.friendly)
        self.assertIn("bounced", dunning.activity_ids.mapped("summary")[0])

    def test_sent_communications_cannot_be_deleted_drafts_can(self):
        customer = self._customer("Evidencia S.A.S.")
        self._invoice(customer, 300.0, 40, term=self.term_30)
        sent = self._run(customer)
        self.assertEqual(sent.state, "sent")
        with self.assertRaisesRegex(UserError, "evidence"):
            sent.unlink()
        other = self._customer("Borrador S.A.S.")
        self._invoice(other, 300.0, 40, term=self.term_30)
        draft = self._run(other, send=False)
        self.assertEqual(draft.state, "draft")
        draft.unlink()
        self.assertFalse(draft.exists())

    def test_running_the_whole_portfolio_follows_the_companys_mode_and_says_so(self):
        Wizard = self.env["cobranza.dunning.run.wizard"]
        self.env.company.cobranza_dunning_mode = "off"
        with self.assertRaisesRegex(UserError, "off"):
            Wizard.create({}).action_create()
        self.env.company.cobranza_dunning_mode = "draft"
        with self.assertRaisesRegex(UserError, "Settings"):
            Wizard.create({}).action_create_and_send()
        action = Wizard.create({}).action_create()
        self.assertEqual(action["tag"], "display_notification")

    def test_delivery_chunks_hold_few_printed_letters_so_a_call_stays_near_its_budget(self):
        customers = self.env["res.partner"]
        for index in range(12):
            customers |= self._customer(f"Carta {index} S.A.S.")
        for customer in customers:
            self._invoice(customer, 100.0, 60, term=self.term_30)  # 30 days late: the formal notice, a letter
        drafts = self._run(customers, send=False)
        self.assertEqual(set(drafts.level_id.mapped("print_letter")), {True})
        sizes = [len(chunk) for chunk in self.Run._delivery_chunks(drafts)]
        self.assertEqual(sizes, [5, 5, 2])
        self.formal.print_letter = False
        self.assertEqual([len(chunk) for chunk in self.Run._delivery_chunks(drafts)], [12])
