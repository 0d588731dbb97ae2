from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import CobranzaCommon


@tagged("post_install", "-at_install")
class TestCollectionsSettings(CobranzaCommon):
    def test_defaults_of_a_new_company(self):
        company = self.env["res.company"].create({"name": "Nueva S.A.S."})
        self.assertEqual(company.cobranza_grace_days, 3)
        self.assertEqual(company.cobranza_tolerance_amount, 1.0)
        self.assertEqual(company.cobranza_aging_buckets, "30,60,90,120")
        labels = [label for _bucket, label in company._cobranza_aging_buckets()]
        self.assertEqual(labels, ["Current", "1-30 days", "31-60 days", "61-90 days", "91-120 days", "Over 120 days"])

    def test_settings_form_saves_the_company_defaults(self):
        self.env["res.config.settings"].create(
            {
                "cobranza_grace_days": 5,
                "cobranza_tolerance_amount": 2.5,
                "cobranza_aging_buckets": "15, 30,60",
            }
        ).execute()
        company = self.env.company
        self.assertEqual(
            (company.cobranza_grace_days, company.cobranza_tolerance_amount, company.cobranza_aging_buckets),
            (5, 2.5, "15, 30,60"),
        )
        self.assertEqual(company._cobranza_bucket_limits(), (15, 30, 60))

    def test_bad_buckets_are_refused_with_a_clear_message_and_nothing_changes(self):
        for spec, expected in (
            ("60,30", "must increase"),
            ("30,abc", "whole numbers"),
            ("0,30", "greater than zero"),
            (" , ", "at least one"),
        ):
            with self.subTest(spec=spec), self.assertRaises(ValidationError) as refused:
                self.env.company.cobranza_aging_buckets = spec
            self.assertIn(expected, str(refused.exception))
        self.assertEqual(self.env.company.cobranza_aging_buckets, "30,60,90,120")

    def test_negative_grace_days_or_tolerance_are_refused(self):
        with self.assertRaises(ValidationError) as refused:
            self.env.company.cobranza_grace_days = -1
        self.assertIn("Grace days", str(refused.exception))
        with self.assertRaises(ValidationError) as refused:
            self.env.company.cobranza_tolerance_amount = -0.01
        self.assertIn("tolerance", str(refused.exception))
        self.assertEqual((self.env.company.cobranza_grace_days, self.env.company.cobranza_tolerance_amount), (3, 1.0))
