from odoo import _, api, fields, models
from odoo.exceptions import UserError


class CobranzaDunningRunWizard(models.TransientModel):
    """Preview what today's dunning run would do, customer by customer and line by line, then do it."""

    _name = "cobranza.dunning.run.wizard"
    _description = "Run Dunning"

    date = fields.Date(default=fields.Date.context_today, readonly=True)
    company_id = fields.Many2one("res.company", default=lambda self: self.env.company.root_id, readonly=True)
    partner_ids = fields.Many2many(
        "res.partner",
        string="Only These Customers",
        domain="[('parent_id', '=', False)]",
        help="Leave empty for every customer with open receivables.",
    )
    line_ids = fields.One2many("cobranza.dunning.run.wizard.line", "wizard_id", string="Preview", readonly=True)
    planned_count = fields.Integer(string="Installments to Remind", compute="_compute_counts")
    customer_count = fields.Integer(string="Customers to Remind", compute="_compute_counts")
    previewed = fields.Boolean(readonly=True)

    @api.depends("line_ids")
    def _compute_counts(self):
        for wizard in self:
            planned = wizard.line_ids.filtered(lambda line: line.decision == "planned")
            wizard.planned_count = len(planned)
            wizard.customer_count = len(planned.partner_id)

    def _profiles(self):
        Profile = self.env["cobranza.partner.profile"]
        if self.partner_ids:
            return Profile._get_profiles(self.partner_ids, self.company_id).sudo()
        Profile.sudo()._create_missing_profiles(limit=100_000)
        return Profile.sudo().search(
            [("company_id", "=", self.company_id.id), ("open_amount", "!=", 0)]
        ) | Profile.sudo().search([("company_id", "=", self.company_id.id), ("metrics_date", "=", False)])

    def action_preview(self):
        self.ensure_one()
        Dunning = self.env["cobranza.dunning"]
        plans = Dunning._plan(self._profiles(), self.date)
        rows = []
        MoveLine = self.env["account.move.line"].sudo()
        for profile, (_policy, _customer, plan) in plans.items():
            for communication in plan.communications:
                for planned in communication.lines:
                    rows.append(
                        {
                            "partner_id": profile.partner_id.id,
                            "move_line_id": planned.line_key,
                            "level_id": planned.level_key,
                            "days_late": planned.days_late,
                            "amount": planned.residual,
                            "decision": "planned",
                        }
                    )
            for skip in plan.skips:
                rows.append(
                    {
                        "partner_id": profile.partner_id.id,
                        "move_line_id": skip.line_key,
                        "level_id": skip.level_key or False,
                        "decision": skip.reason,
                        "next_date": skip.next_date or False,
                    }
                )
        lines = MoveLine.browse([row["move_line_id"] for row in rows])
        by_id = {line.id: line for line in lines}
        for row in rows:
            line = by_id[row["move_line_id"]]
            row.setdefault("amount", line.amount_residual)
            row.setdefault("days_late", (self.date - (line.date_maturity or line.date)).days)
        self.line_ids = [fields.Command.clear()] + [fields.Command.create(row) for row in rows]
        self.previewed = True
        return self._reopen()

    def action_create(self):
        return self._run(send=False)

    def action_create_and_send(self):
        return self._run(send=True)

    def _run(self, send):
        self.ensure_one()
        if not self.env.user.has_group("cobranza_odoo.group_cobranza_user"):
            raise UserError(_("Only the collections team runs dunning."))
        dunnings = self.env["cobranza.dunning"]._run_for(self._profiles(), self.date, send=send)
        if not dunnings:
            raise UserError(_("Nothing to send today: see the preview for the reason of each line."))
        action = self.env["ir.actions.act_window"]._for_xml_id("cobranza_odoo.cobranza_dunning_action")
        action["domain"] = [("id", "in", dunnings.ids)]
        action["context"] = {}
        return action

    def _reopen(self):
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
        }
