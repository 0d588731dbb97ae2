from odoo import models
from odoo.exceptions import MissingError


class CobranzaBatchTracking(models.AbstractModel):
    """Tracking messages of many records written in one go, for the records the daily runs change by
    the hundreds (a day's reminders put customers on credit hold).

    Odoo logs each changed record's tracking with its own message insert and its own tracking-value
    insert. Here the messages of records without a tracking subtype, body or author are created in one
    insert and their values in another; they read exactly as Odoo's. Anything else goes Odoo's way.
    """

    _name = "cobranza.batch.tracking"
    _inherit = ["mail.thread"]
    _description = "Collections: tracking messages in batches"

    def _message_track(self, fields_iter, initial_values_dict):
        precommit = self.env.cr.precommit.data
        customised = precommit.get(f"mail.tracking.message.{self._name}") or precommit.get(
            f"mail.tracking.author.{self._name}"
        )
        if len(self) < 2 or not fields_iter or customised:
            return super()._message_track(fields_iter, initial_values_dict)
        tracked_fields = self.fields_get(fields_iter, attributes=("string", "type", "selection", "currency_field"))
        tracking = {}
        for record in self:
            try:
                tracking[record.id] = record._mail_track(tracked_fields, initial_values_dict[record.id])
            except MissingError:
                continue
        changed = self.browse([record_id for record_id, (changes, _values) in tracking.items() if changes])
        for record in changed:
            changes = tracking[record.id][0]
            if record._track_subtype({name: initial_values_dict[record.id][name] for name in changes}):
                return super()._message_track(fields_iter, initial_values_dict)  # notifies followers
        if not changed:
            return tracking
        messages = changed._message_log_batch({record.id: "" for record in changed})
        self.env["mail.tracking.value"].sudo().create(
            [
                dict(command[2], mail_message_id=message.id)
                for record, message in zip(changed, messages, strict=True)
                for command in tracking[record.id][1]
            ]
        )
        return tracking
