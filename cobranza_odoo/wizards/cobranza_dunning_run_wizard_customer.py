from odoo import fields, models


class CobranzaDunningRunWizardCustomer(models.TransientModel):
    """One customer of the dunning preview: what it will get, in one line."""

    _name = "cobranza.dunning.run.wizard.customer"
    _description = "Run Dunning: preview customer"
    _order = "amount desc, id"

    wizard_id = fields.Many2one("cobranza.dunning.run.wizard", required=True, ondelete="cascade")
    partner_id = fields.Many2one("res.partner", string="Customer")
    level_id = fields.Many2one("cobranza.policy.level")
    planned_count = fields.Integer(string="Installments")
    skipped_count = fields.Integer(string="Skipped")
    amount = fields.Float(string="Amount Due")
    contact_note = fields.Char(string="Contact Rules")
