from datetime import timedelta

from odoo import _, api, fields, models

from ..engine import interest


class CobranzaInterestWizard(models.TransientModel):
    """ "Charge interest" for a month: the late interest of some customers (or all) up to its last day.

    Only the days no charge covers yet are charged, so charging the same month again adds nothing.
    """

    _name = "cobranza.interest.wizard"
    _description = "Charge Late Interest"

    month = fields.Date(
        required=True,
        default=lambda self: interest.last_complete_month(fields.Date.context_today(self))[0],
        help="Any day of the month to charge: interest is charged up to its last day "
        "(or yesterday, for the current month).",
    )
    date_to = fields.Date(string="Charge Up To", compute="_compute_date_to")
    profile_ids = fields.Many2many(
        "cobranza.partner.profile",
        string="Customers",
        help="Leave empty to charge every customer whose policy charges interest.",
    )
    company_id = fields.Many2one("res.company", default=lambda self: self.env.company.root_id, required=True)

    @api.depends("month")
    def _compute_date_to(self):
        today = fields.Date.context_today(self)
        for wizard in self:
            month = wizard.month or today
            month_end = interest.monthly_periods(month, month + timedelta(days=31))[0][1]
            wizard.date_to = min(month_end, today - timedelta(days=1))  # today is not over yet

    def action_charge(self):
        self.ensure_one()
        profiles = self.profile_ids
        if not profiles:
            profiles = self.env["cobranza.partner.profile"].search(
                [
                    ("company_id", "=", self.company_id.id),
                    *self.env["cobranza.interest.run"]._charging_domain(),
                ]
            )
        documents = self.env["cobranza.interest.run"]._charge_profiles(profiles, self.date_to)
        if not documents:
            return {
                "type": "ir.actions.client",
                "tag": "display_notification",
                "params": {
                    "type": "info",
                    "message": _("Nothing to charge: every overdue day up to %s is already charged.", self.date_to),
                    "next": {"type": "ir.actions.act_window_close"},
                },
            }
        action = self.env["ir.actions.act_window"]._for_xml_id("account.action_move_out_invoice_type")
        action.update({"domain": [("id", "in", documents.ids)], "context": {"create": False}})
        if len(documents) == 1:
            action.update({"view_mode": "form", "views": [(False, "form")], "res_id": documents.id})
        return action
