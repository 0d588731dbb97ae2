from datetime import date, datetime, timedelta

from freezegun import freeze_time
from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import CobranzaCommon

# Tuesday 1 December 2026, 20:00 in Bogotá (UTC-5): after the 19:00 limit of Ley 2300.
TUESDAY_20H_BOGOTA = datetime(2026, 12, 2, 1, 0)
WEDNESDAY_07H_BOGOTA = datetime(2026, 12, 2, 12, 0)


@tagged("post_install", "-at_install")
class TestContactRules(CobranzaCommon):
    """Ley 2300 and its neighbours as the run applies them: hours, holidays, frequency, consent, the log."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Run = cls.env["cobranza.dunning.run"]
        cls.Profile = cls.env["cobranza.partner.profile"]
        cls.Log = cls.env["cobranza.contact.log"]
        cls.colombia = cls.env.ref("base.co")
        cls.policy = cls.env.ref("cobranza_odoo.policy_standard").sudo().copy({"company_id": cls.env.company.id})
        cls.env.company.write({"cobranza_policy_id": cls.policy.id, "cobranza_dunning_mode": "send"})
        levels = {level.sequence: level for level in cls.policy.level_ids}
        cls.friendly, cls.formal = levels[2], levels[3]
        cls.consumer = cls._consumer("Laura Gómez", "laura@ejemplo.example", channels=("email", "call"))
        cls.sms_template = cls.env.ref("cobranza_odoo.sms_template_dunning")

    @classmethod
    def _consumer(cls, name, email, channels=("email",)):
        partner = cls.env["res.partner"].create(
            {
                "name": name,
                "email": email,
                "mobile": "+57 300 555 0101",
                "country_id": cls.colombia.id,
                "tz": "America/Bogota",
            }
        )
        profile = cls.Profile._get_profiles(partner)
        profile.write(
            {
                "collector_id": cls.collector.id,
                "consent_ids": [
                    Command.create({"channel": channel, "date_from": date(2026, 1, 1), "source": "contract"})
                    for channel in channels
                ],
            }
        )
        return partner

    def _invoice_on(self, partner, invoice_date, amount=300.0):
        move = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": partner.id,
                "invoice_date": invoice_date,
                "date": invoice_date,
                "invoice_payment_term_id": self.term_30.id,
                "invoice_line_ids": [Command.create({"name": "Crédito", "price_unit": amount, "tax_ids": []})],
            }
        )
        move.action_post()
        return move

    def _run_at(self, moment, partners):
        """The run as a given moment (UTC) sees it, for these customers."""
        with freeze_time(moment):
            day = (moment - timedelta(hours=5)).date()
            return self.Run._run_for(self.Profile._get_profiles(partners), day)

    def _cron_at(self, moment, partners):
        with freeze_time(moment):
            self.Profile.sudo().search([]).write({"dunning_checked_on": (moment - timedelta(hours=5)).date()})
            cron = self.env.ref("cobranza_odoo.ir_cron_cobranza_dunning")
            progress = self.env["ir.cron.progress"].create({"cron_id": cron.id})
            self.Run.with_context(ir_cron_progress_id=progress.id)._cron_run_dunning()

    def test_a_run_at_20h_in_bogota_defers_to_07h_the_next_business_day_and_sends_it_then(self):
        self._invoice_on(self.consumer, date(2026, 10, 20))  # due 19 November: 12 days late
        dunning = self._run_at(TUESDAY_20H_BOGOTA, self.consumer)
        self.assertEqual(dunning.state, "deferred")
        self.assertEqual(dunning.deferred_until, WEDNESDAY_07H_BOGOTA)
        self.assertIn("outside the allowed hours", dunning.defer_reason)
        self.assertFalse(self.env["mail.mail"].search([("model", "=", dunning._name), ("res_id", "=", dunning.id)]))
        triggers = self.env["ir.cron.trigger"].search(
            [("cron_id", "=", self.env.ref("cobranza_odoo.ir_cron_cobranza_dunning").id)]
        )
        self.assertIn(WEDNESDAY_07H_BOGOTA, triggers.mapped("call_at"), "the scheduled run comes back at the slot")
        self._cron_at(WEDNESDAY_07H_BOGOTA - timedelta(minutes=1), self.consumer)
        self.assertEqual(dunning.state, "deferred", "one minute early: still waiting")
        self._cron_at(WEDNESDAY_07H_BOGOTA, self.consumer)
        self.assertEqual(dunning.state, "sent")
        self.assertEqual(
            len(self.env["mail.mail"].search([("model", "=", dunning._name), ("res_id", "=", dunning.id)])), 1
        )
        log = self.Log.search([("dunning_id", "=", dunning.id)])
        self.assertEqual((log.channel, log.date, log.direction), ("email", WEDNESDAY_07H_BOGOTA, "outbound"))

    def test_a_public_holiday_of_colombia_defers_to_the_next_business_day(self):
        self._invoice_on(self.consumer, date(2026, 10, 25))
        # Monday 7 December 2026 at 20:00: Tuesday the 8th (Inmaculada Concepción) is a holiday.
        dunning = self._run_at(datetime(2026, 12, 8, 1, 0), self.consumer)
        self.assertEqual(dunning.state, "deferred")
        self.assertEqual(dunning.deferred_until, datetime(2026, 12, 9, 12, 0))
        self.assertIn("outside the allowed hours", dunning.defer_reason)

    def test_a_second_channel_in_the_same_week_is_deferred_to_the_next_week(self):
        customer = self._consumer("Pedro Ruiz", "pedro@ejemplo.example", channels=("email", "sms"))
        self._invoice_on(customer, date(2026, 10, 20))
        self.friendly.write({"send_email": False, "send_sms": True, "sms_template_id": self.sms_template.id})
        with freeze_time(datetime(2026, 12, 1, 14, 0)):
            self.env["cobranza.contact.gate"]._log(customer, "email", datetime(2026, 12, 1, 14, 0))
        # Thursday of the same week, 10:00 in Bogotá: an e-mail went out on Tuesday.
        dunning = self._run_at(datetime(2026, 12, 3, 15, 0), customer)
        self.assertEqual(dunning.state, "deferred")
        self.assertIn("another channel this week", dunning.defer_reason)
        self.assertEqual(dunning.deferred_until, datetime(2026, 12, 7, 12, 0), "Monday 07:00 in Bogotá")

    def test_a_company_customer_is_covered_only_when_the_setting_says_so(self):
        business = self.env["res.partner"].create(
            {
                "name": "Ferretería Nocturna S.A.S.",
                "is_company": True,
                "email": "pagos@nocturna.example",
                "country_id": self.colombia.id,
                "tz": "America/Bogota",
            }
        )
        self.assertFalse(self.Profile._get_profiles(business).consumer)
        self._invoice_on(business, date(2026, 10, 20))
        self.assertEqual(self._run_at(TUESDAY_20H_BOGOTA, business).state, "sent")
        other = self.env["res.partner"].create(
            {
                "name": "Distribuidora Tarde S.A.S.",
                "is_company": True,
                "email": "pagos@tarde.example",
                "country_id": self.colombia.id,
                "tz": "America/Bogota",
            }
        )
        self.Profile._get_profiles(other).consent_ids = [
            # Dated before the run: the default (today) would postdate a run frozen on 1 December.
            Command.create({"channel": "email", "date_from": date(2026, 1, 1), "source": "contract"})
        ]
        self._invoice_on(other, date(2026, 10, 20))
        self.env.company.cobranza_contact_rules_all_customers = True
        self.assertEqual(self._run_at(TUESDAY_20H_BOGOTA, other).state, "deferred")

    def test_a_channel_the_customer_did_not_authorise_is_refused_not_deferred(self):
        customer = self._consumer("Ana Díaz", "ana@ejemplo.example", channels=("call",))
        self._invoice_on(customer, date(2026, 10, 20))
        self.friendly.fallback_channel = False
        dunning = self._run_at(WEDNESDAY_07H_BOGOTA + timedelta(hours=3), customer)
        self.assertEqual(dunning.state, "undeliverable")
        self.assertIn("did not authorise this channel", dunning.failure_reason)
        self.assertFalse(dunning.deferred_until)
        self.assertTrue(dunning.activity_ids, "the collector is told")

    def test_every_channel_fills_the_contact_log(self):
        customer = self._consumer("Marta Ríos", "marta@ejemplo.example", channels=("email", "sms", "whatsapp"))
        self.env.company.cobranza_contact_rules_all_customers = False
        profile = self.Profile._get_profiles(customer)
        profile.consumer = False  # no frequency limits: every channel may go out the same day
        self._invoice_on(customer, date(2026, 9, 1))  # more than 45 days late: pre-legal notice with a letter
        moment = WEDNESDAY_07H_BOGOTA + timedelta(hours=4)
        levels = {level.sequence: level for level in self.policy.level_ids}
        levels[4].write({"send_sms": True, "sms_template_id": self.sms_template.id, "send_whatsapp": True})
        dunning = self._run_at(moment, customer)
        self.assertEqual(dunning.state, "sent")
        channels = set(self.Log.search([("dunning_id", "=", dunning.id)]).mapped("channel"))
        self.assertEqual(channels, {"email", "sms"})
        self.assertTrue(self.env["sms.sms"].search([("number", "=", "+573005550101")]))
        with freeze_time(moment):
            action = dunning.action_send_whatsapp()
        self.assertTrue(action["url"].startswith("https://wa.me/573005550101?text="))
        self.assertIn("whatsapp", self.Log.search([("dunning_id", "=", dunning.id)]).mapped("channel"))
        with freeze_time(moment):
            wizard = (
                self.env["cobranza.call.log.wizard"]
                .with_user(self.collector)
                .create({"partner_id": customer.id, "dunning_id": dunning.id, "outcome": "no_answer"})
            )
            wizard.action_log()
        call = self.Log.search([("partner_id", "=", customer.id), ("channel", "=", "call")])
        self.assertEqual((call.outcome, call.reached, call.user_id), ("no_answer", False, self.collector))
        with self.assertRaises(UserError):
            call.unlink()
        with self.assertRaises(UserError):
            call.with_user(self.collector).write({"outcome": "reached"})
        call.with_user(self.collector).note = "Volver a llamar el lunes"

    def test_a_reached_call_with_a_promise_completes_the_call_and_opens_the_promise_form(self):
        customer = self._consumer("Jorge Mora", "jorge@ejemplo.example", channels=("call",))
        self._invoice_on(customer, date(2026, 10, 20))
        self.friendly.write({"send_email": False, "schedule_call": True, "fallback_channel": False})
        dunning = self._run_at(WEDNESDAY_07H_BOGOTA + timedelta(hours=3), customer)
        self.assertEqual(dunning.state, "waiting", "a planned call reaches nobody until it is made")
        with freeze_time(WEDNESDAY_07H_BOGOTA + timedelta(hours=4)):
            wizard = self.env["cobranza.call.log.wizard"].create(
                {"partner_id": customer.id, "dunning_id": dunning.id, "outcome": "promise"}
            )
            self.assertFalse(wizard.rules_warning)
            action = wizard.action_log()
        self.assertEqual(dunning.state, "sent")
        self.assertEqual(action["res_model"], "cobranza.agreement")
        self.assertEqual(action["context"]["default_kind"], "promise")

    def test_the_call_wizard_warns_when_the_rules_forbid_calling_now(self):
        self.env["res.lang"]._activate_lang("es_419")
        self.env["ir.module.module"]._get("cobranza_odoo")._update_translations(["es_419"], overwrite=True)
        with freeze_time(TUESDAY_20H_BOGOTA):
            wizard = (
                self.env["cobranza.call.log.wizard"]
                .with_context(lang="es_419")
                .create({"partner_id": self.consumer.id, "outcome": "reached"})
            )
            self.assertIn("fuera del horario permitido", wizard.rules_warning)
            self.assertIn("permitido desde", wizard.rules_warning)

    def test_the_collectors_day_lists_exactly_the_items_that_need_a_person(self):
        Day = self.env["cobranza.collector.day"].with_user(self.collector)
        deferred_customer = self._consumer("Diferido Pérez", "diferido@ejemplo.example")
        self._invoice_on(deferred_customer, date(2026, 10, 20))
        deferred = self._run_at(TUESDAY_20H_BOGOTA, deferred_customer)
        call_customer = self._consumer("Llamada López", "llamada@ejemplo.example", channels=("call",))
        self._invoice_on(call_customer, date(2026, 10, 20))
        self.friendly.write({"send_email": False, "schedule_call": True, "fallback_channel": False})
        with freeze_time(WEDNESDAY_07H_BOGOTA + timedelta(hours=3)):
            waiting = self.Run._run_for(self.Profile._get_profiles(call_customer), date(2026, 12, 2))
            self.env.flush_all()
            items = Day.search([("partner_id", "in", (deferred_customer | call_customer).ids)])
            kinds = {(item.kind, item.partner_id) for item in items}
            self.assertEqual(kinds, {("deferred", deferred_customer), ("call", call_customer)})
            call_item = items.filtered(lambda item: item.kind == "call")
            self.assertEqual(call_item.dunning_id, waiting)
            self.assertEqual(call_item.contact_now, "Allowed now")
            self.assertTrue(call_item.local_time)
            deferred_item = items.filtered(lambda item: item.kind == "deferred")
            self.assertEqual(deferred_item.dunning_id, deferred)
            self.assertEqual(deferred_item.date, WEDNESDAY_07H_BOGOTA)

    def test_the_gate_reads_the_rules_of_many_customers_in_a_fixed_number_of_queries(self):
        Gate = self.env["cobranza.contact.gate"]
        few = self.consumer | self._consumer("Uno Solo", "uno@ejemplo.example")
        many = self.env["res.partner"].union(
            *(self._consumer(f"Cliente {index}", f"c{index}@ejemplo.example") for index in range(15))
        )
        for partner in few | many:
            Gate._log(partner, "email", datetime(2026, 12, 1, 14, 0))

        def queries(partners):
            self.env.invalidate_all()
            before = self.cr.sql_log_count
            Gate._gate_context(partners, self.env.company, datetime(2026, 12, 2, 14, 0))
            return self.cr.sql_log_count - before

        queries(few)
        self.assertEqual(queries(few), queries(many))
