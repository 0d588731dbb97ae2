import polib
from odoo.tests import TransactionCase, tagged
from odoo.tools.misc import file_path
from odoo.tools.translate import TranslationModuleReader


@tagged("post_install", "-at_install")
class TestSpanishTranslation(TransactionCase):
    def test_every_translatable_term_of_the_addon_is_translated_in_es_po(self):
        terms = {
            source
            for module, _type, _name, _res_id, source, _value, _comments in TranslationModuleReader(
                self.env.cr, modules=["cobranza_odoo"]
            )
            if module == "cobranza_odoo"
        }
        self.assertGreater(len(terms), 50)
        catalog = polib.pofile(file_path("cobranza_odoo/i18n/es.po"))
        translated = {entry.msgid for entry in catalog if entry.msgstr.strip() and "fuzzy" not in entry.flags}
        missing = sorted(terms - translated)
        self.assertFalse(missing, "Terms missing from i18n/es.po (run ./dev i18n):\n" + "\n".join(missing))

    def test_spanish_users_see_the_collections_menus_in_spanish(self):
        self.env["res.lang"]._activate_lang("es_419")
        self.env["ir.module.module"]._get("cobranza_odoo")._update_translations(["es_419"], overwrite=True)
        menu = self.env.ref("cobranza_odoo.menu_cobranza_root").with_context(lang="es_419")
        self.assertEqual(menu.name, "Cobranza")
        worklist = self.env.ref("cobranza_odoo.menu_cobranza_worklist").with_context(lang="es_419")
        self.assertEqual(worklist.name, "Lista de trabajo")
