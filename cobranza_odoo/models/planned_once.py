"""Statements PostgreSQL plans once per connection: SQL functions in PL/pgSQL.

A statement run at every order confirmation is paid by a salesperson waiting at the screen, and
PostgreSQL plans a statement every time it is sent: for the credit check's reading, planning (every
table it names against all their indexes) takes several times longer than running it. PL/pgSQL keeps
the plan of each query of a function for the rest of the connection, and Odoo keeps its connections
open, so a reading written as a function is planned once per connection instead of once per
confirmation.

The function's name carries a digest of its text: code that reads ``name`` always calls the body it
was written with, whatever version of the addon last created functions in the database (a process
still running the previous version keeps calling the previous function). Where the function is not
there yet (the addon's code is newer than its last upgrade), ``ready`` says so and the caller sends
the statement itself: slower, never wrong.
"""

import hashlib

from odoo.tools import SQL

PREFIX = "cobranza_planned_"

# functions known to exist, per database (asked once per process; a missing one is asked again)
_known = set()


class PlannedOnce:
    """A query with named parameters, available as a PL/pgSQL function ``name``.

    ``arguments``: ((name, PostgreSQL type), ...) the query refers to as ``p_<name>``; ``columns``:
    ((name, PostgreSQL type), ...) of the rows it returns, in order (the query casts each column to
    its type: a function's rows must match its declared types exactly).
    """

    def __init__(self, label, arguments, columns):
        self.label = label
        self.arguments = tuple(arguments)
        self.columns = tuple(columns)
        self._name = None

    def name(self, cr, build):
        """The function's name, from its query as ``build()`` returns it (built once per process)."""
        if self._name is None:
            self._name = self.definition(cr, build())[0]
        return self._name

    def parameters(self):
        """{argument name: SQL naming it inside the function}, to build the query with."""
        return {name: SQL(f"p_{name}") for name, _type in self.arguments}

    def literals(self, values):
        """{argument name: SQL of its value in ``values``}, to build the query sent as it is."""
        return {name: SQL(f"%s::{kind}", values[name]) for name, kind in self.arguments}

    def definition(self, cr, query):
        """(function name, CREATE FUNCTION statement) of ``query`` (SQL built with ``parameters()``)."""
        body = cr.mogrify(query.code, query.params).decode()
        signature = ", ".join(f"p_{name} {kind}" for name, kind in self.arguments)
        returns = ", ".join(f"r_{name} {kind}" for name, kind in self.columns)
        text = (
            f"({signature}) RETURNS TABLE ({returns}) LANGUAGE plpgsql STABLE AS $planned$\n"
            # the columns of the query's tables win over the function's own names
            f"#variable_conflict use_column\nBEGIN\nRETURN QUERY {body};\nEND\n$planned$"
        )
        name = f"{PREFIX}{self.label}_{hashlib.sha1(text.encode()).hexdigest()[:12]}"
        return name, f"CREATE OR REPLACE FUNCTION {name}{text}"

    def create(self, cr, query):
        """Create the function of ``query`` (at install and upgrade); return its name."""
        name, statement = self.definition(cr, query)
        cr.execute(statement)
        return name

    def ready(self, cr, name):
        """True when the function ``name`` exists in the database of ``cr``."""
        key = (cr.dbname, name)
        if key in _known:
            return True
        cr.execute(SQL("SELECT 1 FROM pg_proc WHERE proname = %s", name))
        if cr.fetchone():
            _known.add(key)
            return True
        return False

    def call(self, name, values):
        """SQL calling the function ``name`` with ``values`` ({argument name: value})."""
        return SQL(
            "SELECT * FROM %s(%s)",
            SQL.identifier(name),
            SQL(", ").join(self.literals(values).values()),
        )


def drop_all(cr):
    """Drop every function of this module (when the addon is uninstalled), of every version."""
    cr.execute(SQL("SELECT proname FROM pg_proc WHERE proname LIKE %s", PREFIX.replace("_", r"\_") + "%"))
    for (name,) in cr.fetchall():
        cr.execute(SQL("DROP FUNCTION IF EXISTS %s", SQL.identifier(name)))
    _known.clear()
