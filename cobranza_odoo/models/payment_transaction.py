from odoo import fields, models


class PaymentTransaction(models.Model):
    _inherit = "payment.transaction"

    cobranza_discounts = fields.Json(
        string="Planned Early-Payment Discounts",
        readonly=True,
        copy=False,
        help="For a payment of several invoices from a reminder's link: {invoice id: discount} the amount "
        "was computed with. Granted when the payment arrives while those discounts are still open.",
    )

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
        if len(self.invoice_ids) > 1 and self.cobranza_discounts:
            extra_create_values = {**extra_create_values, **self._cobranza_grant_planned_discounts()}
        payment = super()._create_payment(**extra_create_values)
        for invoice, deadline in by_credit_note.items():
            invoice._cobranza_grant_incentive_if_earned(deadline, payment.date)
        return payment

    def _cobranza_grant_planned_discounts(self):
        """One payment of several invoices at their discounted amounts (a reminder's pay link): Odoo grants
        an early-payment discount only to a transaction of one invoice, so the discounts planned when the
        link was opened are granted here — as write-off lines of the payment (Odoo's own discounts and
        write-off programs) or, for credit-note programs, as the credit note, before the payment is matched.
        A discount no longer open on the payment date (the tier passed meanwhile) is not granted.
        Returns the extra values of the payment.
        """
        self.ensure_one()
        epd_lines, open_balance = [], 0.0
        for invoice in self.invoice_ids.filtered(lambda move: move.state == "posted"):
            planned = self.cobranza_discounts.get(str(invoice.id))
            if not planned:
                continue
            values = invoice._get_invoice_next_payment_values()
            if values.get("installment_state") != "epd" or invoice.currency_id.compare_amounts(
                values["epd_discount_amount_currency"], planned
            ):
                continue
            if invoice._cobranza_uses_incentive() and invoice.cobranza_incentive_id.tax_mode == "credit_note":
                deadline = invoice._cobranza_incentive_deadline(self.currency_id)
                invoice.with_context(
                    cobranza_incentive_date=fields.Date.context_today(self)
                )._cobranza_grant_by_credit_note(deadline)
                continue
            line = values["epd_line"]
            epd_lines.append({"aml": line, "amount_currency": -line.amount_residual_currency, "balance": -line.balance})
            open_balance += values["epd_discount_amount"]
        if not epd_lines:
            return {}
        counterparts = self.env["account.move"]._get_invoice_counterpart_amls_for_early_payment_discount(
            epd_lines, open_balance
        )
        partner = self.partner_id.commercial_partner_id
        write_offs = [
            {"partner_id": partner.id, **values} for kind_values in counterparts.values() for values in kind_values
        ]
        return {"write_off_line_vals": write_offs}
