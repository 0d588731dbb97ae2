from odoo import _, api, fields, models
from odoo.tools import formatLang

CONDITION_LABELS = [
    ("min_paid_invoices", "Paid invoices at least"),
    ("max_paid_invoices", "Paid invoices at most"),
    ("min_on_time_ratio", "On-time ratio at least (%)"),
    ("max_avg_days_late", "Average days late at most"),
    ("max_worst_days_overdue", "Worst days overdue at most"),
    ("max_overdue_amount", "Overdue amount at most"),
    ("max_credit_use", "Credit use at most (%)"),
    ("max_broken_promises", "Broken promises at most"),
]
PERCENT_CONDITIONS = ("min_on_time_ratio", "max_credit_use")


class CobranzaSegmentRule(models.Model):
    """One condition of a segment over the payment-behaviour metrics (bounds included)."""

    _name = "cobranza.segment.rule"
    _description = "Customer Segment Rule"
    _order = "segment_id, id"

    segment_id = fields.Many2one("cobranza.segment", required=True, ondelete="cascade", index=True)
    condition = fields.Selection(CONDITION_LABELS, required=True)
    value = fields.Float(required=True, help="Percentages are written as 0-100.")

    _sql_constraints = [
        ("condition_uniq", "unique(segment_id, condition)", "A segment uses each rule only once."),
    ]

    def _engine_bound(self):
        """The bound as the engine reads it: ratios as fractions."""
        self.ensure_one()
        return self.value / 100.0 if self.condition in PERCENT_CONDITIONS else self.value

    @api.depends("condition", "value")
    def _compute_display_name(self):
        labels = dict(self._fields["condition"]._description_selection(self.env))
        for rule in self:
            rule.display_name = _(
                "%(condition)s %(value)s",
                condition=labels.get(rule.condition, ""),
                value=_format_number(self.env, rule.value or 0),
            )

    @api.model
    def _describe(self, result):
        """A translated sentence for an engine ConditionResult, e.g. 'Worst days overdue at most 30: 45'."""
        labels = dict(self._fields["condition"]._description_selection(self.env))
        value = result.value
        bound = result.bound
        if result.condition in PERCENT_CONDITIONS:
            bound = round(bound * 100, 1)
            value = None if value is None else round(value * 100, 1)
        return _(
            "%(condition)s %(bound)s: %(value)s",
            condition=labels[result.condition],
            bound=_format_number(self.env, bound),
            value=_("undefined") if value is None else _format_number(self.env, value),
        )


def _format_number(env, value):
    """90.0 → '90', 12.345 → '12.3' (in Spanish '12,3', 1500 → '1.500'): rule explanations read like a
    person wrote them, in the language they are written in."""
    value = round(float(value), 1)
    return formatLang(env, value, digits=0 if value.is_integer() else 1)
