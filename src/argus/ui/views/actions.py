"""Writes on incidents: acknowledge, close, reopen, ticket (one incident or a selection), tags.

``GET /incidents/update/<action>/?incident_ids=...`` shows the action's form (the page a
no-script browser reaches from the bulk bar or the detail page); ``POST`` to the same URL does it
through the incident services and answers ``303`` back with a message that reports the outcome
per incident ("Closed 3; 2 were already closed; 1 not found"). With htmx the same endpoint
answers with toasts and the ids to re-render (:func:`argus.ui.views.base.done`).
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from argus.incident import services
from argus.incident.choices import EventType
from argus.incident.models import Incident, IncidentTagRelation
from argus.incident.ticket import utils as ticket_utils
from argus.ui import forms
from argus.ui.columns import CLOSED, OPEN, STATELESS, incident_state
from argus.ui.preferences import preferences_of
from argus.ui.views.base import done, safe_next, write_view

LIST_URL = "/incidents/"
SHOWN_IN_FORM = 50


class Action:
    form_class = forms.ConfirmForm
    title = ""
    button = ""

    def __init__(self, request):
        self.request = request

    def make_form(self, data=None, initial=None):
        return self.form_class(data, initial=initial)

    def perform(self, incidents: list[Incident], data: dict) -> list[str]:
        raise NotImplementedError


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


class AckAction(Action):
    form_class = forms.AckForm
    title = "Acknowledge"
    button = "Acknowledge"

    def make_form(self, data=None, initial=None):
        return self.form_class(data, initial=initial, tz=preferences_of(self.request).dates.tz)

    def perform(self, incidents, data):
        services.bulk_acknowledgement_create(
            incidents=incidents,
            actor=self.request.user,
            timestamp=timezone.now(),
            description=data["description"],
            expiration=data.get("expiration"),
        )
        return [f"Acknowledged {len(incidents)}"]


class _StateAction(Action):
    """Close or reopen: only the incidents whose state changes get the event."""

    form_class = forms.MessageForm
    event_type = ""
    acts_on = OPEN
    done_word = ""
    already = ""

    def perform(self, incidents, data):
        now = timezone.now()
        states = {incident.pk: incident_state(incident, now) for incident in incidents}
        todo = [incident for incident in incidents if states[incident.pk] == self.acts_on]
        if todo:
            services.bulk_event_create(
                incidents=todo,
                actor=self.request.user,
                type=self.event_type,
                timestamp=now,
                description=data.get("description", ""),
            )
        already = sum(1 for state in states.values() if state not in (self.acts_on, STATELESS))
        stateless = sum(1 for state in states.values() if state == STATELESS)
        parts = [f"{self.done_word} {len(todo)}"]
        if already:
            parts.append(f"{_plural(already, 'was', 'were')} already {self.already}")
        if stateless:
            parts.append(f"{_plural(stateless, 'is', 'are')} stateless")
        self.changed = todo
        return parts


class CloseAction(_StateAction):
    title = button = "Close"
    event_type = EventType.CLOSE
    acts_on = OPEN
    done_word = "Closed"
    already = "closed"


class ReopenAction(_StateAction):
    title = button = "Reopen"
    event_type = EventType.REOPEN
    acts_on = CLOSED
    done_word = "Reopened"
    already = "open"


class TicketAction(Action):
    form_class = forms.TicketForm
    title = "Change ticket"
    button = "Save ticket URL"

    def perform(self, incidents, data):
        url = data.get("ticket_url") or ""
        todo = [incident for incident in incidents if incident.ticket_url != url]
        if todo:
            services.bulk_set_ticket_url(incidents=todo, actor=self.request.user, ticket_url=url)
        self.changed = todo
        parts = [f"Ticket {'set on' if url else 'removed from'} {len(todo)}"]
        if len(todo) < len(incidents):
            parts.append(f"{_plural(len(incidents) - len(todo), 'was', 'were')} unchanged")
        return parts


class AddTicketAction(TicketAction):
    form_class = forms.AddTicketForm
    title = "Add ticket URL"


class AutoTicketAction(Action):
    title = "Create ticket"
    button = "Create ticket"

    def perform(self, incidents, data):
        if len(incidents) != 1:
            raise ActionError("Create a ticket for one incident at a time.")
        incident = incidents[0]
        if incident.ticket_url:
            self.changed = []
            return [f"Incident {incident.pk} already has a ticket"]
        try:
            ticket_utils.create_automatic_ticket(incident=incident, actor=self.request.user)
        except ticket_utils.AutomaticTicketError as error:
            raise ActionError(error.message) from None
        return [f"Created a ticket for incident {incident.pk}"]


class ActionError(Exception):
    pass


ACTIONS = {
    "ack": AckAction,
    "close": CloseAction,
    "reopen": ReopenAction,
    "update-ticket": TicketAction,
    "add-ticket": AddTicketAction,
    "autocreate-ticket": AutoTicketAction,
}


@require_http_methods(["GET", "HEAD", "POST"])
@write_view
def update_incidents(request, action: str):
    action_class = ACTIONS.get(action)
    if action_class is None or (action == "autocreate-ticket" and not settings.TICKET_PLUGIN):
        return HttpResponseBadRequest("Invalid update action")
    handler = action_class(request)
    source = request.POST if request.method == "POST" else request.GET
    next_url = safe_next(request, LIST_URL)
    form = handler.make_form(source if request.method == "POST" else None, initial={"next": next_url})
    selection = forms.SelectionForm(source)
    ids = selection.cleaned_data["incident_ids"] if selection.is_valid() else []
    if not ids:
        return done(request, next_url=next_url, notes=[("warning", "No incidents were selected.")])
    if request.method == "POST" and form.is_valid():
        by_pk = {incident.pk: incident for incident in Incident.objects.filter(pk__in=ids)}
        incidents = [by_pk[pk] for pk in ids if pk in by_pk]
        handler.changed = incidents
        try:
            parts = (
                handler.perform(incidents, form.cleaned_data)
                if incidents
                else [f"{handler.button}: nothing done"]
            )
        except ActionError as error:
            return done(request, next_url=next_url, notes=[("error", str(error))])
        missing = len(ids) - len(incidents)
        if missing:
            parts.append(f"{missing} not found")
        level = "success" if incidents else "warning"
        return done(
            request,
            next_url=next_url,
            notes=[(level, "; ".join(parts) + ".")],
            changed_ids=[i.pk for i in handler.changed],
        )
    shown = list(Incident.objects.filter(pk__in=ids).order_by("-start_time", "-pk")[:SHOWN_IN_FORM])
    context = {
        "action": action,
        "handler": handler,
        "form": form,
        "ids": ids,
        "shown": shown,
        "hidden_count": max(len(ids) - len(shown), 0),
        "next_url": next_url,
        "form_url": reverse("argus_ui:incident-update", args=[action]),
    }
    template = "argus_ui/incidents/_action_form.html" if request.htmx else "argus_ui/incidents/update.html"
    return render(request, template, context, status=422 if request.method == "POST" else 200)


@require_POST
@write_view
def add_tag(request, pk: int):
    incident = get_object_or_404(Incident, pk=pk)
    next_url = safe_next(request, reverse("argus_ui:incident-detail", args=[pk]))
    form = forms.TagForm(request.POST)
    if not form.is_valid():
        return done(
            request, next_url=next_url, notes=[("error", error) for error in form.errors.get("tag", [])]
        )
    tag = services.incident_tag_add(incident=incident, actor=request.user, tag=form.cleaned_data["tag"])
    return done(
        request, next_url=next_url, notes=[("success", f"Added tag {tag.representation}.")], changed_ids=[pk]
    )


@require_POST
@write_view
def remove_tag(request, pk: int):
    incident = get_object_or_404(Incident, pk=pk)
    next_url = safe_next(request, reverse("argus_ui:incident-detail", args=[pk]))
    key, _, value = request.POST.get("tag", "").partition("=")
    relation = (
        IncidentTagRelation.objects.filter(incident=incident, tag__key=key, tag__value=value)
        .select_related("tag")
        .first()
    )
    if relation is None:
        return done(request, next_url=next_url, notes=[("warning", "The incident has no such tag.")])
    services.incident_tag_remove(incident=incident, tag=relation.tag)
    return done(
        request, next_url=next_url, notes=[("success", f"Removed tag {key}={value}.")], changed_ids=[pk]
    )
