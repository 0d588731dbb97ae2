# pylint: disable=invalid-commit  # two real transactions must see each other's data: the test commits them
from datetime import timedelta
from unittest.mock import patch

from odoo import SUPERUSER_ID, Command, api, fields
from odoo.exceptions import UserError
from odoo.tests import TransactionCase, tagged
from odoo.tools import SQL, mute_logger


@tagged("post_install", "-at_install")
class TestDunningConcurrency(TransactionCase):
    """Two runs at once, in two real transactions: the scheduled run and a collector's run, or two
    cron threads. Neither fails, nothing is created twice, nobody is forgotten.

    The data is committed (other transactions must see it) and removed afterwards.
    """

    def setUp(self):
        super().setUp()
        registry = self.env.registry
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
            company = env.ref("base.main_company")
            self.saved_company = {
                "cobranza_dunning_mode": company.cobranza_dunning_mode,
                "cobranza_policy_id": company.cobranza_policy_id.id,
            }
            policy = env.ref("cobranza_odoo.policy_standard").copy({"company_id": company.id})
            company.write({"cobranza_dunning_mode": "draft", "cobranza_policy_id": policy.id})
            today = fields.Date.context_today(env.user)
            partners = env["res.partner"].create(
                [{"name": f"Concurrente {index} S.A.S.", "is_company": True} for index in range(6)]
            )
            moves = env["account.move"].create(
                [
                    {
                        "move_type": "out_invoice",
                        "partner_id": partner.id,
                        "invoice_date": today - timedelta(days=40),
                        "invoice_payment_term_id": env.ref("account.account_payment_term_30days").id,
                        "invoice_line_ids": [Command.create({"name": "x", "price_unit": 100.0, "tax_ids": []})],
                    }
                    for partner in partners
                ]
            )
            moves.action_post()
            profiles = env["cobranza.partner.profile"]._get_profiles(partners, company)
            # Every other customer of the database counts as handled today: these six are the run.
            others = env["cobranza.partner.profile"].search([("id", "not in", profiles.ids)])
            self.saved_checked = {profile.id: profile.dunning_checked_on for profile in others}
            others.write({"dunning_checked_on": today})
            self.data = {
                "partner_ids": partners.ids,
                "move_ids": moves.ids,
                "policy_id": policy.id,
                "profile_ids": profiles.ids,
                "today": today,
            }
        self.envs = [api.Environment(registry.cursor(), SUPERUSER_ID, {}) for _index in range(3)]
        self.addCleanup(self._clean_up)

    def _clean_up(self):
        for env in self.envs:
            env.cr.rollback()
            env.cr.close()
        with self.env.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["cobranza.dunning"].search([("partner_id", "in", self.data["partner_ids"])]).unlink()
            moves = env["account.move"].browse(self.data["move_ids"])
            moves.button_draft()
            moves.with_context(force_delete=True).unlink()
            company = env.ref("base.main_company")
            company.write(self.saved_company)
            env["cobranza.policy"].browse(self.data["policy_id"]).unlink()
            env["cobranza.partner.profile"].browse(self.data["profile_ids"]).unlink()
            env["res.partner"].browse(self.data["partner_ids"]).unlink()
            for profile_id, checked in self.saved_checked.items():
                env["cobranza.partner.profile"].browse(profile_id).dunning_checked_on = checked
            env.cr.commit()

    def _cron_call(self, env, batch_size=10, worker=None):
        cron = env.ref("cobranza_odoo.ir_cron_cobranza_dunning")
        progress = env["ir.cron.progress"].create({"cron_id": cron.id})
        env["cobranza.dunning.run"].with_context(ir_cron_progress_id=progress.id)._cron_run_dunning(
            batch_size=batch_size, worker=worker
        )
        return progress

    def _communications(self):
        with self.env.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            dunnings = env["cobranza.dunning"].search([("partner_id", "in", self.data["partner_ids"])])
            return sorted(dunnings.partner_id.ids), len(dunnings)

    @mute_logger("odoo.sql_db", "odoo.addons.cobranza_odoo.models.cobranza_dunning_run")
    def test_a_collectors_run_committed_during_the_scheduled_batch_neither_fails_it_nor_duplicates(self):
        cron_env, collector_env, _other = self.envs
        cron_env.cr.execute("SELECT 1")  # the scheduled run's transaction starts here
        partners = collector_env["res.partner"].browse(self.data["partner_ids"][:2])
        wizard = collector_env["cobranza.dunning.run.wizard"].create({"partner_ids": [Command.set(partners.ids)]})
        wizard.action_create()
        collector_env.cr.commit()
        # The scheduled batch sees the six customers as not handled yet (its snapshot is older): it
        # finds out when it claims them, leaves them and hands over to a fresh call.
        progress = self._cron_call(cron_env)
        cron_env.cr.commit()
        self.assertGreater(progress.done, 0, "the call made progress: the framework calls it again at once")
        self.assertEqual(self._communications()[1], 2, "the collector's two, nothing planned on a stale view")
        progress = self._cron_call(self.envs[2])
        self.envs[2].cr.commit()
        self.assertEqual(progress.done, 4)
        partner_ids, count = self._communications()
        self.assertEqual(count, 6, "one communication per customer, none twice")
        self.assertEqual(partner_ids, sorted(self.data["partner_ids"]))
        # Nothing is left: the next call finds all six handled.
        progress = self._cron_call(self.envs[1])
        self.envs[1].cr.commit()
        self.assertEqual((progress.done, progress.remaining), (0, 0))
        self.assertEqual(self._communications()[1], 6)

    @mute_logger("odoo.sql_db", "odoo.addons.cobranza_odoo.models.cobranza_dunning_run")
    def test_a_call_older_than_the_other_workers_commit_does_not_plan_its_customers_again(self):
        """The other cron thread handled the customers and committed after this call's transaction
        began: to this call they look still to do and free, yet it finds out before planning them
        (no work done twice only to be refused, customer by customer, when written) and hands over
        to a fresh call at once."""
        first_env, second_env, third_env = self.envs
        second_env.cr.execute("SELECT 1")  # the second thread's call begins
        self._cron_call(first_env, worker=0)
        first_env.cr.commit()
        self.assertEqual(self._communications()[1], 6)
        Run = type(second_env["cobranza.dunning.run"])
        with patch.object(Run, "_run_batch", autospec=True, side_effect=Run._run_batch) as run_batch:
            progress = self._cron_call(second_env, worker=1)
        second_env.cr.commit()
        planned = [call.args[1] for call in run_batch.call_args_list if call.args[1]]
        self.assertFalse(planned, "nobody planned a second time")
        self.assertGreater(progress.done, 0, "counted as done: the framework calls again at once")
        self.assertGreater(progress.remaining, 0)
        self.assertEqual(self._communications()[1], 6)
        progress = self._cron_call(third_env, worker=1)
        third_env.cr.commit()
        self.assertEqual((progress.done, progress.remaining), (0, 0))
        self.assertEqual(self._communications()[1], 6)

    @mute_logger("odoo.sql_db", "odoo.addons.cobranza_odoo.models.cobranza_dunning_run")
    def test_two_scheduled_runs_at_once_share_the_customers_without_waiting_or_duplicates(self):
        first_env, second_env, collector_env = self.envs
        self._cron_call(first_env)  # claims the six customers; not committed yet
        # A second cron thread meanwhile: every customer is claimed, it skips them at once.
        self._cron_call(second_env)
        second_env.cr.commit()
        self.assertEqual(self._communications()[1], 0)
        # A collector asks for two of them while the first run holds them: told to wait, nothing fails.
        partners = collector_env["res.partner"].browse(self.data["partner_ids"][:2])
        wizard = collector_env["cobranza.dunning.run.wizard"].create({"partner_ids": [Command.set(partners.ids)]})
        with self.assertRaisesRegex(UserError, "handling these customers right now"):
            wizard.action_create()
        collector_env.cr.rollback()
        first_env.cr.commit()
        self.assertEqual(self._communications(), (sorted(self.data["partner_ids"]), 6))

    @mute_logger("odoo.sql_db", "odoo.addons.cobranza_odoo.models.cobranza_dunning_run")
    def test_the_two_worker_jobs_take_different_customers_side_by_side(self):
        first_env, second_env, _other = self.envs
        shares = {}
        # Both threads at once, neither committed: each takes its own share, none waits or is refused.
        for worker, env in ((0, first_env), (1, second_env)):
            cron = env.ref("cobranza_odoo.ir_cron_cobranza_dunning")
            progress = env["ir.cron.progress"].create({"cron_id": cron.id})
            dunnings = (
                env["cobranza.dunning.run"]
                .with_context(ir_cron_progress_id=progress.id)
                ._cron_run_dunning(batch_size=3, worker=worker)
            )
            profiles = env["cobranza.partner.profile"].search(
                [("id", "in", self.data["profile_ids"]), ("partner_id", "in", dunnings.partner_id.ids)]
            )
            shares[worker] = sorted(profile.id % 2 for profile in profiles)
            self.assertEqual(progress.done, 3)
        first_env.cr.commit()
        second_env.cr.commit()
        self.assertEqual(shares, {0: [0, 0, 0], 1: [1, 1, 1]}, "each worker did its own share")
        partner_ids, count = self._communications()
        self.assertEqual((partner_ids, count), (sorted(self.data["partner_ids"]), 6), "everyone once, nobody twice")

    def test_a_lone_worker_does_its_share_then_the_rest_from_the_far_end(self):
        Run = self.env["cobranza.dunning.run"]
        ids = self.data["profile_ids"]
        query = SQL("SELECT id FROM cobranza_partner_profile WHERE id = ANY(%s)", ids)
        own = sorted(i for i in ids if i % 2 == 1)
        others = sorted((i for i in ids if i % 2 == 0), reverse=True)
        self.assertEqual(Run._claim(query, len(ids), worker=1), own + others)
        self.assertEqual(Run._claim(query, len(ids)), sorted(ids), "without a worker, in id order")

    def test_the_second_worker_is_a_scheduled_action_of_the_same_run(self):
        first = self.env.ref("cobranza_odoo.ir_cron_cobranza_dunning")
        second = self.env.ref("cobranza_odoo.ir_cron_cobranza_dunning_second_worker")
        self.assertEqual(second.model_id, first.model_id)
        self.assertIn("worker=1", second.code)
        self.assertEqual((second.interval_number, second.interval_type), (first.interval_number, first.interval_type))
