from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from .selections import CONTACT_CHANNELS


class CobranzaContactConsent(models.Model):
    """A channel the customer authorised for collections, with its evidence.

    Colombia's Ley 2300 de 2023 only lets a creditor contact a consumer through the channels the
    consumer authorised: the contact rules refuse any other. Revoking keeps the record (evidence).
    """

    _name = "cobranza.contact.consent"
    _description = "Authorised Contact Channel"
    _order = "profile_id, channel"
    _rec_name = "channel"

    profile_id = fields.Many2one("cobranza.partner.profile", required=True, ondelete="cascade", index=True)
    partner_id = fields.Many2one(related="profile_id.partner_id", store=True, string="Customer")
    company_id = fields.Many2one(related="profile_id.company_id", store=True)
    channel = fields.Selection(CONTACT_CHANNELS, required=True)
    date_from = fields.Date(string="Authorised Since", required=True, default=fields.Date.context_today)
    source = fields.Selection(
        [
            ("contract", "Contract or credit application"),
            ("email", "E-mail from the customer"),
            ("portal", "Customer portal"),
            ("call", "Recorded call"),
            ("other", "Other document"),
        ],
        required=True,
        default="contract",
    )
    user_id = fields.Many2one("res.users", string="Recorded By", default=lambda self: self.env.user, readonly=True)
    revoked_on = fields.Date(help="The customer withdrew this channel from that day on.")
    note = fields.Char(string="Evidence", help="Where the authorisation is kept (document, message, recording).")

    _sql_constraints = [
        ("profile_channel_uniq", "unique(profile_id, channel)", "A channel is authorised once per customer."),
    ]

    @api.constrains("date_from", "revoked_on")
    def _check_dates(self):
        for consent in self:
            if consent.revoked_on and consent.revoked_on < consent.date_from:
                raise ValidationError(_("A channel cannot be revoked before it was authorised."))

    def _in_force(self, day):
        return self.filtered(
            lambda consent: consent.date_from <= day and not (consent.revoked_on and consent.revoked_on <= day)
        )
