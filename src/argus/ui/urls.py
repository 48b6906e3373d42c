"""The UI's paths, mounted at the site root when ``ARGUS_UI`` is on (argus.site.urls)."""

from django.urls import path
from django.views.generic import RedirectView

from argus.ui.views import accounts, actions, incidents, maintenance, notifications, saved_filters, sources, user

app_name = "argus_ui"

urlpatterns = [
    path("", RedirectView.as_view(url="/incidents/", permanent=False), name="home"),
    path("accounts/login/", accounts.LoginView.as_view(), name="login"),
    path("accounts/logout/", accounts.LogoutView.as_view(), name="logout"),
    path("incidents/", incidents.incident_list, name="incident-list"),
    path("incidents/kiosk/", incidents.incident_list, {"kiosk": True}, name="incident-kiosk"),
    path("incidents/rows/", incidents.incident_rows_live, name="incident-rows"),
    path("incidents/search-tags/", incidents.search_tags, name="search-tags"),
    path("incidents/search-sources/", incidents.search_sources, name="search-sources"),
    path("incidents/update/<str:action>/", actions.update_incidents, name="incident-update"),
    path("incidents/<int:pk>/", incidents.incident_detail, name="incident-detail"),
    path("incidents/<int:pk>/tags/add/", actions.add_tag, name="incident-tag-add"),
    path("incidents/<int:pk>/tags/remove/", actions.remove_tag, name="incident-tag-remove"),
    path("incidents/filter-create/", saved_filters.filter_create, name="filter-create"),
    path("incidents/filter/update/<int:pk>/", saved_filters.filter_update, name="filter-update"),
    path("incidents/filter/delete/<int:pk>/", saved_filters.filter_delete, name="filter-delete"),
    path("notifications/", notifications.profile_list, name="profiles"),
    path("notifications/profiles/create/", notifications.profile_create, name="profile-create"),
    path("notifications/profiles/<int:pk>/", notifications.profile_detail, name="profile-detail"),
    path("notifications/profiles/<int:pk>/update/", notifications.profile_update, name="profile-update"),
    path("notifications/profiles/<int:pk>/active/", notifications.profile_set_active, name="profile-active"),
    path("notifications/profiles/<int:pk>/delete/", notifications.profile_delete, name="profile-delete"),
    path("notifications/timeslots/", notifications.timeslot_list, name="timeslots"),
    path("notifications/timeslots/create/", notifications.timeslot_create, name="timeslot-create"),
    path("notifications/timeslots/<int:pk>/update/", notifications.timeslot_update, name="timeslot-update"),
    path("notifications/timeslots/<int:pk>/delete/", notifications.timeslot_delete, name="timeslot-delete"),
    path("notifications/destinations/", notifications.destination_list, name="destinations"),
    path("notifications/destinations/create/", notifications.destination_create, name="destination-create"),
    path(
        "notifications/destinations/<int:pk>/update/",
        notifications.destination_update,
        name="destination-update",
    ),
    path(
        "notifications/destinations/<int:pk>/delete/",
        notifications.destination_delete,
        name="destination-delete",
    ),
    path("user/", user.preferences_page, name="preferences"),
    path("user/update/<str:namespace>/", user.update_preferences, name="preferences-update"),
    path("user/incident-table-preview/", user.table_preview, name="table-preview"),
    path("plannedmaintenance/", maintenance.task_list, name="maintenance"),
    path("plannedmaintenance/upcoming/", maintenance.task_list, name="maintenance-upcoming"),
    path("plannedmaintenance/past/", maintenance.task_list, {"tab": "past"}, name="maintenance-past"),
    path("plannedmaintenance/create/", maintenance.task_create, name="maintenance-create"),
    path("plannedmaintenance/filter-preview/", maintenance.filter_preview, name="maintenance-preview"),
    path("plannedmaintenance/<int:pk>/", maintenance.task_detail, name="maintenance-detail"),
    path("plannedmaintenance/<int:pk>/update/", maintenance.task_update, name="maintenance-update"),
    path("plannedmaintenance/<int:pk>/cancel/", maintenance.task_cancel, name="maintenance-cancel"),
    path("plannedmaintenance/<int:pk>/delete/", maintenance.task_delete, name="maintenance-delete"),
    path("sources/", sources.source_list, name="sources"),
    path("sources/create/", sources.source_create, name="source-create"),
    path("sources/<int:pk>/update/", sources.source_update, name="source-update"),
    path("sources/<int:pk>/token/", sources.source_token, name="source-token"),
    path("sources/<int:pk>/delete/", sources.source_delete, name="source-delete"),
    path("sources/types/", sources.type_list, name="source-types"),
    path("sources/types/create/", sources.type_create, name="source-type-create"),
]
