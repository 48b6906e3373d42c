"""Auth API views shared by /api/v1/ and /api/v2/.

The versions differ only in which views their URL modules mount and in the current-user
serializer.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth import logout as django_logout
from django.http import HttpResponse, RawPostDataException
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from knox.views import LoginView as KnoxBaseLoginView
from knox.views import LogoutAllView as KnoxBaseLogoutAllView
from knox.views import LogoutView as KnoxBaseLogoutView
from rest_framework import generics, status
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from argus.auth import services, tokens
from argus.auth.api.serializers import (
    PHONE_NUMBER_EXISTS_MESSAGE,
    CurrentUserV1Serializer,
    CurrentUserV2Serializer,
    KnoxTokenSerializer,
    PhoneNumberSerializer,
    TokenSerializer,
    UserSerializer,
)
from argus.auth.authentication import KnoxTokenAuthentication
from argus.notificationprofile.models import DestinationConfig
from argus.util import parsers
from argus.util.ids import parse_pk
from argus.util.openapi import ERROR_DETAIL

User = get_user_model()

NOT_AUTHENTICATED_MESSAGE = "Authentication credentials were not provided."


class ObtainNewAuthTokenView(ObtainAuthToken):
    """POST credentials, get a fresh DRF token; the user's previous token is deleted."""

    @extend_schema(request=AuthTokenSerializer, responses={200: TokenSerializer})
    def post(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token = tokens.token_replace(user=serializer.validated_data["user"])
        return Response({"token": token.key})


class KnoxLoginView(KnoxBaseLoginView):
    """POST credentials as a JSON body, or no body and any valid authentication: a knox token.

    Failures answer 403 whose ``detail`` is the text of the underlying error (for credential
    errors the repr of the serializer's error dict), as the reference server does.
    """

    permission_classes = (AllowAny,)

    def _credentials(self, request):
        try:
            body = request._request.body
        except RawPostDataException:
            # The body was consumed as a form (session + multipart); knox login takes JSON only.
            raise PermissionDenied("Credentials must be sent as a JSON body.")
        if not body:
            return None
        try:
            return parsers.loads(body)
        except ValueError as error:
            raise PermissionDenied(str(error))

    @extend_schema(request=AuthTokenSerializer, responses={200: KnoxTokenSerializer, 403: ERROR_DETAIL})
    def post(self, request, format=None):
        data = self._credentials(request)
        if data is not None:
            serializer = AuthTokenSerializer(data=data, context=self.get_context())
            if not serializer.is_valid():
                raise PermissionDenied(str(dict(serializer.errors)))
            request.user = serializer.validated_data["user"]
        elif not request.user.is_authenticated:
            raise PermissionDenied(NOT_AUTHENTICATED_MESSAGE)
        return super().post(request, format=format)


class KnoxLogoutView(KnoxBaseLogoutView):
    """Delete the knox token used for this request."""

    authentication_classes = (KnoxTokenAuthentication,)

    @extend_schema(request=None, responses={204: None})
    def post(self, request, format=None):
        return super().post(request, format=format)


class KnoxLogoutAllView(KnoxBaseLogoutAllView):
    """Delete every knox token of the requesting user."""

    authentication_classes = (KnoxTokenAuthentication,)

    @extend_schema(request=None, responses={204: None})
    def post(self, request, format=None):
        return super().post(request, format=format)


class RefreshTokenView(APIView):
    """v2: replace the requester's DRF token with a new one (deprecated upstream)."""

    @extend_schema(request=None, responses={200: TokenSerializer})
    def post(self, request, format=None):
        user = request.user
        if not Token.objects.filter(user=user).exists():
            raise ValidationError(
                f"No token for the user '{user.get_username()}' exists, "
                "one needs to be created in the admin interface."
            )
        token = tokens.token_replace(user=user)
        return Response({"token": token.key})


class LogoutView(APIView):
    """Delete the requester's DRF token (knox tokens survive), end the session, drop the cookie."""

    permission_classes = (AllowAny,)

    @extend_schema(request=None, responses={200: OpenApiResponse(description="Empty body")})
    def post(self, request, format=None):
        if request.user.is_authenticated:
            tokens.token_delete(user=request.user)
        django_logout(request._request)
        response = HttpResponse(status=status.HTTP_200_OK)
        del response["Content-Type"]
        response.delete_cookie("token")
        return response


class CurrentUserView(generics.RetrieveAPIView):
    """The requesting user; v1 embeds phone numbers, v2 links the admin for staff."""

    def get_object(self):
        return self.request.user

    def get_serializer_class(self):
        if self.request.version == "v1":
            return CurrentUserV1Serializer
        return CurrentUserV2Serializer


@extend_schema(
    parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH, description="The id of the user.")]
)
class UserDetailView(generics.RetrieveAPIView):
    """Any authenticated user may look up any user's name and email."""

    queryset = User.objects.all()
    serializer_class = UserSerializer


def _phone_number_not_found():
    return NotFound("No DestinationConfig matches the given query.")


def _phone_number_exists_error():
    return ValidationError({"phone_number": [PHONE_NUMBER_EXISTS_MESSAGE]})


class PhoneNumberMixin:
    serializer_class = PhoneNumberSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # OpenAPI generation: no real user
            return DestinationConfig.objects.none()
        return services.phone_numbers_of(self.request.user)

    def validated_phone_number(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data["phone_number"]

    def created(self, destination):
        return Response(self.get_serializer(destination).data, status=status.HTTP_201_CREATED)


class PhoneNumberListView(PhoneNumberMixin, generics.GenericAPIView):
    """v1: the requester's phone numbers (SMS destinations)."""

    @extend_schema(responses={200: PhoneNumberSerializer(many=True)})
    def get(self, request, format=None):
        return Response(self.get_serializer(self.get_queryset(), many=True).data)

    @extend_schema(request=PhoneNumberSerializer, responses={201: PhoneNumberSerializer})
    def post(self, request, format=None):
        phone_number = self.validated_phone_number(request)
        try:
            destination = services.phone_number_create(user=request.user, phone_number=phone_number)
        except services.PhoneNumberExists:
            raise _phone_number_exists_error()
        return self.created(destination)


class PhoneNumberDetailView(PhoneNumberMixin, generics.GenericAPIView):
    """v1: one phone number of the requester; other users' numbers do not exist (404).

    PUT and PATCH answer 201, and PUT to an unknown pk creates a new number, like the reference.
    """

    def find_object(self):
        pk = parse_pk(self.kwargs["pk"])
        if pk is None:
            return None
        return self.get_queryset().filter(pk=pk).first()

    def get_object(self):
        destination = self.find_object()
        if destination is None:
            raise _phone_number_not_found()
        return destination

    @extend_schema(responses={200: PhoneNumberSerializer})
    def get(self, request, pk, format=None):
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(request=PhoneNumberSerializer, responses={201: PhoneNumberSerializer})
    def put(self, request, pk, format=None):
        phone_number = self.validated_phone_number(request)
        destination = self.find_object()
        try:
            if destination is None:
                destination = services.phone_number_create(user=request.user, phone_number=phone_number)
            else:
                destination = services.phone_number_update(destination=destination, phone_number=phone_number)
        except services.PhoneNumberExists:
            raise _phone_number_exists_error()
        return self.created(destination)

    @extend_schema(request=PhoneNumberSerializer, responses={201: PhoneNumberSerializer})
    def patch(self, request, pk, format=None):
        destination = self.get_object()
        phone_number = self.validated_phone_number(request)
        try:
            destination = services.phone_number_update(destination=destination, phone_number=phone_number)
        except services.PhoneNumberExists:
            raise _phone_number_exists_error()
        return self.created(destination)

    @extend_schema(responses={204: None})
    def delete(self, request, pk, format=None):
        self.get_object().delete()
        return Response(status=status.HTTP_204_NO_CONTENT)
