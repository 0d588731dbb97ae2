"""The customer's side of collections: their statement, pay links, promises and disputes (issue 18).

Access: the logged-in portal user's own commercial partner, or a link signed with the customer's
collections-profile token (sent in reminders and statements) for customers without a portal user.
A wrong token answers 404, like a missing page: nothing tells whether a customer exists. Everything
read or done goes through the ``cobranza.portal`` service, in the profile's company only.
"""

from odoo import _, fields, http
from odoo.addons.account_payment.controllers.portal import PortalAccount
from odoo.exceptions import UserError, ValidationError
from odoo.fields import Command
from odoo.http import content_disposition, request
from odoo.tools import consteq
from werkzeug.exceptions import NotFound

# What the statement page says after the customer did something (passed in its URL, never as text).
PAGE_MESSAGES = ("promise", "promise_to_approve", "dispute")


class CobranzaCustomerPortal(PortalAccount):
    # ------------------------------------------------------------------ access

    def _cobranza_profile(self, profile_id, access_token=None):
        """The collections profile (sudo) the visitor may see, or 404."""
        profile = request.env["cobranza.partner.profile"].sudo().browse(profile_id).exists()
        if not profile:
            raise NotFound()
        if access_token and profile.access_token and consteq(profile.access_token, access_token):
            return profile
        user = request.env.user
        if (
            not user._is_public()
            and user.partner_id.commercial_partner_id == profile.partner_id
            and profile.company_id in user.sudo().company_ids.root_id
        ):
            return profile
        raise NotFound()

    def _cobranza_user_profile(self, company_id=None):
        """The logged-in customer's own profile in the current company (or ``company_id``, one of theirs)."""
        user = request.env.user
        companies = user.sudo().company_ids.root_id
        company = (
            companies.filtered(lambda record: record.id == company_id) if company_id else request.env.company.root_id
        )
        if company not in companies:
            company = companies[:1]
        partner = user.partner_id.commercial_partner_id
        return request.env["cobranza.partner.profile"].sudo()._get_profiles(partner, company)

    def _cobranza_service(self, profile):
        return request.env["cobranza.portal"].sudo().with_company(profile.company_id)

    def _cobranza_speak_the_customers_language(self, profile):
        """A visitor from a reminder's link (no portal user) reads the pages in the customer's language."""
        lang = profile.partner_id.lang
        if request.env.user._is_public() and lang and lang in dict(request.env["res.lang"].get_installed()):
            request.update_context(lang=lang)

    # ------------------------------------------------------------------ portal home

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "cobranza_open_count" in counters:
            user = request.env.user
            count = 0
            if not user._is_public():
                partner = user.partner_id.commercial_partner_id
                rows = (
                    request.env["cobranza.receivable.facts"]
                    .sudo()
                    ._open_receivables(partner.ids, request.env.company.root_id)
                )
                count = len({row.move_id for row in rows if row.residual > 0})
            values["cobranza_open_count"] = count
        return values

    # ------------------------------------------------------------------ the statement

    @http.route("/my/collections", type="http", auth="user", website=True, sitemap=False)
    def cobranza_my_statement(self, company_id=None, **kwargs):
        profile = self._cobranza_user_profile(self._cast_as_int(company_id))
        if not profile:
            return request.redirect("/my")
        return self._cobranza_render_statement(profile, **kwargs)

    @http.route("/my/collections/<int:profile_id>", type="http", auth="public", website=True, sitemap=False)
    def cobranza_statement(self, profile_id, access_token=None, **kwargs):
        profile = self._cobranza_profile(profile_id, access_token)
        return self._cobranza_render_statement(profile, **kwargs)

    def _cobranza_render_statement(self, profile, message=None, error=None, **kwargs):
        self._cobranza_speak_the_customers_language(profile)
        values = self._prepare_portal_layout_values()
        statement = self._cobranza_service(profile)._statement(profile)
        user = request.env.user
        values.update(statement)
        values.update(
            {
                "page_name": "cobranza_statement",
                "access_token": profile._portal_ensure_tokens().access_token,
                "urls": {
                    "self": profile.access_url,
                    "pdf": f"{profile.access_url}/statement.pdf",
                    "pay": f"{profile.access_url}/pay",
                    "promise": f"{profile.access_url}/promise",
                    "dispute": f"{profile.access_url}/dispute",
                },
                "message": message if message in PAGE_MESSAGES else None,
                "error": error,
                "other_companies": (
                    user.sudo().company_ids.root_id - profile.company_id if not user._is_public() else []
                ),
            }
        )
        return request.render("cobranza_odoo.portal_collections", values)

    @http.route(
        "/my/collections/<int:profile_id>/statement.pdf", type="http", auth="public", website=True, sitemap=False
    )
    def cobranza_statement_pdf(self, profile_id, access_token=None, **kwargs):
        profile = self._cobranza_profile(profile_id, access_token)
        partner = profile.partner_id
        pdf, _format = (
            request.env["ir.actions.report"]
            .sudo()
            .with_company(profile.company_id)
            ._render_qweb_pdf("cobranza_odoo.action_report_customer_statement", partner.ids)
        )
        filename = _("Statement %s.pdf", partner.name)
        headers = [
            ("Content-Type", "application/pdf"),
            ("Content-Length", len(pdf)),
            ("Content-Disposition", content_disposition(filename)),
        ]
        return request.make_response(pdf, headers=headers)

    # ------------------------------------------------------------------ paying

    def _cobranza_pay_context(self, profile, dunning_id=None, scope=None):
        """(dunning or None, scope): what a pay link pays; a reminder of another customer is a 404."""
        dunning = None
        if dunning_id:
            dunning = request.env["cobranza.dunning"].sudo().browse(self._cast_as_int(dunning_id)).exists()
            if not dunning or dunning.partner_id != profile.partner_id or dunning.company_id != profile.company_id:
                raise NotFound()
        return dunning, (scope if scope in ("overdue", "all") else "all")

    @http.route("/my/collections/<int:profile_id>/pay", type="http", auth="public", website=True, sitemap=False)
    def cobranza_pay(
        self, profile_id, access_token=None, dunning_id=None, scope=None, company_id=None, currency_id=None, **kwargs
    ):
        profile = self._cobranza_profile(profile_id, access_token)
        dunning, scope = self._cobranza_pay_context(profile, dunning_id, scope)
        self._cobranza_speak_the_customers_language(profile)
        Service = self._cobranza_service(profile)
        company = request.env["res.company"].sudo().browse(self._cast_as_int(company_id))
        currency = request.env["res.currency"].sudo().browse(self._cast_as_int(currency_id))
        group, groups = Service._pay_group(profile, scope=scope, dunning=dunning, company=company, currency=currency)
        token = profile._portal_ensure_tokens().access_token
        statement_url = f"{profile.access_url}?access_token={token}"
        values = {
            **self._prepare_portal_layout_values(),
            "page_name": "cobranza_pay",
            "profile": profile,
            "partner": profile.partner_id,
            "dunning": dunning,
            "scope": scope,
            "group": group,
            "groups": groups,
            "statement_url": statement_url,
            "access_token": token,
        }
        if group:
            key = f"{dunning.id}" if dunning else scope
            values.update(
                self._get_common_page_view_values(
                    invoices_data={
                        "partner": profile.partner_id,
                        "company": group["company"],
                        "total_amount": group["total"],
                        "currency": group["currency"],
                        "amount_residual": group["total"],
                        "landing_route": statement_url,
                        "transaction_route": (
                            f"{profile.access_url}/transaction/{key}/{group['company'].id}/{group['currency'].id}"
                        ),
                    },
                    access_token=token,
                )
            )
            values["amount"] = group["total"]
        return request.render("cobranza_odoo.portal_collections_pay", values)

    @http.route(
        "/my/collections/<int:profile_id>/transaction/<string:key>/<int:company_id>/<int:currency_id>",
        type="json",
        auth="public",
    )
    def cobranza_transaction(self, profile_id, key, company_id, currency_id, access_token=None, **kwargs):
        """Create the transaction of a pay link: its invoices and amount are decided here, again, never
        taken from the browser; a page opened before a payment changed the amount asks to reload."""
        try:
            profile = self._cobranza_profile(profile_id, access_token)
        except NotFound as error:
            raise ValidationError(_("The access token is invalid.")) from error
        dunning, scope = self._cobranza_pay_context(profile, key if key.isdigit() else None, key)
        company = request.env["res.company"].sudo().browse(company_id)
        currency = request.env["res.currency"].sudo().browse(currency_id)
        group, _groups = self._cobranza_service(profile)._pay_group(
            profile, scope=scope, dunning=dunning, company=company, currency=currency
        )
        if not group:
            raise ValidationError(_("Nothing is left to pay here: thank you!"))
        amount = self._cast_as_float(kwargs.get("amount"))
        if amount is None or currency.compare_amounts(amount, group["total"]):
            raise ValidationError(_("The amount to pay has changed since this page was opened: please reload it."))
        kwargs.pop("payment_reference", None)  # the reference is the reminder's or the invoices' own
        self._validate_transaction_kwargs(kwargs)
        user = request.env.user
        # The customer pays: their own portal user, else (a signed link) the customer itself.
        own = not user._is_public() and user.partner_id.commercial_partner_id == profile.partner_id
        partner = user.partner_id if own else profile.partner_id
        kwargs.update({"amount": group["total"], "currency_id": currency.id, "partner_id": partner.id})
        transaction = self._create_transaction(
            custom_create_values={
                "invoice_ids": [Command.set(group["moves"].ids)],
                "cobranza_discounts": {str(move_id): discount for move_id, discount in group["discounts"].items()},
            },
            reference_prefix=dunning.name if dunning else None,
            **kwargs,
        )
        return transaction._get_processing_values()

    # ------------------------------------------------------------------ promises and disputes

    @http.route("/my/collections/<int:profile_id>/promise", type="http", auth="public", methods=["POST"], website=True)
    def cobranza_promise(self, profile_id, access_token=None, promise_date=None, amount=None, **post):
        profile = self._cobranza_profile(profile_id, access_token)
        move_ids = [self._cast_as_int(value) for value in request.httprequest.form.getlist("move_ids")]
        try:
            day = fields.Date.to_date(promise_date) if promise_date else None
        except ValueError:
            day = promise_date
        amount = self._cast_as_float(amount) if amount not in (None, "") else None
        try:
            agreement = self._cobranza_service(profile)._make_promise(profile, move_ids, day, amount)
        except UserError as error:
            return self._cobranza_render_statement(profile, error=error.args[0])
        message = "promise" if agreement.state == "active" else "promise_to_approve"
        return request.redirect(f"{profile.access_url}?access_token={profile.access_token}&message={message}")

    @http.route("/my/collections/<int:profile_id>/dispute", type="http", auth="public", methods=["POST"], website=True)
    def cobranza_dispute(self, profile_id, access_token=None, move_id=None, reason=None, **post):
        profile = self._cobranza_profile(profile_id, access_token)
        try:
            self._cobranza_service(profile)._open_dispute(profile, self._cast_as_int(move_id), reason)
        except UserError as error:
            return self._cobranza_render_statement(profile, error=error.args[0])
        return request.redirect(f"{profile.access_url}?access_token={profile.access_token}&message=dispute")
