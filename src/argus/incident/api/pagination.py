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
from base64 import b64decode

from django.conf import settings
from django.utils.dateparse import parse_datetime
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination

from argus.incident.queries import first_of_each
from argus.util.datetime_utils import as_aware


class ArgusCursorPagination(CursorPagination):
    # The cursor's position is the start time, as in 1.37; the id orders incidents that started
    # at the same moment, so that the offset DRF counts among them always skips the same ones.
    ordering = ("-start_time", "-pk")
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

        With ``branches`` (conditions of which an incident meets at least one: the values of one
        tag key, see ``filters.filter_tags``), the page is taken from the first rows of each
        branch after the cursor (``queries.first_of_each``).
        """
        if branches:
            queryset = self._first_of_each_branch(queryset, request, view, branches)
        return super().paginate_queryset(queryset, request, view)

    def _first_of_each_branch(self, queryset, request, view, branches):
        # DRF's paginate_queryset below applies the same position, ordering and slice again.
        cursor = self.decode_cursor(request)
        offset, reverse, position = cursor if cursor is not None else (0, False, None)
        ordering = self.get_ordering(request, queryset, view)
        if position is not None:
            lookup = "lt" if reverse != ordering[0].startswith("-") else "gt"
            queryset = queryset.filter(**{f"{ordering[0].lstrip('-')}__{lookup}": position})
        if reverse:
            ordering = [name[1:] if name.startswith("-") else f"-{name}" for name in ordering]
        return first_of_each(queryset, branches, ordering, offset + self.get_page_size(request) + 1)

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
    ordering = ("-timestamp", "-pk")
