"""URL patterns of the incident endpoints.

Mounted after ``urls_related`` (events, acks, tags, sources, bulk...) by ``v1/urls.py`` and
``v2/urls.py``. The ``<pk>`` segment accepts anything without ``/`` or ``.`` (like a DRF router), so
``/api/v2/incidents/open/`` and non-numeric pks answer a JSON ``{"detail": "Not found."}``.
"""

from django.urls import path, re_path

from .views_incidents import (
    V1,
    V2,
    IncidentDetailV1View,
    IncidentDetailView,
    IncidentListV1View,
    IncidentListView,
    IncidentTicketUrlView,
    MyIncidentsV1View,
    MyIncidentsView,
    OpenIncidentsView,
    OpenUnackedIncidentsView,
    SourceSystemMetadataView,
)

PK = r"(?P<pk>[^/.]+)"


def _common_patterns(version: str) -> list:
    v1 = version == V1
    list_view = IncidentListV1View if v1 else IncidentListView
    mine_view = MyIncidentsV1View if v1 else MyIncidentsView
    detail_view = IncidentDetailV1View if v1 else IncidentDetailView
    return [
        path("", list_view.as_view(), name="incident-list"),
        path("mine/", mine_view.as_view(), name="incident-mine"),
        re_path(rf"^{PK}/$", detail_view.as_view(), name="incident-detail"),
        re_path(rf"^{PK}/ticket_url/$", IncidentTicketUrlView.as_view(), name="incident-ticket-url"),
    ]


v1_patterns = [
    path("open/", OpenIncidentsView.as_view(), name="incident-open"),
    path("open+unacked/", OpenUnackedIncidentsView.as_view(), name="incident-open-unacked"),
    # The path the OpenAPI document shows (it cannot show "+"), so clients generated from it work.
    path("openunacked/", OpenUnackedIncidentsView.as_view(), name="incident-openunacked"),
    path("metadata/", SourceSystemMetadataView.as_view(), name="incident-metadata"),
    *_common_patterns(V1),
]
v2_patterns = _common_patterns(V2)
