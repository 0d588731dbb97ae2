from odoo import models


class PaymentTransaction(models.Model):
    _inherit = "payment.transaction"

    def _check_amount_and_confirm_order(self):
        # A customer paying online confirms the order: there is nobody to ask for a credit approval.
        return super(
            PaymentTransaction, self.with_context(cobranza_credit_unattended=True)
        )._check_amount_and_confirm_order()

    def _create_payment(self, **extra_create_values):
        """An online payment of the discounted amount of a credit-note program: the credit note for
        the discount follows the payment (write-off programs are handled by Odoo's own flow)."""
        by_credit_note = {}
        for invoice in self.invoice_ids.filtered(lambda move: move.state == "posted"):
            if invoice._cobranza_uses_incentive() and invoice.cobranza_incentive_id.tax_mode == "credit_note":
                deadline = invoice._cobranza_incentive_deadline(self.currency_id)
                if deadline and invoice.currency_id.compare_amounts(self.amount, deadline.amount_to_pay) == 0:
                    by_credit_note[invoice] = deadline
        payment = super()._create_payment(**extra_create_values)
        for invoice, deadline in by_credit_note.items():
            invoice._cobranza_grant_incentive_if_earned(deadline, payment.date)
        return payment
