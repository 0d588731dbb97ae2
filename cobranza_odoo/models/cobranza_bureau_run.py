from collections import defaultdict

from odoo import _, api, fields, models

from ..engine import bureau


class CobranzaBureauRun(models.AbstractModel):
    """Credit-bureau prior notices and the daily state of the obligations they cover (Colombia, Ley 1266
    de 2008 as amended by Ley 2157 de 2021; the rules are in engine/bureau.py)."""

    _name = "cobranza.bureau.run"
    _description = "Collections: credit-bureau pipeline"

    @api.model
    def _reason_text(self, codes, wait_days=20):
        labels = {
            "paid": _("paid"),
            "in_dispute": _("in dispute"),
            "under_agreement": _("under a payment agreement"),
            "covered_by_credits": _("covered by the customer's credits"),
            "not_delinquent": _("not overdue"),
            "no_notice": _("a new prior notice is needed"),
            "second_notice_missing": _("a small debt needs a second notice on another day"),
            "waiting_period": _("the %s days after the notice have not passed", wait_days),
            "too_old": _("too long since the delinquency started to report it"),
            "reported_without_notice": _("reported before the notices allowed it"),
            "permanence_ended": _("the negative data's permanence is over"),
            "caducity_reached": _("the eight-year caducity is reached"),
        }
        return ", ".join(labels.get(code, code) for code in codes) or False

    @api.model
    def _in_cop(self, amount, company, day):
        """The SMMLV threshold is in Colombian pesos: amounts of another currency are converted."""
        cop = self.env.ref("base.COP", raise_if_not_found=False)
        if not cop or company.currency_id == cop:
            return amount
        return company.currency_id._convert(amount, cop, company, day)

    @api.model
    def _record_notice(self, dunning, on):
        """A communication of a bureau-notice level reached the customer: keep the evidence and start
        (or restart) the timer of each obligation it lists."""
        Line = self.env["cobranza.bureau.line"].sudo()
        receivables = dunning.line_ids.filtered(lambda line: line.amount_residual > 0)
        existing = {
            line.move_line_id: line for line in Line.search([("move_line_id", "in", receivables.move_line_id.ids)])
        }
        lines = Line.browse()
        for dunning_line in receivables:
            line = existing.get(dunning_line.move_line_id)
            if not line:
                maturity = dunning_line.date_maturity
                line = Line.create(
                    {
                        "move_line_id": dunning_line.move_line_id.id,
                        "partner_id": dunning.partner_id.id,
                        "company_id": dunning.company_id.id,
                        "date_maturity": maturity,
                        "delinquency_start": maturity and fields.Date.add(maturity, days=1),
                        "amount": dunning_line.amount_residual,
                        "residual": dunning_line.amount_residual,
                    }
                )
            lines |= line
        message = dunning.message_ids.filtered(lambda message: message.message_type == "comment")[:1]
        attachment = dunning.letter_attachment_id
        logs = self.env["cobranza.contact.log"].sudo().search([("dunning_id", "=", dunning.id)])
        notice = (
            self.env["cobranza.bureau.notice"]
            .sudo()
            .create(
                {
                    "dunning_id": dunning.id,
                    "partner_id": dunning.partner_id.id,
                    "company_id": dunning.company_id.id,
                    "date": on,
                    "channels": ", ".join(sorted(set(logs.mapped("channel")))) or False,
                    "recipients": ", ".join(message.partner_ids.mapped("email_formatted")) or False,
                    "attachment_id": attachment.id,
                    "attachment_sha256": self.env["cobranza.bureau.notice"]._fingerprint(attachment),
                    "message_id": message.id,
                    "line_ids": [fields.Command.set(lines.ids)],
                }
            )
        )
        lines.write({"notice_ids": [fields.Command.link(notice.id)], "refreshed_on": False})
        return notice

    @api.model
    def _refresh(self, lines, today):
        """Today's state of these obligations, from the facts gathered in bulk and the engine."""
        Facts = self.env["cobranza.receivable.facts"]
        for company, company_lines in lines.sudo().grouped("company_id").items():
            partners = company_lines.partner_id
            open_rows = Facts._open_receivables(partners.ids, company)
            overdue, credits = defaultdict(float), defaultdict(float)
            for row in open_rows:
                if row.residual < 0:
                    credits[row.partner_id] -= row.residual
                elif row.date_maturity < today:
                    overdue[row.partner_id] += row.residual
            agreed = Facts._lines_under_agreement(company_lines.move_line_id.ids)
            payments = defaultdict(list)
            for payment in Facts._payments_on_lines(company_lines.move_line_id.ids):
                payments[payment.line_id].append(payment.date)
            claimed = set(
                self.env["cobranza.bureau.claim"]
                .sudo()
                .search([("state", "=", "open"), ("line_ids", "in", company_lines.ids)])
                .line_ids.ids
            )
            table = {**bureau.SMMLV, **self.env["cobranza.smmlv"]._by_year()}
            params_by_year = {}
            for line in company_lines:
                aml = line.move_line_id
                residual = aml.amount_residual
                paid = company.currency_id.is_zero(residual)
                paid_date = (max(payments[aml.id]) if payments[aml.id] else today) if paid else None
                stopped_now = bool(
                    paid
                    or aml.move_id.cobranza_dispute
                    or line.id in claimed
                    or aml.id in agreed
                    or (overdue[line.partner_id.id] and credits[line.partner_id.id] >= overdue[line.partner_id.id])
                )
                cleared = line.stops_cleared_on
                if line.stopped and not stopped_now:
                    cleared = today
                # a notice whose e-mail bounced reached nobody: it does not count
                notices = tuple(sorted(set(line.notice_ids.filtered(lambda notice: not notice.bounced).mapped("date"))))
                year = (notices[-1] if notices else today).year
                if year not in params_by_year:
                    smmlv = table.get(year) or table[max(table)]
                    params_by_year[year] = bureau.BureauParams(
                        smmlv=smmlv,
                        wait_days=company.cobranza_bureau_wait_days,
                        max_report_months=company.cobranza_bureau_max_report_months or None,
                    )

                facts = bureau.LineFacts(
                    delinquency_start=line.delinquency_start,
                    amount=self._in_cop(line.amount, company, today),
                    residual=self._in_cop(max(residual, 0.0), company, today),
                    notice_dates=notices,
                    paid_date=paid_date,
                    in_dispute=bool(aml.move_id.cobranza_dispute or line.id in claimed),
                    under_agreement=aml.id in agreed,
                    covered_by_credits=bool(
                        overdue[line.partner_id.id] and credits[line.partner_id.id] >= overdue[line.partner_id.id]
                    ),
                    stops_cleared_on=cleared or None,
                    reported_on=line.reported_on or None,
                    updated_on=line.updated_on or None,
                )
                status = bureau.line_state(facts, today, params_by_year[year])
                state = status.state if status.state != "none" else "noticed"
                values = {
                    "state": state,
                    "reasons": self._reason_text(status.reasons, company.cobranza_bureau_wait_days),
                    "reportable_from": status.reportable_from or False,
                    "residual": max(residual, 0.0),
                    "paid_date": paid_date or False,
                    "stopped": stopped_now,
                    "stops_cleared_on": cleared or False,
                    "permanence_until": status.permanence_until or False,
                    "caducity_date": status.caducity_date or False,
                    "refreshed_on": today,
                }
                changed = {key: value for key, value in values.items() if line[key] != value}
                if changed:
                    line.write(changed)
        return lines
