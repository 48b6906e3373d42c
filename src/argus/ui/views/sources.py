"""Sources and source types for staff, at /sources/.

The table shows each source's liveness: when it was last seen, its heartbeat frequency and its
state (off, waiting, alive, dead; :mod:`argus.incident.liveness`) at the time of the request, with
the next heartbeat's due time. Creating a source (with its system user), changing its name, type,
base URL or heartbeat frequency (which arms or disarms monitoring), deleting it,
creating a type and replacing a source's API token go through the same services as the API and
the admin. A source with incidents cannot be deleted (the page says so; the service refuses). A new
token is shown once, in the answer to the POST that made it, and never put in the session or in a
message.
"""

from __future__ import annotations

import datetime

from django.db.models import Count
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from argus.auth import tokens
from argus.auth.authentication import token_is_expired
from argus.incident import services
from argus.incident.errors import SourceSystemExists, SourceSystemInUse, SourceSystemTypeExists
from argus.incident.liveness import liveness
from argus.incident.models import SourceSystem, SourceSystemType
from argus.ui.formatting import frequency_text
from argus.ui.forms import SourceEditForm, SourceForm, SourceTypeForm
from argus.ui.preferences import preferences_of
from argus.ui.queries import sources_with_facts
from argus.ui.views.base import done, finished, is_read_only, render_form, staff_required, write_view
from argus.util.ids import MAX_DATABASE_ID


def token_state(source) -> str:
    token = getattr(source.user, "auth_token", None)  # the reverse one-to-one: missing is None
    if token is None:
        return "Missing"
    return "Expired" if token_is_expired(token) else "Valid"


def source_row(
    source: SourceSystem, *, now: datetime.datetime, token: str, incidents: int = 0, new_token=None
) -> dict:
    """What a row of the sources table shows (``sources/_row.html``)."""
    frequency = source.heartbeat_frequency
    return {
        "source": source,
        "token": token,
        "new_token": new_token,
        "incidents": incidents,
        "heartbeat": frequency_text(frequency),
        "heartbeat_seconds": None if frequency is None else int(frequency.total_seconds()),
        "liveness": liveness(source, now),
    }


def _source_rows(sources, new_token_for=None, new_token=None):
    now = timezone.now()  # one time for every row
    return [
        source_row(
            source,
            now=now,
            token=token_state(source),
            incidents=source.incident_count or 0,
            new_token=new_token if source.pk == new_token_for else None,
        )
        for source in sources
    ]


def _render_sources(request, *, form=None, status=200, new_token_for=None, new_token=None):
    context = {
        "nav": "sources",
        "tab": "sources",
        "rows": _source_rows(sources_with_facts(), new_token_for, new_token),
        "dates": preferences_of(request).dates,
        "form": form or SourceForm(),
        "read_only": is_read_only(request),
    }
    return render(request, "argus_ui/sources/sources.html", context, status=status)


@require_safe
@staff_required
def source_list(request):
    return _render_sources(request)


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
@write_view
def source_create(request):
    if request.method != "POST":
        return render(
            request,
            "argus_ui/sources/form.html",
            {"nav": "sources", "form": SourceForm(), "title": "New source"},
        )
    form = SourceForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            source = services.source_system_create(
                name=data["name"],
                type=data["type"],
                username=data["username"] or None,
                base_url=data["base_url"],
                heartbeat_frequency=data["heartbeat_frequency"],
            )
        except SourceSystemExists as error:
            form.add_error("name", error.message)
        else:
            return done(
                request,
                next_url=reverse("argus_ui:sources"),
                notes=[("success", f'Created source "{source.name}".')],
            )
    return render(
        request,
        "argus_ui/sources/form.html",
        {"nav": "sources", "form": form, "title": "New source"},
        status=422,
    )


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
@write_view
def source_update(request, pk: int):
    source = get_object_or_404(
        SourceSystem.objects.select_related("type", "user"), pk=min(pk, MAX_DATABASE_ID)
    )
    initial = {
        "name": source.name,
        "type": source.type_id,
        "base_url": source.base_url,
        "heartbeat_frequency": source.heartbeat_frequency,
    }
    form = SourceEditForm(request.POST if request.method == "POST" else None, initial=initial)
    context = {"nav": "sources", "form": form, "title": f"Edit source {source.name}", "source": source}
    if request.method == "POST":
        if form.is_valid():
            data = {name: form.cleaned_data[name] for name in form.changed_data}
            try:
                services.source_system_update(source=source, data=data)
            except SourceSystemExists as error:
                form.add_error("name", error.message)
            else:
                return done(
                    request,
                    next_url=reverse("argus_ui:sources"),
                    notes=[("success", f'Saved source "{source.name}".')],
                )
        return render(request, "argus_ui/sources/form.html", context, status=422)
    return render(request, "argus_ui/sources/form.html", context)


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
@write_view
def source_delete(request, pk: int):
    """Delete a source and its system user; refused while it has incidents."""
    source = get_object_or_404(SourceSystem.objects.all(), pk=min(pk, MAX_DATABASE_ID))
    if request.method == "POST":
        try:
            services.source_systems_delete(sources=[source])
        except SourceSystemInUse as error:
            notes = [("error", error.message)]
        else:
            notes = [("success", f'Deleted source "{source.name}".')]
        return finished(request, next_url=reverse("argus_ui:sources"), notes=notes)
    context = {
        "nav": "sources",
        "title": "Delete source",
        "question": f'Delete the source "{source.name}" and its system user?',
        "details": [],
        "action": reverse("argus_ui:source-delete", args=[source.pk]),
        "cancel": reverse("argus_ui:sources"),
        "button": "Delete",
    }
    return render_form(request, "argus_ui/confirm.html", "argus_ui/_confirm_form.html", context)


@require_POST
@staff_required
@write_view
def source_token(request, pk: int):
    """Replace the source's API token and show the new one in this answer only."""
    source = get_object_or_404(SourceSystem.objects.select_related("user"), pk=min(pk, MAX_DATABASE_ID))
    token = tokens.token_replace(user=source.user)
    response = _render_sources(request, new_token_for=source.pk, new_token=token.key)
    response["Cache-Control"] = "no-store"
    return response


@require_safe
@staff_required
def type_list(request):
    return _render_types(request, form=SourceTypeForm(), status=200)


def _render_types(request, *, form, status):
    types = SourceSystemType.objects.annotate(sources=Count("instances")).order_by("name")
    context = {
        "nav": "sources",
        "tab": "types",
        "types": types,
        "form": form,
        "read_only": is_read_only(request),
    }
    return render(request, "argus_ui/sources/types.html", context, status=status)


@require_POST
@staff_required
@write_view
def type_create(request):
    form = SourceTypeForm(request.POST)
    if form.is_valid():
        try:
            source_type = services.source_system_type_create(name=form.cleaned_data["name"])
        except SourceSystemTypeExists as error:
            form.add_error("name", error.message)
        else:
            return done(
                request,
                next_url=reverse("argus_ui:source-types"),
                notes=[("success", f'Created type "{source_type.name}".')],
            )
    return _render_types(request, form=form, status=422)
