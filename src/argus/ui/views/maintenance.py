"""Planned maintenance at /plannedmaintenance/: the Upcoming and Past lists, one task, and for staff
creating, copying, editing, ending and deleting tasks, with a live preview of what the chosen
filters cover.

Every logged-in user reads; writes need ``is_staff`` and not the read-only group (else 403). A
task that ended more than 12 hours ago is history: editing, ending or deleting it is a 403. Every
change goes through :mod:`argus.plannedmaintenance.services`, whose refusals become form errors
or messages.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import prefetch_related_objects
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from argus.plannedmaintenance import services
from argus.plannedmaintenance.choices import TaskState
from argus.plannedmaintenance.coverage import maintenance_preview
from argus.plannedmaintenance.errors import (
    EndTimeNotAfterStartTime,
    EndTimeNotInFuture,
    FiltersNotFound,
    StartTimeLocked,
    TaskNotModifiable,
)
from argus.plannedmaintenance.models import PlannedMaintenanceLink, PlannedMaintenanceTask
from argus.plannedmaintenance.queries import task_is_modifiable, task_state, tasks_for_representation
from argus.ui import queries
from argus.ui.columns import TASK_STATE_TEXT, RowContext, layout_columns
from argus.ui.maintenance_forms import TaskForm
from argus.ui.preferences import preferences_of
from argus.ui.views.base import (
    finished,
    is_read_only,
    render_form,
    safe_next,
    staff_required,
    ui_login_required,
    write_view,
)
from argus.ui.views.incidents import incident_rows
from argus.util.datetime_utils import is_infinite
from argus.util.errors import DomainError
from argus.util.ids import MAX_DATABASE_ID, parse_pk

PAGE_SIZE = 50
PREVIEW_LIMIT = 5
PREVIEW_LAYOUT = "on maintenance"
TABS = {
    "upcoming": ("Upcoming", "No upcoming maintenance tasks"),
    "past": ("Past", "No past maintenance tasks"),
}
#: Where each refusal of the services belongs in the form (others: the form as a whole).
ERROR_FIELDS = {
    EndTimeNotAfterStartTime: "end_time",
    EndTimeNotInFuture: "end_time",
    StartTimeLocked: "start_time",
    FiltersNotFound: "filters",
}


def list_url() -> str:
    return reverse("argus_ui:maintenance")


def can_write(request) -> bool:
    return request.user.is_staff and not is_read_only(request)


def _task(pk: int, queryset=None) -> PlannedMaintenanceTask:
    if pk > MAX_DATABASE_ID:
        raise Http404("No such planned maintenance task.")
    return get_object_or_404(
        queryset if queryset is not None else PlannedMaintenanceTask.objects.all(), pk=pk
    )


def _modifiable_or_403(task: PlannedMaintenanceTask, now=None) -> None:
    if not task_is_modifiable(task, now):
        raise PermissionDenied(TaskNotModifiable().message)


def task_facts(task: PlannedMaintenanceTask, now: datetime.datetime, writer: bool) -> dict:
    """What the lists and the task page show of a task, and which actions it offers."""
    state = task_state(task, now)
    modifiable = task_is_modifiable(task, now)
    return {
        "task": task,
        "state": state.value,
        "state_text": TASK_STATE_TEXT[state],
        "open_ended": is_infinite(task.end_time),
        "filters": [filter_obj.name for filter_obj in task.filters.all()],
        "created_by": task.created_by.get_username() if task.created_by else "-",
        "can_edit": writer and modifiable,
        "can_copy": writer,
        "can_end": writer and modifiable and state == TaskState.CURRENT,
        "can_delete": writer and state == TaskState.FUTURE,
    }


# --- reading ----------------------------------------------------------------------------------------


@require_safe
@ui_login_required
def task_list(request, tab: str = "upcoming"):
    now = timezone.now()
    prefs = preferences_of(request)
    writer = can_write(request)
    page = Paginator(queries.maintenance_tasks(tab, now), PAGE_SIZE).get_page(request.GET.get("page"))
    title, empty = TABS[tab]
    context = {
        "nav": "maintenance",
        "tab": tab,
        "title": title,
        "empty": empty,
        "rows": [task_facts(task, now, writer) for task in page.object_list],
        "page": page,
        "dates": prefs.dates,
        "can_write": writer,
    }
    return render(request, "argus_ui/maintenance/list.html", context)


@require_safe
@ui_login_required
def task_detail(request, pk: int):
    now = timezone.now()
    task = _task(pk, tasks_for_representation())
    writer = can_write(request)
    context = {
        "nav": "maintenance",
        "row": task_facts(task, now, writer),
        "filters": [
            f"{filter_obj.name} ({filter_obj.user.get_username()})"
            for filter_obj in task.filters.select_related("user").order_by("name", "pk")
        ],
        "linked": PlannedMaintenanceLink.objects.filter(task=task).count(),
        "dates": preferences_of(request).dates,
        "can_write": writer,
    }
    return render(request, "argus_ui/maintenance/detail.html", context)


def _percent(part: int, whole: int) -> str:
    if not whole:
        return "0%"
    percent = 100 * part / whole
    if 0 < percent < 1:
        return "<1%"
    return f"{percent:.0f}%"


def preview_context(request, filter_pks) -> dict:
    """The preview of what a task with these filters (pks; unknown ones are left out) covers now."""
    pks = [pk for pk in (parse_pk(str(value).strip()) for value in filter_pks) if pk is not None]
    filters = list(queries.maintenance_filters_named(pks)) if pks else []
    if not filters:
        return {"preview_text": "Select filters to see which open incidents would be covered."}
    now = timezone.now()
    result = maintenance_preview(filters=filters, limit=PREVIEW_LIMIT, now=now)
    if not result["open_incidents"]:
        return {"preview_text": "There are currently no open incidents."}
    if not result["matching"]:
        return {"preview_text": "No open incidents match the selected filters."}
    incidents = result["incidents"]
    prefetch_related_objects(incidents, queries.linked_tasks_prefetch())
    columns = layout_columns(PREVIEW_LAYOUT)
    return {
        "preview_text": f"Covers {result['matching']} open incident(s) "
        f"({_percent(result['matching'], result['open_incidents'])})",
        "preview_columns": columns,
        "preview_rows": incident_rows(incidents, columns, RowContext(preferences_of(request).dates, now)),
        "preview_shown": len(incidents),
    }


@require_safe
@staff_required
def filter_preview(request):
    """The preview as a fragment (the form asks for it whenever the chosen filters change)."""
    return render(
        request,
        "argus_ui/maintenance/_preview.html",
        preview_context(request, request.GET.getlist("filters")),
    )


# --- the form ---------------------------------------------------------------------------------------


def _minute(value: datetime.datetime, tz) -> datetime.datetime:
    """A time as the form shows it: local, to the minute."""
    return value.astimezone(tz).replace(second=0, microsecond=0)


def _form_page(request, *, form, task=None, title, action, status=200):
    context = {
        "nav": "maintenance",
        "form": form,
        "task": task,
        "title": title,
        "action": action,
        "filter_choices": queries.maintenance_filter_choices(request.user),
        "selected_filters": form.selected(),
        "start_locked": "start_time" not in form.fields,
        "dates": preferences_of(request).dates,
        **preview_context(request, sorted(form.selected())),
    }
    return render(request, "argus_ui/maintenance/form.html", context, status=status)


def _add_domain_error(form: TaskForm, error: DomainError) -> None:
    field = ERROR_FIELDS.get(type(error))
    form.add_error(field if field in form.fields else None, error.message)


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
@write_view
def task_create(request):
    tz = preferences_of(request).dates.tz
    with timezone.override(tz):
        if request.method == "POST":
            form = TaskForm(request.POST)
            if form.is_valid():
                data = form.cleaned_data
                try:
                    task = services.task_create(
                        created_by=request.user,
                        filters=data["filters"],
                        start_time=data["start_time"],
                        end_time=data["end_time"],
                        description=data["description"],
                        notify_when_ended=data["notify_when_ended"],
                    )
                except DomainError as error:
                    _add_domain_error(form, error)
                else:
                    return finished(
                        request,
                        next_url=list_url(),
                        notes=[("success", f"Created planned maintenance task #{task.pk}.")],
                    )
            return _form_page(
                request,
                form=form,
                title="New planned maintenance",
                action=request.get_full_path(),
                status=422,
            )
        initial = {"start_time": _minute(timezone.now(), tz), "notify_when_ended": True}
        title = "New planned maintenance"
        if "copy_from" in request.GET:
            pk = parse_pk(request.GET.get("copy_from", "").strip())
            if pk is None:
                raise Http404("No such planned maintenance task to copy.")
            original = _task(pk, tasks_for_representation())
            initial.update(
                description=original.description,
                filters=list(original.filters.all()),
                notify_when_ended=original.notify_when_ended,
            )
            title = f"Copy of planned maintenance #{original.pk}"
        form = TaskForm(initial=initial)
        return _form_page(request, form=form, title=title, action=reverse("argus_ui:maintenance-create"))


def _changes(task: PlannedMaintenanceTask, data: dict, tz) -> dict:
    """What the form changes on the task. Times are compared to the minute, as the form shows them,
    so an untouched time keeps its seconds."""
    changes = {
        "description": data["description"],
        "filters": data["filters"],
        "notify_when_ended": data["notify_when_ended"],
    }
    if "start_time" in data and data["start_time"] != _minute(task.start_time, tz):
        changes["start_time"] = data["start_time"]
    end = data["end_time"]
    if end is None:
        if not is_infinite(task.end_time):
            changes["end_time"] = None
    elif is_infinite(task.end_time) or end != _minute(task.end_time, tz):
        changes["end_time"] = end
    return changes


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
@write_view
def task_update(request, pk: int):
    task = _task(pk, tasks_for_representation())
    now = timezone.now()
    _modifiable_or_403(task, now)
    tz = preferences_of(request).dates.tz
    start_locked = task_state(task, now) != TaskState.FUTURE
    title = f"Edit planned maintenance #{task.pk}"
    action = reverse("argus_ui:maintenance-update", args=[task.pk])
    with timezone.override(tz):
        if request.method == "POST":
            form = TaskForm(request.POST, start_locked=start_locked)
            if form.is_valid():
                try:
                    services.task_update(task=task, data=_changes(task, form.cleaned_data, tz))
                except DomainError as error:
                    _add_domain_error(form, error)
                else:
                    return finished(
                        request,
                        next_url=list_url(),
                        notes=[("success", f"Saved planned maintenance task #{task.pk}.")],
                    )
            return _form_page(request, form=form, task=task, title=title, action=action, status=422)
        initial = {
            "start_time": _minute(task.start_time, tz),
            "end_time": None if is_infinite(task.end_time) else _minute(task.end_time, tz),
            "description": task.description,
            "filters": list(task.filters.all()),
            "notify_when_ended": task.notify_when_ended,
        }
        form = TaskForm(initial=initial, start_locked=start_locked)
        return _form_page(request, form=form, task=task, title=title, action=action)


# --- ending and deleting ------------------------------------------------------------------------------


def _confirm(request, *, task, title, question, action, button):
    context = {
        "nav": "maintenance",
        "title": title,
        "question": question,
        "details": [task.description] if task.description else [],
        "action": action,
        "cancel": list_url(),
        "button": button,
        "hidden": [("next", safe_next(request, list_url()))],
    }
    return render_form(request, "argus_ui/confirm.html", "argus_ui/_confirm_form.html", context)


def _ask_then(request, pk: int, *, change, done: str, title: str, question: str, url_name: str, button: str):
    """A GET asks ``question`` about the task; the POST runs the service ``change`` on it and says
    ``done`` (or the service's refusal) on the page the user came from."""
    task = _task(pk)
    _modifiable_or_403(task)
    if request.method == "POST":
        try:
            change(task=task)
        except DomainError as error:
            notes = [("error", error.message)]
        else:
            notes = [("success", f"{done} planned maintenance task #{task.pk}.")]
        return finished(request, next_url=safe_next(request, list_url()), notes=notes)
    return _confirm(
        request,
        task=task,
        title=title,
        question=question.format(pk=task.pk),
        action=reverse(url_name, args=[task.pk]),
        button=button,
    )


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
@write_view
def task_cancel(request, pk: int):
    """End an ongoing task now (a GET asks first)."""
    return _ask_then(
        request,
        pk,
        change=services.task_end,
        done="Ended",
        title="End planned maintenance",
        question="End planned maintenance task #{pk} now?",
        url_name="argus_ui:maintenance-cancel",
        button="End now",
    )


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
@write_view
def task_delete(request, pk: int):
    """Delete a scheduled task (a GET asks first); started ones are refused with a message."""
    return _ask_then(
        request,
        pk,
        change=services.task_delete,
        done="Deleted",
        title="Delete planned maintenance",
        question="Delete planned maintenance task #{pk}?",
        url_name="argus_ui:maintenance-delete",
        button="Delete",
    )
