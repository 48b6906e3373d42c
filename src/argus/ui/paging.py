"""Keyset paging of the incident list: the cursor in the URL holds the sort values of a page edge.

No OFFSET (pages deep in a million incidents cost what page 1 costs) and no page numbers: First,
Previous, Next and Last, where Last is the first page of the reverse sort. Incidents arriving
while someone pages shift nothing: the next page starts after the last row seen.

Ties are broken by the newest start, then by primary key, so the order is total and a cursor
names one position.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import json
from dataclasses import dataclass

from django.db.models import F, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils.dateparse import parse_datetime

from argus.incident.queries import first_of_each
from argus.util.ids import MAX_DATABASE_ID

AFTER, BEFORE, LAST = "a", "b", "l"

DEFAULT_SORT = "start_time"
DEFAULT_ORDER = "desc"

#: URL value of ``sort`` -> (field or annotation, kind). ``end_time`` of a stateless incident is
#: read as its start (it happened at one moment), so the sort key is never NULL.
SORT_FIELDS = {
    "pk": ("pk", "int"),
    "start_time": ("start_time", "datetime"),
    "end_time": ("ui_sort_end", "datetime"),
    "level": ("level", "int"),
    "source__name": ("source__name", "str"),
    "source__type__name": ("source__type_id", "str"),
    "description": ("description", "str"),
    "ticket_url": ("ticket_url", "str"),
}


@dataclass(frozen=True)
class Key:
    field: str
    kind: str
    descending: bool


def sort_keys(sort: str, order: str) -> list[Key]:
    """The total order of a sort: the column, then newest start, then primary key."""
    field, kind = SORT_FIELDS[sort]
    descending = order == "desc"
    if sort == "pk":
        return [Key("pk", "int", descending)]
    if sort == "start_time":
        return [Key("start_time", "datetime", descending), Key("pk", "int", descending)]
    return [Key(field, kind, descending), Key("start_time", "datetime", True), Key("pk", "int", True)]


def annotate_for_sort(queryset: QuerySet, sort: str) -> QuerySet:
    if sort == "end_time":
        return queryset.annotate(ui_sort_end=Coalesce("end_time", "start_time"))
    return queryset


def _order_by(keys: list[Key], reverse: bool) -> list:
    return [F(key.field).desc() if key.descending != reverse else F(key.field).asc() for key in keys]


def _beyond(keys: list[Key], values: list, reverse: bool) -> Q:
    """Rows after ``values`` in the order of ``keys`` (before them when ``reverse``)."""
    condition = Q(pk__in=[])
    equal = Q()
    for key, value in zip(keys, values, strict=True):
        lookup = "lt" if key.descending != reverse else "gt"
        condition |= equal & Q(**{f"{key.field}__{lookup}": value})
        equal &= Q(**{key.field: value})
    return condition


def _value_of(row, key: Key):
    if key.field == "source__name":
        return row.source.name
    if key.field == "source__type_id":
        return row.source.type_id
    return getattr(row, key.field)


def encode_cursor(direction: str, values: list | None = None) -> str:
    plain = [
        direction,
        [value.isoformat() if isinstance(value, datetime.datetime) else value for value in values or []],
    ]
    return base64.urlsafe_b64encode(json.dumps(plain, separators=(",", ":")).encode()).decode().rstrip("=")


@dataclass(frozen=True)
class Cursor:
    direction: str
    values: list


def decode_cursor(text: str | None, keys: list[Key]) -> Cursor | None:
    """The cursor, or None (first page) for anything that is not a cursor of this sort."""
    if not text:
        return None
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        direction, values = json.loads(raw)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        return None
    if direction == LAST:
        return Cursor(LAST, [])
    if direction not in (AFTER, BEFORE) or not isinstance(values, list) or len(values) != len(keys):
        return None
    parsed = []
    for key, value in zip(keys, values, strict=True):
        if key.kind == "datetime":
            moment = parse_datetime(value) if isinstance(value, str) else None
            if moment is None or moment.tzinfo is None:
                return None
            parsed.append(moment)
        elif key.kind == "int":
            if type(value) is not int or abs(value) > MAX_DATABASE_ID:
                return None
            parsed.append(value)
        else:
            if not isinstance(value, str) or "\x00" in value:
                return None
            parsed.append(value)
    return Cursor(direction, parsed)


@dataclass
class Page:
    rows: list
    first_cursor: str | None  # None: this is the first page
    previous_cursor: str | None
    next_cursor: str | None
    last_cursor: str | None  # None: this is the last page

    @property
    def is_first(self) -> bool:
        return self.previous_cursor is None


def paginate(queryset: QuerySet, keys: list[Key], cursor: Cursor | None, size: int, branches=()) -> Page:
    """One page (one query; two when paging back past the first row).

    ``branches``: conditions of which each row of ``queryset`` must also meet one (the values of
    one tag key, see ``argus.incident.api.filters.filter_tags``), read one at a time.
    """

    def first(query, reverse: bool) -> list:
        order = _order_by(keys, reverse)
        if branches:
            query = first_of_each(query, branches, order, size + 1)
        return list(query.order_by(*order)[: size + 1])

    if cursor is not None and cursor.direction == BEFORE:
        rows = first(queryset.filter(_beyond(keys, cursor.values, True)), True)
        if len(rows) <= size:  # back at the start: show a full first page
            return paginate(queryset, keys, None, size, branches)
        rows = rows[:size][::-1]
        has_previous, has_next = True, True
    elif cursor is not None and cursor.direction == LAST:
        rows = first(queryset, True)
        has_previous = len(rows) > size
        rows = rows[:size][::-1]
        has_next = False
    else:
        page_query = queryset
        if cursor is not None:
            page_query = queryset.filter(_beyond(keys, cursor.values, False))
        rows = first(page_query, False)
        has_next = len(rows) > size
        rows = rows[:size]
        has_previous = cursor is not None
    return Page(
        rows=rows,
        first_cursor="" if has_previous else None,
        previous_cursor=encode_cursor(BEFORE, [_value_of(rows[0], key) for key in keys])
        if has_previous and rows
        else None,
        next_cursor=encode_cursor(AFTER, [_value_of(rows[-1], key) for key in keys])
        if has_next and rows
        else None,
        last_cursor=encode_cursor(LAST) if has_next else None,
    )
