"""Primary keys as they come from URLs, query strings, request bodies and admin filters.

One rule for all of them: a primary key is an ``int``, or a string of ASCII digits, between 1 and
:data:`MAX_DATABASE_ID` (the largest value of a 64-bit ``bigint`` column). Anything else names
no row: callers answer their usual "does not exist" instead of asking the database (which would
fail on a number too large for the column) or ``int()`` (which takes ``"²"`` for a digit but
fails on it, and reads ``"١٢"`` as 12).
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from rest_framework.exceptions import NotFound

MAX_DATABASE_ID = 2**63 - 1
_MAX_DIGITS = len(str(MAX_DATABASE_ID))


def parse_pk(value) -> int | None:
    """The primary key ``value`` names, or ``None`` if it cannot name a database row."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        pk = value
    elif isinstance(value, str) and value.isascii() and value.isdigit():
        if len(value.lstrip("0")) > _MAX_DIGITS:  # int() refuses thousands of digits
            return None
        pk = int(value)
    else:
        return None
    return pk if 0 < pk <= MAX_DATABASE_ID else None


def is_integer_text(value) -> bool:
    """True for an ``int`` or an optionally signed string of ASCII digits.

    Routes tell "not an integer at all" (``404 Not found.``, as a DRF router answers) from "an
    integer that names no row" (``404 No <Model> matches the given query.``).
    """
    if isinstance(value, int) and not isinstance(value, bool):
        return True
    if not isinstance(value, str):
        return False
    digits = value[1:] if value[:1] in "+-" else value
    return digits.isascii() and digits.isdigit()


def get_by_pk_or_404(queryset, pk, **filters):
    """The row of ``queryset`` (with ``filters``) that the URL segment ``pk`` names, else a 404 as
    a DRF route gives it: ``Not found.`` when ``pk`` is not an integer at all, ``No <Model>
    matches the given query.`` when it is one that names no row."""
    if not is_integer_text(pk):
        raise NotFound()
    return get_object_or_404(queryset, pk=parse_pk(pk) or 0, **filters)
