from odoo import _, api, fields, models

SKIP_REASONS = [
    ("planned", "Will be sent"),
    ("customer_excluded", "Customer excluded from dunning"),
    ("customer_paused", "Dunning paused for the customer"),
    ("already_processed", "Already handled today"),
    ("below_tolerance", "Below the tolerance"),
    ("in_dispute", "Invoice in dispute"),
    ("under_agreement", "Under a payment agreement"),
    ("covered_by_credits", "Covered by the customer's credits"),
    ("last_level_reached", "Last level already sent"),
    ("not_due_yet", "Next level not due yet"),
    ("interval_not_elapsed", "Too soon after the previous level"),
    ("below_min_amount", "Customer owes less than the level's minimum"),
    ("in_legal_collection", "In legal collection: the lawyer handles it"),
]


class CobranzaDunningRunWizardLine(models.TransientModel):
    _name = "cobranza.dunning.run.wizard.line"
    _description = "Run Dunning: preview line"
    _order = "partner_id, decision, id"

    wizard_id = fields.Many2one("cobranza.dunning.run.wizard", required=True, ondelete="cascade")
    partner_id = fields.Many2one("res.partner", string="Customer")
    move_line_id = fields.Many2one("account.move.line", string="Installment")
    move_id = fields.Many2one(related="move_line_id.move_id", string="Invoice")
    date_maturity = fields.Date(related="move_line_id.date_maturity")
    level_id = fields.Many2one("cobranza.policy.level")
    target_level_id = fields.Many2one("cobranza.policy.level", string="Level Due")
    caught_up = fields.Boolean(help="First seen long after its due date: it skips the levels it is past.")
    held_at_required = fields.Boolean(
        string="Held at a Required Step", help="A later level is due, but this required one comes first."
    )
    note = fields.Char(compute="_compute_note")
    contact_note = fields.Char(string="Contact Rules", help="Why the contact rules would defer or refuse it now.")
    days_late = fields.Integer()
    amount = fields.Float(string="Amount Due")
    decision = fields.Selection(SKIP_REASONS)
    next_date = fields.Date(string="Possible From")

    @api.depends("caught_up", "held_at_required", "level_id", "target_level_id")
    def _compute_note(self):
        for line in self:
            if line.held_at_required:
                line.note = _(
                    "%(level)s is due, but the required %(required)s comes first.",
                    level=line.target_level_id.name,
                    required=line.level_id.name,
                )
            elif line.caught_up:
                line.note = _("Caught up: goes straight to %s.", line.level_id.name)
            else:
                line.note = False
