from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    cobranza_grace_days = fields.Integer(related="company_id.cobranza_grace_days", readonly=False)
    cobranza_tolerance_amount = fields.Monetary(related="company_id.cobranza_tolerance_amount", readonly=False)
    cobranza_aging_buckets = fields.Char(related="company_id.cobranza_aging_buckets", readonly=False)
    cobranza_credit_action = fields.Selection(related="company_id.cobranza_credit_action", readonly=False)
    cobranza_credit_check_invoices = fields.Boolean(related="company_id.cobranza_credit_check_invoices", readonly=False)
    cobranza_credit_hold_days = fields.Integer(related="company_id.cobranza_credit_hold_days", readonly=False)
    cobranza_payment_instructions = fields.Html(related="company_id.cobranza_payment_instructions", readonly=False)
    cobranza_metrics_window_days = fields.Integer(related="company_id.cobranza_metrics_window_days", readonly=False)
    cobranza_due_soon_days = fields.Integer(related="company_id.cobranza_due_soon_days", readonly=False)
    cobranza_serious_days = fields.Integer(related="company_id.cobranza_serious_days", readonly=False)
