"""Serializers shared by v1 and v2 (timeslots, media, destinations) and the v2 filters and profiles.

Shapes and messages are part of the contract, key order included. Where the answer differs from
the request body (destinations, profiles), a separate serializer declares the answer's shape and
renders it.
"""

import datetime

from django.db import IntegrityError, transaction
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.settings import api_settings

from argus.notificationprofile.filterblob import FilterBlobSerializer
from argus.notificationprofile.media import MediumNotInstalled, get_medium, installed_media
from argus.notificationprofile.models import (
    DestinationConfig,
    Filter,
    Media,
    NotificationProfile,
    TimeRecurrence,
    Timeslot,
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

    def name_taken_message(self, name):
        username = request_user(self).username
        return f'The name "{name}" is already in use for a another timeslot owned by user {username}.'

    def validate_name(self, name):
        others = Timeslot.objects.filter(user=request_user(self), name=name)
        if self.instance is not None:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise serializers.ValidationError(self.name_taken_message(name))
        return name

    def create(self, validated_data):
        recurrences = validated_data.pop("time_recurrences")
        try:
            with transaction.atomic():
                timeslot = Timeslot.objects.create(user=request_user(self), **validated_data)
                self._replace_recurrences(timeslot, recurrences)
        except IntegrityError:  # a concurrent request took the name
            raise serializers.ValidationError({"name": [self.name_taken_message(validated_data["name"])]})
        return timeslot

    def update(self, instance, validated_data):
        recurrences = validated_data.pop("time_recurrences", None)
        try:
            with transaction.atomic():
                for attr, value in validated_data.items():
                    setattr(instance, attr, value)
                instance.save()
                if recurrences is not None:
                    instance.time_recurrences.all().delete()
                    self._replace_recurrences(instance, recurrences)
        except IntegrityError:
            raise serializers.ValidationError({"name": [self.name_taken_message(instance.name)]})
        getattr(instance, "_prefetched_objects_cache", {}).pop("time_recurrences", None)
        return instance

    @staticmethod
    def _replace_recurrences(timeslot, recurrences):
        TimeRecurrence.objects.bulk_create(
            TimeRecurrence(timeslot=timeslot, days=sorted(set(r["days"])), start=r["start"], end=r["end"])
            for r in recurrences
        )


# --- filters, v2 -----------------------------------------------------------------------------------


class FilterSerializer(serializers.ModelSerializer):
    """A named filter: which incidents (and events) a notification profile is about."""

    api_version = "v2"

    filter = FilterBlobSerializer(required=False)

    class Meta:
        model = Filter
        fields = ["pk", "name", "filter"]

    def name_taken_message(self, name):
        username = request_user(self).username
        return f'The name "{name}" is already in use for another filter owned by user {username}.'

    def validate_name(self, name):
        others = Filter.objects.filter(user=request_user(self), name=name)
        if self.instance is not None:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise serializers.ValidationError(self.name_taken_message(name))
        return name

    def blob_for_save(self, validated_data):
        """The blob to store: the given one replaces the stored one wholesale (no merge)."""
        if "filter" in validated_data:
            return dict(validated_data["filter"])
        return {} if self.instance is None else self.instance.filter

    def create(self, validated_data):
        blob = self.blob_for_save(validated_data)
        try:
            with transaction.atomic():
                return Filter.objects.create(
                    user=request_user(self), name=validated_data["name"], filter=blob
                )
        except IntegrityError:
            raise serializers.ValidationError({"name": [self.name_taken_message(validated_data["name"])]})

    def update(self, instance, validated_data):
        instance.filter = self.blob_for_save(validated_data)
        if "name" in validated_data:
            instance.name = validated_data["name"]
        try:
            with transaction.atomic():
                instance.save()
        except IntegrityError:
            raise serializers.ValidationError({"name": [self.name_taken_message(instance.name)]})
        return instance


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
        return f"{destination.media.name}: {list((destination.settings or {}).values())}"


def destination_to_dict(destination: DestinationConfig) -> dict:
    media = destination.media
    return {
        "pk": destination.pk,
        "media": {"slug": media.slug, "name": media.name, "installed": media.installed},
        "label": destination.label,
        "suggested_label": suggested_label(destination),
        "settings": destination.settings,
    }


class DestinationSerializer(serializers.Serializer):
    """Where a notification is sent: a medium and its settings (e.g. an email address)."""

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

    def label_taken_error(self, label, media):
        return serializers.ValidationError(
            {"label": [f'The label "{label}" is already in use for another {media.name} destination.']}
        )

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
        if label is not None:
            others = DestinationConfig.objects.filter(user=request_user(self), media=media, label=label)
            if self.instance is not None:
                others = others.exclude(pk=self.instance.pk)
            if others.exists():
                raise self.label_taken_error(label, media)
        return attrs

    def create(self, validated_data):
        try:
            with transaction.atomic():
                return DestinationConfig.objects.create(user=request_user(self), **validated_data)
        except IntegrityError:  # a concurrent request stored the same label or settings
            raise serializers.ValidationError({NON_FIELD_ERRORS: ["This destination already exists."]})

    def update(self, instance, validated_data):
        validated_data.pop("media", None)
        try:
            with transaction.atomic():
                medium = installed_media().get(instance.media_id)
                updated = medium.update(instance, validated_data) if medium else None
                if updated is None:
                    for attr, value in validated_data.items():
                        setattr(instance, attr, value)
                    instance.save()
                    updated = instance
        except IntegrityError:
            raise serializers.ValidationError({NON_FIELD_ERRORS: ["This destination already exists."]})
        return updated


# --- notification profiles, v2 -----------------------------------------------------------------------


class OwnedPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A pk among the requesting user's own objects; another user's id reads as non-existent."""

    def get_queryset(self):
        return super().get_queryset().filter(user=self.context["request"].user)


PROFILE_NAME_TAKEN = "The requesting user already has a profile with that name."
TIMESLOT_NOT_OWNED = "The user of 'timeslot' must be the same as the requesting user."


class ProfileWriteMixin:
    """Timeslot ownership and profile-name checks shared by v1 and v2 profile serializers."""

    def validate_timeslot_owner(self, attrs):
        timeslot = attrs.get("timeslot")
        if timeslot is not None and timeslot.user_id != request_user(self).pk:
            raise serializers.ValidationError({NON_FIELD_ERRORS: [TIMESLOT_NOT_OWNED]})


class NotificationProfileSerializer(ProfileWriteMixin, serializers.ModelSerializer):
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

    def validate(self, attrs):
        self.validate_timeslot_owner(attrs)
        name = attrs.get("name")
        if name is not None:
            others = NotificationProfile.objects.filter(name=name)
            if self.instance is not None:
                others = others.exclude(pk=self.instance.pk)
            if others.exists():
                raise serializers.ValidationError({NON_FIELD_ERRORS: [PROFILE_NAME_TAKEN]})
        return attrs

    def to_representation(self, instance):
        return NotificationProfileShapeSerializer(instance, context=self.context).data

    def create(self, validated_data):
        filters = validated_data.pop("filters")
        destinations = validated_data.pop("destinations", [])
        try:
            with transaction.atomic():
                profile = NotificationProfile.objects.create(user=request_user(self), **validated_data)
                profile.filters.set(filters)
                profile.destinations.set(destinations)
        except IntegrityError:
            raise serializers.ValidationError({NON_FIELD_ERRORS: [PROFILE_NAME_TAKEN]})
        return profile

    def update(self, instance, validated_data):
        filters = validated_data.pop("filters", None)
        destinations = validated_data.pop("destinations", None)
        try:
            with transaction.atomic():
                for attr, value in validated_data.items():
                    setattr(instance, attr, value)
                instance.save()
                if filters is not None:
                    instance.filters.set(filters)
                if destinations is not None:
                    instance.destinations.set(destinations)
        except IntegrityError:
            raise serializers.ValidationError({NON_FIELD_ERRORS: [PROFILE_NAME_TAKEN]})
        return instance


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
