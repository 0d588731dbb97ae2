from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

# A run from the screen handles at most this many customers itself; the whole portfolio goes to the
# scheduled action, which works in bounded batches.
RUN_NOW_LIMIT = 50


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
    customer_ids = fields.One2many(
        "cobranza.dunning.run.wizard.customer", "wizard_id", string="Customers", readonly=True
    )
    planned_count = fields.Integer(string="Installments to Remind", compute="_compute_counts")
    customer_count = fields.Integer(string="Customers to Remind", compute="_compute_counts")
    previewed = fields.Boolean(readonly=True)
    remaining_count = fields.Integer(
        string="Customers Left Today", compute="_compute_remaining", help="Customers the daily run still has to handle."
    )

    @api.depends("line_ids")
    def _compute_counts(self):
        for wizard in self:
            planned = wizard.line_ids.filtered(lambda line: line.decision == "planned")
            wizard.planned_count = len(planned)
            wizard.customer_count = len(planned.partner_id)

    def _compute_remaining(self):
        count = self.env["cobranza.dunning.run"].sudo()._count_candidates(fields.Date.context_today(self))
        for wizard in self:
            wizard.remaining_count = count

    def _profiles(self):
        Profile = self.env["cobranza.partner.profile"]
        if self.partner_ids:
            return Profile._get_profiles(self.partner_ids, self.company_id).sudo()
        self.env["cobranza.profile.refresh"]._create_missing_profiles(limit=100_000)
        return Profile.sudo().search(
            [("company_id", "=", self.company_id.id), ("open_amount", "!=", 0)]
        ) | Profile.sudo().search([("company_id", "=", self.company_id.id), ("metrics_date", "=", False)])

    def action_preview(self):
        self.ensure_one()
        plans = self.env["cobranza.dunning.run"]._plan(self._profiles(), self.date)
        rows = []
        MoveLine = self.env["account.move.line"].sudo()
        notes = self._contact_notes(plans)
        for profile, (_policy, _customer, plan) in plans.items():
            for communication in plan.communications:
                for planned in communication.lines:
                    rows.append(
                        {
                            "partner_id": profile.partner_id.id,
                            "move_line_id": planned.line_key,
                            "level_id": planned.level_key,
                            "target_level_id": planned.target_level_key or False,
                            "caught_up": planned.caught_up,
                            "held_at_required": planned.held_at_required,
                            "days_late": planned.days_late,
                            "amount": planned.residual,
                            "decision": "planned",
                            "contact_note": notes.get((profile.id, communication.level_key), False),
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
        self.customer_ids = [fields.Command.clear()] + [
            fields.Command.create(values) for values in self._customer_summary(plans, rows, notes)
        ]
        self.previewed = True
        return self._reopen()

    def _customer_summary(self, plans, rows, notes):
        """One line per customer: the level it gets, how many installments, how much, the contact rules."""
        summary = []
        by_partner = {}
        for row in rows:
            by_partner.setdefault(row["partner_id"], []).append(row)
        for profile, (_policy, _customer, plan) in plans.items():
            partner_rows = by_partner.get(profile.partner_id.id, [])
            planned = [row for row in partner_rows if row["decision"] == "planned"]
            if not partner_rows:
                continue
            top = plan.communications[-1].level_key if plan.communications else False
            summary.append(
                {
                    "partner_id": profile.partner_id.id,
                    "level_id": top,
                    "planned_count": len(planned),
                    "skipped_count": len(partner_rows) - len(planned),
                    "amount": sum(row["amount"] for row in planned),
                    "contact_note": notes.get((profile.id, top), False),
                }
            )
        return summary

    def action_open_lines(self):
        """Every line of the preview in a full list, grouped by customer."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Dunning Preview"),
            "res_model": "cobranza.dunning.run.wizard.line",
            "view_mode": "list",
            "domain": [("wizard_id", "=", self.id)],
            "context": {"group_by": ["partner_id"]},
            "target": "current",
        }

    def _contact_notes(self, plans):
        """{(profile id, level id): why the contact rules would defer or refuse it now}."""
        Gate = self.env["cobranza.contact.gate"]
        Level = self.env["cobranza.policy.level"]
        now = fields.Datetime.now()
        notes = {}
        profiles = self.env["cobranza.partner.profile"].union(*plans) if plans else self.env["cobranza.partner.profile"]
        for company, company_profiles in profiles.grouped("company_id").items():
            gate = Gate._gate_context(company_profiles.partner_id, company, now)
            for profile in company_profiles:
                for communication in plans[profile][2].communications:
                    level = Level.browse(communication.level_key)
                    channel = "email" if level.send_email else "sms" if level.send_sms else "letter"
                    decision = gate.decide(profile.partner_id.id, channel, now)
                    if not decision.allowed:
                        notes[(profile.id, level.id)] = Gate._explain(decision, profile.partner_id)
        return notes

    def action_create(self):
        return self._run(send=False)

    def action_create_and_send(self):
        return self._run(send=True)

    def _run(self, send):
        """A few customers are handled now; the whole portfolio is handed to the scheduled run."""
        self.ensure_one()
        if not self.env.user.has_group("cobranza_odoo.group_cobranza_user"):
            raise UserError(_("Only the collections team runs dunning."))
        if not self.partner_ids or len(self.partner_ids) > RUN_NOW_LIMIT:
            return self._start_scheduled_run(send)
        Run = self.env["cobranza.dunning.run"]
        profiles = self._profiles()
        claimed = profiles.browse(
            Run._claim(
                SQL("SELECT id FROM cobranza_partner_profile WHERE id = ANY(%s)", profiles.ids),
                len(profiles),
            )
        )
        dunnings = Run._run_for(claimed, self.date, send=send)
        busy = profiles - claimed
        if not dunnings:
            if busy:
                raise UserError(
                    _(
                        "The daily run is handling these customers right now: %s. Look at their communications "
                        "in a moment.",
                        ", ".join(busy.partner_id.mapped("display_name")),
                    )
                )
            raise UserError(_("Nothing to send today: see the preview for the reason of each line."))
        action = self.env["ir.actions.act_window"]._for_xml_id("cobranza_odoo.cobranza_dunning_action")
        action["domain"] = [("id", "in", dunnings.ids)]
        action["context"] = {}
        return action

    def _start_scheduled_run(self, send):
        """Ask the scheduled action to run now: it handles every customer in bounded batches, in the
        company's mode, alongside anything already running, without duplicates.

        The scheduled run works in the company's mode only: a button asking for another mode says so
        instead of doing something else than what it says.
        """
        mode = self.company_id.root_id.cobranza_dunning_mode
        if mode == "off":
            raise UserError(
                _(
                    "The daily dunning run is off for %(company)s: choose the customers to handle now (up to "
                    "%(limit)s), or switch the run on in Settings › Collections.",
                    company=self.company_id.root_id.name,
                    limit=RUN_NOW_LIMIT,
                )
            )
        if send != (mode == "send"):
            raise UserError(
                _(
                    "For the whole portfolio the daily run works as set in Settings › Collections (%(mode)s). "
                    "Use that button, or choose up to %(limit)s customers to handle now.",
                    mode=dict(self.company_id._fields["cobranza_dunning_mode"]._description_selection(self.env))[mode],
                    limit=RUN_NOW_LIMIT,
                )
            )
        self.env["cobranza.dunning.run"]._trigger_workers()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "info",
                "sticky": False,
                "message": _(
                    "The daily dunning run was started: %(count)s customers left to handle today. Its "
                    "communications appear in Collections › Communications as it goes.",
                    count=self.remaining_count,
                ),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    def _reopen(self):
        return {
            "type": "ir.actions.act_window",
            "name": _("Run Dunning"),
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
        }
