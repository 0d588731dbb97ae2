from collections import Counter
from datetime import timedelta

import phonenumbers
import stdnum
from odoo.tests import tagged

from .common import CobranzaCommon


@tagged("post_install", "-at_install")
class TestDemoPortfolio(CobranzaCommon):
    """The demo portfolio: generated at install on demo databases, generated here otherwise."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Partner = cls.env["res.partner"].sudo().with_context(active_test=False)
        if not Partner.search_count([("ref", "=", "CLI-0001")]):
            cls.env["cobranza.demo.portfolio"].sudo()._generate()
        cls.customers = Partner.search([("ref", "=like", "CLI-%"), ("parent_id", "=", False)])
        cls.invoices = (
            cls.env["account.move"]
            .sudo()
            .search([("commercial_partner_id", "in", cls.customers.ids), ("move_type", "=", "out_invoice")])
        )

    def test_at_least_thirty_customers_companies_and_people_of_several_countries(self):
        self.assertGreaterEqual(len(self.customers), 30)
        self.assertTrue(self.customers.filtered("is_company"))
        self.assertTrue(self.customers.filtered(lambda partner: not partner.is_company))
        self.assertGreaterEqual(len(self.customers.country_id), 4)

    def test_tax_ids_have_valid_check_digits_for_their_country(self):
        for customer in self.customers:
            with self.subTest(customer=customer.name):
                module = stdnum.get_cc_module(customer.country_id.code.lower(), "vat")
                self.assertTrue(module.is_valid(customer.vat), customer.vat)

    def test_phone_numbers_are_valid_e164_numbers_of_the_customers_country(self):
        for customer in self.customers:
            for number in (customer.phone, customer.mobile):
                with self.subTest(customer=customer.name, number=number):
                    self.assertTrue(number.startswith("+"))
                    parsed = phonenumbers.parse(number)
                    self.assertTrue(phonenumbers.is_valid_number(parsed))
                    self.assertEqual(phonenumbers.region_code_for_number(parsed), customer.country_id.code)

    def test_companies_have_an_invoice_address_with_an_email(self):
        for customer in self.customers.filtered("is_company"):
            invoice_contacts = customer.child_ids.filtered(lambda child: child.type == "invoice")
            self.assertTrue(invoice_contacts.email, customer.name)

    def test_hundreds_of_invoices_over_the_last_twelve_months(self):
        posted = self.invoices.filtered(lambda move: move.state == "posted")
        self.assertGreaterEqual(len(posted), 250)
        dates = posted.mapped("invoice_date")
        install_day = max(dates)
        self.assertLessEqual(install_day, self.today)
        self.assertGreaterEqual((install_day - min(dates)).days, 300)
        self.assertLessEqual((install_day - min(dates)).days, 366)
        self.assertTrue(
            posted.filtered(
                lambda move: len(move.line_ids.filtered(lambda line: line.account_type == "asset_receivable")) == 2
            ),
            "no multi-installment invoice",
        )

    def test_portfolio_mixes_on_time_late_partial_and_open_invoices(self):
        kinds = Counter()
        for invoice in self.invoices:
            receivable = invoice.line_ids.filtered(lambda line: line.account_type == "asset_receivable")
            if invoice.payment_state == "partial":
                kinds["partial"] += 1
            elif invoice.payment_state in ("paid", "in_payment"):
                last_payment = max(receivable.matched_credit_ids.credit_move_id.mapped("date"))
                due = max(receivable.mapped("date_maturity"))
                kinds["paid late" if last_payment > due + timedelta(days=3) else "paid on time"] += 1
            elif invoice.invoice_date_due < self.today:
                kinds["open overdue"] += 1
            else:
                kinds["open current"] += 1
        for kind in ("paid on time", "paid late", "partial", "open overdue", "open current"):
            self.assertGreaterEqual(kinds[kind], 5, f"{kind}: {dict(kinds)}")

    def test_credits_in_the_customers_favour_exist(self):
        facts = (
            self.env["cobranza.receivable.facts"]
            .sudo()
            ._open_receivables(self.customers.ids, self.env.ref("base.main_company"))
        )
        self.assertGreaterEqual(len([row for row in facts if row.residual < 0]), 3)

    def test_customers_have_collectors_and_profiles(self):
        profiles = self.env["cobranza.partner.profile"].sudo().search([("partner_id", "in", self.customers.ids)])
        self.assertEqual(len(profiles), len(self.customers))
        self.assertEqual(len(profiles.collector_id), 2)
        self.assertTrue(
            all(profiles.collector_id.mapped(lambda user: user.has_group("cobranza_odoo.group_cobranza_user")))
        )

    def test_generating_again_changes_nothing(self):
        count = self.env["account.move"].sudo().search_count([])
        self.env["cobranza.demo.portfolio"].sudo()._generate()
        self.assertEqual(self.env["account.move"].sudo().search_count([]), count)

    def test_demo_shows_credit_limits_open_orders_a_hold_and_an_increase(self):
        company = self.env.ref("base.main_company")
        limits = self.customers.with_company(company).sudo().mapped("credit_limit")
        self.assertTrue(all(limit >= 1000.0 for limit in limits))
        self.assertEqual(company.cobranza_credit_action, "block")
        orders = self.env["sale.order"].sudo().search([("partner_id", "in", self.customers.ids)])
        self.assertGreaterEqual(len(orders.filtered(lambda order: order.state == "sale")), 6)
        self.assertGreaterEqual(len(orders.filtered(lambda order: order.state == "draft")), 2)
        profiles = self.env["cobranza.partner.profile"].sudo().search([("partner_id", "in", self.customers.ids)])
        self.assertEqual(len(profiles.filtered("credit_hold")), 1)
        increases = self.env["cobranza.credit.increase"].sudo().search([("partner_id", "in", self.customers.ids)])
        self.assertEqual(increases.state, "active")

    def test_demo_customers_are_segmented_and_have_statuses(self):
        profiles = self.env["cobranza.partner.profile"].sudo().search([("partner_id", "in", self.customers.ids)])
        self.assertTrue(all(profiles.mapped("metrics_date")))
        self.assertGreaterEqual(len(profiles.segment_id), 3)
        self.assertGreaterEqual(len(set(profiles.mapped("collection_status"))), 3)
        invoices = self.invoices.filtered(lambda move: move.state == "posted")
        self.assertIn("in_dispute", invoices.mapped("cobranza_status"))
        self.assertIn("legal", invoices.mapped("cobranza_status"))
