from odoo import _, api, fields, models
from odoo.exceptions import UserError

from .selections import CONTACT_CHANNELS, INBOUND_CHANNELS

OUTCOMES = [
    ("sent", "Sent"),
    ("reached", "Reached"),
    ("no_answer", "No answer"),
    ("wrong_number", "Wrong number"),
    ("promise", "Promise to pay"),
    ("dispute", "Dispute"),
    ("info_requested", "Asked for information"),
]


class CobranzaContactLog(models.Model):
    """Every contact with a customer, outbound or inbound: what the contact rules count.

    Filled by the addon's own sends (e-mail, SMS, WhatsApp, letter, statement, agreement reminders)
    and by the collector (*Log a Call*). The log is evidence (Chile asks to keep it two years): the
    addon never deletes it, and what was recorded cannot be changed afterwards — only a note added.
    """

    _name = "cobranza.contact.log"
    _description = "Customer Contact"
    _order = "date desc, id desc"
    _check_company_auto = True

    partner_id = fields.Many2one("res.partner", string="Customer", required=True, index=True, readonly=True)
    contact_partner_id = fields.Many2one("res.partner", string="Contact Person", readonly=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, readonly=True, default=lambda self: self.env.company.root_id
    )
    date = fields.Datetime(required=True, index=True, readonly=True, default=fields.Datetime.now)
    user_id = fields.Many2one("res.users", string="By", readonly=True, default=lambda self: self.env.user)
    channel = fields.Selection(CONTACT_CHANNELS + INBOUND_CHANNELS, required=True, readonly=True)
    direction = fields.Selection(
        [("outbound", "To the customer"), ("inbound", "From the customer")],
        required=True,
        default="outbound",
        readonly=True,
    )
    reached = fields.Boolean(readonly=True, help="The customer was reached; otherwise it was an attempt.")
    outcome = fields.Selection(OUTCOMES, required=True, default="sent", readonly=True)
    requested_by_customer = fields.Boolean(
        string="Asked by the Customer",
        readonly=True,
        help="An answer to the customer's own request: the contact rules do not count it.",
    )
    dunning_id = fields.Many2one("cobranza.dunning", string="Communication", readonly=True, index="btree_not_null")
    agreement_id = fields.Many2one("cobranza.agreement", readonly=True, index="btree_not_null")
    move_id = fields.Many2one("account.move", string="Invoice", readonly=True, index="btree_not_null")
    note = fields.Text()

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            vals.setdefault("reached", vals.get("outcome") not in ("no_answer", "wrong_number", None))
        return super().create(vals_list)

    def write(self, vals):
        if set(vals) - {"note"} and not self.env.su:
            raise UserError(_("A contact cannot be changed once logged: add a note instead."))
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise UserError(_("The contact log is evidence: contacts are never deleted."))
