import base64
import logging
from collections import defaultdict
from urllib.parse import quote

from lxml import html
from markupsafe import Markup
from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, format_date

from ..engine import dunning_levels
from . import bulk_write
from .cobranza_contact_gate import naive
from .delivery_batch import DeliveryBatch

_logger = logging.getLogger(__name__)

# A communication the next run may still update: not delivered (nor on its way), not cancelled.
# Not delivered yet: the day's run updates them (a customer has one) rather than adding another.
# A *waiting* one (a call or a WhatsApp message still to do) counts: a new one each day would pile up.
OPEN_STATES = ("draft", "queued", "deferred", "waiting", "undeliverable", "failed")
# Sending more communications than this from a screen queues them for the scheduled run.
SEND_NOW_LIMIT = 20
LETTER_REPORT = "cobranza_odoo.action_report_dunning_letter"


def _remembered(function):
    """``function`` answering repeated calls (of hashable arguments) from memory."""
    memory = {}

    def remembered(*args, **kwargs):
        key = (args, tuple(sorted(kwargs.items())))
        try:
            return memory[key]
        except KeyError:
            memory[key] = result = function(*args, **kwargs)
            return result
        except TypeError:  # an unhashable argument: not remembered
            return function(*args, **kwargs)

    return remembered


class CobranzaDunning(models.Model):
    """One communication to one customer, listing its lines each at its own level.

    Life: a *draft* (review mode) or *queued* (send mode, or sent from the screen) communication
    is delivered through its level's channels. It is *sent* only when one channel really reached
    the customer — an e-mail queued to an address, a letter rendered and kept, a call logged, a
    server action that succeeded — and only then do its lines take its levels and the level's
    credit hold or legal hand-off happen. Nothing reached it: *undeliverable*, with the reason and
    a to-do for the collector; a channel still on its way (a planned call, a server action):
    *waiting*; an error: *failed*. While a communication of a customer is open, later runs update it
    instead of adding another. The chatter keeps the evidence: the e-mail, the letter PDF, the call.
    """

    _name = "cobranza.dunning"
    _description = "Collection Communication"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "date desc, id desc"
    _check_company_auto = True

    name = fields.Char(readonly=True, copy=False, default="/")
    partner_id = fields.Many2one("res.partner", string="Customer", required=True, index=True, readonly=True)
    company_id = fields.Many2one("res.company", required=True, index=True, readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    date = fields.Date(required=True, readonly=True, index=True)
    policy_id = fields.Many2one("cobranza.policy", readonly=True)
    level_id = fields.Many2one("cobranza.policy.level", readonly=True, index=True)
    stage = fields.Selection(related="level_id.stage", store=True)
    state = fields.Selection(
        [
            ("draft", "Draft"),
            ("queued", "To Send"),
            ("deferred", "Deferred"),
            ("waiting", "Waiting"),
            ("sent", "Sent"),
            ("undeliverable", "Undeliverable"),
            ("failed", "Failed"),
            ("cancelled", "Cancelled"),
        ],
        default="draft",
        required=True,
        readonly=True,
        index=True,
    )
    line_ids = fields.One2many("cobranza.dunning.line", "dunning_id", string="Lines", readonly=True)
    amount_total = fields.Monetary(string="Amount Due", compute="_compute_amounts", store=True)
    amount_overdue = fields.Monetary(string="Overdue", compute="_compute_amounts", store=True)
    credits_amount = fields.Monetary(string="Credits in Favour", readonly=True)
    collector_id = fields.Many2one("res.users", readonly=True)
    profile_id = fields.Many2one(
        "cobranza.partner.profile", string="Collections Profile", compute="_compute_profile_id", compute_sudo=True
    )
    sent_date = fields.Date(string="Delivered On", readonly=True, copy=False)
    deferred_until = fields.Datetime(
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="The contact rules allow no contact before this moment: the run sends it then.",
    )
    defer_reason = fields.Char(string="Why Deferred", readonly=True, copy=False)
    delivery_note = fields.Text(string="Delivery", readonly=True, help="What each channel did.")
    email_sent = fields.Boolean(string="E-mail Queued", readonly=True)
    letter_attachment_id = fields.Many2one("ir.attachment", string="Letter", readonly=True)
    call_scheduled = fields.Boolean(string="Call Planned", readonly=True)
    whatsapp_url = fields.Char(string="WhatsApp Link", compute="_compute_whatsapp_url")
    letter_posted = fields.Boolean(readonly=True, copy=False)
    action_state = fields.Selection(
        [("none", "None"), ("pending", "To Run"), ("done", "Done"), ("failed", "Failed")],
        string="Server Action",
        default="none",
        readonly=True,
        index=True,
    )
    failure_reason = fields.Text(readonly=True)

    def init(self):
        # Two runs (or a run and a person) can never leave two communications of one customer,
        # company and level on the same day: the database refuses the second one.
        self.env.cr.execute(
            SQL(
                "CREATE UNIQUE INDEX IF NOT EXISTS cobranza_dunning_customer_day_level_uniq "
                "ON cobranza_dunning (partner_id, company_id, date, level_id) WHERE state != 'cancelled'"
            )
        )

    @api.depends("line_ids.amount_residual", "line_ids.days_late")
    def _compute_amounts(self):
        for dunning in self:
            dunning.amount_total, dunning.amount_overdue = dunning_levels.communication_amounts(
                (line.amount_residual, line.days_late) for line in dunning.line_ids
            )

    @api.model_create_multi
    def create(self, vals_list):
        unnamed = [vals for vals in vals_list if vals.get("name", "/") == "/"]
        for vals, name in zip(unnamed, self._reserve_names(len(unnamed)), strict=True):
            vals["name"] = name
        return super().create(vals_list)

    @api.model
    def _reserve_names(self, count):
        """``count`` references from the communications' sequence in one query (a standard sequence)."""
        if not count:
            return []
        sequence = self.env["ir.sequence"].sudo().search([("code", "=", "cobranza.dunning")], limit=1)
        if not sequence or sequence.implementation != "standard" or sequence.use_date_range:
            return [self.env["ir.sequence"].next_by_code("cobranza.dunning") or "/" for _index in range(count)]
        numbers = self.env.execute_query(
            SQL("SELECT nextval(%s) FROM generate_series(1, %s)", f"ir_sequence_{sequence.id:03d}", count)
        )
        return [sequence.get_next_char(number) for (number,) in numbers]

    # ------------------------------------------------------------------ actions

    def action_send(self):
        """Send these draft (or failed, undeliverable) communications through their level's channels.

        A few are delivered at once; more are queued for the scheduled run, which sends them in
        batches (letters take time to print).
        """
        to_send = self.filtered(lambda dunning: dunning.state in ("draft", "undeliverable", "failed"))
        if not to_send:
            raise UserError(_("Only draft, failed or undeliverable communications can be sent."))
        to_send._queue()
        if len(to_send) <= SEND_NOW_LIMIT:
            to_send._deliver_each(fields.Datetime.now())
            return True
        self.env["cobranza.dunning.run"]._trigger_workers()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "info",
                "message": _(
                    "%(count)s communications are queued: the scheduled run sends them in batches.",
                    count=len(to_send),
                ),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    def action_cancel(self):
        """Discard open communications (drafts piling up in review mode, say): sent ones are evidence."""
        if any(dunning.state not in OPEN_STATES for dunning in self):
            raise UserError(_("Only communications not sent yet can be discarded: sent ones are evidence."))
        self.write({"state": "cancelled"})
        return True

    @api.ondelete(at_uninstall=False)
    def _unlink_only_never_sent(self):
        # a contact logged for it (a bounced e-mail, say) makes it evidence even once discarded
        contacted = self.env["cobranza.contact.log"].sudo().search_count([("dunning_id", "in", self.ids)], limit=1)
        if contacted or any(dunning.sent_date or dunning.state not in ("draft", "cancelled") for dunning in self):
            raise UserError(
                _("Only drafts and discarded communications can be deleted: the others are evidence of a contact.")
            )

    def action_log_call(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("cobranza_odoo.cobranza_call_log_wizard_action")
        action["context"] = {"default_partner_id": self.partner_id.id, "default_dunning_id": self.id}
        return action

    def action_mark_posted(self):
        """The printed letter went to the post (it leaves the collector's day)."""
        self.filtered("letter_attachment_id").write({"letter_posted": True})
        return True

    def _queue(self):
        self.write({"state": "queued", "failure_reason": False})

    # ------------------------------------------------------------------ delivery

    def _deliver_each(self, now):
        """Deliver each communication under its own savepoint: one failure stays with its customer.

        The contact rules are read once for all of them, and what the deliveries write (e-mails, line
        levels, contact log, holds) is written once for the batch. Returns the communications
        attempted; the scheduled run is asked to come back at the slots of those deferred.
        """
        Gate = self.env["cobranza.contact.gate"]
        gates = {
            company: Gate._gate_context(dunnings.partner_id, company, now)
            for company, dunnings in self.grouped("company_id").items()
        }
        self._prepare_portal_tokens()
        rendered = self._render_emails()
        batch = DeliveryBatch()
        histories = {
            company: {partner_id: list(contacts) for partner_id, contacts in gate.histories.items()}
            for company, gate in gates.items()
        }
        try:
            # all at once (their writes flushed together); if one fails, again one by one
            with self.env.cr.savepoint():
                for dunning in self:
                    dunning._deliver(now, gates[dunning.company_id], rendered, batch)
        except Exception:  # the failing one is found and recorded below
            batch.rewind()
            for company, gate in gates.items():
                gate.histories.clear()
                gate.histories.update(histories[company])
            self.invalidate_recordset()
            for dunning in self:
                gate = gates[dunning.company_id]
                history = list(gate.histories.get(dunning.partner_id.id, ()))
                mark = batch.mark()
                try:
                    with self.env.cr.savepoint():
                        dunning._deliver(now, gate, rendered, batch)
                except Exception as error:  # any failure of one customer must not stop the others
                    gate.histories[dunning.partner_id.id] = history
                    batch.rewind(mark)
                    _logger.warning("Collection communication %s failed: %s", dunning.name, error)
                    dunning._record_failure(error)
        slots = {dunning.deferred_until for dunning in self if dunning.state == "deferred"}
        self._flush_delivery_batch(batch)
        # prior notices are recorded with the e-mail that carried them, now that it exists
        noticed = self.filtered(lambda dunning: dunning.state == "sent" and dunning.level_id.bureau_notice)
        if noticed:
            recorded = self.env["cobranza.bureau.notice"].sudo().search([("dunning_id", "in", noticed.ids)]).dunning_id
            for dunning in noticed - recorded:
                self.env["cobranza.bureau.run"]._record_notice(dunning, dunning.sent_date)
        if slots:
            self.env.ref("cobranza_odoo.ir_cron_cobranza_dunning").sudo()._trigger_list(sorted(slots)[:50])
        return self

    @api.model
    def _flush_delivery_batch(self, batch):
        """Write what a batch of deliveries collected, one statement per kind."""
        self._write_line_levels(batch.line_levels)
        if batch.contacts:
            self.env["cobranza.contact.log"].sudo().create(batch.contacts)
        self.env["cobranza.partner.profile"]._put_on_hold_many(batch.holds)
        self._send_outbox(batch.mails)

    def _deliver(self, now, gate, rendered, batch):
        """Run the level's channels; the communication is sent only if one of them reached the customer.

        Every contact asks the contact rules first (``gate``): a channel they defer postpones the whole
        communication to the earliest slot, unless another channel reached the customer already; a
        channel they refuse (no consent) is not used.
        """
        self.ensure_one()
        level = self.level_id
        # delivered at its slot: on the day it goes out, not the day it was planned
        on = fields.Date.context_today(self) if self.state == "deferred" else self.date
        self.write({"failure_reason": False, "deferred_until": False, "defer_reason": False})
        notes, slots, delivered, pending = [], [], False, False
        labels = dict(self.env["cobranza.contact.log"]._fields["channel"]._description_selection(self.env))
        Gate = self.env["cobranza.contact.gate"]

        def allowed(channel):
            decision = gate.decide(self.partner_id.id, channel, now)
            if decision.allowed:
                return True
            text = Gate._explain(decision, self.partner_id)
            notes.append(f"{labels[channel]}: {text}")
            if decision.slot and not delivered:
                slots.append((decision.slot, text))
            return False

        def reached(channel):
            gate.record(self.partner_id.id, channel, now)
            batch.contacts.append(self._contact_values(channel, now))
            return True

        if level.print_letter or level.handoff or level.bureau_notice:
            self._print_letter(notes)  # evidence, attached to the e-mail; posted when nothing else reaches
        if level.send_email and allowed("email") and self._deliver_email(notes, rendered, batch):
            delivered = reached("email")
        if level.send_sms and allowed("sms") and self._deliver_sms(notes):
            delivered = reached("sms")
        if level.send_whatsapp:
            pending |= self._prepare_whatsapp(notes)
        if level.schedule_call:
            pending |= self._deliver_call(notes)
        if level.server_action_id:
            self.action_state = "pending"
            notes.append(_("Server action: runs once this is saved."))
            pending = True
        if not (delivered or slots) and self.letter_attachment_id and allowed("letter"):
            notes.append(_("Letter: to be posted."))
            delivered = reached("letter")
        # A fallback stands in when nothing could reach the customer (e.g. no e-mail address); a channel
        # still on its way (a server action, a planned call) or deferred is given its chance first.
        if not (delivered or pending or slots) and level.fallback_channel == "letter" and not self.letter_attachment_id:
            self._print_letter(notes, fallback=True)
            if allowed("letter"):
                delivered = reached("letter")
        if not (delivered or pending or slots) and level.fallback_channel == "call" and not self.call_scheduled:
            pending |= self._deliver_call(notes, fallback=True)
        self.delivery_note = "\n".join(notes)
        if delivered:
            self._mark_delivered(on, batch=batch)
        elif slots:
            slot, reason = min(slots)
            self.write({"state": "deferred", "deferred_until": naive(slot), "defer_reason": reason})
        elif pending:
            self.state = "waiting"
        else:
            self._mark_undeliverable(self.delivery_note)
        if self.action_state == "pending":
            self.env.ref("cobranza_odoo.ir_cron_cobranza_dunning").sudo()._trigger()

    def _log_contact(self, channel, when=None, **values):
        self.ensure_one()
        return self.env["cobranza.contact.log"].sudo().create(self._contact_values(channel, when, **values))

    def _contact_values(self, channel, when=None, **values):
        self.ensure_one()
        return self.env["cobranza.contact.gate"]._log_values(
            self.partner_id, channel, when, company=self.company_id, dunning_id=self.id, **values
        )

    def _mark_delivered(self, on=None, batch=None):
        """The customer was reached (on ``on``, default today): the lines take their levels (never
        lower), then the level's consequences (credit hold, legal hand-off) follow.

        ``batch``: a delivery batch whose end writes the levels and holds (and records the bureau
        notices) for all its communications; without one they are written now.
        """
        on = on or fields.Date.context_today(self)
        for dunning in self:
            dunning.write({"state": "sent", "sent_date": on, "deferred_until": False, "defer_reason": False})
            levels = dunning._raised_line_levels()
            if batch is None:
                self._write_line_levels([(on, levels)])
            else:
                batch.line_levels.append((on, levels))
            if dunning.level_id.bureau_notice and batch is None:
                self.env["cobranza.bureau.run"]._record_notice(dunning, on)
            if dunning.level_id.set_credit_hold:
                dunning._put_on_hold(batch)
            if dunning.level_id.handoff:
                dunning._hand_over()

    @api.model
    def _write_line_levels(self, line_levels):
        """Record the levels sent on the lines: [(date sent, {journal item id: level id})]."""
        by_date = defaultdict(dict)
        for on, levels in line_levels:
            by_date[on].update(levels)
        for on, levels in by_date.items():
            self.env["account.move.line"]._cobranza_mark_dunning((), level_by_line=levels, sent_on=on)

    def _raised_line_levels(self):
        """{journal item id: level id} the lines take; a line already at a later level keeps its own."""
        self.ensure_one()
        rank = {level.id: index for index, level in enumerate(self.policy_id.level_ids.sorted("sequence"))}
        level_by_line = {}
        for line in self.line_ids:
            current = line.move_line_id.cobranza_level_id
            if current and rank.get(current.id, -1) >= rank.get(line.level_id.id, -1):
                continue
            level_by_line[line.move_line_id.id] = line.level_id.id
        return level_by_line

    def _mark_undeliverable(self, reason):
        """Nothing reached the customer: the lines keep their level and the collector finds another way."""
        self.ensure_one()
        self.write({"state": "undeliverable", "failure_reason": reason})
        self.message_post(
            body=_("Not delivered on %(date)s: %(reason)s", date=format_date(self.env, self.date), reason=reason),
            subtype_xmlid="mail.mt_note",
        )
        if self.level_id.stage != "preventive":
            self._todo_for_collector(
                _("Reminder to %s could not be delivered: find another contact", self.partner_id.name)
            )

    def _record_failure(self, error):
        """An error while delivering: recorded on this communication only; the run goes on."""
        self.ensure_one()
        message = str(error) or error.__class__.__name__
        self.write({"state": "failed", "failure_reason": message})
        self.message_post(body=_("Sending failed: %s", message), subtype_xmlid="mail.mt_note")
        self._todo_for_collector(_("Reminder to %s failed: see the error", self.partner_id.name))

    def _todo_for_collector(self, summary):
        """One open to-do per communication for its collector (a retried one does not pile up)."""
        todo = self.env.ref("mail.mail_activity_data_todo")
        if self.activity_ids.filtered(lambda activity: activity.activity_type_id == todo):
            return
        self.activity_schedule(
            "mail.mail_activity_data_todo", user_id=(self.collector_id or self.env.user).id, summary=summary
        )

    def _recipients(self):
        self.ensure_one()
        ids = self.partner_id._cobranza_statement_recipient_ids()
        return self.env["res.partner"].browse([int(partner_id) for partner_id in ids.split(",") if partner_id])

    def _print_letter(self, notes, fallback=False):
        """Render the letter once and keep it as evidence (the e-mail carries it; the post delivers it)."""
        self.ensure_one()
        if not self.letter_attachment_id:
            pdf = self._render_letters()[self.id]
            self.letter_attachment_id = self.env["ir.attachment"].create(
                {
                    "name": f"{self.name}.pdf",
                    "type": "binary",
                    "datas": base64.b64encode(pdf),
                    "res_model": self._name,
                    "res_id": self.id,
                    "mimetype": "application/pdf",
                }
            )
            self.message_post(
                body=_("Collection letter %(level)s printed.", level=self.level_id.name),
                attachment_ids=self.letter_attachment_id.ids,
                subtype_xmlid="mail.mt_note",
            )
        notes.append(_("Letter: printed (instead of the missing channels).") if fallback else _("Letter: printed."))

    def _render_letters(self):
        """{communication id: PDF bytes} of their letters."""
        report = self.env["ir.actions.report"]
        return {dunning.id: report._render_qweb_pdf(LETTER_REPORT, dunning.ids)[0] for dunning in self}

    def _render_emails(self):
        """{communication id: rendered e-mail values} of their levels' templates, for many at once.

        Odoo renders a template's QWeb body once per record and compiles it each time (most of the
        cost of a reminder); here each template's body is compiled once per language for the whole
        batch (``_render_bodies``), the small inline fields (subject, sender) by Odoo as usual.
        """
        rendered = {}
        with_email = self.filtered(lambda dunning: dunning.level_id.send_email and dunning.level_id.mail_template_id)
        for template, dunnings in with_email.grouped(lambda dunning: dunning.level_id.mail_template_id).items():
            template = template.sudo()  # a manager's template; the run may be started by a collector
            values = template._generate_template(
                dunnings.ids, ("subject", "email_from", "reply_to", "email_layout_xmlid")
            )
            for _lang, (lang_template, res_ids) in template._classify_per_lang(dunnings.ids).items():
                for res_id, body in self._render_bodies(lang_template, res_ids).items():
                    values[res_id]["body_html"] = body
            rendered.update(values)
        return rendered

    @api.model
    def _render_bodies(self, template, res_ids):
        """{res id: body} of ``template`` (already in the recipients' language) with one QWeb compilation."""
        source = str(template.body_html or "")
        marker = "\x1ecobranza-mail-%s\x1e"
        wrapper = (
            '<t t-foreach="cobranza_records" t-as="object"><t t-out="cobranza_marker % object.id"/>' + source + "</t>"
        )
        variables = template._render_eval_context()
        # a batch's reminders print the same dates and amounts again and again; each formatting looks
        # the language up anew (a third of the rendering), a repeated one is answered from memory
        for name in ("format_date", "format_amount"):
            variables[name] = _remembered(variables[name])
        variables.update(cobranza_records=self.browse(res_ids), cobranza_marker=marker)
        output = str(
            self.env["ir.qweb"]
            .with_context(lang=template.env.context.get("lang"))
            ._render(html.fragment_fromstring(wrapper, create_parent="div"), variables)
        )[5:-6]
        bodies = {}
        for chunk in output.split("\x1ecobranza-mail-")[1:]:
            res_id, _sep, body = chunk.partition("\x1e")
            bodies[int(res_id)] = body
        return {
            res_id: Markup(body)
            for res_id, body in template._render_template_postprocess(template.render_model, bodies).items()
        }

    def _prepare_mail_values(self, rendered, recipients):
        """The reminder e-mail as a chatter message and its queued mail, in one record (mail.mail extends
        mail.message): the chatter keeps it as evidence, the mail queue sends it, nothing is deleted."""
        self.ensure_one()
        return {
            "model": self._name,
            "res_id": self.id,
            "message_type": "comment",
            "subtype_id": self.env["ir.model.data"]._xmlid_to_res_id("mail.mt_comment"),
            "author_id": (self.collector_id.partner_id or self.company_id.partner_id).id,
            "email_from": rendered.get("email_from") or self.company_id.email_formatted,
            "reply_to": rendered.get("reply_to") or False,  # replies go to the collector
            "subject": rendered.get("subject") or self.name,
            "body": rendered["body_html"],
            "body_html": rendered["body_html"],
            "partner_ids": [fields.Command.set(recipients.ids)],
            "recipient_ids": [fields.Command.set(recipients.ids)],
            "attachment_ids": [fields.Command.set((self.letter_attachment_id | self._statement_attachment()).ids)],
            "auto_delete": False,
            "is_notification": True,
            "state": "outgoing",
        }

    @api.model
    def _send_outbox(self, mails):
        """Queue the reminders' e-mails of a batch in one insert; the mail queue sends them soon.

        The chatter copy of each reminder is sanitized once, by the message body's own field, and
        written in one UPDATE: given to ``create``, a body is sanitized three times (the message's
        cache and column, the mail's cache), a third of the cost of a reminder.
        """
        if not mails:
            return self.env["mail.mail"]
        queued = self.env["mail.mail"].sudo().create([dict(values, body="") for values in mails])
        messages = queued.mail_message_id
        body_field = messages._fields["body"]
        bulk_write.bulk_update(
            messages,
            {
                message.id: {"body": body_field.convert_to_cache(values["body"], message)}
                for message, values in zip(messages, mails, strict=True)
            },
        )
        queued.invalidate_recordset(["body"])
        self.env.ref("mail.ir_cron_mail_scheduler_action").sudo()._trigger()
        return queued

    def _deliver_email(self, notes, rendered, batch):
        """Queue the e-mail to the customer's invoice addresses; nothing to queue without an address."""
        self.ensure_one()
        recipients = self._recipients().filtered("email")
        if not recipients:
            notes.append(_("E-mail: the customer has no e-mail address."))
            return False
        values = rendered.get(self.id) or self._render_emails()[self.id]
        batch.mails.append(self._prepare_mail_values(values, recipients))
        self.email_sent = True
        notes.append(_("E-mail: queued to %s.", ", ".join(recipients.mapped("email"))))
        return True

    def _e164(self, number):
        partner = self.partner_id
        if not number:
            return False
        return partner._phone_format(number=number, country=partner.country_id or self.company_id.country_id) or False

    def _deliver_sms(self, notes):
        """Queue the SMS to the customer's mobile (Odoo's SMS queue sends it)."""
        self.ensure_one()
        number = self._e164(self.partner_id.mobile or self.partner_id.phone)
        if not number:
            notes.append(_("SMS: the customer has no valid mobile number."))
            return False
        self._message_sms_with_template(
            template=self.level_id.sms_template_id, partner_ids=[], sms_numbers=[number], put_in_queue=True
        )
        notes.append(_("SMS: queued to %s.", number))
        return True

    def _prepare_whatsapp(self, notes):
        """WhatsApp goes out from the collector's own phone: the communication offers the link."""
        self.ensure_one()
        if not self.whatsapp_url:
            notes.append(_("WhatsApp: the customer has no valid mobile number."))
            return False
        notes.append(_("WhatsApp: ready for the collector to send."))
        return True

    @api.depends("partner_id.mobile", "partner_id.phone", "level_id.whatsapp_message", "amount_total")
    def _compute_whatsapp_url(self):
        for dunning in self:
            number = dunning._e164(dunning.partner_id.mobile or dunning.partner_id.phone)
            if not (number and dunning.level_id.send_whatsapp):
                dunning.whatsapp_url = False
                continue
            lang = dunning.partner_id.lang or self.env.lang
            template = dunning.level_id.with_context(lang=lang).whatsapp_message or _(
                "Hello {customer}: {amount} is due on your account ({reference}). Please pay or tell us when you will."
            )
            text = template.format(
                customer=dunning.partner_id.name,
                amount=dunning.currency_id.format(dunning.amount_total),
                reference=dunning.name,
            )
            dunning.whatsapp_url = f"https://wa.me/{number.lstrip('+')}?text={quote(text)}"

    def action_send_whatsapp(self):
        """The collector sends the WhatsApp message: the contact rules are asked, the contact is logged."""
        self.ensure_one()
        if not self.whatsapp_url:
            raise UserError(_("This communication has no WhatsApp message to send (no valid mobile number)."))
        refusal = self.env["cobranza.contact.gate"]._check_now(self.partner_id, "whatsapp", self.company_id)
        if refusal:
            raise UserError(refusal)
        self._log_contact("whatsapp")
        if self.state == "waiting":
            self._mark_delivered()
        return {"type": "ir.actions.act_url", "url": self.whatsapp_url, "target": "new"}

    def _statement_attachment(self):
        """The customer's account statement as a PDF kept on the communication, when the level asks for it."""
        self.ensure_one()
        if not self.level_id.attach_statement:
            return self.env["ir.attachment"]
        pdf, _format = (
            self.env["ir.actions.report"]
            .with_company(self.company_id)
            ._render_qweb_pdf("cobranza_odoo.action_report_customer_statement", self.partner_id.ids)
        )
        return self.env["ir.attachment"].create(
            {
                "name": _("Statement %s.pdf", self.partner_id.name),
                "type": "binary",
                "datas": base64.b64encode(pdf),
                "res_model": self._name,
                "res_id": self.id,
                "mimetype": "application/pdf",
            }
        )

    def _deliver_call(self, notes, fallback=False):
        """Plan the call for the collector: it reaches the customer once the collector logs it."""
        self.ensure_one()
        if not (self.partner_id.mobile or self.partner_id.phone):
            notes.append(_("Call: the customer has no phone number."))
            return False
        if not self.call_scheduled:
            self.activity_schedule(
                "mail.mail_activity_data_call",
                user_id=(self.collector_id or self.env.user).id,
                summary=_("Call %(customer)s: %(level)s", customer=self.partner_id.name, level=self.level_id.name),
                note=self.level_id.call_script,
            )
            self.call_scheduled = True
        notes.append(_("Call: planned for the collector.") if not fallback else _("Call: planned instead."))
        return True

    def _put_on_hold(self, batch=None):
        self.ensure_one()
        profile = self.profile_id.sudo()
        if not profile.credit_hold:
            # stored text the collections team reads: in the company's language, whatever the context
            # of the run (a scheduled action or an install may have no language at all)
            lang = self.company_id.partner_id.lang or self.env.lang
            hold = (profile, self.with_context(lang=lang)._hold_reason())
            if batch is None:
                profile._put_on_hold_many([hold])
            else:
                batch.holds.append(hold)

    def _hold_reason(self):
        self.ensure_one()
        return _("Dunning level %(level)s on %(date)s", level=self.level_id.name, date=format_date(self.env, self.date))

    def _hand_over(self):
        self.ensure_one()
        moves = self.line_ids.move_id.filtered(lambda move: not move.cobranza_legal)
        moves.sudo().write({"cobranza_legal": True})
        lawyer = self.level_id.handoff_partner_id
        self.with_context(mail_notify_force_send=False).message_post(
            body=_(
                "Handed over to %(lawyer)s for legal collection: %(invoices)s.",
                lawyer=lawyer.name,
                invoices=", ".join(self.line_ids.move_id.mapped("name")),
            ),
            partner_ids=lawyer.ids if lawyer.email else [],
            attachment_ids=self.letter_attachment_id.ids,
            subtype_xmlid="mail.mt_comment",
        )

    def _run_server_actions(self):
        """Run the server action of communications that are saved (committed) and not run yet.

        Each one under its own savepoint, its completion written in the same savepoint as its effect
        on the database: an interrupted run repeats nothing it recorded. Effects outside the database
        (calling another system) must be idempotent: the action gets the communication's reference
        as ``cobranza_dunning_key`` in its context to pass on as an idempotency key.
        """
        for dunning in self.filtered(lambda record: record.action_state == "pending"):
            action = dunning.level_id.server_action_id
            try:
                with self.env.cr.savepoint():
                    action.with_context(
                        active_model=self._name,
                        active_id=dunning.id,
                        active_ids=dunning.ids,
                        cobranza_dunning_key=dunning.name,
                    ).sudo().run()
                    dunning.action_state = "done"
                    if dunning.state == "waiting":
                        dunning._mark_delivered()
                    self.env.flush_all()
            except Exception as error:
                dunning.write({"action_state": "failed", "failure_reason": str(error)})
                if dunning.state == "waiting":
                    dunning._record_failure(error)
        return self

    @api.depends("partner_id", "company_id")
    def _compute_profile_id(self):
        # for every communication of the batch at once (a reminder's links and hold need it)
        Profile = self.env["cobranza.partner.profile"]
        for company, dunnings in self.grouped("company_id").items():
            profiles = Profile._get_profiles(dunnings.partner_id, company)
            by_partner = {profile.partner_id: profile for profile in profiles}
            for dunning in dunnings:
                dunning.profile_id = by_partner.get(dunning.partner_id.commercial_partner_id, Profile)
        (self - self.filtered("company_id")).profile_id = False

    def _portal_links(self):
        """The links a reminder carries: to pay everything it lists, to the customer's statement and to
        each invoice's own page (where Odoo pays it online), all signed with tokens so that no portal
        user is needed."""
        self.ensure_one()
        profile = self.profile_id.sudo()
        return {
            "pay": profile._portal_pay_url(dunning=self),
            "statement": profile._portal_url(),
            "invoices": self.env["cobranza.portal"]._invoice_urls(self.line_ids.move_id),
        }

    def _prepare_portal_tokens(self):
        """The access tokens the pay links of these communications need, made for the whole batch at
        once (two UPDATEs) rather than for each reminder as its links are written."""
        profiles = self.profile_id.sudo()._portal_ensure_tokens()
        profiles.mapped("access_token")  # read back for the batch in one query, not one per reminder
        self.env["cobranza.portal"]._invoice_urls(self.line_ids.move_id)

    def _incentive_offers(self):
        """Early-payment discounts still open on the communication's date for its invoices."""
        self.ensure_one()
        offers = self.env["cobranza.incentive.deadline"]
        for move in self.line_ids.move_id:
            offers |= move._cobranza_incentive_offers(self.date)[:1]
        return offers

    def _settlement_offers(self):
        """Settlement offers made to the customer and still open on the communication's date."""
        self.ensure_one()
        return self.env["cobranza.settlement.offer"]._open_offers(self.partner_id, self.company_id, self.date)

    def _notify_get_reply_to(self, default=None):
        """Customers answer their collector."""
        result = super()._notify_get_reply_to(default=default)
        for record in self.filtered(lambda record: record.collector_id.email):
            result[record.id] = record.collector_id.email_formatted
        return result

    def _message_receive_bounce(self, email, partner):
        """A bounced e-mail: unless another channel (a letter, an SMS) reached the customer, nobody was
        told, so the delivery is undone and the collector has to find another way."""
        result = super()._message_receive_bounce(email, partner)
        sent = self.filtered(lambda record: record.state == "sent")
        if not sent:
            return result
        reason = _("E-mail to %s bounced.", email)
        reached_otherwise = set(
            self.env["cobranza.contact.log"]
            .sudo()
            .search([("dunning_id", "in", sent.ids), ("channel", "!=", "email"), ("reached", "=", True)])
            .dunning_id.ids
        )
        for dunning in sent:
            if dunning.id in reached_otherwise:
                dunning.message_post(body=reason, subtype_xmlid="mail.mt_note")
                dunning._todo_for_collector(
                    _(
                        "The e-mail to %s bounced (the other channels reached them): update the address",
                        dunning.partner_id.name,
                    )
                )
                continue
            dunning._undo_delivery(reason)
            dunning._todo_for_collector(_("Reminder to %s bounced: find another contact", dunning.partner_id.name))
        return result

    def _undo_delivery(self, reason):
        """A communication recorded as delivered did not reach the customer (its e-mail bounced).

        It is open again, failed (the next run tries it again, at a higher level if one is due by then),
        and its lines go back to the level and date of the last communication that did reach the
        customer, so that the levels after it do not follow a notice nobody read. A line a later
        communication moved on keeps its level. A prior notice it carried no longer counts for the
        credit bureau (the evidence is kept, marked as bounced).
        """
        self.ensure_one()
        sent_on = self.sent_date
        moved = {
            line.move_line_id.id: line.move_line_id
            for line in self.line_ids
            if line.move_line_id.cobranza_level_id == line.level_id
            and line.move_line_id.cobranza_last_dunning_date == sent_on
        }
        previous = {}
        if moved:
            rows = self.env.execute_query(
                SQL(
                    """
                    SELECT DISTINCT ON (line.move_line_id) line.move_line_id, line.level_id, dunning.sent_date
                      FROM cobranza_dunning_line line
                      JOIN cobranza_dunning dunning ON dunning.id = line.dunning_id
                      JOIN cobranza_policy_level level ON level.id = line.level_id
                     WHERE line.move_line_id = ANY(%s) AND dunning.id != %s
                       AND dunning.state = 'sent' AND dunning.sent_date IS NOT NULL
                  ORDER BY line.move_line_id, dunning.sent_date DESC, level.sequence DESC, dunning.id DESC
                    """,
                    list(moved),
                    self.id,
                )
            )
            previous = {line_id: (level_id, on) for line_id, level_id, on in rows}
        restored = defaultdict(dict)
        for line_id in moved:
            level_id, on = previous.get(line_id, (False, False))
            restored[on][line_id] = level_id
        self._write_line_levels(list(restored.items()))
        self.write({"state": "failed", "sent_date": False, "failure_reason": reason})
        self.message_post(body=_("Not delivered: %s", reason), subtype_xmlid="mail.mt_note")
        notices = self.env["cobranza.bureau.notice"].sudo().search([("dunning_id", "=", self.id)])
        if notices:
            notices.write({"bounced": True})
            notices.line_ids.write({"refreshed_on": False})

    # ------------------------------------------------------------------ for the run

    @api.model
    def _open_by_partner(self, partner_ids, company):
        """{commercial partner id: its open communications (newest first)} in ``company``."""
        opened = self.sudo().search(
            [
                ("partner_id", "in", list(partner_ids)),
                ("company_id", "=", company.id),
                ("state", "in", OPEN_STATES),
                ("sent_date", "=", False),
            ],
            order="date desc, id desc",
        )
        return opened.grouped("partner_id")
