from odoo import models


class PaymentTransaction(models.Model):
    _inherit = "payment.transaction"

    def _check_amount_and_confirm_order(self):
        # A customer paying online confirms the order: there is nobody to ask for a credit approval.
        return super(
            PaymentTransaction, self.with_context(cobranza_credit_unattended=True)
        )._check_amount_and_confirm_order()
