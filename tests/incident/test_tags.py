"""argus.incident.tags: the one parser of key=value tags and its error codes."""

import pytest
from django.core.exceptions import ValidationError

from argus.incident import tags
from argus.incident.tags import InvalidTag, check_tag, parse_tag, split_tag


@pytest.mark.parametrize(
    "text, pair",
    [
        ("host=a", ("host", "a")),
        (" spaced = value with spaces ", ("spaced", "value with spaces")),
        ("a=b=c", ("a", "b=c")),
        ("empty=", ("empty", "")),
        ("k_1=é😀", ("k_1", "é😀")),
        ("k" * 100 + "=" + "😀" * 600, ("k" * 100, "😀" * 600)),
    ],
)
def test_parse_tag_splits_on_the_first_delimiter_and_strips(text, pair):
    assert parse_tag(text) == pair


@pytest.mark.parametrize(
    "text, code",
    [
        ("nodelimiter", tags.MISSING_DELIMITER),
        ("", tags.MISSING_DELIMITER),
        ("=value", tags.EMPTY_KEY),
        ("  =value", tags.EMPTY_KEY),
        ("Host=a", tags.INVALID_KEY),
        ("bad key=a", tags.INVALID_KEY),
        ("ключ=a", tags.INVALID_KEY),
        ("k²=a", tags.INVALID_KEY),
        ("k" * 101 + "=a", tags.KEY_TOO_LONG),
        ("k=" + "v" * 601, tags.VALUE_TOO_LONG),
        ("k=a\x00", tags.NULL_CHARACTER),
        ("nodelimiter\x00", tags.NULL_CHARACTER),
    ],
)
def test_parse_tag_refuses_with_a_code(text, code):
    with pytest.raises(InvalidTag) as error:
        parse_tag(text)
    assert error.value.code == code
    assert error.value.message == tags.MESSAGES[code]


def test_an_invalid_tag_is_a_django_validation_error_with_the_plain_message():
    with pytest.raises(ValidationError) as error:
        parse_tag("Host=a")
    assert error.value.messages == [
        "Enter a valid key consisting of lowercase letters, numbers and underscores."
    ]


def test_messages_name_the_limits():
    assert tags.MESSAGES[tags.KEY_TOO_LONG] == "The key of the tag cannot be longer than 100 characters."
    assert tags.MESSAGES[tags.VALUE_TOO_LONG] == "The value of the tag cannot be longer than 600 characters."


def test_the_longest_tag_fits_a_postgresql_btree_index_row():
    longest = tags.MAX_TAG_KEY_LENGTH + 4 * tags.MAX_TAG_VALUE_LENGTH  # ASCII key, 4-byte UTF-8 value
    assert longest + 32 < 2704  # row and value headers take far less than 32 bytes


def test_without_stripping_spaces_belong_to_key_and_value():
    assert parse_tag("k= v ", strip=False) == ("k", " v ")
    with pytest.raises(InvalidTag) as error:
        parse_tag(" k=v", strip=False)
    assert error.value.code == tags.INVALID_KEY
    with pytest.raises(InvalidTag) as error:
        parse_tag("k\n=v", strip=False)  # "$" in a pattern would let a trailing newline through
    assert error.value.code == tags.INVALID_KEY


def test_split_tag_checks_only_the_split():
    assert split_tag("Host=" + "v" * 700) == ("Host", "v" * 700)
    for text, code in (("x", tags.MISSING_DELIMITER), (" =x", tags.EMPTY_KEY)):
        with pytest.raises(InvalidTag) as error:
            split_tag(text)
        assert error.value.code == code


def test_check_tag_checks_a_pair():
    check_tag("host", "")
    for key, value, code in (
        ("", "x", tags.EMPTY_KEY),
        ("Host", "x", tags.INVALID_KEY),
        ("host", "x" * 601, tags.VALUE_TOO_LONG),
        ("host", "\x00", tags.NULL_CHARACTER),
    ):
        with pytest.raises(InvalidTag) as error:
            check_tag(key, value)
        assert error.value.code == code
