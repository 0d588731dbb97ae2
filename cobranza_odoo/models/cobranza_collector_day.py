from odoo import _, api, fields, models
from odoo.tools import SQL

KINDS = [
    ("call", "Call to make"),
    ("whatsapp", "WhatsApp to send"),
    ("deferred", "Deferred by the contact rules"),
    ("letter", "Letter to post"),
    ("broken", "Broken promise or agreement"),
    ("undelivered", "Not delivered"),
    ("claim", "Credit-bureau claim to answer"),
]


class CobranzaCollectorDay(models.Model):
    """The collector's day: one list of what needs a person today, from every source (a SQL view).

    Calls planned by the dunning (with the customer's local time and whether the contact rules allow
    a call right now), WhatsApp messages to send, communications deferred by the contact rules with
    their slot, letters to post, broken promises and agreements still to follow up, communications
    that could not be delivered.
    """

    _name = "cobranza.collector.day"
    _description = "Collector's Day"
    _auto = False
    _order = "sequence, date, id"
    _rec_name = "partner_id"

    kind = fields.Selection(KINDS, readonly=True)
    sequence = fields.Integer(readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    collector_id = fields.Many2one("res.users", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    dunning_id = fields.Many2one("cobranza.dunning", string="Communication", readonly=True)
    agreement_id = fields.Many2one("cobranza.agreement", readonly=True)
    claim_id = fields.Many2one("cobranza.bureau.claim", readonly=True)
    date = fields.Datetime(string="When", readonly=True, help="Due date, or the slot the contact rules allow.")
    summary = fields.Char(readonly=True)
    local_time = fields.Char(string="Customer's Time", compute="_compute_contact_now")
    contact_now = fields.Char(string="Contact Rules", compute="_compute_contact_now")

    @property
    def _table_query(self):
        today = fields.Date.context_today(self)
        return SQL(
            """
            SELECT (1000000000::bigint + activity.id) AS id, 'call' AS kind, 1 AS sequence,
                   dunning.partner_id, COALESCE(activity.user_id, dunning.collector_id) AS collector_id,
                   dunning.company_id, dunning.id AS dunning_id, NULL::int AS agreement_id, NULL::int AS claim_id,
                   activity.date_deadline::timestamp AS date, activity.summary
              FROM mail_activity activity
              JOIN cobranza_dunning dunning ON activity.res_model = 'cobranza.dunning' AND dunning.id = activity.res_id
             WHERE activity.activity_type_id = %(call)s AND activity.date_deadline <= %(today)s
            UNION ALL
            SELECT (2000000000::bigint + dunning.id), 'whatsapp', 2, dunning.partner_id, dunning.collector_id,
                   dunning.company_id, dunning.id, NULL, NULL, dunning.date::timestamp, dunning.name
              FROM cobranza_dunning dunning
              JOIN cobranza_policy_level level ON level.id = dunning.level_id
             WHERE dunning.state = 'waiting' AND level.send_whatsapp
            UNION ALL
            SELECT (3000000000::bigint + dunning.id), 'deferred', 3, dunning.partner_id, dunning.collector_id,
                   dunning.company_id, dunning.id, NULL, NULL, dunning.deferred_until, dunning.defer_reason
              FROM cobranza_dunning dunning
             WHERE dunning.state = 'deferred'
            UNION ALL
            SELECT (4000000000::bigint + dunning.id), 'letter', 4, dunning.partner_id, dunning.collector_id,
                   dunning.company_id, dunning.id, NULL, NULL, dunning.sent_date::timestamp, dunning.name
              FROM cobranza_dunning dunning
             WHERE dunning.state = 'sent' AND dunning.letter_attachment_id IS NOT NULL
               AND NOT COALESCE(dunning.letter_posted, FALSE) AND NOT COALESCE(dunning.email_sent, FALSE)
            UNION ALL
            SELECT (5000000000::bigint + agreement.id), 'broken', 5, agreement.partner_id, agreement.collector_id,
                   agreement.company_id, NULL, agreement.id, NULL, agreement.broken_date::timestamp, agreement.name
              FROM cobranza_agreement agreement
             WHERE agreement.state = 'broken' AND EXISTS (
                   SELECT 1 FROM mail_activity todo
                    WHERE todo.res_model = 'cobranza.agreement' AND todo.res_id = agreement.id)
            UNION ALL
            SELECT (6000000000::bigint + dunning.id), 'undelivered', 6, dunning.partner_id, dunning.collector_id,
                   dunning.company_id, dunning.id, NULL, NULL, dunning.date::timestamp, dunning.failure_reason
              FROM cobranza_dunning dunning
             WHERE dunning.state IN ('undeliverable', 'failed')
            UNION ALL
            SELECT (7000000000::bigint + claim.id), 'claim', 0, claim.partner_id, claim.user_id,
                   claim.company_id, NULL, NULL, claim.id, claim.deadline::timestamp, claim.description
              FROM cobranza_bureau_claim claim
             WHERE claim.state = 'open'
            """,
            call=self.env.ref("mail.mail_activity_data_call").id,
            today=today,
        )

    @api.depends("partner_id", "kind")
    def _compute_contact_now(self):
        """The customer's local time now, and for calls and messages whether the rules allow them now."""
        Gate = self.env["cobranza.contact.gate"]
        now = fields.Datetime.now()
        contexts = {}
        for company, items in self.grouped("company_id").items():
            contexts[company] = Gate._gate_context(items.partner_id, company, now)
        for item in self:
            item.local_time = Gate._local_now(item.partner_id) if item.partner_id else False
            channel = {"call": "call", "whatsapp": "whatsapp"}.get(item.kind)
            if not channel or not item.partner_id:
                item.contact_now = False
                continue
            decision = contexts[item.company_id].decide(item.partner_id.id, channel, now)
            item.contact_now = _("Allowed now") if decision.allowed else Gate._explain(decision, item.partner_id)

    def action_open(self):
        """Open the record behind the item."""
        self.ensure_one()
        record = self.dunning_id or self.agreement_id or self.claim_id
        return {
            "type": "ir.actions.act_window",
            "res_model": record._name,
            "res_id": record.id,
            "view_mode": "form",
        }

    def action_log_call(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("cobranza_odoo.cobranza_call_log_wizard_action")
        action["context"] = {"default_partner_id": self.partner_id.id, "default_dunning_id": self.dunning_id.id}
        return action
