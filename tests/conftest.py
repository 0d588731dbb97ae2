"""Load the addon's ``engine`` package without importing the addon (which needs Odoo).

The engine is registered as the top-level package ``cobranza_engine`` so tests write
``from cobranza_engine import aging``.
"""

import importlib.util
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
ADDON_DIR = REPO_ROOT / "cobranza_odoo"
ENGINE_DIR = ADDON_DIR / "engine"


def _load_engine():
    if "cobranza_engine" in sys.modules:
        return sys.modules["cobranza_engine"]
    spec = importlib.util.spec_from_file_location(
        "cobranza_engine", ENGINE_DIR / "__init__.py", submodule_search_locations=[str(ENGINE_DIR)]
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules["cobranza_engine"] = module
    spec.loader.exec_module(module)
    return module


_load_engine()
