import hashlib

from odoo import _, api, fields, models
from odoo.exceptions import UserError


class CobranzaBureauNotice(models.Model):
    """The evidence of one credit-bureau prior notice (Ley 1266 de 2008 art. 12): the communication
    that carried it, when and to whom it went, the letter PDF and its SHA-256 fingerprint.

    The notice must be provable years later: the record and its attachment are never deleted, and a
    fingerprint shows the PDF kept is the one sent.
    """

    _name = "cobranza.bureau.notice"
    _description = "Credit-Bureau Prior Notice"
    _order = "date desc, id desc"

    dunning_id = fields.Many2one("cobranza.dunning", string="Communication", required=True, readonly=True, index=True)
    partner_id = fields.Many2one("res.partner", string="Customer", required=True, readonly=True, index=True)
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    date = fields.Date(string="Sent On", required=True, readonly=True)
    channels = fields.Char(readonly=True, help="How it reached the customer.")
    recipients = fields.Char(readonly=True)
    attachment_id = fields.Many2one("ir.attachment", string="Notice PDF", readonly=True)
    attachment_sha256 = fields.Char(string="PDF Fingerprint (SHA-256)", readonly=True)
    message_id = fields.Many2one("mail.message", string="E-mail", readonly=True)
    line_ids = fields.Many2many("cobranza.bureau.line", string="Obligations", readonly=True)
    bounced = fields.Boolean(
        readonly=True, help="Its e-mail bounced and nothing else reached the customer: it does not count as notice."
    )

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise UserError(_("A credit-bureau prior notice is evidence: it is never deleted."))

    @api.model
    def _fingerprint(self, attachment):
        return hashlib.sha256(attachment.raw or b"").hexdigest() if attachment else False
