import hashlib
from datetime import date, datetime, time, timedelta
from io import BytesIO

from freezegun import freeze_time
from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged
from openpyxl import load_workbook

from .common import CobranzaCommon

DAY0 = date(2026, 12, 1)


@tagged("post_install", "-at_install")
class TestBureau(CobranzaCommon):
    """Colombia's prior notice before a credit-bureau report (Ley 1266 de 2008, Ley 2157 de 2021), end to end."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Run = cls.env["cobranza.dunning.run"]
        cls.Bureau = cls.env["cobranza.bureau.run"]
        cls.Line = cls.env["cobranza.bureau.line"]
        cls.Profile = cls.env["cobranza.partner.profile"]
        cls.policy = cls.env.ref("cobranza_odoo.policy_standard").sudo().copy({"company_id": cls.env.company.id})
        cls.env.company.write(
            {"cobranza_policy_id": cls.policy.id, "cobranza_dunning_mode": "send", "cobranza_bureau_enabled": True}
        )
        levels = {level.sequence: level for level in cls.policy.level_ids}
        cls.prelegal, cls.legal = levels[4], levels[5]
        cls.prelegal.bureau_notice = True
        cls.debtor = cls._debtor("Comercial Andina S.A.S.", "900123456-7")

    @classmethod
    def _debtor(cls, name, vat):
        partner = cls.env["res.partner"].create(
            {"name": name, "is_company": True, "vat": vat, "email": "cartera@andina.example"}
        )
        cls.Profile._get_profiles(partner).collector_id = cls.collector
        return partner

    def _invoice_late(self, partner, days_late, amount=1_000_000.0):
        """An invoice ``days_late`` days past due on DAY0 (30-day term)."""
        invoice_date = DAY0 - timedelta(days=days_late + 30)
        move = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": partner.id,
                "invoice_date": invoice_date,
                "date": invoice_date,
                "invoice_payment_term_id": self.term_30.id,
                "invoice_line_ids": [Command.create({"name": "Mercancía", "price_unit": amount, "tax_ids": []})],
            }
        )
        move.action_post()
        return move

    def _run(self, partner, day):
        with freeze_time(datetime.combine(day, time(15, 0))):
            return self.Run._run_for(self.Profile._get_profiles(partner), day)

    def _state_on(self, invoice, day):
        line = self.Line.search([("move_id", "=", invoice.id)])
        self.Bureau._refresh(line, day)
        return line

    def test_a_notice_makes_the_debt_reportable_on_day_20_not_on_day_19(self):
        invoice = self._invoice_late(self.debtor, 60)
        dunning = self._run(self.debtor, DAY0)
        self.assertEqual((dunning.level_id, dunning.state), (self.prelegal, "sent"))
        notice = self.env["cobranza.bureau.notice"].search([("dunning_id", "=", dunning.id)])
        self.assertEqual(notice.date, DAY0)
        line = self._state_on(invoice, DAY0 + timedelta(days=19))
        self.assertEqual(line.state, "noticed")
        self.assertIn("20 days", line.reasons)
        line = self._state_on(invoice, DAY0 + timedelta(days=20))
        self.assertEqual((line.state, line.reportable_from), ("reportable", DAY0 + timedelta(days=20)))

    def test_the_notice_is_kept_as_evidence_with_its_pdf_fingerprint_and_the_letter_says_so(self):
        self._invoice_late(self.debtor, 60)
        dunning = self._run(self.debtor, DAY0)
        notice = self.env["cobranza.bureau.notice"].search([("dunning_id", "=", dunning.id)])
        self.assertTrue(notice.attachment_id)
        self.assertEqual(notice.attachment_sha256, hashlib.sha256(notice.attachment_id.raw).hexdigest())
        self.assertIn("cartera@andina.example", notice.recipients)
        self.assertEqual(notice.channels, "email")
        self.assertTrue(notice.message_id)
        text = self._report_text("cobranza_odoo.action_report_dunning_letter", dunning.ids)
        self.assertIn("Prior notice of a report to the credit bureaus", text)
        self.assertIn("Ley 1266 de 2008", text)
        with self.assertRaises(UserError):
            notice.unlink()
        self.assertIn("credit bureaus", notice.message_id.body)

    def test_a_notice_whose_email_bounced_does_not_start_the_timer_and_stays_as_evidence(self):
        invoice = self._invoice_late(self.debtor, 60)
        dunning = self._run(self.debtor, DAY0)
        notice = self.env["cobranza.bureau.notice"].search([("dunning_id", "=", dunning.id)])
        dunning._message_receive_bounce("cartera@andina.example", self.debtor)
        self.assertTrue(notice.exists() and notice.bounced)
        line = self._state_on(invoice, DAY0 + timedelta(days=25))
        self.assertNotEqual(line.state, "reportable", "nobody received the notice")
        self.assertFalse(line.reportable_from)

    def test_a_payment_on_day_10_stops_the_timer(self):
        invoice = self._invoice_late(self.debtor, 60)
        self._run(self.debtor, DAY0)
        self._pay(invoice, 1_000_000.0, days_ago=(self.today - (DAY0 + timedelta(days=10))).days)
        line = self._state_on(invoice, DAY0 + timedelta(days=20))
        self.assertEqual(line.state, "noticed")
        self.assertIn("paid", line.reasons)
        self.assertTrue(line.stopped)

    def test_a_dispute_or_a_claim_stops_the_timer(self):
        invoice = self._invoice_late(self.debtor, 60)
        self._run(self.debtor, DAY0)
        invoice.write({"cobranza_dispute": True, "cobranza_dispute_reason": "Mercancía devuelta"})
        line = self._state_on(invoice, DAY0 + timedelta(days=25))
        self.assertEqual(line.state, "noticed")
        self.assertIn("in dispute", line.reasons)
        invoice.write({"cobranza_dispute": False})
        line = self._state_on(invoice, DAY0 + timedelta(days=26))
        self.assertIn("new prior notice", line.reasons, "a lifted stop needs a new notice")
        claim = self.env["cobranza.bureau.claim"].create(
            {
                "partner_id": self.debtor.id,
                "line_ids": [Command.set(line.ids)],
                "received_on": date(2026, 12, 4),
                "description": "El cliente dice que ya pagó",
            }
        )
        # 15 business days from the day after: 8 and 25 December are Colombian holidays.
        self.assertEqual(claim.deadline, date(2026, 12, 29))
        self.env.flush_all()
        items = self.env["cobranza.collector.day"].search([("kind", "=", "claim"), ("partner_id", "=", self.debtor.id)])
        self.assertEqual(items.claim_id, claim)

    def test_a_small_debt_needs_two_notices_on_different_days_and_the_20_days_run_from_the_last(self):
        self.legal.sequence = 6
        second = self.prelegal.copy(
            {"name": "Second prior notice", "sequence": 5, "offset_days": 50, "min_interval_days": 4}
        )
        self.assertTrue(second.bureau_notice)
        small = self._debtor("Tienda Pequeña S.A.S.", "800111222-3")
        invoice = self._invoice_late(small, 46, amount=100.0)  # far below 15 % of a minimum wage
        self._run(small, DAY0)
        line = self._state_on(invoice, DAY0 + timedelta(days=30))
        self.assertEqual(line.state, "noticed")
        self.assertIn("second notice", line.reasons)
        self.assertEqual(self._run(small, DAY0 + timedelta(days=4)).level_id, second)
        self.assertEqual(len(line.notice_ids), 2)
        self.assertEqual(self._state_on(invoice, DAY0 + timedelta(days=23)).state, "noticed")
        self.assertEqual(self._state_on(invoice, DAY0 + timedelta(days=24)).state, "reportable")

    def test_only_managers_mark_reported_and_a_debt_paid_after_the_report_is_to_update(self):
        invoice = self._invoice_late(self.debtor, 60)
        self._run(self.debtor, DAY0)
        line = self._state_on(invoice, DAY0 + timedelta(days=21))
        self.assertEqual(line.state, "reportable")
        with self.assertRaises(AccessError):
            line.with_user(self.collector)._mark_reported("datacredito", DAY0 + timedelta(days=21))
        wizard = (
            self.env["cobranza.bureau.report.wizard"]
            .with_user(self.collections_manager)
            .with_context(active_ids=line.ids)
            .create({"bureau": "datacredito", "date": DAY0 + timedelta(days=21)})
        )
        wizard.action_confirm()
        self.assertEqual(
            (line.state, line.bureau, line.reported_by_id), ("reported", "datacredito", self.collections_manager)
        )
        self.assertIn("Reported to", line.message_ids[0].body)
        self._pay(invoice, 1_000_000.0, days_ago=(self.today - (DAY0 + timedelta(days=30))).days)
        line = self._state_on(invoice, DAY0 + timedelta(days=31))
        self.assertEqual(line.state, "to_update")
        with self.assertRaises(AccessError):
            line.with_user(self.collector).action_mark_updated()
        with freeze_time(datetime.combine(DAY0 + timedelta(days=32), time(15, 0))):
            line.with_user(self.collections_manager).action_mark_updated()
        self.assertEqual(line.state, "updated")
        line = self._state_on(invoice, DAY0 + timedelta(days=33))
        self.assertEqual(line.state, "updated")
        self.assertTrue(line.permanence_until)

    def test_the_bureau_export_lists_the_reportable_obligations_with_their_identification(self):
        invoice = self._invoice_late(self.debtor, 60)
        self._run(self.debtor, DAY0)
        self._state_on(invoice, DAY0 + timedelta(days=21))
        wizard = (
            self.env["cobranza.xlsx.export.wizard"].with_user(self.collections_manager).create({"report": "bureau"})
        )
        wizard.action_export()
        rows = [
            row
            for row in load_workbook(BytesIO(wizard.attachment_id.raw), read_only=True).active.iter_rows(
                values_only=True
            )
            if any(cell is not None for cell in row)
        ]
        header, row = rows[1], rows[2]
        self.assertEqual(row[header.index("ID Type")], "NIT")
        self.assertEqual(row[header.index("ID Number")], "900123456")
        self.assertEqual(row[header.index("Check Digit")], "7")
        self.assertEqual(row[header.index("Obligation")], invoice.name)
        self.assertEqual(row[header.index("Amount Owed")], 1_000_000.0)
        self.assertEqual(row[header.index("Status")], "Reportable")
        self.assertEqual(row[header.index("Days Past Due")], (self.today - invoice.invoice_date_due).days)
        collector_export = (
            self.env["cobranza.xlsx.export.wizard"].with_user(self.collector).create({"report": "bureau"})
        )
        with self.assertRaises(AccessError):
            collector_export.action_export()

    def test_bureau_obligations_stay_within_their_company(self):
        other = self.setup_other_company(name="Otra Compañía S.A.")["company"]
        invoice = self._invoice_late(self.debtor, 60)
        self._run(self.debtor, DAY0)
        line = self.Line.search([("move_id", "=", invoice.id)])
        self.assertTrue(line)
        outsider = self.env["res.users"].create(
            {
                "name": "Gestor Otra",
                "login": "gestor_otra",
                "company_id": other.id,
                "company_ids": [Command.set(other.ids)],
                "groups_id": [Command.set([self.env.ref("cobranza_odoo.group_cobranza_manager").id])],
            }
        )
        self.assertFalse(self.Line.with_user(outsider).search([("id", "=", line.id)]))
        self.assertFalse(self.env["cobranza.bureau.notice"].with_user(outsider).search([]))

    def test_a_prior_notice_level_must_be_a_required_step(self):
        with self.assertRaisesRegex(ValidationError, "required step"):
            self.legal.write({"bureau_notice": True, "required": False})

    def test_the_waiting_reason_says_the_companys_waiting_days(self):
        self.assertIn("21", self.Bureau._reason_text(["waiting_period"], 21))
        self.assertNotIn("20", self.Bureau._reason_text(["waiting_period"], 21))
