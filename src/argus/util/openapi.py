"""How the API describes itself in its OpenAPI documents (drf-spectacular).

One schema class for every view (``REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"]``). On top of what
drf-spectacular derives from views and serializers it adds what every operation shares:

* **Error answers.** Every operation that needs authentication documents ``401`` and ``403``,
  every operation on a path with parameters ``404`` (JSON, or Django's HTML page when the URL
  matches nothing), every operation with a request body ``400``.
  Views document other codes (``400`` of a GET, ``405``) themselves with :data:`VALIDATION_ERROR`
  and :data:`ERROR_DETAIL`.
* **One name per shape and document.** The v1 and v2 documents are generated separately. A
  serializer whose shape belongs to one API version says so with ``api_version``; in the other
  version's document (v1 endpoints that answer in the v2 shape) its component name gets the
  version as suffix (``IncidentV2``), so ``Incident`` is the v1 incident in the v1 document and
  the v2 incident in the v2 document. ``schema_name`` sets the base name where the class name
  does not give it.
* **Lists are lists.** A GET on a view with a ``pagination_class`` is a list operation
  (``..._list``) even when its answer is not a plain paginated array.
"""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_serializer, extend_schema_view
from rest_framework import serializers

from argus.util.datetime_utils import INFINITY_REPR


@extend_schema_serializer(component_name="ErrorDetail")
class ErrorDetailSerializer(serializers.Serializer):
    """An error that is not about the request's content, e.g. ``{"detail": "Not found."}``."""

    detail = serializers.CharField()


ERROR_DETAIL = OpenApiResponse(ErrorDetailSerializer, description="Error")
VALIDATION_ERROR = OpenApiResponse(
    OpenApiTypes.ANY,
    description=(
        "The request was not accepted. Usually an object mapping field names to lists of messages "
        '(``{"start_time": ["This field is required."]}``); some checks answer a list of messages '
        "or a single message."
    ),
)
NOT_AUTHENTICATED = OpenApiResponse(ErrorDetailSerializer, description="No valid credentials were given.")
PERMISSION_DENIED = OpenApiResponse(ErrorDetailSerializer, description="The user may not do this.")
NOT_FOUND = OpenApiResponse(
    ErrorDetailSerializer,
    description="No such object. A path segment that cannot be an id at all (e.g. one with a dot) "
    "matches no URL and answers Django's HTML page.",
)

#: An API timestamp that may also be "infinity" (the end of an open incident) or null.
INFINITY_DATETIME_SCHEMA = {
    "oneOf": [
        {"type": "string", "format": "date-time", "nullable": True},
        {"type": "string", "enum": [INFINITY_REPR]},
    ],
}


def model_viewset_schema(shape, *, destroy_refusal: bool = False):
    """Describe a model viewset whose answers have ``shape`` (a serializer class), which differs from
    its request serializer; ``destroy_refusal``: DELETE may answer 400 (the object is in use)."""
    destroy = {204: None, 400: VALIDATION_ERROR} if destroy_refusal else {204: None}
    return extend_schema_view(
        list=extend_schema(responses=shape(many=True)),
        retrieve=extend_schema(responses=shape),
        create=extend_schema(responses={201: shape}),
        update=extend_schema(responses=shape),
        partial_update=extend_schema(responses=shape),
        destroy=extend_schema(responses=destroy),
    )


def _is_anonymous_allowed(operation: dict) -> bool:
    security = operation.get("security")
    return not security or {} in security


class ArgusAutoSchema(AutoSchema):
    @property
    def document_version(self) -> str | None:
        return getattr(getattr(self.view, "request", None), "version", None)

    def get_serializer_name(self, serializer, direction):
        name = getattr(serializer, "schema_name", None) or super().get_serializer_name(serializer, direction)
        name = name.removesuffix("Serializer")
        version = getattr(serializer, "api_version", None)
        if version and self.document_version and version != self.document_version:
            name += version.upper()
        return name

    def get_operation_id(self):
        operation_id = super().get_operation_id()
        if self.method == "GET" and getattr(self.view, "pagination_class", None):
            operation_id = operation_id.removesuffix("_retrieve").removesuffix("_list") + "_list"
        return operation_id

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        defaults = {}
        if "requestBody" in operation:
            defaults["400"] = VALIDATION_ERROR
        if not _is_anonymous_allowed(operation):
            defaults["401"] = NOT_AUTHENTICATED
            defaults["403"] = PERMISSION_DENIED
        if "{" in path:
            defaults["404"] = NOT_FOUND
        responses = operation["responses"]
        for code, response in defaults.items():
            if code not in responses:
                responses[code] = self._response_object(response, code)
        if "404" in defaults and "content" in responses["404"]:
            responses["404"]["content"].setdefault("text/html", {"schema": {"type": "string"}})
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def _response_object(self, response: OpenApiResponse, code: str) -> dict:
        content = {"schema": self._schema_for(response.response)}
        return {"content": {"application/json": content}, "description": response.description}

    def _schema_for(self, response) -> dict:
        if response is OpenApiTypes.ANY:
            return {}
        serializer = response() if isinstance(response, type) else response
        return self.resolve_serializer(serializer, "response").ref
