from odoo import api, fields, models

from . import bulk_write


class CobranzaSegmentChange(models.Model):
    """The history of a customer's segment: old → new, when and why (a rule, or who)."""

    _name = "cobranza.segment.change"
    _description = "Customer Segment Change"
    _order = "date desc, id desc"

    profile_id = fields.Many2one("cobranza.partner.profile", required=True, ondelete="cascade", index=True)
    partner_id = fields.Many2one("res.partner", string="Customer", required=True, index=True, ondelete="cascade")
    company_id = fields.Many2one("res.company", required=True, index=True)
    date = fields.Datetime(required=True, default=fields.Datetime.now)
    old_segment_id = fields.Many2one("cobranza.segment", string="From", ondelete="set null")
    new_segment_id = fields.Many2one("cobranza.segment", string="To", ondelete="set null")
    source = fields.Selection(
        [("rule", "Daily classification"), ("manual", "Set by hand"), ("lock", "Locked")],
        required=True,
        default="rule",
    )
    reason = fields.Text(help="The rules that classified the customer, or the manager's reason.")
    user_id = fields.Many2one("res.users", string="By", default=lambda self: self.env.user)

    @api.model
    def _bulk_log(self, changes, source, user=None):
        """Record many segment changes in one INSERT: [(profile, old segment, new segment, reason)]."""
        if not changes:
            return
        now = fields.Datetime.now()
        user_id = user.id if user else None
        bulk_write.bulk_insert(
            self,
            [
                "profile_id",
                "partner_id",
                "company_id",
                "date",
                "old_segment_id",
                "new_segment_id",
                "source",
                "reason",
                "user_id",
            ],
            [
                (
                    profile.id,
                    profile.partner_id.id,
                    profile.company_id.id,
                    now,
                    old.id or None,
                    new.id or None,
                    source,
                    reason,
                    user_id,
                )
                for profile, old, new, reason in changes
            ],
        )
        self.env["cobranza.partner.profile"].browse([change[0].id for change in changes]).invalidate_recordset(
            ["segment_change_ids"]
        )
