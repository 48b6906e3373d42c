"""Plain INSERT statements for the few writes on the ingest path.

Creating an incident writes four or five rows (the incident, its tag relations, its first event,
the event's pending-notification row). Through ``Model.save``/``bulk_create`` the ORM compiled each
statement anew, quoting every column and running the save machinery, which cost the server more
CPU than the database spent on the rows (see docs/performance.md). :func:`insert_rows` writes the
same rows with a statement text made once per table, column list and row count, every value still
going through its field's ``get_db_prep_save`` (time zones, JSON, infinity). What it skips is what
these writes do not need: defaults (every column is given), ``pre_save`` hooks (``auto_now``) and
model signals (the project has none on these models). It needs ``INSERT … RETURNING`` (PostgreSQL,
SQLite 3.35 or later).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model


@lru_cache(maxsize=256)
def _statement(model: type[Model], fields: tuple[str, ...], rows: int, vendor: str) -> str:
    quote = connections[DEFAULT_DB_ALIAS].ops.quote_name
    meta = model._meta
    columns = ", ".join(quote(meta.get_field(name).column) for name in fields)
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    return "INSERT INTO {table} ({columns}) VALUES {rows} RETURNING {pk}".format(
        table=quote(meta.db_table), columns=columns, rows=", ".join([row] * rows), pk=quote(meta.pk.column)
    )


@lru_cache(maxsize=256)
def _fields(model: type[Model], fields: tuple[str, ...]) -> tuple:
    return tuple(model._meta.get_field(name) for name in fields)


def insert_rows(model: type[Model], fields: Sequence[str], rows: Sequence[Sequence]) -> list:
    """Insert ``rows`` (values in the order of ``fields``, attribute names such as ``source_id``
    allowed) into ``model``'s table in one statement; the new primary keys, in row order."""
    if not rows:
        return []
    # The connection itself, not django.db.connection: every attribute read through that proxy is
    # a context-local lookup, and the fields read it several times per value.
    connection = connections[DEFAULT_DB_ALIAS]
    fields = tuple(fields)
    model_fields = _fields(model, fields)
    params = [
        field.get_db_prep_save(value, connection)
        for row in rows
        for field, value in zip(model_fields, row, strict=True)
    ]
    with connection.cursor() as cursor:
        cursor.execute(_statement(model, fields, len(rows), connection.vendor), params)
        return [row[0] for row in cursor.fetchall()]


def insert_objects(objects: Sequence[Model], fields: Sequence[str]) -> None:
    """:func:`insert_rows` for unsaved model instances of one model; each gets its primary key and
    counts as saved."""
    if not objects:
        return
    attnames = [objects[0]._meta.get_field(name).attname for name in fields]
    rows = [[getattr(obj, attname) for attname in attnames] for obj in objects]
    for obj, pk in zip(objects, insert_rows(type(objects[0]), fields, rows), strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = DEFAULT_DB_ALIAS
