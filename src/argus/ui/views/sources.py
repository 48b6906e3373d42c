"""Sources and source types for staff, at /sources/.

Creating a source (with its system user), renaming it, creating a type and replacing a source's
API token go through the same services as the API. A new token is shown once, in the answer to
the POST that made it, and never put in the session or in a message.
"""

from __future__ import annotations

from django.db.models import Count
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from argus.auth import tokens
from argus.auth.authentication import token_is_expired
from argus.incident import services
from argus.incident.errors import SourceSystemExists, SourceSystemTypeExists
from argus.incident.models import SourceSystem, SourceSystemType
from argus.ui.forms import SourceForm, SourceRenameForm, SourceTypeForm
from argus.ui.preferences import preferences_of
from argus.ui.queries import sources_with_facts
from argus.ui.views.base import done, staff_required, write_view
from argus.util.ids import MAX_DATABASE_ID


def token_state(source) -> str:
    token = getattr(source.user, "auth_token", None)  # the reverse one-to-one: missing is None
    if token is None:
        return "Missing"
    return "Expired" if token_is_expired(token) else "Valid"


def _source_rows(sources, new_token_for=None, new_token=None):
    return [
        {
            "source": source,
            "token": token_state(source),
            "new_token": new_token if source.pk == new_token_for else None,
            "incidents": source.incident_count or 0,
        }
        for source in sources
    ]


def _render_sources(request, *, form=None, status=200, new_token_for=None, new_token=None):
    context = {
        "nav": "sources",
        "tab": "sources",
        "rows": _source_rows(sources_with_facts(), new_token_for, new_token),
        "dates": preferences_of(request).dates,
        "form": form or SourceForm(),
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
    source = get_object_or_404(SourceSystem.objects.select_related("type"), pk=min(pk, MAX_DATABASE_ID))
    form = SourceRenameForm(request.POST if request.method == "POST" else None, initial={"name": source.name})
    context = {"nav": "sources", "form": form, "title": f"Edit source {source.name}", "source": source}
    if request.method == "POST":
        if form.is_valid():
            try:
                services.source_system_update(source=source, data={"name": form.cleaned_data["name"]})
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
    context = {"nav": "sources", "tab": "types", "types": types, "form": form}
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
