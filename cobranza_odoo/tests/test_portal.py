from datetime import datetime, time, timedelta
from urllib.parse import parse_qs, urlsplit

from freezegun import freeze_time
from lxml import html as lxml_html
from odoo import Command
from odoo.addons.account_payment.tests.common import AccountPaymentCommon
from odoo.addons.payment.tests.http_common import PaymentHttpCommon
from odoo.exceptions import UserError
from odoo.tests import JsonRpcException, new_test_user, tagged
from odoo.tools import format_date, mute_logger

from .common import CobranzaCommon

LETTER = "cobranza_odoo.action_report_dunning_letter"


@tagged("post_install", "-at_install")
class TestPortal(CobranzaCommon, AccountPaymentCommon, PaymentHttpCommon):
    """The customer's side: links in reminders, the statement in the portal, promises, disputes, paying."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Profile = cls.env["cobranza.partner.profile"]
        cls.Portal = cls.env["cobranza.portal"]
        cls.DunningRun = cls.env["cobranza.dunning.run"]
        cls.policy = cls.env.ref("cobranza_odoo.policy_standard").sudo().copy({"company_id": cls.env.company.id})
        cls.env.company.write({"cobranza_policy_id": cls.policy.id, "cobranza_dunning_mode": "send"})
        cls.customer_contact.email = "pagos@ferreteria-central.example"
        cls.profile = cls.Profile._get_profiles(cls.customer)
        cls.profile.collector_id = cls.collector
        cls.late = cls._invoice(cls.customer, 200.0, 40, term=cls.term_30)  # 10 days late
        cls.older = cls._invoice(cls.customer, 500.0, 70, term=cls.term_30)  # 40 days late
        cls.upcoming = cls._invoice(cls.customer, 100.0, 5, term=cls.term_30)  # due in 25 days
        cls.refund = cls._invoice(cls.customer, 30.0, 2, move_type="out_refund")
        cls.other = cls.env["res.partner"].create(
            {"name": "Distribuidora Andina S.A.S.", "is_company": True, "email": "cartera@andina.example"}
        )
        cls.other_invoice = cls._invoice(cls.other, 999.0, 50, term=cls.term_30)
        cls.portal_customer = new_test_user(
            cls.env,
            login="ferreteria",
            groups="base.group_portal",
            partner_id=cls.env["res.partner"].create({"name": "Tesorería Ferretería", "parent_id": cls.customer.id}).id,
            company_id=cls.env.company.id,
            company_ids=[Command.set(cls.env.company.ids)],
        )
        cls.portal_other = new_test_user(
            cls.env,
            login="andina",
            groups="base.group_portal",
            partner_id=cls.env["res.partner"].create({"name": "Pagos Andina", "parent_id": cls.other.id}).id,
            company_id=cls.env.company.id,
            company_ids=[Command.set(cls.env.company.ids)],
        )

    # ------------------------------------------------------------------ helpers

    def _run_dunning(self, days=0, partner=None):
        day = self.today + timedelta(days=days)
        profiles = self.Profile._get_profiles(partner or self.customer)
        with freeze_time(datetime.combine(day, time(12, 0))):
            return self.DunningRun._run_for(profiles, day)

    @staticmethod
    def _path(url):
        """The local part of an absolute link (the test server listens on its own port)."""
        parts = urlsplit(url)
        return f"{parts.path}?{parts.query}" if parts.query else parts.path

    @staticmethod
    def _hrefs(html):
        return [link.get("href") for link in lxml_html.fromstring(html).iter("a") if link.get("href")]

    def _page(self, url):
        response = self.url_open(url)
        self.assertEqual(response.status_code, 200, url)
        return response.text

    def _post_form(self, page_url, action, values):
        """Submit a form of the statement page as the browser would (with the page's CSRF token)."""
        tree = lxml_html.fromstring(self._page(page_url))
        csrf = tree.xpath(f"//form[contains(@action, '{action}')]//input[@name='csrf_token']/@value")[0]
        return self.url_open(f"{self.profile.access_url}/{action}", data={"csrf_token": csrf, **values})

    def _receivable(self, invoices):
        return invoices.line_ids.filtered(lambda line: line.account_type == "asset_receivable")

    def _pay_through_the_page(self, pay_url):
        """Open a pay link, create the transaction through its route and confirm it as the provider would."""
        context = self._get_payment_context(self.url_open(pay_url))
        processing = self._get_processing_values(
            tx_route=context["transaction_route"],
            provider_id=self.provider.id,
            payment_method_id=self.payment_method_id,
            token_id=None,
            amount=context["amount"],
            flow="direct",
            tokenization_requested=False,
            landing_route=context["landing_route"],
            access_token=context["access_token"],
        )
        transaction = self._get_tx(processing["reference"])
        transaction._set_done()
        with self.mocked_get_payment_method_information():
            transaction._post_process()
        self.env.cr.precommit.run()  # what happens when the payment's transaction commits
        return transaction

    # ------------------------------------------------------------------ links in reminders

    def test_reminder_email_and_letter_links_open_the_invoices_and_pay_as_a_public_visitor(self):
        dunning = self._run_dunning()
        self.assertEqual(dunning.line_ids.move_id, self.late | self.older)
        message = dunning.message_ids.filtered(lambda message: message.message_type == "comment")
        links = self._hrefs(message.body)
        for invoice in (self.late, self.older):
            (link,) = [link for link in links if f"/my/invoices/{invoice.id}?access_token=" in link]
            page = self._page(self._path(link))  # nobody is logged in
            self.assertIn(invoice.name, page)
            self.assertIn("Pay Now", page)
        (pay_link,) = [link for link in links if f"{self.profile.access_url}/pay?" in link]
        self.assertEqual(parse_qs(urlsplit(pay_link).query)["dunning_id"], [str(dunning.id)])
        pay_page = self._page(self._path(pay_link))
        self.assertIn('id="o_payment_form"', pay_page)
        self.assertEqual(self._get_payment_context(self.url_open(self._path(pay_link)))["amount"], 700.0)
        (statement_link,) = [link for link in links if f"{self.profile.access_url}?access_token=" in link]
        self.assertIn(self.older.name, self._page(self._path(statement_link)))

        # The letter carries the same pay link, printed and as a QR code.
        html = self.env["ir.actions.report"]._render_qweb_html(LETTER, dunning.ids)[0].decode()
        tree = lxml_html.fromstring(html)
        (qr,) = tree.xpath("//div[@name='pay_online']//img")
        self.assertTrue(qr.get("src").startswith("data:image/png;base64,"))
        self.assertEqual(qr.get("alt"), f"Barcode {pay_link}")
        self.assertIn(pay_link, self._hrefs(html))
        pdf = (
            self.env["ir.actions.report"]
            .with_context(force_report_rendering=True)
            ._render_qweb_pdf(LETTER, dunning.ids)
        )
        self.assertTrue(pdf[0].startswith(b"%PDF"))

    def test_a_spanish_customer_reads_the_reminder_and_its_pages_in_spanish(self):
        self.env["res.lang"]._activate_lang("es_419")
        self.env["ir.module.module"]._get("cobranza_odoo")._update_translations(["es_419"], overwrite=True)
        self.customer.lang = "es_419"
        dunning = self._run_dunning()
        message = dunning.message_ids.filtered(lambda message: message.message_type == "comment")
        self.assertIn("Pagar en línea ahora", message.body)
        links = dunning._portal_links()
        page = self._page(self._path(links["statement"]))
        for expected in ("Estado de cuenta", "Facturas pendientes", "Pagar lo vencido", "Objetar", "Pagaré el"):
            self.assertIn(expected, page)
        self.assertIn("Valor a pagar", self._page(self._path(links["pay"])))
        html = self.env["ir.actions.report"]._render_qweb_html(LETTER, dunning.ids)[0].decode()
        self.assertIn("Escanee el código con su teléfono", html)

    def test_a_link_with_a_wrong_token_or_of_another_customer_is_not_found(self):
        other_profile = self.Profile._get_profiles(self.other)
        other_profile._portal_ensure_tokens()
        token = self.profile._portal_ensure_tokens().access_token
        for url in (
            f"{self.profile.access_url}?access_token=not-the-token",
            f"{self.profile.access_url}",
            f"{other_profile.access_url}?access_token={token}",
            f"{other_profile.access_url}/pay?access_token={token}",
            f"{other_profile.access_url}/statement.pdf?access_token={token}",
        ):
            self.assertEqual(self.url_open(url).status_code, 404, url)
        dunning = self._run_dunning(partner=self.other)
        url = f"{self.profile.access_url}/pay?access_token={token}&dunning_id={dunning.id}"
        self.assertEqual(self.url_open(url).status_code, 404, "a reminder of another customer")

    def test_statement_email_links_to_the_statement_and_to_paying_everything(self):
        template = self.env.ref("cobranza_odoo.mail_template_customer_statement")
        body = template._generate_template(self.customer.ids, ["body_html"])[self.customer.id]["body_html"]
        links = self._hrefs(body)
        self.assertIn(self.profile._portal_url(), links)
        self.assertIn(self.profile._portal_pay_url(scope="all"), links)
        html = (
            self.env["ir.actions.report"]
            ._render_qweb_html("cobranza_odoo.action_report_customer_statement", self.customer.ids)[0]
            .decode()
        )
        (qr,) = lxml_html.fromstring(html).xpath("//div[@name='pay_online']//img")
        self.assertEqual(qr.get("alt"), f"Barcode {self.profile._portal_url()}")

    # ------------------------------------------------------------------ the statement page

    def test_statement_shows_exactly_the_customers_own_open_items_to_its_portal_user(self):
        self.customer.with_company(self.env.company).credit_limit = 5_000.0
        agreement = self.env["cobranza.agreement"].create(
            {
                "kind": "promise",
                "partner_id": self.customer.id,
                "line_ids": [Command.set(self._receivable(self.older).ids)],
                "first_date": self.today + timedelta(days=5),
            }
        )
        agreement.action_save_promise()
        self.authenticate("ferreteria", "ferreteria")
        page = self._page("/my/collections")
        tree = lxml_html.fromstring(page)
        shown = set(tree.xpath("//table[@id='cobranza_invoices']//tr/@data-invoice"))
        self.assertEqual(shown, {self.late.name, self.older.name, self.upcoming.name})
        self.assertNotIn(self.other_invoice.name, page)
        self.assertIn(self.refund.name, "".join(tree.xpath("//table[@id='cobranza_credits']//text()")))
        self.assertIn(agreement.name, "".join(tree.xpath("//table[@id='cobranza_agreements']//text()")))
        self.assertTrue(tree.xpath("//div[@id='cobranza_available_credit']"))
        self.assertIn("770.00", "".join(tree.xpath("//div[@id='cobranza_summary']//text()")))  # 800 open − 30 credit
        counters = self.make_jsonrpc_request("/my/counters", {"counters": ["cobranza_open_count"]})
        self.assertEqual(counters["cobranza_open_count"], 3)
        pdf = self.url_open(f"{self.profile.access_url}/statement.pdf")
        self.assertEqual((pdf.status_code, pdf.headers["Content-Type"]), (200, "application/pdf"))
        self.assertIn(self.late.name.encode(), pdf.content)
        # Another customer's portal user sees only their own, and never this customer's page.
        self.authenticate("andina", "andina")
        page = self._page("/my/collections")
        self.assertIn(self.other_invoice.name, page)
        for invoice in (self.late, self.older, self.upcoming):
            self.assertNotIn(invoice.name, page)
        self.assertEqual(self.url_open(self.profile.access_url).status_code, 404)
        self.assertEqual(self.url_open(f"{self.profile.access_url}/statement.pdf").status_code, 404)

    def test_the_statement_of_one_company_shows_nothing_of_another(self):
        company_2 = self.setup_other_company()["company"]
        foreign = self._invoice(self.customer, 4_321.0, 50, term=self.term_30, company=company_2)
        page = self._page(self.profile._portal_url())
        self.assertNotIn(f"/my/invoices/{foreign.id}?", page)
        self.assertIn(f"/my/invoices/{self.late.id}?", page)
        profile_2 = self.Profile._get_profiles(self.customer, company_2)
        self.assertNotEqual(profile_2._portal_ensure_tokens().access_token, self.profile.access_token)
        page_2 = self._page(profile_2._portal_url())
        self.assertIn(f"/my/invoices/{foreign.id}?", page_2)
        self.assertNotIn(f"/my/invoices/{self.late.id}?", page_2)

    # ------------------------------------------------------------------ promises

    def test_a_portal_promise_pauses_dunning_until_its_date_and_breaks_when_unpaid(self):
        page_url = self.profile._portal_url()
        promise_date = self.Portal._today(self.profile) + timedelta(days=10)
        response = self._post_form(
            page_url,
            "promise",
            {
                "access_token": self.profile.access_token,
                "move_ids": [self.late.id, self.older.id],
                "promise_date": promise_date.isoformat(),
            },
        )
        self.assertEqual(response.status_code, 200)
        self.assertIn("cobranza_message", response.text)
        agreement = self.env["cobranza.agreement"].search([("partner_id", "=", self.customer.id)])
        self.assertEqual((agreement.kind, agreement.state, agreement.debt), ("promise", "active", 700.0))
        self.assertEqual(agreement.line_ids, self._receivable(self.late | self.older))
        self.assertEqual(agreement.installment_ids.date, promise_date)
        self.assertEqual(agreement.collector_id, self.collector)
        log = self.env["cobranza.contact.log"].search([("agreement_id", "=", agreement.id)])
        self.assertEqual(
            (log.channel, log.direction, log.requested_by_customer, log.outcome),
            ("portal", "inbound", True, "promise"),
        )
        self.assertNotIn(promise_date.isoformat(), log.note, "a date as people write it")
        self.assertIn(format_date(self.env, promise_date), log.note)
        self.assertFalse(self._run_dunning(), "the promised invoices get no reminder")
        # Unpaid after its date and grace days: broken, and the reminders resume.
        broken = agreement._refresh_progress(promise_date + timedelta(days=agreement.grace_days + 1))
        self.assertEqual(broken, agreement)
        dunned = self._run_dunning(days=20).line_ids.move_id
        self.assertEqual(dunned & (self.late | self.older), self.late | self.older)

    def test_a_portal_promise_beyond_the_allowed_days_or_for_too_much_is_refused(self):
        today = self.Portal._today(self.profile)
        self.env.company.cobranza_portal_promise_max_days = 5
        with self.assertRaises(UserError):
            self.Portal._make_promise(self.profile, [self.late.id], today + timedelta(days=6))
        with self.assertRaises(UserError):
            self.Portal._make_promise(self.profile, [self.late.id], today + timedelta(days=3), amount=201.0)
        with self.assertRaises(UserError, msg="not overdue: nothing to promise"):
            self.Portal._make_promise(self.profile, [self.upcoming.id], today + timedelta(days=3))
        with self.assertRaises(UserError, msg="another customer's invoice"):
            self.Portal._make_promise(self.profile, [self.other_invoice.id], today + timedelta(days=3))
        segment = self.env["cobranza.segment"].create({"name": "Confiables", "portal_promise_max_days": 10})
        self.profile.sudo().segment_id = segment
        agreement = self.Portal._make_promise(self.profile, [self.late.id], today + timedelta(days=8), amount=150.0)
        self.assertEqual((agreement.state, agreement.debt, agreement.total_amount), ("active", 150.0, 150.0))
        page = self._page(self.profile._portal_url())
        tree = lxml_html.fromstring(page)
        self.assertEqual(tree.xpath("//input[@id='cobranza_promise_date']/@max"), [str(today + timedelta(days=10))])
        response = self._post_form(
            self.profile._portal_url(),
            "promise",
            {
                "access_token": self.profile.access_token,
                "move_ids": [self.older.id],
                "promise_date": (today + timedelta(days=30)).isoformat(),
            },
        )
        self.assertIn("cobranza_error", response.text)
        self.assertEqual(self.env["cobranza.agreement"].search_count([("partner_id", "=", self.customer.id)]), 1)

    # ------------------------------------------------------------------ disputes

    def test_a_portal_dispute_marks_the_invoice_and_gives_the_collector_a_todo(self):
        response = self._post_form(
            self.profile._portal_url(),
            "dispute",
            {"access_token": self.profile.access_token, "move_id": self.late.id, "reason": "La mercancía llegó rota"},
        )
        self.assertEqual(response.status_code, 200)
        self.assertTrue(self.late.cobranza_dispute)
        self.assertEqual(self.late.cobranza_dispute_reason, "La mercancía llegó rota")
        self.assertEqual(self.late.cobranza_status, "in_dispute")
        activity = self.late.activity_ids
        self.assertEqual(
            (activity.user_id, activity.activity_type_id),
            (self.collector, self.env.ref("mail.mail_activity_data_todo")),
        )
        log = self.env["cobranza.contact.log"].search([("move_id", "=", self.late.id)])
        self.assertEqual((log.outcome, log.direction, log.channel), ("dispute", "inbound", "portal"))
        self.assertEqual(self._run_dunning().line_ids.move_id, self.older, "the disputed invoice is not dunned")
        # Another customer's invoice cannot be contested through this customer's link.
        self._post_form(
            self.profile._portal_url(),
            "dispute",
            {"access_token": self.profile.access_token, "move_id": self.other_invoice.id, "reason": "No es mía"},
        )
        self.assertFalse(self.other_invoice.cobranza_dispute)

    # ------------------------------------------------------------------ paying online

    def test_paying_a_reminder_online_settles_its_invoices_and_the_next_run_skips_them(self):
        dunning = self._run_dunning()
        transaction = self._pay_through_the_page(self._path(dunning._portal_links()["pay"]))
        self.assertEqual(transaction.invoice_ids, self.late | self.older)
        self.assertEqual((transaction.amount, transaction.reference), (700.0, dunning.name))
        self.assertTrue(transaction.payment_id)
        for invoice in (self.late, self.older):
            self.assertIn(invoice.payment_state, ("in_payment", "paid"))
        self.assertFalse(self._run_dunning(days=30).line_ids.move_id & (self.late | self.older))

    @mute_logger("odoo.http")
    def test_the_amount_of_a_pay_link_is_decided_by_the_server(self):
        dunning = self._run_dunning()
        pay_url = self._path(dunning._portal_links()["pay"])
        context = self._get_payment_context(self.url_open(pay_url))
        with self.assertRaises(JsonRpcException):
            self._get_processing_values(
                tx_route=context["transaction_route"],
                provider_id=self.provider.id,
                payment_method_id=self.payment_method_id,
                token_id=None,
                amount=1.0,
                flow="direct",
                tokenization_requested=False,
                landing_route=context["landing_route"],
                access_token=context["access_token"],
            )
        self._pay(self.late, 200.0)  # paid meanwhile: the link now asks for what is left
        self.assertEqual(self._get_payment_context(self.url_open(pay_url))["amount"], 500.0)

    def _discount_program(self, tax_mode):
        program = self.env["cobranza.incentive"].create(
            {
                "name": "Pronto pago",
                "tax_mode": tax_mode,
                "discount_account_id": self.company_data["default_account_expense"].id,
                "tier_ids": [Command.create({"days": 10, "percent": 3.0})],
            }
        )
        self.env.company.cobranza_incentive_id = program
        buyer = self.env["res.partner"].create({"name": "Pronto Pagador S.A.S.", "is_company": True})
        invoices = self._invoice(buyer, 1_000.0, 1, term=self.term_30) | self._invoice(
            buyer, 2_000.0, 2, term=self.term_30
        )
        return buyer, invoices

    def test_one_link_pays_several_invoices_at_their_discounted_amounts(self):
        buyer, invoices = self._discount_program("included")
        profile = self.Profile._get_profiles(buyer)
        group, _groups = self.Portal._pay_group(profile, scope="all")
        self.assertEqual((group["total"], group["discount"]), (2_910.0, 90.0))
        transaction = self._pay_through_the_page(self._path(profile._portal_pay_url(scope="all")))
        self.assertEqual(transaction.amount, 2_910.0)
        write_offs = transaction.payment_id.move_id.line_ids.filtered(
            lambda line: line.account_id == self.company_data["default_account_expense"]
        )
        self.assertEqual(sum(write_offs.mapped("balance")), 90.0)
        for invoice in invoices:
            self.assertTrue(invoice.currency_id.is_zero(invoice.amount_residual), invoice.name)

    def test_credit_note_programs_get_their_credit_notes_when_several_invoices_are_paid_at_once(self):
        buyer, invoices = self._discount_program("credit_note")
        profile = self.Profile._get_profiles(buyer)
        self._pay_through_the_page(self._path(profile._portal_pay_url(scope="all")))
        refunds = self.env["account.move"].search([("reversed_entry_id", "in", invoices.ids)])
        self.assertEqual(sorted(refunds.mapped("amount_total")), [30.0, 60.0])
        for invoice in invoices:
            self.assertTrue(invoice.currency_id.is_zero(invoice.amount_residual), invoice.name)

    # ------------------------------------------------------------------ in the browser

    def test_tour_a_customer_opens_the_statement_and_promises_to_pay(self):
        self.start_tour("/my", "cobranza_portal_statement_tour", login="ferreteria")
        agreement = self.env["cobranza.agreement"].search([("partner_id", "=", self.customer.id)])
        self.assertEqual((agreement.kind, agreement.state), ("promise", "active"))
        self.assertEqual(agreement.line_ids, self._receivable(self.late | self.older))
        self.assertEqual(agreement.first_date, self.Portal._today(self.profile) + timedelta(days=15))
