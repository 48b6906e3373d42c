"""Cursor pagination of incidents.md §6 (incident lists, `mine/`, v2 `events/`).

DRF's CursorPagination already produces the cursors and links Argus 1.37 clients expect
(`o`, `r`, `p` keys; position printed as ``str(datetime)`` in UTC; query parameters re-encoded
sorted by name), so we keep its algorithm and only fix what 1.37 got wrong: a cursor whose
position is not a datetime the database can compare (not one, or one that overflows in UTC)
answers ``404 Invalid cursor`` instead of a 500, and a page size too large for the database's
``LIMIT`` is read as the largest one it takes (more rows than any table holds).
"""

import binascii
import datetime
from base64 import b64decode

from django.utils.dateparse import parse_datetime
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination

from argus.util.datetime_utils import as_aware


class ArgusCursorPagination(CursorPagination):
    ordering = "-start_time"
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 2**62  # no maximum (spec §6), but LIMIT page_size + 1 must fit in 64 bits
    offset_cutoff = 1000

    def decode_cursor(self, request):
        encoded = request.query_params.get(self.cursor_query_param)
        if encoded:
            try:  # DRF silently drops non-base64 characters; a mangled cursor is an error
                b64decode(encoded.encode("ascii"), validate=True)
            except (binascii.Error, UnicodeEncodeError, ValueError):
                raise NotFound(self.invalid_cursor_message) from None
        cursor = super().decode_cursor(request)
        if cursor is not None and cursor.position is not None:
            if not _comparable_moment(cursor.position):
                raise NotFound(self.invalid_cursor_message)
        return cursor


def _comparable_moment(position: str) -> bool:
    try:
        moment = parse_datetime(position)
        if moment is None:
            return False
        as_aware(moment).astimezone(datetime.UTC)
    except (ValueError, OverflowError):
        return False
    return True


class EventCursorPagination(ArgusCursorPagination):
    ordering = "-timestamp"
