import pytest

from argus.notificationprofile.filterblob import (
    InvalidFilterBlob,
    combine_v1_blob,
    filter_string_for_blob,
    is_empty_blob,
    parse_filter_string,
    represent_filter_blob,
    tags_by_key,
    validate_filter_blob,
)


def errors_of(blob, **kwargs):
    with pytest.raises(InvalidFilterBlob) as info:
        validate_filter_blob(blob, **kwargs)
    return info.value.detail


class TestValidateFilterBlob:
    def test_keeps_only_provided_known_keys(self):
        assert validate_filter_blob({"sourceSystemIds": [11], "tags": ["a=b"], "unknownkey": 1}) == {
            "sourceSystemIds": [11],
            "tags": ["a=b"],
        }

    def test_unknown_keys_only_give_an_empty_blob(self):
        assert validate_filter_blob({"unknownkey": 1}) == {}

    def test_explicit_null_is_stored(self):
        assert validate_filter_blob({"open": None, "maxlevel": None}) == {"open": None, "maxlevel": None}

    def test_false_values_are_kept(self):
        assert validate_filter_blob({"open": False, "acked": False, "stateful": False}) == {
            "open": False,
            "acked": False,
            "stateful": False,
        }

    def test_event_types_are_deduplicated_in_first_occurrence_order(self):
        assert validate_filter_blob({"event_types": ["ACK", "ACK", "CHI"]}) == {"event_types": ["ACK", "CHI"]}

    def test_v1_rules_drop_event_types(self):
        assert validate_filter_blob({"event_types": ["STA"], "open": True}, version=1) == {"open": True}

    def test_tags_without_delimiter_are_accepted(self):
        assert validate_filter_blob({"tags": ["nokeyvalue"]}) == {"tags": ["nokeyvalue"]}

    @pytest.mark.parametrize(
        "blob, expected",
        [
            (
                {"sourceSystemIds": [0]},
                {"sourceSystemIds": {"0": ["Ensure this value is greater than or equal to 1."]}},
            ),
            ({"sourceSystemIds": ["x"]}, {"sourceSystemIds": {"0": ["A valid integer is required."]}}),
            ({"sourceSystemIds": "1"}, {"sourceSystemIds": ['Expected a list of items but got type "str".']}),
            ({"tags": ["ab"]}, {"tags": {"0": ["Ensure this field has at least 3 characters."]}}),
            ({"tags": "a=b"}, {"tags": ['Expected a list of items but got type "str".']}),
            ({"acked": "maybe"}, {"acked": ["Must be a valid boolean."]}),
            ({"maxlevel": 6}, {"maxlevel": ["Ensure this value is less than or equal to 5."]}),
            ({"maxlevel": 0}, {"maxlevel": ["Ensure this value is greater than or equal to 1."]}),
            ({"event_types": ["XXX"]}, {"event_types": ['"XXX" is not a valid choice.']}),
        ],
    )
    def test_bad_values_are_reported_in_drf_shape(self, blob, expected):
        assert errors_of(blob) == expected

    def test_all_errors_are_reported_together(self):
        detail = errors_of({"sourceSystemIds": [1, "x"], "open": "q", "maxlevel": 9})
        assert set(detail) == {"sourceSystemIds", "open", "maxlevel"}

    def test_error_is_a_django_validation_error_with_readable_messages(self):
        from django.core.exceptions import ValidationError

        with pytest.raises(ValidationError) as info:
            validate_filter_blob({"maxlevel": 9})
        assert info.value.messages == ["maxlevel: Ensure this value is less than or equal to 5."]

    def test_non_object_is_refused(self):
        assert "non_field_errors" in errors_of("nope")


@pytest.mark.django_db
class TestSourceTypes:
    def test_unknown_names_are_refused_by_index(self):
        assert errors_of({"source_types": ["nope", "nope2"]}) == {
            "source_types": {
                "0": ['Unknown source system type "nope".'],
                "1": ['Unknown source system type "nope2".'],
            }
        }

    def test_the_shape_alone_is_checked_without_the_database(self, django_assert_num_queries):
        with django_assert_num_queries(0):
            assert validate_filter_blob({"source_types": ["a", "a"]}, check_source_types=False) == {
                "source_types": ["a"]
            }

    def test_v1_rules_drop_them(self):
        assert validate_filter_blob({"source_types": ["nope"]}, version=1) == {}


class TestRepresentation:
    def test_key_order_and_always_present_keys(self):
        blob = {"event_types": ["STA"], "maxlevel": 3, "tags": ["a=b"], "sourceSystemIds": [1]}
        rendered = represent_filter_blob(blob)
        assert list(rendered) == [
            "sourceSystemIds",
            "tags",
            "open",
            "acked",
            "stateful",
            "maxlevel",
            "event_types",
        ]
        assert rendered["open"] is None and rendered["maxlevel"] == 3

    def test_empty_blob(self):
        assert represent_filter_blob({}) == {"open": None, "acked": None, "stateful": None, "maxlevel": None}

    def test_v1_hides_event_types(self):
        assert "event_types" not in represent_filter_blob({"event_types": ["STA"]}, version=1)

    def test_source_types_come_after_source_ids_only_when_stored_and_never_on_v1(self):
        blob = {"tags": ["a=b"], "source_types": ["nav"], "sourceSystemIds": [1]}
        assert list(represent_filter_blob(blob))[:3] == ["sourceSystemIds", "source_types", "tags"]
        assert "source_types" not in represent_filter_blob({"sourceSystemIds": [1]})
        assert "source_types" not in represent_filter_blob(blob, version=1)


class TestEmptiness:
    @pytest.mark.parametrize(
        "blob",
        [{}, {"sourceSystemIds": []}, {"tags": []}, {"maxlevel": None}, {"maxlevel": 0}, {"open": None}],
    )
    def test_empty(self, blob):
        assert is_empty_blob(blob)

    @pytest.mark.parametrize(
        "blob",
        [
            {"event_types": ["STA"]},
            {"acked": False},
            {"open": True},
            {"maxlevel": 2},
            {"tags": ["a=b"]},
            {"source_types": ["nav"]},
        ],
    )
    def test_not_empty(self, blob):
        assert not is_empty_blob(blob)


def test_tags_are_grouped_by_key_and_stripped():
    assert tags_by_key(["host=a", " host = b", "svc=x=y"]) == {"host": {"a", "b"}, "svc": {"x=y"}}


def test_a_malformed_tag_makes_the_grouping_impossible():
    assert tags_by_key(["host=a", "nokeyvalue"]) is None


class TestFilterString:
    def test_synthesised_from_blob(self):
        assert filter_string_for_blob(
            {"sourceSystemIds": [11], "tags": ["location=argus"], "open": True}
        ) == ('{"sourceSystemIds": [11], "tags": ["location=argus"]}')
        assert filter_string_for_blob({}) == '{"sourceSystemIds": [], "tags": []}'

    def test_parse(self):
        assert parse_filter_string('{"sourceSystemIds": [11], "tags": ["a=b"]}') == {
            "sourceSystemIds": [11],
            "tags": ["a=b"],
        }

    def test_all_key_problems_reported_in_the_legacy_literal_form(self):
        with pytest.raises(InvalidFilterBlob) as info:
            parse_filter_string('{"foo": 1}')
        assert info.value.detail == [
            "[ErrorDetail(string='No known fieldnames in filterstring.', code='none_found')]",
            "[ErrorDetail(string='Filterstring is missing fieldname(s): sourceSystemIds, tags', code='missing')]",
            "[ErrorDetail(string='Unknown fieldname(s) in filterstring: foo', code='unknown')]",
        ]

    def test_json_error_text(self):
        with pytest.raises(InvalidFilterBlob) as info:
            parse_filter_string("nope")
        assert info.value.detail == ["Expecting value: line 1 column 1 (char 0)"]

    @pytest.mark.parametrize("text", ["[1, 2]", '{"sourceSystemIds": "x", "tags": 5}'])
    def test_values_that_crashed_1_37_are_refused(self, text):
        with pytest.raises(InvalidFilterBlob):
            parse_filter_string(text)

    def test_combination_rules(self):
        parsed = {"sourceSystemIds": [11], "tags": []}
        assert combine_v1_blob(
            filter_blob={"open": True, "tags": ["a=b"]}, filter_string_blob=parsed, current=None
        ) == {
            "open": True,
            "tags": ["a=b"],
            "sourceSystemIds": [11],
        }
        assert (
            combine_v1_blob(filter_blob=None, filter_string_blob=parsed, current={"event_types": ["STA"]})
            == parsed
        )
        assert combine_v1_blob(filter_blob=None, filter_string_blob=None, current=None) == {}
        assert combine_v1_blob(filter_blob=None, filter_string_blob=None, current={"open": True}) == {
            "open": True
        }

    def test_a_v1_write_keeps_stored_source_types(self):
        current = {"source_types": ["nav"], "open": True, "event_types": ["STA"]}
        parsed = {"sourceSystemIds": [11], "tags": []}
        assert combine_v1_blob(filter_blob={"maxlevel": 2}, filter_string_blob=None, current=current) == {
            "maxlevel": 2,
            "source_types": ["nav"],
        }
        assert combine_v1_blob(filter_blob=None, filter_string_blob=parsed, current=current) == {
            **parsed,
            "source_types": ["nav"],
        }
