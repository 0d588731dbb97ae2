from datetime import datetime, time, timedelta

from freezegun import freeze_time
from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from .common import CobranzaCommon


@tagged("post_install", "-at_install")
class TestDunning(CobranzaCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Dunning = cls.env["cobranza.dunning"]
        cls.DunningRun = cls.env["cobranza.dunning.run"]
        cls.Profile = cls.env["cobranza.partner.profile"]
        cls.policy = (
            cls.env.ref("cobranza_odoo.policy_standard").sudo().copy({"company_id": cls.env.company.id}).sudo(False)
        )
        cls.env.company.write({"cobranza_policy_id": cls.policy.id, "cobranza_dunning_mode": "send"})
        cls.level = {level.sequence: level for level in cls.policy.level_ids}
        cls.reminder, cls.friendly, cls.formal, cls.prelegal, cls.legal = (cls.level[i] for i in range(1, 6))
        cls.customer_contact.email = "pagos@ferreteria-central.example"
        cls.customer.phone = "+57 601 555 0101"
        cls.Profile._get_profiles(cls.customer).collector_id = cls.collector
        # A portfolio with lines at many ages.
        cls.inv_upcoming = cls._invoice(cls.customer, 100.0, 25, term=cls.term_30)  # due in 5 days
        cls.inv_late = cls._invoice(cls.customer, 200.0, 40, term=cls.term_30)  # 10 days late
        cls.inv_split = cls._invoice(cls.customer, 600.0, 55, term=cls.term_two_installments)  # 25 late / due in 5
        cls.inv_partial = cls._invoice(cls.customer, 1_000.0, 70, term=cls.term_30)  # 40 days late
        cls._pay(cls.inv_partial, 300.0, days_ago=20)
        cls.inv_disputed = cls._invoice(cls.customer, 400.0, 60, term=cls.term_30)
        cls.inv_disputed.write({"cobranza_dispute": True, "cobranza_dispute_reason": "Precio mal facturado"})

    @staticmethod
    def _receivable(invoice):
        return invoice.line_ids.filtered(lambda line: line.account_type == "asset_receivable").sorted("date_maturity")

    def _on(self, days, profiles=None, send=True):
        """Run dunning on today + ``days`` for these customers; {receivable line: level} of what was created."""
        day = self.today + timedelta(days=days)
        with freeze_time(datetime.combine(day, time(12, 0))):
            dunnings = self.DunningRun._run_for(profiles or self.Profile._get_profiles(self.customer), day, send=send)
        return dunnings, {line.move_line_id: line.level_id for line in dunnings.line_ids}

    # ------------------------------------------------------------------ the portfolio over time

    def test_portfolio_walked_through_the_daily_run(self):
        upcoming, late = self._receivable(self.inv_upcoming), self._receivable(self.inv_late)
        split_late, split_upcoming = self._receivable(self.inv_split)
        partial = self._receivable(self.inv_partial)

        dunnings, levels = self._on(0)
        self.assertEqual(len(dunnings), 1)
        # First seen 25 and 40 days late, those lines catch up to the formal notice at once.
        self.assertEqual(
            levels,
            {
                upcoming: self.reminder,
                late: self.friendly,
                split_late: self.formal,
                split_upcoming: self.reminder,
                partial: self.formal,
            },
        )
        self.assertEqual(dunnings.level_id, self.formal)
        self.assertEqual(dunnings.state, "sent")
        self.assertTrue(dunnings.letter_attachment_id)
        self.assertEqual(dunnings.activity_ids.activity_type_id, self.env.ref("mail.mail_activity_data_call"))
        self.assertEqual(dunnings.activity_ids.user_id, self.collector)
        self.assertEqual(dunnings.line_ids.filtered(lambda line: line.move_line_id == partial).amount_residual, 700.0)
        self.assertEqual((late.cobranza_level_id, late.cobranza_last_dunning_date), (self.friendly, self.today))
        self.assertFalse(self._receivable(self.inv_disputed).cobranza_dunning_line_ids)

        self.assertFalse(self._on(0)[0], "a second run the same day creates nothing")
        self.assertFalse(self._on(3)[0], "no level is due three days later")

        dunnings, levels = self._on(10)
        self.assertEqual(levels, {upcoming: self.friendly, late: self.formal, split_upcoming: self.friendly})
        self.assertEqual(dunnings.level_id, self.formal)

        dunnings, levels = self._on(25)
        self.assertEqual(
            levels,
            {
                upcoming: self.formal,
                split_late: self.prelegal,
                split_upcoming: self.formal,
                partial: self.prelegal,
            },
        )
        profile = self.Profile._get_profiles(self.customer)
        self.assertTrue(profile.credit_hold)
        self.assertIn(self.prelegal.name, profile.credit_hold_reason)

        dunnings, levels = self._on(55)
        self.assertEqual(levels[partial], self.legal)
        self.assertTrue(self.inv_partial.cobranza_legal)
        self.assertEqual(self.inv_partial.cobranza_status, "legal")
        # From now on the lawyer has it: no reminder of any level for that invoice.
        _dunnings, levels = self._on(200)
        self.assertNotIn(partial, levels)

    def test_credits_covering_the_overdue_amount_stop_the_reminders(self):
        covered = self.env["res.partner"].create(
            {"name": "Saldo a Favor S.A.S.", "is_company": True, "email": "pagos@saldo.example"}
        )
        self._invoice(covered, 300.0, 70, term=self.term_30)
        self._invoice(covered, 400.0, 5, move_type="out_refund")
        dunnings, _levels = self._on(0, self.Profile._get_profiles(covered))
        self.assertFalse(dunnings)

    def test_paused_and_excluded_customers_get_nothing(self):
        profile = self.Profile._get_profiles(self.customer)
        profile.dunning_paused_until = self.today + timedelta(days=5)
        self.assertFalse(self._on(0)[0])
        with self.assertRaises(ValidationError):
            profile.with_user(self.collections_manager).write({"dunning_excluded": True})
        profile.write({"dunning_paused_until": False})
        profile.with_user(self.collections_manager).write(
            {"dunning_excluded": True, "dunning_exclusion_reason": "Cliente en reorganización empresarial"}
        )
        self.assertFalse(self._on(1)[0])

    # ------------------------------------------------------------------ channels

    def test_email_is_queued_in_the_customers_language_to_its_invoice_address(self):
        self.env["res.lang"]._activate_lang("es_419")
        self.env["ir.module.module"]._get("cobranza_odoo")._update_translations(["es_419"], overwrite=True)
        self.customer.lang = "es_419"
        dunnings, _levels = self._on(0)
        message = dunnings.message_ids.filtered(lambda message: message.message_type == "comment")
        self.assertEqual(message.partner_ids, self.customer_contact)
        self.assertIn("Estimado", message.body)
        self.assertIn(self.inv_late.name, message.body)
        mail = self.env["mail.mail"].search([("mail_message_id", "=", message.id)])
        self.assertEqual(mail.state, "outgoing", "e-mails wait in the mail queue")
        self.assertIn(self.collector.email, message.reply_to)

    def test_letter_renders_as_a_real_pdf_with_the_invoices(self):
        dunnings, _levels = self._on(0, send=False)
        self.assertEqual(dunnings.state, "draft")
        pdf = self._render_pdf("cobranza_odoo.action_report_dunning_letter", dunnings.ids)
        searchable = self._pdf_text(pdf)
        self.assertIn(self.inv_late.name, searchable, "the letter's text is real text in the PDF")
        self.assertIn("Ferretería Central", searchable)
        text = self._report_text("cobranza_odoo.action_report_dunning_letter", dunnings.ids)
        for expected in (self.customer.name, self.inv_late.name, self.inv_partial.name, "700.00", "How to pay"):
            self.assertIn(expected, text)

    def test_server_action_runs_after_the_work_is_saved(self):
        action = self.env["ir.actions.server"].create(
            {
                "name": "Enviar WhatsApp",
                "model_id": self.env.ref("cobranza_odoo.model_cobranza_dunning").id,
                "state": "code",
                "code": "record.message_post(body='WhatsApp enviado')",
            }
        )
        self.formal.server_action_id = action
        dunnings, _levels = self._on(0)
        self.assertEqual(dunnings.action_state, "pending")
        self.assertNotIn("WhatsApp enviado", dunnings.message_ids.mapped("body"))
        progress = self.env["ir.cron.progress"].create(
            {"cron_id": self.env.ref("cobranza_odoo.ir_cron_cobranza_dunning").id}
        )
        self.DunningRun.with_context(ir_cron_progress_id=progress.id)._cron_run_dunning()
        self.assertEqual(dunnings.action_state, "done")
        self.assertIn("WhatsApp enviado", "".join(dunnings.message_ids.mapped("body")))

    def test_bounce_marks_the_communication_failed_and_tells_the_collector(self):
        dunnings, _levels = self._on(0)
        dunnings._message_receive_bounce("pagos@ferreteria-central.example", self.customer_contact)
        self.assertEqual(dunnings.state, "failed")
        self.assertIn(self.collector, dunnings.activity_ids.user_id)

    # ------------------------------------------------------------------ run wizard, cron, rules

    def test_run_wizard_previews_each_line_and_why_then_sends(self):
        wizard = (
            self.env["cobranza.dunning.run.wizard"]
            .with_user(self.collector)
            .create({"partner_ids": [Command.set(self.customer.ids)]})
        )
        wizard.action_preview()
        decisions = {line.move_line_id.move_id: line.decision for line in wizard.line_ids}
        self.assertEqual(decisions[self.inv_late], "planned")
        self.assertEqual(decisions[self.inv_disputed], "in_dispute")
        self.assertEqual(wizard.planned_count, 5)
        self.assertFalse(self.Dunning.search([("partner_id", "=", self.customer.id)]), "a preview creates nothing")
        wizard.action_create_and_send()
        self.assertEqual(self.Dunning.search([("partner_id", "=", self.customer.id)]).state, "sent")

    def test_daily_run_in_batches_resumes_and_does_nothing_twice(self):
        others = self.env["res.partner"].create(
            [
                {"name": f"Lote Cobranza {index}", "is_company": True, "email": f"l{index}@ejemplo.example"}
                for index in range(3)
            ]
        )
        for partner in others:
            self._invoice(partner, 100.0, 45, term=self.term_30)
        self.Profile.sudo().search([]).write({"dunning_checked_on": self.today})  # everything else is done
        profiles = self.Profile._get_profiles(others | self.customer)
        profiles.write({"dunning_checked_on": False})
        cron = self.env.ref("cobranza_odoo.ir_cron_cobranza_dunning")
        calls = []
        while True:
            progress = self.env["ir.cron.progress"].create({"cron_id": cron.id})
            self.DunningRun.with_context(ir_cron_progress_id=progress.id)._cron_run_dunning(batch_size=2)
            calls.append((progress.done, progress.remaining))
            if not progress.remaining:
                break
            self.assertLess(len(calls), 6)
        dunnings = self.Dunning.search([("partner_id", "in", (others | self.customer).ids)])
        self.assertEqual(len(dunnings), 4)
        progress = self.env["ir.cron.progress"].create({"cron_id": cron.id})
        self.DunningRun.with_context(ir_cron_progress_id=progress.id)._cron_run_dunning(batch_size=2)
        self.assertEqual((progress.done, progress.remaining), (0, 0))
        self.assertEqual(self.Dunning.search_count([("partner_id", "in", (others | self.customer).ids)]), 4)

    def test_run_query_count_depends_on_customers_not_on_lines(self):
        def customer_with(lines):
            partner = self.env["res.partner"].create(
                {"name": f"Cliente {lines} líneas", "is_company": True, "email": f"c{lines}@ejemplo.example"}
            )
            moves = self.env["account.move"].create(
                [
                    {
                        "move_type": "out_invoice",
                        "partner_id": partner.id,
                        "invoice_date": self.today - timedelta(days=40),
                        "invoice_payment_term_id": self.term_30.id,
                        "invoice_line_ids": [Command.create({"name": "x", "price_unit": 100.0, "tax_ids": []})],
                    }
                    for index in range(lines)
                ]
            )
            moves.action_post()
            return self.Profile._get_profiles(partner)

        def queries(profile):
            self.env.flush_all()
            self.env.cr.precommit.run()
            self.env.invalidate_all()
            before = self.cr.sql_log_count
            self.DunningRun._run_for(profile, self.today, send=True)
            self.env.flush_all()
            return self.cr.sql_log_count - before

        queries(customer_with(2))  # warm-up
        self.assertEqual(queries(customer_with(1)), queries(customer_with(40)))

    def test_inconsistent_policies_are_refused(self):
        with self.assertRaises(ValidationError):
            self.formal.offset_days = 5  # same day as the friendly notice
        with self.assertRaises(ValidationError):
            self.reminder.offset_days = 2  # a preventive level after the due date
        with self.assertRaises(ValidationError):
            self.legal.handoff_partner_id = False  # judicial without a lawyer
        with self.assertRaises(ValidationError):
            self.formal.write({"send_email": False, "print_letter": False, "schedule_call": False})

    def test_multi_company_and_access_rights(self):
        other = self.setup_other_company(name="Otra Compañía S.A.")["company"]
        self.env.user.company_ids |= other
        self._invoice(self.customer, 500.0, 60, term=self.term_30, company=other)
        dunnings, _levels = self._on(0, self.Profile._get_profiles(self.customer, other))
        self.assertFalse(dunnings, "the other company has no policy and dunning off")
        dunnings, _levels = self._on(0)
        self.assertEqual(dunnings.company_id, self.env.company)
        self.assertTrue(dunnings.with_user(self.collector).read(["name"]))
        with self.assertRaises(AccessError):
            dunnings.with_user(self.salesman).read(["name"])
        with self.assertRaises(AccessError):
            dunnings.with_user(self.collector).unlink()
        with self.assertRaises(AccessError):
            self.friendly.with_user(self.collector).write({"offset_days": 7})
        with self.assertRaises(UserError):
            dunnings.action_cancel()  # sent communications are evidence
