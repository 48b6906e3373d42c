"""Site-wide middleware."""

from django.middleware.common import CommonMiddleware as DjangoCommonMiddleware
from django.utils.http import escape_leading_slashes


class CommonMiddleware(DjangoCommonMiddleware):
    """Django's, redirecting every method to the URL with the slash, with ``DEBUG`` on too.

    Argus answers a request without the trailing slash with ``301`` to the slashed path whatever
    the method. Django does so only with ``DEBUG`` off: with it on (the
    ``dev`` settings of ``make run``) a ``POST``, ``PUT``, ``PATCH`` or ``DELETE`` raised a
    ``RuntimeError`` meant to warn the author of an HTML form, a 500 to an API client.
    """

    def get_full_path_with_slash(self, request):
        return escape_leading_slashes(request.get_full_path(force_append_slash=True))
