from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import CobranzaCommon


@tagged("post_install", "-at_install")
class TestCollectionsSecurity(CobranzaCommon):
    def test_collections_user_can_use_invoicing_menus(self):
        self.assertTrue(self.collector.has_group("account.group_account_invoice"))

    def test_collections_manager_is_also_a_collections_user(self):
        self.assertTrue(self.collections_manager.has_group("cobranza_odoo.group_cobranza_user"))

    def test_accounting_managers_are_collections_managers(self):
        accountant = self.env["res.users"].create(
            {
                "name": "Contadora",
                "login": "contadora",
                "groups_id": [
                    Command.set([self.env.ref("base.group_user").id, self.env.ref("account.group_account_manager").id])
                ],
            }
        )
        self.assertTrue(accountant.has_group("cobranza_odoo.group_cobranza_manager"))

    def test_salesperson_cannot_read_profiles_directly(self):
        profile = self.env["cobranza.partner.profile"]._get_profiles(self.customer)
        with self.assertRaises(AccessError):
            profile.with_user(self.salesman).read(["collector_id"])

    def test_collector_edits_a_profile_but_cannot_delete_it(self):
        profile = self.env["cobranza.partner.profile"]._get_profiles(self.customer)
        profile.with_user(self.collector).collector_id = self.collector
        self.assertEqual(profile.collector_id, self.collector)
        with self.assertRaises(AccessError):
            profile.with_user(self.collector).unlink()
        profile.with_user(self.collections_manager).unlink()
        self.assertFalse(profile.exists())

    def test_profiles_of_another_company_are_invisible(self):
        other = self.setup_other_company(name="Otra Compañía S.A.")["company"]
        foreign = self.env["cobranza.partner.profile"]._get_profiles(self.customer, other)
        mine = self.env["cobranza.partner.profile"]._get_profiles(self.customer)
        visible = (
            self.env["cobranza.partner.profile"]
            .with_user(self.collector)
            .search([("partner_id", "=", self.customer.id)])
        )
        self.assertEqual(visible, mine)
        self.assertNotIn(foreign, visible)

    def test_configuration_menu_is_for_managers_only(self):
        config_menu = self.env.ref("cobranza_odoo.menu_cobranza_config")
        worklist_menu = self.env.ref("cobranza_odoo.menu_cobranza_worklist")
        collector_menus = self.env["ir.ui.menu"].with_user(self.collector)._visible_menu_ids()
        manager_menus = self.env["ir.ui.menu"].with_user(self.collections_manager)._visible_menu_ids()
        self.assertIn(worklist_menu.id, collector_menus)
        self.assertNotIn(config_menu.id, collector_menus)
        self.assertIn(config_menu.id, manager_menus)
        salesman_menus = self.env["ir.ui.menu"].with_user(self.salesman)._visible_menu_ids()
        self.assertNotIn(self.env.ref("cobranza_odoo.menu_cobranza_root").id, salesman_menus)

    def test_every_model_of_the_addon_has_access_rules_and_a_company_rule(self):
        models = self.env["ir.model"].search([("model", "=like", "cobranza.%"), ("transient", "=", False)])
        for model in models:
            if self.env[model.model]._abstract or not self.env[model.model]._auto:
                continue
            with self.subTest(model=model.model):
                self.assertTrue(model.access_ids, f"{model.model} has no access rights")
                if "company_id" in self.env[model.model]._fields:
                    self.assertTrue(model.rule_ids, f"{model.model} has no multi-company record rule")
