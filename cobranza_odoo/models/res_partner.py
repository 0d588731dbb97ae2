from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools.misc import format_amount

from ..engine import credit as credit_rules
from .cobranza_receivable_facts import ExposureFacts

# Sales users see a customer's credit status; invoicing users and auditors too.
CREDIT_READERS = "sales_team.group_sale_salesman,account.group_account_invoice,account.group_account_readonly"


class ResPartner(models.Model):
    _inherit = "res.partner"

    cobranza_profile_ids = fields.One2many(
        "cobranza.partner.profile",
        "partner_id",
        string="Collections Profiles",
    )
    # Convenience fields for the current company; the state itself lives on the profile.
    cobranza_collector_id = fields.Many2one(
        "res.users",
        string="Collector",
        compute="_compute_cobranza_collector_id",
        inverse="_inverse_cobranza_collector_id",
        search="_search_cobranza_collector_id",
        help="Person in charge of collecting from this customer in the current company.",
    )
    cobranza_open_amount = fields.Monetary(
        string="Open Receivable",
        compute="_compute_cobranza_receivable_figures",
        currency_field="cobranza_currency_id",
    )
    cobranza_overdue_amount = fields.Monetary(
        string="Overdue Amount",
        compute="_compute_cobranza_receivable_figures",
        currency_field="cobranza_currency_id",
    )
    cobranza_oldest_days_overdue = fields.Integer(
        string="Oldest Days Overdue",
        compute="_compute_cobranza_receivable_figures",
    )
    cobranza_credit_limit = fields.Monetary(
        string="Approved Credit Limit",
        compute="_compute_cobranza_credit",
        inverse="_inverse_cobranza_credit_limit",
        currency_field="cobranza_currency_id",
        groups=CREDIT_READERS,
        help="The customer's credit limit in the current company (0 = no limit). Only Collections Managers change it.",
    )
    cobranza_credit_increase = fields.Monetary(
        string="Temporary Increase",
        compute="_compute_cobranza_credit",
        currency_field="cobranza_currency_id",
        groups=CREDIT_READERS,
        help="Temporary credit-limit increases in force today.",
    )
    cobranza_credit_exposure = fields.Monetary(
        string="Exposure",
        compute="_compute_cobranza_credit",
        currency_field="cobranza_currency_id",
        groups=CREDIT_READERS,
        help="Open receivable (credits deducted) + draft customer invoices + confirmed orders not yet invoiced.",
    )
    cobranza_credit_available = fields.Monetary(
        string="Available Credit",
        compute="_compute_cobranza_credit",
        currency_field="cobranza_currency_id",
        groups=CREDIT_READERS,
    )
    cobranza_credit_unlimited = fields.Boolean(
        string="No Credit Limit", compute="_compute_cobranza_credit", groups=CREDIT_READERS
    )
    cobranza_credit_hold = fields.Boolean(
        string="Credit Hold",
        compute="_compute_cobranza_credit",
        inverse="_inverse_cobranza_credit_hold",
        groups=CREDIT_READERS,
        help="Put on hold by a Collections Manager: no new sale on credit until it is lifted.",
    )
    cobranza_credit_hold_reason = fields.Char(
        string="Hold Reason",
        compute="_compute_cobranza_credit",
        inverse="_inverse_cobranza_credit_hold",
        groups=CREDIT_READERS,
    )
    cobranza_credit_hold_state = fields.Selection(
        [("none", "Not on hold"), ("manual", "On hold"), ("automatic", "Automatic hold (overdue)")],
        string="Hold Status",
        compute="_compute_cobranza_credit",
        groups=CREDIT_READERS,
    )
    cobranza_currency_id = fields.Many2one(
        "res.currency", string="Collections Currency", compute="_compute_cobranza_receivable_figures"
    )

    def _cobranza_current_profiles(self):
        """{commercial partner id: profile} in the current company, without creating any."""
        company = self.env["cobranza.receivable.facts"]._scope_company(self.env.company)
        profiles = (
            self.env["cobranza.partner.profile"]
            .sudo()
            .search(
                [
                    ("partner_id", "in", self.commercial_partner_id._origin.ids),
                    ("company_id", "=", company.id),
                ]
            )
        )
        return {profile.partner_id.id: profile for profile in profiles}

    @api.depends("commercial_partner_id")
    @api.depends_context("company")
    def _compute_cobranza_collector_id(self):
        profiles = self._cobranza_current_profiles()
        for partner in self:
            profile = profiles.get(partner.commercial_partner_id._origin.id)
            partner.cobranza_collector_id = profile.collector_id if profile else False

    def _inverse_cobranza_collector_id(self):
        Profile = self.env["cobranza.partner.profile"]
        for collector, partners in self.grouped("cobranza_collector_id").items():
            Profile._get_profiles(partners).collector_id = collector

    def _search_cobranza_collector_id(self, operator, value):
        company = self.env["cobranza.receivable.facts"]._scope_company(self.env.company)
        Profile = self.env["cobranza.partner.profile"].sudo()
        if operator in ("=", "in") and not value:
            # "No collector" also covers customers that have no profile yet.
            assigned = Profile.search([("company_id", "=", company.id), ("collector_id", "!=", False)])
            return [("commercial_partner_id", "not in", assigned.partner_id.ids)]
        profiles = Profile.search([("company_id", "=", company.id), ("collector_id", operator, value)])
        return [("commercial_partner_id", "in", profiles.partner_id.ids)]

    @api.depends("commercial_partner_id")
    @api.depends_context("company")
    def _compute_cobranza_receivable_figures(self):
        company = self.env["cobranza.receivable.facts"]._scope_company(self.env.company)
        # Saved records only: a partner being created in a form owes nothing yet.
        exposure = self.env["cobranza.receivable.facts"]._exposure_by_partner(
            self.commercial_partner_id._origin.ids, company, fields.Date.context_today(self)
        )
        for partner in self:
            facts = exposure.get(partner.commercial_partner_id._origin.id, ExposureFacts())
            partner.cobranza_currency_id = company.currency_id
            partner.cobranza_open_amount = facts.receivable_balance
            partner.cobranza_overdue_amount = facts.overdue_amount
            partner.cobranza_oldest_days_overdue = facts.oldest_days_overdue

    # ------------------------------------------------------------------ credit

    @api.depends("commercial_partner_id")
    @api.depends_context("company")
    def _compute_cobranza_credit(self):
        company = self.env["cobranza.receivable.facts"]._scope_company(self.env.company)
        facts = self._cobranza_credit_facts(company)
        profiles = self._cobranza_current_profiles()
        no_history = credit_rules.CreditFacts(rounding=company.currency_id.rounding)
        for partner in self:
            commercial = partner.commercial_partner_id._origin
            partner_facts = facts.get(commercial.id, no_history)
            decision = self._cobranza_decide(partner_facts, 0.0, company)
            profile = profiles.get(commercial.id)
            partner.cobranza_credit_limit = partner_facts.base_limit
            partner.cobranza_credit_increase = decision.increase
            partner.cobranza_credit_exposure = decision.exposure_before
            partner.cobranza_credit_available = decision.available or 0.0
            partner.cobranza_credit_unlimited = decision.limit is None
            partner.cobranza_credit_hold = bool(profile and profile.credit_hold)
            partner.cobranza_credit_hold_reason = profile.credit_hold_reason if profile else False
            if "manual_hold" in decision.codes:
                partner.cobranza_credit_hold_state = "manual"
            elif "overdue_hold" in decision.codes:
                partner.cobranza_credit_hold_state = "automatic"
            else:
                partner.cobranza_credit_hold_state = "none"

    def _inverse_cobranza_credit_limit(self):
        self._cobranza_check_credit_manager()
        company = self.env["cobranza.receivable.facts"]._scope_company(self.env.company)
        for partner in self:
            partner.commercial_partner_id.with_company(company).sudo().credit_limit = partner.cobranza_credit_limit

    def _inverse_cobranza_credit_hold(self):
        self._cobranza_check_credit_manager()
        Profile = self.env["cobranza.partner.profile"]
        for partner in self:
            profile = Profile._get_profiles(partner)
            profile.write(
                {"credit_hold": partner.cobranza_credit_hold, "credit_hold_reason": partner.cobranza_credit_hold_reason}
            )

    def _cobranza_check_credit_manager(self):
        if not self.env.su and not self.env.user.has_group("cobranza_odoo.group_cobranza_manager"):
            raise AccessError(_("Only Collections Managers can change credit limits and credit holds."))

    @api.model_create_multi
    def create(self, vals_list):
        if any(vals.get("credit_limit") for vals in vals_list):
            self._cobranza_check_credit_manager()
        return super().create(vals_list)

    def write(self, vals):
        if "credit_limit" in vals and any(partner.credit_limit != vals["credit_limit"] for partner in self.sudo()):
            self._cobranza_check_credit_manager()
        return super().write(vals)

    @api.constrains("credit_limit")
    def _check_cobranza_credit_limit(self):
        for partner in self:
            if partner.credit_limit < 0:
                raise ValidationError(_("A credit limit cannot be negative (0 means no limit)."))

    @api.model
    def _cobranza_credit_unattended(self):
        """True when nobody is at the screen to ask for approval: portal, online payment, sudo jobs."""
        return bool(self.env.su or self.env.user.share or self.env.context.get("cobranza_credit_unattended"))

    def _cobranza_credit_facts(self, company, exclude_move_ids=()):
        """{commercial partner id: engine CreditFacts} of these partners' customers, in one query."""
        by_customer = self._cobranza_credit_facts_by_customer(company, exclude_move_ids)
        return {partner_id: facts for partner_id, (facts, _addresses) in by_customer.items()}

    def _cobranza_credit_facts_by_customer(self, company, exclude_move_ids=(), detail=True):
        """{commercial partner id: (engine CreditFacts, ids of the partners of ``self`` that are it or its
        addresses)} in one query — the partners' own fields are not read (see the credit gate).
        ``detail=False``: without the overdue amount (None), read in the same time whatever the
        customers' history (see ``_credit_snapshot``)."""
        company = self.env["cobranza.receivable.facts"]._scope_company(company)
        today = fields.Date.context_today(self)
        snapshot = self.env["cobranza.receivable.facts"]._credit_snapshot(
            self._origin.ids, company, today, exclude_move_ids, detail=detail
        )
        result = {}
        for partner_id, (known, terms, address_ids) in snapshot.items():
            facts = credit_rules.CreditFacts(
                base_limit=terms.limit,
                increases=terms.increases,
                receivable_balance=known.receivable_balance,
                draft_invoices=known.draft_invoices,
                uninvoiced_orders=known.uninvoiced_orders,
                overdue_amount=known.overdue_amount,
                oldest_days_overdue=known.oldest_days_overdue,
                on_hold=terms.on_hold,
                hold_reason=terms.hold_reason,
                hold_days=terms.hold_days,
                segment_action=terms.segment_action,
                rounding=company.currency_id.rounding,
            )
            result[partner_id] = (facts, address_ids)
        return result

    @api.model
    def _cobranza_credit_enforced(self, company):
        """True when the credit check may stop something in ``company``: its setting or a segment's."""
        company = self.env["cobranza.receivable.facts"]._scope_company(company)
        if company.cobranza_credit_action != "none":
            return True
        return bool(
            self.env["cobranza.segment"]
            .sudo()
            .search_count(
                [
                    ("credit_action", "in", ("warn", "block")),
                    "|",
                    ("company_id", "=", False),
                    ("company_id", "=", company.id),
                ],
                limit=1,
            )
        )

    @api.model
    def _cobranza_decide(self, facts, amount, company):
        """The engine decision for ``amount`` (company currency) with the company's enforcement setting."""
        company = self.env["cobranza.receivable.facts"]._scope_company(company)
        return credit_rules.decide(facts, amount, fields.Date.context_today(self), company.cobranza_credit_action)

    def _cobranza_credit_text(self, decision, company, document=None, with_approvers=False):
        """A translated, plain-text explanation of a credit decision for this customer."""
        self.ensure_one()
        company = self.env["cobranza.receivable.facts"]._scope_company(company)

        def money(amount):
            return format_amount(self.env, amount or 0.0, company.currency_id)

        # the name alone: in a quotation the partner's display name carries its whole address
        customer = self.commercial_partner_id.name
        if decision.outcome == "block":
            title = _("%(customer)s is stopped by the credit check.", customer=customer)
        elif decision.outcome == "warn":
            title = _("Credit warning for %(customer)s.", customer=customer)
        else:
            title = _("Credit status of %(customer)s.", customer=customer)
        if document:
            title = f"{document.display_name}: {title}"
        lines = [title]
        for reason in decision.reasons:
            if reason.code == "over_limit":
                lines.append(
                    _(
                        "- Credit limit %(limit)s exceeded by %(excess)s (exposure with this document: %(exposure)s).",
                        limit=money(reason.limit),
                        excess=money(reason.excess),
                        exposure=money(reason.exposure),
                    )
                )
            elif reason.code == "manual_hold":
                lines.append(_("- On credit hold: %(reason)s", reason=reason.hold_reason))
            elif reason.code == "overdue_hold":
                lines.append(
                    _(
                        "- An installment is %(days)s days overdue (automatic credit hold after %(hold_days)s days).",
                        days=reason.oldest_days_overdue,
                        hold_days=reason.hold_days,
                    )
                )
        if decision.limit is None:
            lines.append(_("Credit limit: none. Exposure: %(exposure)s.", exposure=money(decision.exposure_before)))
        else:
            lines.append(
                _(
                    "Credit limit: %(limit)s (temporary increase included: %(increase)s). "
                    "Exposure before this document: %(exposure)s. Available: %(available)s.",
                    limit=money(decision.limit),
                    increase=money(decision.increase),
                    exposure=money(decision.exposure_before),
                    available=money(decision.available),
                )
            )
        if decision.overdue_amount > 0:
            lines.append(
                _(
                    "Overdue: %(overdue)s (oldest installment %(days)s days late).",
                    overdue=money(decision.overdue_amount),
                    days=decision.oldest_days_overdue,
                )
            )
        else:
            lines.append(_("Nothing overdue."))
        if with_approvers:
            approvers = company._cobranza_managers()
            lines.append(_("Who can approve an exception: %s.", ", ".join(approvers.mapped("name")) or _("nobody yet")))
        return "\n".join(lines)

    def cobranza_credit_check(self, amount=0.0, company=None):
        """Public API: the credit decision for this customer and ``amount`` in company currency.

        Usable from server actions and automated actions, e.g.
        ``result = record.cobranza_credit_check(2500.0)`` then ``if result["outcome"] == "block": ...``.
        Returns a dict: outcome ("allow", "warn" or "block" under the company's setting), reasons
        (codes: over_limit, manual_hold, overdue_hold), message (translated text), exposure (before the
        amount), limit (False when unlimited), available, excess, overdue_amount, oldest_days_overdue,
        on_hold.
        """
        self.ensure_one()
        company = self.env["cobranza.receivable.facts"]._scope_company(company or self.env.company)
        partner = self.commercial_partner_id
        decision = self._cobranza_decide(partner._cobranza_credit_facts(company)[partner.id], amount, company)
        return {
            "outcome": decision.outcome,
            "reasons": list(decision.codes),
            "message": partner._cobranza_credit_text(decision, company),
            "exposure": decision.exposure_before,
            "limit": decision.limit if decision.limit is not None else False,
            "available": decision.available if decision.available is not None else False,
            "excess": decision.excess,
            "overdue_amount": decision.overdue_amount,
            "oldest_days_overdue": decision.oldest_days_overdue,
            "on_hold": decision.on_hold,
        }

    def _cobranza_statement_recipient_ids(self):
        """Who receives collections mail: the customer's invoice addresses with an e-mail, else itself."""
        self.ensure_one()
        commercial = self.commercial_partner_id
        invoice_contacts = commercial.child_ids.filtered(lambda child: child.type == "invoice" and child.email)
        return ",".join(str(partner_id) for partner_id in (invoice_contacts or commercial).ids)

    def _cobranza_portal_url(self, company=None, pay=False):
        """Signed link to this customer's statement in the portal (``pay``: the link paying every open
        invoice), for statements and e-mails: it works without a portal user."""
        self.ensure_one()
        profile = (
            self.env["cobranza.partner.profile"]
            .sudo()
            ._get_profiles(self.commercial_partner_id, company or self.env.company)
        )
        return profile._portal_pay_url(scope="all") if pay else profile._portal_url()

    def action_cobranza_send_statement(self):
        """Open the e-mail composer with the statement template and the PDF attached."""
        self.ensure_one()
        template = self.env.ref("cobranza_odoo.mail_template_customer_statement")
        partner = self.commercial_partner_id
        refusal = self.env["cobranza.contact.gate"]._check_now(partner, "email")
        if refusal:
            raise UserError(refusal)
        return {
            "type": "ir.actions.act_window",
            "res_model": "mail.compose.message",
            "view_mode": "form",
            "target": "new",
            "context": {
                "default_model": "res.partner",
                "default_res_ids": partner.ids,
                "default_template_id": template.id,
                "default_composition_mode": "comment",
                "default_email_layout_xmlid": "mail.mail_notification_light",
                "cobranza_log_statement": True,
            },
        }

    def message_post(self, **kwargs):
        message = super().message_post(**kwargs)
        if self.env.context.get("cobranza_log_statement") and kwargs.get("message_type", "notification") == "comment":
            for partner in self:
                self.env["cobranza.contact.gate"]._log(partner, "email", note=_("Account statement sent."))
        return message

    def action_cobranza_new_promise(self):
        """Log a promise to pay for this customer's overdue installments (two clicks: here, then save)."""
        self.ensure_one()
        lines = self.env["cobranza.receivable.facts"]._overdue_lines(self.commercial_partner_id)
        return self.env["cobranza.agreement"]._new_action(self.commercial_partner_id, lines, "promise")

    def action_cobranza_new_agreement(self):
        self.ensure_one()
        lines = self.env["cobranza.receivable.facts"]._overdue_lines(self.commercial_partner_id)
        return self.env["cobranza.agreement"]._new_action(self.commercial_partner_id, lines, "agreement")

    def action_cobranza_open_agreements(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("cobranza_odoo.cobranza_agreement_action")
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {"default_partner_id": self.commercial_partner_id.id}
        return action

    def action_cobranza_open_increases(self):
        """Temporary credit increases of this customer in the current company."""
        self.ensure_one()
        partner = self.commercial_partner_id
        action = self.env["ir.actions.act_window"]._for_xml_id("cobranza_odoo.cobranza_credit_increase_action")
        action["domain"] = [("partner_id", "=", partner.id)]
        action["context"] = {"default_partner_id": partner.id}
        return action

    def action_cobranza_open_profile(self):
        """Open (creating it if needed) the collections profile of this customer in the current company."""
        self.ensure_one()
        profile = self.env["cobranza.partner.profile"]._get_profiles(self)
        return {
            "type": "ir.actions.act_window",
            "res_model": "cobranza.partner.profile",
            "res_id": profile.id,
            "view_mode": "form",
        }
