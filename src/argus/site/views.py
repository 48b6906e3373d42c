"""Site-level views: /api/ metadata, OpenAPI documents, favicon and the small HTML home page."""

from django.conf import settings
from django.http import Http404, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import render
from django.utils.html import escape
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
