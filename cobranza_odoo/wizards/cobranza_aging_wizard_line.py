from odoo import fields, models


class CobranzaAgingWizardLine(models.TransientModel):
    _name = "cobranza.aging.wizard.line"
    _description = "Aging at a Date: line"
    _order = "partner_id, bucket_index"

    wizard_id = fields.Many2one("cobranza.aging.wizard", required=True, ondelete="cascade")
    currency_id = fields.Many2one(related="wizard_id.currency_id")
    partner_id = fields.Many2one("res.partner", string="Customer")
    bucket = fields.Char(string="Aging Bucket")
    bucket_index = fields.Integer()
    amount = fields.Monetary()
