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

On PostgreSQL :func:`insert_objects_together` writes rows of several tables that refer to each
other (an incident, its tag relations, its event, the event's pending-notification row) in one
statement, each ``INSERT`` a data-modifying ``WITH`` clause: one round trip, and as a single
statement it is atomic by itself, so a caller outside a transaction needs no ``BEGIN``/``COMMIT``.
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


def _saved(objects: Sequence[Model], pks) -> None:
    for obj, pk in zip(objects, pks, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = DEFAULT_DB_ALIAS


def insert_objects(objects: Sequence[Model], fields: Sequence[str]) -> None:
    """:func:`insert_rows` for unsaved model instances of one model; each gets its primary key and
    counts as saved."""
    if not objects:
        return
    attnames = [objects[0]._meta.get_field(name).attname for name in fields]
    rows = [[getattr(obj, attname) for attname in attnames] for obj in objects]
    _saved(objects, insert_rows(type(objects[0]), fields, rows))


def can_insert_together() -> bool:
    """Whether the database takes :func:`insert_objects_together` (data-modifying ``WITH``)."""
    return connections[DEFAULT_DB_ALIAS].vendor == "postgresql"


def insert_objects_together(batches: Sequence[tuple[Sequence[Model], Sequence[str]]]) -> None:
    """Insert several lists of unsaved objects, each ``(objects, fields)``, in one statement;
    each object gets its primary key. PostgreSQL only (:func:`can_insert_together`).

    A field whose value is an unsaved object that an earlier batch inserts alone (the incident of
    its relations and event, the event of its pending row) is given that row's new key inside the
    statement; any other unsaved related object is refused (``ValueError``), as ``save()``
    refuses it. Empty batches are skipped. New keys are read back sorted and given to the objects
    in order: PostgreSQL evaluates a multi-row ``VALUES`` row by row, each taking the next value
    of its sequence (what it does, not a documented promise; a test checks it).
    """
    batches = [(list(objects), tuple(fields)) for objects, fields in batches if objects]
    if not batches:
        return
    connection = connections[DEFAULT_DB_ALIAS]
    shape, params, links = [], [], []
    single = {}  # id() of an unsaved object inserted alone -> its batch's position
    for position, (objects, fields) in enumerate(batches):
        model = type(objects[0])
        model_fields = _fields(model, fields)
        parents = tuple(_parent(obj_field, objects[0], single) for obj_field in model_fields)
        for obj in objects:
            for field, parent in zip(model_fields, parents, strict=True):
                if parent is None:
                    params.append(field.get_db_prep_save(getattr(obj, field.attname), connection))
                elif _parent(field, obj, single) != parent:
                    raise ValueError(f"the rows of {model.__name__} must all refer to the same earlier rows")
        shape.append((model, fields, len(objects), parents))
        links.append(
            [field for field, parent in zip(model_fields, parents, strict=True) if parent is not None]
        )
        if len(objects) == 1:
            single[id(objects[0])] = position
    with connection.cursor() as cursor:
        cursor.execute(_together_statement(tuple(shape)), params)
        keys = cursor.fetchone()
    for (objects, _names), pks, fields in zip(batches, keys, links, strict=True):
        _saved(objects, pks)
        for obj in objects:
            for field in fields:  # assigned again now that it has a key (as Model.save does)
                setattr(obj, field.name, field.get_cached_value(obj))


def _parent(field, obj, single: dict) -> int | None:
    """The position of the batch that inserts the unsaved object ``field`` of ``obj`` refers to."""
    if not field.is_relation:
        return None
    related = field.get_cached_value(obj, None)
    if related is None or related.pk is not None:
        return None
    position = single.get(id(related))
    if position is None:
        raise ValueError(
            f"{field.name} of {type(obj).__name__} is an unsaved object no earlier batch inserts"
        )
    return position


@lru_cache(maxsize=64)
def _together_statement(shape: tuple) -> str:
    quote = connections[DEFAULT_DB_ALIAS].ops.quote_name
    clauses, reads = [], []
    for position, (model, fields, rows, parents) in enumerate(shape):
        meta = model._meta
        pk = quote(meta.pk.column)
        columns = ", ".join(quote(meta.get_field(name).column) for name in fields)
        values = ", ".join(
            "%s" if parent is None else f"(SELECT {quote(shape[parent][0]._meta.pk.column)} FROM t{parent})"
            for parent in parents
        )
        row = f"({values})"
        clauses.append(
            f"t{position} AS (INSERT INTO {quote(meta.db_table)} ({columns}) "
            f"VALUES {', '.join([row] * rows)} RETURNING {pk})"
        )
        reads.append(f"ARRAY(SELECT {pk} FROM t{position} ORDER BY {pk})")
    return f"WITH {', '.join(clauses)} SELECT {', '.join(reads)}"
