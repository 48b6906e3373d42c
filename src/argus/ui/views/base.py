"""What every UI view shares: login, the read-only role, answers to form posts."""

from __future__ import annotations

import functools
import json
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme

from argus.ui import conf


def login_url_for(request) -> str:
    return f"{settings.LOGIN_URL}?next={quote(request.get_full_path())}"


def ui_login_required(view):
    """Anonymous users go to the login page and come back; htmx requests get ``HX-Redirect``."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            target = login_url_for(request)
            if request.htmx:
                response = HttpResponse(status=204)
                response["HX-Redirect"] = target
                return response
            return HttpResponseRedirect(target)
        return view(request, *args, **kwargs)

    return wrapper


def staff_required(view):
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_staff:
            raise PermissionDenied("Only staff may see this page.")
        return view(request, *args, **kwargs)

    return ui_login_required(wrapper)


def is_read_only(request) -> bool:
    """Members of ``ARGUS_UI_READONLY_GROUP`` see no write controls and may change nothing."""
    cached = getattr(request, "_ui_read_only", None)
    if cached is None:
        group = conf.readonly_group()
        cached = (
            bool(group) and request.user.is_authenticated and request.user.groups.filter(name=group).exists()
        )
        request._ui_read_only = cached
    return cached


def write_view(view):
    """A view that changes state: logged in, and not in the read-only group."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if is_read_only(request):
            raise PermissionDenied("Your account may read but not change anything.")
        return view(request, *args, **kwargs)

    return ui_login_required(wrapper)


def safe_next(request, default: str) -> str:
    """The ``next`` of the request if it points into this site, else ``default``."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def done(
    request, *, next_url: str, notes: list[tuple[str, str]], changed_ids=(), status: int = 303, events=None
):
    """The answer to a successful form post.

    Without scripts: ``303`` to ``next_url`` with the notes as messages. An htmx request stays
    on its page: nothing is swapped, the notes become toasts and ``changed_ids`` are re-rendered
    by the page's live-update code (the ``argus:done`` event). ``events`` adds more client events.
    """
    if request.htmx:
        response = HttpResponse(status=200)
        response["HX-Reswap"] = "none"
        triggered = {
            "argus:done": {
                "ids": [int(pk) for pk in changed_ids],
                "notes": [{"level": level, "text": text} for level, text in notes],
            },
            **(events or {}),
        }
        response["HX-Trigger"] = json.dumps(triggered)
        return response
    for level, text in notes:
        messages.add_message(request, getattr(messages, level.upper(), messages.INFO), text)
    return HttpResponseRedirect(next_url, status=status)


def finished(request, *, next_url: str, notes: list[tuple[str, str]]):
    """The answer to a form post that leaves its page (a saved form, a deletion).

    The notes become messages shown on ``next_url``: without scripts the browser follows a ``303``
    there; an htmx request (a form in a dialog or inline) gets ``HX-Redirect`` to it instead,
    without its ``#fragment``: a browser told to go to the page it shows plus a fragment only
    scrolls, and the page must load again to show the change and the messages.
    """
    for level, text in notes:
        messages.add_message(request, getattr(messages, level.upper(), messages.INFO), text)
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = next_url.partition("#")[0]
        return response
    return HttpResponseRedirect(next_url, status=303)


def render_form(request, template: str, fragment: str, context: dict, *, status: int = 200):
    """A form page, or only its form (``fragment``) for htmx, which shows it inline or in a dialog."""
    return render(request, fragment if request.htmx else template, context, status=status)
