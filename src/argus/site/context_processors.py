"""Template context processors of the site."""

from types import SimpleNamespace

from django.http.multipartparser import MultiPartParserError
from rest_framework.exceptions import APIException
from social_django.context_processors import login_redirect as social_login_redirect


def login_redirect(request):
    """social_django's ``login_redirect``, safe on API pages rendered as HTML.

    It reads ``request.POST``. On the browsable API and the Swagger page that is DRF's request,
    which parses the body then: a body it refuses (malformed or too deeply nested JSON, an
    unsupported media type) raised its error again while the page was rendered, a 500 instead of
    the page's own answer. A body that cannot be read holds no redirect: the query string decides.
    """
    if request.method == "POST":
        try:
            request.POST  # noqa: B018
        except (APIException, MultiPartParserError):
            return social_login_redirect(SimpleNamespace(method="GET", GET=request.GET))
    return social_login_redirect(request)
