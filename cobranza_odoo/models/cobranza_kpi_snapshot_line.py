from odoo import fields, models

from .cobranza_policy_level import STAGES


class CobranzaKpiSnapshotLine(models.Model):
    """One row of a monthly KPI snapshot: a dunning stage's recovery, or a collector's performance."""

    _name = "cobranza.kpi.snapshot.line"
    _description = "Collections KPIs: detail"
    _order = "snapshot_id, kind, stage, collector_id"

    snapshot_id = fields.Many2one("cobranza.kpi.snapshot", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="snapshot_id.company_id", store=True)
    currency_id = fields.Many2one(related="snapshot_id.currency_id")
    period_start = fields.Date(related="snapshot_id.period_start", store=True, string="Month")
    kind = fields.Selection([("stage", "Recovery by stage"), ("collector", "Collector")], required=True)
    stage = fields.Selection(STAGES)
    collector_id = fields.Many2one("res.users")
    communications = fields.Integer()
    dunned = fields.Monetary(string="Amount Dunned")
    collected = fields.Monetary()
    recovery_percent = fields.Float(string="Recovered within 30 Days (%)", digits=(16, 1), aggregator="avg")
    contacts = fields.Integer()
    promises_made = fields.Integer()
    promises_due = fields.Integer()
    promises_kept = fields.Integer()
    kept_percent = fields.Float(string="Promises Kept (%)", digits=(16, 1), aggregator="avg")
