from odoo.tests import tagged

from .common import CobranzaCommon


@tagged("post_install", "-at_install")
class TestCustomerStatement(CobranzaCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer_contact.email = "pagos@ferreteria-central.example"
        cls.overdue = cls._invoice(cls.customer, 1_000.0, 75, term=cls.term_30)  # 45 days late
        cls.partial = cls._invoice(cls.customer, 600.0, 40, term=cls.term_30)  # 10 days late
        cls._pay(cls.partial, 200.0, days_ago=2)
        cls.current = cls._invoice(cls.customer, 400.0, 5, term=cls.term_30)
        cls.refund = cls._invoice(cls.customer, 50.0, 3, move_type="out_refund")

    def _values(self):
        report = self.env["report.cobranza_odoo.report_customer_statement"]
        return report._get_report_values(self.customer_contact.ids)["statements"][self.customer.id]

    def test_statement_lists_open_items_credits_aging_and_recent_payments(self):
        statement = self._values()
        by_document = {item["document"]: item for item in statement["items"]}
        self.assertEqual(by_document[self.overdue.name]["days_late"], 45)
        self.assertEqual(by_document[self.partial.name]["residual"], 400.0)
        self.assertEqual(by_document[self.current.name]["days_late"], 0)
        self.assertTrue(by_document[self.refund.name]["is_credit"])
        self.assertEqual((statement["total"], statement["overdue"], statement["credits"]), (1_750.0, 1_400.0, -50.0))
        amounts = {bucket["label"]: bucket["amount"] for bucket in statement["aging"]}
        self.assertEqual(amounts["Current"], 350.0)  # 400 not due, refund of 50 dated 3 days ago is "current"
        self.assertEqual(amounts["1-30 days"], 400.0)
        self.assertEqual(amounts["31-60 days"], 1_000.0)
        self.assertEqual([payment["amount"] for payment in statement["payments"]], [200.0])

    def test_statement_renders_as_a_real_pdf(self):
        pdf = self._render_pdf("cobranza_odoo.action_report_customer_statement", self.customer.ids)
        self.assertIn(self.customer.name, self._pdf_text(pdf), "the statement's text is real text in the PDF")
        text = self._report_text("cobranza_odoo.action_report_customer_statement", self.customer.ids)
        for expected in (
            "Account Statement",
            self.customer.name,
            self.overdue.name,
            self.partial.name,
            "How to pay",
            "1,750.00",
        ):
            self.assertIn(expected, text)

    def test_statement_is_sent_to_the_invoice_address_with_the_pdf(self):
        action = self.customer.action_cobranza_send_statement()
        composer = self.env[action["res_model"]].with_context(**action["context"]).create({})
        self.assertEqual(composer.partner_ids, self.customer_contact)
        self.assertTrue(composer.attachment_ids.filtered(lambda attachment: "Statement" in attachment.name))
        composer._action_send_mail()
        message = self.customer.message_ids[0]
        self.assertEqual(message.partner_ids, self.customer_contact)
        self.assertIn("account statement", message.body)

    def test_spanish_customers_get_their_statement_and_mail_in_spanish(self):
        self.env["res.lang"]._activate_lang("es_419")
        self.env["ir.module.module"]._get("cobranza_odoo")._update_translations(["es_419"], overwrite=True)
        self.customer.lang = "es_419"
        html = (
            self.env["ir.actions.report"]
            ._render_qweb_html("cobranza_odoo.action_report_customer_statement", self.customer.ids)[0]
            .decode()
        )
        for expected in ("Estado de cuenta", "Días de mora", "Saldos a su favor", "Cómo pagar"):
            self.assertIn(expected, html)
        template = self.env.ref("cobranza_odoo.mail_template_customer_statement")
        rendered = template._generate_template(self.customer.ids, ["subject", "body_html"])[self.customer.id]
        self.assertIn("estado de cuenta", rendered["subject"])
        self.assertIn("Adjuntamos su estado de cuenta", rendered["body_html"])
