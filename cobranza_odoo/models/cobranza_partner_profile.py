from odoo import _, api, fields, models
from odoo.exceptions import AccessError, ValidationError
from psycopg2 import IntegrityError


class CobranzaPartnerProfile(models.Model):
    """Collections state of one customer (commercial partner) in one company.

    Everything that changes daily or differs per company lives here rather than on
    res.partner: collector, holds, segment, status, metrics. Profiles are created on
    demand by ``_get_profiles``; nobody has to create them by hand.
    """

    _name = "cobranza.partner.profile"
    _description = "Customer Collections Profile"
    _inherit = ["mail.thread", "mail.activity.mixin"]
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
        string="Collector",
        tracking=True,
        domain="[('share', '=', False), ('company_ids', 'in', company_id)]",
        help="Person in charge of collecting from this customer in this company.",
    )
    note = fields.Html(string="Collections Notes")

    # Manual credit hold: only Collections Managers set or lift it (see write()).
    credit_hold = fields.Boolean(string="Credit Hold", tracking=True)
    credit_hold_reason = fields.Char(string="Hold Reason", tracking=True)
    credit_hold_date = fields.Date(string="On Hold Since", readonly=True)
    credit_hold_user_id = fields.Many2one("res.users", string="Put on Hold By", readonly=True)

    # Figures read live from the ledger (see cobranza.receivable.facts); not stored.
    open_amount = fields.Monetary(compute="_compute_receivable_figures", string="Open Amount")
    overdue_amount = fields.Monetary(compute="_compute_receivable_figures", string="Overdue Amount")
    oldest_days_overdue = fields.Integer(compute="_compute_receivable_figures", string="Oldest Days Overdue")

    _sql_constraints = [
        (
            "partner_company_uniq",
            "unique(partner_id, company_id)",
            "A customer has only one collections profile per company.",
        ),
    ]

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

    MANAGER_FIELDS = ("credit_hold", "credit_hold_reason")

    def write(self, vals):
        if set(vals) & set(self.MANAGER_FIELDS) and not self.env.su:
            if not self.env.user.has_group("cobranza_odoo.group_cobranza_manager"):
                raise AccessError(_("Only Collections Managers can put customers on credit hold or lift it."))
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

    @api.depends("partner_id", "company_id")
    def _compute_receivable_figures(self):
        today = fields.Date.context_today(self)
        facts = self.env["cobranza.receivable.facts"]
        for company, profiles in self.grouped("company_id").items():
            rows = facts._aging_by_partner(profiles.partner_id.ids, company, today) if company else {}
            for profile in profiles:
                row = rows.get(profile.partner_id.id)
                profile.open_amount = row.total if row else 0.0
                profile.overdue_amount = row.overdue_debt if row else 0.0
                profile.oldest_days_overdue = row.oldest_days_late if row else 0

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
                with self.env.cr.savepoint():
                    existing |= Profile.with_context(mail_create_nolog=True, tracking_disable=True).create(values)
            except IntegrityError:
                # Another transaction created some of them meanwhile: read them back.
                existing = Profile.search([("partner_id", "in", commercial.ids), ("company_id", "=", company.id)])
        return existing.with_env(self.env)

    @api.model
    def _prepare_profile_values(self, partner, company):
        """Values of a new profile; localisations and integrators add their defaults here."""
        return {"partner_id": partner.id, "company_id": company.id}

    def action_open_partner(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "res.partner",
            "res_id": self.partner_id.id,
            "view_mode": "form",
        }
