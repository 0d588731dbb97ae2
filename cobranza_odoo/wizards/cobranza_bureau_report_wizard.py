from odoo import fields, models

from ..models.cobranza_bureau_line import BUREAUS


class CobranzaBureauReportWizard(models.TransientModel):
    """Record that reportable obligations were reported to a credit bureau (a manager's action)."""

    _name = "cobranza.bureau.report.wizard"
    _description = "Mark as Reported"

    bureau = fields.Selection(BUREAUS, required=True, default="datacredito")
    date = fields.Date(string="Reported On", required=True, default=fields.Date.context_today)
    line_ids = fields.Many2many(
        "cobranza.bureau.line", string="Obligations", default=lambda self: self.env.context.get("active_ids")
    )

    def action_confirm(self):
        self.ensure_one()
        self.line_ids._mark_reported(self.bureau, self.date)
        return {"type": "ir.actions.act_window_close"}
