"""Serializers shared by v1 and v2 (timeslots, media, destinations) and the v2 filters and profiles.

Shapes and messages are part of the contract, key order included; where the answer differs from
the request body (destinations, profiles), a separate serializer declares the answer's shape and
renders it. The serializers shape and validate input, then call :mod:`argus.notificationprofile.services`, where
the rules are: a refusal there is a domain error that ``api/errors.py`` answers. A taken name is
also checked here, early, so that it is reported together with the other field errors.
"""

import datetime

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.settings import api_settings

from argus.notificationprofile import services
from argus.notificationprofile.api.errors import (
    destination_label_taken_message,
    filter_name_taken_message,
    timeslot_name_taken_message,
)
from argus.notificationprofile.filterblob import FilterBlobSerializer
from argus.notificationprofile.models import (
    DestinationConfig,
    Filter,
    Media,
    NotificationProfile,
    TimeRecurrence,
    Timeslot,
)
from argus.notificationprofile.plugins import (
    MediumNotInstalled,
    NotificationMedium,
    get_medium,
    installed_media,
)

NON_FIELD_ERRORS = api_settings.NON_FIELD_ERRORS_KEY


def request_user(serializer):
    return serializer.context["request"].user


class IndexedErrorsListSerializer(serializers.ListSerializer):
    """A list of nested objects whose item errors are keyed by the item's index."""

    def to_internal_value(self, data):
        if not isinstance(data, list):
            message = self.error_messages["not_a_list"].format(input_type=type(data).__name__)
            raise serializers.ValidationError({NON_FIELD_ERRORS: [message]}, code="not_a_list")
        validated, errors = [], {}
        for index, item in enumerate(data):
            try:
                validated.append(self.run_child_validation(item))
            except serializers.ValidationError as exc:
                errors[str(index)] = exc.detail
        if errors:
            raise serializers.ValidationError(errors)
        return validated


# --- timeslots ------------------------------------------------------------------------------------


class DaysField(serializers.MultipleChoiceField):
    """ISO weekdays 1-7 given as ints or numeric strings; stored and shown sorted, de-duplicated."""

    def __init__(self, **kwargs):
        super().__init__(choices=TimeRecurrence.Day.choices, **kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, list):
            self.fail("not_a_list", input_type=type(data).__name__)
        return sorted(super().to_internal_value(data))

    def to_representation(self, value):
        return sorted(set(value))


@extend_schema_field(
    {"type": "string", "pattern": r"^\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?$", "example": "08:00:00"}
)
class WallClockTimeField(serializers.TimeField):
    """A time of day without time zone (read in the server's zone): not OpenAPI's ``time``, which
    requires an offset."""


class TimeRecurrenceSerializer(serializers.Serializer):
    days = DaysField()
    start = WallClockTimeField(required=False)
    end = WallClockTimeField(required=False)
    all_day = serializers.BooleanField(required=False, write_only=True)

    class Meta:
        list_serializer_class = IndexedErrorsListSerializer

    def validate(self, attrs):
        if attrs.pop("all_day", False):
            attrs["start"], attrs["end"] = datetime.time.min, datetime.time.max
        else:
            missing = {
                field: ["This field is required."] for field in ("start", "end") if attrs.get(field) is None
            }
            if missing:
                raise serializers.ValidationError(missing)
        if attrs["start"] >= attrs["end"]:
            raise serializers.ValidationError("'start' must be before 'end'.")
        return attrs

    def to_representation(self, instance):
        data = {
            "days": sorted(set(instance.days)),
            "start": instance.start.isoformat(),
            "end": instance.end.isoformat(),
        }
        if instance.all_day:
            data["all_day"] = True
        return data


class TimeslotSerializer(serializers.ModelSerializer):
    time_recurrences = TimeRecurrenceSerializer(many=True)

    class Meta:
        model = Timeslot
        fields = ["pk", "name", "time_recurrences"]

    def validate_name(self, name):
        user = request_user(self)
        if services.timeslot_name_in_use(user=user, name=name, exclude=self.instance):
            raise serializers.ValidationError(timeslot_name_taken_message(name, user.get_username()))
        return name

    def create(self, validated_data):
        return services.timeslot_create(
            user=request_user(self),
            name=validated_data["name"],
            time_recurrences=validated_data["time_recurrences"],
        )

    def update(self, instance, validated_data):
        return services.timeslot_update(
            timeslot=instance,
            name=validated_data.get("name"),
            time_recurrences=validated_data.get("time_recurrences"),
        )


# --- filters, v2 -----------------------------------------------------------------------------------


class FilterSerializer(serializers.ModelSerializer):
    """A named filter: which incidents (and events) a notification profile is about."""

    api_version = "v2"

    filter = FilterBlobSerializer(required=False)

    class Meta:
        model = Filter
        fields = ["pk", "name", "filter"]

    def validate_name(self, name):
        user = request_user(self)
        if services.filter_name_in_use(user=user, name=name, exclude=self.instance):
            raise serializers.ValidationError(filter_name_taken_message(name, user.get_username()))
        return name

    def blob_for_save(self, validated_data):
        """The blob to store: the given one replaces the stored one wholesale (no merge)."""
        if "filter" in validated_data:
            return dict(validated_data["filter"])
        return {} if self.instance is None else self.instance.filter

    def create(self, validated_data):
        return services.filter_create(
            user=request_user(self), name=validated_data["name"], blob=self.blob_for_save(validated_data)
        )

    def update(self, instance, validated_data):
        return services.filter_update(
            filter=instance, name=validated_data.get("name"), blob=self.blob_for_save(validated_data)
        )


# --- media and destinations ------------------------------------------------------------------------


class MediaSerializer(serializers.ModelSerializer):
    class Meta:
        model = Media
        fields = ["slug", "name", "installed"]


def suggested_label(destination: DestinationConfig) -> str:
    """``"<media name>: <address>"``, as the destination's medium labels it."""
    try:
        return get_medium(destination.media_id).get_label(destination)
    except MediumNotInstalled:
        return f"{destination.media.name}: {list(destination.shown_settings.values())}"


def destination_to_dict(destination: DestinationConfig) -> dict:
    """The destination as the API shows it; write-only settings (a webhook's secret) are masked."""
    media = destination.media
    medium = installed_media().get(destination.media_id, NotificationMedium)
    return {
        "pk": destination.pk,
        "media": {"slug": media.slug, "name": media.name, "installed": media.installed},
        "label": destination.label,
        "suggested_label": suggested_label(destination),
        "settings": medium.public_settings(destination),
    }


class DestinationSerializer(serializers.Serializer):
    """Where a notification is sent: a medium and its settings (e.g. an email address). Write-only
    settings (a webhook's ``secret``) are shown as ``"********"``; sending that back keeps them."""

    pk = serializers.IntegerField()
    media = MediaSerializer()
    label = serializers.CharField(allow_null=True)
    suggested_label = serializers.CharField()
    settings = serializers.JSONField(help_text="As the medium's JSON schema describes them.")

    def to_representation(self, instance):
        return destination_to_dict(instance)


MEDIA_NOT_UPDATABLE = "Media cannot be updated, only settings."


class DestinationConfigSerializer(serializers.ModelSerializer):
    """A destination to create or change; the medium's plugin validates and cleans the settings."""

    media = serializers.PrimaryKeyRelatedField(queryset=Media.objects.all())
    label = serializers.CharField(max_length=50, required=False, allow_null=True, allow_blank=True)
    settings = serializers.JSONField()

    class Meta:
        model = DestinationConfig
        fields = ["pk", "media", "label", "settings"]

    def to_representation(self, instance):
        return destination_to_dict(instance)

    def validate_label(self, label):
        return label or None

    def validate(self, attrs):
        if self.instance is not None:
            if "media" in attrs and attrs["media"] != self.instance.media:
                raise serializers.ValidationError({NON_FIELD_ERRORS: [MEDIA_NOT_UPDATABLE]})
            attrs["media"] = self.instance.media
        media = attrs["media"]
        if "settings" in attrs:
            try:
                medium = get_medium(media.slug)
            except MediumNotInstalled as error:
                raise serializers.ValidationError({"media": [str(error)]})
            raw = {
                "media": media.slug,
                "label": attrs.get("label"),
                "settings": self.initial_data.get("settings"),
            }
            attrs["settings"] = medium.validate(self, raw, request_user(self))
        label = attrs.get("label")
        if services.destination_label_in_use(
            user=request_user(self), media=media, label=label, exclude=self.instance
        ):
            raise serializers.ValidationError({"label": [destination_label_taken_message(label, media.name)]})
        return attrs

    def create(self, validated_data):
        return services.destination_create(
            user=request_user(self),
            media=validated_data["media"],
            label=validated_data.get("label"),
            settings=validated_data["settings"],
        )

    def update(self, instance, validated_data):
        return services.destination_update(destination=instance, data=validated_data)


# --- notification profiles, v2 ---------------------------------------------------------------------


class OwnedPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A pk among the requesting user's own objects; another user's id reads as non-existent."""

    def get_queryset(self):
        return super().get_queryset().filter(user=self.context["request"].user)


class NotificationProfileSerializer(serializers.ModelSerializer):
    name = serializers.CharField(max_length=40, required=False, allow_null=True, allow_blank=True)
    timeslot = serializers.PrimaryKeyRelatedField(queryset=Timeslot.objects.all())
    filters = OwnedPrimaryKeyRelatedField(queryset=Filter.objects.all(), many=True, allow_empty=False)
    destinations = OwnedPrimaryKeyRelatedField(
        queryset=DestinationConfig.objects.all(), many=True, required=False
    )
    active = serializers.BooleanField(required=False)

    class Meta:
        model = NotificationProfile
        fields = ["pk", "name", "timeslot", "filters", "destinations", "active"]

    def validate_name(self, name):
        return name or None

    def to_representation(self, instance):
        return NotificationProfileShapeSerializer(instance, context=self.context).data

    def create(self, validated_data):
        return services.profile_create(user=request_user(self), **validated_data)

    def update(self, instance, validated_data):
        return services.profile_update(profile=instance, data=validated_data)


class NotificationProfileShapeSerializer(serializers.Serializer):
    """A notification profile: when (timeslot), about what (filters) and where (destinations)."""

    api_version = "v2"
    schema_name = "NotificationProfile"

    pk = serializers.IntegerField()
    name = serializers.CharField(allow_null=True)
    timeslot = TimeslotSerializer()
    filters = FilterSerializer(many=True)
    destinations = DestinationSerializer(many=True)
    active = serializers.BooleanField()

    def to_representation(self, instance):
        return {
            "pk": instance.pk,
            "name": instance.name,
            "timeslot": TimeslotSerializer(instance.timeslot, context=self.context).data,
            "filters": [FilterSerializer(f, context=self.context).data for f in instance.filters.all()],
            "destinations": [destination_to_dict(d) for d in instance.destinations.all()],
            "active": instance.active,
        }
