"""Incident list, kiosk, live row updates, detail page and the type-ahead endpoints.

The list costs a constant number of queries whatever the page size: session and user, the
preferences, the saved filters, the source types, the page, its tags, one bounded count, and
(once a minute) the total. Paging is by keyset (:mod:`argus.ui.paging`).
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_safe

from argus.auth.services import preferences_update
from argus.incident.choices import EventType, Level
from argus.incident.models import Acknowledgement, Event, Incident, SourceSystemType
from argus.incident.queries import (
    acks_for_representation,
    events_for_representation,
    incidents_for_representation,
    with_events,
)
from argus.plannedmaintenance.queries import task_state
from argus.ui import conf, paging, queries
from argus.ui.columns import (
    OPEN,
    TASK_STATE_TEXT,
    RowContext,
    cells_html,
    incident_state,
    layout_columns,
    render_cells,
)
from argus.ui.formatting import duration_text, level_text
from argus.ui.listing import TIMEFRAMES, ListState, filtered_incidents, is_bare, list_state
from argus.ui.preferences import preferences_of
from argus.ui.views.base import is_read_only, ui_login_required
from argus.util.datetime_utils import is_infinite
from argus.util.ids import MAX_DATABASE_ID, parse_pk

LIVE_IDS_LIMIT = 500
LIST_DIALOGS = [
    ("ack", "Acknowledge"),
    ("close", "Close"),
    ("reopen", "Reopen"),
    ("update-ticket", "Change ticket"),
]
DETAIL_DIALOGS = LIST_DIALOGS + [("add-ticket", "Add ticket URL"), ("autocreate-ticket", "Create ticket")]


def detail_url(pk) -> str:
    return reverse("argus_ui:incident-detail", args=[pk])


def incident_rows(incidents, columns, ctx: RowContext) -> list[dict]:
    rows = []
    for incident in incidents:
        rows.append(
            {
                "pk": incident.pk,
                "cells": cells_html(render_cells(incident, columns, ctx, detail_url(incident.pk))),
                "state": incident_state(incident, ctx.now),
                "acked": bool(getattr(incident, "acked", False)),
                "level": incident.level,
                "start": incident.start_time.isoformat(),
                "url": detail_url(incident.pk),
            }
        )
    return rows


def count_text(count: int, exact: bool) -> str:
    text = f"{count:,}".replace(",", " ")
    return text if exact else f"{text}+"


def _columns_for(prefs, kiosk: bool, read_only: bool):
    columns = layout_columns(prefs.incidents_table_column_name)
    if kiosk or read_only:
        columns = [column for column in columns if column.name != "row_select"]
    return columns


def _page_queryset(state: ListState, filtered, columns, now):
    queryset = incidents_for_representation(paging.annotate_for_sort(filtered, state.sort), now)
    if any(column.needs_events for column in columns):
        queryset = with_events(queryset)
    if any(column.needs_tasks for column in columns):
        queryset = queryset.prefetch_related(queries.linked_tasks_prefetch())
    return queryset


def _remember(request, prefs, state: ListState, kiosk: bool) -> None:
    """Save the page size given in the URL and (without a saved filter) the box, as upstream."""
    changes = {}
    if state.page_size_given and state.page_size != prefs.page_size:
        changes["page_size"] = state.page_size
    if not kiosk and state.saved_filter is None:
        remembered = {}
        for name, value in state.box.params():
            remembered.setdefault(name, []).append(value)
        if remembered != prefs.incident_filter:
            changes["incident_filter"] = remembered
    if changes:
        preferences_update(user=request.user, namespace=conf.PREFERENCES_NAMESPACE, changes=changes)


@require_safe
@ui_login_required
def incident_list(request, kiosk: bool = False):
    prefs = preferences_of(request)
    params = request.GET
    if not kiosk and is_bare(params) and prefs.incident_filter:
        return HttpResponseRedirect(f"{request.path}?{urlencode(prefs.incident_filter, doseq=True)}")
    if params.get("source_name", "").strip():
        return _add_source_by_name(request)
    state = list_state(
        params,
        user=request.user,
        page_size_default=prefs.page_size,
        fixed_page_size=conf.KIOSK_PAGE_SIZE if kiosk else None,
    )
    if kiosk:
        state.cursor_text = ""
    _remember(request, prefs, state, kiosk)
    now = timezone.now()
    errors = list(state.errors)
    filtered = filtered_incidents(state.box, user=request.user, now=now, errors=errors)
    read_only = is_read_only(request)
    columns = _columns_for(prefs, kiosk, read_only)
    page = paging.paginate(
        _page_queryset(state, filtered.queryset, columns, now),
        state.keys,
        state.cursor,
        state.page_size,
        filtered.branches,
    )
    count, exact = filtered.bounded_count(conf.COUNT_LIMIT)
    ctx = RowContext(prefs.dates, now)
    context = {
        "kiosk": kiosk,
        "read_only": read_only,
        "prefs": prefs,
        "state": state,
        "errors": errors,
        "columns": columns,
        "sort_headers": _sort_headers(state, columns),
        "rows": incident_rows(page.rows, columns, ctx),
        "page": page,
        "count": count_text(count, exact),
        "total": count_text(queries.total_incidents(), True),
        "now": now,
        "refreshed": prefs.dates.time(now),
        "saved_filters": list(queries.selectable_filters(request.user)),
        "source_types": list(SourceSystemType.objects.values_list("name", flat=True)),
        "selected_sources": queries.sources_named(state.box.source_ids) if state.box.source_ids else [],
        "levels": Level.choices,
        "event_type_choices": EventType.choices,
        "timeframes": TIMEFRAMES,
        "page_sizes": conf.page_sizes(),
        "update_intervals": conf.update_intervals(),
        "live_params": urlencode(state.params(with_page_size=False)),
        "page_links": _page_links(state, page),
        "filter_hidden": state.view_params(),
        "page_size_hidden": [item for item in state.params() if item[0] not in ("page_size", "cursor")],
        "saved_filter_hidden": [item for item in state.view_params() if item[0] not in ("filter", "box")],
        "kiosk_url": reverse("argus_ui:incident-kiosk") + state.query(with_page_size=False),
        "list_url": reverse("argus_ui:incident-list") + state.query(),
        "view_query": state.query().removeprefix("?"),
        "first_page_url": state.query(),
        "ticket_plugin": bool(settings.TICKET_PLUGIN),
        "this_url": request.get_full_path(),
        "dialog_actions": LIST_DIALOGS,
        "nav": "incidents",
    }
    response = render(request, "argus_ui/incidents/list.html", context)
    if request.htmx:  # the address bar shows the view's canonical URL, not every empty field
        response["HX-Push-Url"] = request.path + state.query()
    return response


def _add_source_by_name(request):
    """No-script helper of the filter box: ``source_name`` becomes a ``sourceSystemIds`` value."""
    params = request.GET.copy()
    name = params.pop("source_name")[-1].strip()
    source = queries.source_by_name(name)
    if source is None:
        messages.error(request, f'No source is named "{name}".')
    elif str(source.pk) not in params.getlist("sourceSystemIds"):
        params.appendlist("sourceSystemIds", str(source.pk))
    params.pop("cursor", None)
    return HttpResponseRedirect(f"{request.path}?{params.urlencode()}")


def _page_links(state: ListState, page: paging.Page) -> dict:
    return {
        "first": state.query() if page.first_cursor is not None else None,
        "previous": state.query(cursor=page.previous_cursor) if page.previous_cursor else None,
        "next": state.query(cursor=page.next_cursor) if page.next_cursor else None,
        "last": state.query(cursor=page.last_cursor) if page.last_cursor else None,
    }


def _sort_headers(state: ListState, columns) -> list[dict]:
    headers = []
    for column in columns:
        sort = {
            "name": column.name,
            "header": column.header,
            "css": column.css,
            "sortable": bool(column.sort),
        }
        if column.sort:
            active = column.sort == state.sort
            sort["url"] = state.sort_query(column.sort)
            sort["aria_sort"] = ("ascending" if state.order == "asc" else "descending") if active else None
        headers.append(sort)
    return headers


@require_safe
@ui_login_required
def incident_rows_live(request):
    """JSON for the live updates of a list page: the rows of ``ids`` rendered with the page's
    columns, whether each still matches the page's filters, and the count after filtering."""
    prefs = preferences_of(request)
    ids = []
    for part in request.GET.get("ids", "").split(","):
        if (pk := parse_pk(part.strip())) is not None:
            ids.append(pk)
    ids = list(dict.fromkeys(ids))[:LIVE_IDS_LIMIT]
    state = list_state(request.GET, user=request.user, page_size_default=prefs.page_size)
    now = timezone.now()
    filtered = filtered_incidents(state.box, user=request.user, now=now)
    kiosk = request.GET.get("kiosk") == "1"
    columns = _columns_for(prefs, kiosk, is_read_only(request))
    incidents = []
    matching = set()
    if ids:
        incidents = list(_page_queryset(state, Incident.objects.filter(pk__in=ids), columns, now))
        matching = set(filtered.all().filter(pk__in=ids).values_list("pk", flat=True))
    rows = incident_rows(incidents, columns, RowContext(prefs.dates, now))
    found = {row["pk"] for row in rows}
    count, exact = filtered.bounded_count(conf.COUNT_LIMIT)
    return JsonResponse(
        {
            "rows": [
                {
                    "pk": row["pk"],
                    "matches": row["pk"] in matching,
                    "start": row["start"],
                    "html": render_to_string(
                        "argus_ui/incidents/_row.html", {"row": row, "matches": row["pk"] in matching}
                    ),
                }
                for row in rows
            ],
            "missing": [pk for pk in ids if pk not in found],
            "count": count_text(count, exact),
            "refreshed": str(prefs.dates.time(now)),
        }
    )


@require_safe
@ui_login_required
def incident_detail(request, pk: int):
    if pk > MAX_DATABASE_ID:
        raise Http404("No such incident.")
    prefs = preferences_of(request)
    now = timezone.now()
    incident = get_object_or_404(
        incidents_for_representation(now=now).prefetch_related(queries.linked_tasks_prefetch()), pk=pk
    )
    try:
        limit = max(conf.EVENTS_PAGE, min(int(request.GET.get("events", conf.EVENTS_PAGE)), 100_000))
    except ValueError:
        limit = conf.EVENTS_PAGE
    events = list(
        events_for_representation(
            Event.objects.filter(incident_id=incident.pk).exclude(type=EventType.ACKNOWLEDGE)
        ).order_by("-timestamp", "-pk")[: limit + 1]
    )
    acks = list(
        acks_for_representation(Acknowledgement.objects.filter(event__incident_id=incident.pk)).order_by(
            "-event__timestamp", "-pk"
        )
    )
    state = incident_state(incident, now)
    context = {
        "incident": incident,
        "prefs": prefs,
        "dates": prefs.dates,
        "now": now,
        "state": state,
        "is_open": state == OPEN,
        "level_text": level_text(incident.level),
        "tags": [relation.tag for relation in incident.incident_tag_relations.all()],
        "events": events[:limit],
        "more_events": len(events) > limit,
        "more_events_url": f"?events={limit + conf.EVENTS_PAGE}",
        "acks": acks,
        "maintenance": [
            {
                "task": task,
                "state": task_state(task, now).value,
                "state_text": TASK_STATE_TEXT[task_state(task, now)],
                "open_ended": is_infinite(task.end_time),
            }
            for task in incident.linked_tasks
        ],
        "duration": _duration(incident, now),
        "read_only": is_read_only(request),
        "ticket_plugin": bool(settings.TICKET_PLUGIN),
        "this_url": request.get_full_path(),
        "dialog_actions": DETAIL_DIALOGS,
        "nav": "incidents",
    }
    return render(request, "argus_ui/incidents/detail.html", context)


def _duration(incident, now):
    if incident.end_time is None:
        return None
    end = now if is_infinite(incident.end_time) else incident.end_time
    return duration_text(end - incident.start_time)


@require_safe
@ui_login_required
def search_tags(request):
    tags = queries.search_tags(request.GET.get("q", ""))
    return JsonResponse({"results": [{"id": tag, "text": tag} for tag in tags]})


@require_safe
@ui_login_required
def search_sources(request):
    sources = queries.search_sources(request.GET.get("q", ""))
    return JsonResponse(
        {"results": [{"id": source.pk, "text": f"{source.name} ({source.type_id})"} for source in sources]}
    )
