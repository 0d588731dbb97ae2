from odoo import models


class AccountPaymentRegister(models.TransientModel):
    _inherit = "account.payment.register"

    def _create_payment_vals_from_wizard(self, batch_result):
        # The program's tier depends on the payment date, not on today.
        return super(
            AccountPaymentRegister, self.with_context(cobranza_incentive_date=self.payment_date)
        )._create_payment_vals_from_wizard(batch_result)

    def _create_payment_vals_from_batch(self, batch_result):
        return super(
            AccountPaymentRegister, self.with_context(cobranza_incentive_date=self.payment_date)
        )._create_payment_vals_from_batch(batch_result)

    def _create_payments(self):
        """Credit-note programs: the payment covers the discounted amount, then a credit note the rest."""
        by_credit_note = {}
        if self.early_payment_discount_mode or not self.can_edit_wizard:
            for move in self.line_ids.move_id:
                if move._cobranza_uses_incentive() and move.cobranza_incentive_id.tax_mode == "credit_note":
                    deadline = move._cobranza_incentive_deadline(self.currency_id, self.payment_date)
                    if deadline:
                        by_credit_note[move] = deadline
        payments = super()._create_payments()
        for move, deadline in by_credit_note.items():
            move._cobranza_grant_incentive_if_earned(deadline, self.payment_date)
        return payments
