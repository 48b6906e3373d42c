"""The delivery log in the admin: who was notified of which event, how, when, and what came of it.

Read-only (the records are the workers'); failed deliveries can be sent again. The table grows
with every notification, so the list never counts more than :data:`COUNT_LIMIT` rows and the
incident page shows a count and a link, never the rows themselves.
"""

from __future__ import annotations

import re
import uuid

from django.contrib import admin, messages
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.html import format_html

from argus.notificationprofile.deliveries import deliveries_retry
from argus.notificationprofile.dispatch import wake_workers
from argus.notificationprofile.models import Delivery

#: Lists and counts stop counting here ("10000+").
COUNT_LIMIT = 10000
#: A delivery's id as shown here, or as the ``Message-ID`` header of its mail (``<id@domain>``).
MESSAGE_ID = re.compile(r"<?(?P<uuid>[0-9a-fA-F]{8}-?(?:[0-9a-fA-F]{4}-?){3}[0-9a-fA-F]{12})(?:@[^>\s]*)?>?")


class CappedCountPaginator(Paginator):
    """Counts at most ``COUNT_LIMIT + 1`` rows: a ``COUNT(*)`` of millions on every page is not worth it."""

    @cached_property
    def count(self):
        return self.object_list[: COUNT_LIMIT + 1].count()


def capped_count(queryset: QuerySet) -> str:
    count = queryset[: COUNT_LIMIT + 1].count()
    return f"{COUNT_LIMIT}+" if count > COUNT_LIMIT else str(count)


def incident_deliveries_link(incident) -> str:
    """ "3 deliveries (1 failed)" linking to the incident's part of the delivery log."""
    if incident is None or incident.pk is None:
        return "-"
    deliveries = Delivery.objects.filter(event__incident_id=incident.pk)
    total = capped_count(deliveries)
    failed = deliveries.filter(state=Delivery.State.FAILED).count()
    pending = deliveries.filter(state=Delivery.State.PENDING).count()
    url = reverse("admin:argus_notificationprofile_delivery_changelist") + f"?incident={incident.pk}"
    notes = [f"{number} {label}" for number, label in ((failed, "failed"), (pending, "pending")) if number]
    extra = f" ({', '.join(notes)})" if notes else ""
    return format_html('<a href="{}">{} notification deliveries{}</a>', url, total, extra)


class IncidentFilter(admin.SimpleListFilter):
    """``?incident=<pk>``: the deliveries about one incident's events (the incident page links here)."""

    title = "incident"
    parameter_name = "incident"

    def lookups(self, request, model_admin):
        value = self.value()
        return [(value, f"#{value}")] if value else []

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        if not value.isdigit():
            return queryset.none()
        return queryset.filter(event__incident_id=int(value))


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "incident_link",
        "event_type",
        "medium",
        "address",
        "recipients",
        "state",
        "attempts",
        "sent_at",
        "short_error",
    ]
    list_filter = ["state", "medium", IncidentFilter, "created_at"]
    search_fields = ["address", "recipients"]
    search_help_text = (
        "An address (a phone number with its +) or username; an incident id; a message id or a "
        "mail's Message-ID header."
    )
    list_select_related = ["event"]
    ordering = ["-created_at", "-id"]
    paginator = CappedCountPaginator
    show_full_result_count = False
    list_per_page = 100
    actions = ["send_again"]
    fields = [
        "incident_link",
        "event",
        "medium",
        "address",
        "recipients",
        "destination_ids",
        "state",
        "attempts",
        "created_at",
        "last_attempt_at",
        "sent_at",
        "due_at",
        "last_error",
        "message_id",
    ]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if term.isdigit():  # an incident id (a phone number is searched with its "+")
            return queryset.filter(event__incident_id=int(term)), False
        message_id = MESSAGE_ID.fullmatch(term)
        if message_id:
            return queryset.filter(message_id=uuid.UUID(message_id["uuid"])), False
        return super().get_search_results(request, queryset, search_term)

    def has_send_again_permission(self, request):
        return request.user.has_perm("argus_notificationprofile.change_delivery")

    @admin.display(description="Incident", ordering="event__incident_id")
    def incident_link(self, delivery):
        url = reverse("admin:argus_incident_incident_change", args=[delivery.event.incident_id])
        return format_html('<a href="{}">#{}</a>', url, delivery.event.incident_id)

    @admin.display(description="Event")
    def event_type(self, delivery):
        return delivery.event.get_type_display()

    @admin.display(description="Last error")
    def short_error(self, delivery):
        error = delivery.last_error
        return error if len(error) <= 80 else error[:79] + "…"

    @admin.action(description="Send the selected failed deliveries again", permissions=["send_again"])
    def send_again(self, request, queryset):
        count = deliveries_retry(
            ids=queryset.filter(state=Delivery.State.FAILED).values_list("pk", flat=True)
        )
        if count:
            wake_workers()
        self.message_user(request, f"{count} failed deliveries will be sent again.", messages.SUCCESS)
