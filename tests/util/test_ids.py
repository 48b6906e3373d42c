"""argus.util.ids: one rule for primary keys from URLs, query strings, bodies and admin filters."""

import pytest

from argus.util.ids import MAX_DATABASE_ID, is_integer_text, parse_pk


@pytest.mark.parametrize(
    "value, pk",
    [
        (1, 1),
        ("1", 1),
        ("0042", 42),
        (MAX_DATABASE_ID, MAX_DATABASE_ID),
        (str(MAX_DATABASE_ID), MAX_DATABASE_ID),
        ("0" * 30 + "7", 7),
    ],
)
def test_parse_pk_reads_ascii_digits_and_ints(value, pk):
    assert parse_pk(value) == pk


@pytest.mark.parametrize(
    "value",
    [
        0,
        "0",
        -1,
        "-1",
        "+1",
        " 1",
        "1 ",
        "1_0",
        "1.0",
        "²",  # str.isdigit() says yes, int() says no
        "١٢",  # int() reads 12, but it is not ASCII
        "",
        None,
        True,
        1.0,
        MAX_DATABASE_ID + 1,
        str(MAX_DATABASE_ID + 1),
        "9" * 5000,  # more digits than int() accepts
    ],
)
def test_parse_pk_refuses_anything_else(value):
    assert parse_pk(value) is None


@pytest.mark.parametrize(
    "value, expected",
    [("1", True), ("-1", True), ("+7", True), ("9" * 40, True), (3, True), ("", False), ("-", False)]
    + [("abc", False), ("²", False), ("١", False), ("1.0", False), (None, False), (True, False)],
)
def test_is_integer_text(value, expected):
    assert is_integer_text(value) is expected
