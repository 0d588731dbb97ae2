from datetime import timedelta
from io import BytesIO

from lxml import etree
from odoo import Command
from odoo.tests import Form, tagged
from openpyxl import load_workbook

from .common import CobranzaCommon


@tagged("post_install", "-at_install")
class TestFirstHour(CobranzaCommon):
    """What a newcomer saw on the screens (issue 16), each as it should read."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("es_419")
        cls.env["ir.module.module"]._get("cobranza_odoo")._update_translations(["es_419"], overwrite=True)
        cls.Profile = cls.env["cobranza.partner.profile"]
        cls.product = cls._create_product(name="Cemento", lst_price=100.0, taxes_id=[Command.clear()])

    def _arch(self, xmlid):
        return etree.fromstring(self.env.ref(xmlid).arch)

    # ------------------------------------------------------------------ segments

    def test_segment_reasons_are_written_in_the_companys_language_and_a_catch_all_says_what_failed(self):
        self.env.company.partner_id.lang = "es_419"
        late = self.env["res.partner"].create({"name": "Siempre Tarde S.A.S.", "is_company": True})
        for issued, delay in ((200, 70), (150, 80), (100, 75), (60, 90)):
            invoice = self._invoice(late, 1_000.0, issued, term=self.term_30)
            self._pay(invoice, 1_000.0, days_ago=issued - 30 - delay)
        self._invoice(late, 1_000.0, 160, term=self.term_30)  # 130 days overdue, unpaid
        profile = self.Profile._get_profiles(late)
        profile._refresh(self.today)
        self.assertEqual(profile.segment_id, self.env.ref("cobranza_odoo.segment_d"))
        reason = profile.segment_reason
        self.assertIn("No está en", reason, reason)
        self.assertIn(self.env.ref("cobranza_odoo.segment_c").with_context(lang="es_419").name, reason)
        self.assertNotIn("On-time", reason)
        change = self.env["cobranza.segment.change"].search([("profile_id", "=", profile.id)], limit=1)
        self.assertEqual(change.reason, reason)

    def test_segment_reasons_write_numbers_as_the_language_does(self):
        self.env.company.partner_id.lang = "es_419"
        customer = self.env["res.partner"].create({"name": "Medio Día S.A.S.", "is_company": True})
        # nine invoices paid on their due date, one five days late: 0.5 days late on average
        for index, delay in enumerate([0] * 9 + [5]):
            issued = 200 - 15 * index
            invoice = self._invoice(customer, 1_000.0, issued, term=self.term_30)
            self._pay(invoice, 1_000.0, days_ago=issued - 30 - delay)
        profile = self.Profile._get_profiles(customer)
        profile._refresh(self.today)
        self.assertIn(": 0,5", profile.segment_reason, "written with a decimal comma")
        self.assertNotIn("0.5", profile.segment_reason)

    def test_a_credit_hold_reason_names_the_level_in_the_companys_language(self):
        self.env.company.partner_id.lang = "es_419"
        policy = self.env.ref("cobranza_odoo.policy_standard").sudo().copy({"company_id": self.env.company.id})
        self.env.company.cobranza_policy_id = policy
        level = policy.level_ids.sorted("sequence")[:1]
        level.set_credit_hold = True
        level.with_context(lang="es_419").name = "Recordatorio con bloqueo"
        customer = self.env["res.partner"].create(
            {"name": "Bloqueo S.A.S.", "is_company": True, "email": "pagos@bloqueo.example"}
        )
        self._invoice(customer, 500.0, 27, term=self.term_30)  # due in 3 days: the first reminder
        profile = self.Profile._get_profiles(customer)
        dunning = (
            self.env["cobranza.dunning"]
            .with_context(lang=None)
            .create(
                {
                    "partner_id": customer.id,
                    "company_id": self.env.company.id,
                    "date": self.today,
                    "policy_id": policy.id,
                    "level_id": level.id,
                }
            )
        )
        dunning._put_on_hold()
        self.assertIn("Recordatorio con bloqueo", profile.credit_hold_reason)
        self.assertIn("Nivel de cobranza", profile.credit_hold_reason)

    def test_segment_rule_tags_read_like_numbers_a_person_wrote(self):
        rule = self.env.ref("cobranza_odoo.segment_a").rule_ids[:1]
        rule.value = 2.0
        self.assertNotIn("2.0", rule.display_name)
        self.assertTrue(rule.display_name.endswith(" 2"))

    # ------------------------------------------------------------------ credit banner and approvals

    def test_the_credit_banner_of_a_new_quotation_names_the_customer_without_its_address(self):
        self.env.company.cobranza_credit_action = "block"
        self.customer.write({"credit_limit": 100.0, "street": "Calle 80 # 45-12", "city": "Medellín"})
        with Form(self.env["sale.order"].with_user(self.salesman)) as order:
            order.partner_id = self.customer
            with order.order_line.new() as line:
                line.product_id = self.product
                line.product_uom_qty = 5
            message = order.cobranza_credit_message
        self.assertIn(self.customer.name, message)
        self.assertNotIn("Calle 80", message)
        self.assertNotIn("Medellín", message)
        self.assertNotIn("days late", message, "nothing overdue: no overdue sentence")
        self.assertIn("Nothing overdue", message)

    def test_requesting_an_approval_confirms_it_and_the_banner_follows_the_request(self):
        self.env.company.cobranza_credit_action = "block"
        self.customer.credit_limit = 100.0
        order = self.env["sale.order"].create(
            {"partner_id": self.customer.id, "order_line": [Command.create({"product_id": self.product.id})]}
        )
        order.order_line.price_unit = 500.0
        dialog = order.with_user(self.salesman).with_context(cobranza_credit_dialog=True).action_confirm()
        wizard = self.env["cobranza.credit.check.wizard"].with_user(self.salesman).browse(dialog["res_id"])
        wizard.request_reason = "Paga el viernes"
        result = wizard.action_request_approval()
        self.assertEqual(result["tag"], "display_notification")
        self.assertIn(self.collections_manager.name, result["params"]["message"])
        order.invalidate_recordset()
        self.assertEqual(order.cobranza_credit_status, "requested")
        self.assertIn("waiting for", order.cobranza_credit_message)
        request = order.cobranza_credit_override_ids
        request.with_user(self.collections_manager).write(
            {"approved_amount": 600.0, "expiry_date": self.today, "approval_reason": "Cliente histórico"}
        )
        request.with_user(self.collections_manager).action_approve()
        order.invalidate_recordset()
        self.assertEqual(order.cobranza_credit_status, "approved")
        self.assertIn("can be confirmed", order.cobranza_credit_message)

    def test_dates_in_messages_follow_the_language_not_iso(self):
        self.env.company.partner_id.lang = "es_419"
        valid_until = self.today + timedelta(days=3)
        order = self.env["sale.order"].create(
            {"partner_id": self.customer.id, "order_line": [Command.create({"product_id": self.product.id})]}
        )
        approval = self.env["cobranza.credit.override"].create(
            {
                "partner_id": self.customer.id,
                "company_id": self.env.company.id,
                "document_amount": 10.0,
                "approved_amount": 10.0,
                "expiry_date": valid_until,
                "request_reason": "x",
                "approval_reason": "Cliente histórico",
                "state": "approved",
                "approved_by_id": self.env.uid,
                "sale_order_id": order.id,
            }
        )
        approval.with_context(lang="es_419")._mark_used()
        body = order.message_ids[0].body
        self.assertNotIn(str(valid_until), body)
        self.assertIn(valid_until.strftime("%d/%m/%Y"), body)

    # ------------------------------------------------------------------ screens

    def test_kpis_can_be_filled_from_the_screens_that_say_so(self):
        arch = self._arch("cobranza_odoo.cobranza_kpi_snapshot_view_list")
        self.assertTrue(arch.xpath("//header/button[@name='action_backfill']"))
        self.assertTrue(self.env.ref("cobranza_odoo.menu_cobranza_kpi_backfill"))
        help_text = self.env.ref("cobranza_odoo.cobranza_kpi_snapshot_action").help
        self.assertNotIn("Action ›", help_text)
        action = self.env["cobranza.kpi.snapshot"].with_user(self.collections_manager).action_backfill()
        self.assertEqual(len(action["domain"][0][2]), 12)

    def test_the_worklist_offers_no_delete_and_the_example_action_is_not_on_every_customer(self):
        arch = self._arch("cobranza_odoo.account_move_line_view_list_cobranza_worklist")
        self.assertEqual(arch.get("delete"), "false")
        action = self.env.ref("cobranza_odoo.action_server_cobranza_credit_check")
        self.assertFalse(action.binding_model_id)

    def test_the_profile_counts_its_open_invoices(self):
        self._invoice(self.customer, 100.0, 10, term=self.term_30)
        self._invoice(self.customer, 100.0, 50, term=self.term_30)
        profile = self.Profile._get_profiles(self.customer)
        self.assertEqual(profile.open_invoice_count, 2)
        arch = self._arch("cobranza_odoo.cobranza_partner_profile_view_form")
        self.assertTrue(arch.xpath("//button[@name='action_open_invoices']/field[@name='open_invoice_count']"))

    def test_the_dunning_preview_has_its_title_and_one_line_per_customer(self):
        policy = self.env.ref("cobranza_odoo.policy_standard").sudo().copy({"company_id": self.env.company.id})
        self.env.company.write({"cobranza_policy_id": policy.id, "cobranza_dunning_mode": "draft"})
        other = self.env["res.partner"].create({"name": "Otro Cliente S.A.S.", "is_company": True})
        for partner in (self.customer, other):
            self._invoice(partner, 100.0, 40, term=self.term_30)
            self._invoice(partner, 200.0, 45, term=self.term_30)
        wizard = self.env["cobranza.dunning.run.wizard"].create(
            {"partner_ids": [Command.set((self.customer | other).ids)]}
        )
        action = wizard.action_preview()
        self.assertEqual(action["name"], "Run Dunning")
        self.assertEqual(set(wizard.customer_ids.partner_id.ids), {self.customer.id, other.id})
        self.assertEqual(wizard.customer_ids.mapped("planned_count"), [2, 2])
        lines = wizard.action_open_lines()
        self.assertEqual(lines["context"]["group_by"], ["partner_id"])

    def test_excel_exports_log_no_warning_close_their_dialog_and_date_their_title(self):
        self._invoice(self.customer, 100.0, 45, term=self.term_30)
        wizard = (
            self.env["cobranza.xlsx.export.wizard"]
            .with_user(self.collector)
            .with_context(lang="es_419")
            .create({"report": "worklist"})
        )
        with self.assertNoLogs("odoo", level="WARNING"):
            action = wizard.action_export()
        self.assertTrue(action["close"])
        title = load_workbook(BytesIO(wizard.attachment_id.raw), read_only=True).active["A1"].value
        self.assertIn(self.today.strftime("%d/%m/%Y"), title)
        self.assertNotIn(str(self.today), title)

    def test_settings_say_their_units_and_how_the_two_credit_limit_settings_relate(self):
        arch = etree.tostring(self._arch("cobranza_odoo.res_config_settings_view_form_cobranza"), encoding="unicode")
        self.assertIn("days overdue", arch)
        self.assertIn("Sales Credit Limit", arch)
