import uuid
from collections import defaultdict
from urllib.parse import urlencode

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, ValidationError
from odoo.tools import mute_logger
from psycopg2 import IntegrityError

from ..engine import self_service
from . import bulk_write
from . import ledger_fragments as ledger
from .selections import COLLECTION_STATUSES


class CobranzaPartnerProfile(models.Model):
    """Collections state of one customer (commercial partner) in one company.

    Everything that changes daily or differs per company lives here rather than on
    res.partner: collector, holds, segment, status, metrics. Profiles are created on
    demand by ``_get_profiles``; nobody has to create them by hand.

    It is also the customer's own statement in the portal (``/my/collections/<id>``): its access
    token signs the links of reminders and statements, so a customer without a portal user opens
    them (a new token revokes every link sent).
    """

    _name = "cobranza.partner.profile"
    _description = "Customer Collections Profile"
    _inherit = ["cobranza.batch.tracking", "mail.activity.mixin", "portal.mixin"]
    _order = "partner_id, company_id"
    _rec_name = "partner_id"
    _check_company_auto = True

    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        ondelete="cascade",
        index=True,
        readonly=True,
    )
    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        readonly=True,
        default=lambda self: self.env.company.root_id,
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    collector_id = fields.Many2one(
        "res.users",
        tracking=True,
        domain="[('share', '=', False), ('company_ids', 'in', company_id)]",
        help="Person in charge of collecting from this customer in this company.",
    )
    note = fields.Html(string="Collections Notes")

    # Manual credit hold: only Collections Managers set or lift it (see write()).
    credit_hold = fields.Boolean(tracking=True)
    credit_hold_reason = fields.Char(string="Hold Reason", tracking=True)
    credit_hold_date = fields.Date(string="On Hold Since", readonly=True)
    credit_hold_user_id = fields.Many2one("res.users", string="Put on Hold By", readonly=True)

    # Payment-behaviour metrics: a dated snapshot written by the daily run (see _refresh).
    metrics_date = fields.Date(readonly=True, index=True, copy=False)
    paid_invoice_count = fields.Integer(string="Paid Invoices", readonly=True)
    on_time_ratio = fields.Float(string="On-Time Ratio (%)", readonly=True, aggregator="avg")
    avg_days_late = fields.Float(string="Average Days Late", readonly=True, aggregator="avg", digits=(16, 1))
    worst_days_overdue = fields.Integer(readonly=True, aggregator="max")
    overdue_amount = fields.Monetary(readonly=True)
    open_amount = fields.Monetary(readonly=True)
    credit_use = fields.Float(string="Credit Use (%)", readonly=True, aggregator="avg", digits=(16, 1))
    last_payment_date = fields.Date(string="Last Payment", readonly=True)
    broken_promise_count = fields.Integer(string="Broken Promises", readonly=True)

    # Dunning: which policy, and whether to dun this customer at all.
    policy_id = fields.Many2one(
        "cobranza.policy", string="Dunning Policy", tracking=True, help="Instead of the segment's or company's policy."
    )
    incentive_id = fields.Many2one(
        "cobranza.incentive",
        string="Early-Payment Incentive",
        tracking=True,
        help="Instead of the segment's or company's program, for the invoices posted from now on.",
    )
    interest_policy_id = fields.Many2one(
        "cobranza.interest.policy",
        string="Late Interest Policy",
        tracking=True,
        help="Instead of the segment's or company's policy. A policy that does not charge interest exempts "
        "the customer.",
    )
    interest_charged_until = fields.Date(
        readonly=True,
        copy=False,
        index=True,
        help="The last period end the monthly interest run handled for this customer.",
    )
    interest_charge_count = fields.Integer(string="Interest Charges", compute="_compute_interest_counts")
    settlement_offer_count = fields.Integer(string="Settlement Offers", compute="_compute_interest_counts")
    dunning_excluded = fields.Boolean(string="No Dunning", tracking=True)
    dunning_exclusion_reason = fields.Char(string="Why No Dunning", tracking=True)
    dunning_paused_until = fields.Date(tracking=True)
    dunning_checked_on = fields.Date(readonly=True, copy=False, index=True)
    dunning_count = fields.Integer(string="Reminders", compute="_compute_dunning_count")
    open_invoice_count = fields.Integer(string="Open Invoices", compute="_compute_open_invoice_count")
    agreement_count = fields.Integer(string="Agreements", compute="_compute_agreement_count")

    segment_id = fields.Many2one("cobranza.segment", tracking=True, index=True, copy=False)
    segment_color = fields.Integer(related="segment_id.color")
    segment_locked = fields.Boolean(tracking=True, help="The daily run keeps the segment a manager pinned.")
    segment_lock_reason = fields.Char(string="Lock Reason", tracking=True)
    segment_reason = fields.Text(string="Why This Segment", readonly=True)
    segment_date = fields.Date(string="Segment Since", readonly=True)
    segment_change_ids = fields.One2many("cobranza.segment.change", "profile_id", string="Segment History")
    consumer = fields.Boolean(
        compute="_compute_consumer",
        store=True,
        readonly=False,
        help="Consumer-protection contact rules apply (hours, days, how often, authorised channels). "
        "By default individuals are consumers and companies are not.",
    )
    consent_ids = fields.One2many("cobranza.contact.consent", "profile_id", string="Authorised Channels")
    contact_log_ids = fields.Many2many(
        "cobranza.contact.log", string="Recent Contacts", compute="_compute_contact_rules", compute_sudo=True
    )
    contact_local_time = fields.Char(string="Customer's Time", compute="_compute_contact_rules", compute_sudo=True)
    contact_pack = fields.Char(string="Contact Rules", compute="_compute_contact_rules", compute_sudo=True)
    collection_status = fields.Selection(COLLECTION_STATUSES, readonly=True, index=True, copy=False, default="current")

    _sql_constraints = [
        (
            "partner_company_uniq",
            "unique(partner_id, company_id)",
            "A customer has only one collections profile per company.",
        ),
    ]

    @api.depends("partner_id", "consumer", "company_id")
    def _compute_contact_rules(self):
        Gate = self.env["cobranza.contact.gate"]
        logs = (
            self.env["cobranza.contact.log"]
            .sudo()
            .search([("partner_id", "in", self.partner_id.ids), ("company_id", "in", self.company_id.ids)], limit=500)
        )
        by_partner = logs.grouped("partner_id")
        for profile in self:
            partner = profile.partner_id
            profile.contact_log_ids = by_partner.get(partner, logs.browse())[:50]
            profile.contact_local_time = Gate._local_now(partner) if partner else False
            profile.contact_pack = Gate._pack_label(partner, profile) if partner else False

    def action_log_call(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("cobranza_odoo.cobranza_call_log_wizard_action")
        action["context"] = {"default_partner_id": self.partner_id.id}
        return action

    # ------------------------------------------------------------------ the customer's portal

    def _compute_access_url(self):
        for profile in self:
            profile.access_url = f"/my/collections/{profile.id}"

    def _portal_ensure_tokens(self):
        """Give every one of these profiles its access token (one UPDATE for those without)."""
        missing = self.filtered(lambda profile: not profile.access_token)
        if missing:
            bulk_write.bulk_update(
                self.sudo(),
                {profile.id: {"access_token": str(uuid.uuid4())} for profile in missing},
                tracked_elsewhere=("access_token",),
            )
        return self

    def _portal_url(self, suffix="", **params):
        """Absolute, signed link to the customer's statement page (or one of its pages, ``suffix``)."""
        self.ensure_one()
        self._portal_ensure_tokens()
        query = urlencode({"access_token": self.access_token, **{key: value for key, value in params.items() if value}})
        return f"{self.get_base_url()}{self.access_url}{suffix}?{query}"

    def _portal_pay_url(self, dunning=None, scope="all"):
        """Signed link paying what a reminder lists (``dunning``), or the customer's overdue or open items."""
        self.ensure_one()
        if dunning:
            return self._portal_url("/pay", dunning_id=dunning.id)
        return self._portal_url("/pay", scope=scope)

    def action_portal_preview(self):
        """Open the customer's statement page as the customer sees it (its signed link)."""
        self.ensure_one()
        return {"type": "ir.actions.act_url", "url": self._portal_url(), "target": "new"}

    def _portal_promise_max_days(self):
        """How many days ahead this customer may promise to pay from the portal (0: not at all)."""
        self.ensure_one()
        return self_service.promise_max_days(
            self.company_id.cobranza_portal_promise_max_days, self.segment_id.portal_promise_max_days
        )

    @api.depends("partner_id.is_company")
    def _compute_consumer(self):
        for profile in self:
            profile.consumer = not profile.partner_id.is_company

    @api.constrains("partner_id")
    def _check_commercial_partner(self):
        for profile in self:
            if profile.partner_id != profile.partner_id.commercial_partner_id:
                raise ValidationError(
                    _(
                        "Collections profiles belong to the commercial entity: use %(company)s instead of %(contact)s.",
                        company=profile.partner_id.commercial_partner_id.display_name,
                        contact=profile.partner_id.display_name,
                    )
                )

    @api.constrains("credit_hold", "credit_hold_reason")
    def _check_credit_hold_reason(self):
        for profile in self:
            if profile.credit_hold and not (profile.credit_hold_reason or "").strip():
                raise ValidationError(_("Say why %s is put on credit hold.", profile.partner_id.display_name))

    @api.constrains("segment_locked", "segment_lock_reason", "segment_id")
    def _check_segment_lock(self):
        for profile in self.filtered("segment_locked"):
            if not profile.segment_id or not (profile.segment_lock_reason or "").strip():
                raise ValidationError(_("To lock a segment, choose the segment and say why."))

    MANAGER_FIELDS = (
        "credit_hold",
        "credit_hold_reason",
        "segment_id",
        "segment_locked",
        "segment_lock_reason",
        "policy_id",
        "incentive_id",
        "interest_policy_id",
        "dunning_excluded",
        "dunning_exclusion_reason",
    )

    def write(self, vals):
        if set(vals) & set(self.MANAGER_FIELDS) and not self.env.su:
            if not self.env.user.has_group("cobranza_odoo.group_cobranza_manager"):
                raise AccessError(_("Only Collections Managers can change credit holds and customer segments."))
        if "segment_id" in vals and not self.env.context.get("cobranza_segment_by_rule"):
            self._log_manual_segment_changes(vals)
        if "credit_hold" in vals:
            if vals["credit_hold"]:
                vals = {
                    **vals,
                    "credit_hold_date": fields.Date.context_today(self),
                    "credit_hold_user_id": self.env.uid,
                }
            else:
                vals = {**vals, "credit_hold_reason": False, "credit_hold_date": False, "credit_hold_user_id": False}
        return super().write(vals)

    @api.model
    def _put_on_hold_many(self, holds):
        """Put customers on credit hold: [(profile, reason)], one write per reason (a day's reminders
        hold many customers for the same level and date)."""
        by_reason = defaultdict(lambda: self.browse())
        for profile, reason in holds:
            by_reason[reason] |= profile
        for reason, profiles in by_reason.items():
            profiles.sudo().filtered(lambda profile: not profile.credit_hold).write(
                {"credit_hold": True, "credit_hold_reason": reason}
            )

    @api.model
    def _get_profiles(self, partners, company=None):
        """Profiles of the commercial partners of ``partners`` in ``company``, created when missing.

        Works for any user (a salesperson checking credit has no right to create profiles),
        in two queries whatever the number of partners. The result is in the caller's
        environment.
        """
        company = self.env["cobranza.receivable.facts"]._scope_company(company or self.env.company)
        commercial = partners.commercial_partner_id
        if not commercial:
            return self.browse()
        Profile = self.sudo().with_context(active_test=False)
        existing = Profile.search([("partner_id", "in", commercial.ids), ("company_id", "=", company.id)])
        missing = commercial - existing.partner_id
        if missing:
            values = [self._prepare_profile_values(partner, company) for partner in missing]
            try:
                # No flush here: flushing would run pre-commit hooks that may create these very profiles.
                with mute_logger("odoo.sql_db"), self.env.cr.savepoint(flush=False):
                    created = Profile.with_context(mail_create_nolog=True, tracking_disable=True).create(values)
                existing |= created
                # A profile made on demand is technical: mail would skip tracking the rest of this
                # transaction for it ("just created"), but the collector or hold set next must be tracked.
                discarded = self.env.cr.precommit.data.get(f"mail.tracking.{self._name}", {})
                for profile_id in created.ids:
                    if profile_id in discarded and discarded[profile_id] is None:
                        del discarded[profile_id]
            except IntegrityError:
                # Another transaction created some of them meanwhile: read them back.
                existing = Profile.search([("partner_id", "in", commercial.ids), ("company_id", "=", company.id)])
        return existing.with_env(self.env)

    @api.model
    def _prepare_profile_values(self, partner, company):
        """Values of a new profile; localisations and integrators add their defaults here."""
        return {"partner_id": partner.id, "company_id": company.id}

    def _open_invoices_domain(self):
        self.ensure_one()
        return [
            ("move_type", "=", "out_invoice"),
            ("state", "=", "posted"),
            ("payment_state", "in", ("not_paid", "partial")),
            ("commercial_partner_id", "=", self.partner_id.id),
            *ledger.company_family_domain(self.company_id),
        ]

    def _compute_open_invoice_count(self):
        for profile in self:
            profile.open_invoice_count = (
                self.env["account.move"].search_count(profile._open_invoices_domain()) if profile.partner_id else 0
            )

    def action_open_invoices(self):
        """Open customer invoices of this customer in this company."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("cobranza_odoo.account_move_action_cobranza_invoices")
        action["domain"] = self._open_invoices_domain()
        action["context"] = {"default_move_type": "out_invoice"}
        return action

    def action_open_partner(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "res.partner",
            "res_id": self.partner_id.id,
            "view_mode": "form",
        }

    def _compute_dunning_count(self):
        counts = {
            (partner, company): count
            for partner, company, count in self.env["cobranza.dunning"]._read_group(
                [("partner_id", "in", self.partner_id.ids)], ["partner_id", "company_id"], ["__count"]
            )
        }
        for profile in self:
            profile.dunning_count = counts.get((profile.partner_id, profile.company_id), 0)

    @api.constrains("dunning_excluded", "dunning_exclusion_reason")
    def _check_dunning_exclusion(self):
        for profile in self:
            if profile.dunning_excluded and not (profile.dunning_exclusion_reason or "").strip():
                raise ValidationError(_("Say why %s gets no reminders.", profile.partner_id.display_name))

    def _dunning_policy(self):
        """The policy that applies: the customer's own, its segment's, or the company's default."""
        self.ensure_one()
        return self.policy_id or self.segment_id.policy_id or self.company_id.cobranza_policy_id

    def _compute_agreement_count(self):
        counts = {
            (partner, company): count
            for partner, company, count in self.env["cobranza.agreement"]._read_group(
                [("partner_id", "in", self.partner_id.ids)], ["partner_id", "company_id"], ["__count"]
            )
        }
        for profile in self:
            profile.agreement_count = counts.get((profile.partner_id, profile.company_id), 0)

    def action_open_agreements(self):
        self.ensure_one()
        return self.partner_id.with_company(self.company_id).action_cobranza_open_agreements()

    def action_new_promise(self):
        self.ensure_one()
        return self.partner_id.with_company(self.company_id).action_cobranza_new_promise()

    def action_open_dunnings(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("cobranza_odoo.cobranza_dunning_action")
        action["domain"] = [("partner_id", "=", self.partner_id.id), ("company_id", "=", self.company_id.id)]
        action["context"] = {}
        return action

    # ------------------------------------------------------------------ late interest and settlements

    def _interest_policy(self):
        """The late interest policy that applies: the customer's own, its segment's, or the company's."""
        self.ensure_one()
        for policy in (
            self.interest_policy_id,
            self.segment_id.interest_policy_id,
            self.company_id.cobranza_interest_policy_id,
        ):
            if policy.active:
                return policy
        return self.env["cobranza.interest.policy"]

    def _compute_interest_counts(self):
        Charge = self.env["cobranza.interest.charge"]
        Offer = self.env["cobranza.settlement.offer"]
        domain = [("partner_id", "in", self.partner_id.ids)]
        charges = {
            (partner, company): count
            for partner, company, count in Charge._read_group(
                [*domain, ("state", "!=", "cancelled")], ["partner_id", "company_id"], ["__count"]
            )
        }
        offers = {
            (partner, company): count
            for partner, company, count in Offer._read_group(domain, ["partner_id", "company_id"], ["__count"])
        }
        for profile in self:
            family = [
                count
                for (partner, company), count in charges.items()
                if partner == profile.partner_id and company.root_id == profile.company_id
            ]
            profile.interest_charge_count = sum(family)
            profile.settlement_offer_count = offers.get((profile.partner_id, profile.company_id), 0)

    def action_charge_interest(self):
        """Open the "Charge interest" wizard for this customer."""
        action = self.env["ir.actions.act_window"]._for_xml_id("cobranza_odoo.cobranza_interest_wizard_action")
        action["context"] = {"default_profile_ids": [fields.Command.set(self.ids)]}
        return action

    def action_print_interest_statement(self):
        """The interest statement (liquidación de intereses) of these customers, as of today."""
        return self.env.ref("cobranza_odoo.action_report_interest_statement").report_action(self.partner_id)

    def action_open_interest_charges(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("cobranza_odoo.cobranza_interest_charge_action")
        action["domain"] = [
            ("partner_id", "=", self.partner_id.id),
            *ledger.company_family_domain(self.company_id),
        ]
        action["context"] = {}
        return action

    def action_open_settlement_offers(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("cobranza_odoo.cobranza_settlement_offer_action")
        action["domain"] = [("partner_id", "=", self.partner_id.id), ("company_id", "=", self.company_id.id)]
        action["context"] = {"default_partner_id": self.partner_id.id, "default_company_id": self.company_id.id}
        return action

    def _credit_action_override(self):
        """The credit enforcement the customer's segment imposes, or None to follow the company."""
        self.ensure_one()
        action = self.segment_id.credit_action
        return action if action and action != "company" else None

    # ------------------------------------------------------------------ segments by hand

    def _log_manual_segment_changes(self, vals):
        new_segment = self.env["cobranza.segment"].browse(vals["segment_id"])
        reason = vals.get("segment_lock_reason") or _("Set by hand")
        Change = self.env["cobranza.segment.change"].sudo()
        for locked, profiles in self.grouped(
            lambda profile: vals.get("segment_locked", profile.segment_locked)
        ).items():
            Change._bulk_log(
                [
                    (profile, profile.segment_id, new_segment, reason)
                    for profile in profiles
                    if profile.segment_id != new_segment
                ],
                source="lock" if locked else "manual",
                user=self.env.user,
            )
        vals["segment_date"] = fields.Date.context_today(self)
        vals.setdefault("segment_reason", reason)

    # ------------------------------------------------------------------ the daily refresh (cobranza.profile.refresh)

    def action_refresh(self):
        """Refresh these customers now (metrics, segment, statuses)."""
        self._refresh(fields.Date.context_today(self))
        return True

    def _refresh(self, today):
        """Metrics, segment and statuses of these profiles for ``today`` (see cobranza.profile.refresh)."""
        self.env["cobranza.profile.refresh"]._refresh(self, today)

    def _refresh_statuses(self, today, company=None):
        self.env["cobranza.profile.refresh"]._refresh_statuses(self, today, company)

    def _prepare_metrics_values(self, metrics):
        """Field values of an engine Metrics; integrators add their own metrics here."""
        return {
            "paid_invoice_count": metrics.paid_invoices,
            # Undefined ratios are stored empty (NULL) so that averages over customers ignore them.
            "on_time_ratio": round(metrics.on_time_ratio * 100, 2) if metrics.on_time_ratio is not None else None,
            "avg_days_late": round(metrics.avg_days_late, 1) if metrics.avg_days_late is not None else None,
            "worst_days_overdue": metrics.worst_days_overdue,
            "overdue_amount": metrics.overdue_amount,
            "open_amount": metrics.open_amount,
            "credit_use": round(metrics.credit_use * 100, 1) if metrics.credit_use is not None else None,
            "last_payment_date": metrics.last_payment_date or False,
            "broken_promise_count": metrics.broken_promises,
        }

    def _snapshot_changed(self, values):
        self.ensure_one()
        for name, value in values.items():
            current = self[name]
            if isinstance(current, models.BaseModel):
                current = current.id
            if current != value and (current or value):
                return True
        return False
