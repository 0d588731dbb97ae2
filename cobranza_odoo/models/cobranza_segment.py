from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..engine import segmentation


class CobranzaSegment(models.Model):
    """An ordered customer segment: the first whose rules hold classifies the customer.

    A segment also says how its customers are treated: the credit check (its own action and
    hold days instead of the company's) and who collects from them by default. Dunning policy
    and incentive program, for its customers without their own.
    """

    _name = "cobranza.segment"
    _description = "Customer Segment"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    code = fields.Char(help="Short code shown in lists, e.g. A, B, C.")
    sequence = fields.Integer(default=10, help="Segments are tried in this order; the first whose rules hold wins.")
    active = fields.Boolean(default=True)
    color = fields.Integer()
    company_id = fields.Many2one("res.company", help="Leave empty to use the segment in every company.")
    description = fields.Text(translate=True)
    rule_ids = fields.One2many("cobranza.segment.rule", "segment_id", string="Rules", copy=True)
    credit_action = fields.Selection(
        [("company", "Company setting"), ("none", "Do not check"), ("warn", "Warn"), ("block", "Block")],
        string="Credit Check",
        default="company",
        required=True,
        help="How the credit limit is enforced for the customers of this segment.",
    )
    hold_days = fields.Integer(
        string="Automatic Hold After",
        help="Days overdue after which the customers of this segment are on automatic credit hold. "
        "0 uses the company setting.",
    )
    collector_id = fields.Many2one(
        "res.users",
        string="Default Collector",
        domain="[('share', '=', False)]",
        help="Assigned to the customers of this segment who have no collector yet.",
    )
    policy_id = fields.Many2one(
        "cobranza.policy", string="Dunning Policy", help="Instead of the company's default dunning policy."
    )
    incentive_id = fields.Many2one(
        "cobranza.incentive",
        string="Early-Payment Incentive",
        help="Offered on the invoices of this segment's customers, instead of the company's default program.",
    )
    interest_policy_id = fields.Many2one(
        "cobranza.interest.policy",
        string="Late Interest Policy",
        help="Late-payment interest of this segment's customers, instead of the company's default policy.",
    )
    portal_promise_max_days = fields.Integer(
        string="Portal Promises Up To",
        help="Days ahead the customers of this segment may promise to pay from the portal. 0 uses the company setting.",
    )
    customer_count = fields.Integer(string="Customers", compute="_compute_customer_count")

    @api.constrains("hold_days", "portal_promise_max_days")
    def _check_hold_days(self):
        for segment in self:
            if segment.hold_days < 0:
                raise ValidationError(_("The days before an automatic credit hold cannot be negative."))
            if segment.portal_promise_max_days < 0:
                raise ValidationError(_("The days ahead of a portal promise cannot be negative (0 turns them off)."))

    @api.constrains("rule_ids")
    def _check_rules(self):
        messages = {
            "negative_bound": _("Segment rules cannot use negative values."),
            "ratio_out_of_range": _("An on-time ratio is a percentage between 0 and 100."),
            "min_above_max": _("The minimum of paid invoices is above the maximum."),
            "unknown_condition": _("Unknown segment rule."),
        }
        for segment in self:
            conditions = [rule.condition for rule in segment.rule_ids]
            if len(conditions) != len(set(conditions)):
                raise ValidationError(_("Segment %s has the same rule twice.", segment.name))
            try:
                segmentation.validate_conditions(segment._engine_conditions())
            except segmentation.SegmentRuleError as error:
                raise ValidationError(messages[error.reason]) from error

    def _compute_customer_count(self):
        counts = dict(
            self.env["cobranza.partner.profile"]._read_group(
                [("segment_id", "in", self.ids)], ["segment_id"], ["__count"]
            )
        )
        for segment in self:
            segment.customer_count = counts.get(segment, 0)

    def _engine_conditions(self):
        self.ensure_one()
        return {rule.condition: rule._engine_bound() for rule in self.rule_ids}

    def _engine_segment(self):
        self.ensure_one()
        return segmentation.Segment(self.id, self.sequence, self._engine_conditions())

    @api.model
    def _for_company(self, company):
        """Active segments that apply in ``company``, in order."""
        return self.search(["|", ("company_id", "=", False), ("company_id", "=", company.id)])

    def action_open_customers(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("cobranza_odoo.cobranza_partner_profile_action")
        action["domain"] = [("segment_id", "=", self.id)]
        action["context"] = {}
        return action
