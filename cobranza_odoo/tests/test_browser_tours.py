from datetime import timedelta

from odoo import Command, fields
from odoo.tests import HttpCase, new_test_user, tagged

from .common import CobranzaCommon

LETTER = "cobranza_odoo.action_report_dunning_letter"


@tagged("post_install", "-at_install")
class TestBrowserTours(CobranzaCommon, HttpCase):
    """The four stories of the collections team, clicked through the real screens in a browser.

    Data is prepared here; what the story shows (confirming, approving, logging, sending, paying) is
    done by the tour in ``static/tests/tours/``, and its result is checked here afterwards.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.accountant = new_test_user(
            cls.env,
            login="accountant",
            name="Accountant Ana",
            groups="base.group_user,account.group_account_invoice,account.group_account_user",
            company_id=cls.env.company.id,
        )
        cls.Profile = cls.env["cobranza.partner.profile"]
        cls.customer_contact.email = "pagos@ferreteria-central.example"
        cls.Profile._get_profiles(cls.customer).collector_id = cls.collector

    @staticmethod
    def _receivable(invoices):
        return invoices.line_ids.filtered(lambda line: line.account_type == "asset_receivable")

    def _today_of(self, user):
        """The day the screens show ``user`` (their time zone), which the tours' dates start from."""
        return fields.Date.context_today(self.env["res.users"].with_user(user))

    # ------------------------------------------------------------------ 1. credit block

    def test_salesperson_blocked_by_credit_asks_approval_manager_approves_order_confirmed(self):
        self.env.company.cobranza_credit_action = "block"
        self.customer.credit_limit = 10_000.0
        self._invoice(self.customer, 9_000.0, 1)
        product = self._create_product(name="Varilla corrugada", lst_price=100.0, taxes_id=[Command.clear()])
        order = self.env["sale.order"].create(
            {
                "partner_id": self.customer.id,
                "user_id": self.salesman.id,
                "order_line": [
                    Command.create(
                        {
                            "product_id": product.id,
                            "product_uom_qty": 25,
                            "price_unit": 100.0,
                            "tax_id": [Command.clear()],
                        }
                    )
                ],
            }
        )
        url = f"/odoo/action-sale.action_quotations_with_onboarding/{order.id}"

        self.start_tour(url, "cobranza_credit_request_tour", login="salesman")
        request = order.cobranza_credit_override_ids
        self.assertEqual((request.state, request.requested_by_id), ("requested", self.salesman))
        self.assertIn("Paga con transferencia el viernes", request.request_reason)
        self.assertEqual(order.state, "draft")

        self.start_tour("/odoo", "cobranza_credit_approve_tour", login="collmanager")
        self.assertEqual(request.state, "approved")
        self.assertEqual(request.approved_by_id, self.collections_manager)
        self.assertEqual(request.approved_amount, 2_600.0)
        self.assertEqual(request.expiry_date, self._today_of(self.collections_manager) + timedelta(days=3))
        self.assertEqual(request.approval_reason, "Cliente histórico, paga a fin de mes")

        self.start_tour(url, "cobranza_credit_confirm_tour", login="salesman")
        self.assertEqual((order.state, request.state), ("sale", "used"))

    # ------------------------------------------------------------------ 2. call with a promise

    def test_collector_logs_a_call_where_the_customer_promises_to_pay(self):
        invoice = self._invoice(self.customer, 600.0, 45, term=self.term_30)  # 15 days late
        self.Profile._get_profiles(self.customer)._refresh(self.today)

        self.start_tour("/odoo", "cobranza_call_promise_tour", login="collector")
        log = self.env["cobranza.contact.log"].search([("partner_id", "=", self.customer.id)])
        self.assertEqual(
            (log.channel, log.direction, log.outcome, log.reached, log.user_id),
            ("call", "outbound", "promise", True, self.collector),
        )
        self.assertEqual(log.note, "Paga el saldo vencido por transferencia")
        promise = self.env["cobranza.agreement"].search([("partner_id", "=", self.customer.id)])
        self.assertEqual((promise.kind, promise.state), ("promise", "active"))
        self.assertEqual(promise.line_ids, self._receivable(invoice))
        self.assertEqual(promise.debt, 600.0)
        self.assertEqual(promise.first_date, self._today_of(self.collector) + timedelta(days=10))
        self.assertEqual(invoice.cobranza_status, "under_agreement")

    # ------------------------------------------------------------------ 3. dunning with a letter

    def test_collector_previews_creates_sends_a_reminder_and_prints_its_letter(self):
        policy = self.env.ref("cobranza_odoo.policy_standard").sudo().copy({"company_id": self.env.company.id})
        friendly = policy.level_ids.sorted("sequence")[1]
        friendly.print_letter = True
        self.env.company.write({"cobranza_policy_id": policy.id, "cobranza_dunning_mode": "draft"})
        invoice = self._invoice(self.customer, 300.0, 40, term=self.term_30)  # 10 days late: friendly notice

        self.start_tour("/odoo", "cobranza_dunning_run_tour", login="collector")
        dunning = self.env["cobranza.dunning"].search([("partner_id", "=", self.customer.id)])
        self.assertEqual(len(dunning), 1)
        self.assertEqual((dunning.level_id, dunning.state), (friendly, "sent"))
        self.assertEqual(dunning.sent_date, self._today_of(self.collector))
        self.assertEqual(self._receivable(invoice).cobranza_level_id, friendly)
        # Sent means an e-mail was queued to the invoice address and the letter kept as evidence.
        self.assertTrue(dunning.email_sent)
        mail = self.env["mail.mail"].search([("model", "=", "cobranza.dunning"), ("res_id", "=", dunning.id)])
        self.assertEqual(mail.recipient_ids, self.customer_contact)
        letter = dunning.letter_attachment_id
        self.assertEqual((letter.name, letter.mimetype), (f"{dunning.name}.pdf", "application/pdf"))
        self.assertIn(letter, mail.attachment_ids)
        # The letter as a real PDF (the tour's server prints HTML in test mode): one wkhtmltopdf run.
        pdf = (
            self.env["ir.actions.report"]
            .with_context(force_report_rendering=True)
            ._render_qweb_pdf(LETTER, dunning.ids)[0]
        )
        self.assertTrue(pdf.startswith(b"%PDF"))
        self.assertIn(invoice.name, self._report_text(LETTER, dunning.ids))

    # ------------------------------------------------------------------ 4. early-payment incentive

    def test_accountant_registers_a_payment_inside_a_tier_and_the_discount_is_written_off(self):
        discount_account = self.company_data["default_account_expense"].copy({"code": "530599"})
        self.env.company.cobranza_incentive_id = self.env["cobranza.incentive"].create(
            {
                "name": "Pronto pago",
                "discount_account_id": discount_account.id,
                "tax_mode": "included",
                "tier_ids": [
                    Command.create({"days": 10, "percent": 3.0}),
                    Command.create({"days": 20, "percent": 1.5}),
                ],
            }
        )
        tax = self.company_data["default_tax_sale"]  # 15 %
        invoice_date = self._today_of(self.accountant) - timedelta(days=15)
        invoice = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": self.customer.id,
                "invoice_date": invoice_date,
                "date": invoice_date,
                "invoice_payment_term_id": self.term_30.id,
                "invoice_line_ids": [
                    Command.create(
                        {"name": "Cemento", "quantity": 1, "price_unit": 1000.0, "tax_ids": [Command.set(tax.ids)]}
                    )
                ],
            }
        )
        invoice.action_post()
        self.assertEqual(invoice.amount_total, 1150.0)

        self.start_tour(
            f"/odoo/action-account.action_move_out_invoice_type/{invoice.id}",
            "cobranza_incentive_payment_tour",
            login="accountant",
        )
        payment = invoice.matched_payment_ids
        self.assertEqual(len(payment), 1)
        self.assertEqual((payment.amount, payment.date), (1115.5, invoice_date + timedelta(days=9)))
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        self.assertTrue(invoice.currency_id.is_zero(invoice.amount_residual))
        write_off = payment.move_id.line_ids.filtered(lambda line: line.display_type == "epd")
        base = write_off.filtered(lambda line: line.account_id == discount_account)
        self.assertEqual((base.debit, base.tax_ids), (30.0, tax))
        self.assertIn("Pronto pago", base.name)
        self.assertEqual(write_off.filtered("tax_repartition_line_id").debit, 4.5)
