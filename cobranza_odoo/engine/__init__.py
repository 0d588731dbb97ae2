"""The rules engine of cobranza_odoo.

Pure Python: nothing here imports odoo or reads the clock. Every function takes plain
data (dates, numbers, dataclasses) and returns plain data, so the rules can be tested
fast without Odoo (see the repository's ``tests/`` folder) and reused by the models.
"""

from . import aging
