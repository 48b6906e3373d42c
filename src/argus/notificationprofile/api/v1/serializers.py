"""The v1 view of filters and notification profiles.

Same rows as v2: a v1 filter adds the legacy ``filter_string``; a v1 profile shows its destinations
as ``media`` codes plus one ``phone_number`` (an SMS destination) and has no ``name``.
"""

from django.db import transaction
from rest_framework import serializers

from argus.auth.api.serializers import PhoneNumberSerializer
from argus.notificationprofile.api.serializers import (
    FilterSerializer,
    OwnedPrimaryKeyRelatedField,
    ProfileWriteMixin,
    TimeslotSerializer,
    request_user,
)
from argus.notificationprofile.filterblob import (
    FilterBlobV1Serializer,
    InvalidFilterBlob,
    combine_v1_blob,
    filter_string_for_blob,
    parse_filter_string,
)
from argus.notificationprofile.models import DestinationConfig, Filter, NotificationProfile, Timeslot
from argus.notificationprofile.signals import EMAIL_MEDIA_SLUG, sync_email_destination

SMS_MEDIA_SLUG = "sms"
EMAIL = "EM"
SMS = "SM"
MEDIA_CODES = {EMAIL: EMAIL_MEDIA_SLUG, SMS: SMS_MEDIA_SLUG}
NO_EMAIL = "User email is not set, therefore this field cannot include email."
MAY_NOT_BE_NULL = "This field may not be null."


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


class NotificationProfileV1Serializer(ProfileWriteMixin, serializers.ModelSerializer):
    """A profile to create or change: ``media`` names the kinds of destination (EM email, SM SMS);
    SMS needs ``phone_number`` (the id of one of the user's phone numbers)."""

    api_version = "v1"
    schema_name = "NotificationProfile"

    timeslot = serializers.PrimaryKeyRelatedField(queryset=Timeslot.objects.all())
    filters = OwnedPrimaryKeyRelatedField(queryset=Filter.objects.all(), many=True, allow_empty=False)
    media = MediaCodesField(required=False)
    phone_number = OwnedPrimaryKeyRelatedField(
        queryset=DestinationConfig.objects.filter(media_id=SMS_MEDIA_SLUG), required=False, allow_null=True
    )
    active = serializers.BooleanField(required=False)

    class Meta:
        model = NotificationProfile
        fields = ["pk", "timeslot", "filters", "media", "active", "phone_number"]

    def to_representation(self, instance):
        return NotificationProfileV1ShapeSerializer(instance, context=self.context).data

    def current_sms_destinations(self):
        if self.instance is None:
            return []
        return [d for d in self.instance.destinations.all() if d.media_id == SMS_MEDIA_SLUG]

    def validate(self, attrs):
        self.validate_timeslot_owner(attrs)
        if self.instance is None or not self.partial:
            # Omitted on POST or PUT: email only, as in 1.37 (PATCH leaves media as they are).
            attrs.setdefault("media", {EMAIL})
        media = attrs.get("media")
        if media is None:
            return attrs
        if SMS in media and attrs.get("phone_number") is None:
            # On update an existing SMS destination may stay when no number is given.
            if "phone_number" in attrs or not self.current_sms_destinations():
                raise serializers.ValidationError({"phone_number": [MAY_NOT_BE_NULL]})
        if EMAIL in media and not request_user(self).email:
            raise serializers.ValidationError({"media": [NO_EMAIL]})
        return attrs

    def destinations_for_save(self, validated_data, current: list) -> list:
        """The profile's destinations after this write (the v1 create and update rules)."""
        media = validated_data.get("media")
        phone = validated_data.get("phone_number")
        destinations = list(current)
        if media is None or not media:
            # 1.37: an empty media list leaves destinations alone, but a number still replaces one.
            if phone is not None and any(d.media_id == SMS_MEDIA_SLUG for d in destinations):
                destinations = replace_first_sms(destinations, phone)
            return destinations
        if SMS in media:
            if phone is not None:
                destinations = replace_first_sms(destinations, phone)
        else:
            destinations = [d for d in destinations if d.media_id != SMS_MEDIA_SLUG]
        if EMAIL in media:
            synced = sync_email_destination(request_user(self))
            if synced is not None and synced not in destinations:
                destinations.append(synced)
        else:
            destinations = [d for d in destinations if d.media_id != EMAIL_MEDIA_SLUG]
        return destinations

    def create(self, validated_data):
        with transaction.atomic():
            profile = NotificationProfile.objects.create(
                user=request_user(self),
                timeslot=validated_data["timeslot"],
                active=validated_data.get("active", True),
            )
            profile.filters.set(validated_data["filters"])
            profile.destinations.set(self.destinations_for_save(validated_data, []))
        return profile

    def update(self, instance, validated_data):
        with transaction.atomic():
            for attr in ("timeslot", "active"):
                if attr in validated_data:
                    setattr(instance, attr, validated_data[attr])
            instance.save()
            if "filters" in validated_data:
                instance.filters.set(validated_data["filters"])
            current = list(instance.destinations.all())
            instance.destinations.set(self.destinations_for_save(validated_data, current))
        return instance


def replace_first_sms(destinations: list, phone: DestinationConfig) -> list:
    """Put ``phone`` in place of the lowest-pk SMS destination (or add it when there is none)."""
    if phone in destinations:
        return destinations
    sms = sorted((d for d in destinations if d.media_id == SMS_MEDIA_SLUG), key=lambda d: d.pk)
    if not sms:
        return [*destinations, phone]
    return [phone if d == sms[0] else d for d in destinations]


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
