"""Serializers of the auth API: shape and field validation only."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from argus.auth import services
from argus.util.phonenumbers import normalize_phone_number

User = get_user_model()

PHONE_NUMBER_EXISTS_MESSAGE = "Phone number already exists"


class UserSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["username", "first_name", "last_name", "email"]
        read_only_fields = fields


class PhoneNumberSerializer(serializers.Serializer):
    """A v1 phone number: an SMS destination seen as ``{"pk", "user", "phone_number"}``.

    Only ``phone_number`` is writable, and it is required on every write (PATCH included);
    the view hands the validated, normalised number to the service, which checks duplicates.
    """

    pk = serializers.IntegerField(read_only=True)
    user = serializers.IntegerField(source="user_id", read_only=True)
    phone_number = serializers.CharField(
        required=True,
        error_messages={"blank": "This field is required."},
    )

    def to_representation(self, instance):
        return {
            "pk": instance.pk,
            "user": instance.user_id,
            "phone_number": instance.settings.get("phone_number"),
        }

    def validate_phone_number(self, value):
        try:
            value = normalize_phone_number(value)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages)
        if services.phone_number_exists(user=self.context["request"].user, phone_number=value):
            raise serializers.ValidationError(PHONE_NUMBER_EXISTS_MESSAGE)
        return value


class CurrentUserV1Serializer(UserSerializer):
    phone_numbers = serializers.SerializerMethodField()

    class Meta(UserSerializer.Meta):
        fields = UserSerializer.Meta.fields + ["phone_numbers"]
        read_only_fields = fields

    @extend_schema_field(PhoneNumberSerializer(many=True))
    def get_phone_numbers(self, user):
        return PhoneNumberSerializer(services.phone_numbers_of(user), many=True).data


class CurrentUserV2Serializer(UserSerializer):
    admin_url = serializers.SerializerMethodField()

    class Meta(UserSerializer.Meta):
        fields = UserSerializer.Meta.fields + ["admin_url"]
        read_only_fields = fields

    def get_admin_url(self, user) -> str | None:
        if not user.is_staff:
            return None
        return self.context["request"].build_absolute_uri(reverse("admin:index"))


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(source="key", read_only=True)


class KnoxTokenSerializer(serializers.Serializer):
    expiry = serializers.DateTimeField(read_only=True)
    token = serializers.CharField(read_only=True)
