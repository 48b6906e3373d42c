"""argus.util.ids: one rule for primary keys from URLs, query strings, bodies and admin filters."""

import pytest

from argus.util.ids import MAX_DATABASE_ID, is_integer_text, parse_pk
from tests.util.api_paths import api_paths


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


@pytest.mark.django_db
def test_no_api_endpoint_answers_500_to_a_pk_that_is_not_one(superuser_client):
    """Every route with a pk, every method, pks that str.isdigit() or int() read differently from
    a database and numbers beyond a bigint."""
    paths = [path for path in api_paths() if "/1/" in path and "logout" not in path]
    assert len(paths) > 25
    for path in paths:
        for bad in ("²", "١", "-1", "0", "9" * 30, "9" * 5000):
            url = path.replace("/1/", f"/{bad}/")
            for method in ("get", "put", "patch", "delete", "post"):
                response = getattr(superuser_client, method)(url, {}, format="json")
                assert response.status_code < 500, (method, url[:80], response.content[:300])
