import logging
import random
from collections import defaultdict
from datetime import datetime, time, timedelta

import holidays
import phonenumbers
from odoo import Command, api, fields, models
from odoo.tools import split_every
from stdnum.ar import cuit
from stdnum.cl import rut
from stdnum.co import nit
from stdnum.mx import rfc
from stdnum.pe import ruc

from . import ledger_fragments as ledger

_logger = logging.getLogger(__name__)

# Customers of a building-materials distributor selling on credit across Latin America.
# (name, country code, is a company, payment behaviour). The behaviours are tuned on the shipped
# segment rules (data/cobranza_segment_data.xml), so that the daily classification gives about a
# third A/B, a large C group, a few D and three new customers:
#   punctual → A Excellent, slightly_late → B Good, late and partial_payer → C Risk,
#   delinquent → D Critical, new → New; "featured" customers pay regularly and owe the debts of
#   their story (see _demo_story_invoices): their segment comes from it.
DEMO_CUSTOMERS = [
    ("Ferretería El Constructor S.A.S.", "CO", True, "punctual"),
    ("Distribuidora La Montaña Ltda.", "CO", True, "slightly_late"),
    ("Construcciones Río Magdalena S.A.S.", "CO", True, "late"),
    ("Inversiones Santa Bárbara S.A.S.", "CO", True, "featured"),
    ("Almacén Todo Hogar S.A.S.", "CO", True, "punctual"),
    ("Depósito de Materiales La 80 S.A.S.", "CO", True, "slightly_late"),
    ("Obras Civiles del Caribe S.A.S.", "CO", True, "new"),
    ("Comercializadora Azteca S.A. de C.V.", "MX", True, "punctual"),
    ("Materiales del Bajío S.A. de C.V.", "MX", True, "featured"),
    ("Grupo Constructor Norteño S.A. de C.V.", "MX", True, "slightly_late"),
    ("Acabados Finos de Occidente S.A. de C.V.", "MX", True, "delinquent"),
    ("Constructora Los Andes SpA", "CL", True, "punctual"),
    ("Ferretería Austral Limitada", "CL", True, "late"),
    ("Inmobiliaria Valparaíso SpA", "CL", True, "slightly_late"),
    ("Inversiones Pacífico S.A.C.", "PE", True, "punctual"),
    ("Constructora Inca S.A.C.", "PE", True, "featured"),
    ("Distribuidora Arequipa E.I.R.L.", "PE", True, "late"),
    ("Corralón Río de la Plata S.R.L.", "AR", True, "late"),
    ("Materiales Patagonia S.A.", "AR", True, "late"),
    ("Sanitarios Cuyo S.A.", "AR", True, "new"),
    ("Techos y Pisos del Sur S.A.S.", "CO", True, "partial_payer"),
    ("Hidráulica Monterrey S.A. de C.V.", "MX", True, "partial_payer"),
    ("María Fernanda Gómez Restrepo", "CO", False, "punctual"),
    ("Jorge Andrés Pérez Castaño", "CO", False, "late"),
    ("Luz Marina Ocampo Vélez", "CO", False, "slightly_late"),
    ("José Luis Hernández Ortiz", "MX", False, "punctual"),
    ("Guadalupe Sánchez Ramírez", "MX", False, "delinquent"),
    ("Camila Ignacia Soto Muñoz", "CL", False, "late"),
    ("Rodrigo Alejandro Fuentes Rojas", "CL", False, "new"),
    ("Rosa Elena Quispe Mamani", "PE", False, "slightly_late"),
    ("Carlos Alberto Huamán Torres", "PE", False, "late"),
    ("Martín Ezequiel Fernández", "AR", False, "late"),
    ("Lucía Belén Romero", "AR", False, "partial_payer"),
    ("Santiago Ramírez Londoño", "CO", False, "delinquent"),
]

# Who illustrates what (names of DEMO_CUSTOMERS).
LEGAL_CUSTOMER = "Inversiones Santa Bárbara S.A.S."  # pre-legal notice, then the legal hand-off
PRELEGAL_CUSTOMER = "Constructora Inca S.A.C."  # pre-legal notice, credit hold, settlement offer
FORMAL_CUSTOMER = "Materiales del Bajío S.A. de C.V."  # formal notice, call, promise kept
AGREEMENT_CUSTOMER = "Construcciones Río Magdalena S.A.S."  # payment agreement, approved, on track
BROKEN_AGREEMENT_CUSTOMER = "Acabados Finos de Occidente S.A. de C.V."  # agreement broken, credit hold
BROKEN_PROMISE_CUSTOMER = "Corralón Río de la Plata S.R.L."  # promise to pay broken
OPEN_PROMISE_CUSTOMER = "Jorge Andrés Pérez Castaño"  # promise to pay due next week
DISPUTE_CUSTOMER = "Ferretería Austral Limitada"  # invoice disputed on a call
INCENTIVE_CUSTOMER = "Almacén Todo Hogar S.A.S."  # took the early-payment discount
NO_CONSENT_CUSTOMER = "María Fernanda Gómez Restrepo"  # Colombian consumer without authorised channel
PENDING_APPROVAL_CUSTOMER = "Hidráulica Monterrey S.A. de C.V."  # blocked quotation, approval requested
USED_APPROVAL_CUSTOMER = "Grupo Constructor Norteño S.A. de C.V."  # approval granted and used
INCREASE_CUSTOMER = "Ferretería El Constructor S.A.S."  # temporary credit-limit increase
# The dunning history runs the real dunning run for every customer; printed letters (about a second
# each to render) are kept for the stories above: the run skips, on a day, a customer whose
# communication would print a letter of another level (it is prepared as today's draft instead).
LETTER_LEVELS = {
    LEGAL_CUSTOMER: ("policy_level_prelegal", "policy_level_legal"),
    PRELEGAL_CUSTOMER: ("policy_level_prelegal",),
    FORMAL_CUSTOMER: ("policy_level_formal",),
}

CITIES = {
    "CO": ["Bogotá", "Medellín", "Cali", "Barranquilla", "Bucaramanga"],
    "MX": ["Ciudad de México", "Guadalajara", "Monterrey", "Querétaro", "Puebla"],
    "CL": ["Santiago", "Valparaíso", "Concepción", "Antofagasta"],
    "PE": ["Lima", "Arequipa", "Trujillo", "Cusco"],
    "AR": ["Buenos Aires", "Córdoba", "Rosario", "Mendoza"],
}

TIME_ZONES = {
    "CO": "America/Bogota",
    "MX": "America/Mexico_City",
    "CL": "America/Santiago",
    "PE": "America/Lima",
    "AR": "America/Argentina/Buenos_Aires",
}

STREETS = [
    "Calle 45 # 12-30",
    "Avenida Central 1020",
    "Carrera 7 # 71-21",
    "Av. Insurgentes Sur 1602",
    "Av. Providencia 1208",
    "Jr. de la Unión 845",
    "Av. Corrientes 1543",
    "Calle Comercio 220",
]

PRODUCTS = [
    ("Cemento gris 50 kg", 9.80),
    ("Varilla corrugada 1/2 pulgada x 6 m", 7.45),
    ("Bloque de concreto 15 x 20 x 40", 0.95),
    ("Teja de fibrocemento N.º 6", 14.20),
    ("Tubería PVC sanitaria 4 pulgadas x 6 m", 18.60),
    ("Pintura vinílica blanca cuñete 5 gal", 62.00),
    ("Malla electrosoldada 6 x 2,35 m", 38.90),
    ("Cerámica para piso 45 x 45 caja 2 m²", 16.75),
    ("Lavamanos de porcelana con pedestal", 54.30),
    ("Alambre negro recocido calibre 18 rollo", 27.40),
]

# Payment terms of the demo invoices: (xmlid, installments as (days after the invoice, share)).
TERMS = {
    "account.account_payment_term_30days": ((30, 1.0),),
    "account.account_payment_term_45days": ((45, 1.0),),
    "account.account_payment_term_15days": ((15, 1.0),),
    "account.account_payment_term_advance_60days": ((0, 0.3), (60, 0.7)),  # two installments
}
TERM_CHOICES = [
    "account.account_payment_term_30days",
    "account.account_payment_term_30days",
    "account.account_payment_term_45days",
    "account.account_payment_term_15days",
    "account.account_payment_term_advance_60days",
]

# Days late a payment arrives after its installment's due date, by behaviour: (min, max).
PAYMENT_DELAY = {
    "punctual": (-8, 2),
    "slightly_late": (-3, 3),  # on time (grace: 3 days), except one or two invoices a year
    "late": (12, 48),
    "partial_payer": (3, 20),  # first part; the rest 20 to 35 days later
    "delinquent": (35, 100),
    "new": (-5, 2),
    "featured": (1, 12),  # pay a few days late: they stay out of the printed-letter levels
}
HISTORY_DAYS = 360  # invoices over the last twelve months
RUN_WEEKS = 16  # weekly dunning runs over the last sixteen weeks
RUN_TIME = time(15, 0)  # UTC: morning in every customer's country, inside the contact hours


class CobranzaDemoPortfolio(models.AbstractModel):
    """Builds the demo portfolio at install (demo databases only).

    Everything is generated by Python relative to the install day, deterministically from the
    seed: a year of invoices and payments, then the last sixteen weeks replayed day by day in
    the order of time — the real dunning run on each weekly run day (communications sent, letters
    printed, lines escalated, contacts logged), the daily refresh of segments, promises and
    agreements made, kept and broken with real payments — and today's state: drafts to review,
    credit approvals, an incentive program, a settlement offer and twelve months of KPIs.
    """

    _name = "cobranza.demo.portfolio"
    _description = "Collections: demo portfolio generator"

    @api.model
    def _generate(self, seed=20261123):
        company = self.env.ref("base.main_company")
        if self.env["res.partner"].with_context(active_test=False).search_count([("ref", "=", "CLI-0001")]):
            return  # already generated: never duplicate the portfolio
        if not self.env["account.journal"].search([("type", "=", "sale"), ("company_id", "=", company.id)], limit=1):
            _logger.info("Collections demo portfolio skipped: the main company has no sales journal.")
            return
        self = self.with_company(company).with_context(tracking_disable=True, mail_create_nolog=True, mail_notrack=True)
        # Odoo loads a module's translations after its demo data, but the replay already writes texts
        # that name records (a hold reason names its level) in the company's language: load them first.
        languages = [code for code, _name in self.env["res.lang"].get_installed() if code != "en_US"]
        if languages:
            self.env["ir.module.module"]._load_module_terms(["cobranza_odoo"], languages)
            self.env.invalidate_all()
        rng = random.Random(seed)
        today = fields.Date.context_today(self)
        demo = DemoState(self.env, company, today)
        demo.users = self._demo_users(company)
        demo.partners = self._demo_customers(rng)
        demo.products = self._demo_products()
        demo.profiles = self._demo_profiles(demo)
        demo.run_days = _run_days(today)
        specs = self._demo_invoice_specs(rng, demo) + self._demo_story_invoices(demo)
        specs.sort(key=lambda spec: (spec["date"], spec["partner"].id))
        demo.pending_invoices = specs
        demo.marks = demo.current_marks()
        for day in demo.checkpoints():
            self._demo_play_day(demo, day)
        self._demo_today(demo)
        demo.finish()
        _logger.info(
            "Collections demo portfolio: %s customers, %s invoices, %s communications.",
            len(demo.partners),
            len(demo.invoices),
            self.env["cobranza.dunning"].search_count([("partner_id", "in", demo.partners.ids)]),
        )

    # ------------------------------------------------------------------ the days

    @api.model
    def _demo_play_day(self, demo, day):
        """One day of the replay: what was invoiced and paid up to it, the day's events, the progress of
        agreements, the refresh of segments (every fourth week), the dunning run; the chatter, to-dos
        and histories of the day are dated that day."""
        self._demo_post_invoices(demo, day)
        self._demo_post_payments(demo, day)
        for event in demo.events.get(day, ()):
            event(day)
        agreements = self.env["cobranza.agreement"].search(
            [("partner_id", "in", demo.partners.ids), ("state", "=", "active")]
        )
        agreements._refresh_progress(day)
        if day in demo.refresh_days:
            demo.profiles._refresh(day)
        if day in demo.run_days:
            self._demo_dunning_run(demo, day)
        demo.stamp(day)

    @api.model
    def _demo_today(self, demo):
        """The install day: credit limits and orders, approvals, the offer, drafts to review, KPIs."""
        today = demo.today
        self._demo_post_invoices(demo, today)
        self._demo_post_payments(demo, today)
        self._demo_incentive_payment(demo)
        self._demo_credit(demo)
        self._demo_interest_policy(demo)
        self._demo_settlement_offer(demo)
        for event in demo.events.get(today, ()):
            event(today)
        self.env["cobranza.agreement"].search(
            [("partner_id", "in", demo.partners.ids), ("state", "=", "active")]
        )._refresh_progress(today)
        # Segments, metrics and statuses as the daily run leaves them — for every customer with
        # receivables, as its first call does (Odoo's own demo customers too) —, then today's run in
        # review mode: drafts for the collectors to check and send.
        others = self.env["cobranza.profile.refresh"]._create_missing_profiles()
        (demo.profiles | others)._refresh(today)
        self.env["cobranza.dunning.run"]._run_for(demo.profiles, today, send=False)
        self._analyze_accounting_tables()
        self.env["cobranza.kpi.snapshot"].with_company(demo.company).action_backfill(12)

    # ------------------------------------------------------------------ people

    @api.model
    def _demo_users(self, company):
        """The two collectors, a salesperson, and the administrator as Collections Manager."""
        group = self.env.ref("cobranza_odoo.group_cobranza_user")
        Users = self.env["res.users"].with_context(no_reset_password=True)
        people = [
            ("cartera.carolina", "Carolina Ríos", group),
            ("cartera.andres", "Andrés Molina", group),
            ("ventas.valentina", "Valentina Cárdenas", self.env.ref("sales_team.group_sale_salesman_all_leads")),
        ]
        users = Users.create(
            [
                {
                    "name": name,
                    "login": login,
                    "email": f"{login}@cobranza-demo.example",
                    "company_id": company.id,
                    "company_ids": [Command.set(company.ids)],
                    "groups_id": [Command.link(self.env.ref("base.group_user").id), Command.link(role.id)],
                }
                for login, name, role in people
            ]
        )
        return {"collectors": users[:2], "salesperson": users[2], "manager": self.env.ref("base.user_admin")}

    @api.model
    def _demo_customers(self, rng):
        countries = {code: self.env.ref(f"base.{code.lower()}") for code in CITIES}
        spanish = self.env["res.lang"].search([("code", "=like", "es_%"), ("active", "=", True)], limit=1)
        values = []
        for index, (name, country, is_company, _behaviour) in enumerate(DEMO_CUSTOMERS):
            slug = "".join(ch for ch in name.lower().split(" s.")[0] if ch.isalnum())[:24] or f"cliente{index}"
            values.append(
                {
                    "name": name,
                    "is_company": is_company,
                    "company_type": "company" if is_company else "person",
                    "country_id": countries[country].id,
                    "city": rng.choice(CITIES[country]),
                    "street": rng.choice(STREETS),
                    "vat": _demo_vat(rng, country, is_company),
                    "phone": _demo_phone(rng, country, mobile=False),
                    "mobile": _demo_phone(rng, country, mobile=True),
                    "email": f"contacto@{slug}.example",
                    "tz": TIME_ZONES[country],
                    "lang": spanish.code if spanish else self.env.lang or "en_US",
                    "customer_rank": 1,
                    "ref": f"CLI-{index + 1:04d}",
                }
            )
        partners = self.env["res.partner"].create(values)
        # Companies pay through their accounts-payable desk: an invoice address with its own e-mail.
        contacts = []
        for partner in partners.filtered("is_company"):
            contacts.append(
                {
                    "parent_id": partner.id,
                    "type": "invoice",
                    "name": "Cuentas por pagar",
                    "email": partner.email.replace("contacto@", "pagos@"),
                    "phone": partner.phone,
                    "lang": partner.lang,
                }
            )
        self.env["res.partner"].create(contacts)
        return partners

    @api.model
    def _demo_products(self):
        return self.env["product.product"].create(
            [
                {"name": name, "list_price": price, "type": "consu", "sale_ok": True, "invoice_policy": "order"}
                for name, price in PRODUCTS
            ]
        )

    @api.model
    def _demo_profiles(self, demo):
        """Collections profiles with their collector; Colombian consumers' authorised channels."""
        profiles = self.env["cobranza.partner.profile"]._get_profiles(demo.partners, demo.company)
        collectors = demo.users["collectors"]
        for index, profile in enumerate(profiles.sorted("id")):
            profile.collector_id = collectors[index % len(collectors)]
        # Ley 2300 de 2023: a Colombian consumer is contacted only through the channels they
        # authorised. All but one signed the authorisation with their credit application.
        consumers = profiles.filtered(
            lambda profile: (
                profile.consumer
                and profile.partner_id.country_id.code == "CO"
                and profile.partner_id.name != NO_CONSENT_CUSTOMER
            )
        )
        self.env["cobranza.contact.consent"].create(
            [
                {
                    "profile_id": profile.id,
                    "channel": channel,
                    "date_from": demo.today - timedelta(days=HISTORY_DAYS + 5),
                    "source": "contract",
                    "note": "Autorización firmada en la solicitud de crédito",
                }
                for profile in consumers
                for channel in ("email", "call")
            ]
        )
        return profiles

    # ------------------------------------------------------------------ invoices and payments

    @api.model
    def _demo_invoice_specs(self, rng, demo):
        """About 300 invoices over the last twelve months and, for each, how its customer pays it."""
        behaviours = {row[0]: row[3] for row in DEMO_CUSTOMERS}
        specs = []
        for partner in demo.partners:
            behaviour = behaviours[partner.name]
            if behaviour == "new":
                ages = [rng.randint(60, 75), rng.randint(30, 45), rng.randint(3, 15)]
                terms = ["account.account_payment_term_30days"] * 3
            else:
                ages = sorted(rng.sample(range(16, HISTORY_DAYS), rng.randint(7, 10)), reverse=True)
                if behaviour == "punctual":
                    ages.append(rng.randint(2, 14))  # recent ones: inside the early-payment tiers
                terms = [rng.choice(TERM_CHOICES) for _age in ages]
            partner_specs = [
                {
                    "partner": partner,
                    "date": demo.today - timedelta(days=age),
                    "term": term,
                    "lines": _random_lines(rng, demo.products),
                    "payments": [],
                }
                for age, term in zip(ages, terms, strict=True)
            ]
            self._demo_payment_plan(rng, behaviour, partner_specs, demo.today)
            specs += partner_specs
        return specs

    @api.model
    def _demo_payment_plan(self, rng, behaviour, specs, today):
        """Fill each spec's ``payments`` with (date, share of the invoice, or None for the rest)."""
        low, high = PAYMENT_DELAY[behaviour]
        late_ones = set()
        if behaviour == "slightly_late":
            # One or two invoices paid late a year: on time 70 % to 90 % (between the B and A rules).
            older = [index for index, spec in enumerate(specs) if _last_due(spec) + timedelta(days=22) <= today]
            on_time_paid = len([spec for spec in specs if _last_due(spec) + timedelta(days=3) <= today])
            late_ones = set(rng.sample(older, min(len(older), 1 if on_time_paid <= 9 else 2)))
        unpaid = set()
        if behaviour == "delinquent":
            # Two old invoices never paid: serious delinquency, more than 90 days overdue.
            old = [
                index
                for index, spec in enumerate(specs)
                if today - timedelta(days=220) <= _last_due(spec) <= today - timedelta(days=100)
            ]
            unpaid = set(old[-2:])
        for index, spec in enumerate(specs):
            if index in unpaid:
                continue
            installments = TERMS[spec["term"]]
            if behaviour == "partial_payer" and len(installments) == 1:
                due = spec["date"] + timedelta(days=installments[0][0])
                first = due + timedelta(days=rng.randint(low, high))
                spec["payments"] = [
                    (max(first, spec["date"]), rng.choice([0.4, 0.5, 0.6])),
                    (first + timedelta(days=rng.randint(20, 35)), None),
                ]
                continue
            if behaviour == "late" and len(installments) == 1 and rng.random() < 0.3:
                due = spec["date"] + timedelta(days=installments[0][0])
                spec["payments"] = [
                    (due + timedelta(days=rng.randint(5, 15)), 0.5),
                    (due + timedelta(days=rng.randint(25, 45)), None),
                ]
                continue
            payments = []
            for position, (days, share) in enumerate(installments):
                due = spec["date"] + timedelta(days=days)
                delay = rng.randint(8, 20) if index in late_ones else rng.randint(low, high)
                last = position == len(installments) - 1
                payments.append((max(due + timedelta(days=delay), spec["date"]), None if last else share))
            spec["payments"] = payments

    @api.model
    def _demo_story_invoices(self, demo):
        """The debts the featured customers' stories are about, dated so that the weekly runs reach
        the intended levels: 30-day invoices, unpaid unless their story pays them."""
        runs, today = demo.run_days, demo.today

        def story(name, tag, due, quantities):
            return {
                "partner": demo.partner(name),
                "date": due - timedelta(days=30),
                "term": "account.account_payment_term_30days",
                "lines": [
                    Command.create(
                        {
                            "product_id": demo.products[index].id,
                            "quantity": quantity,
                            "price_unit": demo.products[index].list_price,
                        }
                    )
                    for index, quantity in quantities
                ],
                "payments": [],
                "tag": tag,
            }

        # Pre-legal notice on the first run (50 days late), the legal hand-off once 90 days late.
        legal_due = runs[0] - timedelta(days=50)
        # Friendly notice three runs before the last, formal notice (letter and call) on the last.
        formal_due = runs[-1] - timedelta(days=21)
        return [
            story(LEGAL_CUSTOMER, "legal", legal_due, [(0, 300), (1, 180), (6, 20)]),
            # 45 days late some five weeks ago: the pre-legal notice; not yet 90 days late on the last run.
            story(PRELEGAL_CUSTOMER, "prelegal", today - timedelta(days=92), [(4, 90), (5, 20), (9, 25)]),
            story(FORMAL_CUSTOMER, "formal", formal_due, [(0, 150), (3, 60)]),
            story(AGREEMENT_CUSTOMER, "agreement_1", today - timedelta(days=70), [(0, 200), (1, 80)]),
            story(AGREEMENT_CUSTOMER, "agreement_2", today - timedelta(days=55), [(6, 40), (7, 50)]),
            story(BROKEN_AGREEMENT_CUSTOMER, "broken_agreement_1", today - timedelta(days=160), [(8, 30), (5, 20)]),
            story(BROKEN_AGREEMENT_CUSTOMER, "broken_agreement_2", today - timedelta(days=140), [(7, 80), (3, 40)]),
            story(BROKEN_PROMISE_CUSTOMER, "broken_promise", today - timedelta(days=50), [(4, 60), (2, 400)]),
            story(OPEN_PROMISE_CUSTOMER, "open_promise", today - timedelta(days=25), [(5, 6), (8, 3)]),
            story(DISPUTE_CUSTOMER, "dispute", today - timedelta(days=12), [(3, 120), (0, 40)]),
            story(INCENTIVE_CUSTOMER, "incentive", today + timedelta(days=21), [(5, 10), (7, 20)]),
            # Due three days after a run: its reminder is refused (no authorised channel); paid on time.
            {
                **story(NO_CONSENT_CUSTOMER, "no_consent", runs[-2] + timedelta(days=3), [(8, 2)]),
                "payments": [(runs[-2] + timedelta(days=3), None)],
            },
        ]

    @api.model
    def _demo_post_invoices(self, demo, day):
        """Post the invoices dated up to ``day``, oldest first, and queue how they are paid."""
        specs = [spec for spec in demo.pending_invoices if spec["date"] <= day]
        if not specs:
            return
        demo.pending_invoices = [spec for spec in demo.pending_invoices if spec["date"] > day]
        first_batch = not demo.invoices
        # Created and posted 25 at a time: posting hundreds of invoices in one call makes Odoo
        # recompute every pending payment state at each sequence number it assigns.
        for chunk in split_every(25, specs, list):
            moves = self.env["account.move"].create(
                [
                    {
                        "move_type": "out_invoice",
                        "partner_id": spec["partner"].id,
                        "invoice_date": spec["date"],
                        "date": spec["date"],
                        "invoice_payment_term_id": self.env.ref(spec["term"]).id,
                        "invoice_line_ids": spec["lines"],
                        "company_id": demo.company.id,
                    }
                    for spec in chunk
                ]
            )
            moves.action_post()
            demo.invoices |= moves
            for spec, move in zip(chunk, moves, strict=True):
                if spec.get("tag"):
                    demo.story_moves[spec["tag"]] = move
                paid = 0.0
                for pay_date, share in spec["payments"]:
                    amount = (
                        move.amount_total - paid if share is None else move.currency_id.round(move.amount_total * share)
                    )
                    paid += amount
                    demo.queue_payment(pay_date, move, amount)
        if first_batch:
            self._analyze_accounting_tables()

    @api.model
    def _demo_post_payments(self, demo, day):
        """Register the payments dated up to ``day`` and match each with what it pays."""
        due = [payment for payment in demo.pending_payments if payment[0] <= day]
        if not due:
            return
        demo.pending_payments = [payment for payment in demo.pending_payments if payment[0] > day]
        for chunk in split_every(100, due, list):
            payments = self.env["account.payment"].create(
                [
                    {
                        "payment_type": "inbound",
                        "partner_type": "customer",
                        "partner_id": moves.commercial_partner_id.id,
                        "amount": amount,
                        "date": pay_date,
                        "journal_id": demo.bank_journal.id,
                        "memo": ", ".join(moves.mapped("name")),
                        "company_id": demo.company.id,
                    }
                    for pay_date, moves, amount in chunk
                ]
            )
            payments.action_post()
            # One reconciliation for the whole batch, each payment with its own invoices.
            plan = [
                (payment.move_id.line_ids | moves.line_ids).filtered(
                    lambda line: ledger.is_receivable_line(line) and not line.reconciled
                )
                for (_date, moves, _amount), payment in zip(chunk, payments, strict=True)
            ]
            # Odoo's reconciliation itself: the addon's reconcile() would also refresh the agreements of
            # these invoices just before the transaction commits, as of today — the replay refreshes
            # them as of its own day instead (see _demo_play_day), and the statuses with the segments.
            self.env["account.move.line"]._reconcile_plan(plan)

    def _analyze_accounting_tables(self):
        """Refresh PostgreSQL's statistics after the bulk of invoices (this transaction's own rows
        count): on a fresh database the planner otherwise believes the tables empty and Odoo's
        payment-state query can degrade to seconds per payment."""
        self.env.flush_all()
        self.env.cr.execute(
            "ANALYZE account_move, account_move_line, account_partial_reconcile, res_partner, "
            "cobranza_dunning, cobranza_dunning_line"
        )

    # ------------------------------------------------------------------ the dunning history

    @api.model
    def _demo_dunning_run(self, demo, day):
        """The real dunning run on a past day, sending at once; delivered that morning."""
        Run = self.env["cobranza.dunning.run"]
        levels = self.env["cobranza.policy.level"]
        chosen = demo.profiles.browse()
        for profile, (_policy, _customer, plan) in Run._plan(demo.profiles, day).items():
            if not plan.communications:
                continue
            allowed = {
                self.env.ref(f"cobranza_odoo.{xmlid}").id for xmlid in LETTER_LEVELS.get(profile.partner_id.name, ())
            }
            letters = {
                communication.level_key
                for communication in plan.communications
                if _prints_letter(levels.browse(communication.level_key), profile)
            }
            if letters <= allowed:
                chosen |= profile
        dunnings = Run._run_for(chosen, day, send=True, deliver=False)
        dunnings.filtered(lambda dunning: dunning.state == "queued")._deliver_each(demo.moment(day))

    # ------------------------------------------------------------------ stories

    @api.model
    def _demo_story_events(self, demo):
        """{day: [event(day)]}: calls, promises, agreements, holds, credits and the incentive program."""
        today, runs = demo.today, demo.run_days
        events = defaultdict(list)

        def on(day, event):
            events[day].append(event)

        # Inca's invoice reaches the pre-legal level: its credit is suspended by the level itself.
        # Bajío's formal notice plans a call: the collector calls the next day and gets a promise.
        formal_call = min(runs[-1] + timedelta(days=1), today - timedelta(days=1))
        on(formal_call, lambda day: self._demo_formal_call(demo, day))
        # Río Magdalena: a visit, then a payment agreement in eight fortnightly installments
        # (more than six: a Collections Manager approves it).
        on(today - timedelta(days=36), lambda day: self._demo_agreement_visit(demo, day))
        on(today - timedelta(days=35), lambda day: self._demo_active_agreement(demo, day))
        # Acabados Finos: an agreement made after two calls, broken at its second installment.
        on(today - timedelta(days=112), lambda day: self._demo_call(demo, BROKEN_AGREEMENT_CUSTOMER, day, "no_answer"))
        on(today - timedelta(days=110), lambda day: self._demo_broken_agreement(demo, day))
        on(today - timedelta(days=40), lambda day: self._demo_hold_after_broken_agreement(demo, day))
        # Corralón: a promise on the phone, never honoured.
        on(today - timedelta(days=32), lambda day: self._demo_call(demo, BROKEN_PROMISE_CUSTOMER, day, "no_answer"))
        on(today - timedelta(days=30), lambda day: self._demo_broken_promise(demo, day))
        # Austral disputes an invoice on the phone (20 broken roof tiles).
        on(today - timedelta(days=10), lambda day: self._demo_dispute(demo, day))
        # Other calls logged by the collectors.
        on(
            today - timedelta(days=5),
            lambda day: self._demo_call(demo, "Guadalupe Sánchez Ramírez", day, "wrong_number"),
        )
        on(
            today - timedelta(days=4),
            lambda day: self._demo_call(demo, PENDING_APPROVAL_CUSTOMER, day, "info_requested"),
        )
        on(today - timedelta(days=2), lambda day: self._demo_open_promise(demo, day))
        # Credits in the customers' favour: credit notes and advances not applied yet.
        on(runs[-4], lambda day: self._demo_credits(demo, day))
        # The early-payment program, opt-in, for the customers in segment A, eight weeks ago.
        on(runs[-9], lambda day: self._demo_incentive_program(demo, day))
        return events

    @api.model
    def _demo_call(self, demo, name, day, outcome):
        """A call with nothing more to it than its outcome and the collector's note."""
        notes = {
            "no_answer": ("outbound", "No contesta; se deja mensaje en el buzón de voz."),
            "wrong_number": ("outbound", "El número ya no es del cliente: pedir el nuevo por correo."),
            "info_requested": ("inbound", "Pide copia del estado de cuenta y de dos facturas."),
        }
        direction, note = notes[outcome]
        return self._demo_log(demo, name, day, "call", outcome, direction=direction, note=note)

    @api.model
    def _demo_log(self, demo, name, day, channel, outcome, direction="outbound", hour=16, **values):
        """A contact logged by the collector, as Log a Call records it."""
        partner = demo.partner(name)
        profile = demo.profile(partner)
        return (
            self.env["cobranza.contact.gate"]
            .with_user(profile.collector_id)
            ._log(
                partner,
                channel,
                datetime.combine(day, time(hour, 0)),
                company=demo.company,
                direction=direction,
                outcome=outcome,
                reached=outcome not in ("no_answer", "wrong_number"),
                **values,
            )
        )

    @api.model
    def _demo_promise(self, demo, partner, lines, day, promise_date, note):
        """A promise to pay saved from the call, made on ``day``."""
        profile = demo.profile(partner)
        promise = self.env["cobranza.agreement"].create(
            {
                "kind": "promise",
                "partner_id": partner.id,
                "company_id": demo.company.id,
                "collector_id": profile.collector_id.id,
                "line_ids": [Command.set(lines.ids)],
                "first_date": promise_date,
                "note": note,
            }
        )
        promise.action_save_promise()
        promise.activation_date = day  # made that day (the replay runs today)
        return promise

    @api.model
    def _demo_formal_call(self, demo, day):
        """The call the formal notice planned: reached, a promise to pay in four days, paid on time."""
        partner = demo.partner(FORMAL_CUSTOMER)
        invoice = demo.story_moves["formal"]
        dunning = self.env["cobranza.dunning"].search(
            [("partner_id", "=", partner.id), ("level_id", "=", self.env.ref("cobranza_odoo.policy_level_formal").id)],
            limit=1,
        )
        self._demo_log(
            demo,
            FORMAL_CUSTOMER,
            day,
            "call",
            "promise",
            dunning_id=dunning.id,
            note="Recibió la carta. Paga por transferencia esta semana.",
        )
        call = self.env.ref("mail.mail_activity_data_call")
        dunning.activity_ids.filtered(lambda activity: activity.activity_type_id == call).action_feedback(
            feedback="Promesa de pago"
        )
        promise_date = day + timedelta(days=4)
        lines = invoice.line_ids.filtered(lambda line: ledger.is_receivable_line(line) and not line.reconciled)
        self._demo_promise(demo, partner, lines, day, promise_date, "Transferencia bancaria antes del viernes.")
        demo.queue_payment(min(day + timedelta(days=3), demo.today), invoice, invoice.amount_residual)

    @api.model
    def _demo_agreement_visit(self, demo, day):
        self._demo_log(
            demo,
            AGREEMENT_CUSTOMER,
            day,
            "visit",
            "reached",
            note="Visita a la obra: flujo de caja apretado hasta que les paguen el proyecto. Piden un acuerdo.",
        )

    @api.model
    def _demo_active_agreement(self, demo, day):
        """Down payment and eight fortnightly installments, approved by the manager; paid so far."""
        partner = demo.partner(AGREEMENT_CUSTOMER)
        moves = demo.story_moves["agreement_1"] | demo.story_moves["agreement_2"]
        lines = moves.line_ids.filtered(lambda line: ledger.is_receivable_line(line) and not line.reconciled)
        debt = sum(lines.mapped("amount_residual"))
        down_payment = demo.company.currency_id.round(debt * 0.2)
        agreement = self.env["cobranza.agreement"].create(
            {
                "kind": "agreement",
                "partner_id": partner.id,
                "company_id": demo.company.id,
                "collector_id": demo.profile(partner).collector_id.id,
                "line_ids": [Command.set(lines.ids)],
                "down_payment": down_payment,
                "down_payment_date": day,
                "installment_count": 8,
                "frequency": "biweekly",
                "first_date": day + timedelta(days=14),
                "grace_days": 5,
                "note": "Acuerdo firmado en la visita a la obra; pagos por transferencia.",
            }
        )
        agreement.action_compute_schedule()
        agreement.action_confirm()  # more than six installments: waits for a Collections Manager
        agreement.with_user(demo.users["manager"]).action_approve()
        agreement.activation_date = day
        for installment in agreement.installment_ids.sorted("date"):
            if installment.date + timedelta(days=1) <= demo.today:
                demo.queue_payment(installment.date + timedelta(days=1), moves, installment.amount)

    @api.model
    def _demo_broken_agreement(self, demo, day):
        """Agreed after a call: a down payment and three monthly installments; the second never came."""
        partner = demo.partner(BROKEN_AGREEMENT_CUSTOMER)
        self._demo_log(
            demo,
            BROKEN_AGREEMENT_CUSTOMER,
            day - timedelta(days=1),
            "call",
            "reached",
            note="La gerente propone pagar en tres cuotas mensuales con un abono inicial.",
        )
        moves = demo.story_moves["broken_agreement_1"] | demo.story_moves["broken_agreement_2"]
        lines = moves.line_ids.filtered(lambda line: ledger.is_receivable_line(line) and not line.reconciled)
        debt = sum(lines.mapped("amount_residual"))
        agreement = self.env["cobranza.agreement"].create(
            {
                "kind": "agreement",
                "partner_id": partner.id,
                "company_id": demo.company.id,
                "collector_id": demo.profile(partner).collector_id.id,
                "line_ids": [Command.set(lines.ids)],
                "down_payment": demo.company.currency_id.round(debt * 0.15),
                "down_payment_date": day,
                "installment_count": 3,
                "frequency": "monthly",
                "first_date": day + timedelta(days=30),
                "grace_days": 5,
                "note": "Acuerdo telefónico confirmado por correo.",
            }
        )
        agreement.action_compute_schedule()
        agreement.action_confirm()
        agreement.activation_date = day
        paid = agreement.installment_ids.sorted("date")[:2]  # the down payment and the first installment
        for installment in paid:
            demo.queue_payment(installment.date + timedelta(days=1), moves, installment.amount)

    @api.model
    def _demo_hold_after_broken_agreement(self, demo, day):
        profile = demo.profile(demo.partner(BROKEN_AGREEMENT_CUSTOMER))
        profile.with_user(demo.users["manager"]).write(
            {"credit_hold": True, "credit_hold_reason": "Acuerdo de pago incumplido"}
        )

    @api.model
    def _demo_broken_promise(self, demo, day):
        partner = demo.partner(BROKEN_PROMISE_CUSTOMER)
        self._demo_log(
            demo,
            BROKEN_PROMISE_CUSTOMER,
            day,
            "call",
            "promise",
            note="El dueño promete transferir la semana próxima.",
        )
        lines = self.env["cobranza.receivable.facts"]._overdue_lines(partner, demo.company, day)
        self._demo_promise(demo, partner, lines, day, day + timedelta(days=7), "Transferencia prometida por el dueño.")

    @api.model
    def _demo_open_promise(self, demo, day):
        partner = demo.partner(OPEN_PROMISE_CUSTOMER)
        self._demo_log(
            demo,
            OPEN_PROMISE_CUSTOMER,
            day,
            "call",
            "promise",
            direction="inbound",
            note="Llamó el cliente: paga la próxima quincena.",
        )
        lines = self.env["cobranza.receivable.facts"]._overdue_lines(partner, demo.company, day)
        self._demo_promise(demo, partner, lines, day, day + timedelta(days=9), "Pago con la quincena.")

    @api.model
    def _demo_dispute(self, demo, day):
        invoice = demo.story_moves["dispute"]
        self._demo_log(
            demo,
            DISPUTE_CUSTOMER,
            day,
            "call",
            "dispute",
            direction="inbound",
            move_id=invoice.id,
            note="Llegaron 20 tejas rotas; piden nota crédito antes de pagar.",
        )
        invoice.write(
            {"cobranza_dispute": True, "cobranza_dispute_reason": "El cliente reporta mercancía dañada en la entrega"}
        )
        invoice.cobranza_dispute_date = day

    @api.model
    def _demo_credits(self, demo, day):
        """Two credit notes and two advance payments left unapplied: credits in the customers' favour."""
        product = demo.products[0]
        refunds = self.env["account.move"].create(
            [
                {
                    "move_type": "out_refund",
                    "partner_id": demo.partner(name).id,
                    "invoice_date": day,
                    "date": day,
                    "invoice_line_ids": [
                        Command.create(
                            {"product_id": product.id, "quantity": quantity, "price_unit": product.list_price}
                        )
                    ],
                    "company_id": demo.company.id,
                }
                for name, quantity in ((INCENTIVE_CUSTOMER, 10), ("Distribuidora La Montaña Ltda.", 5))
            ]
        )
        refunds.action_post()
        advances = self.env["account.payment"].create(
            [
                {
                    "payment_type": "inbound",
                    "partner_type": "customer",
                    "partner_id": demo.partner(name).id,
                    "amount": amount,
                    "date": day,
                    "journal_id": demo.bank_journal.id,
                    "memo": "Anticipo",
                    "company_id": demo.company.id,
                }
                for name, amount in (("Inmobiliaria Valparaíso SpA", 300.0), ("Materiales Patagonia S.A.", 500.0))
            ]
        )
        advances.action_post()

    @api.model
    def _demo_incentive_program(self, demo, day):
        """ "Pronto pago": 3 % within 10 days, 1.5 % within 20, for the customers in segment A."""
        company = demo.company
        account = company.account_journal_early_pay_discount_loss_account_id or self.env["account.account"].search(
            [*self.env["account.account"]._check_company_domain(company), ("account_type", "=", "expense")], limit=1
        )
        program = self.env["cobranza.incentive"].create(
            {
                "name": "Pronto pago",
                "company_id": company.id,
                "date_from": day,
                "tax_mode": "included",
                "discount_account_id": account.id,
                "term_days": 30,
                "note": "Para los clientes A Excelente: premia el pago anticipado de las facturas a 30 días.",
                "tier_ids": [
                    Command.create({"days": 10, "percent": 3.0}),
                    Command.create({"days": 20, "percent": 1.5}),
                ],
            }
        )
        self.env.ref("cobranza_odoo.segment_a").incentive_id = program
        demo.incentive = program

    # ------------------------------------------------------------------ today

    @api.model
    def _demo_incentive_payment(self, demo):
        """A customer pays on day 7 through the payment wizard, which proposes the 3 % discount."""
        invoice = demo.story_moves["incentive"]
        pay_date = invoice.invoice_date + timedelta(days=7)
        if not invoice.cobranza_incentive_deadline_ids or pay_date > demo.today:
            return
        wizard = (
            self.env["account.payment.register"]
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create({"payment_date": pay_date, "journal_id": demo.bank_journal.id})
        )
        wizard._create_payments()

    @api.model
    def _demo_credit(self, demo):
        """Credit limits sized on each customer's business, open orders, an increase, approvals."""
        company, today = demo.company, demo.today
        company.cobranza_credit_action = "block"
        rng = random.Random(len(demo.invoices))
        partners = demo.partners
        totals = self.env["account.move"]._read_group(
            [("partner_id", "in", partners.ids), ("move_type", "=", "out_invoice"), ("state", "=", "posted")],
            ["partner_id"],
            ["amount_total_signed:sum"],
        )
        for partner, total in totals:
            # About three months of purchases, rounded to the thousand.
            partner.with_company(company).credit_limit = max(1000.0, round(total / 4, -3))
        ordering = [
            "Ferretería El Constructor S.A.S.",
            "Comercializadora Azteca S.A. de C.V.",
            "Constructora Los Andes SpA",
            "Distribuidora La Montaña Ltda.",
            "Inversiones Pacífico S.A.C.",
            "Depósito de Materiales La 80 S.A.S.",
            "Inmobiliaria Valparaíso SpA",
            "Distribuidora Arequipa E.I.R.L.",
        ]
        orders = self.env["sale.order"].create(
            [
                {
                    "partner_id": demo.partner(name).id,
                    "company_id": company.id,
                    "user_id": demo.users["salesperson"].id,
                    "date_order": today - timedelta(days=rng.randint(1, 20)),
                    "order_line": [
                        Command.create({"product_id": product.id, "product_uom_qty": rng.choice([20, 40, 60])})
                        for product in rng.sample(list(demo.products), 2)
                    ],
                }
                for name in ordering
            ]
        )
        orders[:6].action_confirm()  # the last two stay quotations
        self.env["cobranza.credit.increase"].create(
            {
                "partner_id": demo.partner(INCREASE_CUSTOMER).id,
                "company_id": company.id,
                "amount": 5000.0,
                "date_from": today - timedelta(days=5),
                "date_to": today + timedelta(days=25),
                "reason": "Temporada de obras de fin de año",
            }
        )
        self._demo_approvals(demo)

    @api.model
    def _demo_approvals(self, demo):
        """Two quotations over the credit limit, confirmed by the salesperson at the screen: one
        approval waits for the manager, the other was granted and let the order through."""
        salesperson, manager = demo.users["salesperson"], demo.users["manager"]
        requests = [
            (PENDING_APPROVAL_CUSTOMER, "Pedido para la obra del hospital; el cliente abonará la factura vencida."),
            (USED_APPROVAL_CUSTOMER, "Temporada alta: el cliente duplica sus compras para los proyectos de diciembre."),
        ]
        overrides = self.env["cobranza.credit.override"]
        for name, reason in requests:
            partner = demo.partner(name)
            limit = partner.with_company(demo.company).credit_limit
            product = demo.products[5]
            order = (
                self.env["sale.order"]
                .with_user(salesperson)
                .create(
                    {
                        "partner_id": partner.id,
                        "company_id": demo.company.id,
                        "user_id": salesperson.id,
                        "order_line": [
                            Command.create(
                                {"product_id": product.id, "product_uom_qty": round(limit * 1.2 / product.list_price)}
                            )
                        ],
                    }
                )
            )
            action = order.with_context(cobranza_credit_dialog=True).action_confirm()
            if not isinstance(action, dict) or action.get("res_model") != "cobranza.credit.check.wizard":
                continue  # not blocked (cannot happen with the limits above): nothing to ask
            wizard = self.env["cobranza.credit.check.wizard"].with_user(salesperson).browse(action["res_id"])
            wizard.request_reason = reason
            wizard.action_request_approval()
            overrides |= wizard.pending_request_id.sudo() or self.env["cobranza.credit.override"].search(
                [("sale_order_id", "=", order.id)], limit=1
            )
        granted = overrides.filtered(lambda override: override.partner_id.name == USED_APPROVAL_CUSTOMER)
        if granted:
            granted.approval_reason = "Cliente B con buen historial; pedido de temporada, revisar en enero."
            granted.with_user(manager).action_approve()
            granted.sale_order_id.with_user(salesperson).with_context(cobranza_credit_dialog=True).action_confirm()

    @api.model
    def _demo_interest_policy(self, demo):
        """Late interest at the maximum legal rate for the Colombian customers, switched off: nothing is
        charged until a manager turns "Charge Interest" on; the interest statement prints anyway."""
        colombia = self.env.ref("base.co")
        policy = self.env["cobranza.interest.policy"].create(
            {
                "name": "Interés de mora Colombia (desactivado en la demostración)",
                "company_id": demo.company.id,
                "charge_interest": False,
                "legal_maximum": True,
                "country_id": colombia.id,
                "credit_type": "consumer_ordinary",
                "date_start": demo.today.replace(day=1),
                "note": "Demostración: no cobra intereses. Active «Cobrar intereses» para liquidarlos a la tasa "
                "máxima legal certificada cada mes (tope de usura).",
            }
        )
        demo.profiles.filtered(lambda profile: profile.partner_id.country_id == colombia).write(
            {"interest_policy_id": policy.id}
        )

    @api.model
    def _demo_settlement_offer(self, demo):
        """A settlement offer to the customer after the pre-legal notice: 10 % off if paid within two
        weeks, approved by the manager; the reminders wait until its deadline."""
        partner = demo.partner(PRELEGAL_CUSTOMER)
        invoices = self.env["cobranza.receivable.facts"]._overdue_lines(partner, demo.company).move_id
        offer = self.env["cobranza.settlement.offer"].create(
            {
                "partner_id": partner.id,
                "company_id": demo.company.id,
                "collector_id": demo.profile(partner).collector_id.id,
                "move_ids": [Command.set(invoices.ids)],
                "deadline": demo.today + timedelta(days=14),
                "waive_interest": True,
                "waive_percent": 10.0,
                "note": "Pago único por transferencia; evita el traslado a cobro jurídico.",
            }
        )
        offer.action_submit()  # it waives something: a Collections Manager approves it
        offer.with_user(demo.users["manager"]).action_approve()
        demo.profile(partner).write(
            {
                "dunning_paused_until": offer.deadline,
                "note": "<p>Oferta de arreglo en curso: recordatorios en pausa.</p>",
            }
        )


class DemoState:
    """What the replay knows: the records made so far, what is still to come, and the clock."""

    def __init__(self, env, company, today):
        self.env = env
        self.company = company
        self.today = today
        self.invoices = env["account.move"]
        self.story_moves = {}
        self.pending_invoices = []
        self.pending_payments = []
        self.incentive = env["cobranza.incentive"]
        self.bank_journal = env["account.journal"].search(
            [("type", "=", "bank"), ("company_id", "=", company.id)], limit=1
        )
        self._partners = {}
        self._events = None
        self.marks = {}

    @property
    def partners(self):
        return self._partner_records

    @partners.setter
    def partners(self, records):
        self._partner_records = records
        self._partners = {partner.name: partner for partner in records}

    def partner(self, name):
        return self._partners[name]

    def profile(self, partner):
        return self.profiles.filtered(lambda profile: profile.partner_id == partner)

    @property
    def events(self):
        if self._events is None:
            self._events = self.env["cobranza.demo.portfolio"]._demo_story_events(self)
        return self._events

    @property
    def refresh_days(self):
        """The daily refresh of segments, as of every fourth run (its history shows the changes)."""
        return set(self.run_days[::4])

    def checkpoints(self):
        """The past days of the replay, in the order of time."""
        days = set(self.run_days) | {day for day in self.events if day < self.today}
        return sorted(day for day in days if day < self.today)

    def moment(self, day):
        return datetime.combine(day, RUN_TIME)

    def queue_payment(self, pay_date, moves, amount):
        if pay_date <= self.today and not self.company.currency_id.is_zero(amount):
            self.pending_payments.append((pay_date, moves, amount))
            self.pending_payments.sort(key=lambda payment: payment[0])

    def current_marks(self):
        """The last id of the records whose dates the replay sets (see stamp), and who is on hold."""
        marks = {
            model: self.env[model].sudo().search([], order="id desc", limit=1).id or 0
            for model in ("mail.message", "mail.activity", "mail.mail", "mail.notification", "cobranza.segment.change")
        }
        marks["hold_profiles"] = set(self.profiles.filtered("credit_hold").ids)
        return marks

    def _created_since(self, model):
        return self.env[model].sudo().search([("id", ">", self.marks[model])])

    def stamp(self, day):
        """Date what the day made on that day: the replay runs today, its history must not say so."""
        moment = self.moment(day)
        self._created_since("mail.message").write({"date": moment})
        self._created_since("mail.activity").write({"date_deadline": day})
        self._created_since("cobranza.segment.change").write({"date": moment})
        held = self.profiles.filtered("credit_hold")
        (held - self.profiles.browse(self.marks["hold_profiles"])).write({"credit_hold_date": day})
        marks = self.current_marks()
        for model in ("mail.mail", "mail.notification"):
            marks[model] = self.marks[model]  # the mail queue is settled once, at the end
        self.marks = marks

    def finish(self):
        """The reminders and notices of the past were sent then: the mail queue must not send them again
        (the demo's addresses do not exist). Today's drafts have no e-mail yet."""
        self._created_since("mail.mail").filtered(lambda mail: mail.state == "outgoing").write({"state": "sent"})
        self._created_since("mail.notification").filtered(
            lambda notification: notification.notification_status == "ready"
        ).write({"notification_status": "sent"})


def _last_due(spec):
    return spec["date"] + timedelta(days=TERMS[spec["term"]][-1][0])


def _random_lines(rng, products):
    return [
        Command.create(
            {
                "product_id": product.id,
                "quantity": rng.choice([10, 20, 25, 40, 50, 80, 100, 150]),
                "price_unit": product.list_price,
            }
        )
        for product in rng.sample(list(products), rng.randint(1, 4))
    ]


def _prints_letter(level, profile):
    """Whether delivering a communication of ``level`` to this customer renders a letter."""
    if level.print_letter or level.handoff or level.bureau_notice:
        return True
    # the fallback letter of a customer the e-mail cannot reach (no authorised channel)
    return level.fallback_channel == "letter" and profile.partner_id.name == NO_CONSENT_CUSTOMER


def _run_days(today):
    """One run day a week over the last RUN_WEEKS weeks, oldest first: preferably the Wednesday, never a
    weekend day nor a public holiday of the customers' countries, always inside its own week."""
    calendars = [holidays.country_holidays(code, years=range(today.year - 1, today.year + 1)) for code in CITIES]
    days = []
    for week in range(RUN_WEEKS, 0, -1):
        monday = today - timedelta(days=7 * week + (today - timedelta(days=7 * week)).weekday())
        for offset in (2, 1, 3, 0, 4):
            day = monday + timedelta(days=offset)
            if day < today and not any(day in calendar for calendar in calendars):
                days.append(day)
                break
    return days


def _demo_vat(rng, country, is_company):
    """A tax id whose check digit is valid for its country."""
    if country == "CO":
        base = str(rng.randint(900000000, 901999999) if is_company else rng.randint(10000000, 1099999999))
        return f"{base}-{nit.calc_check_digit(base)}"
    if country == "MX":
        letters = "".join(rng.choice("ABCDEFGHIJKLMNOPRSTUVWXZ") for _ in range(3 if is_company else 4))
        birth = f"{rng.randint(70, 99):02d}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
        homoclave = "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ123456789") for _ in range(2))
        base = letters + birth + homoclave
        return base + rfc.calc_check_digit(base)
    if country == "CL":
        body = str(rng.randint(76000000, 77999999) if is_company else rng.randint(8000000, 22000000))
        formatted = f"{int(body):,}".replace(",", ".")
        return f"{formatted}-{rut.calc_check_digit(body)}"
    if country == "PE":
        base = ("20" if is_company else "10") + f"{rng.randint(0, 99999999):08d}"
        return base + ruc.calc_check_digit(base)
    if country == "AR":
        base = ("30" if is_company else rng.choice(["20", "27"])) + f"{rng.randint(10000000, 99999999)}"
        return base + cuit.calc_check_digit(base)
    raise ValueError(country)


# National significant number patterns that the numbering plans accept (mobile, landline).
_PHONE_PATTERNS = {
    "CO": ("3{a}{b}", "60{city}{b}"),
    "MX": ("55{c}", "33{c}"),
    "CL": ("9{c}", "22{b}"),
    "PE": ("9{c}", "1{b}"),
    "AR": ("911{c}", "11{c}"),
}


def _demo_phone(rng, country, mobile):
    """A phone number valid for the country, in E.164."""
    pattern = _PHONE_PATTERNS[country][0 if mobile else 1]
    for _attempt in range(200):
        digits = pattern.format(
            a=rng.choice(["00", "01", "02", "10", "12", "14", "15", "16", "17", "18", "20", "21", "22", "23"]),
            b=f"{rng.randint(0, 9999999):07d}",
            c=f"{rng.randint(0, 99999999):08d}",
            city=rng.choice(["1", "4", "5", "2", "7"]),
        )
        number = phonenumbers.parse(digits, country)
        if phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    raise ValueError(f"no valid demo phone number for {country}")
