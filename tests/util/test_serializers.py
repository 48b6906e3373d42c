"""SharedFieldsSerializer: each serializer still has fields of its own to bind and change."""

from rest_framework import serializers

from argus.incident.api.serializers_related import AckCreateV1Serializer
from argus.util.serializers import SharedFieldsSerializer


class Example(SharedFieldsSerializer):
    name = serializers.CharField(required=False)
    level = serializers.ChoiceField(choices=[1, 2])


def test_each_serializer_binds_its_own_fields():
    first, second = Example(data={"level": 1}), Example(data={"level": 9})
    assert first.fields["name"] is not second.fields["name"]
    assert first.fields["name"].parent is first and second.fields["name"].parent is second
    assert first.is_valid() and not second.is_valid()
    assert second.errors == {"level": ['"9" is not a valid choice.']}


def test_changing_a_field_of_one_serializer_leaves_the_others_alone():
    first = Example(data={})
    first.fields["name"].required = True
    assert not first.is_valid() and "name" in first.errors
    assert Example(data={"level": 2}).is_valid()
    assert Example._declared_fields["name"].required is False


def test_a_nested_serializer_is_a_copy_of_its_own():
    first, second = AckCreateV1Serializer(data={}), AckCreateV1Serializer(data={})
    assert first.fields["event"] is not second.fields["event"]
    assert first.fields["event"].fields["description"] is not second.fields["event"].fields["description"]
    assert first.fields["event"].fields["description"].parent is first.fields["event"]


def test_adding_a_validator_to_one_serializer_leaves_the_others_alone():
    def refuse(value):
        raise serializers.ValidationError("no")

    first = Example(data={"name": "a", "level": 1})
    first.fields["name"].validators.append(refuse)
    assert not first.is_valid()
    assert Example(data={"name": "a", "level": 1}).is_valid()
