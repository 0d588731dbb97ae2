from datetime import timedelta

from odoo.tests import tagged
from odoo.tools.safe_eval import safe_eval

from .common import CobranzaCommon


@tagged("post_install", "-at_install")
class TestReceivableFacts(CobranzaCommon):
    def test_each_installment_is_aged_by_its_own_due_date(self):
        # Invoiced 45 days ago, half due at 30 days (15 days late), half at 60 days (due in 15 days).
        invoice = self._invoice(self.customer, 1000.0, 45, term=self.term_two_installments)
        lines = invoice.line_ids.filtered(lambda line: line.account_type == "asset_receivable").sorted("date_maturity")
        self.assertEqual(lines.mapped("cobranza_days_overdue"), [15, -15])
        self.assertEqual(lines.mapped("cobranza_aging_bucket"), ["1-30 days", "Current"])
        self.assertEqual(invoice.cobranza_days_overdue, 15)
        row = self.env["cobranza.receivable.facts"]._aging_by_partner(self.customer.ids, self.env.company, self.today)[
            self.customer.id
        ]
        self.assertEqual(row.amounts[:3], [500.0, 500.0, 0.0])
        self.assertEqual((row.total, row.overdue, row.oldest_days_late), (1000.0, 500.0, 15))

    def test_partial_payment_leaves_the_residual_open(self):
        invoice = self._invoice(self.customer, 800.0, 100, term=self.term_30)
        self._pay(invoice, 300.0, days_ago=20)
        self.assertEqual(self.customer.cobranza_open_amount, 500.0)
        self.assertEqual(self.customer.cobranza_overdue_amount, 500.0)
        self.assertEqual(self.customer.cobranza_oldest_days_overdue, 70)

    def test_paid_invoices_and_in_payment_invoices_are_not_open(self):
        paid = self._invoice(self.customer, 400.0, 50, term=self.term_30)
        self._pay(paid, 400.0, days_ago=10)
        self.assertIn(paid.payment_state, ("paid", "in_payment"))
        self.assertEqual(self.customer.cobranza_open_amount, 0.0)
        self.assertFalse(self.env["cobranza.receivable.facts"]._open_receivables(self.customer.ids, self.env.company))

    def test_unapplied_credit_note_and_payment_are_credits_in_the_customers_favour(self):
        self._invoice(self.customer, 1000.0, 60, term=self.term_30)
        self._invoice(self.customer, 150.0, 5, move_type="out_refund")
        payment = self.env["account.payment"].create(
            {
                "payment_type": "inbound",
                "partner_type": "customer",
                "partner_id": self.customer.id,
                "amount": 100.0,
                "date": self.today - timedelta(days=3),
            }
        )
        payment.action_post()
        residuals = sorted(
            row.residual
            for row in self.env["cobranza.receivable.facts"]._open_receivables(self.customer.ids, self.env.company)
        )
        self.assertEqual(residuals, [-150.0, -100.0, 1000.0])
        self.assertEqual(self.customer.cobranza_open_amount, 750.0)
        # Credits do not make anyone less late: the whole invoice is overdue (30 days).
        self.assertEqual(self.customer.cobranza_overdue_amount, 1000.0)
        self.assertEqual(self.customer.cobranza_oldest_days_overdue, 30)

    def test_invoices_of_contacts_count_for_the_commercial_entity(self):
        self._invoice(self.customer_contact, 250.0, 40, term=self.term_30)
        self.assertEqual(self.customer.cobranza_open_amount, 250.0)
        self.assertEqual(self.customer.cobranza_overdue_amount, 250.0)

    def test_draft_and_other_company_invoices_are_ignored(self):
        self._invoice(self.customer, 999.0, 40, post=False)
        other = self.setup_other_company(name="Otra Compañía S.A.")["company"]
        self.env.user.company_ids |= other
        foreign = self._invoice(self.customer, 777.0, 40, company=other)
        self.assertEqual(foreign.company_id, other)
        self.assertEqual(self.customer.cobranza_open_amount, 0.0)
        self.assertEqual(self.customer.with_company(other).cobranza_open_amount, 777.0)

    def test_configured_buckets_change_the_labels(self):
        self.env.company.cobranza_aging_buckets = "15,45"
        invoice = self._invoice(self.customer, 100.0, 50, term=self.term_30)
        line = invoice.line_ids.filtered(lambda line: line.account_type == "asset_receivable")
        self.assertEqual(line.cobranza_days_overdue, 20)
        self.assertEqual(line.cobranza_aging_bucket, "16-45 days")
        invoice_old = self._invoice(self.customer, 100.0, 90, term=self.term_30)
        line_old = invoice_old.line_ids.filtered(lambda line: line.account_type == "asset_receivable")
        self.assertEqual(line_old.cobranza_aging_bucket, "Over 45 days")

    def test_worklist_action_lists_the_open_installments(self):
        invoice = self._invoice(self.customer, 1000.0, 45, term=self.term_two_installments)
        action = self.env.ref("cobranza_odoo.account_move_line_action_cobranza_worklist")
        domain = safe_eval(action.domain)
        lines = self.env["account.move.line"].search([*domain, ("partner_id", "=", self.customer.id)])
        self.assertEqual(lines, invoice.line_ids.filtered(lambda line: line.account_type == "asset_receivable"))
        self._pay(invoice, 1000.0)
        self.assertFalse(self.env["account.move.line"].search([*domain, ("partner_id", "=", self.customer.id)]))
