from datetime import UTC, datetime

import pytest
from rest_framework import serializers

from argus.incident.api.fields import (
    WRONG_FORMAT,
    ArgusDateTimeField,
    parse_api_datetime,
    parse_query_datetime,
)
from argus.util.datetime_utils import INFINITY, datetime_to_api


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2024-06-01", "2024-06-01T00:00:00+02:00"),
        ("2024-06-01T10:00", "2024-06-01T10:00:00+02:00"),
        ("2024-06-01 10:00:00.5", "2024-06-01T10:00:00.500000+02:00"),
        ("2024-06-01T10:00:00,5+02:00", "2024-06-01T10:00:00.500000+02:00"),
        ("20240601T100000Z", "2024-06-01T12:00:00+02:00"),
        ("2024-06-01T10:00:00+0200", "2024-06-01T10:00:00+02:00"),
        ("2024-06-01T10:00:00 +02:00", "2024-06-01T10:00:00+02:00"),
        ("2011-11-11 11:11:11.11111", "2011-11-11T11:11:11.111110+01:00"),
        ("2024-06-01T10:00:00.123456789+02:00", "2024-06-01T10:00:00.123456+02:00"),
        ("2024-03-31T02:30:00", "2024-03-31T02:30:00+01:00"),  # DST gap: pre-transition offset
        ("2024-10-27T02:30:00", "2024-10-27T02:30:00+02:00"),  # ambiguous: first occurrence
    ],
)
def test_accepted_body_timestamps_render_in_server_zone(text, expected):
    assert datetime_to_api(parse_api_datetime(text)) == expected


@pytest.mark.parametrize(
    "value", ["1717236000", 1717236000, "2024-06-01T25:00", "yesterday", "", None, "infinity"]
)
def test_rejected_body_timestamps(value):
    with pytest.raises(ValueError, match="wrong format"):
        parse_api_datetime(value)


def test_infinity_only_where_allowed():
    assert parse_api_datetime("infinity", allow_infinity=True) == INFINITY
    with pytest.raises(ValueError):
        parse_api_datetime("Infinity", allow_infinity=True)


def test_drf_field_error_message_and_output():
    class S(serializers.Serializer):
        start_time = ArgusDateTimeField()
        end_time = ArgusDateTimeField(allow_infinity=True, allow_null=True)

    bad = S(data={"start_time": "infinity", "end_time": "infinity"})
    assert not bad.is_valid()
    assert bad.errors == {"start_time": [WRONG_FORMAT]}
    good = S(data={"start_time": "2024-05-01T08:00:00Z", "end_time": "infinity"})
    assert good.is_valid(), good.errors
    assert good.validated_data["start_time"] == datetime(2024, 5, 1, 8, tzinfo=UTC)
    assert S(good.validated_data).data == {"start_time": "2024-05-01T10:00:00+02:00", "end_time": "infinity"}


def test_query_datetimes():
    assert datetime_to_api(parse_query_datetime("2024-06-01")) == "2024-06-01T00:00:00+02:00"
    assert datetime_to_api(parse_query_datetime("2024-06-01 10:00:05")) == "2024-06-01T10:00:05+02:00"
    for bad in ("infinity", "garbage", ""):
        with pytest.raises(ValueError, match="Enter a valid date/time."):
            parse_query_datetime(bad)


@pytest.mark.parametrize("value", ["0001-01-01T00:00", "9999-12-31T23:00-05:00"])
def test_timestamps_that_overflow_in_utc_are_refused(value):
    with pytest.raises(ValueError, match="wrong format"):
        parse_api_datetime(value)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("9999-12-31T00:00:00+00:00", "9999-12-31T01:00:00+01:00"),  # late, but a real timestamp
        ("9999-12-30T23:00:00Z", "9999-12-31T00:00:00+01:00"),
        ("0001-01-01T12:00:00+00:00", "0001-01-01T12:43:00+00:43"),  # Oslo local mean time
    ],
)
def test_only_the_edges_of_time_are_infinity(text, expected):
    assert datetime_to_api(parse_api_datetime(text)) == expected
    assert datetime_to_api(parse_api_datetime(text, allow_infinity=True)) == expected


@pytest.mark.parametrize("value", ["9999-12-31T23:30:00Z", "9999-12-31T23:00:00+00:00"])
def test_timestamps_the_server_zone_cannot_show_are_refused(value):
    with pytest.raises(ValueError, match="wrong format"):
        parse_api_datetime(value, allow_infinity=True)


def test_the_stored_infinity_written_out_is_infinity_where_allowed():
    assert parse_api_datetime("9999-12-31T23:59:59.999999+00:00", allow_infinity=True) == INFINITY
    with pytest.raises(ValueError, match="wrong format"):
        parse_api_datetime("9999-12-31T23:59:59.999999+00:00")


def test_a_stored_timestamp_the_server_zone_cannot_show_is_written_in_utc():
    assert datetime_to_api(datetime(9999, 12, 31, 23, 30, tzinfo=UTC)) == "9999-12-31T23:30:00+00:00"
