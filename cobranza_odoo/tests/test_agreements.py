from datetime import datetime, time, timedelta

from freezegun import freeze_time
from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from .common import CobranzaCommon


@tagged("post_install", "-at_install")
class TestAgreements(CobranzaCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Agreement = cls.env["cobranza.agreement"]
        cls.customer_contact.email = "pagos@ferreteria-central.example"
        cls.env.company.cobranza_agreement_approval_installments = 6
        cls.invoice_a = cls._invoice(cls.customer, 600.0, 80, term=cls.term_30)  # 50 days late
        cls.invoice_b = cls._invoice(cls.customer, 300.0, 50, term=cls.term_30)  # 20 days late
        cls.invoice_current = cls._invoice(cls.customer, 100.0, 5, term=cls.term_30)

    @staticmethod
    def _receivable(invoices):
        return invoices.line_ids.filtered(lambda line: line.account_type == "asset_receivable")

    def _noon(self, days):
        return datetime.combine(self.today + timedelta(days=days), time(12, 0))

    def _agreement(self, **values):
        action = self.customer.with_user(self.collector).action_cobranza_new_agreement()
        agreement = (
            self.Agreement.with_user(self.collector)
            .with_context(**action["context"])
            .create(
                {
                    "down_payment": 100.0,
                    "installment_count": 4,
                    "frequency": "monthly",
                    "first_date": self.today + timedelta(days=30),
                    **values,
                }
            )
        )
        agreement.action_compute_schedule()
        return agreement

    def _pay_lines(self, lines, amount, days_ago=0):
        payment = self.env["account.payment"].create(
            {
                "payment_type": "inbound",
                "partner_type": "customer",
                "partner_id": self.customer.id,
                "amount": amount,
                "date": self.today - timedelta(days=days_ago),
            }
        )
        payment.action_post()
        (payment.move_id.line_ids.filtered(lambda line: line.account_type == "asset_receivable") | lines).reconcile()
        self.env.cr.precommit.run()  # what happens when the payment's transaction commits
        return payment

    # ------------------------------------------------------------------ creating

    def test_agreement_from_the_customers_overdue_lines_with_an_exact_schedule(self):
        agreement = self._agreement()
        self.assertEqual(agreement.line_ids, self._receivable(self.invoice_a | self.invoice_b))
        self.assertEqual(agreement.debt, 900.0)
        schedule = agreement.installment_ids.sorted("sequence")
        self.assertEqual(schedule.mapped("principal"), [100.0, 200.0, 200.0, 200.0, 200.0])
        self.assertEqual(schedule[1].date, self.today + timedelta(days=30))
        agreement.action_confirm()
        self.assertEqual(agreement.state, "active")
        self.assertEqual((self.invoice_a.cobranza_status, self.invoice_b.cobranza_status), ("under_agreement",) * 2)
        self.assertEqual(self.invoice_current.cobranza_status, "current")

    def test_covered_lines_are_out_of_dunning_while_active(self):
        policy = self.env.ref("cobranza_odoo.policy_standard").sudo().copy({"company_id": self.env.company.id})
        self.env.company.cobranza_policy_id = policy
        agreement = self._agreement()
        agreement.action_confirm()
        profile = self.env["cobranza.partner.profile"]._get_profiles(self.customer)
        dunnings = self.env["cobranza.dunning.run"]._run_for(profile, self.today, send=False)
        self.assertNotIn(self.invoice_a, dunnings.line_ids.move_id)
        self.assertNotIn(self.invoice_b, dunnings.line_ids.move_id)

    def test_hand_edited_schedule_is_validated_before_activation(self):
        agreement = self._agreement()
        agreement.installment_ids.sorted("sequence")[-1].principal = 150.0  # no longer adds up to 900
        with self.assertRaises(UserError) as refused:
            agreement.action_confirm()
        self.assertIn("add up exactly", str(refused.exception))
        agreement.installment_ids.sorted("sequence")[-1].principal = 200.0
        agreement.installment_ids.sorted("sequence")[2].date = self.today  # before the previous one
        with self.assertRaises(UserError):
            agreement.action_confirm()

    def test_interest_is_invoiced_as_its_own_document(self):
        agreement = self._agreement(down_payment=0.0, installment_count=3, interest_rate=2.0, rate_type="monthly")
        self.assertEqual(round(agreement.total_interest, 2), 36.24)  # 18.00 + 12.12 + 6.12
        agreement.action_confirm()
        interest = agreement.interest_move_id
        self.assertEqual((interest.state, interest.amount_total), ("posted", agreement.total_interest))
        self.assertEqual(self.invoice_a.amount_residual, 600.0, "the covered invoices never show the interest")
        self.assertIn(self._receivable(interest), agreement.line_ids)

    def test_big_agreements_wait_for_a_manager_and_collectors_cannot_approve(self):
        agreement = self._agreement(installment_count=12)
        agreement.action_confirm()
        self.assertEqual(agreement.state, "to_approve")
        self.assertIn(self.collections_manager, agreement.activity_ids.user_id)
        with self.assertRaises(AccessError):
            agreement.with_user(self.collector).action_approve()
        agreement.with_user(self.collections_manager).action_approve()
        self.assertEqual((agreement.state, agreement.approved_by_id), ("active", self.collections_manager))
        self.env.company.cobranza_agreement_approval_amount = 500.0
        small = self._agreement(installment_count=2)
        small.action_confirm()
        self.assertEqual(small.state, "to_approve", "900 is above the amount threshold")

    # ------------------------------------------------------------------ progress

    def test_real_payments_fill_installments_in_order(self):
        agreement = self._agreement()
        agreement.action_confirm()
        self._pay_lines(self._receivable(self.invoice_a), 250.0)
        installments = agreement.installment_ids.sorted("sequence")
        self.assertEqual(installments.mapped("paid_amount"), [100.0, 150.0, 0.0, 0.0, 0.0])
        self.assertEqual(installments.mapped("state"), ["paid", "partial", "open", "open", "open"])
        self.assertEqual(agreement.paid_amount, 250.0)

    def test_credit_notes_are_not_payments(self):
        agreement = self._agreement()
        agreement.action_confirm()
        self.invoice_b._reverse_moves([{"invoice_date": self.today}], cancel=True)  # a credit note settles it
        self.env.cr.precommit.run()
        self.assertEqual(self.invoice_b.payment_state, "reversed")
        self.assertEqual(agreement.paid_amount, 0.0)

    def test_missed_installment_past_grace_breaks_and_dunning_resumes(self):
        agreement = self._agreement(grace_days=5, down_payment=0.0)
        agreement.action_confirm()
        installment = agreement.installment_ids.sorted("sequence")[0]
        with freeze_time(self._noon(35)):
            self.assertFalse(agreement._refresh_progress(self.today + timedelta(days=35)))
            self.assertEqual(installment.state, "overdue")
            broken = agreement._refresh_progress(self.today + timedelta(days=36))
        self.assertEqual(broken, agreement)
        self.assertEqual((agreement.state, agreement.broken_installment_id), ("broken", installment))
        self.assertIn(self.collector, agreement.activity_ids.user_id)
        self.assertIn("no longer in force", agreement.message_ids[0].body)
        self.assertEqual(self.invoice_a.cobranza_status, "overdue")
        profile = self.env["cobranza.partner.profile"]._get_profiles(self.customer)
        profile._refresh(self.today + timedelta(days=36))
        self.assertEqual(profile.broken_promise_count, 1)

    def test_paying_everything_completes_the_agreement(self):
        agreement = self._agreement()
        agreement.action_confirm()
        self._pay_lines(self._receivable(self.invoice_a | self.invoice_b), 900.0)
        self.assertEqual(agreement.state, "done")
        self.assertEqual(set(agreement.installment_ids.mapped("state")), {"paid"})

    def test_cancelling_frees_the_lines(self):
        agreement = self._agreement()
        agreement.action_confirm()
        agreement.action_cancel()
        self.assertEqual(self.invoice_a.cobranza_status, "overdue")
        self.assertFalse(self.env["cobranza.receivable.facts"]._moves_under_agreement(self.invoice_a.ids, self.today))

    # ------------------------------------------------------------------ promises, reminders, reports

    def test_promise_in_two_clicks_from_the_invoice_and_kept(self):
        action = self.invoice_a.with_user(self.collector).action_cobranza_new_promise()
        promise = self.Agreement.with_user(self.collector).with_context(**action["context"]).create({"debt": 400.0})
        promise.action_save_promise()
        self.assertEqual((promise.kind, promise.state, promise.installment_ids.amount), ("promise", "active", 400.0))
        self.assertEqual(promise.installment_ids.date, self.today + timedelta(days=7))
        self._pay_lines(self._receivable(self.invoice_a), 400.0)
        self.assertEqual(promise.state, "done")

    def test_promise_from_the_worklist_needs_one_customer(self):
        other = self._invoice(self.env["res.partner"].create({"name": "Otro S.A.S."}), 100.0, 60, term=self.term_30)
        lines = self._receivable(self.invoice_a | other)
        with self.assertRaises(UserError):
            lines.with_user(self.collector).action_cobranza_new_promise()
        action = self._receivable(self.invoice_a).with_user(self.collector).action_cobranza_new_promise()
        self.assertEqual(action["context"]["default_partner_id"], self.customer.id)

    def test_reminder_before_each_installment_once(self):
        agreement = self._agreement(down_payment=0.0)
        agreement.action_confirm()
        day = self.today + timedelta(days=27)  # three days before the first installment
        with freeze_time(self._noon(27)):
            _batch, reminded = self.Agreement._cron_refresh_agreements()
        self.assertEqual(reminded, agreement.installment_ids.sorted("sequence")[0])
        self.assertEqual(reminded.reminder_sent_on, day)
        message = agreement.message_ids[0]
        self.assertIn("next installment", message.body)
        self.assertEqual(message.partner_ids, self.customer_contact)
        with freeze_time(self._noon(27)):
            agreement.progress_date = False
            self.assertFalse(self.Agreement._cron_refresh_agreements()[1])

    def test_agreement_pdf_for_signature_renders(self):
        agreement = self._agreement()
        self._render_pdf("cobranza_odoo.action_report_agreement", agreement.ids)
        text = self._report_text("cobranza_odoo.action_report_agreement", agreement.ids)
        for expected in ("Payment Agreement", self.customer.name, self.invoice_a.name, "Debtor", "Creditor", "900.00"):
            self.assertIn(expected, text)

    def test_salesperson_has_no_access(self):
        agreement = self._agreement()
        with self.assertRaises(AccessError):
            agreement.with_user(self.salesman).read(["name"])

    def test_agreement_lines_belong_to_its_customer(self):
        other = self._invoice(self.env["res.partner"].create({"name": "Ajeno S.A.S."}), 100.0, 60, term=self.term_30)
        agreement = self._agreement()
        with self.assertRaises(ValidationError):
            agreement.line_ids = [Command.link(self._receivable(other).id)]
            agreement.flush_recordset()
