import os
import tempfile

from odoo import _, api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL, format_date

from ..engine import bureau
from ..models import ledger_fragments as ledger
from ..reports.xlsx_writer import Column, StreamingSheet, open_workbook

FETCH_SIZE = 2000
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


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
            ("bureau", "Credit-bureau report (reportable and to update)"),
        ],
        required=True,
        default="aging",
    )
    company_id = fields.Many2one("res.company", default=lambda self: self.env.company.root_id, readonly=True)
    at_date = fields.Date(string="Aging at", default=fields.Date.context_today)
    date_from = fields.Date(default=lambda self: fields.Date.context_today(self).replace(day=1))
    date_to = fields.Date(default=fields.Date.context_today)
    attachment_id = fields.Many2one("ir.attachment", string="File", readonly=True)

    def action_export(self):
        """Write the workbook to a temporary file, keep it as an attachment and download it."""
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
        # The type is given: guessing it would open the file as a zip and log a warning.
        self.attachment_id = self.env["ir.attachment"].create(
            {
                "name": f"{self.report}_{fields.Date.to_string(self.at_date or self.date_to)}.xlsx",
                "raw": content,
                "mimetype": XLSX_MIMETYPE,
                "res_model": self._name,
                "res_id": self.id,
            }
        )
        # Opened aside (the browser downloads it), and the dialog closes.
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{self.attachment_id.id}?download=true",
            "target": "new",
            "close": True,
        }

    def _stream(self, query):
        """Rows of ``query`` a few thousand at a time from a server-side cursor: the result is never
        held whole, neither here nor in the database driver."""
        self.env.flush_all()
        cursor = self.env.cr
        name = SQL.identifier(f"cobranza_export_{self.id}")
        cursor.execute(SQL("DECLARE %s NO SCROLL CURSOR FOR %s", name, query))
        try:
            while True:
                cursor.execute(SQL("FETCH FORWARD %s FROM %s", FETCH_SIZE, name))
                rows = cursor.fetchall()
                if not rows:
                    break
                yield from rows
        finally:
            cursor.execute(SQL("CLOSE %s", name))

    def _family(self, alias):
        return ledger.company_family(SQL.identifier(alias, "company_id"), self.company_id)

    def _labels(self, model, field_name):
        """Translated labels of a selection field, to write codes as words."""
        return dict(self.env[model]._fields[field_name]._description_selection(self.env))

    def _date(self, value):
        return format_date(self.env, value)

    # ------------------------------------------------------------------ the four exports

    @api.model
    def _aging_query(self, company, at_date):
        """Per customer: open amount in each aging bucket at ``at_date`` and its total."""
        scale = company._cobranza_aging_buckets()
        limits = [bucket.last_day for bucket, _label in scale if bucket.last_day]
        bucket_columns = SQL(", ").join(
            SQL("COALESCE(SUM(residual) FILTER (WHERE bucket = %s), 0)", bucket.index) for bucket, _label in scale
        )
        return SQL(
            """
            WITH %(open_at)s, open_lines AS (
                SELECT partner_id, %(at)s::date - date_maturity AS days, residual FROM open_at
            ), bucketed AS (
                SELECT partner_id, residual, %(bucket)s AS bucket
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
            open_at=ledger.open_at(company, at_date),
            bucket=ledger.bucket_index(SQL("days"), ledger.bucket_limits_param(limits)),
            bucket_columns=bucket_columns,
            company=company.id,
            lang=self.env.lang or "en_US",
        )

    def _write_aging(self, workbook):
        scale = self.company_id._cobranza_aging_buckets()
        columns = [
            Column(_("Customer"), "text", 40),
            Column(_("Tax ID"), "text", 16),
            Column(_("Segment"), "text", 16),
            Column(_("Collector"), "text", 22),
        ]
        columns += [Column(label, "money", 15) for _bucket, label in scale] + [Column(_("Total"), "money", 16)]
        sheet = StreamingSheet(workbook, _("Aging"), _("Aging at %s", self._date(self.at_date)), columns)
        for row in self._stream(self._aging_query(self.company_id, self.at_date)):
            sheet.write(row)
        sheet.close(_("Total"))

    def _write_worklist(self, workbook):
        """The on-screen worklist's overdue installments (open receivable lines), per collector."""
        today = fields.Date.context_today(self)
        sheet = StreamingSheet(
            workbook,
            _("Worklist"),
            _("Collectors' worklist at %s", self._date(today)),
            [
                Column(_("Collector"), "text", 22),
                Column(_("Customer"), "text", 36),
                Column(_("Phone"), "text", 16),
                Column(_("Document"), "text", 18),
                Column(_("Due Date"), "date", 12),
                Column(_("Days Overdue"), "int", 10),
                Column(_("Dunning Level"), "text", 22),
                Column(_("Status"), "label", 18, self._labels("account.move", "cobranza_status")),
                Column(_("Open Amount"), "money", 15),
            ],
        )
        query = SQL(
            """
            SELECT collector_partner.name, customer.name, COALESCE(customer.mobile, customer.phone), move.name,
                   %(due)s, %(today)s::date - %(due)s,
                   level.name ->> %(lang)s, move.cobranza_status, aml.amount_residual
              FROM account_move_line aml
              JOIN account_move move ON move.id = aml.move_id
              JOIN res_partner partner ON partner.id = aml.partner_id
              JOIN res_partner customer ON customer.id = partner.commercial_partner_id
              LEFT JOIN cobranza_partner_profile profile
                     ON profile.partner_id = customer.id AND profile.company_id = %(company)s
              LEFT JOIN res_users collector ON collector.id = profile.collector_id
              LEFT JOIN res_partner collector_partner ON collector_partner.id = collector.partner_id
              LEFT JOIN cobranza_policy_level level ON level.id = aml.cobranza_level_id
             WHERE %(open)s
               AND aml.amount_residual > 0
               AND %(due)s < %(today)s
               AND %(family)s
             ORDER BY collector_partner.name NULLS LAST, customer.name, 5, aml.id
            """,
            due=ledger.due_date("aml"),
            open=ledger.open_receivable_line("aml"),
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
            _("Dunning history %(start)s - %(end)s", start=self._date(self.date_from), end=self._date(self.date_to)),
            [
                Column(_("Date"), "date", 12),
                Column(_("Communication"), "text", 18),
                Column(_("Customer"), "text", 36),
                Column(_("Level"), "text", 22),
                Column(_("Stage"), "label", 14, self._labels("cobranza.policy.level", "stage")),
                Column(_("Invoice"), "text", 18),
                Column(_("Due Date"), "date", 12),
                Column(_("Days Late"), "int", 10),
                Column(_("Amount"), "money", 15),
                Column(_("Status"), "label", 14, self._labels("cobranza.dunning", "state")),
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
                Column(_("Agreement"), "text", 16),
                Column(_("Customer"), "text", 36),
                Column(_("Kind"), "label", 16, self._labels("cobranza.agreement", "kind")),
                Column(_("Status"), "label", 14, self._labels("cobranza.agreement", "state")),
                Column(_("Installment"), "int", 10),
                Column(_("Date"), "date", 12),
                Column(_("Principal"), "money", 14),
                Column(_("Interest"), "money", 12),
                Column(_("Amount"), "money", 14),
                Column(_("Paid"), "money", 14),
                Column(_("Installment Status"), "label", 14, self._labels("cobranza.agreement.installment", "state")),
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

    # ------------------------------------------------------------------ credit bureau

    @staticmethod
    def _identification(vat, is_company):
        """(id type, number, check digit) of a Colombian tax id as a bureau file wants it: NIT for companies
        (the check digit apart), CC (cédula) for individuals; letters and separators removed."""
        text = (vat or "").upper()
        if text.startswith("CO"):
            text = text[2:]
        head, _sep, tail = text.partition("-")
        digits = "".join(char for char in head if char.isdigit())
        check = "".join(char for char in tail if char.isdigit())
        if is_company and not check and len(digits) == 10:
            digits, check = digits[:9], digits[9:]
        return ("NIT" if is_company else "CC", digits, check)

    def _write_bureau(self, workbook):
        if not self.env.user.has_group("cobranza_odoo.group_cobranza_manager"):
            raise AccessError(_("Only Collections Managers export the credit-bureau report."))
        today = fields.Date.context_today(self)
        sheet = StreamingSheet(
            workbook,
            _("Credit Bureau"),
            _("Credit-bureau report at %s", self._date(today)),
            [
                Column(_("ID Type"), "text", 8),
                Column(_("ID Number"), "text", 16),
                Column(_("Check Digit"), "text", 6),
                Column(_("Name"), "text", 36),
                Column(_("Obligation"), "text", 20),
                Column(_("Original Amount"), "money", 15),
                Column(_("Amount Owed"), "money", 15),
                Column(_("Invoice Date"), "date", 12),
                Column(_("Due Date"), "date", 12),
                Column(_("Delinquency Since"), "date", 12),
                Column(_("Days Past Due"), "int", 10),
                Column(_("Status"), "label", 14, self._labels("cobranza.bureau.line", "state")),
                Column(_("Reported On"), "date", 12),
            ],
        )
        lines = self.env["cobranza.bureau.line"].search(
            [("company_id", "=", self.company_id.id), ("state", "in", ("reportable", "to_update"))],
            order="partner_id, date_maturity, id",
        )
        for line in lines:
            partner = line.partner_id
            id_type, number, check = self._identification(partner.vat, partner.is_company)
            days = line.delinquency_start and bureau.delinquency_days(line.delinquency_start, line.paid_date or today)
            sheet.write(
                (
                    id_type,
                    number,
                    check,
                    partner.name,
                    line.move_id.name,
                    line.move_line_id.balance,
                    line.residual,
                    line.move_id.invoice_date,
                    line.date_maturity,
                    line.delinquency_start,
                    days or None,
                    line.state,
                    line.reported_on,
                )
            )
        sheet.close(_("Total"))
