from collections import Counter
from datetime import timedelta

import phonenumbers
import stdnum
from odoo.tests import tagged

from ..models import cobranza_demo_portfolio as demo
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
        cls.company = cls.env.ref("base.main_company")
        cls.profiles = cls.env["cobranza.partner.profile"].sudo().search([("partner_id", "in", cls.customers.ids)])
        cls.dunnings = cls.env["cobranza.dunning"].sudo().search([("partner_id", "in", cls.customers.ids)])
        # The day the demo was generated (the tests may run on a later day).
        cls.install_day = max(cls.dunnings.mapped("date"))

    def _partner(self, name):
        partner = self.customers.filtered(lambda customer: customer.name == name)
        self.assertEqual(len(partner), 1, name)
        return partner

    def _profile(self, name):
        return self.profiles.filtered(lambda profile: profile.partner_id.name == name)

    def _agreements(self, name, kind):
        return (
            self.env["cobranza.agreement"]
            .sudo()
            .search([("partner_id", "=", self._partner(name).id), ("kind", "=", kind)])
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
        held = profiles.filtered("credit_hold")
        self.assertTrue(held and all(held.mapped("credit_hold_reason")))
        self.assertIn(self._profile(demo.BROKEN_AGREEMENT_CUSTOMER), held, "held by hand after the broken agreement")
        self.assertIn(self._profile(demo.PRELEGAL_CUSTOMER), held, "held by the pre-legal level")
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

    # ------------------------------------------------------------------ what a newcomer sees on first login

    def test_segments_spread_like_a_real_portfolio(self):
        """The shipped rules classify the demo: about a third A/B, a large C, a few D, a couple new."""
        codes = Counter(self.profiles.mapped(lambda profile: profile.segment_id.code))
        total = len(self.profiles)
        self.assertEqual(sum(codes.values()), total, "every customer has a segment")
        self.assertGreaterEqual(codes["A"], 4, codes)
        self.assertGreaterEqual(codes["B"], 4, codes)
        self.assertGreaterEqual(codes["C"], 6, codes)
        self.assertTrue(2 <= codes["N"] <= 4, codes)
        self.assertTrue(3 <= codes["D"] <= total // 5, codes)
        self.assertTrue(0.3 <= (codes["A"] + codes["B"]) / total <= 0.5, codes)
        self.assertEqual(self._profile(demo.LEGAL_CUSTOMER).segment_id.code, "D")
        self.assertEqual(self._profile(demo.NO_CONSENT_CUSTOMER).segment_id.code, "A")
        changes = self.env["cobranza.segment.change"].sudo().search([("profile_id", "in", self.profiles.ids)])
        self.assertTrue(changes, "the weekly refreshes left a segment history")
        self.assertLess(min(changes.mapped("date")).date(), self.install_day - timedelta(days=60))

    def test_communications_sent_at_several_levels_by_past_dunning_runs(self):
        sent = self.dunnings.filtered(lambda dunning: dunning.state == "sent")
        levels = sent.level_id
        self.assertGreaterEqual(len(levels), 4, levels.mapped("name"))
        for xmlid in ("policy_level_reminder", "policy_level_friendly", "policy_level_formal", "policy_level_prelegal"):
            self.assertIn(self.env.ref(f"cobranza_odoo.{xmlid}"), levels, xmlid)
        self.assertTrue(all(dunning.sent_date == dunning.date < self.install_day for dunning in sent))
        self.assertGreaterEqual(len(set(sent.mapped("date"))), 12, "weekly runs over the last months")
        # The evidence is dated the day it was sent, not the install day.
        messages = (
            self.env["mail.message"].sudo().search([("model", "=", "cobranza.dunning"), ("res_id", "in", sent.ids)])
        )
        self.assertTrue(messages)
        self.assertLess(max(messages.mapped("date")).date(), self.install_day)
        logs = self.env["cobranza.contact.log"].sudo().search([("dunning_id", "in", sent.ids)])
        self.assertEqual(set(logs.dunning_id.ids), set(sent.ids), "every communication sent reached someone")
        # The journal items remember the level each one got: the aging's "Dunning level" column.
        lines = self.invoices.line_ids.filtered("cobranza_level_id")
        self.assertGreaterEqual(len(lines.cobranza_level_id), 4)
        # Printed letters: few (each is a PDF to render at install), kept as evidence.
        letters = self.dunnings.filtered("letter_attachment_id")
        self.assertTrue(3 <= len(letters) <= 5, letters.mapped("level_id.name"))

    def test_legal_hand_off_by_the_dunning_run(self):
        legal = self.env.ref("cobranza_odoo.policy_level_legal")
        handed = self.dunnings.filtered(lambda dunning: dunning.level_id == legal and dunning.state == "sent")
        self.assertEqual(handed.partner_id, self._partner(demo.LEGAL_CUSTOMER))
        self.assertTrue(handed.line_ids.move_id.mapped("cobranza_legal"))
        self.assertIn("legal", handed.line_ids.move_id.mapped("cobranza_status"))

    def test_drafts_to_review_today_and_nothing_left_on_its_way(self):
        drafts = self.dunnings.filtered(lambda dunning: dunning.state == "draft")
        self.assertGreaterEqual(len(drafts), 3)
        self.assertEqual(set(drafts.mapped("date")), {self.install_day})
        self.assertFalse(self.dunnings.filtered(lambda dunning: dunning.state in ("queued", "deferred", "waiting")))
        self.assertFalse(self.dunnings.filtered(lambda dunning: dunning.action_state == "pending"))
        # The mail queue holds nothing of the past: those reminders went out then.
        mails = (
            self.env["mail.mail"]
            .sudo()
            .search([("model", "=", "cobranza.dunning"), ("res_id", "in", self.dunnings.ids)])
        )
        self.assertTrue(mails)
        self.assertNotIn("outgoing", mails.mapped("state"))

    def test_colombian_consumers_are_contacted_only_through_authorised_channels(self):
        consumers = self.profiles.filtered(
            lambda profile: profile.consumer and profile.partner_id.country_id.code == "CO"
        )
        self.assertGreaterEqual(len(consumers), 3)
        without = consumers.filtered(lambda profile: not profile.consent_ids)
        self.assertEqual(without.partner_id.name, demo.NO_CONSENT_CUSTOMER)
        for profile in consumers - without:
            self.assertIn("email", profile.consent_ids.mapped("channel"), profile.partner_id.name)
        refused = self.dunnings.filtered(lambda dunning: dunning.partner_id == without.partner_id)
        self.assertTrue(refused)
        self.assertEqual(set(refused.mapped("state")), {"undeliverable"})
        self.assertFalse(self.env["cobranza.contact.log"].sudo().search([("partner_id", "=", without.partner_id.id)]))
        sent_to_others = self.dunnings.filtered(
            lambda dunning: dunning.partner_id in (consumers - without).partner_id and dunning.state == "sent"
        )
        self.assertTrue(sent_to_others, "the consumers who authorised e-mail got their reminders")

    def test_an_active_payment_agreement_and_a_broken_one(self):
        active = self._agreements(demo.AGREEMENT_CUSTOMER, "agreement")
        self.assertEqual(active.state, "active")
        self.assertTrue(active.approved_by_id, "more than six installments: approved by a manager")
        self.assertGreater(active.paid_amount, 0.0)
        self.assertGreaterEqual(active.next_installment_date, self.install_day)
        self.assertIn("under_agreement", active.line_ids.move_id.mapped("cobranza_status"))
        broken = self._agreements(demo.BROKEN_AGREEMENT_CUSTOMER, "agreement")
        self.assertEqual(broken.state, "broken")
        self.assertLess(broken.broken_date, self.install_day - timedelta(days=14))
        self.assertGreater(broken.paid_amount, 0.0)
        self.assertTrue(broken.activity_ids, "the collector was told to call")

    def test_promises_kept_with_a_real_payment_broken_and_open(self):
        kept = self._agreements(demo.FORMAL_CUSTOMER, "promise")
        self.assertEqual(kept.state, "done")
        self.assertTrue(all(kept.installment_ids.mapped("paid_date")))
        payments = (
            self.env["cobranza.receivable.facts"]
            .sudo()
            ._payments_on_lines(kept.line_ids.ids, since=kept.activation_date)
        )
        self.assertAlmostEqual(sum(payment.amount for payment in payments), kept.total_amount, places=2)
        self.assertTrue(self.env["cobranza.kpi.snapshot"]._promise_kept(kept))
        self.assertEqual(self._agreements(demo.BROKEN_PROMISE_CUSTOMER, "promise").state, "broken")
        self.assertEqual(self._agreements(demo.OPEN_PROMISE_CUSTOMER, "promise").state, "active")
        self.assertEqual(self._profile(demo.BROKEN_PROMISE_CUSTOMER).broken_promise_count, 1)

    def test_early_payment_program_for_segment_a_with_invoices_inside_their_tiers(self):
        program = self.env.ref("cobranza_odoo.segment_a").sudo().incentive_id
        self.assertEqual(program.name, "Pronto pago")
        self.assertEqual(
            sorted(program.tier_ids.mapped(lambda tier: (tier.days, tier.percent))), [(10, 3.0), (20, 1.5)]
        )
        self.assertFalse(self.company.cobranza_incentive_id, "opt-in: no company-wide program")
        offered = self.invoices.filtered(lambda move: move.cobranza_incentive_id == program)
        still_open = offered.filtered(
            lambda move: (
                move.payment_state == "not_paid"
                and max(move.cobranza_incentive_deadline_ids.mapped("deadline")) >= self.install_day
            )
        )
        self.assertGreaterEqual(len(still_open), 3, "the invoice, the portal and the payment wizard show the offer")
        taken = offered.filtered(
            lambda move: (
                move.partner_id.name == demo.INCENTIVE_CUSTOMER and move.payment_state in ("paid", "in_payment")
            )
        )
        receivables = taken.line_ids.filtered(lambda line: line.account_type == "asset_receivable")
        payment_moves = receivables.matched_credit_ids.credit_move_id.move_id
        self.assertTrue(payment_moves.line_ids.filtered(lambda line: line.display_type == "epd"), "discount taken")

    def test_credit_approvals_waiting_and_granted(self):
        Override = self.env["cobranza.credit.override"].sudo()
        pending = Override.search([("partner_id", "=", self._partner(demo.PENDING_APPROVAL_CUSTOMER).id)])
        self.assertEqual(pending.state, "requested")
        self.assertEqual(pending.sale_order_id.state, "draft", "the quotation is blocked")
        self.assertTrue(pending.activity_ids, "a to-do for the Collections Manager")
        used = Override.search([("partner_id", "=", self._partner(demo.USED_APPROVAL_CUSTOMER).id)])
        self.assertEqual(used.state, "used")
        self.assertTrue(used.approved_by_id and used.approval_reason)
        self.assertEqual(used.sale_order_id.state, "sale")

    def test_twelve_months_of_kpi_snapshots(self):
        snapshots = self.env["cobranza.kpi.snapshot"].sudo().search([("company_id", "=", self.company.id)])
        self.assertGreaterEqual(len(snapshots), 12)
        months = sorted(snapshots.mapped("period_start"))[-12:]
        self.assertEqual(len({(month.year, month.month) for month in months}), 12)
        self.assertTrue(all(snapshots.mapped("dso_countback")))
        stage_lines = snapshots.stage_line_ids
        self.assertTrue(stage_lines.filtered(lambda line: line.collected > 0), "recovery by stage")
        self.assertTrue(snapshots.filtered("promises_due"))

    def test_calls_logged_with_their_outcomes(self):
        calls = (
            self.env["cobranza.contact.log"]
            .sudo()
            .search([("partner_id", "in", self.customers.ids), ("channel", "in", ("call", "visit"))])
        )
        self.assertGreaterEqual(len(set(calls.mapped("outcome"))), 5)
        self.assertIn("inbound", calls.mapped("direction"))
        self.assertTrue(all(calls.mapped("note")))
        self.assertTrue(calls.filtered(lambda log: log.outcome == "dispute").move_id.cobranza_dispute)

    def test_settlement_offer_open_late_interest_off_and_bureau_off(self):
        offer = (
            self.env["cobranza.settlement.offer"]
            .sudo()
            .search([("partner_id", "=", self._partner(demo.PRELEGAL_CUSTOMER).id)])
        )
        self.assertEqual(offer.state, "offered")
        self.assertGreater(offer.waived_amount, 0.0)
        self.assertTrue(offer.approved_by_id)
        self.assertGreaterEqual(offer.deadline, self.install_day)
        self.assertEqual(self._profile(demo.PRELEGAL_CUSTOMER).dunning_paused_until, offer.deadline)
        policies = self.profiles.interest_policy_id
        self.assertTrue(policies, "a late-interest policy is ready")
        self.assertFalse(any(policies.mapped("charge_interest")), "and switched off")
        self.assertFalse(self.company.cobranza_interest_policy_id)
        self.assertFalse(self.invoices.filtered("cobranza_interest_document"), "no interest charged")
        self.assertFalse(self.company.cobranza_bureau_enabled)
        # The interest statement prints anyway (at the maximum legal rate).
        html, _format = (
            self.env["ir.actions.report"]
            .sudo()
            .with_company(self.company)
            ._render_qweb_html("cobranza_odoo.action_report_interest_statement", self._partner(demo.LEGAL_CUSTOMER).ids)
        )
        self.assertIn(demo.LEGAL_CUSTOMER, html.decode())
