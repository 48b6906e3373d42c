"""The incident table's columns and column layouts.

Each column renders its cell in Python (a page of 100 rows x 8 columns stays cheap); the row
template only places the cells. Only the first linking column of a layout holds a real link to the
incident, so a keyboard user meets one tab stop per row, not eight; the whole row is clickable
with a pointer when scripts run.

Layouts: the built-in ones below, replaced or extended by ``INCIDENT_TABLE_COLUMN_LAYOUTS``
(name -> column names); ``INCIDENT_TABLE_COLUMNS`` (a list) becomes layout ``default`` and the
default layout. An unknown column name is a system check error (:mod:`argus.ui.checks`).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from argus.incident.models import Incident
from argus.incident.queries import incident_is_acked
from argus.plannedmaintenance.choices import TaskState
from argus.plannedmaintenance.queries import task_state
from argus.ui.formatting import DateFormatter, level_name, level_text
from argus.util.datetime_utils import is_infinite

OPEN, CLOSED, STATELESS = "open", "closed", "stateless"


def incident_state(incident: Incident, now: datetime.datetime) -> str:
    if incident.end_time is None:
        return STATELESS
    return OPEN if incident.end_time > now else CLOSED


STATE_TEXT = {OPEN: "Open", CLOSED: "Closed", STATELESS: "Stateless"}
STATE_ICON = {OPEN: "●", CLOSED: "○", STATELESS: "◆"}


@dataclass(frozen=True)
class RowContext:
    dates: DateFormatter
    now: datetime.datetime


def icon(symbol: str, label: str, css: str = "") -> SafeString:
    """A symbol with an accessible name (never meaning by colour or shape alone)."""
    return format_html(
        '<span class="icon {}" role="img" aria-label="{}" title="{}">{}</span>', css, label, label, symbol
    )


def badge(text: str, css: str = "") -> SafeString:
    return format_html('<span class="badge {}">{}</span>', css, text)


# --- cells -----------------------------------------------------------------------------------------


def _color_status(incident, ctx):
    state = incident_state(incident, ctx.now)
    acked = "acked" if incident_is_acked(incident, ctx.now) else "unacked"
    label = f"{STATE_TEXT[state]}, {'acknowledged' if acked == 'acked' else 'not acknowledged'}, level {incident.level}"
    return format_html(
        '<span class="strip strip-{} strip-level-{} strip-{}" role="img" aria-label="{}" title="{}"></span>',
        state,
        incident.level,
        acked,
        label,
        label,
    )


def _row_select(incident, ctx):
    return format_html(
        '<input type="checkbox" name="incident_ids" value="{}" form="bulk-form" class="row-select" '
        'aria-label="Select incident {}: {}">',
        incident.pk,
        incident.pk,
        incident.description,
    )


def _id(incident, ctx):
    return str(incident.pk)


def _start_time(incident, ctx):
    return ctx.dates.time(incident.start_time)


def _age(incident, ctx):
    return ctx.dates.age(incident.start_time, incident.end_time, ctx.now)


def _start_time_and_age(incident, ctx):
    return format_html('{}<br><span class="muted">{}</span>', _start_time(incident, ctx), _age(incident, ctx))


def _end_time(incident, ctx):
    if incident.end_time is None:
        return "Stateless"
    if is_infinite(incident.end_time):
        return "Open"
    return ctx.dates.time(incident.end_time)


def _status(incident, ctx):
    state = incident_state(incident, ctx.now)
    return badge(STATE_TEXT[state], f"state-{state}")


def _status_icon(incident, ctx):
    state = incident_state(incident, ctx.now)
    return icon(STATE_ICON[state], STATE_TEXT[state], f"state-{state}")


def _ack(incident, ctx):
    if incident_is_acked(incident, ctx.now):
        return badge("Acked", "acked")
    return badge("Unacked", "unacked")


def _ack_icon(incident, ctx):
    if incident_is_acked(incident, ctx.now):
        return icon("✓", "Acknowledged", "acked")
    return icon("!", "Not acknowledged", "unacked")


def _combined_status(incident, ctx):
    return format_html("{} {}", _status(incident, ctx), _ack(incident, ctx))


def _combined_status_icons(incident, ctx):
    return format_html("{} {}", _status_icon(incident, ctx), _ack_icon(incident, ctx))


def _level(incident, ctx):
    return format_html('<span class="level level-{}">{}</span>', incident.level, level_text(incident.level))


def _compact_level(incident, ctx):
    return format_html(
        '<span class="level level-{}" title="{}">{}</span>',
        incident.level,
        level_name(incident.level),
        incident.level,
    )


def _source(incident, ctx):
    return incident.source.name


def _source_type(incident, ctx):
    return incident.source.type_id


def _description(incident, ctx):
    return incident.description


def _ticket(incident, ctx):
    if not incident.ticket_url:
        return icon("–", "No ticket", "muted")
    return format_html(
        '<a href="{}" target="_blank" rel="noopener noreferrer" class="ticket-link">'
        '<span aria-hidden="true">🎫</span><span class="visually-hidden">Ticket of incident {}</span></a>',
        incident.ticket_url,
        incident.pk,
    )


def _tags(incident, ctx):
    relations = incident.incident_tag_relations.all()
    return format_html_join(
        " ", '<span class="badge tag">{}={}</span>', ((r.tag.key, r.tag.value) for r in relations)
    )


def _events(incident, ctx):
    events = getattr(incident, "prefetched_events", None)
    if events is None:
        return ""
    return format_html_join(
        " ",
        '<span class="badge event" title="{}: {}">{}</span>',
        ((event.get_type_display(), event.description, event.type) for event in events),
    )


TASK_STATE_TEXT = {TaskState.FUTURE: "Scheduled", TaskState.CURRENT: "Ongoing", TaskState.PAST: "Completed"}


def _task_window(task, ctx):
    end = "now" if is_infinite(task.end_time) else ctx.dates.time(task.end_time)
    return format_html("{} to {}", ctx.dates.time(task.start_time), end)


def _under_maintenance(incident, ctx):
    """ "<n> task(s)" opening the list of the maintenance tasks the incident is linked to."""
    tasks = getattr(incident, "linked_tasks", None)
    if not tasks:
        return "-"
    items = format_html_join(
        "",
        '<li><a href="/plannedmaintenance/{}/">#{}{}</a> <span class="task-window">{}</span> '
        '<span class="badge task-{}">{}</span></li>',
        (
            (
                task.pk,
                task.pk,
                f": {task.description}" if task.description else "",
                _task_window(task, ctx),
                state.value,
                TASK_STATE_TEXT[state],
            )
            for task in tasks
            for state in [task_state(task, ctx.now)]
        ),
    )
    count = len(tasks)
    return format_html(
        '<details class="linked-tasks"><summary>{} task{}<span class="visually-hidden"> of planned '
        "maintenance</span></summary><ul>{}</ul></details>",
        count,
        "" if count == 1 else "s",
        items,
    )


def _links(incident, ctx):
    return ""


@dataclass(frozen=True)
class Column:
    name: str
    header: str
    render: Callable[[Incident, RowContext], object]
    sort: str | None = None
    link: bool = False
    needs_events: bool = False
    needs_tasks: bool = False
    css: str = ""


COLUMNS = {
    column.name: column
    for column in [
        Column("color_status", "State colour", _color_status, css="col-strip"),
        Column("row_select", "Selected", _row_select, css="col-select"),
        Column("id", "ID", _id, sort="pk", link=True, css="col-narrow"),
        Column("start_time", "Start time", _start_time, sort="start_time", link=True),
        Column(
            "narrow_start_time", "Start time", _start_time, sort="start_time", link=True, css="col-narrow"
        ),
        Column("age", "Age", _age, sort="start_time", link=True),
        Column("start_time_and_age", "Start time", _start_time_and_age, sort="start_time", link=True),
        Column(
            "narrow_start_time_and_age",
            "Start time",
            _start_time_and_age,
            sort="start_time",
            link=True,
            css="col-narrow",
        ),
        Column("end_time", "End time", _end_time, sort="end_time", link=True),
        Column("narrow_end_time", "End time", _end_time, sort="end_time", link=True, css="col-narrow"),
        Column("status", "Status", _status, sort="end_time", link=True),
        Column("status_icon", "Status", _status_icon, sort="end_time", link=True, css="col-narrow"),
        Column("ack", "Ack", _ack, link=True),
        Column("ack_icon", "Ack", _ack_icon, link=True, css="col-narrow"),
        Column("combined_status", "Status", _combined_status, sort="end_time", link=True),
        Column(
            "combined_status_icons",
            "Status",
            _combined_status_icons,
            sort="end_time",
            link=True,
            css="col-narrow",
        ),
        Column("level", "Severity level", _level, sort="level"),
        Column("compact_level", "Severity", _compact_level, sort="level", css="col-narrow"),
        Column("source", "Source", _source, sort="source__name", link=True),
        Column("source_type", "Source Type", _source_type, sort="source__type__name", link=True),
        Column("description", "Description", _description, sort="description", link=True, css="col-wide"),
        Column("ticket", "Ticket", _ticket, sort="ticket_url", css="col-narrow"),
        Column("tags", "Tags", _tags, link=True),
        Column("events", "Events", _events, link=True, needs_events=True),
        Column("under_maintenance", "Maintenance", _under_maintenance, needs_tasks=True),
        Column("links", "Actions", _links),
    ]
}

# Upstream's column names with a filter widget in the header: here the filter box holds those
# filters, and the column shows what its plain twin shows.
ALIASES = {
    "search_id": "id",
    "select_levels": "level",
    "compact_select_levels": "compact_level",
    "search_description": "description",
    "has_ticket_url": "ticket",
    "search_ticket_url": "ticket",
    "is_under_maintenance": "under_maintenance",
}

BUILTIN_LAYOUTS = {
    "built-in": ["row_select", "start_time", "combined_status", "level", "source", "description", "ticket"],
    "notifications": ["status_icon", "ack_icon", "level", "source_type", "source", "tags", "events"],
    "on maintenance": [
        "start_time",
        "level",
        "source_type",
        "source",
        "description",
        "tags",
        "is_under_maintenance",
    ],
}


def column_named(name: str) -> Column | None:
    return COLUMNS.get(ALIASES.get(name, name))


def layouts() -> dict[str, list[str]]:
    result = {name: list(columns) for name, columns in BUILTIN_LAYOUTS.items()}
    legacy = settings.INCIDENT_TABLE_COLUMNS
    if legacy:
        result["default"] = list(legacy)
    result.update(
        {name: list(columns) for name, columns in (settings.INCIDENT_TABLE_COLUMN_LAYOUTS or {}).items()}
    )
    return result


def default_layout_name() -> str:
    return "default" if settings.INCIDENT_TABLE_COLUMNS else "built-in"


def unknown_columns(names) -> list[str]:
    return [name for name in names if column_named(name) is None]


def layout_columns(name: str | None) -> list[Column]:
    """The columns of a layout (the default one for an unknown name); unknown columns are skipped."""
    all_layouts = layouts()
    names = (
        all_layouts.get(name or "") or all_layouts.get(default_layout_name()) or BUILTIN_LAYOUTS["built-in"]
    )
    return [column for column in (column_named(n) for n in names) if column is not None]


def render_cells(
    incident: Incident, columns: list[Column], ctx: RowContext, detail_url: str
) -> list[SafeString]:
    """The ``<td>`` elements of one row; the first linking column links to ``detail_url``."""
    cells = []
    linked = False
    for column in columns:
        content = column.render(incident, ctx)
        if column.link and not linked:
            content = format_html('<a href="{}" class="row-link">{}</a>', detail_url, content)
            linked = True
        cells.append(format_html('<td class="{}" data-col="{}">{}</td>', column.css, column.name, content))
    return cells


def cells_html(cells: list[SafeString]) -> SafeString:
    return mark_safe("".join(cells))
