"""Tags: the one parser of ``key=value`` text and the limits every tag respects.

Every place that reads a tag (incident create and PATCH, the ``<pk>/tags/`` endpoints, the
``tags=`` list filter, notification filter blobs, the admin, the management commands) calls
:func:`parse_tag` (or :func:`check_tag` for a pair it already has) and turns the
:class:`InvalidTag` ``code`` into the message of its own contract; :data:`MESSAGES` holds the
plain texts.

The rules:

* the text is split on the **first** ``=`` (``a=b=c`` is key ``a``, value ``b=c``), and key and
  value are stripped of surrounding whitespace;
* the key is not empty, consists of ``a-z``, ``0-9`` and ``_``, and has at most
  :data:`MAX_TAG_KEY_LENGTH` characters;
* the value is any text, also empty, of at most :data:`MAX_TAG_VALUE_LENGTH` characters;
* neither holds a NUL character (PostgreSQL text cannot).

Why these lengths: tags are unique on (key, value) through a PostgreSQL btree index, and a btree
index row holds at most 2704 bytes. A key is ASCII, a value character takes at most 4 bytes in
UTF-8, so the longest tag needs 100 + 4 × 600 bytes plus a few bytes of row header: it always
fits, whatever the characters, and real tags are far shorter.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError

TAG_DELIMITER = "="
TAG_KEY_PATTERN = r"^[a-z0-9_]+$"
MAX_TAG_KEY_LENGTH = 100
MAX_TAG_VALUE_LENGTH = 600

_KEY = re.compile(r"[a-z0-9_]+")

# Codes of InvalidTag.
MISSING_DELIMITER = "missing_delimiter"
EMPTY_KEY = "empty_key"
INVALID_KEY = "invalid_key"
KEY_TOO_LONG = "key_too_long"
VALUE_TOO_LONG = "value_too_long"
NULL_CHARACTER = "null_character"

#: The plain message of each code. Surfaces whose contract says otherwise map the code themselves
#: (the incident API reports INVALID_KEY as the repr of a one-element list, for one).
MESSAGES = {
    MISSING_DELIMITER: f"The tag does not have its delimiter: {TAG_DELIMITER}.",
    EMPTY_KEY: "The key of the tag cannot be empty.",
    INVALID_KEY: "Enter a valid key consisting of lowercase letters, numbers and underscores.",
    KEY_TOO_LONG: f"The key of the tag cannot be longer than {MAX_TAG_KEY_LENGTH} characters.",
    VALUE_TOO_LONG: f"The value of the tag cannot be longer than {MAX_TAG_VALUE_LENGTH} characters.",
    NULL_CHARACTER: "Null characters are not allowed.",
}


class InvalidTag(ValidationError):
    """A tag broke a rule; ``code`` says which (one of the constants above)."""

    def __init__(self, code: str):
        super().__init__(MESSAGES[code], code=code)


def split_tag(text: str, *, strip: bool = True) -> tuple[str, str]:
    """Split on the first ``=`` only (no key or length rules): :class:`InvalidTag` with
    MISSING_DELIMITER or EMPTY_KEY. Matching uses this to read tags stored before the rules."""
    key, delimiter, value = text.partition(TAG_DELIMITER)
    if not delimiter:
        raise InvalidTag(MISSING_DELIMITER)
    if strip:
        key, value = key.strip(), value.strip()
    if not key:
        raise InvalidTag(EMPTY_KEY)
    return key, value


def check_tag(key: str, value: str) -> None:
    """Raise :class:`InvalidTag` unless (key, value) is a tag that may be stored."""
    if len(key) > MAX_TAG_KEY_LENGTH:
        raise InvalidTag(KEY_TOO_LONG)
    if not _KEY.fullmatch(key):
        raise InvalidTag(EMPTY_KEY if not key else INVALID_KEY)
    if len(value) > MAX_TAG_VALUE_LENGTH:
        raise InvalidTag(VALUE_TOO_LONG)
    if "\x00" in value:
        raise InvalidTag(NULL_CHARACTER)


def parse_tag(text: str, *, strip: bool = True) -> tuple[str, str]:
    """``key=value`` to a checked ``(key, value)`` pair, or :class:`InvalidTag`.

    ``strip=False`` keeps the parts as written (the ``tags=`` list filter: a key with spaces is
    not a key there).
    """
    if "\x00" in text:
        raise InvalidTag(NULL_CHARACTER)
    key, value = split_tag(text, strip=strip)
    check_tag(key, value)
    return key, value
