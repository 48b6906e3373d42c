"""Cursor pagination of the incident lists, `mine/` and v2 `events/`.

DRF's CursorPagination already produces the cursors and links Argus 1.37 clients expect
(`o`, `r`, `p` keys; position printed as ``str(datetime)`` in UTC; query parameters re-encoded
sorted by name), so we keep its algorithm and only fix what 1.37 got wrong: a cursor whose
position is not a datetime the database can compare (not one, or one that overflows in UTC)
answers ``404 Invalid cursor`` instead of a 500.

One deliberate difference: 1.37 has no largest ``page_size``, so one request could serialise every
incident into one worker's memory. Here a larger value is served as the ceiling, the setting
``MAX_PAGE_SIZE`` (env ``ARGUS_MAX_PAGE_SIZE``, default 1000), with ``next`` links as usual: a
client that follows the links sees the same rows.
"""

import binascii
import datetime
import functools
import operator
from base64 import b64decode

from django.conf import settings
from django.db import connections
from django.db.models import Q
from django.utils.dateparse import parse_datetime
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination

from argus.util.datetime_utils import as_aware


class ArgusCursorPagination(CursorPagination):
    ordering = "-start_time"
    page_size = 100
    page_size_query_param = "page_size"
    offset_cutoff = 1000

    def get_page_size(self, request):
        """``page_size`` (default 100; 0, negative or not a number: the default), at most the
        ``MAX_PAGE_SIZE`` setting."""
        self.max_page_size = max(settings.MAX_PAGE_SIZE, 1)
        return min(super().get_page_size(request), self.max_page_size)

    def paginate_queryset(self, queryset, request, view=None, branches=()):
        """The page, as DRF's cursor pagination makes it.

        With ``branches`` (conditions, of which an incident must meet at least one: the values of
        one tag key, see ``filters.filter_tags``), the page is taken from the union of each
        condition's own page: every incident on the page is on the page of a condition it meets,
        and each of those the database finds by reading an index in order and stopping, where
        the conditions together would make it read every incident meeting any of them.
        """
        if branches:
            pages = self._branch_pages(queryset, request, view, branches)
            if connections[queryset.db].features.supports_slicing_ordering_in_compound:
                queryset = queryset.filter(pk__in=pages[0].union(*pages[1:], all=True))
            else:  # SQLite: no LIMIT inside a UNION
                queryset = queryset.filter(functools.reduce(operator.or_, (Q(pk__in=page) for page in pages)))
        return super().paginate_queryset(queryset, request, view)

    def _branch_pages(self, queryset, request, view, branches) -> list:
        # What DRF's paginate_queryset does before taking its slice, to each branch.
        cursor = self.decode_cursor(request)
        offset, reverse, position = cursor if cursor is not None else (0, False, None)
        ordering = self.get_ordering(request, queryset, view)
        position_filter = {}
        if position is not None:
            lookup = "lt" if reverse != ordering[0].startswith("-") else "gt"
            position_filter = {f"{ordering[0].lstrip('-')}__{lookup}": position}
        if reverse:
            ordering = [name[1:] if name.startswith("-") else f"-{name}" for name in ordering]
        end = offset + self.get_page_size(request) + 1
        return [
            queryset.filter(branch, **position_filter).order_by(*ordering).values("pk")[:end]
            for branch in branches
        ]

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
