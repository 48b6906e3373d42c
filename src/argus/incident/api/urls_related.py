"""URL patterns of the incident sub-resources.

Mounted before the incident patterns, so ``sources/``, ``events/``, ``acks/bulk/`` etc. win over
``<pk>/``. Lookups accept any segment without ``/`` or ``.`` (as DRF routers do): a pk that is not
an integer answers ``404 {"detail": "Not found."}``, not Django's HTML page.
"""

from django.urls import path, re_path

from argus.incident.api import views_liveness
from argus.incident.api import views_related as views

PK = r"(?P<pk>[^/.]+)"
INCIDENT_PK = r"(?P<incident_pk>[^/.]+)"

_common = [
    re_path(r"^sources/$", views.SourceSystemListView.as_view(), name="sourcesystem-list"),
    re_path(rf"^sources/{PK}/$", views.SourceSystemDetailView.as_view(), name="sourcesystem-detail"),
    re_path(r"^source-types/$", views.SourceSystemTypeListView.as_view(), name="sourcesystemtype-list"),
    re_path(
        r"^source-types/(?P<name>[^/.]+)/$",
        views.SourceSystemTypeDetailView.as_view(),
        name="sourcesystemtype-detail",
    ),
    re_path(rf"^{INCIDENT_PK}/events/$", views.IncidentEventListView.as_view(), name="incident-events"),
    re_path(rf"^{INCIDENT_PK}/events/{PK}/$", views.IncidentEventDetailView.as_view(), name="incident-event"),
    re_path(rf"^{INCIDENT_PK}/acks/$", views.IncidentAckListView.as_view(), name="incident-acks"),
    re_path(rf"^{INCIDENT_PK}/acks/{PK}/$", views.IncidentAckDetailView.as_view(), name="incident-ack"),
    re_path(rf"^{INCIDENT_PK}/tags/$", views.IncidentTagListView.as_view(), name="incident-tags"),
    path("<str:incident_pk>/tags/<path:tag>/", views.IncidentTagDetailView.as_view(), name="incident-tag"),
]

v1_patterns = list(_common)

v2_patterns = [
    # Before sources/<pk>/, which would take these names as a pk (v1 keeps that 1.37 answer).
    re_path(r"^sources/heartbeat/$", views_liveness.HeartbeatView.as_view(), name="sourcesystem-heartbeat"),
    re_path(r"^sources/liveness/$", views_liveness.LivenessView.as_view(), name="sourcesystem-liveness"),
    re_path(r"^events/$", views.EventListView.as_view(), name="event-list"),
    re_path(r"^events/bulk/$", views.BulkEventView.as_view(), name="incident-events-bulk"),
    re_path(r"^acks/bulk/$", views.BulkAckView.as_view(), name="incident-acks-bulk"),
    re_path(r"^ticket_url/bulk/$", views.BulkTicketUrlView.as_view(), name="incident-ticket-url-bulk"),
    re_path(
        rf"^{INCIDENT_PK}/automatic-ticket/$",
        views.AutomaticTicketView.as_view(),
        name="incident-automatic-ticket",
    ),
    *_common,
]
