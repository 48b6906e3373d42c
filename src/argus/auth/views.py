"""Site-level login views: /login-methods/ and the OAuth2 flow under /oidc/."""

import logging

from django.conf import settings
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.backends import ModelBackend
from django.http import HttpResponsePermanentRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.module_loading import import_string
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView
from social_core.actions import do_auth, do_complete
from social_core.backends.base import BaseAuth
from social_core.exceptions import AuthInputError, AuthSessionError, SocialAuthBaseException
from social_django.utils import psa
from social_django.views import _do_login

from argus.auth import services, tokens
from argus.auth.authentication import token_is_expired
from argus.auth.oauth2 import split_full_name

logger = logging.getLogger(__name__)

SOCIAL_NAMESPACE = "social"


def _backend_classes():
    for path in settings.AUTHENTICATION_BACKENDS:
        try:
            yield import_string(path)
        except ImportError:
            logger.warning("Authentication backend %s cannot be imported", path)


def login_methods(request) -> list[dict]:
    """``username_password`` first when passwords are accepted, then one entry per OAuth2 backend."""
    backends = list(_backend_classes())
    methods = []
    if any(issubclass(backend, ModelBackend) for backend in backends):
        methods.append(
            {
                "type": "username_password",
                "url": request.build_absolute_uri(reverse("v1:api-token-auth")),
                "name": "user_pw",
            }
        )
    for backend in backends:
        if issubclass(backend, BaseAuth) and backend.name:
            methods.append(
                {
                    "type": "OAuth2",
                    "url": request.build_absolute_uri(
                        reverse(f"{SOCIAL_NAMESPACE}:begin", args=[backend.name])
                    ),
                    "name": backend.name,
                }
            )
    return methods


class LoginMethodsView(APIView):
    """GET /login-methods/: how a frontend can log in (public)."""

    permission_classes = [AllowAny]

    @extend_schema(
        responses=inline_serializer(
            "LoginMethod",
            {"type": serializers.CharField(), "url": serializers.URLField(), "name": serializers.CharField()},
            many=True,
        )
    )
    def get(self, request, format=None):
        return Response(login_methods(request))


def _login_failed(request, error, status):
    logger.info("OAuth2 login failed: %r", error)
    context = {"reason": str(error), "frontend_url": settings.FRONTEND_URL}
    return render(request, "argus/auth/login_failed.html", context, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
@psa(f"{SOCIAL_NAMESPACE}:complete")
def oauth2_login(request, backend):
    """Start the OAuth2 flow: redirect to the provider (GET as a plain link, or POST with CSRF)."""
    try:
        return do_auth(request.backend, redirect_name=REDIRECT_FIELD_NAME, user=request.user)
    except SocialAuthBaseException as error:
        return _login_failed(request, error, 400)


def _token_response(user):
    """Redirect to the frontend with the user's DRF token in the cookie the SPA reads."""
    token = tokens.token_get_or_create(user=user)
    if token_is_expired(token):
        token = tokens.token_replace(user=user)
    response = HttpResponsePermanentRedirect(settings.FRONTEND_URL or "/")
    response.set_cookie(settings.ARGUS_SPA_TOKEN_COOKIE_NAME, token.key, domain=settings.COOKIE_DOMAIN)
    return response


@never_cache
@csrf_exempt
@require_http_methods(["GET", "POST"])
@psa(f"{SOCIAL_NAMESPACE}:complete")
def oauth2_complete(request, backend):
    """The provider's redirect target: log the user in and hand the SPA a token cookie."""
    try:
        do_complete(
            request.backend, _do_login, user=request.user, redirect_name=REDIRECT_FIELD_NAME, request=request
        )
    except (AuthInputError, AuthSessionError) as error:
        return _login_failed(request, error, 400)
    except SocialAuthBaseException as error:
        return _login_failed(request, error, 403)
    user = request.user
    if not user.is_authenticated:
        return _login_failed(request, "The account is inactive.", 403)
    if not user.first_name and not user.last_name:
        social = user.social_auth.filter(provider=request.backend.name).first()
        full_name = ((social.extra_data or {}).get("fullname") or "") if social else ""
        user.first_name, user.last_name = split_full_name(full_name)
        if user.first_name or user.last_name:
            services.user_save(user=user, update_fields=["first_name", "last_name"])
    return _token_response(user)
