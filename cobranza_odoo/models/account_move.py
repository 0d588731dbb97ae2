from collections import defaultdict

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, ValidationError

from ..engine import aging, collection_status
from .selections import COLLECTION_STATUSES


class AccountMove(models.Model):
    _name = "account.move"
    _inherit = ["account.move", "cobranza.credit.gate"]

    cobranza_credit_override_ids = fields.One2many(
        "cobranza.credit.override", "move_id", string="Credit Approvals", readonly=True
    )

    cobranza_status = fields.Selection(
        COLLECTION_STATUSES,
        string="Collection Status",
        readonly=True,
        copy=False,
        index=True,
        help="Refreshed every day and whenever the invoice is paid, disputed or reconciled.",
    )
    cobranza_dispute = fields.Boolean(
        string="In Dispute", tracking=True, copy=False, help="The customer contests this invoice: no reminder is sent."
    )
    cobranza_dispute_reason = fields.Char(string="Dispute Reason", tracking=True, copy=False)
    cobranza_dispute_date = fields.Date(string="Disputed Since", readonly=True, copy=False)
    cobranza_legal = fields.Boolean(
        string="Legal Collection", tracking=True, copy=False, help="Handed over to a lawyer or a collection agency."
    )
    cobranza_dunning_line_ids = fields.One2many("cobranza.dunning.line", "move_id", string="Reminders", readonly=True)
    cobranza_days_overdue = fields.Integer(
        string="Days Overdue",
        compute="_compute_cobranza_days_overdue",
        help="Days past due of the oldest open installment of this invoice (0 when nothing is overdue).",
    )

    @api.depends("line_ids.amount_residual", "line_ids.date_maturity")
    def _compute_cobranza_days_overdue(self):
        today = fields.Date.context_today(self)
        for move in self:
            days = [
                aging.days_past_due(line.date_maturity or line.date, today)
                for line in move.line_ids
                if line.account_type == "asset_receivable" and not line.reconciled and line.amount_residual > 0
            ]
            move.cobranza_days_overdue = max([0, *days])

    # ------------------------------------------------------------------ credit check on posting

    def _cobranza_credit_partner(self):
        return self.commercial_partner_id._origin

    def _cobranza_credit_amount(self):
        self.ensure_one()
        return abs(self.amount_total_signed)

    def _cobranza_credit_needs_check(self):
        """Customer invoices not coming from a confirmed order, when the company checks invoices.

        An invoice made from a confirmed order was already checked when the order was confirmed.
        """
        return (
            self.move_type == "out_invoice"
            and self.state == "draft"
            and self.company_id.root_id.cobranza_credit_check_invoices
            and not self.line_ids.sale_line_ids.order_id.filtered(lambda order: order.state == "sale")
        )

    def action_post(self):
        dialog, approvals = self._cobranza_credit_gate()
        if dialog:
            return dialog
        result = super().action_post()
        approvals._mark_used()
        return result

    def _post(self, soft=True):
        posted = super()._post(soft=soft)
        posted._cobranza_refresh_status_later()
        return posted

    # ------------------------------------------------------------------ dispute and collection status

    @api.constrains("cobranza_dispute", "cobranza_dispute_reason")
    def _check_cobranza_dispute_reason(self):
        for move in self:
            if move.cobranza_dispute and not (move.cobranza_dispute_reason or "").strip():
                raise ValidationError(_("Say why the customer disputes %s.", move.display_name))

    def write(self, vals):
        if "cobranza_legal" in vals and not self.env.su:
            if not self.env.user.has_group("cobranza_odoo.group_cobranza_manager"):
                raise AccessError(_("Only Collections Managers hand invoices over to legal collection."))
        if "cobranza_dispute" in vals:
            vals = {
                **vals,
                "cobranza_dispute_date": fields.Date.context_today(self) if vals["cobranza_dispute"] else False,
            }
            if not vals["cobranza_dispute"]:
                vals["cobranza_dispute_reason"] = False
        result = super().write(vals)
        if {"cobranza_dispute", "cobranza_legal"} & set(vals):
            self._cobranza_refresh_status()
        elif "state" in vals:
            self._cobranza_refresh_status_later()
        return result

    def action_cobranza_new_promise(self):
        """Log a promise to pay for this invoice's open installments."""
        self.ensure_one()
        lines = self.line_ids.filtered(
            lambda line: line.account_type == "asset_receivable" and not line.reconciled and line.amount_residual > 0
        )
        return self.env["cobranza.agreement"]._new_action(self.commercial_partner_id, lines, "promise")

    def _cobranza_refresh_status_later(self):
        """Refresh the collection status of these invoices once, just before the transaction commits.

        Posting and reconciling run in bulk in many Odoo flows: batching the refresh at commit
        costs one refresh per transaction instead of one per call, and keeps Odoo's own query
        counts unchanged.
        """
        invoice_ids = self.filtered(lambda move: move.move_type == "out_invoice").ids
        if not invoice_ids:
            return
        pending = self.env.cr.precommit.data.setdefault("cobranza.status.invoices", set())
        if not pending:
            self.env.cr.precommit.add(self._cobranza_run_pending_status_refresh)
        pending.update(invoice_ids)

    def _cobranza_run_pending_status_refresh(self):
        invoice_ids = self.env.cr.precommit.data.pop("cobranza.status.invoices", set())
        invoices = self.env["account.move"].sudo().browse(invoice_ids).exists()
        agreements = (
            self.env["cobranza.agreement"]
            .sudo()
            .search([("state", "=", "active"), ("line_ids.move_id", "in", invoices.ids)])
        )
        agreements._refresh_progress()  # a payment may complete (or a reversal reopen) an agreement
        invoices.filtered(lambda move: move.state != "posted" and move.cobranza_status).cobranza_status = False
        invoices._cobranza_refresh_status()
        self.env.flush_all()  # called after the main flush, just before commit

    def _cobranza_refresh_status(self, today=None):
        """Recompute the collection status of these invoices and of their customers; write only changes."""
        invoices = self.filtered(lambda move: move.move_type == "out_invoice")
        if not invoices:
            return
        today = today or fields.Date.context_today(self)
        Facts = self.env["cobranza.receivable.facts"]
        for company, moves in invoices.grouped(lambda move: Facts._scope_company(move.company_id)).items():
            partners = moves.commercial_partner_id
            self.env["cobranza.partner.profile"]._get_profiles(partners, company)._refresh_statuses(today)

    @api.model
    def _cobranza_compute_statuses(self, rows, open_lines, company, today):
        """{move id: status} for rows of ``_invoices_to_classify`` (the rule lives in the engine)."""
        installments = defaultdict(list)
        for line in open_lines:
            if line.residual > 0:
                installments[line.move_id].append((line.date_maturity, line.residual))
        agreed = self.env["cobranza.receivable.facts"]._moves_under_agreement([row[0] for row in rows], today)
        return {
            move_id: collection_status.invoice_status(
                installments.get(move_id, []),
                today,
                in_dispute=dispute,
                under_agreement=move_id in agreed,
                legal=legal,
                due_soon_days=company.cobranza_due_soon_days,
                serious_days=company.cobranza_serious_days,
                tolerance=company.cobranza_tolerance_amount,
            )
            for move_id, _partner, _stored, dispute, legal in rows
        }
