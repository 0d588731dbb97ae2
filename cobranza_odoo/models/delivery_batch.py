"""What a batch of deliveries writes once, at its end, rather than once per communication.

A day's run delivers hundreds of reminders in one batch; each one queues an e-mail, raises its
lines' levels, logs a contact and may put its customer on hold. Those writes are collected here
and made in one statement each (``cobranza.dunning._flush_delivery_batch``). A communication that
fails is taken back out with ``rewind`` (its own savepoint rolled back the rest of its work).
"""


class DeliveryBatch:
    def __init__(self):
        self.mails = []  # mail.mail values of the reminders' e-mails
        self.line_levels = []  # [(date sent, {journal item id: level id})]
        self.contacts = []  # cobranza.contact.log values
        self.holds = []  # [(profile, reason)]

    def _lists(self):
        return (self.mails, self.line_levels, self.contacts, self.holds)

    def mark(self):
        """Where the batch stands now, to rewind to if the next communication fails."""
        return tuple(len(items) for items in self._lists())

    def rewind(self, mark=None):
        for items, size in zip(self._lists(), mark or (0, 0, 0, 0), strict=True):
            del items[size:]
