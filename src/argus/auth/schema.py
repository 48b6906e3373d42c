"""OpenAPI (drf-spectacular) glue for the auth layer: security schemes and the v1 deprecation mark.

Imported by ``AuthConfig.ready()`` so the extension is registered before any schema is built.
"""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object


class KnoxTokenScheme(OpenApiAuthenticationExtension):
    """Our knox authenticator, documented as knox' own scheme (``Authorization: Token <64 hex>``)."""

    target_class = "argus.auth.authentication.KnoxTokenAuthentication"
    name = "knoxApiToken"

    def get_security_definition(self, auto_schema):
        return build_bearer_security_scheme_object(header_name="Authorization", token_prefix="Token")


def mark_v1_deprecated(result, generator, request, public):
    """Post-processing hook: every operation of the v1 document is ``deprecated: true``."""
    if getattr(generator, "api_version", None) == "v1":
        for path_item in result.get("paths", {}).values():
            for operation in path_item.values():
                if isinstance(operation, dict):
                    operation["deprecated"] = True
    return result
