{
    "name": "Cobranza: Credit & Collections",
    "summary": "Credit limits that block sales, customer segments, dunning in three stages, "
    "payment agreements, early-payment incentives and collections KPIs",
    "version": "18.0.1.0.0",
    "category": "Accounting/Accounting",
    "license": "LGPL-3",
    "author": "cobranza_odoo developers",
    "website": "https://github.com/cobranza-odoo/cobranza_odoo",
    "application": True,
    "depends": ["account", "sale", "mail", "phone_validation"],
    "external_dependencies": {"python": ["phonenumbers", "xlsxwriter", "holidays"]},
    "data": [
        "security/cobranza_security.xml",
        "security/ir.model.access.csv",
        "security/cobranza_record_rules.xml",
        "views/cobranza_partner_profile_views.xml",
        "views/res_partner_views.xml",
        "views/account_move_views.xml",
        "views/res_config_settings_views.xml",
        "views/cobranza_menus.xml",
    ],
    "demo": [
        "demo/cobranza_demo.xml",
    ],
    "images": ["static/description/icon.png"],
    "installable": True,
}
