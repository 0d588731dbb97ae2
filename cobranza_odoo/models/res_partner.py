from odoo import api, fields, models


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
                    ("partner_id", "in", self.commercial_partner_id.ids),
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
            profile = profiles.get(partner.commercial_partner_id.id)
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
        company = self.env.company
        today = fields.Date.context_today(self)
        rows = self.env["cobranza.receivable.facts"]._aging_by_partner(self.commercial_partner_id.ids, company, today)
        for partner in self:
            row = rows.get(partner.commercial_partner_id.id)
            partner.cobranza_currency_id = company.currency_id
            partner.cobranza_open_amount = row.total if row else 0.0
            partner.cobranza_overdue_amount = row.overdue_debt if row else 0.0
            partner.cobranza_oldest_days_overdue = row.oldest_days_late if row else 0

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
