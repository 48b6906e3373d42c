"""The style guide at /styleguide/: the UI's widgets, for developers.

Public (no login), like upstream's. Every sample is rendered by the code and partial templates the
real pages use (badges and cells by :mod:`argus.ui.columns`, a sources row by
``sources/_row.html``, form fields and their errors by the form partials, toasts by
``_toast.html``, the confirmation by ``_confirm_form.html``), so the guide stays true as they
change. The samples are made in memory: the page reads nothing from the database (a logged-in
visitor's session, user and theme excepted), so it shows no incident, source or user.
"""

from __future__ import annotations

import datetime

from django import forms
from django.contrib.messages import constants as message_levels
from django.contrib.messages.storage.base import Message
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from argus.incident.models import Incident, SourceSystem
from argus.ui.columns import BUILTIN_LAYOUTS, CLOSED, COLUMNS, OPEN, STATELESS, RowContext, column_named
from argus.ui.forms import SourceEditForm
from argus.ui.preferences import preferences_of
from argus.ui.views.incidents import incident_rows
from argus.ui.views.sources import source_row
from argus.util.datetime_utils import INFINITY

MINUTE = datetime.timedelta(minutes=1)


class SampleSourceForm(SourceEditForm):
    """The sources form without the type, whose choices come from the database."""

    type = None


class SampleCheckForm(forms.Form):
    description = forms.CharField(label="Message", max_length=100, help_text="Shown to others.")
    notify = forms.BooleanField(label="Notify me", required=False, help_text="A check box.")


def _sample_source(pk: int, name: str, **fields) -> SourceSystem:
    return SourceSystem(pk=pk, name=name, type_id="sample", base_url=fields.pop("base_url", ""), **fields)


def _sample_incident(pk: int, *, now, level: int, state: str, acked: bool, description: str) -> Incident:
    end_time = {OPEN: INFINITY, CLOSED: now - MINUTE, STATELESS: None}[state]
    incident = Incident(
        pk=pk,
        start_time=now - datetime.timedelta(hours=pk % 5 + 1),
        end_time=end_time,
        level=level,
        description=description,
        source=_sample_source(pk, "sample-source"),
        ticket_url="https://tickets.example.org/42" if acked else "",
    )
    incident.acked = acked  # as the list's query annotates it
    return incident


def _badges(now, ctx) -> dict:
    states = [(OPEN, False), (OPEN, True), (CLOSED, True), (STATELESS, False)]
    incidents = [
        _sample_incident(n, now=now, level=n, state=state, acked=acked, description="")
        for n, (state, acked) in enumerate(states, start=1)
    ]
    levels = [
        _sample_incident(n, now=now, level=n, state=OPEN, acked=False, description="") for n in range(1, 6)
    ]
    return {
        "status": [COLUMNS["status"].render(incident, ctx) for incident in incidents[::2] + incidents[3:]],
        "ack": [COLUMNS["ack"].render(incident, ctx) for incident in incidents[:2]],
        "icons": [COLUMNS["combined_status_icons"].render(incident, ctx) for incident in incidents],
        "levels": [COLUMNS["level"].render(incident, ctx) for incident in levels],
        "compact_levels": [COLUMNS["compact_level"].render(incident, ctx) for incident in levels],
    }


def _source_rows(now) -> list[dict]:
    sources = [
        _sample_source(9001, "sample-off"),
        _sample_source(
            9002, "sample-waiting", heartbeat_frequency=5 * MINUTE, heartbeat_armed_at=now - MINUTE
        ),
        _sample_source(
            9003,
            "sample-alive",
            base_url="https://monitor.example.org/",
            last_seen=now - MINUTE,
            heartbeat_frequency=5 * MINUTE,
            heartbeat_armed_at=now - datetime.timedelta(days=3),
        ),
        _sample_source(
            9004,
            "sample-dead",
            last_seen=now - datetime.timedelta(hours=2),
            heartbeat_frequency=15 * MINUTE,
            heartbeat_armed_at=now - datetime.timedelta(days=3),
        ),
    ]
    tokens = ["Missing", "Valid", "Valid", "Expired"]
    return [
        source_row(source, now=now, token=token, incidents=n % 2 * 3)
        for n, (source, token) in enumerate(zip(sources, tokens, strict=True))
    ]


@require_safe
def styleguide(request):
    now = timezone.now()
    dates = preferences_of(request).dates
    ctx = RowContext(dates, now)
    columns = [column_named(name) for name in BUILTIN_LAYOUTS["built-in"]]
    incidents = [
        _sample_incident(
            1234, now=now, level=2, state=OPEN, acked=False, description="Link down on sw-core-1 port 48"
        ),
        _sample_incident(
            1233, now=now, level=4, state=CLOSED, acked=True, description="Disk 91 % full on db-2"
        ),
    ]
    source_form = SampleSourceForm(
        {"name": "", "base_url": "https://monitor.example.org/", "heartbeat_frequency": "30"}
    )
    check_form = SampleCheckForm({"description": "x" * 101, "notify": "on"})
    source_form.is_valid()
    check_form.is_valid()
    context = {
        "nav": "",
        "dates": dates,
        "badges": _badges(now, ctx),
        "columns": columns,
        "incident_rows": incident_rows(incidents, columns, ctx),
        "source_rows": _source_rows(now),
        "source_form": source_form,
        "check_form": check_form,
        "toasts": [
            Message(message_levels.SUCCESS, 'Saved source "sample-alive".'),
            Message(message_levels.INFO, "Nothing to change."),
            Message(message_levels.WARNING, "Select incidents first (x), or focus one (j, k)."),
            Message(
                message_levels.ERROR, "Cannot delete the source system sample-waiting: it has incidents."
            ),
        ],
        "confirm": {
            "title": "Delete source",
            "question": 'Delete the source "sample-off" and its system user?',
            "details": ["It has no incidents.", "Its API token stops working."],
            "action": "/styleguide/",
            "cancel": "#confirm",
            "button": "Delete",
        },
    }
    return render(request, "argus_ui/styleguide.html", context)
