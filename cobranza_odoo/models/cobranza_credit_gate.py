from collections import defaultdict

from odoo import _, models
from odoo.exceptions import UserError


class CobranzaCreditGate(models.AbstractModel):
    """The credit check that documents pass before they add to a customer's debt.

    Sale orders pass it on confirmation, customer invoices not coming from orders on posting
    (when the company asks for it). Each document says who the customer is, how much it adds
    and whether it must be checked; the gate asks the engine, applies the company setting,
    honours a manager's approval once, and either lets the document go on, opens the credit
    dialog for the user at the screen, or raises with the full explanation.
    """

    _name = "cobranza.credit.gate"
    _description = "Collections: credit check of documents"

    def _cobranza_credit_partner(self):
        """The commercial partner whose credit the document uses."""
        raise NotImplementedError

    def _cobranza_credit_amount(self):
        """What the document adds to the exposure, in company currency."""
        raise NotImplementedError

    def _cobranza_credit_needs_check(self):
        """True when this document, in its current state, must pass the credit check."""
        raise NotImplementedError

    def _cobranza_credit_address(self):
        """The partner the document is addressed to for its credit: the customer or one of its addresses."""
        return self._cobranza_credit_partner()

    def _cobranza_credit_decisions(self):
        """{document: engine decision}; documents of one customer add up in the order given.

        The customers are found from the documents' addresses by the facts query itself: the check
        runs at every confirmation, and reading the address records costs the salesperson time.
        """
        decisions = {}
        for company, documents in self.grouped(lambda document: document.company_id.root_id).items():
            # read without the overdue amount (the same time whatever the customers' history); a decision
            # with reasons (a stop, a warning) is explained with it, so it is then read in full
            company_decisions = documents._cobranza_credit_decisions_in(company, detail=False)
            if any(decision.reasons for decision in company_decisions.values()):
                company_decisions = documents._cobranza_credit_decisions_in(company, detail=True)
            decisions.update(company_decisions)
        return decisions

    def _cobranza_credit_decisions_in(self, company, detail):
        """{document: engine decision} for these documents of ``company`` (a root company)."""
        Partner = self.env["res.partner"]
        exclude_moves = self.ids if self._name == "account.move" else ()
        addresses = {document: document._cobranza_credit_address()._origin.id for document in self}
        by_customer = Partner.browse(set(addresses.values()))._cobranza_credit_facts_by_customer(
            company, exclude_move_ids=exclude_moves, detail=detail
        )
        customer_of = {
            address_id: partner_id
            for partner_id, (_facts, address_ids) in by_customer.items()
            for address_id in address_ids
        }
        running = defaultdict(float)
        decisions = {}
        for document in self:
            partner_id = customer_of[addresses[document]]
            running[partner_id] += document._cobranza_credit_amount()
            decisions[document] = Partner._cobranza_decide(by_customer[partner_id][0], running[partner_id], company)
        return decisions

    def _cobranza_credit_gate(self):
        """Check the credit before going on: return (dialog action or False, approvals to mark used), or raise.

        Nothing is checked when nobody is at the screen (portal signature, online payment, sudo
        jobs) or when the company does not enforce credit limits. An approved, unused and
        unexpired approval covering the amount lets a blocked document through once.
        """
        no_approval = self.env["cobranza.credit.override"]
        if self.env["res.partner"]._cobranza_credit_unattended():
            return False, no_approval
        Partner = self.env["res.partner"]
        enforced = {company: Partner._cobranza_credit_enforced(company) for company in self.company_id.root_id}
        to_check = self.filtered(
            lambda document: enforced[document.company_id.root_id] and document._cobranza_credit_needs_check()
        )
        if not to_check:
            return False, no_approval
        blocked, warned, approvals = [], [], no_approval
        for document, decision in to_check._cobranza_credit_decisions().items():
            if decision.outcome == "block":
                approval = no_approval._find_usable(document, document._cobranza_credit_amount())
                if approval:
                    approvals |= approval
                else:
                    blocked.append((document, decision))
            elif decision.outcome == "warn":
                warned.append((document, decision))
        interactive = self.env.context.get("cobranza_credit_dialog") and len(self) == 1
        if blocked:
            if interactive:
                return self.env["cobranza.credit.check.wizard"]._open_for(*blocked[0]), no_approval
            raise UserError(
                "\n\n".join(
                    document._cobranza_credit_partner()._cobranza_credit_text(
                        decision, document.company_id, document=document, with_approvers=True
                    )
                    for document, decision in blocked
                )
            )
        if warned and not self.env.context.get("cobranza_credit_warning_accepted") and interactive:
            return self.env["cobranza.credit.check.wizard"]._open_for(*warned[0]), no_approval
        for document, decision in warned:
            document.message_post(
                body=_(
                    "Went through despite the credit warning (%(user)s):\n%(check)s",
                    user=self.env.user.name,
                    check=document._cobranza_credit_partner()._cobranza_credit_text(decision, document.company_id),
                )
            )
        return False, approvals
