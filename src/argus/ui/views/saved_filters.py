"""Saved filters from the incident list: create one from the filter box, save the box into the
selected one, delete it. They are the user's notification filters, written through
:mod:`argus.notificationprofile.services`; only the user's own can be changed (403 for another's).

The box the user sees is the list's URL (the URL is the state), so every form here carries it as
``view``, the list's query string, which the page's scripts keep current while the box changes.
Afterwards the list shows the same view with the filter selected (or, after a delete, unselected).
"""

from __future__ import annotations

from dataclasses import replace

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import QueryDict
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from argus.notificationprofile import services
from argus.notificationprofile.filterblob import InvalidFilterBlob, validate_filter_blob
from argus.notificationprofile.models import Filter
from argus.ui.listing import ListState, list_state
from argus.ui.notification_forms import NAME_MAX_LENGTH
from argus.ui.preferences import preferences_of
from argus.ui.views.base import finished, render_form, ui_login_required
from argus.util.errors import DomainError
from argus.util.ids import MAX_DATABASE_ID

LIST_URL = "/incidents/"


class FilterNameForm(forms.Form):
    filter_name = forms.CharField(label="Name", max_length=NAME_MAX_LENGTH)


def _view_state(request) -> ListState:
    source = request.POST if request.method == "POST" else request.GET
    view = QueryDict(source.get("view", ""))
    return list_state(view, user=request.user, page_size_default=preferences_of(request).page_size)


def _list_url(state: ListState, saved: Filter | None) -> str:
    return LIST_URL + replace(state, saved_filter=saved).query()


def _view_query(state: ListState) -> str:
    return state.query().removeprefix("?")


def _own_filter(request, pk: int) -> Filter:
    found = get_object_or_404(Filter, pk=min(pk, MAX_DATABASE_ID))
    if found.user_id != request.user.pk:
        raise PermissionDenied("Only its owner may change a saved filter.")
    return found


def _blob(state: ListState) -> dict:
    return validate_filter_blob(state.box.to_blob(), strict_tags=True)


def _left_out_note(state: ListState) -> list[tuple[str, str]]:
    left_out = state.box.fields_outside_blob()
    if not left_out:
        return []
    return [
        (
            "warning",
            f"A saved filter cannot hold these, so they narrow this view only: {', '.join(left_out)}.",
        )
    ]


@require_http_methods(["GET", "HEAD", "POST"])
@ui_login_required
def filter_create(request):
    state = _view_state(request)
    form = FilterNameForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            name = form.cleaned_data["filter_name"]
            try:
                created = services.filter_create(user=request.user, name=name, blob=_blob(state))
            except DomainError as error:
                form.add_error("filter_name", error.message)
            except InvalidFilterBlob as error:
                form.add_error(None, " ".join(error.messages))
            else:
                notes = [("success", f'Created filter "{created.name}".'), *_left_out_note(state)]
                return finished(request, next_url=_list_url(state, created), notes=notes)
    context = {
        "nav": "incidents",
        "form": form,
        "view": _view_query(state),
        "left_out": state.box.fields_outside_blob(),
        "cancel": _list_url(state, state.saved_filter),
        "title": "Create a filter",
    }
    return render_form(
        request,
        "argus_ui/incidents/filter_create.html",
        "argus_ui/incidents/_filter_create_form.html",
        context,
        status=status,
    )


@require_POST
@ui_login_required
def filter_update(request, pk: int):
    saved = _own_filter(request, pk)
    state = _view_state(request)
    try:
        services.filter_update(filter=saved, blob=_blob(state))
    except (DomainError, InvalidFilterBlob) as error:
        message = error.message if isinstance(error, DomainError) else " ".join(error.messages)
        return finished(request, next_url=_list_url(state, state.saved_filter), notes=[("error", message)])
    notes = [("success", f'Saved filter "{saved.name}".'), *_left_out_note(state)]
    return finished(request, next_url=_list_url(state, saved), notes=notes)


@require_http_methods(["GET", "HEAD", "POST"])
@ui_login_required
def filter_delete(request, pk: int):
    saved = _own_filter(request, pk)
    state = _view_state(request)
    if request.method == "POST":
        try:
            services.filter_delete(filter=saved)
        except DomainError as error:
            return finished(
                request, next_url=_list_url(state, state.saved_filter), notes=[("error", error.message)]
            )
        # The box stays as it was shown, now without a saved filter.
        return finished(
            request, next_url=_list_url(state, None), notes=[("success", f'Deleted filter "{saved.name}".')]
        )
    context = {
        "nav": "incidents",
        "title": "Delete filter",
        "question": f'Delete the filter "{saved.name}"?',
        "details": [],
        "action": reverse("argus_ui:filter-delete", args=[saved.pk]),
        "cancel": _list_url(state, state.saved_filter),
        "button": "Delete",
        "hidden": [("view", _view_query(state))],
    }
    return render_form(request, "argus_ui/confirm.html", "argus_ui/_confirm_form.html", context)
