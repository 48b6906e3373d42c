"""Units of argus.incident.api.filters: the parsing rules of incidents.md §5."""

from decimal import Decimal

import pytest

from argus.incident.api.filters import (
    FilterError,
    parse_bool,
    parse_integer_list,
    parse_number,
    parse_tag_filter,
)


@pytest.mark.parametrize(
    "value, expected",
    [("true", True), ("True", True), ("1", True), ("false", False), ("False", False), ("0", False)]
    + [(other, None) for other in ("yes", "no", "TRUE", "maybe", " 1", "t")],
)
def test_parse_bool(value, expected):
    assert parse_bool(value) is expected


def test_parse_tag_filter_groups_by_key_in_order():
    assert parse_tag_filter("k1=v1,k2=v3,k1=v2,k3=a=b") == {"k1": ["v1", "v2"], "k2": ["v3"], "k3": ["a=b"]}


@pytest.mark.parametrize("value", ["bad", "Host=b1", "empty=", "a=b,", ",a=b", "a b=c", "=v"])
def test_parse_tag_filter_rejects(value):
    with pytest.raises(FilterError) as error:
        parse_tag_filter(value)
    assert error.value.message.startswith("Enter a valid key-value construct")


def test_parse_numbers():
    assert parse_number("2.5") == Decimal("2.5")
    assert parse_integer_list("1, 2,,3.0,2.5") == [1, 2, 3]
    assert parse_integer_list(str(2**64)) == []
    for bad in ("x", "NaN", "inf", "1,x"):
        with pytest.raises(FilterError):
            parse_integer_list(bad)
