from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..engine import dunning_levels


class CobranzaPolicy(models.Model):
    """A dunning policy: ordered levels from the friendly reminder to the legal hand-off."""

    _name = "cobranza.policy"
    _description = "Dunning Policy"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company.root_id)
    level_ids = fields.One2many("cobranza.policy.level", "policy_id", string="Levels", copy=True)
    split_by_level = fields.Boolean(
        string="One Communication per Level",
        help="Send a separate communication for each level instead of one per customer listing every line at "
        "its own level.",
    )
    description = fields.Text(translate=True)

    @api.constrains("level_ids")
    def _check_levels(self):
        for policy in self.filtered("active"):
            try:
                dunning_levels.validate_policy(policy._engine_levels())
            except dunning_levels.PolicyError as error:
                raise ValidationError(
                    _("Policy %(policy)s: %(problem)s", policy=policy.name, problem=self._policy_error(error.reason))
                ) from error

    @api.model
    def _policy_error(self, reason):
        messages = {
            "no_levels": _("a dunning policy needs at least one level."),
            "duplicate_offset": _("two levels cannot fall on the same day."),
            "offsets_not_increasing": _(
                "levels must come later and later; order them by their days from the due date."
            ),
            "preventive_not_before_due": _("a preventive level must come before the due date (negative days)."),
            "overdue_level_not_after_due": _(
                "administrative, pre-legal and judicial levels come after the due date (positive days)."
            ),
            "stage_order": _("stages cannot go backwards: preventive, administrative, pre-legal, then judicial."),
            "negative_interval": _("the minimum interval between levels cannot be negative."),
            "negative_amount": _("the minimum amount of a level cannot be negative."),
            "unknown_stage": _("unknown dunning stage."),
            "required_preventive": _(
                "a preventive level cannot be a required step: a line seen after its due date could never receive it."
            ),
        }
        return messages[reason]

    def _engine_levels(self):
        self.ensure_one()
        return [level._engine_level() for level in self.level_ids]
