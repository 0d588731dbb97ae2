import io
from datetime import timedelta

from lxml import html as lxml_html
from odoo import Command, fields
from odoo.addons.account.tests.common import AccountTestInvoicingCommon
from odoo.tests import new_test_user
from PyPDF2 import PdfReader


class CobranzaCommon(AccountTestInvoicingCommon):
    """Scenario helpers: real invoices and payments dated relative to today."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.today = fields.Date.context_today(cls.env.user)
        company = cls.env.company
        cls.collector = new_test_user(
            cls.env,
            login="collector",
            name="Collector Carla",
            groups="base.group_user,cobranza_odoo.group_cobranza_user",
            company_id=company.id,
        )
        cls.collections_manager = new_test_user(
            cls.env,
            login="collmanager",
            name="Manager Marta",
            groups="base.group_user,cobranza_odoo.group_cobranza_manager,sales_team.group_sale_salesman_all_leads",
            company_id=company.id,
        )
        cls.salesman = new_test_user(
            cls.env,
            login="salesman",
            name="Salesman Sam",
            groups="base.group_user,sales_team.group_sale_salesman_all_leads",
            company_id=company.id,
        )
        cls.customer = cls.env["res.partner"].create({"name": "Ferretería Central S.A.S.", "is_company": True})
        cls.customer_contact = cls.env["res.partner"].create(
            {"name": "Pagos Ferretería", "parent_id": cls.customer.id, "type": "invoice"}
        )
        cls.term_30 = cls.env.ref("account.account_payment_term_30days")
        cls.term_two_installments = cls.env["account.payment.term"].create(
            {
                "name": "50% at 30 days, 50% at 60 days",
                "line_ids": [
                    Command.create({"value": "percent", "value_amount": 50.0, "nb_days": 30}),
                    Command.create({"value": "percent", "value_amount": 50.0, "nb_days": 60}),
                ],
            }
        )

    @classmethod
    def _invoice(cls, partner, amount, days_ago, term=None, move_type="out_invoice", post=True, company=None):
        """A customer invoice without taxes for ``amount``, dated ``days_ago`` days before today."""
        invoice_date = cls.today - timedelta(days=days_ago)
        move = (
            cls.env["account.move"]
            .with_company(company or cls.env.company)
            .create(
                {
                    "move_type": move_type,
                    "partner_id": partner.id,
                    "invoice_date": invoice_date,
                    "date": invoice_date,
                    "invoice_payment_term_id": term.id if term else False,
                    "invoice_line_ids": [
                        Command.create(
                            {
                                "name": "Cemento gris 50 kg",
                                "quantity": 1,
                                "price_unit": amount,
                                "tax_ids": [Command.clear()],
                            }
                        )
                    ],
                }
            )
        )
        if post:
            move.action_post()
        return move

    def _render_pdf(self, report_ref, res_ids):
        """Render a report as a real PDF with wkhtmltopdf.

        wkhtmltopdf fetches the report's assets from this server: in test mode the server
        answers with the test's own cursor instead of waiting for the registry being tested.
        """
        self.registry.enter_test_mode(self.cr)
        self.addCleanup(self.registry.leave_test_mode)
        content, report_format = (
            self.env["ir.actions.report"]
            .with_context(force_report_rendering=True)
            ._render_qweb_pdf(report_ref, res_ids)
        )
        self.assertEqual(report_format, "pdf")
        self.assertTrue(content.startswith(b"%PDF"))
        self.assertGreaterEqual(len(PdfReader(io.BytesIO(content)).pages), 1)
        return content

    def _pdf_text(self, content):
        """The text a reader (or a search) gets out of a PDF: real text, not drawn outlines."""
        return " ".join(" ".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(content)).pages).split())

    def _report_text(self, report_ref, res_ids):
        """The text of a report as wkhtmltopdf receives it (text extraction from the PDF itself
        depends on which fonts wkhtmltopdf could load, so content is checked on this)."""
        html = self.env["ir.actions.report"]._render_qweb_html(report_ref, res_ids)[0]
        return " ".join(lxml_html.fromstring(html).text_content().split())

    @classmethod
    def _pay(cls, invoices, amount, days_ago=0):
        """Register a payment of ``amount`` on ``invoices`` through Odoo's own wizard."""
        wizard = (
            cls.env["account.payment.register"]
            .with_context(active_model="account.move", active_ids=invoices.ids)
            .create({"amount": amount, "payment_date": cls.today - timedelta(days=days_ago)})
        )
        return wizard._create_payments()
