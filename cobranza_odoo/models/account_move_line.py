from collections import defaultdict

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.osv import expression

from ..engine import aging
from . import bulk_write
from . import ledger_fragments as ledger


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    cobranza_days_overdue = fields.Integer(
        string="Days Overdue",
        compute="_compute_cobranza_aging",
        help="Days since this installment fell due; negative while it is not due yet.",
    )
    cobranza_aging_bucket = fields.Char(string="Aging Bucket", compute="_compute_cobranza_aging")
    cobranza_level_id = fields.Many2one(
        "cobranza.policy.level",
        string="Dunning Level",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="The last dunning level sent for this installment.",
    )
    cobranza_last_dunning_date = fields.Date(string="Last Reminder", readonly=True, copy=False)
    cobranza_dunning_processed_on = fields.Date(string="Handled by Dunning On", readonly=True, copy=False)
    cobranza_dunning_line_ids = fields.One2many("cobranza.dunning.line", "move_line_id", string="Reminders")
    cobranza_interest_done = fields.Boolean(
        string="Late Interest Settled",
        readonly=True,
        copy=False,
        help="The installment is paid and every day it could bear late interest is charged: runs skip it.",
    )
    cobranza_open_receivable = fields.Boolean(
        string="Open Receivable",
        compute="_compute_cobranza_open_receivable",
        search="_search_cobranza_open_receivable",
        help="An open installment or credit of a customer (invoices in payment count as paid).",
    )

    def init(self):
        super().init()
        ledger.create_open_line_indexes(self.env.cr)
        ledger.create_open_balance_triggers(self.env.cr)

    @api.depends("account_id", "parent_state", "reconciled", "amount_residual", "move_id.payment_state")
    def _compute_cobranza_open_receivable(self):
        for line in self:
            line.cobranza_open_receivable = ledger.is_open_receivable_line(line)

    def _search_cobranza_open_receivable(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(_("Unsupported search on open receivables."))
        domain = ledger.open_receivable_domain()
        return domain if (operator == "=") == value else ["!", *expression.AND([domain])]

    def _cobranza_set_discount_date(self, discount_date):
        """Odoo's last early-discount date on installment lines of posted invoices.

        Written in one UPDATE: a regular write on posted lines re-synchronises each invoice line by
        line, and nothing stored depends on this informational date.
        """
        bulk_write.bulk_set(self, self.ids, {"discount_date": discount_date or False}, touch=False)

    def _get_installments_data(self, payment_currency=None, payment_date=None, next_payment_date=None):
        """Odoo's installment data with a program's discount in force on ``payment_date``: the payment
        wizard, the portal and online payments all read the amount due from here."""
        installments = super()._get_installments_data(
            payment_currency=payment_currency, payment_date=payment_date, next_payment_date=next_payment_date
        )
        for installment in installments:
            move = installment["line"].move_id
            if installment["type"] != "early_payment_discount" or not move._cobranza_uses_incentive():
                continue
            line = installment["line"]
            deadline = move._cobranza_incentive_deadline(
                payment_currency or line.currency_id, payment_date or fields.Date.context_today(self)
            )
            rate = line.balance / line.amount_currency if line.amount_currency else 1.0
            discount_currency = deadline.discount * (1 if line.amount_currency >= 0 else -1)
            discount_balance = line.company_currency_id.round(discount_currency * rate)
            sign = move.direction_sign
            installment.update(
                {
                    "amount_residual_currency": line.amount_currency - discount_currency,
                    "amount_residual": line.balance - discount_balance,
                    "amount_residual_currency_unsigned": -sign * (line.amount_currency - discount_currency),
                    "amount_residual_unsigned": -sign * (line.balance - discount_balance),
                    "discount_amount_currency": discount_currency,
                    "discount_amount": discount_balance,
                }
            )
        return installments

    def action_cobranza_new_promise(self):
        """From the worklist: a promise to pay over the selected installments of one customer."""
        lines = self.filtered(lambda line: line.amount_residual > 0 and not line.reconciled)
        partners = lines.partner_id.commercial_partner_id
        if len(partners) != 1:
            raise UserError(_("Select installments of one customer to log a promise to pay."))
        return self.env["cobranza.agreement"]._new_action(partners, lines, "promise")

    def action_cobranza_new_agreement(self):
        lines = self.filtered(lambda line: line.amount_residual > 0 and not line.reconciled)
        partners = lines.partner_id.commercial_partner_id
        if len(partners) != 1:
            raise UserError(_("Select installments of one customer to agree a payment plan."))
        return self.env["cobranza.agreement"]._new_action(partners, lines, "agreement")

    @api.model
    def _cobranza_mark_dunning(self, line_ids, processed_on=None, level_by_line=None, sent_on=None):
        """Bulk-mark receivable lines: handled by today's run, and/or the level sent to them.

        One UPDATE per level, whatever the number of lines (writing through the ORM would also
        run the journal items' accounting checks for nothing).
        """
        if processed_on and line_ids:
            bulk_write.bulk_set(self, line_ids, {"cobranza_dunning_processed_on": processed_on}, touch=False)
        by_level = defaultdict(list)
        for line_id, level_id in (level_by_line or {}).items():
            by_level[level_id].append(line_id)
        for level_id, ids in by_level.items():
            bulk_write.bulk_set(
                self, ids, {"cobranza_level_id": level_id, "cobranza_last_dunning_date": sent_on}, touch=False
            )

    @api.depends("date_maturity", "date", "company_id")
    def _compute_cobranza_aging(self):
        today = fields.Date.context_today(self)
        for company, lines in self.grouped("company_id").items():
            scale = company._cobranza_aging_buckets() if company else []
            limits = tuple(bucket.last_day for bucket, _label in scale if bucket.last_day)
            for line in lines:
                maturity = line.date_maturity or line.date
                if not maturity or not scale:
                    line.cobranza_days_overdue = 0
                    line.cobranza_aging_bucket = False
                    continue
                days = aging.days_past_due(maturity, today)
                line.cobranza_days_overdue = days
                line.cobranza_aging_bucket = scale[aging.bucket_index(days, limits)][1]

    def reconcile(self):
        result = super().reconcile()
        self._cobranza_refresh_invoice_status()
        return result

    def remove_move_reconcile(self):
        lines = self | self.matched_debit_ids.debit_move_id | self.matched_credit_ids.credit_move_id
        result = super().remove_move_reconcile()
        lines._cobranza_refresh_invoice_status()
        return result

    def _cobranza_refresh_invoice_status(self):
        """A payment or reconciliation can change an invoice's collection status: refresh it now."""
        invoices = self.filtered(ledger.is_receivable_line).move_id
        invoices._cobranza_refresh_status_later()
