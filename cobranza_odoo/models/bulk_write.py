"""Raw bulk writes of the daily runs, done one way: one statement, cache invalidated, tracking kept.

The ORM writes rows in chunks and, on journal items and posted invoices, re-runs accounting
checks and synchronisations for fields that need none of them. The runs therefore write
their own fields with one UPDATE (or INSERT) for many rows — through these helpers only, so
that every such write

* flushes pending ORM changes of the same fields first (nothing written later overwrites it),
* keeps ``mail`` tracking of tracked fields (the change appears in the chatter at commit, as
  with a regular write), unless the caller names fields whose history is kept elsewhere,
* sets ``write_date``/``write_uid``, invalidates the cache and marks dependent stored fields
  for recomputation.
"""

from odoo import fields
from odoo.tools import SQL

# Below this many rows (as PostgreSQL estimates them) a table the runs insert into is analyzed again.
STATISTICS_FLOOR = 1000


def _sql_value(value):
    return None if value is False else value


def _prepare(model, ids, names, tracked_elsewhere=()):
    records = model.browse(ids)
    records.flush_recordset(list(names))
    if hasattr(records, "_track_prepare") and not model.env.context.get("tracking_disable"):
        tracked = set(names) - set(tracked_elsewhere)
        if tracked:
            records._track_prepare(tracked)
    return records


def _finish(records, names):
    audit = ["write_date", "write_uid"] if "write_date" in records._fields else []
    records.invalidate_recordset([*names, *audit])
    records.modified(list(names))


def bulk_update(model, values_by_id, tracked_elsewhere=()):
    """Write ``{record id: {field: value}}`` (the same fields for every record) in one UPDATE."""
    if not values_by_id:
        return
    names = sorted(next(iter(values_by_id.values())))
    records = _prepare(model, list(values_by_id), names, tracked_elsewhere)
    casts = {name: model._fields[name].column_type[1] for name in names}
    rows = SQL(", ").join(
        SQL("(%s, %s)", record_id, SQL(", ").join(_sql_value(values[name]) for name in names))
        for record_id, values in values_by_id.items()
    )
    model.env.execute_query(
        SQL(
            "UPDATE %(table)s AS target SET %(assignments)s, write_date = %(now)s, write_uid = %(uid)s "
            "FROM (VALUES %(rows)s) AS new_values(id, %(columns)s) WHERE target.id = new_values.id",
            table=SQL.identifier(model._table),
            assignments=SQL(", ").join(
                SQL("%s = new_values.%s::%s", SQL.identifier(name), SQL.identifier(name), SQL(casts[name]))
                for name in names
            ),
            now=fields.Datetime.now(),
            uid=model.env.uid,
            rows=rows,
            columns=SQL(", ").join(SQL.identifier(name) for name in names),
        )
    )
    _finish(records, names)


def bulk_set(model, ids, values, tracked_elsewhere=(), touch=True):
    """Write the same ``values`` on the records ``ids`` in one UPDATE.

    ``touch=False`` leaves ``write_date`` alone: for markers of the runs on Odoo's own records
    (journal items, invoices), where a new write date would tell users the document changed.
    """
    ids = list(ids)
    if not ids or not values:
        return
    names = sorted(values)
    records = _prepare(model, ids, names, tracked_elsewhere)
    assignments = [SQL("%s = %s", SQL.identifier(name), _sql_value(values[name])) for name in names]
    if touch:
        assignments += [SQL("write_date = %s", fields.Datetime.now()), SQL("write_uid = %s", model.env.uid)]
    model.env.execute_query(
        SQL(
            "UPDATE %s SET %s WHERE id = ANY(%s)",
            SQL.identifier(model._table),
            SQL(", ").join(assignments),
            ids,
        )
    )
    _finish(records, names)


def bulk_insert(model, columns, rows):
    """Insert ``rows`` (tuples in the order of ``columns``) in one INSERT; return the new ids.

    For child rows written by the thousands (communication lines): no chatter, no per-row
    defaults — the caller gives every required column. The audit columns are set when the model
    has them.
    """
    if not rows:
        return []
    audit = [model.env.uid, fields.Datetime.now()] * 2 if model._log_access else []
    all_columns = [*columns, *(("create_uid", "create_date", "write_uid", "write_date") if audit else ())]
    values = SQL(", ").join(SQL("(%s)", SQL(", ").join([*row, *audit])) for row in rows)
    result = model.env.execute_query(
        SQL(
            "INSERT INTO %s (%s) VALUES %s RETURNING id",
            SQL.identifier(model._table),
            SQL(", ").join(SQL.identifier(column) for column in all_columns),
            values,
        )
    )
    return [row[0] for row in result]


def bulk_insert_select(model, columns, select, returning=True):
    """Insert the rows of ``select`` (an SQL query giving ``columns`` in order) in one statement, with
    the audit columns; return the new ids. For records made by the thousands from a query."""
    uid, now = model.env.uid, fields.Datetime.now()
    result = model.env.execute_query(
        SQL(
            "INSERT INTO %s (%s, create_uid, create_date, write_uid, write_date) "
            "SELECT source.*, %s, %s, %s, %s FROM (%s) source RETURNING id",
            SQL.identifier(model._table),
            SQL(", ").join(SQL.identifier(column) for column in columns),
            uid,
            now,
            uid,
            now,
            select,
        )
    )
    ids = [row[0] for row in result]
    model.browse(ids).modified(list(columns))
    return ids


def refresh_statistics(env, tables):
    """ANALYZE those of ``tables`` that PostgreSQL's statistics still see as small (under
    STATISTICS_FLOOR rows), after rows were inserted into them.

    PostgreSQL plans the foreign-key check of an insert once per connection. Planned while the
    referenced table was empty (a new database's first daily run), the check scans that table for
    every row inserted: at 100,000 open lines the first review run spent 32 s instead of 4 inserting
    its lines, until autovacuum's statistics came a minute later. Fresh statistics re-plan it; past
    the floor, the plan is an index look-up and stays one.
    """
    small = [
        table
        for table in tables
        if env.execute_query(SQL("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", table))[0][0]
        < STATISTICS_FLOOR
    ]
    if small:
        # SKIP_LOCKED: another worker analyzing it holds its lock until that worker commits
        env.cr.execute(SQL("ANALYZE (SKIP_LOCKED) %s", SQL(", ").join(SQL.identifier(table) for table in small)))
