"""The v1 view of filters and notification profiles .

Same rows as v2: a v1 filter adds the legacy ``filter_string``; a v1 profile shows its destinations
as ``media`` codes plus one ``phone_number`` (an SMS destination) and has no ``name``.
"""

from rest_framework import serializers

from argus.auth.api.serializers import PhoneNumberSerializer
from argus.notificationprofile import services
from argus.notificationprofile.api.serializers import (
    FilterSerializer,
    OwnedPrimaryKeyRelatedField,
    TimeslotSerializer,
    request_user,
)
from argus.notificationprofile.choices import EMAIL_MEDIA_SLUG, SMS_MEDIA_SLUG
from argus.notificationprofile.filterblob import (
    FilterBlobV1Serializer,
    InvalidFilterBlob,
    combine_v1_blob,
    filter_string_for_blob,
    parse_filter_string,
)
from argus.notificationprofile.models import DestinationConfig, Filter, NotificationProfile, Timeslot

EMAIL = "EM"
SMS = "SM"
#: v1 media code -> medium slug
MEDIA_CODES = {EMAIL: EMAIL_MEDIA_SLUG, SMS: SMS_MEDIA_SLUG}


class FilterV1Serializer(FilterSerializer):
    """A named filter, with its legacy ``filter_string`` form (source ids and tags as JSON text)."""

    api_version = "v1"
    schema_name = "Filter"

    filter_string = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    filter = FilterBlobV1Serializer(required=False)

    class Meta(FilterSerializer.Meta):
        fields = ["pk", "name", "filter_string", "filter"]

    def validate_filter_string(self, text):
        try:
            return parse_filter_string(text)
        except InvalidFilterBlob as error:
            raise serializers.ValidationError(error.detail)

    def to_representation(self, instance):
        return {
            "pk": instance.pk,
            "name": instance.name,
            "filter_string": filter_string_for_blob(instance.filter),
            "filter": FilterBlobV1Serializer().to_representation(instance.filter),
        }

    def blob_for_save(self, validated_data):
        return combine_v1_blob(
            filter_blob=validated_data.get("filter"),
            filter_string_blob=validated_data.get("filter_string"),
            current=None if self.instance is None else self.instance.filter,
        )


def phone_number_to_dict(destination: DestinationConfig) -> dict:
    return {
        "pk": destination.pk,
        "user": destination.user_id,
        "phone_number": destination.settings.get("phone_number"),
    }


def media_codes(destinations) -> list[str]:
    slugs = {destination.media_id for destination in destinations}
    return [code for code, slug in MEDIA_CODES.items() if slug in slugs]


class MediaCodesField(serializers.MultipleChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=[(EMAIL, "Email"), (SMS, "SMS")], **kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, list):
            self.fail("not_a_list", input_type=type(data).__name__)
        return set(super().to_internal_value(data))


class PhoneNumberField(OwnedPrimaryKeyRelatedField):
    """The pk of one of the user's SMS destinations; a pk that is no integer is refused as 1.37 does."""

    default_error_messages = {"not_an_integer": serializers.IntegerField.default_error_messages["invalid"]}

    def to_internal_value(self, data):
        try:
            pk = serializers.IntegerField().to_internal_value(data)
        except serializers.ValidationError:
            self.fail("not_an_integer")
        return super().to_internal_value(pk)


class NotificationProfileV1Serializer(serializers.ModelSerializer):
    """A profile to create or change: ``media`` names the kinds of destination (EM email, SM SMS);
    SMS needs ``phone_number`` (the id of one of the user's phone numbers)."""

    api_version = "v1"
    schema_name = "NotificationProfile"

    timeslot = serializers.PrimaryKeyRelatedField(queryset=Timeslot.objects.all())
    filters = OwnedPrimaryKeyRelatedField(queryset=Filter.objects.all(), many=True, allow_empty=False)
    media = MediaCodesField(required=False)
    phone_number = PhoneNumberField(
        queryset=DestinationConfig.objects.filter(media_id=SMS_MEDIA_SLUG), required=False, allow_null=True
    )
    active = serializers.BooleanField(required=False)

    class Meta:
        model = NotificationProfile
        fields = ["pk", "timeslot", "filters", "media", "active", "phone_number"]

    def to_representation(self, instance):
        return NotificationProfileV1ShapeSerializer(instance, context=self.context).data

    def validate(self, attrs):
        if self.instance is None or not self.partial:
            # Omitted on POST or PUT: email only, as in 1.37 (PATCH leaves media as they are).
            attrs.setdefault("media", {EMAIL})
        if "media" in attrs:
            attrs["media"] = {MEDIA_CODES[code] for code in attrs["media"]}
        return attrs

    def create(self, validated_data):
        return services.profile_create_with_media(
            user=request_user(self),
            timeslot=validated_data["timeslot"],
            filters=validated_data["filters"],
            media=validated_data["media"],
            phone_number=validated_data.get("phone_number"),
            active=validated_data.get("active", True),
        )

    def update(self, instance, validated_data):
        return services.profile_update_with_media(profile=instance, data=validated_data)


class NotificationProfileV1ShapeSerializer(serializers.Serializer):
    """A notification profile as v1 shows it: kinds of destination (``media``) and one phone number."""

    api_version = "v1"
    schema_name = "NotificationProfile"

    pk = serializers.IntegerField()
    timeslot = TimeslotSerializer()
    filters = FilterV1Serializer(many=True)
    media = serializers.ListField(child=serializers.ChoiceField(choices=[(EMAIL, "Email"), (SMS, "SMS")]))
    active = serializers.BooleanField()
    phone_number = PhoneNumberSerializer(allow_null=True)

    def to_representation(self, instance):
        destinations = list(instance.destinations.all())
        phones = sorted((d for d in destinations if d.media_id == SMS_MEDIA_SLUG), key=lambda d: d.pk)
        return {
            "pk": instance.pk,
            "timeslot": TimeslotSerializer(instance.timeslot, context=self.context).data,
            "filters": [FilterV1Serializer(f, context=self.context).data for f in instance.filters.all()],
            "media": media_codes(destinations),
            "active": instance.active,
            "phone_number": phone_number_to_dict(phones[0]) if phones else None,
        }
