from datetime import datetime, time, timedelta

from freezegun import freeze_time
from odoo import Command, fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, tagged

from ..models import ledger_fragments
from .common import CobranzaCommon


@tagged("post_install", "-at_install")
class TestCreditLimit(CobranzaCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.product_plain = cls._create_product(name="Varilla corrugada", lst_price=100.0, taxes_id=[Command.clear()])
        cls.customer.credit_limit = 10_000.0
        cls.Facts = cls.env["cobranza.receivable.facts"]

    # ------------------------------------------------------------------ helpers

    @staticmethod
    def _noon(day):
        """Midday of ``day``: the same date in every user time zone."""
        return datetime.combine(day, time(12, 0))

    @classmethod
    def _order(cls, partner, amount, confirm=False, invoice_partner=None, pricelist=None, company=None):
        values = {
            "partner_id": partner.id,
            "partner_invoice_id": (invoice_partner or partner).id,
            "order_line": [
                Command.create(
                    {
                        "product_id": cls.product_plain.id,
                        "product_uom_qty": 1,
                        "price_unit": amount,
                        "tax_id": [Command.clear()],
                    }
                )
            ],
        }
        if pricelist:
            values["pricelist_id"] = pricelist.id
        order = cls.env["sale.order"].with_company(company or cls.env.company).create(values)
        if confirm:
            order.action_confirm()
        return order

    def _exposure(self, partner=None, company=None):
        partner = partner or self.customer
        return self.Facts._exposure_by_partner(partner.ids, company or self.env.company, self.today)[partner.id]

    def _set_action(self, action, company=None):
        (company or self.env.company).cobranza_credit_action = action

    def _confirm_as(self, user, order, **context):
        return order.with_user(user).with_context(**context).action_confirm()

    # ------------------------------------------------------------------ exposure

    def test_exposure_counts_receivable_credits_drafts_and_uninvoiced_orders_once(self):
        self._invoice(self.customer, 1_000.0, 10)
        advance = self.env["account.payment"].create(
            {
                "payment_type": "inbound",
                "partner_type": "customer",
                "partner_id": self.customer.id,
                "amount": 200.0,
            }
        )
        advance.action_post()
        self.assertEqual(self._exposure().exposure, 800.0)
        self._invoice(self.customer, 300.0, 0, post=False)  # manual draft invoice
        self.assertEqual(self._exposure().draft_invoices, 300.0)
        self._order(self.customer, 2_000.0, confirm=True)
        self._order(self.customer, 999.0)  # a quotation is not exposure
        order = self._order(self.customer, 1_500.0, confirm=True)
        facts = self._exposure()
        self.assertEqual(
            (facts.receivable_balance, facts.draft_invoices, facts.uninvoiced_orders, facts.exposure),
            (800.0, 300.0, 3_500.0, 4_600.0),
        )
        # A draft invoice created from an order is counted through its order, not twice.
        invoice = order._create_invoices()
        self.assertEqual(invoice.state, "draft")
        self.assertEqual(self._exposure().exposure, 4_600.0)
        invoice.action_post()
        facts = self._exposure()
        self.assertEqual(
            (facts.receivable_balance, facts.uninvoiced_orders, facts.exposure), (2_300.0, 2_000.0, 4_600.0)
        )
        self.assertEqual(self.customer.cobranza_credit_exposure, 4_600.0)
        self.assertEqual(self.customer.cobranza_credit_available, 5_400.0)

    def test_uninvoiced_amount_ignores_the_invoicing_policy_and_credit_notes_reduce_it(self):
        self.product_plain.invoice_policy = "delivery"
        order = self._order(self.customer, 1_000.0, confirm=True)
        self.assertEqual(order.invoice_status, "no", "nothing delivered: Odoo says nothing to invoice")
        self.assertEqual(self._exposure().uninvoiced_orders, 1_000.0)
        order.order_line.qty_delivered = 1
        invoice = order._create_invoices()
        invoice.action_post()
        self.assertEqual(self._exposure().uninvoiced_orders, 0.0)
        refund = invoice._reverse_moves()
        self.assertEqual(self._exposure().uninvoiced_orders, 0.0, "a draft credit note does not count yet")
        refund.action_post()
        self.assertEqual(self._exposure().uninvoiced_orders, 1_000.0)

    def test_orders_odoo_marks_fully_invoiced_are_not_read_and_their_draft_invoices_count_as_drafts(self):
        invoiced = self._order(self.customer, 1_000.0, confirm=True)
        invoiced._create_invoices().action_post()
        drafted = self._order(self.customer, 800.0, confirm=True)
        draft = drafted._create_invoices()
        partly = self._order(self.customer, 600.0, confirm=True)
        partly._create_invoices().invoice_line_ids.quantity = 0.5  # half of it, in draft
        self.assertEqual((invoiced.invoice_status, drafted.invoice_status), ("invoiced", "invoiced"))
        self.assertEqual((draft.state, partly.invoice_status), ("draft", "to invoice"))

        def exposure(detail):
            return self.Facts._credit_snapshot(self.customer.ids, self.env.company, self.today, detail=detail)[
                self.customer.id
            ].exposure

        for detail in (True, False):
            facts = exposure(detail)
            # each draft once, as a draft: the part of an order it covers is not counted again
            self.assertEqual((facts.draft_invoices, facts.uninvoiced_orders), (800.0 + 300.0, 300.0))
            self.assertEqual((facts.receivable_balance, facts.exposure), (1_000.0, 2_400.0))
        # an order Odoo marks fully invoiced is not read at all (however many a customer has): a total
        # changed behind the ORM's back does not show
        self.env.cr.execute("UPDATE sale_order SET amount_total = 5000 WHERE id = ANY(%s)", [(invoiced | drafted).ids])
        for detail in (True, False):
            self.assertEqual(exposure(detail).uninvoiced_orders, 300.0)

    def test_each_order_keeps_what_it_still_adds_and_the_install_fill_agrees(self):
        order = self._order(self.customer, 1_000.0)
        self.assertEqual(order.cobranza_uninvoiced_amount, 0.0, "a quotation adds nothing yet")
        order.action_confirm()
        self.assertEqual(order.cobranza_uninvoiced_amount, 1_000.0)
        invoice = order._create_invoices()
        invoice.invoice_line_ids.quantity = 0.4
        self.assertEqual(order.cobranza_uninvoiced_amount, 600.0, "a draft invoice covers its part already")
        invoice.action_post()
        self.assertEqual(order.cobranza_uninvoiced_amount, 600.0)
        refund = invoice._reverse_moves()
        self.assertEqual(order.cobranza_uninvoiced_amount, 600.0, "a draft credit note does not count yet")
        refund.action_post()
        self.assertEqual(order.cobranza_uninvoiced_amount, 1_000.0)
        second = order._create_invoices()
        self.assertEqual(order.cobranza_uninvoiced_amount, 0.0)
        second.button_cancel()
        self.assertEqual(order.cobranza_uninvoiced_amount, 1_000.0, "a cancelled invoice covers nothing")
        order.order_line = [
            Command.create(
                {"product_id": self.product_plain.id, "product_uom_qty": 1, "price_unit": 250.0, "tax_id": []}
            )
        ]
        self.assertEqual(order.cobranza_uninvoiced_amount, 1_250.0)
        self.assertEqual(self._exposure().uninvoiced_orders, 1_250.0)
        # what installing the addon on a database with orders writes, in one statement, is what the
        # ORM computes
        other = self._order(self.customer, 700.0, confirm=True)
        other._create_invoices().invoice_line_ids.quantity = 0.5
        orders = order | other | self._order(self.customer, 90.0)
        expected = orders.mapped("cobranza_uninvoiced_amount")
        self.assertEqual(expected, [1_250.0, 350.0, 0.0])
        self.env.flush_all()
        self.env.cr.execute("UPDATE sale_order SET cobranza_uninvoiced_amount = NULL WHERE id = ANY(%s)", [orders.ids])
        ledger_fragments.fill_order_uninvoiced_amounts(self.env.cr)
        orders.invalidate_recordset(["cobranza_uninvoiced_amount"])
        self.assertEqual(orders.mapped("cobranza_uninvoiced_amount"), expected)

    def test_contacts_and_invoice_addresses_count_for_their_commercial_entity(self):
        shop = self.env["res.partner"].create({"name": "Sucursal Norte", "parent_id": self.customer.id})
        other = self.env["res.partner"].create({"name": "Otro Cliente S.A.S.", "is_company": True})
        self._order(other, 700.0, confirm=True, invoice_partner=self.customer_contact)
        self._invoice(shop, 250.0, 5)
        self.assertEqual(self._exposure().exposure, 950.0)
        self.assertEqual(self._exposure(other).exposure, 0.0)
        self.assertEqual(shop.cobranza_credit_exposure, 950.0)

    def test_branch_documents_count_for_the_parent_company_and_use_its_limit(self):
        self.env.company.write({"child_ids": [Command.create({"name": "Sucursal Cali"})]})
        self.cr.precommit.run()  # load the chart of accounts of the branch
        branch = self.env.company.child_ids
        self.env.user.company_ids |= branch
        self._invoice(self.customer, 4_000.0, 5, company=branch)
        self.assertEqual(self._exposure().exposure, 4_000.0)
        self.assertEqual(self._exposure(company=branch).exposure, 4_000.0)
        result = self.customer.with_company(branch).cobranza_credit_check(7_000.0)
        self.assertEqual((result["limit"], result["excess"]), (10_000.0, 1_000.0))

    def test_other_companies_are_isolated(self):
        other = self.setup_other_company(name="Otra Compañía S.A.")["company"]
        self.env.user.company_ids |= other
        self._invoice(self.customer, 50_000.0, 5, company=other)
        self.assertEqual(self._exposure().exposure, 0.0)
        self.assertEqual(self._exposure(company=other).exposure, 50_000.0)
        self.assertFalse(self.customer.with_company(other).cobranza_credit_check(1.0)["limit"])

    def test_foreign_currency_orders_count_at_todays_rate(self):
        dollars = self.setup_other_currency(
            "EUR", rates=[(fields.Date.to_string(self.today - timedelta(days=30)), 2.0)]
        )
        pricelist = self.env["product.pricelist"].create({"name": "EUR", "currency_id": dollars.id})
        self._order(self.customer, 1_000.0, confirm=True, pricelist=pricelist)
        self.assertEqual(self._exposure().uninvoiced_orders, 500.0)
        quotation = self._order(self.customer, 19_000.0, pricelist=pricelist)
        self.assertEqual(quotation._cobranza_credit_amount(), 9_500.0)
        self._set_action("block")
        quotation.action_confirm()  # 500 + 9 500 = 10 000: exactly the limit
        self.assertEqual(quotation.state, "sale")

    # ------------------------------------------------------------------ limit, increases, holds

    def test_temporary_increase_counts_only_between_its_dates(self):
        self._set_action("block")
        self._invoice(self.customer, 9_000.0, 1)
        Increase = self.env["cobranza.credit.increase"]
        values = {"partner_id": self.customer.id, "amount": 1_500.0, "reason": "Temporada escolar"}
        Increase.create(
            {**values, "date_from": self.today + timedelta(days=1), "date_to": self.today + timedelta(days=9)}
        )
        Increase.create(
            {**values, "date_from": self.today - timedelta(days=9), "date_to": self.today - timedelta(days=1)}
        )
        with self.assertRaises(UserError):
            self._order(self.customer, 2_000.0).action_confirm()
        increase = Increase.create({**values, "date_from": self.today, "date_to": self.today})
        self.assertEqual(increase.state, "active")
        self.assertEqual(self.customer.cobranza_credit_increase, 1_500.0)
        order = self._order(self.customer, 2_000.0, confirm=True)
        self.assertEqual(order.state, "sale")
        # Both increases ended ten days later: back to the plain limit.
        with freeze_time(self._noon(self.today + timedelta(days=10))), self.assertRaises(UserError):
            self._order(self.customer, 100.0).action_confirm()

    def test_manual_hold_blocks_any_amount_and_needs_a_reason(self):
        self._set_action("block")
        with self.assertRaises(ValidationError):
            self.customer.with_user(self.collections_manager).write({"cobranza_credit_hold": True})
        self.customer.with_user(self.collections_manager).write(
            {"cobranza_credit_hold": True, "cobranza_credit_hold_reason": "Cheque devuelto"}
        )
        self.assertEqual(self.customer.cobranza_credit_hold_state, "manual")
        with self.assertRaises(UserError) as blocked:
            self._order(self.customer, 1.0).action_confirm()
        self.assertIn("Cheque devuelto", str(blocked.exception))
        profile = self.env["cobranza.partner.profile"]._get_profiles(self.customer)
        self.assertEqual(profile.credit_hold_user_id, self.collections_manager)
        with self.assertRaises(AccessError):
            self.customer.with_user(self.collector).write({"cobranza_credit_hold": False})
        self.customer.with_user(self.collections_manager).cobranza_credit_hold = False
        self.assertEqual(self._order(self.customer, 1.0, confirm=True).state, "sale")

    def test_automatic_hold_after_the_hold_days(self):
        self._set_action("block")
        self.env.company.cobranza_credit_hold_days = 90
        invoice = self._invoice(self.customer, 100.0, 130, term=self.term_30)  # 100 days overdue
        self.assertEqual(self.customer.cobranza_credit_hold_state, "automatic")
        with self.assertRaises(UserError) as blocked:
            self._order(self.customer, 1.0).action_confirm()
        self.assertIn("100 days overdue", str(blocked.exception))
        self.env.company.cobranza_credit_hold_days = 0
        self.assertEqual(self._order(self.customer, 1.0, confirm=True).state, "sale")
        self.env.company.cobranza_credit_hold_days = 90
        self._pay(invoice, 100.0)
        self.assertEqual(self._order(self.customer, 1.0, confirm=True).state, "sale")

    # ------------------------------------------------------------------ none / warn / block

    def test_by_default_nothing_is_checked_and_odoo_keeps_its_own_warning(self):
        self.assertEqual(self.env["res.company"].create({"name": "Nueva"}).cobranza_credit_action, "none")
        self.env.company.account_use_credit_limit = True
        self._invoice(self.customer, 9_000.0, 1)
        order = self._order(self.customer, 5_000.0)
        self.assertFalse(order.cobranza_credit_status)
        self.assertIn("has reached its credit limit of", order.partner_credit_warning)
        order.action_confirm()
        self.assertEqual(order.state, "sale")

    def test_warn_lets_the_order_through_after_the_user_accepts(self):
        self._set_action("warn")
        self._invoice(self.customer, 9_000.0, 1)
        order = self._order(self.customer, 5_000.0)
        self.assertEqual(order.cobranza_credit_status, "warn")
        dialog = self._confirm_as(self.salesman, order, cobranza_credit_dialog=True)
        self.assertEqual(dialog["res_model"], "cobranza.credit.check.wizard")
        self.assertEqual(order.state, "draft")
        wizard = self.env["cobranza.credit.check.wizard"].with_user(self.salesman).browse(dialog["res_id"])
        self.assertEqual(wizard.outcome, "warn")
        wizard.action_accept_warning()
        self.assertEqual(order.state, "sale")
        self.assertTrue(any("despite the credit warning" in body for body in order.message_ids.mapped("body")))

    def test_warn_without_a_screen_confirms_and_logs(self):
        self._set_action("warn")
        self._invoice(self.customer, 9_000.0, 1)
        order = self._order(self.customer, 5_000.0, confirm=True)
        self.assertEqual(order.state, "sale")
        self.assertTrue(any("despite the credit warning" in body for body in order.message_ids.mapped("body")))

    def test_block_names_customer_limit_exposure_excess_overdue_and_approvers(self):
        self._set_action("block")
        self._invoice(self.customer, 9_000.0, 45, term=self.term_30)
        order = self._order(self.customer, 2_500.0)
        self.assertEqual(order.cobranza_credit_status, "block")
        with self.assertRaises(UserError) as blocked:
            self._confirm_as(self.salesman, order)
        message = str(blocked.exception)
        for expected in (
            self.customer.name,
            "10,000.00",
            "11,500.00",
            "1,500.00",
            "9,000.00",
            "15 days late",
            self.collections_manager.name,
        ):
            self.assertIn(expected, message)
        self.assertEqual(order.state, "draft")

    # ------------------------------------------------------------------ approvals

    def _blocked_order(self, amount=2_500.0):
        self._set_action("block")
        self._invoice(self.customer, 9_000.0, 1)
        return self._order(self.customer, amount)

    def test_salesperson_requests_and_manager_approves_once(self):
        order = self._blocked_order()
        dialog = self._confirm_as(self.salesman, order, cobranza_credit_dialog=True)
        wizard = self.env["cobranza.credit.check.wizard"].with_user(self.salesman).browse(dialog["res_id"])
        self.assertFalse(wizard.can_approve)
        with self.assertRaises(UserError):
            wizard.action_request_approval()  # a reason is required
        wizard.request_reason = "Paga con transferencia el viernes"
        wizard.action_request_approval()
        request = order.cobranza_credit_override_ids
        self.assertEqual((request.state, request.requested_by_id), ("requested", self.salesman))
        self.assertIn(self.collections_manager, request.activity_ids.user_id)
        with self.assertRaises(AccessError):
            request.with_user(self.salesman).action_approve()
        request.with_user(self.collections_manager).write(
            {
                "approved_amount": 2_500.0,
                "expiry_date": self.today,
                "approval_reason": "Cliente histórico",
            }
        )
        request.with_user(self.collections_manager).action_approve()
        self.assertEqual(request.approved_by_id, self.collections_manager)
        self.assertFalse(request.activity_ids)
        self._confirm_as(self.salesman, order)
        self.assertEqual((order.state, request.state), ("sale", "used"))
        # Used once: back to quotation, the same order is stopped again.
        order.with_context(disable_cancel_warning=True).action_cancel()
        order.action_draft()
        with self.assertRaises(UserError):
            self._confirm_as(self.salesman, order)

    def test_manager_approves_and_confirms_from_the_dialog(self):
        order = self._blocked_order()
        dialog = self._confirm_as(self.collections_manager, order, cobranza_credit_dialog=True)
        wizard = self.env["cobranza.credit.check.wizard"].with_user(self.collections_manager).browse(dialog["res_id"])
        self.assertTrue(wizard.can_approve)
        wizard.approval_reason = "Pedido estratégico"
        wizard.action_approve_and_proceed()
        self.assertEqual(order.state, "sale")
        self.assertEqual(order.cobranza_credit_override_ids.state, "used")

    def test_salesperson_cannot_approve_from_the_dialog(self):
        order = self._blocked_order()
        dialog = self._confirm_as(self.salesman, order, cobranza_credit_dialog=True)
        wizard = self.env["cobranza.credit.check.wizard"].with_user(self.salesman).browse(dialog["res_id"])
        wizard.approval_reason = "Yo mismo"
        with self.assertRaises(AccessError):
            wizard.action_approve_and_proceed()
        self.assertEqual(order.state, "draft")

    def _approve(self, order, amount, expiry):
        override = self.env["cobranza.credit.override"].create(
            {
                "partner_id": self.customer.id,
                "company_id": self.env.company.id,
                "sale_order_id": order.id,
                "document_amount": order.amount_total,
                "requested_by_id": self.salesman.id,
                "request_reason": "Urge",
            }
        )
        override.write({"approved_amount": amount, "expiry_date": expiry, "approval_reason": "Ok"})
        override.with_user(self.collections_manager).action_approve()
        return override

    def test_expired_approval_is_refused(self):
        order = self._blocked_order()
        override = self._approve(order, 2_500.0, self.today)
        with freeze_time(self._noon(self.today + timedelta(days=1))), self.assertRaises(UserError):
            self._confirm_as(self.salesman, order)
        self.assertEqual(override.state, "approved")

    def test_order_grown_past_the_approved_amount_is_checked_again(self):
        order = self._blocked_order()
        override = self._approve(order, 2_500.0, self.today)
        order.order_line.price_unit = 2_600.0
        with self.assertRaises(UserError):
            self._confirm_as(self.salesman, order)
        order.order_line.price_unit = 2_400.0
        self._confirm_as(self.salesman, order)
        self.assertEqual((order.state, override.state), ("sale", "used"))

    def test_bad_approvals_are_refused(self):
        order = self._blocked_order()
        override = self.env["cobranza.credit.override"].create(
            {
                "partner_id": self.customer.id,
                "company_id": self.env.company.id,
                "sale_order_id": order.id,
                "document_amount": 2_500.0,
                "requested_by_id": self.salesman.id,
            }
        )
        for values in (
            {"approved_amount": 0.0, "expiry_date": self.today, "approval_reason": "x"},
            {"approved_amount": -5.0, "expiry_date": self.today, "approval_reason": "x"},
            {"approved_amount": 100.0, "expiry_date": self.today - timedelta(days=1), "approval_reason": "x"},
            {"approved_amount": 100.0, "expiry_date": self.today, "approval_reason": " "},
        ):
            override.write(values)
            with self.subTest(values=values), self.assertRaises(ValidationError):
                override.with_user(self.collections_manager).action_approve()
            self.assertEqual(override.state, "requested")

    # ------------------------------------------------------------------ unattended confirmations

    def test_portal_signature_is_never_blocked(self):
        order = self._blocked_order()
        order.sudo()._validate_order()  # what the portal controller does after the customer signs
        self.assertEqual(order.state, "sale")

    def test_online_payment_confirmation_is_never_blocked(self):
        self.env.ref("base.partner_root").email = "odoobot@ejemplo.example"
        self.env.company.email = "ventas@ejemplo.example"
        self.customer.email = "pagos@ferreteria.example"  # Odoo posts the payment note as the customer
        order = self._blocked_order()
        provider = self.env["payment.provider"].create({"name": "Pasarela de prueba", "state": "test"})
        transaction = self.env["payment.transaction"].create(
            {
                "provider_id": provider.id,
                "payment_method_id": self.env.ref("payment.payment_method_unknown").id,
                "reference": f"{order.name}-pago",
                "amount": order.amount_total,
                "currency_id": order.currency_id.id,
                "partner_id": self.customer.id,
                "sale_order_ids": [Command.set(order.ids)],
            }
        )
        transaction._set_done()
        transaction._check_amount_and_confirm_order()  # what payment post-processing calls
        self.assertEqual(order.state, "sale")

    # ------------------------------------------------------------------ invoices

    def test_posting_manual_invoices_is_checked_only_when_the_company_asks(self):
        self._set_action("block")
        self._invoice(self.customer, 9_000.0, 1)
        invoice = self._invoice(self.customer, 2_000.0, 0, post=False)
        self.assertEqual(invoice._cobranza_credit_amount(), 2_000.0)
        invoice.action_post()
        self.assertEqual(invoice.state, "posted")
        self.env.company.cobranza_credit_check_invoices = True
        another = self._invoice(self.customer, 2_000.0, 0, post=False)
        with self.assertRaises(UserError):
            another.action_post()
        self.assertEqual(another.state, "draft")

    def test_invoices_from_confirmed_orders_are_not_checked_twice(self):
        order = self._order(self.customer, 5_000.0, confirm=True)
        self._invoice(self.customer, 9_000.0, 1)
        self._set_action("block")
        self.env.company.cobranza_credit_check_invoices = True
        invoice = order._create_invoices()
        invoice.action_post()
        self.assertEqual(invoice.state, "posted")

    # ------------------------------------------------------------------ limits, visibility, API

    def test_only_collections_managers_change_limits_and_negative_limits_are_refused(self):
        with self.assertRaises(AccessError):
            self.customer.with_user(self.collector).write({"credit_limit": 50_000.0})
        with self.assertRaises(AccessError):
            self.customer.with_user(self.collector).write({"cobranza_credit_limit": 50_000.0})
        self.customer.with_user(self.collections_manager).cobranza_credit_limit = 20_000.0
        self.assertEqual(self.customer.credit_limit, 20_000.0)
        with self.assertRaises(ValidationError):
            self.customer.with_user(self.collections_manager).cobranza_credit_limit = -1.0

    def test_bad_increases_are_refused(self):
        Increase = self.env["cobranza.credit.increase"].with_user(self.collections_manager)
        values = {"partner_id": self.customer.id, "reason": "x", "date_from": self.today, "date_to": self.today}
        for wrong in (
            {"amount": 0.0},
            {"amount": -10.0},
            {"amount": 10.0, "date_to": self.today - timedelta(days=1)},
            {"amount": 10.0, "partner_id": self.customer_contact.id},
        ):
            with self.subTest(wrong=wrong), self.assertRaises(ValidationError):
                Increase.create({**values, **wrong})
        with self.assertRaises(AccessError):
            self.env["cobranza.credit.increase"].with_user(self.salesman).create({**values, "amount": 10.0})

    def test_sales_users_read_the_credit_status_but_not_the_raw_limit_field(self):
        self._invoice(self.customer, 12_000.0, 40, term=self.term_30)
        partner = self.customer.with_user(self.salesman)
        self.assertEqual(
            (partner.cobranza_credit_limit, partner.cobranza_credit_exposure, partner.cobranza_credit_available),
            (10_000.0, 12_000.0, -2_000.0),
        )
        self.assertEqual((partner.cobranza_overdue_amount, partner.cobranza_oldest_days_overdue), (12_000.0, 10))
        with self.assertRaises(AccessError):
            partner.read(["credit_limit"])
        with self.assertRaises(AccessError):
            partner.write({"cobranza_credit_limit": 99_999.0})

    def test_public_api_and_example_server_action(self):
        self._set_action("warn")
        self._invoice(self.customer, 9_500.0, 1)
        result = self.customer_contact.cobranza_credit_check(1_000.0)
        self.assertEqual(result["outcome"], "warn")
        self.assertEqual(result["reasons"], ["over_limit"])
        self.assertEqual(
            (result["exposure"], result["limit"], result["available"], result["excess"]),
            (9_500.0, 10_000.0, 500.0, 500.0),
        )
        action = self.env.ref("cobranza_odoo.action_server_cobranza_credit_check")
        action.with_context(active_model="res.partner", active_ids=self.customer.ids, active_id=self.customer.id).run()
        self.assertIn("Credit status of", self.customer.message_ids[0].body)

    def test_sale_warning_and_trust_keep_working(self):
        self._set_action("block")
        self.customer.write({"sale_warn": "warning", "sale_warn_msg": "Pide orden de compra", "trust": "bad"})
        order = self.env["sale.order"].new({"partner_id": self.customer.id})
        warning = order._onchange_partner_id_warning()
        self.assertEqual(warning["warning"]["message"], "Pide orden de compra")
        self.assertEqual(self.customer.trust, "bad")

    def test_the_check_costs_the_same_queries_for_one_and_for_hundreds_of_documents(self):
        self._set_action("block")
        small = self.env["res.partner"].create({"name": "Cliente Pequeño", "is_company": True})
        big = self.env["res.partner"].create({"name": "Cliente Grande", "is_company": True})
        for partner, count in ((small, 1), (big, 500)):
            moves = self.env["account.move"].create(
                [
                    {
                        "move_type": "out_invoice",
                        "partner_id": partner.id,
                        "invoice_date": self.today - timedelta(days=index % 200),
                        "invoice_line_ids": [Command.create({"name": "x", "price_unit": 10.0, "tax_ids": []})],
                    }
                    for index in range(count)
                ]
            )
            moves.action_post()
            orders = self.env["sale.order"].create(
                [
                    {
                        "partner_id": partner.id,
                        "order_line": [
                            Command.create({"product_id": self.product_plain.id, "price_unit": 10.0, "tax_id": []})
                        ],
                    }
                    for _index in range(count)
                ]
            )
            self._set_action("none")
            orders.action_confirm()
            self._set_action("block")

        def queries(partner):
            self.env.flush_all()
            self.env.invalidate_all()
            before = self.cr.sql_log_count
            partner.cobranza_credit_check(100.0)
            return self.cr.sql_log_count - before

        queries(small)  # warm-up
        self.assertEqual(queries(small), queries(big))
        self.assertEqual(big.cobranza_credit_check(0.0)["exposure"], 10_000.0)

    def test_new_customers_and_quotations_in_forms_show_an_empty_credit_status(self):
        self._set_action("block")
        for user in (self.salesman, self.collections_manager):
            partner_form = Form(self.env["res.partner"].with_user(user))  # not saved: nothing to create
            partner_form.name = "Cliente Nuevo S.A.S."
            self.assertEqual(partner_form.cobranza_credit_exposure, 0.0)
        self._invoice(self.customer, 9_000.0, 1)
        with Form(self.env["sale.order"].with_user(self.salesman)) as order_form:
            order_form.partner_id = self.customer
            with order_form.order_line.new() as line:
                line.product_id = self.product_plain
                line.price_unit = 2_000.0
                line.tax_id.clear()
            self.assertEqual(order_form.cobranza_credit_status, "block")
            self.assertIn("11,000.00", order_form.cobranza_credit_message)
