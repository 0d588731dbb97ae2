from datetime import timedelta

from odoo import _, api, fields, models

from .cobranza_contact_gate import naive


class CobranzaAgreementInstallment(models.Model):
    """One due date of an agreement: principal, interest, and how much is paid."""

    _name = "cobranza.agreement.installment"
    _description = "Payment Agreement Installment"
    _order = "agreement_id, date, sequence"

    agreement_id = fields.Many2one("cobranza.agreement", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="agreement_id.company_id", store=True)
    partner_id = fields.Many2one(related="agreement_id.partner_id", store=True)
    currency_id = fields.Many2one(related="agreement_id.currency_id")
    agreement_state = fields.Selection(related="agreement_id.state", string="Agreement Status")
    sequence = fields.Integer(help="0 is the down payment.")
    date = fields.Date(required=True)
    principal = fields.Monetary(required=True)
    interest = fields.Monetary()
    amount = fields.Monetary(compute="_compute_amount", store=True)
    paid_amount = fields.Monetary(string="Paid", readonly=True)
    paid_date = fields.Date(string="Paid On", readonly=True)
    state = fields.Selection(
        [("open", "Open"), ("partial", "Partially paid"), ("paid", "Paid"), ("overdue", "Overdue")],
        default="open",
        required=True,
        readonly=True,
    )
    reminder_sent_on = fields.Date(readonly=True, copy=False)
    reminder_deferred_until = fields.Datetime(readonly=True, copy=False)

    @api.depends("principal", "interest")
    def _compute_amount(self):
        for installment in self:
            installment.amount = installment.principal + installment.interest

    @api.depends("agreement_id.name", "sequence", "date")
    def _compute_display_name(self):
        for installment in self:
            label = _("Down payment") if installment.sequence == 0 else _("Installment %s", installment.sequence)
            installment.display_name = f"{installment.agreement_id.name} - {label}"

    def _send_reminders(self, today, now=None):
        """A reminder a few days before each unpaid installment, once, through the mail queue.

        The contact rules are asked first: a reminder they defer waits for its slot (the scheduled
        action comes back then), a refused one is not sent.
        """
        now = now or fields.Datetime.now()
        template = self.env.ref("cobranza_odoo.mail_template_agreement_reminder", raise_if_not_found=False)
        due = self.filtered(
            lambda item: (
                item.state != "paid"
                and not item.reminder_sent_on
                and item.agreement_id.state == "active"
                and (not item.reminder_deferred_until or item.reminder_deferred_until <= now)
                and today <= item.date <= today + timedelta(days=item.company_id.cobranza_agreement_reminder_days)
            )
        )
        Gate = self.env["cobranza.contact.gate"]
        sent = self.browse()
        slots = set()
        for company, items in due.grouped("company_id").items():
            gate = Gate._gate_context(items.agreement_id.partner_id, company, now)
            for installment in items:
                partner = installment.agreement_id.partner_id.commercial_partner_id
                decision = gate.decide(partner.id, "email", now)
                if not decision.allowed:
                    installment.reminder_deferred_until = decision.slot and naive(decision.slot)
                    if decision.slot:
                        slots.add(naive(decision.slot))
                    else:
                        installment.reminder_sent_on = today  # refused (no consent): not sent, not retried
                        installment.agreement_id.message_post(
                            body=Gate._explain(decision, partner), subtype_xmlid="mail.mt_note"
                        )
                    continue
                if template:
                    installment.agreement_id.with_context(mail_notify_force_send=False).message_post_with_source(
                        template, message_type="comment", subtype_xmlid="mail.mt_comment"
                    )
                gate.record(partner.id, "email", now)
                Gate._log(partner, "email", now, company=company, agreement_id=installment.agreement_id.id)
                installment.write({"reminder_sent_on": today, "reminder_deferred_until": False})
                sent |= installment
        if slots:
            self.env.ref("cobranza_odoo.ir_cron_cobranza_agreements").sudo()._trigger_list(sorted(slots)[:50])
        return sent
