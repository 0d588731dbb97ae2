from datetime import datetime, time, timedelta

from freezegun import freeze_time
from odoo import Command
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged

from .common import CobranzaCommon


@tagged("post_install", "-at_install")
class TestIncentives(CobranzaCommon):
    """Early-payment incentives: recorded at posting, proposed at payment, written off exactly."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.discount_account = cls.company_data["default_account_expense"].copy({"code": "530599"})
        cls.program = cls.env["cobranza.incentive"].create(
            {
                "name": "Pronto pago",
                "discount_account_id": cls.discount_account.id,
                "tax_mode": "included",
                "tier_ids": [
                    Command.create({"days": 10, "percent": 3.0}),
                    Command.create({"days": 20, "percent": 1.5}),
                ],
            }
        )
        cls.tax = cls.company_data["default_tax_sale"]  # 15 %
        cls.receivable = cls.company_data["default_account_receivable"]
        cls.env.company.cobranza_incentive_id = cls.program

    def _taxed_invoice(self, untaxed, days_ago=0, partner=None, currency=None, term=None, post=True):
        invoice_date = self.today - timedelta(days=days_ago)
        move = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": (partner or self.customer).id,
                "invoice_date": invoice_date,
                "date": invoice_date,
                "currency_id": (currency or self.env.company.currency_id).id,
                "invoice_payment_term_id": (term or self.term_30).id,
                "invoice_line_ids": [
                    Command.create(
                        {
                            "name": "Cemento",
                            "quantity": 1,
                            "price_unit": untaxed,
                            "tax_ids": [Command.set(self.tax.ids)],
                        }
                    )
                ],
            }
        )
        if post:
            move.action_post()
        return move

    def _wizard(self, invoices, payment_date, **values):
        return (
            self.env["account.payment.register"]
            .with_context(active_model="account.move", active_ids=invoices.ids)
            .create({"payment_date": payment_date, **values})
        )

    def _write_off_lines(self, payment):
        return payment.move_id.line_ids.filtered(lambda line: line.display_type == "epd")

    # ------------------------------------------------------------------ posting

    def test_posting_records_program_deadlines_and_amounts(self):
        invoice = self._taxed_invoice(1000.0)  # total 1150
        self.assertEqual(invoice.cobranza_incentive_id, self.program)
        self.assertEqual(
            [(d.deadline, d.percent, d.discount, d.amount_to_pay) for d in invoice.cobranza_incentive_deadline_ids],
            [
                (self.today + timedelta(days=10), 3.0, 34.5, 1115.5),
                (self.today + timedelta(days=20), 1.5, 17.25, 1132.75),
            ],
        )
        # Odoo's own installment line carries the last discount date (read by the portal).
        term_line = invoice.line_ids.filtered(lambda line: line.display_type == "payment_term")
        self.assertEqual(term_line.discount_date, self.today + timedelta(days=20))

    def test_program_comes_from_customer_then_segment_then_company(self):
        segment_program = self.program.copy({"name": "Segmento A"})
        customer_program = self.program.copy({"name": "Cliente especial"})
        segment = self.env["cobranza.segment"].create({"name": "A test", "incentive_id": segment_program.id})
        profile = self.env["cobranza.partner.profile"]._get_profiles(self.customer)
        profile.sudo().write({"segment_id": segment.id})
        self.assertEqual(self._taxed_invoice(100.0).cobranza_incentive_id, segment_program)
        profile.sudo().write({"incentive_id": customer_program.id})
        self.assertEqual(self._taxed_invoice(100.0).cobranza_incentive_id, customer_program)

    def test_no_program_no_deadlines(self):
        self.env.company.cobranza_incentive_id = False
        invoice = self._taxed_invoice(1000.0)
        self.assertFalse(invoice.cobranza_incentive_id)
        self.assertFalse(invoice.cobranza_incentive_deadline_ids)

    def test_opt_in_no_program_exists_after_install(self):
        programs = (
            self.env["cobranza.incentive"].with_context(active_test=False).search([("id", "!=", self.program.id)])
        )
        self.assertFalse(programs.filtered(lambda program: program.name != "Pronto pago"))
        other_companies = self.env["res.company"].search([("id", "!=", self.env.company.id)])
        self.assertFalse(other_companies.cobranza_incentive_id)

    def test_program_dates_and_multi_installment_terms_are_not_eligible(self):
        self.program.date_from = self.today + timedelta(days=1)
        self.assertFalse(self._taxed_invoice(100.0).cobranza_incentive_id)
        self.program.date_from = False
        self.assertFalse(self._taxed_invoice(100.0, term=self.term_two_installments).cobranza_incentive_id)

    def test_reset_to_draft_clears_and_reposting_recomputes(self):
        invoice = self._taxed_invoice(1000.0)
        invoice.button_draft()
        self.assertFalse(invoice.cobranza_incentive_deadline_ids)
        invoice.invoice_line_ids.price_unit = 2000.0
        invoice.action_post()
        self.assertEqual(invoice.cobranza_incentive_deadline_ids.mapped("discount"), [69.0, 34.5])

    def test_recording_costs_the_same_queries_for_few_and_many_invoices(self):
        def queries_for(count):
            invoices = self.env["account.move"]
            for _index in range(count):
                invoices |= self._taxed_invoice(100.0)
            self.env.flush_all()
            self.env.invalidate_all()
            invoices = invoices.browse(invoices.ids)
            before = self.cr.sql_log_count
            invoices._cobranza_record_incentives()
            self.env.flush_all()
            self.assertEqual(len(invoices.cobranza_incentive_deadline_ids), 2 * count)
            return self.cr.sql_log_count - before

        queries_for(1)  # warm the caches of the first call (profiles, program, chart)
        self.assertEqual(queries_for(3), queries_for(15))

    # ------------------------------------------------------------------ payment registration

    def test_payment_inside_first_tier_writes_off_discount_with_tax(self):
        invoice = self._taxed_invoice(1000.0)
        wizard = self._wizard(invoice, self.today + timedelta(days=10))  # day 10 is inclusive
        self.assertEqual(wizard.amount, 1115.5)
        self.assertTrue(wizard.early_payment_discount_mode)
        payment = wizard._create_payments()
        self.assertEqual(invoice.payment_state, "in_payment" if payment.state == "in_process" else "paid")
        self.assertTrue(invoice.currency_id.is_zero(invoice.amount_residual))
        lines = self._write_off_lines(payment)
        base = lines.filtered(lambda line: line.account_id == self.discount_account)
        tax_line = lines.filtered("tax_repartition_line_id")
        self.assertEqual(base.debit, 30.0)
        self.assertEqual(base.tax_ids, self.tax)
        self.assertEqual(tax_line.debit, 4.5)
        self.assertEqual(tax_line.tax_repartition_line_id.document_type, "refund")
        self.assertIn("Pronto pago", base.name)
        self.assertIn("3%", base.name)
        receivable = payment.move_id.line_ids.filtered(lambda line: line.account_id == self.receivable)
        self.assertEqual(sum(receivable.mapped("credit")), 1150.0)

    def test_payment_inside_second_tier_gets_the_smaller_discount(self):
        invoice = self._taxed_invoice(1000.0)
        wizard = self._wizard(invoice, self.today + timedelta(days=11))
        self.assertEqual(wizard.amount, 1132.75)
        payment = wizard._create_payments()
        self.assertEqual(sum(self._write_off_lines(payment).mapped("debit")), 17.25)
        self.assertTrue(invoice.currency_id.is_zero(invoice.amount_residual))

    def test_payment_outside_every_tier_changes_nothing(self):
        invoice = self._taxed_invoice(1000.0)
        wizard = self._wizard(invoice, self.today + timedelta(days=21))
        self.assertEqual(wizard.amount, 1150.0)
        self.assertFalse(wizard.early_payment_discount_mode)
        payment = wizard._create_payments()
        self.assertFalse(self._write_off_lines(payment))
        self.assertEqual(len(payment.move_id.line_ids), 2)

    def test_partial_payment_gets_no_discount_and_ends_the_offer(self):
        invoice = self._taxed_invoice(1000.0)
        wizard = self._wizard(invoice, self.today, amount=500.0)
        self.assertFalse(wizard.early_payment_discount_mode)
        payment = wizard._create_payments()
        self.assertFalse(self._write_off_lines(payment))
        self.assertEqual(invoice.amount_residual, 650.0)
        # The rest, still inside the first tier: no discount any more.
        wizard = self._wizard(invoice, self.today)
        self.assertEqual(wizard.amount, 650.0)
        self.assertFalse(self._write_off_lines(wizard._create_payments()))

    def test_untaxed_mode_discounts_the_untaxed_amount_on_one_line(self):
        self.program.tax_mode = "excluded"
        invoice = self._taxed_invoice(1000.0)
        self.assertEqual(invoice.cobranza_incentive_deadline_ids[0].discount, 30.0)
        payment = self._wizard(invoice, self.today)._create_payments()
        lines = self._write_off_lines(payment)
        self.assertEqual(len(lines), 1)
        self.assertEqual(
            (lines.account_id, lines.debit, lines.tax_ids), (self.discount_account, 30.0, self.tax.browse())
        )
        self.assertTrue(invoice.currency_id.is_zero(invoice.amount_residual))

    def test_credit_note_mode_grants_the_discount_by_a_posted_credit_note(self):
        self.program.tax_mode = "credit_note"
        invoice = self._taxed_invoice(1000.0)
        self.assertEqual(invoice.cobranza_incentive_deadline_ids[0].discount, 34.5)
        wizard = self._wizard(invoice, self.today)
        self.assertEqual(wizard.amount, 1115.5)
        payment = wizard._create_payments()
        self.assertFalse(self._write_off_lines(payment))
        refund = self.env["account.move"].search([("reversed_entry_id", "=", invoice.id)])
        self.assertEqual((refund.move_type, refund.state, refund.amount_total), ("out_refund", "posted", 34.5))
        self.assertEqual(refund.amount_tax, 4.5)
        self.assertEqual(refund.invoice_line_ids.account_id, self.discount_account)
        self.assertTrue(invoice.currency_id.is_zero(invoice.amount_residual))
        self.assertEqual(refund.payment_state, "paid")

    def test_native_early_discount_invoice_keeps_odoo_behaviour(self):
        native_term = self.env["account.payment.term"].create(
            {
                "name": "2/7 net 30",
                "early_discount": True,
                "discount_percentage": 2.0,
                "discount_days": 7,
                "early_pay_discount_computation": "included",
                "line_ids": [Command.create({"value": "percent", "value_amount": 100.0, "nb_days": 30})],
            }
        )
        invoice = self._taxed_invoice(1000.0, term=native_term)
        self.assertFalse(invoice.cobranza_incentive_id)
        wizard = self._wizard(invoice, self.today)
        self.assertEqual(wizard.amount, 1127.0)  # Odoo's 2 %, not the program's 3 %
        payment = wizard._create_payments()
        accounts = self._write_off_lines(payment).account_id
        self.assertNotIn(self.discount_account, accounts)
        self.assertIn(self.env.company.account_journal_early_pay_discount_loss_account_id, accounts)

    def test_foreign_currency_invoice(self):
        other = self.setup_other_currency("EUR", rates=[("2000-01-01", 2.0)])
        invoice = self._taxed_invoice(1000.0, currency=other)  # 1150 EUR = 575.00 in company currency
        self.assertEqual(invoice.cobranza_incentive_deadline_ids[0].discount, 34.5)
        wizard = self._wizard(invoice, self.today, currency_id=other.id)
        self.assertEqual(wizard.amount, 1115.5)
        payment = wizard._create_payments()
        lines = self._write_off_lines(payment)
        self.assertEqual(sum(lines.mapped("amount_currency")), 34.5)
        self.assertAlmostEqual(sum(lines.mapped("balance")), 17.25)
        self.assertTrue(invoice.currency_id.is_zero(invoice.amount_residual))
        # Paid in company currency: amounts differ in currency, no discount is proposed.
        second = self._taxed_invoice(1000.0, currency=other)
        wizard = self._wizard(second, self.today, currency_id=self.env.company.currency_id.id)
        self.assertFalse(wizard.early_payment_discount_mode)

    def test_portal_amount_matches_the_wizard(self):
        invoice = self._taxed_invoice(1000.0, days_ago=12)  # second tier today, 8 days left
        values = invoice._get_invoice_next_payment_values()
        self.assertEqual(values["installment_state"], "epd")
        self.assertEqual(values["amount_due"], 1132.75)
        self.assertEqual(values["epd_discount_amount_currency"], 17.25)
        self.assertEqual(values["epd_days_left"], 8)
        self.assertIn("17.25", values["epd_discount_msg"])
        self.assertEqual(self._wizard(invoice, self.today).amount, values["amount_due"])

    def test_outstanding_payment_applied_from_the_invoice(self):
        invoice = self._taxed_invoice(1000.0)
        payment = self.env["account.payment"].create(
            {"partner_id": self.customer.id, "payment_type": "inbound", "partner_type": "customer", "amount": 1115.5}
        )
        payment.action_post()
        credit_line = payment.move_id.line_ids.filtered(lambda line: line.account_id == self.receivable)
        invoice.js_assign_outstanding_line(credit_line.id)
        self.assertTrue(invoice.currency_id.is_zero(invoice.amount_residual))
        entry = self.env["account.move"].search([("ref", "ilike", invoice.name), ("move_type", "=", "entry")])
        self.assertEqual(entry.state, "posted")
        self.assertEqual(sum(entry.line_ids.filtered(lambda line: line.display_type == "epd").mapped("debit")), 34.5)
        # A different amount is applied as Odoo does, without any discount.
        second = self._taxed_invoice(1000.0)
        payment = self.env["account.payment"].create(
            {"partner_id": self.customer.id, "payment_type": "inbound", "partner_type": "customer", "amount": 1000.0}
        )
        payment.action_post()
        second.js_assign_outstanding_line(
            payment.move_id.line_ids.filtered(lambda line: line.account_id == self.receivable).id
        )
        self.assertEqual(second.amount_residual, 150.0)

    # ------------------------------------------------------------------ documents

    def test_invoice_pdf_shows_the_tiers_in_spanish(self):
        self.env["res.lang"]._activate_lang("es_419")
        self.env["ir.module.module"]._get("cobranza_odoo")._update_translations(["es_419"], overwrite=True)
        self.customer.lang = "es_419"
        invoice = self._taxed_invoice(1000.0)
        self._render_pdf("account.account_invoices", invoice.ids)
        text = self._report_text("account.account_invoices", invoice.ids)
        first, second = invoice.cobranza_incentive_deadline_ids
        for deadline in (first, second):
            day = deadline.deadline.strftime("%d/%m/%Y")
            self.assertRegex(text, rf"Pague hasta el {day} y ahorre \$\s?{deadline.discount:,.2f}")
        self.assertIn("Descuento por pronto pago", text)

    def test_preventive_reminder_lists_the_open_offers(self):
        policy = self.env.ref("cobranza_odoo.policy_standard").sudo().copy({"company_id": self.env.company.id})
        self.env.company.cobranza_policy_id = policy
        self.customer_contact.email = "pagos@ferreteria-central.example"
        term_15 = self.env["account.payment.term"].create(
            {
                "name": "15 days",
                "line_ids": [Command.create({"value": "percent", "value_amount": 100.0, "nb_days": 15})],
            }
        )
        invoice = self._taxed_invoice(1000.0, term=term_15)
        day = self.today + timedelta(days=10)  # the reminder 5 days before the due date, last day of the 3 %
        profile = self.env["cobranza.partner.profile"]._get_profiles(self.customer)
        with freeze_time(datetime.combine(day, time(12, 0))):
            dunning = self.env["cobranza.dunning.run"]._run_for(profile, day, send=False)
            self.assertEqual(dunning.level_id.stage, "preventive")
            self.assertEqual(dunning._incentive_offers(), invoice.cobranza_incentive_deadline_ids[0])
            template = self.env.ref("cobranza_odoo.mail_template_dunning")
            body = template._render_field("body_html", dunning.ids)[dunning.id]
            self.assertIn("Pay early and save", body)
            self.assertIn("1,115.50", body)
            letter = self._report_text("cobranza_odoo.action_report_dunning_letter", dunning.ids)
            self.assertIn("Pay early and save", letter)
        # Once the deadlines have passed, nothing is offered.
        with freeze_time(datetime.combine(self.today + timedelta(days=21), time(12, 0))):
            dunning.date = self.today + timedelta(days=21)
            self.assertFalse(dunning._incentive_offers())

    # ------------------------------------------------------------------ configuration and access

    def test_incoherent_programs_are_refused(self):
        with self.assertRaises(ValidationError):
            self.program.tier_ids[1].percent = 5.0  # later tier giving more
        with self.assertRaises(ValidationError):
            self.program.discount_account_id = False
        with self.assertRaises(ValidationError):
            self.program.write({"date_from": self.today, "date_to": self.today - timedelta(days=1)})

    def test_annualised_cost_against_cost_of_funds(self):
        self.env.company.cobranza_cost_of_funds = 60.0
        first, second = self.program.tier_ids.sorted("days")
        self.assertAlmostEqual(first.annualized_cost, 56.4, places=1)
        self.assertAlmostEqual(second.annualized_cost, 55.6, places=1)
        self.assertFalse(self.program.too_expensive)
        self.env.company.cobranza_cost_of_funds = 20.0
        self.program.invalidate_recordset()
        self.program.tier_ids.invalidate_recordset()
        self.assertTrue(first.too_expensive)
        self.assertTrue(self.program.too_expensive)
        with self.assertRaises(ValidationError):
            self.env.company.cobranza_cost_of_funds = -1.0

    def test_only_managers_change_programs_and_assignments(self):
        program = self.program.with_user(self.collector)
        self.assertEqual(program.name, "Pronto pago")
        with self.assertRaises(AccessError):
            program.write({"name": "Otro"})
        with self.assertRaises(AccessError):
            self.env["cobranza.incentive"].with_user(self.collector).create({"name": "X"})
        profile = self.env["cobranza.partner.profile"]._get_profiles(self.customer)
        with self.assertRaises(AccessError):
            profile.with_user(self.collector).write({"incentive_id": False})
        self.program.with_user(self.collections_manager).write({"name": "Pronto pago 2"})
        # Sales users see the deadlines of the invoices they can read.
        invoice = self._taxed_invoice(100.0)
        self.assertEqual(len(invoice.with_user(self.salesman).cobranza_incentive_deadline_ids), 2)
