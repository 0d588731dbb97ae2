from odoo import _, api, fields, models
from odoo.tools import format_date, sql

from ..engine import credit
from . import ledger_fragments as ledger


class SaleOrder(models.Model):
    _name = "sale.order"
    _inherit = ["sale.order", "cobranza.credit.gate"]

    cobranza_credit_override_ids = fields.One2many(
        "cobranza.credit.override", "sale_order_id", string="Credit Approvals", readonly=True
    )
    cobranza_credit_status = fields.Selection(
        [
            ("allow", "Within credit"),
            ("warn", "Credit warning"),
            ("block", "Credit blocked"),
            ("requested", "Approval requested"),
            ("approved", "Exception approved"),
        ],
        string="Credit Status",
        compute="_compute_cobranza_credit_status",
        help="What the collections credit check says about confirming this quotation now.",
    )
    cobranza_credit_message = fields.Text(string="Credit Check", compute="_compute_cobranza_credit_status")
    # Kept with the order so that the credit check, run inside every confirmation, reads one column
    # instead of joining each order's lines to their invoice lines (planning that join was a sixth of
    # the check's time: see README, Scale).
    cobranza_uninvoiced_amount = fields.Monetary(
        string="Not Yet Invoiced",
        compute="_compute_cobranza_uninvoiced_amount",
        store=True,
        currency_field="currency_id",
        help="What this confirmed order adds to the customer's credit exposure: its total less what its "
        "invoices cover (posted invoices net of posted credit notes, and draft invoices, which count as "
        "drafts). Zero before confirmation and once the order is fully invoiced.",
    )

    def _auto_init(self):
        # On a database with years of orders, let PostgreSQL fill the new column in one statement
        # instead of the ORM computing it order by order at install.
        created = not sql.column_exists(self.env.cr, self._table, "cobranza_uninvoiced_amount")
        if created:
            sql.create_column(self.env.cr, self._table, "cobranza_uninvoiced_amount", "numeric")
        result = super()._auto_init()
        if created:
            ledger.fill_order_uninvoiced_amounts(self.env.cr)
        return result

    def init(self):
        super().init()
        ledger.create_order_index(self.env.cr)

    @api.depends(
        "state",
        "invoice_status",
        "amount_total",
        "order_line.invoice_lines.parent_state",
        "order_line.invoice_lines.price_total",
        "order_line.invoice_lines.price_subtotal",
        "order_line.invoice_lines.amount_currency",
    )
    def _compute_cobranza_uninvoiced_amount(self):
        for order in self:
            if order.state != "sale" or order.invoice_status == "invoiced":
                order.cobranza_uninvoiced_amount = 0.0
                continue
            order.cobranza_uninvoiced_amount = credit.order_uninvoiced(
                order.amount_total,
                [
                    credit.order_line_invoiced(
                        line.amount_currency, line.price_subtotal, line.price_total, line.parent_state
                    )
                    for line in order.order_line.invoice_lines
                ],
            )

    @api.depends("partner_invoice_id", "amount_total", "currency_id", "company_id", "state")
    def _compute_cobranza_credit_status(self):
        self.cobranza_credit_status = False
        self.cobranza_credit_message = False
        Partner = self.env["res.partner"]
        enforced = {company: Partner._cobranza_credit_enforced(company) for company in self.company_id.root_id}
        pending = self.filtered(
            lambda order: (
                order.state in ("draft", "sent")
                and order._cobranza_credit_partner()
                and enforced[order.company_id.root_id]
            )
        )
        Override = self.env["cobranza.credit.override"].sudo()
        for order, decision in pending._cobranza_credit_decisions().items():
            order.cobranza_credit_status = decision.outcome
            if decision.reasons:
                order.cobranza_credit_message = order._cobranza_credit_partner()._cobranza_credit_text(
                    decision, order.company_id, with_approvers=decision.outcome == "block"
                )
            if decision.outcome != "block" or not order._origin:
                continue
            # The block is already being handled: say so instead of repeating it.
            approval = Override._find_usable(order._origin, order._cobranza_credit_amount())
            requested = Override.search(
                [("sale_order_id", "=", order._origin.id), ("state", "=", "requested")], limit=1
            )
            if approval:
                order.cobranza_credit_status = "approved"
                order.cobranza_credit_message = _(
                    "Credit exception approved by %(manager)s up to %(amount)s, valid until %(date)s: "
                    "the order can be confirmed.",
                    manager=approval.approved_by_id.name,
                    amount=approval.currency_id.format(approval.approved_amount),
                    date=format_date(self.env, approval.expiry_date),
                )
            elif requested:
                order.cobranza_credit_status = "requested"
                order.cobranza_credit_message = _(
                    "Approval requested by %(user)s on %(date)s: waiting for %(managers)s.",
                    user=requested.requested_by_id.name,
                    date=format_date(self.env, requested.create_date),
                    managers=", ".join(order.company_id.root_id._cobranza_managers().mapped("name"))
                    or _("a Collections Manager"),
                )

    def _cobranza_credit_partner(self):
        return self.partner_invoice_id.commercial_partner_id._origin

    def _cobranza_credit_address(self):
        return self.partner_invoice_id

    def _cobranza_credit_amount(self):
        """The order total in company currency: what confirming it adds to the exposure."""
        self.ensure_one()
        return self.company_id.currency_id.round(self.amount_total / (self.currency_rate or 1.0))

    def _cobranza_credit_needs_check(self):
        return self.state in ("draft", "sent")

    def action_confirm(self):
        dialog, approvals = self._cobranza_credit_gate()
        if dialog:
            return dialog
        result = super().action_confirm()
        approvals._mark_used()
        return result

    def _validate_order(self):
        # Portal signature and online payment: nobody is at the screen to ask for an approval.
        return super(SaleOrder, self.with_context(cobranza_credit_unattended=True))._validate_order()
