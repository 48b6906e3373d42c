"""User preferences at /user/: every choice saved on its own (on change, with scripts) or all at
once with the Save button."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from argus.auth.services import preferences_update
from argus.incident.queries import incidents_for_representation
from argus.ui import conf, queries
from argus.ui.columns import RowContext, layout_columns, layouts
from argus.ui.formatting import DateFormatter, zone_or_default
from argus.ui.forms import PreferencesForm
from argus.ui.preferences import clean, preferences_of, stored_preferences
from argus.ui.views.base import done, safe_next, ui_login_required
from argus.ui.views.incidents import incident_rows


def _form_initial(prefs) -> dict:
    return {
        "theme": prefs.theme,
        "datetime_format_name": prefs.datetime_format_name,
        "timezone": prefs.timezone,
        "page_size": prefs.page_size,
        "update_interval": prefs.update_interval,
        "incidents_table_layout": prefs.incidents_table_layout,
        "incidents_table_column_name": prefs.incidents_table_column_name or "",
        "keyboard_shortcuts": "on" if prefs.keyboard_shortcuts else "off",
    }


def _date_previews(tz_name: str) -> list[tuple[str, str]]:
    now = timezone.now()
    return [(name, DateFormatter(name, zone_or_default(tz_name)).text(now)) for name in conf.DATETIME_FORMATS]


@require_safe
@ui_login_required
def preferences_page(request):
    return _render(request, form=None, status=200)


def _render(request, *, form, status):
    prefs = preferences_of(request)
    context = {
        "form": form or PreferencesForm(initial=_form_initial(prefs)),
        "prefs": prefs,
        "date_previews": _date_previews(prefs.timezone),
        "layouts": layouts(),
        "column_names": {name: [c.header for c in layout_columns(name)] for name in layouts()},
    }
    return render(request, "argus_ui/user/preferences.html", context, status=status)


@require_POST
@ui_login_required
def update_preferences(request, namespace: str):
    if namespace != conf.PREFERENCES_NAMESPACE:
        raise Http404("Unknown preferences namespace.")
    form = PreferencesForm(request.POST)
    if not form.is_valid():
        if request.htmx:
            notes = [
                ("error", f"{form.fields[name].label}: {' '.join(errors)}")
                for name, errors in form.errors.items()
            ]
            return done(request, next_url=reverse("argus_ui:preferences"), notes=notes)
        return _render(request, form=form, status=422)
    changes = form.changes()
    preferences_update(user=request.user, namespace=conf.PREFERENCES_NAMESPACE, changes=changes)
    saved = clean(stored_preferences(request.user))
    names = ", ".join(form.fields[name].label.lower() for name in changes) or "nothing"
    return done(
        request,
        next_url=safe_next(request, reverse("argus_ui:preferences")),
        notes=[("success", f"Saved {names}.")],
        events={"argus:prefs": {"theme": saved.theme}},
    )


@require_safe
@ui_login_required
def table_preview(request):
    """One incident row rendered with the layout in ``?incidents_table_column_name=`` (preview)."""
    prefs = preferences_of(request)
    name = request.GET.get("incidents_table_column_name") or prefs.incidents_table_column_name
    columns = [column for column in layout_columns(name) if column.name != "row_select"]
    incident = (
        incidents_for_representation()
        .prefetch_related(queries.linked_tasks_prefetch())
        .order_by("-start_time", "-pk")
        .first()
    )
    rows = incident_rows([incident], columns, RowContext(prefs.dates, timezone.now())) if incident else []
    return render(request, "argus_ui/user/_table_preview.html", {"columns": columns, "rows": rows})
