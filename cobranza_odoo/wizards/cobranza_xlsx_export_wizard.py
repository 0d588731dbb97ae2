import base64
import os
import tempfile

from odoo import _, api, fields, models
from odoo.tools import SQL

from ..reports.xlsx_writer import StreamingSheet, open_workbook

FETCH_SIZE = 2000


class CobranzaXlsxExportWizard(models.TransientModel):
    """Excel exports of the collections data, streamed row by row to a temporary file."""

    _name = "cobranza.xlsx.export.wizard"
    _description = "Collections Excel Export"

    report = fields.Selection(
        [
            ("aging", "Aging by customer and bucket"),
            ("worklist", "Collectors' worklist"),
            ("dunning", "Dunning history"),
            ("agreements", "Agreements and installments"),
        ],
        required=True,
        default="aging",
    )
    company_id = fields.Many2one("res.company", default=lambda self: self.env.company.root_id, readonly=True)
    at_date = fields.Date(string="Aging at", default=fields.Date.context_today)
    date_from = fields.Date(default=lambda self: fields.Date.context_today(self).replace(day=1))
    date_to = fields.Date(default=fields.Date.context_today)
    file = fields.Binary(readonly=True, attachment=False)
    filename = fields.Char(readonly=True)

    def action_export(self):
        self.ensure_one()
        handle, path = tempfile.mkstemp(suffix=".xlsx")
        os.close(handle)
        try:
            workbook = open_workbook(path)
            getattr(self, f"_write_{self.report}")(workbook)
            workbook.close()
            with open(path, "rb") as exported:
                content = exported.read()
        finally:
            os.unlink(path)
        self.write(
            {
                "file": base64.b64encode(content),
                "filename": f"{self.report}_{fields.Date.to_string(self.at_date or self.date_to)}.xlsx",
            }
        )
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{self._name}/{self.id}/file/{self.filename}?download=true",
            "target": "self",
        }

    def _stream(self, query):
        """Rows of ``query`` a few thousand at a time: never the whole result in memory."""
        self.env["cobranza.receivable.facts"]._flush_for_facts()
        self.env.flush_all()
        cursor = self.env.cr
        cursor.execute(query)
        while rows := cursor.fetchmany(FETCH_SIZE):
            yield from rows

    def _family(self, alias):
        return self.env["cobranza.receivable.facts"]._company_family_sql(self.company_id, alias=alias)

    # ------------------------------------------------------------------ the four exports

    @api.model
    def _aging_query(self, company, at_date):
        """Per customer: open amount in each aging bucket at ``at_date`` and its total."""
        Facts = self.env["cobranza.receivable.facts"]
        scale = company._cobranza_aging_buckets()
        limits = [bucket.last_day for bucket, _label in scale if bucket.last_day]
        bucket_columns = SQL(", ").join(
            SQL("COALESCE(SUM(residual) FILTER (WHERE bucket = %s), 0)", bucket.index) for bucket, _label in scale
        )
        return SQL(
            """
            WITH %(open_at)s, open_lines AS (
                SELECT partner_id, %(at)s - date_maturity AS days, residual FROM open_at
            ), bucketed AS (
                SELECT partner_id, residual,
                       CASE WHEN days <= 0 THEN 0
                            ELSE 1 + (SELECT COUNT(*) FROM unnest(%(limits)s::int[]) AS bucket_limit
                                       WHERE days > bucket_limit)
                       END AS bucket
                  FROM open_lines
                 WHERE residual != 0
            )
            SELECT customer.name, customer.vat, segment.name ->> %(lang)s, collector_partner.name,
                   %(bucket_columns)s, SUM(residual)
              FROM bucketed
              JOIN res_partner customer ON customer.id = bucketed.partner_id
              LEFT JOIN cobranza_partner_profile profile
                     ON profile.partner_id = customer.id AND profile.company_id = %(company)s
              LEFT JOIN cobranza_segment segment ON segment.id = profile.segment_id
              LEFT JOIN res_users collector ON collector.id = profile.collector_id
              LEFT JOIN res_partner collector_partner ON collector_partner.id = collector.partner_id
             GROUP BY customer.id, customer.name, customer.vat, segment.name, collector_partner.name
             ORDER BY customer.name, customer.id
            """,
            at=at_date,
            open_at=Facts._open_at_sql(company, at_date),
            limits=limits,
            bucket_columns=bucket_columns,
            company=company.id,
            lang=self.env.lang or "en_US",
        )

    def _write_aging(self, workbook):
        scale = self.company_id._cobranza_aging_buckets()
        columns = [
            (_("Customer"), "text", 40),
            (_("Tax ID"), "text", 16),
            (_("Segment"), "text", 16),
            (_("Collector"), "text", 22),
        ]
        columns += [(label, "money", 15) for _bucket, label in scale] + [(_("Total"), "money", 16)]
        sheet = StreamingSheet(workbook, _("Aging"), _("Aging at %s", fields.Date.to_string(self.at_date)), columns)
        for row in self._stream(self._aging_query(self.company_id, self.at_date)):
            sheet.write(row)
        sheet.close(_("Total"))

    def _write_worklist(self, workbook):
        today = fields.Date.context_today(self)
        sheet = StreamingSheet(
            workbook,
            _("Worklist"),
            _("Collectors' worklist at %s", fields.Date.to_string(today)),
            [
                (_("Collector"), "text", 22),
                (_("Customer"), "text", 36),
                (_("Phone"), "text", 16),
                (_("Document"), "text", 18),
                (_("Due Date"), "date", 12),
                (_("Days Overdue"), "int", 10),
                (_("Dunning Level"), "text", 22),
                (_("Status"), "text", 14),
                (_("Open Amount"), "money", 15),
            ],
        )
        query = SQL(
            """
            SELECT collector_partner.name, customer.name, COALESCE(customer.mobile, customer.phone), move.name,
                   COALESCE(aml.date_maturity, aml.date), %(today)s - COALESCE(aml.date_maturity, aml.date),
                   level.name ->> %(lang)s, move.cobranza_status, aml.amount_residual
              FROM account_move_line aml
              JOIN account_account account ON account.id = aml.account_id
              JOIN account_move move ON move.id = aml.move_id
              JOIN res_partner partner ON partner.id = aml.partner_id
              JOIN res_partner customer ON customer.id = partner.commercial_partner_id
              LEFT JOIN cobranza_partner_profile profile
                     ON profile.partner_id = customer.id AND profile.company_id = %(company)s
              LEFT JOIN res_users collector ON collector.id = profile.collector_id
              LEFT JOIN res_partner collector_partner ON collector_partner.id = collector.partner_id
              LEFT JOIN cobranza_policy_level level ON level.id = aml.cobranza_level_id
             WHERE account.account_type = 'asset_receivable' AND aml.parent_state = 'posted'
               AND NOT aml.reconciled AND aml.amount_residual > 0
               AND COALESCE(aml.date_maturity, aml.date) < %(today)s
               AND %(family)s
             ORDER BY collector_partner.name NULLS LAST, customer.name, 5
            """,
            today=today,
            lang=self.env.lang or "en_US",
            company=self.company_id.id,
            family=self._family("aml"),
        )
        for row in self._stream(query):
            sheet.write(row)
        sheet.close(_("Total"))

    def _write_dunning(self, workbook):
        sheet = StreamingSheet(
            workbook,
            _("Dunning"),
            _(
                "Dunning history %(start)s - %(end)s",
                start=fields.Date.to_string(self.date_from),
                end=fields.Date.to_string(self.date_to),
            ),
            [
                (_("Date"), "date", 12),
                (_("Communication"), "text", 18),
                (_("Customer"), "text", 36),
                (_("Level"), "text", 22),
                (_("Stage"), "text", 14),
                (_("Invoice"), "text", 18),
                (_("Due Date"), "date", 12),
                (_("Days Late"), "int", 10),
                (_("Amount"), "money", 15),
                (_("Status"), "text", 10),
            ],
        )
        query = SQL(
            """
            SELECT dunning.date, dunning.name, customer.name, level.name ->> %(lang)s, level.stage, move.name,
                   line.date_maturity, line.days_late, line.amount_residual, dunning.state
              FROM cobranza_dunning_line line
              JOIN cobranza_dunning dunning ON dunning.id = line.dunning_id
              JOIN res_partner customer ON customer.id = dunning.partner_id
              JOIN cobranza_policy_level level ON level.id = line.level_id
              JOIN account_move move ON move.id = line.move_id
             WHERE dunning.company_id = %(company)s AND dunning.date BETWEEN %(start)s AND %(end)s
             ORDER BY dunning.date, dunning.name, line.date_maturity
            """,
            lang=self.env.lang or "en_US",
            company=self.company_id.id,
            start=self.date_from,
            end=self.date_to,
        )
        for row in self._stream(query):
            sheet.write(row)
        sheet.close(_("Total"))

    def _write_agreements(self, workbook):
        sheet = StreamingSheet(
            workbook,
            _("Agreements"),
            _("Agreements and installments"),
            [
                (_("Agreement"), "text", 16),
                (_("Customer"), "text", 36),
                (_("Kind"), "text", 12),
                (_("Status"), "text", 12),
                (_("Installment"), "int", 10),
                (_("Date"), "date", 12),
                (_("Principal"), "money", 14),
                (_("Interest"), "money", 12),
                (_("Amount"), "money", 14),
                (_("Paid"), "money", 14),
                (_("Installment Status"), "text", 14),
            ],
        )
        query = SQL(
            """
            SELECT agreement.name, customer.name, agreement.kind, agreement.state, item.sequence, item.date,
                   item.principal, item.interest, item.amount, item.paid_amount, item.state
              FROM cobranza_agreement_installment item
              JOIN cobranza_agreement agreement ON agreement.id = item.agreement_id
              JOIN res_partner customer ON customer.id = agreement.partner_id
             WHERE agreement.company_id = %(company)s AND agreement.state != 'cancelled'
             ORDER BY agreement.name, item.date, item.sequence
            """,
            company=self.company_id.id,
        )
        for row in self._stream(query):
            sheet.write(row)
        sheet.close(_("Total"))
