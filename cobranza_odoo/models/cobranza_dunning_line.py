from odoo import api, fields, models
from odoo.tools import SQL

from . import bulk_write


class CobranzaDunningLine(models.Model):
    """One receivable line in a communication, at its own level, as it stood that day."""

    _name = "cobranza.dunning.line"
    _description = "Dunning Line"
    _order = "dunning_id, date_maturity, id"
    # A day's run inserts one line per open journal item (100,000 at a time) and PostgreSQL checks
    # every foreign key of every row: the lines keep only their own keys. Who made them and when is
    # the communication's, and so are the company and the customer.
    _log_access = False

    dunning_id = fields.Many2one("cobranza.dunning", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="dunning_id.company_id")
    currency_id = fields.Many2one(related="dunning_id.currency_id")
    partner_id = fields.Many2one(related="dunning_id.partner_id")
    move_line_id = fields.Many2one(
        "account.move.line", string="Installment", required=True, ondelete="cascade", index=True
    )
    move_id = fields.Many2one("account.move", string="Invoice", required=True, ondelete="cascade", index=True)
    level_id = fields.Many2one("cobranza.policy.level", required=True, ondelete="restrict")
    date_maturity = fields.Date(string="Due Date", required=True)
    amount_residual = fields.Monetary(string="Amount Due", required=True)
    days_late = fields.Integer()
    state = fields.Selection(related="dunning_id.state")
    date = fields.Date(related="dunning_id.date")

    def init(self):
        # columns of an earlier version, when the lines kept copies of these (and their foreign keys)
        self.env.cr.execute(
            SQL(
                "ALTER TABLE cobranza_dunning_line DROP COLUMN IF EXISTS company_id, DROP COLUMN IF EXISTS partner_id, "
                "DROP COLUMN IF EXISTS create_uid, DROP COLUMN IF EXISTS write_uid, "
                "DROP COLUMN IF EXISTS create_date, DROP COLUMN IF EXISTS write_date"
            )
        )

    @api.model
    def _bulk_insert(self, rows):
        """Insert many lines in one statement: [(dunning, engine PlannedLine, move id)]."""
        return bulk_write.bulk_insert(
            self,
            [
                "dunning_id",
                "move_line_id",
                "move_id",
                "level_id",
                "date_maturity",
                "amount_residual",
                "days_late",
            ],
            [
                (
                    dunning.id,
                    planned.line_key,
                    move_id,
                    planned.level_key,
                    planned.date_maturity,
                    planned.residual,
                    planned.days_late,
                )
                for dunning, planned, move_id in rows
            ],
        )
