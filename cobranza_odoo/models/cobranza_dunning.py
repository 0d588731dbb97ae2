import base64
from collections import defaultdict

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..engine import dunning_levels

# How many customers one call of the daily dunning run handles.
DUNNING_BATCH_SIZE = 100


class CobranzaDunning(models.Model):
    """One communication to one customer on one date, listing its lines each at its own level.

    Its chatter keeps the evidence: the e-mail sent, the letter PDF, the call planned.
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
    level_id = fields.Many2one("cobranza.policy.level", string="Level", readonly=True, index=True)
    stage = fields.Selection(related="level_id.stage", store=True)
    state = fields.Selection(
        [("draft", "Draft"), ("sent", "Sent"), ("failed", "Failed"), ("cancelled", "Cancelled")],
        default="draft",
        required=True,
        tracking=True,
        readonly=True,
        index=True,
    )
    line_ids = fields.One2many("cobranza.dunning.line", "dunning_id", string="Lines", readonly=True)
    amount_total = fields.Monetary(string="Amount Due", compute="_compute_amounts", store=True)
    amount_overdue = fields.Monetary(string="Overdue", compute="_compute_amounts", store=True)
    credits_amount = fields.Monetary(string="Credits in Favour", readonly=True)
    collector_id = fields.Many2one("res.users", string="Collector", readonly=True)
    email_sent = fields.Boolean(string="E-mail Queued", readonly=True)
    letter_attachment_id = fields.Many2one("ir.attachment", string="Letter", readonly=True)
    call_scheduled = fields.Boolean(string="Call Planned", readonly=True)
    action_state = fields.Selection(
        [("none", "None"), ("pending", "To Run"), ("done", "Done"), ("failed", "Failed")],
        string="Server Action",
        default="none",
        readonly=True,
        index=True,
    )
    failure_reason = fields.Text(readonly=True)

    @api.depends("line_ids.amount_residual", "line_ids.days_late")
    def _compute_amounts(self):
        for dunning in self:
            dunning.amount_total = sum(dunning.line_ids.mapped("amount_residual"))
            dunning.amount_overdue = sum(line.amount_residual for line in dunning.line_ids if line.days_late > 0)

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                vals["name"] = self.env["ir.sequence"].next_by_code("cobranza.dunning") or "/"
        return super().create(vals_list)

    # ------------------------------------------------------------------ planning

    @api.model
    def _gather(self, profiles, today):
        """Engine inputs for these profiles of one company: {profile: (lines, customer, policy)}.

        Bulk reads: one query for the open lines of every customer, whatever their number.
        """
        if not profiles:
            return {}
        company = profiles.company_id
        company.ensure_one()
        Facts = self.env["cobranza.receivable.facts"]
        self.env["account.move.line"].flush_model()
        self.env["account.move"].flush_model(["cobranza_dispute", "payment_state", "move_type"])
        rows = self.env.execute_query(
            SQL(
                """
            SELECT aml.id, aml.move_id, partner.commercial_partner_id, COALESCE(aml.date_maturity, aml.date),
                   aml.amount_residual, aml.cobranza_level_id, aml.cobranza_last_dunning_date,
                   aml.cobranza_dunning_processed_on, COALESCE(move.cobranza_dispute, FALSE)
              FROM account_move_line aml
              JOIN account_account account ON account.id = aml.account_id
              JOIN account_move move ON move.id = aml.move_id
              JOIN res_partner partner ON partner.id = aml.partner_id
             WHERE account.account_type = 'asset_receivable'
               AND aml.parent_state = 'posted'
               AND NOT aml.reconciled
               AND aml.amount_residual != 0
               AND move.payment_state IS DISTINCT FROM 'in_payment'
               AND partner.commercial_partner_id = ANY(%(partners)s)
               AND %(company)s
             ORDER BY COALESCE(aml.date_maturity, aml.date), aml.id
            """,
                partners=profiles.partner_id.ids,
                company=Facts._company_family_sql(company),
            )
        )
        agreed = Facts._moves_under_agreement({row[1] for row in rows}, today)
        lines, credits = defaultdict(list), defaultdict(float)
        for line_id, move_id, partner_id, maturity, residual, level_id, sent_on, processed_on, dispute in rows:
            if residual < 0:
                credits[partner_id] -= residual  # unapplied payments and credit notes
                continue
            lines[partner_id].append(
                dunning_levels.Line(
                    key=line_id,
                    date_maturity=maturity,
                    residual=residual,
                    last_level_key=level_id,
                    last_sent_date=sent_on,
                    in_dispute=dispute,
                    under_agreement=move_id in agreed,
                    processed_on=processed_on,
                )
            )
        result = {}
        for profile in profiles:
            policy = profile._dunning_policy()
            if not policy.level_ids:
                continue
            customer = dunning_levels.Customer(
                excluded=profile.dunning_excluded,
                paused_until=profile.dunning_paused_until or None,
                credits=credits.get(profile.partner_id.id, 0.0),
                tolerance=company.cobranza_tolerance_amount,
                rounding=company.currency_id.rounding,
            )
            result[profile] = (lines.get(profile.partner_id.id, []), customer, policy)
        return result

    @api.model
    def _plan(self, profiles, today):
        """{profile: (policy, customer, engine Plan)}: what the run would do today, and why not the rest."""
        plans = {}
        for _company, company_profiles in profiles.grouped("company_id").items():
            for profile, (lines, customer, policy) in self._gather(company_profiles, today).items():
                plan = dunning_levels.plan_customer(
                    lines, policy._engine_levels(), customer, today, split_by_level=policy.split_by_level
                )
                plans[profile] = (policy, customer, plan)
        return plans

    @api.model
    def _create_from_plans(self, plans, today):
        """Create the planned communications as drafts and mark their lines as handled today."""
        values, planned_lines = [], []
        for profile, (policy, customer, plan) in plans.items():
            for communication in plan.communications:
                values.append(self._prepare_dunning_values(profile, policy, customer, communication, today))
                planned_lines.append(communication.lines)
        if not values:
            return self.browse()
        dunnings = self.sudo().with_context(mail_create_nolog=True, tracking_disable=True).create(values)
        line_ids = [planned.line_key for lines in planned_lines for planned in lines]
        move_of = dict(
            self.env.execute_query(SQL("SELECT id, move_id FROM account_move_line WHERE id = ANY(%s)", line_ids))
        )
        self.env["cobranza.dunning.line"]._bulk_insert(
            [
                (dunning, planned, move_of[planned.line_key])
                for dunning, lines in zip(dunnings, planned_lines, strict=True)
                for planned in lines
            ]
        )
        self.env["account.move.line"]._cobranza_mark_dunning(line_ids, processed_on=today)
        dunnings.invalidate_recordset(["line_ids"])
        dunnings.modified(["line_ids"])  # recompute the stored totals from the inserted lines
        return dunnings.with_env(self.env)

    def _prepare_dunning_values(self, profile, policy, customer, communication, today):
        """Values of a new communication; integrators add theirs here."""
        return {
            "partner_id": profile.partner_id.id,
            "company_id": profile.company_id.id,
            "date": today,
            "policy_id": policy.id,
            "level_id": communication.level_key,
            "collector_id": profile.collector_id.id,
            "credits_amount": customer.credits,
        }

    # ------------------------------------------------------------------ sending

    def action_send(self):
        """Send these draft communications now through their level's channels."""
        drafts = self.filtered(lambda dunning: dunning.state == "draft")
        if not drafts:
            raise UserError(_("Only draft communications can be sent."))
        drafts._send()
        return True

    def action_cancel(self):
        if any(dunning.state != "draft" for dunning in self):
            raise UserError(_("Only draft communications can be cancelled: sent ones are evidence."))
        self.write({"state": "cancelled"})
        return True

    def _send(self):
        """Run every channel of each communication's level and record the levels as sent.

        E-mails go through the mail queue; the letter PDF and the e-mail stay in the chatter as
        evidence; server actions run later, once this work is committed.
        """
        for dunning in self:
            level = dunning.level_id
            if level.print_letter or level.handoff:
                dunning._print_letter()
            if level.send_email:
                dunning._queue_email()
            if level.schedule_call:
                dunning._plan_call()
            if level.set_credit_hold:
                dunning._put_on_hold()
            if level.handoff:
                dunning._hand_over()
        self.filtered(lambda dunning: dunning.level_id.server_action_id).action_state = "pending"
        self.write({"state": "sent"})
        for date, dunnings in self.grouped("date").items():
            self.env["account.move.line"]._cobranza_mark_dunning(
                (), level_by_line={line.move_line_id.id: line.level_id.id for line in dunnings.line_ids}, sent_on=date
            )
        if self.filtered(lambda dunning: dunning.action_state == "pending"):
            self.env.ref("cobranza_odoo.ir_cron_cobranza_dunning")._trigger()

    def _recipients(self):
        self.ensure_one()
        ids = self.partner_id._cobranza_statement_recipient_ids()
        return self.env["res.partner"].browse([int(partner_id) for partner_id in ids.split(",") if partner_id])

    def _print_letter(self):
        self.ensure_one()
        pdf, _format = self.env["ir.actions.report"]._render_qweb_pdf(
            "cobranza_odoo.action_report_dunning_letter", self.ids
        )
        attachment = self.env["ir.attachment"].create(
            {
                "name": f"{self.name}.pdf",
                "type": "binary",
                "datas": base64.b64encode(pdf),
                "res_model": self._name,
                "res_id": self.id,
                "mimetype": "application/pdf",
            }
        )
        self.letter_attachment_id = attachment
        self.message_post(
            body=_("Collection letter %(level)s printed.", level=self.level_id.name),
            attachment_ids=attachment.ids,
            subtype_xmlid="mail.mt_note",
        )

    def _queue_email(self):
        self.ensure_one()
        template = self.level_id.mail_template_id
        recipients = self._recipients().filtered("email")
        if not recipients:
            self.message_post(
                body=_("No e-mail sent: the customer has no e-mail address."), subtype_xmlid="mail.mt_note"
            )
            return
        # The mail queue sends it: nothing goes out from inside the run.
        self.with_context(mail_notify_force_send=False).message_post_with_source(
            template,
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
            partner_ids=recipients.ids,
            # replies go to the collector (the template's reply-to)
            attachment_ids=(self.letter_attachment_id | self._statement_attachment()).ids,
        )
        self.email_sent = True

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

    def _plan_call(self):
        self.ensure_one()
        self.activity_schedule(
            "mail.mail_activity_data_call",
            user_id=(self.collector_id or self.env.user).id,
            summary=_("Call %(customer)s: %(level)s", customer=self.partner_id.name, level=self.level_id.name),
            note=self.level_id.call_script,
        )
        self.call_scheduled = True

    def _put_on_hold(self):
        self.ensure_one()
        profile = self.env["cobranza.partner.profile"].sudo()._get_profiles(self.partner_id, self.company_id)
        if not profile.credit_hold:
            profile.write(
                {
                    "credit_hold": True,
                    "credit_hold_reason": _(
                        "Dunning level %(level)s on %(date)s", level=self.level_id.name, date=self.date
                    ),
                }
            )

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
        """Run the server action of communications that are saved (committed) and not run yet."""
        for dunning in self.filtered(lambda record: record.action_state == "pending"):
            action = dunning.level_id.server_action_id
            try:
                with self.env.cr.savepoint():
                    action.with_context(
                        active_model=self._name, active_id=dunning.id, active_ids=dunning.ids
                    ).sudo().run()
                dunning.action_state = "done"
            except Exception as error:
                dunning.write({"action_state": "failed", "failure_reason": str(error)})

    def _incentive_offers(self):
        """Early-payment discounts still open on the communication's date for its invoices."""
        self.ensure_one()
        offers = self.env["cobranza.incentive.deadline"]
        for move in self.line_ids.move_id:
            offers |= move._cobranza_incentive_offers(self.date)[:1]
        return offers

    def _notify_get_reply_to(self, default=None):
        """Customers answer their collector."""
        result = super()._notify_get_reply_to(default=default)
        for record in self.filtered(lambda record: record.collector_id.email):
            result[record.id] = record.collector_id.email_formatted
        return result

    def _message_receive_bounce(self, email, partner):
        """A bounced e-mail: the communication failed and the collector has to find another way."""
        result = super()._message_receive_bounce(email, partner)
        for dunning in self.filtered(lambda record: record.state == "sent"):
            dunning.write({"state": "failed", "failure_reason": _("E-mail to %s bounced.", email)})
            dunning.activity_schedule(
                "mail.mail_activity_data_todo",
                user_id=(dunning.collector_id or dunning.create_uid).id,
                summary=_("Reminder to %s bounced: find another contact", dunning.partner_id.name),
            )
        return result

    # ------------------------------------------------------------------ the daily run

    @api.model
    def _cron_run_dunning(self, batch_size=DUNNING_BATCH_SIZE):
        """Scheduled action: the daily dunning run for every company that switched it on.

        Each call first runs the server actions of communications committed by earlier calls,
        then handles one batch of customers not handled today (``dunning_checked_on`` marks
        them), reports progress and returns: the framework commits and calls again. A repeated
        or interrupted run never creates or sends anything twice.
        """
        today = fields.Date.context_today(self)
        pending = self.sudo().search([("action_state", "=", "pending")], limit=batch_size)
        pending._run_server_actions()
        Profile = self.env["cobranza.partner.profile"].sudo()
        Profile._create_missing_profiles(limit=batch_size)
        profiles = Profile.browse(self._run_candidates(today, limit=batch_size))
        dunnings = self._run_for(profiles, today)
        remaining = len(self._run_candidates(today)) + self.sudo().search_count([("action_state", "=", "pending")])
        self.env["ir.cron"]._notify_progress(done=len(profiles) + len(pending), remaining=remaining)
        return dunnings

    @api.model
    def _run_candidates(self, today, limit=None):
        """Ids of the profiles the run still has to handle today: dunning on, something open, not done today."""
        self.env["cobranza.partner.profile"].flush_model(["dunning_checked_on"])
        self.env["account.move.line"].flush_model(["amount_residual", "reconciled", "parent_state", "partner_id"])
        rows = self.env.execute_query(
            SQL(
                """
            SELECT profile.id
              FROM cobranza_partner_profile profile
              JOIN res_company company ON company.id = profile.company_id
             WHERE company.cobranza_dunning_mode != 'off'
               AND (profile.dunning_checked_on IS NULL OR profile.dunning_checked_on < %(today)s)
               AND EXISTS (
                   SELECT 1
                     FROM account_move_line aml
                     JOIN account_account account ON account.id = aml.account_id
                     JOIN res_partner partner ON partner.id = aml.partner_id
                     JOIN res_company line_company ON line_company.id = aml.company_id
                    WHERE account.account_type = 'asset_receivable'
                      AND aml.parent_state = 'posted'
                      AND NOT aml.reconciled
                      AND aml.amount_residual > 0
                      AND partner.commercial_partner_id = profile.partner_id
                      AND split_part(line_company.parent_path, '/', 1)::int = profile.company_id)
             ORDER BY profile.id
             %(limit)s
            """,
                today=today,
                limit=SQL("LIMIT %s", limit) if limit else SQL(),
            )
        )
        return [row[0] for row in rows]

    @api.model
    def _run_for(self, profiles, today, send=None):
        """Plan, create and (per the company's mode) send for these profiles; mark them handled."""
        dunnings = self._create_from_plans(self._plan(profiles, today), today)
        to_send = dunnings.filtered(
            lambda dunning: send if send is not None else dunning.company_id.cobranza_dunning_mode == "send"
        )
        to_send._send()
        if profiles:
            self.env.execute_query(
                SQL(
                    "UPDATE cobranza_partner_profile SET dunning_checked_on = %s WHERE id = ANY(%s)",
                    today,
                    profiles.ids,
                )
            )
            profiles.invalidate_recordset(["dunning_checked_on"])
        return dunnings
