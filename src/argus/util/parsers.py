"""JSON from clients, with a ceiling on how deeply it may nest.

Python's decoder recurses once per level: a body of 100,000 ``[`` raises ``RecursionError``
instead of a parse error, and a document a few hundred levels deep parses but then breaks the
code that walks it (NUL checks, the ``jsonb`` key order on SQLite) when it is stored or read back.
So every JSON document a client sends is refused beyond :data:`MAX_JSON_DEPTH` levels, as
malformed JSON is: the request parser (every API endpoint, through ``REST_FRAMEWORK``), and
:func:`loads` for JSON carried inside other input (a v1 ``filter_string``, a knox login body,
command-line options).
"""

from __future__ import annotations

import json

from rest_framework import parsers
from rest_framework.exceptions import ParseError

#: Levels of arrays/objects a client's JSON document may have (``[[1]]`` has two).
MAX_JSON_DEPTH = 100
TOO_DEEP_MESSAGE = f"Nested deeper than {MAX_JSON_DEPTH} levels."


class JSONTooDeep(ValueError):
    def __init__(self):
        super().__init__(TOO_DEEP_MESSAGE)


def exceeds_json_depth(value, limit: int = MAX_JSON_DEPTH) -> bool:
    """True when ``value`` (decoded JSON) nests arrays/objects deeper than ``limit`` levels."""
    if not isinstance(value, (dict, list)):
        return False
    stack = [(value, 1)]
    while stack:
        container, depth = stack.pop()
        if depth > limit:
            return True
        children = container.values() if isinstance(container, dict) else container
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def loads(text, **kwargs):
    """``json.loads`` that raises :class:`JSONTooDeep` (a ``ValueError``, like a decoding error)
    for a document nested deeper than :data:`MAX_JSON_DEPTH` levels."""
    try:
        value = json.loads(text, **kwargs)
    except RecursionError:
        raise JSONTooDeep() from None
    if exceeds_json_depth(value):
        raise JSONTooDeep()
    return value


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser; a body nested too deeply is a parse error (400) like malformed JSON."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            value = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(f"JSON parse error - {TOO_DEEP_MESSAGE}") from None
        if exceeds_json_depth(value):
            raise ParseError(f"JSON parse error - {TOO_DEEP_MESSAGE}")
        return value
