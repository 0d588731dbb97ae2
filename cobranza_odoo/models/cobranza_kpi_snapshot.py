from collections import defaultdict
from datetime import timedelta

from odoo import Command, _, api, fields, models

from ..engine import aging, kpis, payment_plans

COUNTBACK_MONTHS = 12


class CobranzaKpiSnapshot(models.Model):
    """Collections KPIs of one company for one calendar month, for graph and pivot dashboards."""

    _name = "cobranza.kpi.snapshot"
    _description = "Collections KPIs"
    _order = "period_start desc, company_id"
    _rec_name = "name"

    name = fields.Char(compute="_compute_name", store=True)
    company_id = fields.Many2one("res.company", required=True, index=True, readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    period_start = fields.Date(string="Month", required=True, readonly=True, index=True)
    period_end = fields.Date(readonly=True)
    opening_receivable = fields.Monetary(readonly=True)
    credit_sales = fields.Monetary(readonly=True)
    closing_receivable = fields.Monetary(readonly=True)
    closing_current = fields.Monetary(string="Closing Current Receivable", readonly=True)
    closing_over_90 = fields.Monetary(string="Closing Receivable Over 90 Days", readonly=True)
    dso_countback = fields.Float(string="DSO (countback)", digits=(16, 1), readonly=True, aggregator="avg")
    dso_countback_capped = fields.Boolean(string="DSO Beyond 12 Months", readonly=True)
    dso_standard = fields.Float(string="DSO (standard)", digits=(16, 1), readonly=True, aggregator="avg")
    best_possible_dso = fields.Float(string="Best Possible DSO", digits=(16, 1), readonly=True, aggregator="avg")
    add = fields.Float(
        string="ADD",
        digits=(16, 1),
        readonly=True,
        aggregator="avg",
        help="Average days delinquent: DSO (standard) − best possible DSO.",
    )
    cei = fields.Float(
        string="CEI (%)",
        digits=(16, 1),
        readonly=True,
        aggregator="avg",
        help="Collection effectiveness index: what was collected out of what could be collected.",
    )
    current_percent = fields.Float(string="Current (%)", digits=(16, 1), readonly=True, aggregator="avg")
    over_90_percent = fields.Float(string="Over 90 Days (%)", digits=(16, 1), readonly=True, aggregator="avg")
    promises_due = fields.Integer(readonly=True)
    promises_kept = fields.Integer(readonly=True)
    promises_kept_percent = fields.Float(string="Promises Kept (%)", digits=(16, 1), readonly=True, aggregator="avg")
    line_ids = fields.One2many("cobranza.kpi.snapshot.line", "snapshot_id", string="Details", readonly=True)
    stage_line_ids = fields.One2many(
        "cobranza.kpi.snapshot.line", "snapshot_id", domain=[("kind", "=", "stage")], string="Recovery by Stage"
    )
    collector_line_ids = fields.One2many(
        "cobranza.kpi.snapshot.line", "snapshot_id", domain=[("kind", "=", "collector")], string="Collectors"
    )

    _sql_constraints = [
        ("company_period_uniq", "unique(company_id, period_start)", "One KPI snapshot per company and month."),
    ]

    @api.depends("period_start")
    def _compute_name(self):
        for snapshot in self:
            snapshot.name = snapshot.period_start.strftime("%Y-%m") if snapshot.period_start else "/"

    # ------------------------------------------------------------------ computing

    @api.model
    def _compute_month(self, company, month_start):
        """Compute (or recompute) the snapshot of ``company`` for the month starting ``month_start``."""
        company = self.env["cobranza.receivable.facts"]._scope_company(company)
        figures = self._gather_figures(company, month_start)
        result = kpis.period_kpis(figures, rounding=company.currency_id.rounding)
        values = self._prepare_values(company, figures, result)
        snapshot = self.sudo().search([("company_id", "=", company.id), ("period_start", "=", month_start)])
        if snapshot:
            snapshot.write({**values, "line_ids": [Command.clear()] + values["line_ids"]})
        else:
            snapshot = self.sudo().create(values)
        return snapshot

    @api.model
    def _gather_figures(self, company, month_start):
        """Everything the engine needs for one company and month, read in bulk."""
        Facts = self.env["cobranza.receivable.facts"]
        month = kpis.month_of(month_start)
        end = month.end
        closing_rows = Facts._open_receivables_at(company, end)
        position = kpis.receivable_position(
            [
                aging.OpenAmount(partner_id, maturity, residual)
                for _line, partner_id, maturity, residual in closing_rows
            ],
            end,
            company.currency_id.rounding,
        )
        months = kpis.last_months(end, COUNTBACK_MONTHS)
        sales_by_month = self._monthly_credit_sales(company, months[-1].start, end)
        promises_due, promises_kept = self._promise_counts(company, month.start, end)
        return kpis.PeriodFigures(
            period_start=month.start,
            period_end=end,
            opening_receivable=Facts._receivable_balance_at(company, month.start - timedelta(days=1)),
            credit_sales=sales_by_month.get(month.start, 0.0),
            closing_receivable=position.total,
            closing_current_receivable=position.current,
            closing_over_90_receivable=position.over_90,
            monthly_sales=tuple((sales_by_month.get(item.start, 0.0), item.days) for item in months),
            promises_due=promises_due,
            promises_kept=promises_kept,
            communications=self._stage_communications(company, month.start, end),
            collector_activity=self._collector_activity(company, month.start, end),
        )

    @api.model
    def _monthly_credit_sales(self, company, date_from, date_to):
        """{month start: net credit sales} (read through the facts layer)."""
        return self.env["cobranza.receivable.facts"]._monthly_credit_sales(company, date_from, date_to)

    @api.model
    def _promise_counts(self, company, date_from, date_to):
        """Promises falling due in the period, and those paid in full by their date + grace days."""
        promises = self._promises_due(company, date_from, date_to)
        return len(promises), len(promises.filtered(self._promise_kept))

    @api.model
    def _promises_due(self, company, date_from, date_to):
        """Promises to pay of the company falling due in the period (not drafts nor cancelled)."""
        return (
            self.env["cobranza.agreement"]
            .sudo()
            .search(
                [
                    ("company_id", "=", company.id),
                    ("kind", "=", "promise"),
                    ("state", "in", ("active", "done", "broken")),
                    ("first_date", ">=", date_from),
                    ("first_date", "<=", date_to),
                ]
            )
        )

    @staticmethod
    def _promise_kept(promise):
        """Kept: every installment paid in full by its date + the promise's grace days (the engine's rule)."""
        return payment_plans.kept_on_time(
            [(item.date, item.paid_date or None) for item in promise.installment_ids], promise.grace_days
        )

    @api.model
    def _stage_communications(self, company, date_from, date_to):
        """Each communication of the period: its stage, what it dunned, what came in within the recovery window."""
        rows = self.env["cobranza.receivable.facts"]._collected_after_communications(
            company, date_from, date_to, kpis.RECOVERY_WINDOW_DAYS
        )
        return tuple(kpis.StageCommunication(stage, dunned, collected) for _id, stage, dunned, collected in rows)

    @api.model
    def _collector_activity(self, company, date_from, date_to):
        """Per collector: payments collected from its customers, communications sent, promises made/due/kept."""
        collected = self.env["cobranza.receivable.facts"]._collected_by_collector(company, date_from, date_to)
        contacts = (
            self.env["cobranza.dunning"]
            .sudo()
            ._read_group(
                [
                    ("company_id", "=", company.id),
                    ("state", "in", ("sent", "failed")),
                    ("date", ">=", date_from),
                    ("date", "<=", date_to),
                ],
                ["collector_id"],
                ["__count"],
            )
        )
        made = (
            self.env["cobranza.agreement"]
            .sudo()
            ._read_group(
                [
                    ("company_id", "=", company.id),
                    ("kind", "=", "promise"),
                    ("create_date", ">=", date_from),
                    ("create_date", "<", date_to + timedelta(days=1)),
                ],
                ["collector_id"],
                ["__count"],
            )
        )
        activity = defaultdict(lambda: {"collected": 0.0, "contacts": 0, "promises_made": 0})
        for collector_id, amount in collected:
            activity[collector_id or None]["collected"] += amount
        for collector, count in contacts:
            activity[collector.id or None]["contacts"] += count
        for collector, count in made:
            activity[collector.id or None]["promises_made"] += count
        due = self._promises_due(company, date_from, date_to)
        rows = [
            kpis.CollectorActivity(
                collector=key,
                collected=values["collected"],
                contacts=values["contacts"],
                promises_made=values["promises_made"],
            )
            for key, values in activity.items()
        ]
        for promise in due:
            rows.append(
                kpis.CollectorActivity(
                    collector=promise.collector_id.id or None,
                    promises_due=1,
                    promises_kept=int(self._promise_kept(promise)),
                )
            )
        return tuple(rows)

    @api.model
    def _prepare_values(self, company, figures, result):
        def kpi(value):
            return kpis.round_kpi(value) if value is not None else False

        lines = [
            Command.create(
                {
                    "kind": "stage",
                    "stage": stage,
                    "dunned": recovery.dunned,
                    "collected": recovery.collected,
                    "recovery_percent": kpi(recovery.recovery_percent),
                    "communications": recovery.communications,
                }
            )
            for stage, recovery in result.recovery_by_stage.items()
        ] + [
            Command.create(
                {
                    "kind": "collector",
                    "collector_id": collector or False,
                    "collected": performance.collected,
                    "contacts": performance.contacts,
                    "promises_made": performance.promises_made,
                    "promises_due": performance.promises_due,
                    "promises_kept": performance.promises_kept,
                    "kept_percent": kpi(performance.promises_kept_percent),
                }
            )
            for collector, performance in result.collectors.items()
        ]
        return {
            "company_id": company.id,
            "period_start": figures.period_start,
            "period_end": figures.period_end,
            "opening_receivable": figures.opening_receivable,
            "credit_sales": figures.credit_sales,
            "closing_receivable": figures.closing_receivable,
            "closing_current": figures.closing_current_receivable,
            "closing_over_90": figures.closing_over_90_receivable,
            "dso_countback": kpi(result.dso_countback),
            "dso_countback_capped": result.countback.capped,
            "dso_standard": kpi(result.dso_standard),
            "best_possible_dso": kpi(result.best_possible_dso),
            "add": kpi(result.add),
            "cei": kpi(result.cei),
            "current_percent": kpi(result.current_percent),
            "over_90_percent": kpi(result.over_90_percent),
            "promises_due": figures.promises_due,
            "promises_kept": figures.promises_kept,
            "promises_kept_percent": kpi(result.promises_kept_percent),
            "line_ids": lines,
        }

    # ------------------------------------------------------------------ scheduled action and back-fill

    @api.model
    def _cron_monthly_kpis(self):
        """Scheduled action: the previous month's snapshot of every company, one company per call."""
        today = fields.Date.context_today(self)
        previous = kpis.month_start(kpis.month_start(today) - timedelta(days=1))
        companies = self.env["res.company"].sudo().search([("parent_id", "=", False)])
        done = self.sudo().search([("period_start", "=", previous)]).company_id
        todo = companies - done
        if todo:
            self._compute_month(todo[0], previous)
        self.env["ir.cron"]._notify_progress(done=1 if todo else 0, remaining=max(len(todo) - 1, 0))

    @api.model
    def action_backfill(self, months=12):
        """(Re)compute the last ``months`` complete months of the current company."""
        company = self.env["cobranza.receivable.facts"]._scope_company(self.env.company)
        today = fields.Date.context_today(self)
        snapshots = self.browse()
        for month in kpis.last_months(kpis.month_start(today) - timedelta(days=1), months):
            snapshots |= self._compute_month(company, month.start)
        return {
            "type": "ir.actions.act_window",
            "name": _("Collections KPIs"),
            "res_model": self._name,
            "view_mode": "graph,list,pivot,form",
            "domain": [("id", "in", snapshots.ids)],
        }

    # ------------------------------------------------------------------ links to the underlying lists

    def action_open_aging(self):
        return self.env["ir.actions.act_window"]._for_xml_id("cobranza_odoo.cobranza_aging_report_action")

    def action_open_dunnings(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("cobranza_odoo.cobranza_dunning_action")
        action["domain"] = [
            ("company_id", "=", self.company_id.id),
            ("date", ">=", self.period_start),
            ("date", "<=", self.period_end),
        ]
        action["context"] = {}
        return action

    def action_open_promises(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("cobranza_odoo.cobranza_agreement_action")
        action["domain"] = [
            ("company_id", "=", self.company_id.id),
            ("kind", "=", "promise"),
            ("first_date", ">=", self.period_start),
            ("first_date", "<=", self.period_end),
        ]
        action["context"] = {}
        return action
