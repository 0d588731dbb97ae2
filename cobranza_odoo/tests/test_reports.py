import calendar
import io
from datetime import datetime, time, timedelta

from freezegun import freeze_time
from odoo.addons.cobranza_odoo.engine import aging, kpis
from odoo.exceptions import AccessError
from odoo.tests import tagged
from openpyxl import load_workbook

from .common import CobranzaCommon


@tagged("post_install", "-at_install")
class TestReports(CobranzaCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Aging = cls.env["cobranza.aging.report"]
        cls.customer_contact.email = "pagos@ferreteria-central.example"

    def _report_rows(self, partner):
        self.env.flush_all()
        return self.Aging.search([("partner_id", "=", partner.id)])

    # ------------------------------------------------------------------ aging view

    def test_aging_view_matches_a_hand_computed_portfolio(self):
        self._invoice(self.customer, 100.0, 10, term=self.term_30)  # current (due in 20 days)
        self._invoice(self.customer, 200.0, 45, term=self.term_30)  # 15 days: 1-30
        self._invoice(self.customer, 300.0, 100, term=self.term_30)  # 70 days: 61-90
        partial = self._invoice(self.customer, 400.0, 200, term=self.term_30)  # 170 days: over 120
        self._pay(partial, 150.0, days_ago=30)
        self._invoice(self.customer, 50.0, 3, move_type="out_refund")  # a credit, current
        rows = self._report_rows(self.customer)
        by_bucket = {}
        for row in rows:
            by_bucket[row.bucket] = by_bucket.get(row.bucket, 0.0) + row.amount_residual
        self.assertEqual(by_bucket, {"0": 50.0, "1": 200.0, "3": 300.0, "5": 250.0})
        self.assertEqual(sorted(rows.mapped("days_overdue"))[-1], 170)
        self.assertEqual(sum(rows.mapped("amount_overdue")), 750.0)
        labels = dict(self.Aging._fields["bucket"]._description_selection(self.env))
        self.assertEqual(labels["5"], "Over 120 days")

    def test_aging_view_buckets_agree_with_the_engine_for_every_boundary(self):
        self.env.company.cobranza_aging_buckets = "15, 45,90"
        limits = self.env.company._cobranza_bucket_limits()
        expected = {}
        for days in (-5, 0, 1, 15, 16, 45, 46, 90, 91, 400):
            invoice = self._invoice(self.customer, 10.0, days + 30, term=self.term_30)
            expected[invoice] = str(aging.bucket_index(days, limits))
        for row in self._report_rows(self.customer):
            self.assertEqual(row.bucket, expected[row.move_id], row.days_overdue)

    def test_aging_view_follows_company_rules_and_access(self):
        other = self.setup_other_company(name="Otra Compañía S.A.")["company"]
        self.env.user.company_ids |= other
        self._invoice(self.customer, 100.0, 40, term=self.term_30)
        self._invoice(self.customer, 999.0, 40, term=self.term_30, company=other)
        self.env.flush_all()
        mine = self.Aging.with_user(self.collector).search([("partner_id", "=", self.customer.id)])
        self.assertEqual(mine.mapped("amount_residual"), [100.0])
        with self.assertRaises(AccessError):
            self.Aging.with_user(self.salesman).search([])

    # ------------------------------------------------------------------ aging at a past date

    def test_aging_at_a_past_date_reconciles_with_the_ledger(self):
        first = self._invoice(self.customer, 1_000.0, 120, term=self.term_30)
        self._invoice(self.customer, 500.0, 60, term=self.term_30)
        self._pay(first, 600.0, days_ago=70)
        self._pay(first, 400.0, days_ago=10)
        other = self.env["res.partner"].create({"name": "Otro Cliente"})
        self._invoice(other, 300.0, 50, term=self.term_30)
        at = self.today - timedelta(days=40)
        wizard = self.env["cobranza.aging.wizard"].with_user(self.collector).create({"at_date": at})
        wizard.action_compute()
        self.assertEqual(wizard.aging_total, wizard.ledger_balance)
        self.assertEqual(wizard.difference, 0.0)
        amounts = {(line.partner_id, line.bucket_index): line.amount for line in wizard.line_ids}
        # On that day: 400 left of the first invoice (50 days late then), the second invoice and the
        # other customer's one not due yet.
        self.assertEqual(amounts[(self.customer, 2)], 400.0)
        self.assertEqual(amounts[(self.customer, 0)], 500.0)
        self.assertEqual(amounts[(other, 0)], 300.0)
        today = self.env["cobranza.aging.wizard"].create({"at_date": self.today})
        today.action_compute()
        self.assertEqual(today.aging_total, today.ledger_balance)
        self.assertEqual(
            sum(today.line_ids.filtered(lambda line: line.partner_id == self.customer).mapped("amount")), 500.0
        )

    # ------------------------------------------------------------------ KPIs

    def test_monthly_kpis_of_a_hand_computed_month(self):
        today = self.today
        start = (today.replace(day=1) - timedelta(days=1)).replace(day=1)  # previous month
        end = start.replace(day=calendar.monthrange(start.year, start.month)[1])
        days = (end - start).days + 1
        self.env["cobranza.partner.profile"]._get_profiles(self.customer).collector_id = self.collector
        old = self._invoice(self.customer, 1_000.0, (today - (start - timedelta(days=45))).days, term=self.term_30)
        self._invoice(self.customer, 500.0, (today - (start + timedelta(days=5))).days, term=self.term_30)
        policy = self.env.ref("cobranza_odoo.policy_standard").sudo().copy({"company_id": self.env.company.id})
        self.env.company.cobranza_policy_id = policy
        profile = self.env["cobranza.partner.profile"]._get_profiles(self.customer)
        dunnings = self.env["cobranza.dunning.run"]._run_for(profile, start + timedelta(days=2), send=True)
        self.assertEqual(dunnings.line_ids.move_id, old)
        self._pay(old, 400.0, days_ago=(today - (start + timedelta(days=10))).days)
        promise = self.env["cobranza.agreement"].create(
            {
                "kind": "promise",
                "partner_id": self.customer.id,
                "line_ids": [(6, 0, old.line_ids.filtered(lambda line: line.account_type == "asset_receivable").ids)],
                "debt": 400.0,
                "first_date": start + timedelta(days=20),
                "collector_id": self.collector.id,
            }
        )
        promise.action_save_promise()
        promise.activation_date = start
        promise._refresh_progress(end)

        snapshot = self.env["cobranza.kpi.snapshot"]._compute_month(self.env.company, start)
        self.assertEqual((snapshot.opening_receivable, snapshot.credit_sales), (1_000.0, 500.0))
        self.assertEqual(
            (snapshot.closing_receivable, snapshot.closing_current, snapshot.closing_over_90), (1_100.0, 500.0, 0.0)
        )
        self.assertEqual(snapshot.dso_standard, kpis.round_kpi(1_100 / 500 * days))
        self.assertEqual(snapshot.best_possible_dso, kpis.round_kpi(500 / 500 * days))
        self.assertEqual(snapshot.add, kpis.round_kpi(600 / 500 * days))
        self.assertEqual(snapshot.cei, 40.0)  # (1000 + 500 - 1100) / (1000 + 500 - 500)
        # Countback: this month's 500 sales are covered (all its days), the month before had no sales
        # (all its days), and the old invoice's month explains the last 600 of its 1 000.
        previous = start - timedelta(days=1)
        two_back = previous.replace(day=1) - timedelta(days=1)
        countback = days + previous.day + 600 / 1000 * two_back.day
        self.assertEqual(snapshot.dso_countback, kpis.round_kpi(countback))
        self.assertEqual((snapshot.promises_due, snapshot.promises_kept, snapshot.promises_kept_percent), (1, 1, 100.0))
        stage = snapshot.stage_line_ids
        self.assertEqual(
            (stage.stage, stage.dunned, stage.collected, stage.recovery_percent),
            ("administrative", 1_000.0, 400.0, 40.0),
        )
        collector = snapshot.collector_line_ids.filtered(lambda line: line.collector_id == self.collector)
        self.assertEqual((collector.collected, collector.contacts, collector.promises_kept), (400.0, 1, 1))
        again = self.env["cobranza.kpi.snapshot"]._compute_month(self.env.company, start)
        self.assertEqual(again, snapshot, "recomputing a month replaces its snapshot")

    def test_backfill_and_monthly_scheduled_action(self):
        self._invoice(self.customer, 100.0, 40, term=self.term_30)
        action = self.env["cobranza.kpi.snapshot"].action_backfill(12)
        snapshots = self.env["cobranza.kpi.snapshot"].search(action["domain"])
        self.assertEqual(len(snapshots), 12)
        self.assertEqual(len(set(snapshots.mapped("period_start"))), 12)
        next_month = (self.today.replace(day=28) + timedelta(days=5)).replace(day=1)
        with freeze_time(datetime.combine(next_month, time(12, 0))):
            progress = self.env["ir.cron.progress"].create(
                {"cron_id": self.env.ref("cobranza_odoo.ir_cron_cobranza_kpis").id}
            )
            for _call in range(20):
                self.env["cobranza.kpi.snapshot"].with_context(ir_cron_progress_id=progress.id)._cron_monthly_kpis()
                if not progress.remaining:
                    break
        this_month = self.env["cobranza.kpi.snapshot"].search(
            [("company_id", "=", self.env.company.id), ("period_start", "=", self.today.replace(day=1))]
        )
        self.assertTrue(this_month)

    # ------------------------------------------------------------------ statement as a dunning channel

    def test_statement_can_go_with_a_dunning_email(self):
        policy = self.env.ref("cobranza_odoo.policy_standard").sudo().copy({"company_id": self.env.company.id})
        policy.level_ids.filtered(lambda level: level.sequence == 2).attach_statement = True
        self.env.company.cobranza_policy_id = policy
        self._invoice(self.customer, 100.0, 40, term=self.term_30)
        profile = self.env["cobranza.partner.profile"]._get_profiles(self.customer)
        dunning = self.env["cobranza.dunning.run"]._run_for(profile, self.today, send=True)
        message = dunning.message_ids.filtered(lambda message: message.message_type == "comment")
        self.assertTrue(message.attachment_ids.filtered(lambda attachment: attachment.name.startswith("Statement")))

    # ------------------------------------------------------------------ Excel exports

    def _export(self, report, **values):
        wizard = self.env["cobranza.xlsx.export.wizard"].with_user(self.collector).create({"report": report, **values})
        wizard.action_export()
        return load_workbook(io.BytesIO(wizard.attachment_id.raw), read_only=True)

    def test_aging_export_has_a_row_per_customer_buckets_and_totals(self):
        self._invoice(self.customer, 200.0, 45, term=self.term_30)
        self._invoice(self.customer, 300.0, 100, term=self.term_30)
        other = self.env["res.partner"].create({"name": "Zeta Ltda."})
        self._invoice(other, 50.0, 10, term=self.term_30)
        workbook = self._export("aging")
        sheet = workbook.active
        rows = [row for row in sheet.iter_rows(values_only=True) if any(cell is not None for cell in row)]
        header = rows[1]
        self.assertEqual(header[:4], ("Customer", "Tax ID", "Segment", "Collector"))
        self.assertEqual(header[-1], "Total")
        data = {row[0]: row for row in rows[2:-1]}
        self.assertEqual(data[self.customer.name][-1], 500.0)
        self.assertEqual(data[self.customer.name][header.index("1-30 days")], 200.0)
        self.assertEqual(data[self.customer.name][header.index("61-90 days")], 300.0)
        self.assertEqual(data["Zeta Ltda."][header.index("Current")], 50.0)
        self.assertEqual(rows[-1][0], "Total")
        self.assertEqual(rows[-1][-1], 550.0)

    def test_worklist_dunning_and_agreement_exports(self):
        invoice = self._invoice(self.customer, 200.0, 45, term=self.term_30)
        worklist = [row for row in self._export("worklist").active.iter_rows(values_only=True) if any(row)]
        self.assertEqual(worklist[2][1], self.customer.name)
        self.assertEqual(worklist[2][3], invoice.name)
        self.assertEqual(worklist[2][5], 15)
        self.assertEqual(worklist[-1][-1], 200.0)
        policy = self.env.ref("cobranza_odoo.policy_standard").sudo().copy({"company_id": self.env.company.id})
        self.env.company.cobranza_policy_id = policy
        profile = self.env["cobranza.partner.profile"]._get_profiles(self.customer)
        self.env["cobranza.dunning.run"]._run_for(profile, self.today, send=False)
        history = [
            row
            for row in self._export("dunning", date_from=self.today, date_to=self.today).active.iter_rows(
                values_only=True
            )
            if any(row)
        ]
        self.assertEqual(history[2][2], self.customer.name)
        self.assertEqual(history[2][5], invoice.name)
        agreement = self.env["cobranza.agreement"].create(
            {
                "partner_id": self.customer.id,
                "installment_count": 2,
                "line_ids": [
                    (6, 0, invoice.line_ids.filtered(lambda line: line.account_type == "asset_receivable").ids)
                ],
                "first_date": self.today + timedelta(days=10),
            }
        )
        agreement.action_compute_schedule()
        agreements = [row for row in self._export("agreements").active.iter_rows(values_only=True) if any(row)]
        self.assertEqual([row[4] for row in agreements[2:-1]], [1, 2])
        self.assertEqual(agreements[-1][8], 200.0)
