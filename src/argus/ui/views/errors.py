"""Error pages in the UI's layout for the UI's paths; other paths keep Django's own pages (the
API and the health-path contract answer exactly as without the UI)."""

from __future__ import annotations

from django.http import HttpResponse
from django.template.loader import render_to_string
from django.views import defaults

UI_PREFIXES = ("/incidents/", "/notifications/", "/user/", "/sources/", "/accounts/")

TEXTS = {
    400: ("Bad request", "The request could not be understood."),
    403: ("Forbidden", "You may not see or do this."),
    404: ("Not found", "There is nothing here. It may have been deleted, or the address is wrong."),
    500: ("Server error", "Something went wrong on the server. It has been logged."),
}


def is_ui_path(path: str) -> bool:
    return path == "/" or path.startswith(UI_PREFIXES)


def _page(request, status: int, detail: str = "", layout: bool = True) -> HttpResponse:
    title, text = TEXTS[status]
    context = {"status": status, "title": title, "text": text, "detail": detail, "request": request}
    template = "argus_ui/errors/error.html" if layout else "argus_ui/errors/plain_error.html"
    return HttpResponse(
        render_to_string(template, context, request=request if layout else None), status=status
    )


def bad_request(request, exception):
    if not is_ui_path(request.path):
        return defaults.bad_request(request, exception)
    return _page(request, 400)


def permission_denied(request, exception):
    if not is_ui_path(request.path):
        return defaults.permission_denied(request, exception)
    return _page(request, 403, str(exception) if exception and str(exception) else "")


def page_not_found(request, exception):
    if not is_ui_path(request.path):
        return defaults.page_not_found(request, exception)
    return _page(request, 404)


def server_error(request):
    if not is_ui_path(request.path):
        return defaults.server_error(request)
    # No layout: the user menu and the preferences need the database, which may be what failed.
    return _page(request, 500, layout=False)
