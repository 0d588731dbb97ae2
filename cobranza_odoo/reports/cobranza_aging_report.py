from odoo import api, fields, models
from odoo.tools import SQL

from ..models import ledger_fragments as ledger
from ..models.selections import COLLECTION_STATUSES


class CobranzaAgingReport(models.Model):
    """Open receivable installments with their days overdue and aging bucket, computed on read.

    A SQL view: days and buckets are computed against today's date when it is read, so it is
    never stale. The bucket follows the company's configured limits exactly as the engine's
    ``aging.bucket_index`` does (a test keeps the two in step).
    """

    _name = "cobranza.aging.report"
    _description = "Collections Aging"
    _auto = False
    _rec_name = "move_id"
    _order = "days_overdue desc, id"

    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    move_id = fields.Many2one("account.move", string="Document", readonly=True)
    move_line_id = fields.Many2one("account.move.line", string="Installment", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    date = fields.Date(string="Document Date", readonly=True)
    date_maturity = fields.Date(string="Due Date", readonly=True)
    days_overdue = fields.Integer(readonly=True, aggregator="max")
    bucket = fields.Selection(selection="_selection_bucket", string="Aging Bucket", readonly=True)
    amount_residual = fields.Monetary(string="Open Amount", readonly=True)
    amount_overdue = fields.Monetary(string="Overdue Amount", readonly=True)
    segment_id = fields.Many2one("cobranza.segment", readonly=True)
    collector_id = fields.Many2one("res.users", readonly=True)
    collection_status = fields.Selection(COLLECTION_STATUSES, string="Invoice Status", readonly=True)
    level_id = fields.Many2one("cobranza.policy.level", string="Dunning Level", readonly=True)

    @api.model
    def _selection_bucket(self):
        company = self.env["cobranza.receivable.facts"]._scope_company(self.env.company)
        return [(str(bucket.index), label) for bucket, label in company._cobranza_aging_buckets()]

    @property
    def _table_query(self):
        # Days and buckets against the user's day (not the database server's day, which is UTC).
        today = fields.Date.context_today(self)
        days = SQL("(%s::date - %s)", today, ledger.due_date("aml"))
        return SQL(
            """
            SELECT aml.id AS id,
                   aml.id AS move_line_id,
                   aml.move_id,
                   partner.commercial_partner_id AS partner_id,
                   root.id AS company_id,
                   root.currency_id AS currency_id,
                   aml.date,
                   %(due)s AS date_maturity,
                   %(days)s AS days_overdue,
                   (%(bucket)s)::varchar AS bucket,
                   aml.amount_residual,
                   CASE WHEN aml.amount_residual > 0 AND %(days)s > 0 THEN aml.amount_residual ELSE 0 END
                       AS amount_overdue,
                   profile.segment_id,
                   profile.collector_id,
                   move.cobranza_status AS collection_status,
                   aml.cobranza_level_id AS level_id
              FROM account_move_line aml
              JOIN account_move move ON move.id = aml.move_id
              JOIN res_partner partner ON partner.id = aml.partner_id
              JOIN res_company root ON root.id = %(root)s
              LEFT JOIN cobranza_partner_profile profile
                     ON profile.partner_id = partner.commercial_partner_id AND profile.company_id = root.id
             WHERE %(open)s
            """,
            due=ledger.due_date("aml"),
            days=days,
            bucket=ledger.bucket_index(days, ledger.bucket_limits_of_company("root")),
            root=ledger.company_root(SQL("aml.company_id")),
            open=ledger.open_receivable_line("aml"),
        )
