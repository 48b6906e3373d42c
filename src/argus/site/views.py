"""Site-level views: /api/ metadata, OpenAPI documents, favicon, the small HTML home page, the
server-error answer and the error test page."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.http import (
    Http404,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseGone,
    HttpResponsePermanentRedirect,
    JsonResponse,
)
from django.shortcuts import render
from django.utils.html import escape
from django.views import defaults
from django.views.decorators.http import require_safe
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

import argus
from argus.notificationprofile.plugins import installed_media, medium_json_schema
from argus.site.exceptions import SERVER_ERROR_BODY
from argus.ui.views import errors as ui_errors


class MetadataView(APIView):
    """The server's version, API versions, schema URLs and plugins; public, no authentication."""

    authentication_classes = []
    permission_classes = [AllowAny]
    name = "Metadata"

    def get_view_name(self):
        return "Metadata"

    def get_view_description(self, html=False):
        return ""

    @extend_schema(
        responses=inline_serializer(
            "Metadata",
            {
                "server-version": serializers.CharField(),
                "api-version": serializers.DictField(child=serializers.CharField()),
                "jsonapi-schema": serializers.DictField(child=serializers.CharField()),
                "ticket_plugin": serializers.CharField(allow_null=True),
                "destination_plugins": serializers.ListField(child=serializers.CharField()),
            },
        )
    )
    def get(self, request, format=None):
        return Response(
            {
                "server-version": argus.__version__,
                "api-version": {"deprecated": "v1", "stable": "v2"},
                "jsonapi-schema": {
                    "stable": "/api/schema/",
                    "v1": "/api/v1/schema/",
                    "v2": "/api/v2/schema/",
                },
                "ticket_plugin": settings.TICKET_PLUGIN,
                "destination_plugins": list(settings.MEDIA_PLUGINS),
            }
        )


def index(request):
    return render(request, "argus/index.html", {"frontend_url": settings.FRONTEND_URL})


@extend_schema_view(
    get=extend_schema(
        parameters=[
            OpenApiParameter(
                "format",
                str,
                enum=["json", "yaml"],
                description="The document's format; by default YAML, or JSON when asked for by Accept.",
            ),
            OpenApiParameter(
                "lang",
                str,
                enum=[code for code, _name in settings.LANGUAGES],
                description="The language of the descriptions.",
            ),
        ],
        responses={
            200: OpenApiTypes.OBJECT,
            404: OpenApiResponse(OpenApiTypes.OBJECT, description="No such format."),
        },
    )
)
class SchemaView(SpectacularAPIView):
    """This OpenAPI document; public, authentication is ignored."""

    authentication_classes = []
    permission_classes = [AllowAny]


class SwaggerView(SpectacularSwaggerView):
    """Swagger UI for the schema named by ``url_name``; public, authentication ignored.

    No URL versioning here, so ``url_name`` is reversed as given (``schema`` stays /api/schema/).
    """

    authentication_classes = []
    permission_classes = [AllowAny]
    versioning_class = None


def favicon(request):
    # The plain name, not the hashed one the manifest storage would give: the address is public.
    return HttpResponsePermanentRedirect(f"{settings.STATIC_URL}favicon.svg")


@require_safe
def json_schema(request, slug):
    """GET /json-schema/<slug>: a medium's settings schema as an HTML-escaped Python repr."""
    medium = installed_media().get(slug)
    if medium is None:
        raise Http404(f"No medium {slug!r} is installed.")
    return HttpResponse(
        escape(repr(medium_json_schema(request, medium))), content_type="text/html; charset=utf-8"
    )


def server_error(request):
    """``handler500``: the API answers JSON (as its views do, see ``argus.site.exceptions``), the
    UI its own page, everything else Django's."""
    if request.path.startswith("/api/"):
        return JsonResponse(SERVER_ERROR_BODY, status=500)
    if settings.ARGUS_UI:
        return ui_errors.server_error(request)
    return defaults.server_error(request)


#: ``/.error/?status-code=<n>``: what each code raises or answers.
ERROR_TEST_STATUSES = (400, 401, 403, 404, 410, 500)


class ErrorTestPageError(Exception):
    """Raised on purpose by ``/.error/?status-code=500``."""


@login_required
def error_test_page(request):
    """Renders the error asked for, to test how errors are shown and reported (500 raises)."""
    code = request.GET.get("status-code", "")
    if not code.isascii() or not code.isdigit() or int(code) not in ERROR_TEST_STATUSES:
        return HttpResponseBadRequest(
            f"status-code must be one of {', '.join(map(str, ERROR_TEST_STATUSES))}",
            content_type="text/plain; charset=utf-8",
        )
    code = int(code)
    if code == 400:
        raise SuspiciousOperation("Error test page: 400")
    if code == 401:
        return HttpResponse("Unauthorized", status=401, content_type="text/plain; charset=utf-8")
    if code == 403:
        raise PermissionDenied("Error test page: 403")
    if code == 404:
        raise Http404("Error test page: 404")
    if code == 410:
        return HttpResponseGone("Gone", content_type="text/plain; charset=utf-8")
    raise ErrorTestPageError("Error test page: 500")
