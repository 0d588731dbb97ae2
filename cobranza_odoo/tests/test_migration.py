import importlib.util
from datetime import datetime

from odoo.modules.module import get_module_path
from odoo.tests import TransactionCase, tagged


def _migration():
    path = f"{get_module_path('cobranza_odoo')}/migrations/18.0.2.0.0/post-migrate.py"
    spec = importlib.util.spec_from_file_location("cobranza_odoo_migrate_18_0_2", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@tagged("post_install", "-at_install")
class TestMigrationFromRoundOne(TransactionCase):
    """A database installed with 18.0.1 gets this version's scheduled actions, levels, templates and
    example action — unless someone edited them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.migration = _migration()
        cls.person = cls.env["res.users"].create({"name": "Editora", "login": "editora_migracion"})

    def _round_one_state(self):
        dunning_cron = self.env.ref("cobranza_odoo.ir_cron_cobranza_dunning")
        dunning_cron.write(
            {
                "model_id": self.env["ir.model"]._get_id("cobranza.dunning"),
                "code": "model._cron_run_dunning()",
                "nextcall": datetime(2026, 12, 2, 6, 0),
            }
        )
        self.env.ref("cobranza_odoo.ir_cron_cobranza_refresh_customers").model_id = self.env["ir.model"]._get_id(
            "cobranza.partner.profile"
        )
        self.env.ref("cobranza_odoo.policy_level_friendly").write({"fallback_channel": False, "sms_template_id": False})
        self.env.ref("cobranza_odoo.policy_level_prelegal").write({"required": False, "sms_template_id": False})
        self.env.ref("cobranza_odoo.mail_template_dunning").body_html = "<p>Dear customer, please pay.</p>"
        action = self.env.ref("cobranza_odoo.action_server_cobranza_credit_check")
        action.create_action()
        return dunning_cron, action

    def test_untouched_records_get_this_versions_behaviour(self):
        dunning_cron, action = self._round_one_state()
        self.migration.migrate(self.env.cr, "18.0.1.0.0")
        self.assertEqual(dunning_cron.model_id.model, "cobranza.dunning.run")
        self.assertEqual(dunning_cron.code, "model._cron_run_dunning(worker=0)")
        self.assertEqual(dunning_cron.nextcall.hour, 12, "no more reminders in the middle of the night")
        refresh = self.env.ref("cobranza_odoo.ir_cron_cobranza_refresh_customers")
        self.assertEqual(refresh.model_id.model, "cobranza.profile.refresh")
        friendly = self.env.ref("cobranza_odoo.policy_level_friendly")
        self.assertEqual(friendly.fallback_channel, "letter")
        self.assertEqual(friendly.sms_template_id, self.env.ref("cobranza_odoo.sms_template_dunning"))
        self.assertTrue(self.env.ref("cobranza_odoo.policy_level_prelegal").required)
        self.assertIn("_portal_links", self.env.ref("cobranza_odoo.mail_template_dunning").body_html)
        self.assertFalse(action.binding_model_id, "the example is off the customers' Action menu")
        # the scheduled actions run with their new service models
        dunning_cron.method_direct_trigger()

    def test_what_a_person_edited_is_kept(self):
        _dunning_cron, action = self._round_one_state()
        template = self.env.ref("cobranza_odoo.mail_template_dunning")
        template.with_user(self.person).sudo().body_html = "<p>Nuestro texto.</p>"
        friendly = self.env.ref("cobranza_odoo.policy_level_friendly")
        friendly.with_user(self.person).sudo().min_interval_days = 4
        action.with_user(self.person).sudo().name = "Nuestro aviso"
        with self.assertLogs("cobranza_odoo_migrate_18_0_2", "WARNING"):
            self.migration.migrate(self.env.cr, "18.0.1.0.0")
        self.assertIn("Nuestro texto", template.body_html)
        self.assertFalse(friendly.fallback_channel)
        self.assertTrue(action.binding_model_id)

    def test_a_new_install_is_left_alone(self):
        cron = self.env.ref("cobranza_odoo.ir_cron_cobranza_dunning")
        before = cron.nextcall
        self.migration.migrate(self.env.cr, None)
        self.assertEqual(cron.nextcall, before)
