from datetime import date

from freezegun import freeze_time
from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged
from odoo.tools import float_round

from .common import CobranzaCommon

# The Colombian usury caps shipped with the addon (consumer and ordinary credit, E.A.).
NOV_2025, DEC_2025, JAN_2026 = 0.2499, 0.2502, 0.2436


def expected(principal, days, ea):
    """The interest of ``days`` on ``principal`` at the effective annual rate ``ea``, compounded daily."""
    return float_round(principal * days * ((1 + ea) ** (1 / 365) - 1), 2)


@tagged("post_install", "-at_install")
class TestInterest(CobranzaCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Run = cls.env["cobranza.interest.run"]
        cls.Offer = cls.env["cobranza.settlement.offer"]
        cls.Charge = cls.env["cobranza.interest.charge"]
        cls.policy = cls.env["cobranza.interest.policy"].create(
            {
                "name": "Mora al 30 % E.A. (tope: usura)",
                "rate": 30.0,  # above every cap: the cap in force applies each day
                "rate_type": "effective_annual",
                "country_id": cls.env.ref("base.co").id,
                "credit_type": "consumer_ordinary",
                "date_start": date(2025, 11, 1),
            }
        )
        cls.env.company.cobranza_interest_policy_id = cls.policy
        cls.invoice = cls._invoice_on(cls.customer, 1000.0, date(2025, 10, 1))  # due 31 Oct 2025
        cls.profile = cls.env["cobranza.partner.profile"]._get_profiles(cls.customer)

    @classmethod
    def _invoice_on(cls, partner, amount, invoice_date, company=None):
        """A posted customer invoice for ``amount`` dated ``invoice_date``, due 30 days later."""
        move = (
            cls.env["account.move"]
            .with_company(company or cls.env.company)
            .create(
                {
                    "move_type": "out_invoice",
                    "partner_id": partner.id,
                    "invoice_date": invoice_date,
                    "date": invoice_date,
                    "invoice_payment_term_id": cls.term_30.id,
                    "invoice_line_ids": [
                        Command.create(
                            {
                                "name": "Varilla corrugada",
                                "quantity": 1,
                                "price_unit": amount,
                                "tax_ids": [Command.clear()],
                            }
                        )
                    ],
                }
            )
        )
        move.action_post()
        return move

    @classmethod
    def _pay_on(cls, invoices, amount, day):
        wizard = (
            cls.env["account.payment.register"]
            .with_context(active_model="account.move", active_ids=invoices.ids)
            .create({"amount": amount, "payment_date": day})
        )
        return wizard._create_payments()

    def _customer(self, name, amount=1000.0, invoice_date=date(2025, 10, 1)):
        partner = self.env["res.partner"].create({"name": name, "is_company": True})
        invoice = self._invoice_on(partner, amount, invoice_date)
        return partner, invoice, self.env["cobranza.partner.profile"]._get_profiles(partner)

    def _charge(self, profile, day):
        return self.Run._charge_profiles(profile, day)

    def _charges(self, invoices):
        return self.Charge.search([("move_id", "in", invoices.ids), ("state", "!=", "cancelled")], order="date_from")

    # ------------------------------------------------------------------ accrual and posting

    def test_two_months_are_posted_once_each_at_the_cap_in_force_and_a_rerun_adds_nothing(self):
        with freeze_time("2025-12-01 12:00:00"):
            november = self.Run._cron_post_interest()
            self.assertEqual(self.Run._cron_post_interest(), self.env["account.move"], "the month is marked done")
            self.assertFalse(self._charge(self.profile, date(2025, 11, 30)), "nothing left to charge")
        self.assertEqual(len(november), 1)
        self.assertEqual(
            (november.state, november.move_type, november.partner_id), ("posted", "out_invoice", self.customer)
        )
        self.assertTrue(november.cobranza_interest_document)
        self.assertEqual(november.amount_total, expected(1000.0, 30, NOV_2025))
        self.assertIn(self.invoice.name, november.invoice_line_ids.name)
        self.assertEqual(self.invoice.amount_residual, 1000.0, "the invoice itself never shows the interest")

        with freeze_time("2026-01-01 12:00:00"):
            december = self.Run._cron_post_interest()
            self.profile.interest_charged_until = False  # a resumed run: the charges decide
            self.assertFalse(self.Run._cron_post_interest())
        self.assertEqual(december.amount_total, expected(1000.0, 31, DEC_2025))
        charges = self._charges(self.invoice)
        self.assertEqual(
            [(charge.date_from, charge.date_to, charge.days) for charge in charges],
            [(date(2025, 11, 1), date(2025, 11, 30), 30), (date(2025, 12, 1), date(2025, 12, 31), 31)],
        )
        self.assertEqual(charges.interest_move_id, november | december)
        self.assertEqual([round(rate, 2) for rate in charges.mapped("rate_ea")], [24.99, 25.02], "cut to the cap")

    def test_an_invoice_paid_mid_month_stops_accruing_that_day(self):
        _partner, invoice, profile = self._customer("Pagos a Tiempo Ltda.")
        self._pay_on(invoice, 1000.0, date(2025, 11, 15))
        with freeze_time("2025-12-01 12:00:00"):
            document = self._charge(profile, date(2025, 11, 30))
        self.assertEqual(document.amount_total, expected(1000.0, 14, NOV_2025), "1 to 14 November")
        self.assertEqual(self._charges(invoice).days, 14)
        receivable = invoice.line_ids.filtered(
            lambda line: line.account_id == invoice.partner_id.property_account_receivable_id
        )
        self.assertTrue(receivable.cobranza_interest_done, "paid and fully charged: later runs skip it")
        with freeze_time("2026-01-01 12:00:00"):
            self.assertFalse(self._charge(profile, date(2025, 12, 31)))

    def test_a_partial_payment_lowers_the_principal_from_its_date(self):
        _partner, invoice, profile = self._customer("Abonos Parciales S.A.S.")
        self._pay_on(invoice, 400.0, date(2025, 11, 16))
        with freeze_time("2025-12-01 12:00:00"):
            document = self._charge(profile, date(2025, 11, 30))
        daily = (1 + NOV_2025) ** (1 / 365) - 1
        self.assertAlmostEqual(document.amount_total, float_round((1000.0 * 15 + 600.0 * 15) * daily, 2), places=2)

    def test_days_without_a_certified_cap_wait_for_it_and_managers_are_reminded(self):
        _partner, _invoice, profile = self._customer("Sin Tasa S.A.S.", invoice_date=date(2026, 3, 1))  # due 31 March
        with freeze_time("2026-05-01 12:00:00"):
            self.assertFalse(self._charge(profile, date(2026, 4, 30)), "April's cap is not loaded")
            activity = self.policy.activity_ids
            self.assertIn(self.collections_manager, activity.user_id)
            self.env["cobranza.interest.rate"].create(
                {
                    "country_id": self.env.ref("base.co").id,
                    "credit_type": "consumer_ordinary",
                    "date_from": date(2026, 4, 1),
                    "date_to": date(2026, 4, 30),
                    "bank_rate": 17.0,
                    "bank_rate_type": "effective_annual",
                }
            )
            april = self._charge(profile, date(2026, 4, 30))
        self.assertEqual(april.amount_total, expected(1000.0, 30, 0.255), "cap filled in as 1.5 x the bank rate")

    def test_the_charge_interest_wizard_charges_a_month_once_after_the_grace_days(self):
        self.policy.grace_days = 5
        with freeze_time("2025-12-03 12:00:00"):
            action = self.profile.action_charge_interest()
            wizard = (
                self.env["cobranza.interest.wizard"]
                .with_context(**action["context"])
                .create({"month": date(2025, 11, 1)})
            )
            self.assertEqual(wizard.date_to, date(2025, 11, 30))
            opened = wizard.action_charge()
            again = (
                self.env["cobranza.interest.wizard"]
                .with_context(**action["context"])
                .create({"month": date(2025, 11, 1)})
            )
            self.assertEqual(again.action_charge()["tag"], "display_notification", "nothing left to charge")
        document = self.env["account.move"].browse(opened["res_id"])
        self.assertEqual(document.amount_total, expected(1000.0, 25, NOV_2025), "6 to 30 November")

    def test_cancelling_an_interest_document_frees_its_days(self):
        _partner, invoice, profile = self._customer("Anulaciones S.A.S.")
        self._pay_on(invoice, 1000.0, date(2025, 11, 20))
        with freeze_time("2025-12-01 12:00:00"):
            document = self._charge(profile, date(2025, 11, 30))
            document.button_draft()
            document.button_cancel()
            self.assertEqual(self._charges(invoice), self.Charge, "the cancelled document's charges no longer count")
            again = self._charge(profile, date(2025, 11, 30))
        self.assertEqual(again.amount_total, document.amount_total)

    def test_a_customer_exempted_by_its_own_policy_is_not_charged(self):
        exempt = self.env["cobranza.interest.policy"].create({"name": "Sin intereses", "charge_interest": False})
        self.profile.interest_policy_id = exempt
        with freeze_time("2025-12-01 12:00:00"):
            self.assertFalse(self.Run._cron_post_interest())

    # ------------------------------------------------------------------ agreements within the cap

    def test_an_agreement_above_the_usury_cap_is_refused_showing_the_cap(self):
        with freeze_time("2026-01-15 12:00:00"):
            agreement = self.env["cobranza.agreement"].create(
                {
                    "partner_id": self.customer.id,
                    "line_ids": [Command.set(self.invoice.line_ids.filtered(lambda line: line.debit).ids)],
                    "installment_count": 3,
                    "first_date": date(2026, 2, 15),
                    "interest_rate": 2.0,  # monthly: 26.82 % E.A.
                    "rate_type": "monthly",
                }
            )
            with self.assertRaises(UserError) as refused:
                agreement.action_compute_schedule()
            self.assertIn("24.36", str(refused.exception))
            self.assertIn("26.82", str(refused.exception))
            agreement.interest_rate = 1.5  # 19.56 % E.A.
            agreement.action_compute_schedule()
            agreement.action_confirm()
        self.assertEqual(agreement.state, "active")
        self.assertTrue(agreement.interest_move_id.cobranza_interest_document, "no late interest on interest")

    # ------------------------------------------------------------------ the interest statement

    def test_the_interest_statement_shows_each_month_with_its_rate_and_cap(self):
        report = "cobranza_odoo.action_report_interest_statement"
        self._render_pdf(report, self.customer.ids)
        with freeze_time("2026-01-10 12:00:00"):
            text = self._report_text(report, self.customer.ids)
        for label in (
            "Interest Statement",
            self.invoice.name,
            "Rate applied",
            "Cap in force",
            "24.99",
            "25.02",
            "24.36",
        ):
            self.assertIn(label, text)
        for amount in (expected(1000.0, 30, NOV_2025), expected(1000.0, 31, DEC_2025), expected(1000.0, 10, JAN_2026)):
            self.assertIn(f"{amount:,.2f}", text)

    def test_the_statement_from_the_invoice_list_covers_the_chosen_invoices(self):
        other = self._invoice_on(self.customer, 500.0, date(2025, 10, 15))
        action = other.with_context(discard_logo_check=True).action_cobranza_interest_statement()
        self.assertEqual(action["data"]["move_ids"], other.ids)
        with freeze_time("2026-01-10 12:00:00"):
            html = self.env["ir.actions.report"]._render_qweb_html(action["report_name"], None, action["data"])[0]
        self.assertIn(other.name, html.decode())
        self.assertNotIn(self.invoice.name, html.decode())

    # ------------------------------------------------------------------ settlement offers

    def test_a_settlement_paid_by_the_deadline_writes_off_exactly_the_waived_amount_once(self):
        with freeze_time("2025-12-01 12:00:00"):
            interest_document = self.Run._cron_post_interest()
        november = expected(1000.0, 30, NOV_2025)
        with freeze_time("2025-12-10 12:00:00"):
            offer = self.Offer.with_user(self.collector).create(
                {
                    "partner_id": self.customer.id,
                    "move_ids": [Command.set(self.invoice.ids)],
                    "interest_move_ids": [Command.set(interest_document.ids)],
                    "deadline": date(2025, 12, 20),
                    "waive_interest": True,
                    "waive_percent": 10.0,
                }
            )
            self.assertEqual((offer.waived_amount, offer.amount_to_pay), (november + 100.0, 900.0))
            offer.action_submit()
            self.assertEqual(offer.state, "to_approve", "any waiver needs a manager by default")
            with self.assertRaises(AccessError):
                offer.with_user(self.collector).action_approve()
            offer.with_user(self.collections_manager).action_approve()
            self.assertEqual(offer.state, "offered")
            statement = self._report_text("cobranza_odoo.action_report_customer_statement", self.customer.ids)
            self.assertIn("A special offer for you", statement)
        self._pay_on(self.invoice, 900.0, date(2025, 12, 15))
        with freeze_time("2025-12-16 12:00:00"):
            self.Offer._cron_check_offers()
            self.assertEqual(offer.state, "fulfilled")
            offer.checked_on = False
            self.Offer._cron_check_offers()
        self.assertEqual(offer.fulfilled_on, date(2025, 12, 15))
        self.assertEqual(len(offer.writeoff_move_ids), 2)
        self.assertEqual(set(offer.writeoff_move_ids.mapped("move_type")), {"out_refund"})
        self.assertEqual(sum(offer.writeoff_move_ids.mapped("amount_total")), november + 100.0)
        self.assertEqual(offer.written_off_amount, offer.waived_amount)
        self.assertEqual((self.invoice.amount_residual, interest_document.amount_residual), (0.0, 0.0))
        waived = self._charges(self.invoice).filtered(lambda charge: charge.state == "waived")
        self.assertEqual((waived.date_from, waived.date_to), (date(2025, 12, 1), date(2025, 12, 15)))
        with freeze_time("2026-01-01 12:00:00"):
            self.assertFalse(self.Run._cron_post_interest(), "the interest accrued until payment was waived")

    def test_a_lapsed_offer_changes_nothing(self):
        self.env.company.cobranza_settlement_approval_amount = 1000.0
        partner, invoice, _profile = self._customer("Promesas Rotas S.A.S.")
        with freeze_time("2025-12-10 12:00:00"):
            offer = self.Offer.create(
                {
                    "partner_id": partner.id,
                    "move_ids": [Command.set(invoice.ids)],
                    "deadline": date(2025, 12, 20),
                    "waive_interest": False,
                    "waive_percent": 5.0,
                }
            )
            offer.action_submit()
            self.assertEqual((offer.state, offer.amount_to_pay), ("offered", 950.0))
        self._pay_on(invoice, 300.0, date(2025, 12, 18))
        with freeze_time("2025-12-21 12:00:00"):
            self.Offer._cron_check_offers()
        self.assertEqual((offer.state, offer.lapsed_on, offer.paid_amount), ("lapsed", date(2025, 12, 21), 300.0))
        self.assertFalse(offer.writeoff_move_ids)
        self.assertEqual(invoice.amount_residual, 700.0)
        self.assertFalse(self._charges(invoice).filtered(lambda charge: charge.state == "waived"))

    # ------------------------------------------------------------------ companies and rights

    def test_each_company_charges_its_own_invoices_with_its_own_policy(self):
        other = self.setup_other_company(name="Cobranza Andina S.A.S.")["company"]
        foreign = self._invoice_on(self.customer, 800.0, date(2025, 10, 1), company=other)
        with freeze_time("2025-12-01 12:00:00"):
            documents = self.Run._cron_post_interest()
        self.assertEqual(documents.company_id, self.env.company)
        self.assertFalse(self._charges(foreign), "the other company has no policy")

        policy = self.env["cobranza.interest.policy"].create(
            {
                "name": "Mora Andina",
                "company_id": other.id,
                "legal_maximum": True,
                "country_id": self.env.ref("base.co").id,
                "date_start": date(2025, 11, 1),
            }
        )
        other.cobranza_interest_policy_id = policy
        foreign_profile = self.env["cobranza.partner.profile"]._get_profiles(self.customer, other)
        with freeze_time("2025-12-01 12:00:00"):
            foreign_document = self._charge(foreign_profile, date(2025, 11, 30))
        self.assertEqual(foreign_document.company_id, other)
        self.assertEqual(foreign_document.amount_total, expected(800.0, 30, NOV_2025))
        visible = self.Charge.with_user(self.collector).search([("partner_id", "=", self.customer.id)])
        self.assertEqual(visible.move_id, self.invoice, "the other company's charges are not visible")
        self.assertFalse(
            self.env["cobranza.interest.policy"].with_user(self.collector).search([("id", "=", policy.id)])
        )

    def test_only_collections_managers_edit_rates_and_policies(self):
        rate = self.env.ref("cobranza_odoo.interest_rate_co_consumer_2025_11")
        self.assertEqual(rate.with_user(self.collector).cap_rate, 24.99)
        with self.assertRaises(AccessError):
            rate.with_user(self.collector).write({"cap_rate": 30.0})
        with self.assertRaises(AccessError):
            self.env["cobranza.interest.rate"].with_user(self.collector).create(
                {
                    "country_id": self.env.ref("base.co").id,
                    "date_from": date(2030, 1, 1),
                    "date_to": date(2030, 1, 31),
                    "cap_rate": 25.0,
                }
            )
        with self.assertRaises(AccessError):
            self.policy.with_user(self.collector).write({"rate": 50.0})
        with self.assertRaises(AccessError):
            self.profile.with_user(self.collector).write({"interest_policy_id": False})
        self.env["cobranza.interest.rate"].with_user(self.collections_manager).create(
            {
                "country_id": self.env.ref("base.co").id,
                "date_from": date(2030, 1, 1),
                "date_to": date(2030, 1, 31),
                "cap_rate": 25.0,
            }
        )

    def test_overlapping_certified_rates_are_refused(self):
        with self.assertRaises(UserError):
            self.env["cobranza.interest.rate"].create(
                {
                    "country_id": self.env.ref("base.co").id,
                    "date_from": date(2025, 11, 15),
                    "date_to": date(2025, 12, 14),
                    "bank_rate": 16.0,
                }
            )

    def test_a_charged_month_cannot_be_deleted_so_it_is_never_charged_twice(self):
        with freeze_time("2025-12-01 12:00:00"):
            november = self.Run._cron_post_interest()
        charges = self._charges(self.invoice)
        self.assertTrue(charges)
        with self.assertRaisesRegex(UserError, "cancelled"):
            charges.unlink()
        november.button_draft()
        november.button_cancel()
        self.assertEqual(set(charges.mapped("state")), {"cancelled"})
        charges.unlink()
