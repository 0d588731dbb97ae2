from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError


class CobranzaCreditCheckWizard(models.TransientModel):
    """The dialog a salesperson sees when the credit check stops a confirmation.

    It remembers the document, says why, and offers what the user may do: accept a warning,
    ask a Collections Manager for an approval, or — for managers — approve and go on.
    """

    _name = "cobranza.credit.check.wizard"
    _description = "Credit Check"

    sale_order_id = fields.Many2one("sale.order", readonly=True)
    move_id = fields.Many2one("account.move", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    outcome = fields.Selection([("warn", "Warning"), ("block", "Blocked")], readonly=True)
    message = fields.Text(readonly=True)
    document_amount = fields.Monetary(readonly=True)
    can_approve = fields.Boolean(compute="_compute_can_approve")
    pending_request_id = fields.Many2one("cobranza.credit.override", compute="_compute_pending_request_id")
    request_reason = fields.Text(string="Why should it go through?")
    approved_amount = fields.Monetary(string="Approve Up To")
    expiry_date = fields.Date(
        string="Valid Until", default=lambda self: fields.Date.context_today(self) + timedelta(days=7)
    )
    approval_reason = fields.Text()

    def _compute_can_approve(self):
        self.can_approve = self.env.user.has_group("cobranza_odoo.group_cobranza_manager")

    def _compute_pending_request_id(self):
        for wizard in self:
            document = wizard._document()
            field = "sale_order_id" if document._name == "sale.order" else "move_id"
            wizard.pending_request_id = (
                self.env["cobranza.credit.override"]
                .sudo()
                .search([(field, "=", document.id), ("state", "=", "requested")], limit=1)
            )

    @api.model
    def _open_for(self, document, decision):
        """The dialog action for ``document`` (a sale order or an invoice) and its engine decision."""
        company = document.company_id.root_id
        partner = document._cobranza_credit_partner()
        amount = document._cobranza_credit_amount()
        wizard = self.create(
            {
                "sale_order_id": document.id if document._name == "sale.order" else False,
                "move_id": document.id if document._name == "account.move" else False,
                "partner_id": partner.id,
                "company_id": company.id,
                "outcome": decision.outcome,
                "message": partner._cobranza_credit_text(
                    decision, company, document=document, with_approvers=decision.outcome == "block"
                ),
                "document_amount": amount,
                "approved_amount": amount,
            }
        )
        return {
            "type": "ir.actions.act_window",
            "name": _("Credit Check"),
            "res_model": self._name,
            "res_id": wizard.id,
            "view_mode": "form",
            "target": "new",
        }

    def _document(self):
        self.ensure_one()
        return self.sale_order_id or self.move_id

    def _proceed(self, **context):
        document = self._document()
        if document._name == "sale.order":
            return document.with_context(cobranza_credit_dialog=True, **context).action_confirm()
        return document.with_context(cobranza_credit_dialog=True, **context).action_post()

    def action_accept_warning(self):
        self.ensure_one()
        if self.outcome != "warn":
            raise UserError(_("A credit block cannot be accepted: ask a Collections Manager for an approval."))
        result = self._proceed(cobranza_credit_warning_accepted=True)
        return result if isinstance(result, dict) else {"type": "ir.actions.act_window_close"}

    def action_request_approval(self):
        self.ensure_one()
        if not (self.request_reason or "").strip():
            raise UserError(_("Say why this document should go through despite the credit check."))
        if self.pending_request_id:
            raise UserError(_("An approval was already requested for this document and is waiting for a manager."))
        override = self.env["cobranza.credit.override"].sudo().create(self._prepare_override_values())
        override._schedule_approval_activities()
        self._document().message_post(
            body=_(
                "Credit exception requested by %(user)s: %(reason)s",
                user=self.env.user.name,
                reason=self.request_reason,
            )
        )
        managers = self.company_id._cobranza_managers().mapped("name")
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "title": _("Approval requested"),
                "message": _(
                    "%(managers)s will decide; you will be told in the chatter of %(document)s.",
                    managers=", ".join(managers) or _("A Collections Manager"),
                    document=self._document().display_name,
                ),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    def action_approve_and_proceed(self):
        self.ensure_one()
        Override = self.env["cobranza.credit.override"]
        Override._check_approver()
        override = self.pending_request_id or Override.sudo().create(self._prepare_override_values())
        override.sudo().write(
            override._prepare_approval_values(self.approved_amount, self.expiry_date, self.approval_reason)
        )
        override._close_approval_activities()
        result = self._proceed()
        return result if isinstance(result, dict) else {"type": "ir.actions.act_window_close"}

    def _prepare_override_values(self):
        return {
            "partner_id": self.partner_id.id,
            "company_id": self.company_id.id,
            "sale_order_id": self.sale_order_id.id or False,
            "move_id": self.move_id.id or False,
            "document_amount": self.document_amount,
            "check_summary": self.message,
            "request_reason": self.request_reason or self.approval_reason,
            "requested_by_id": self.env.user.id,
            "state": "requested",
        }
