from odoo import api, fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    cobranza_policy_id = fields.Many2one(related="company_id.cobranza_policy_id", readonly=False)
    cobranza_bureau_enabled = fields.Boolean(related="company_id.cobranza_bureau_enabled", readonly=False)
    cobranza_bureau_wait_days = fields.Integer(related="company_id.cobranza_bureau_wait_days", readonly=False)
    cobranza_bureau_max_report_months = fields.Integer(
        related="company_id.cobranza_bureau_max_report_months", readonly=False
    )
    cobranza_contact_rules_all_customers = fields.Boolean(
        related="company_id.cobranza_contact_rules_all_customers", readonly=False
    )
    cobranza_contact_count_attempts = fields.Boolean(
        related="company_id.cobranza_contact_count_attempts", readonly=False
    )
    cobranza_dunning_mode = fields.Selection(related="company_id.cobranza_dunning_mode", readonly=False)
    cobranza_incentive_id = fields.Many2one(related="company_id.cobranza_incentive_id", readonly=False)
    cobranza_cost_of_funds = fields.Float(related="company_id.cobranza_cost_of_funds", readonly=False)
    cobranza_other_dunning_modules = fields.Char(
        string="Other Dunning Engines", compute="_compute_cobranza_other_dunning_modules"
    )
    cobranza_agreement_approval_amount = fields.Monetary(
        related="company_id.cobranza_agreement_approval_amount", readonly=False
    )
    cobranza_agreement_approval_installments = fields.Integer(
        related="company_id.cobranza_agreement_approval_installments", readonly=False
    )
    cobranza_agreement_reminder_days = fields.Integer(
        related="company_id.cobranza_agreement_reminder_days", readonly=False
    )
    cobranza_portal_promise_max_days = fields.Integer(
        related="company_id.cobranza_portal_promise_max_days", readonly=False
    )
    cobranza_interest_account_id = fields.Many2one(related="company_id.cobranza_interest_account_id", readonly=False)
    cobranza_interest_policy_id = fields.Many2one(related="company_id.cobranza_interest_policy_id", readonly=False)
    cobranza_settlement_approval_amount = fields.Monetary(
        related="company_id.cobranza_settlement_approval_amount", readonly=False
    )
    cobranza_settlement_account_id = fields.Many2one(
        related="company_id.cobranza_settlement_account_id", readonly=False
    )
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

    @api.depends("company_id")
    def _compute_cobranza_other_dunning_modules(self):
        """Other dunning engines installed here: two engines would remind the same customers twice."""
        installed = (
            self.env["ir.module.module"]
            .sudo()
            .search([("name", "in", ("account_followup", "account_credit_control")), ("state", "=", "installed")])
        )
        self.cobranza_other_dunning_modules = ", ".join(installed.mapped("shortdesc")) or False
