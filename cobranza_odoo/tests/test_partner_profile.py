from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger
from psycopg2 import IntegrityError

from .common import CobranzaCommon


@tagged("post_install", "-at_install")
class TestPartnerProfile(CobranzaCommon):
    def test_profile_is_created_once_per_customer_and_company(self):
        Profile = self.env["cobranza.partner.profile"]
        first = Profile._get_profiles(self.customer)
        again = Profile._get_profiles(self.customer | self.customer_contact)
        self.assertEqual(len(first), 1)
        self.assertEqual(first, again)
        self.assertEqual(first.company_id, self.env.company)

    def test_contacts_share_the_profile_of_their_commercial_entity(self):
        profile = self.env["cobranza.partner.profile"]._get_profiles(self.customer_contact)
        self.assertEqual(profile.partner_id, self.customer)

    def test_a_profile_on_a_contact_is_refused(self):
        with self.assertRaises(ValidationError):
            self.env["cobranza.partner.profile"].create({"partner_id": self.customer_contact.id})

    def test_duplicate_profile_is_refused_by_the_database(self):
        self.env["cobranza.partner.profile"]._get_profiles(self.customer)
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError), self.cr.savepoint():
            self.env["cobranza.partner.profile"].create({"partner_id": self.customer.id})

    def test_a_salesperson_creates_profiles_on_demand_without_rights_on_them(self):
        new_customer = self.env["res.partner"].create({"name": "Nuevo Cliente Ltda.", "is_company": True})
        profile = self.env["cobranza.partner.profile"].with_user(self.salesman)._get_profiles(new_customer)
        self.assertEqual(profile.sudo().partner_id, new_customer)
        self.assertEqual(profile.env.user, self.salesman)

    def _queries_to_create_profiles(self, count):
        customers = self.env["res.partner"].create(
            [{"name": f"Cliente {count}-{i}", "is_company": True} for i in range(count)]
        )
        self.env.flush_all()
        self.env.invalidate_all()
        self.env.user.read(["login", "signature"])  # the same cache state before both measures
        self.env.company.read(["name"])
        before = self.cr.sql_log_count
        profiles = self.env["cobranza.partner.profile"]._get_profiles(customers)
        self.env.flush_all()
        self.assertEqual(len(profiles), count)
        return self.cr.sql_log_count - before

    def test_profiles_for_many_customers_cost_the_same_queries_as_for_a_few(self):
        self._queries_to_create_profiles(1)  # warm up caches of rules and fields
        self.assertEqual(self._queries_to_create_profiles(5), self._queries_to_create_profiles(60))

    def test_a_branch_uses_the_profile_of_its_parent_company(self):
        self.env.company.write({"child_ids": [Command.create({"name": "Sucursal Medellín"})]})
        branch = self.env.company.child_ids
        self.env.user.company_ids |= branch
        in_branch = self.env["cobranza.partner.profile"].with_company(branch)._get_profiles(self.customer)
        self.assertEqual(in_branch.company_id, self.env.company)
        self.assertEqual(in_branch, self.env["cobranza.partner.profile"]._get_profiles(self.customer))

    def test_collector_set_on_the_customer_is_kept_on_its_profile_and_searchable(self):
        self.customer.cobranza_collector_id = self.collector
        profile = self.env["cobranza.partner.profile"]._get_profiles(self.customer)
        self.assertEqual(profile.collector_id, self.collector)
        self.assertEqual(self.customer_contact.cobranza_collector_id, self.collector)
        mine = self.env["res.partner"].search([("cobranza_collector_id", "=", self.collector.id)])
        self.assertIn(self.customer, mine)
        self.assertIn(self.customer_contact, mine)
        unassigned = self.env["res.partner"].search([("cobranza_collector_id", "=", False)])
        self.assertNotIn(self.customer, unassigned)
        self.assertIn(self.partner_a, unassigned)

    def test_collector_is_per_company(self):
        other = self.setup_other_company(name="Otra Compañía S.A.")["company"]
        self.env.user.company_ids |= other
        self.customer.cobranza_collector_id = self.collector
        self.assertFalse(self.customer.with_company(other).cobranza_collector_id)

    def test_collector_change_is_tracked_in_the_chatter(self):
        profile = self.env["cobranza.partner.profile"]._get_profiles(self.customer)
        profile.with_context(tracking_disable=False, mail_notrack=False).collector_id = self.collector
        self.env.flush_all()
        self.env.cr.precommit.run()  # tracking values are written when the transaction commits
        profile.invalidate_recordset(["message_ids"])
        tracked = profile.message_ids.tracking_value_ids.filtered(lambda value: value.field_id.name == "collector_id")
        self.assertEqual(tracked.new_value_char, self.collector.name)
