from datetime import date, datetime, timedelta
from io import BytesIO

from freezegun import freeze_time
from odoo import Command
from odoo.tests import tagged
from odoo.tools import SQL
from odoo.tools.safe_eval import safe_eval
from openpyxl import load_workbook

from ..models import ledger_fragments
from .common import CobranzaCommon


@tagged("post_install", "-at_install")
class TestLedgerReader(CobranzaCommon):
    """Every screen and export reads "what is still open" the same way (one reader of the ledger)."""

    def _export_rows(self, report, **values):
        self.env.cr.precommit.run()  # statuses are refreshed when the posting commits
        wizard = self.env["cobranza.xlsx.export.wizard"].with_user(self.collector).create({"report": report, **values})
        action = wizard.action_export()
        self.assertEqual(
            wizard.attachment_id.mimetype, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        self.assertIn(str(wizard.attachment_id.id), action["url"])
        sheet = load_workbook(BytesIO(wizard.attachment_id.raw), read_only=True).active
        return [row for row in sheet.iter_rows(values_only=True) if any(cell is not None for cell in row)]

    def _set_in_payment(self, invoice):
        """An invoice paid but not matched with the bank yet (what Odoo's accountant module shows as
        *in payment*): its receivable line keeps its residual."""
        self.env.flush_all()
        self.env.cr.execute("UPDATE account_move SET payment_state = 'in_payment' WHERE id = %s", [invoice.id])
        invoice.invalidate_recordset(["payment_state"])

    def test_the_excel_worklist_lists_exactly_the_on_screen_worklists_overdue_installments(self):
        open_invoice = self._invoice(self.customer, 200.0, 45, term=self.term_30)
        paying = self._invoice(self.customer, 300.0, 50, term=self.term_30)
        self._set_in_payment(paying)
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "cobranza_odoo.account_move_line_action_cobranza_worklist"
        )
        on_screen = (
            self.env["account.move.line"]
            .with_user(self.collector)
            .search(
                [
                    *safe_eval(action["domain"]),
                    ("partner_id", "=", self.customer.id),
                    ("date_maturity", "<", self.today),
                ]
            )
        )
        self.assertEqual(on_screen.move_id, open_invoice)
        rows = self._export_rows("worklist")
        documents = [row[3] for row in rows[2:-1]]
        self.assertIn(open_invoice.name, documents)
        self.assertNotIn(paying.name, documents, "invoices in payment count as paid on screen and in Excel")

    def test_the_aging_view_counts_days_on_the_users_day_not_the_servers(self):
        invoice = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": self.customer.id,
                "invoice_date": date(2030, 5, 2),
                "date": date(2030, 5, 2),
                "invoice_date_due": date(2030, 6, 1),
                "invoice_line_ids": [Command.create({"name": "x", "price_unit": 100.0, "tax_ids": []})],
            }
        )
        invoice.action_post()
        self.env.flush_all()
        Aging = self.env["cobranza.aging.report"]
        # 20:00 in Bogotá on the due date is already the next day in UTC (and on the database server).
        with freeze_time(datetime(2030, 6, 2, 1, 0)):
            self.env.user.tz = "America/Bogota"
            bogota = Aging.search([("move_id", "=", invoice.id)])
            self.assertEqual((bogota.days_overdue, bogota.bucket), (0, "0"))
            self.env.user.tz = "UTC"
            Aging.invalidate_model()
            utc = Aging.search([("move_id", "=", invoice.id)])
            self.assertEqual((utc.days_overdue, utc.bucket), (1, "1"))

    def test_exports_total_amounts_only_and_write_labels_not_codes(self):
        invoice = self._invoice(self.customer, 200.0, 45, term=self.term_30)
        worklist = self._export_rows("worklist")
        header, total = worklist[1], worklist[-1]
        self.assertEqual(total[0], "Total")
        self.assertEqual(total[header.index("Open Amount")], 200.0)
        self.assertIsNone(total[header.index("Days Overdue")], "days are not added up")
        self.assertEqual(worklist[2][header.index("Status")], "Overdue")
        agreement = self.env["cobranza.agreement"].create(
            {
                "partner_id": self.customer.id,
                "installment_count": 3,
                "line_ids": [
                    Command.set(invoice.line_ids.filtered(lambda line: line.account_type == "asset_receivable").ids)
                ],
                "first_date": self.today + timedelta(days=10),
            }
        )
        agreement.action_compute_schedule()
        rows = self._export_rows("agreements")
        header, total = rows[1], rows[-1]
        self.assertIsNone(total[header.index("Installment")], "installment numbers are not added up")
        self.assertEqual(total[header.index("Amount")], 200.0)
        self.assertEqual(rows[2][header.index("Kind")], "Payment agreement")
        self.assertEqual(rows[2][header.index("Status")], "Draft")

    def test_the_credit_check_owes_exactly_the_open_lines_of_the_worklist(self):
        """The credit check reads the open lines its own way (address by address, in-payment invoices
        looked up per customer): it must come to the same lines as the worklist."""
        self._invoice(self.customer, 600.0, 55, term=self.term_two_installments)
        self._invoice(self.customer_contact, 80.0, 40, term=self.term_30)
        self._invoice(self.customer, 50.0, 5, move_type="out_refund")
        paying = self._invoice(self.customer_contact, 70.0, 5, term=self.term_30)
        self._set_in_payment(paying)
        other_customer = self.env["res.partner"].create({"name": "Otra Ferretería", "is_company": True})
        self._set_in_payment(self._invoice(other_customer, 30.0, 45, term=self.term_30))
        flagged = self.env["account.move.line"].search(
            [("cobranza_open_receivable", "=", True), ("partner_id", "child_of", self.customer.id)]
        )
        self.assertEqual(len(flagged), 4)  # two installments, the contact's invoice, the credit note
        snapshot = self.env["cobranza.receivable.facts"]._credit_snapshot(
            (self.customer_contact | other_customer).ids, self.env.company
        )
        facts = snapshot[self.customer.id].exposure
        self.assertAlmostEqual(facts.receivable_balance, sum(flagged.mapped("amount_residual")))
        self.assertAlmostEqual(facts.receivable_balance, 600.0 + 80.0 - 50.0)
        # overdue: the first installment (due 25 days ago) and the contact's invoice (due 10 days ago)
        self.assertAlmostEqual(facts.overdue_amount, 300.0 + 80.0)
        self.assertEqual(facts.oldest_days_overdue, 25)
        self.assertEqual(snapshot[self.customer.id].address_ids, (self.customer_contact.id,))
        self.assertFalse(snapshot[other_customer.id].exposure.receivable_balance)

    def test_an_upgrade_replaces_the_open_line_indexes_by_the_one_keyed_by_due_date(self):
        cr = self.env.cr
        cr.execute("DROP INDEX cobranza_open_line_partner_due_index")
        cr.execute(
            "CREATE INDEX cobranza_open_line_partner_index ON account_move_line (partner_id) "
            "WHERE parent_state = 'posted' AND NOT reconciled AND amount_residual != 0"
        )
        cr.execute(
            "CREATE INDEX cobranza_open_line_partner_covering_index ON account_move_line (partner_id) "
            "INCLUDE (company_id) WHERE parent_state = 'posted' AND NOT reconciled AND amount_residual != 0"
        )
        ledger_fragments.create_open_line_indexes(cr)  # what the journal items' init() runs on upgrade
        cr.execute(
            "SELECT indexname, indexdef FROM pg_indexes "
            "WHERE tablename = 'account_move_line' AND indexname LIKE 'cobranza_open_line%'"
        )
        ((name, definition),) = cr.fetchall()
        self.assertEqual(name, "cobranza_open_line_partner_due_index")
        self.assertIn("(partner_id, COALESCE(date_maturity, date))", definition)
        self.assertIn("INCLUDE (company_id, account_id, move_id, amount_residual, date_maturity, date)", definition)

    # ------------------------------------------------------------------ kept open balances

    def _kept_and_ledger_balances(self):
        """({(address, company): kept balance}, {(address, company): sum of its open lines})."""
        self.env.flush_all()
        cr = self.env.cr
        cr.execute(
            "SELECT partner_id, company_id, SUM(amount) FROM cobranza_open_balance_entry "
            "GROUP BY partner_id, company_id HAVING SUM(amount) != 0"
        )
        kept = {(partner, company): round(float(amount), 2) for partner, company, amount in cr.fetchall()}
        cr.execute(
            SQL(
                "SELECT aml.partner_id, aml.company_id, SUM(aml.amount_residual) FROM account_move_line aml "
                "WHERE aml.partner_id IS NOT NULL AND %s GROUP BY aml.partner_id, aml.company_id "
                "HAVING SUM(aml.amount_residual) != 0",
                ledger_fragments.open_receivable_line("aml"),
            )
        )
        lines = {(partner, company): round(float(amount), 2) for partner, company, amount in cr.fetchall()}
        return kept, lines

    def assertKeptBalancesFollowTheLedger(self, step):
        kept, lines = self._kept_and_ledger_balances()
        self.assertEqual(kept, lines, f"after {step}")

    def test_the_kept_open_balances_follow_every_change_of_the_ledger(self):
        """What the credit check reads instead of summing lines must be the sum of the lines, whatever
        happened to them: posting, paying, in payment and back, credit notes, reset to draft, cancel,
        deletion, another customer, a receivable account that stops being one."""
        company = self.env.company
        self.assertKeptBalancesFollowTheLedger("install")
        key = (self.customer.id, company.id)
        invoice = self._invoice(self.customer, 600.0, 55, term=self.term_two_installments)
        self.assertKeptBalancesFollowTheLedger("posting")
        self.assertEqual(self._kept_and_ledger_balances()[0][key], 600.0)
        contact_invoice = self._invoice(self.customer_contact, 80.0, 40, term=self.term_30)
        refund = self._invoice(self.customer, 50.0, 5, move_type="out_refund")
        self.assertKeptBalancesFollowTheLedger("an address's invoice and a credit note")
        self._pay(invoice, 250.0)
        self.assertKeptBalancesFollowTheLedger("a partial payment")
        # an invoice's receivable lines carry its commercial partner: the address's invoice counts there
        self.assertEqual(self._kept_and_ledger_balances()[0][key], 600.0 + 80.0 - 50.0 - 250.0)
        self._set_in_payment(contact_invoice)
        self.assertKeptBalancesFollowTheLedger("an invoice in payment")
        self.assertEqual(self._kept_and_ledger_balances()[0][key], 600.0 - 50.0 - 250.0)
        self.env.cr.execute("UPDATE account_move SET payment_state = 'not_paid' WHERE id = %s", [contact_invoice.id])
        self.assertKeptBalancesFollowTheLedger("a payment that did not reach the bank")
        refund.button_draft()
        self.assertKeptBalancesFollowTheLedger("a credit note reset to draft")
        refund.button_cancel()
        self.assertKeptBalancesFollowTheLedger("the credit note cancelled")
        draft = self._invoice(self.customer, 45.0, 1, post=False)
        draft.action_post()
        draft.button_draft()
        draft.unlink()
        self.assertKeptBalancesFollowTheLedger("an invoice posted, reset and deleted")
        self._pay(invoice, 350.0)
        self.assertKeptBalancesFollowTheLedger("the invoice paid in full")
        self.assertEqual(self._kept_and_ledger_balances()[0][key], 80.0)
        other = self.env["res.partner"].create({"name": "Otra Ferretería", "is_company": True})
        moved = self._invoice(other, 120.0, 10, term=self.term_30)
        self.env.cr.execute(
            "UPDATE account_move_line SET partner_id = %s WHERE move_id = %s", [self.customer.id, moved.id]
        )
        self.assertKeptBalancesFollowTheLedger("lines moved to another customer")
        self.assertEqual(self._kept_and_ledger_balances()[0][key], 200.0)
        receivable = moved.line_ids.account_id.filtered(lambda account: account.account_type == "asset_receivable")
        self.env.cr.execute("UPDATE account_account SET account_type = 'asset_current' WHERE id = %s", receivable.ids)
        self.assertKeptBalancesFollowTheLedger("the receivable account no longer receivable")
        self.assertNotIn(key, self._kept_and_ledger_balances()[0])
        self.env.cr.execute(
            "UPDATE account_account SET account_type = 'asset_receivable' WHERE id = %s", receivable.ids
        )
        self.assertKeptBalancesFollowTheLedger("the account receivable again")
        self.assertEqual(self._kept_and_ledger_balances()[0][key], 200.0)

    def test_the_credit_check_reads_the_kept_balance_and_the_daily_refresh_rebuilds_it(self):
        self._invoice(self.customer, 600.0, 55, term=self.term_two_installments)
        self._invoice(self.customer_contact, 80.0, 40, term=self.term_30)
        self._pay(self._invoice(self.customer, 100.0, 20, term=self.term_30), 40.0)
        facts = self.env["cobranza.receivable.facts"]
        full = facts._credit_snapshot(self.customer.ids, self.env.company)[self.customer.id].exposure
        quick = facts._credit_snapshot(self.customer.ids, self.env.company, detail=False)[self.customer.id].exposure
        self.assertAlmostEqual(quick.receivable_balance, 600.0 + 80.0 + 60.0)
        self.assertAlmostEqual(quick.receivable_balance, full.receivable_balance)
        self.assertEqual(quick.oldest_days_overdue, full.oldest_days_overdue)
        self.assertEqual(quick.oldest_days_overdue, 25)
        self.assertIsNone(quick.overdue_amount, "the quick reading does not sum the overdue lines")
        # the quick reading is the kept balance: a row it did not see in the lines shows
        self.env.cr.execute(
            "INSERT INTO cobranza_open_balance_entry (partner_id, company_id, amount) VALUES (%s, %s, 1000)",
            [self.customer_contact.id, self.env.company.id],
        )
        quick = facts._credit_snapshot(self.customer.ids, self.env.company, detail=False)[self.customer.id].exposure
        self.assertAlmostEqual(quick.receivable_balance, 1740.0)
        self.env.cr.execute("SELECT COUNT(*) FROM cobranza_open_balance_entry WHERE partner_id = %s", self.customer.ids)
        self.assertGreater(self.env.cr.fetchone()[0], 1, "each posting and payment added a row")
        # the day's first refresh rebuilds them from the ledger: one row an address, the lines' sum
        self.env["ir.config_parameter"].sudo().set_param("cobranza_odoo.profiles_completed_on", "2000-01-01")
        self.env["cobranza.profile.refresh"]._cron_refresh_customers()
        self.assertKeptBalancesFollowTheLedger("the daily refresh")
        self.env.cr.execute("SELECT COUNT(*) FROM cobranza_open_balance_entry WHERE partner_id = %s", self.customer.ids)
        self.assertEqual(self.env.cr.fetchone()[0], 1)
        quick = facts._credit_snapshot(self.customer.ids, self.env.company, detail=False)[self.customer.id].exposure
        self.assertAlmostEqual(quick.receivable_balance, 740.0)

    def test_the_worklist_flag_and_the_facts_layer_agree_on_open_lines(self):
        invoice = self._invoice(self.customer, 600.0, 55, term=self.term_two_installments)
        refund = self._invoice(self.customer, 50.0, 5, move_type="out_refund")
        paying = self._invoice(self.customer, 70.0, 5, term=self.term_30)
        self._set_in_payment(paying)
        flagged = self.env["account.move.line"].search(
            [("cobranza_open_receivable", "=", True), ("partner_id", "=", self.customer.id)]
        )
        facts = self.env["cobranza.receivable.facts"]._open_receivables(self.customer.ids, self.env.company)
        self.assertEqual(set(flagged.ids), {row.line_id for row in facts})
        self.assertEqual(flagged.move_id, invoice | refund)
        self.assertTrue(all(line.cobranza_open_receivable for line in flagged))
        self.assertFalse(paying.line_ids.filtered(lambda line: line.cobranza_open_receivable))
