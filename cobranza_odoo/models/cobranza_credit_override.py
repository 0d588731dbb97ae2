from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import format_date

from ..engine import credit as credit_rules


class CobranzaCreditOverride(models.Model):
    """A Collections Manager's approval for one order or invoice to go past the credit check once.

    The audit trail of every exception: who asked, why, what the check said, who approved
    up to which amount and until when, and when it was used.
    """

    _name = "cobranza.credit.override"
    _description = "Credit Check Approval"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "id desc"
    _check_company_auto = True

    name = fields.Char(compute="_compute_name", store=True)
    partner_id = fields.Many2one("res.partner", string="Customer", required=True, index=True, readonly=True)
    company_id = fields.Many2one("res.company", required=True, index=True, readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    sale_order_id = fields.Many2one("sale.order", string="Sales Order", index="btree_not_null", readonly=True)
    move_id = fields.Many2one("account.move", string="Invoice", index="btree_not_null", readonly=True)
    document_amount = fields.Monetary(
        string="Amount Requested", readonly=True, help="Amount of the document, in company currency, when asked."
    )
    check_summary = fields.Text(string="Credit Check Result", readonly=True)
    request_reason = fields.Text(string="Why the Exception", readonly=True)
    requested_by_id = fields.Many2one("res.users", readonly=True)
    state = fields.Selection(
        [
            ("requested", "To Approve"),
            ("approved", "Approved"),
            ("used", "Used"),
            ("refused", "Refused"),
            ("cancelled", "Cancelled"),
        ],
        required=True,
        default="requested",
        tracking=True,
        readonly=True,
    )
    approved_amount = fields.Monetary(
        string="Approved Up To", tracking=True, help="The document goes through only while its amount stays within it."
    )
    expiry_date = fields.Date(
        string="Valid Until", tracking=True, default=lambda self: fields.Date.context_today(self) + timedelta(days=7)
    )
    approval_reason = fields.Text(tracking=True)
    approved_by_id = fields.Many2one("res.users", readonly=True, tracking=True)
    approval_date = fields.Datetime(readonly=True)
    used_date = fields.Datetime(readonly=True)

    _sql_constraints = [
        (
            "one_document",
            "CHECK((sale_order_id IS NULL) != (move_id IS NULL))",
            "An approval is for exactly one sales order or one invoice.",
        ),
    ]

    @api.model_create_multi
    def create(self, vals_list):
        # A request proposes to approve what was asked; the manager may lower it.
        for vals in vals_list:
            vals.setdefault("approved_amount", vals.get("document_amount", 0.0))
        return super().create(vals_list)

    @api.depends("sale_order_id.name", "move_id.name", "partner_id.name")
    def _compute_name(self):
        for override in self:
            document = override.sale_order_id or override.move_id
            override.name = f"{document.display_name} - {override.partner_id.name}" if document else "/"

    @api.constrains("state", "approved_amount", "expiry_date", "approval_reason")
    def _check_approval(self):
        for override in self.filtered(lambda record: record.state == "approved"):
            override._validate_approval_values(override.approved_amount, override.expiry_date, override.approval_reason)

    def _validate_approval_values(self, amount, expiry_date, reason):
        if not amount or amount <= 0:
            raise ValidationError(_("The approved amount must be greater than zero."))
        if not expiry_date or expiry_date < fields.Date.context_today(self):
            raise ValidationError(_("An approval must be valid until today or a later date."))
        if not (reason or "").strip():
            raise ValidationError(_("Say why the exception is approved."))

    # ------------------------------------------------------------------ workflow

    @api.model
    def _check_approver(self):
        if not self.env.su and not self.env.user.has_group("cobranza_odoo.group_cobranza_manager"):
            raise AccessError(_("Only Collections Managers can approve or refuse credit exceptions."))

    def action_approve(self):
        self._check_approver()
        for override in self:
            if override.state != "requested":
                raise UserError(_("Only requests waiting for approval can be approved."))
            override.write(
                override._prepare_approval_values(
                    override.approved_amount, override.expiry_date, override.approval_reason
                )
            )
        self._close_approval_activities()
        self._notify_requesters(_("Credit exception approved"))
        return True

    def _prepare_approval_values(self, amount, expiry_date, reason):
        self._validate_approval_values(amount, expiry_date, reason)
        return {
            "state": "approved",
            "approved_amount": amount,
            "expiry_date": expiry_date,
            "approval_reason": reason,
            "approved_by_id": self.env.user.id,
            "approval_date": fields.Datetime.now(),
        }

    def action_refuse(self):
        self._check_approver()
        if any(override.state != "requested" for override in self):
            raise UserError(_("Only requests waiting for approval can be refused."))
        self.write({"state": "refused"})
        self._close_approval_activities()
        self._notify_requesters(_("Credit exception refused"))
        return True

    def action_cancel(self):
        if any(override.state not in ("requested", "approved") for override in self):
            raise UserError(_("Only requests and unused approvals can be cancelled."))
        self.write({"state": "cancelled"})
        self._close_approval_activities()
        return True

    def _approvers(self):
        """Collections Managers of the approval's company: who can lift the block."""
        self.ensure_one()
        return self.company_id._cobranza_managers()

    def _schedule_approval_activities(self):
        """A to-do for every Collections Manager of the company, on the approval request."""
        todo = self.env.ref("mail.mail_activity_data_todo")
        for override in self:
            document = override.sale_order_id or override.move_id
            for manager in override._approvers():
                override.sudo().activity_schedule(
                    activity_type_id=todo.id,
                    user_id=manager.id,
                    summary=_("Approve credit exception for %s", document.display_name),
                    note=override.request_reason,
                )

    def _close_approval_activities(self):
        self.sudo().activity_ids.action_feedback(feedback=_("Handled"))

    def _notify_requesters(self, subject):
        for override in self:
            document = override.sale_order_id or override.move_id
            body = _(
                "%(subject)s by %(user)s for %(document)s.",
                subject=subject,
                user=self.env.user.name,
                document=document.display_name,
            )
            override.message_post(body=body, partner_ids=override.requested_by_id.partner_id.ids)
            document.sudo().message_post(body=body)

    # ------------------------------------------------------------------ use

    @api.model
    def _find_usable(self, document, amount, today=None):
        """The approved, unused, unexpired approval covering ``amount`` for ``document``, if any."""
        today = today or fields.Date.context_today(self)
        field = "sale_order_id" if document._name == "sale.order" else "move_id"
        approvals = self.sudo().search([(field, "=", document.id), ("state", "=", "approved")], order="id desc")
        rounding = document.company_id.currency_id.rounding
        for approval in approvals:
            check = credit_rules.check_override(
                credit_rules.Override(
                    approved_amount=approval.approved_amount,
                    expiry=approval.expiry_date,
                    used=approval.state == "used",
                ),
                amount,
                today,
                rounding,
            )
            if check.valid:
                return approval
        return self.browse()

    def _mark_used(self):
        self.sudo().write({"state": "used", "used_date": fields.Datetime.now()})
        for override in self:
            document = override.sale_order_id or override.move_id
            document.sudo().message_post(
                body=_(
                    "Credit check passed with the approval of %(manager)s (up to %(amount)s, valid until %(date)s).",
                    manager=override.approved_by_id.name,
                    amount=override.currency_id.format(override.approved_amount),
                    date=format_date(self.env, override.expiry_date),
                )
            )
