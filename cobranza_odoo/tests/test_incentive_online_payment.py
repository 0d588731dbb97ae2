from odoo import Command
from odoo.addons.account_payment.tests.common import AccountPaymentCommon
from odoo.tests import tagged


@tagged("post_install", "-at_install")
class TestIncentiveOnlinePayment(AccountPaymentCommon):
    """A customer paying the discounted amount online gets the discount, as in the payment wizard."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.discount_account = cls.company_data["default_account_expense"].copy({"code": "530598"})
        cls.program = cls.env["cobranza.incentive"].create(
            {
                "name": "Pronto pago en línea",
                "discount_account_id": cls.discount_account.id,
                "tier_ids": [Command.create({"days": 10, "percent": 3.0})],
            }
        )
        cls.env.company.cobranza_incentive_id = cls.program
        cls.tax = cls.company_data["default_tax_sale"]  # 15 %

    def _invoice(self):
        invoice = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": self.partner.id,
                "currency_id": self.currency.id,
                "invoice_payment_term_id": self.env.ref("account.account_payment_term_30days").id,
                "invoice_line_ids": [
                    Command.create(
                        {"name": "Cemento", "quantity": 1, "price_unit": 1000.0, "tax_ids": [Command.set(self.tax.ids)]}
                    )
                ],
            }
        )
        invoice.action_post()
        return invoice

    def _pay_online(self, invoice, amount):
        transaction = self._create_transaction(
            "redirect", amount=amount, invoice_ids=[Command.set(invoice.ids)], state="done"
        )
        with self.mocked_get_payment_method_information():
            transaction._create_payment()
        return transaction

    def test_portal_amount_paid_online_is_written_off(self):
        invoice = self._invoice()
        self.assertEqual(invoice._get_invoice_next_payment_values()["amount_due"], 1115.5)
        transaction = self._pay_online(invoice, 1115.5)
        write_off = transaction.payment_id.move_id.line_ids.filtered(lambda line: line.display_type == "epd")
        self.assertEqual(sum(write_off.mapped("amount_currency")), 34.5)
        self.assertIn(self.discount_account, write_off.account_id)
        self.assertTrue(invoice.currency_id.is_zero(invoice.amount_residual))

    def test_credit_note_program_paid_online_gets_its_credit_note(self):
        self.program.tax_mode = "credit_note"
        invoice = self._invoice()
        self._pay_online(invoice, 1115.5)
        refund = self.env["account.move"].search([("reversed_entry_id", "=", invoice.id)])
        self.assertEqual((refund.state, refund.amount_total), ("posted", 34.5))
        self.assertTrue(invoice.currency_id.is_zero(invoice.amount_residual))

    def test_full_amount_paid_online_gets_no_discount(self):
        invoice = self._invoice()
        transaction = self._pay_online(invoice, 1150.0)
        self.assertFalse(transaction.payment_id.move_id.line_ids.filtered(lambda line: line.display_type == "epd"))
        self.assertTrue(invoice.currency_id.is_zero(invoice.amount_residual))
