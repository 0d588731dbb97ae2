from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError


class CobranzaCollectorAssignWizard(models.TransientModel):
    """Reassign many customers to one collector at once (Collections Managers)."""

    _name = "cobranza.collector.assign.wizard"
    _description = "Assign Collector"

    profile_ids = fields.Many2many("cobranza.partner.profile", string="Customers")
    collector_id = fields.Many2one("res.users", domain="[('share', '=', False)]")

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        if self.env.context.get("active_model") == "cobranza.partner.profile":
            values["profile_ids"] = [fields.Command.set(self.env.context.get("active_ids", []))]
        return values

    def action_assign(self):
        self.ensure_one()
        if not self.env.user.has_group("cobranza_odoo.group_cobranza_manager"):
            raise AccessError(_("Only Collections Managers reassign customers."))
        if not self.profile_ids:
            raise UserError(_("Select the customers to reassign."))
        self.profile_ids.collector_id = self.collector_id
        return {"type": "ir.actions.act_window_close"}
