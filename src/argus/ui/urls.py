"""The UI's paths, mounted at the site root when ``ARGUS_UI`` is on (argus.site.urls)."""

from django.urls import path
from django.views.generic import RedirectView

from argus.ui.views import accounts, actions, incidents, sources, user

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
    path("user/", user.preferences_page, name="preferences"),
    path("user/update/<str:namespace>/", user.update_preferences, name="preferences-update"),
    path("user/incident-table-preview/", user.table_preview, name="table-preview"),
    path("sources/", sources.source_list, name="sources"),
    path("sources/create/", sources.source_create, name="source-create"),
    path("sources/<int:pk>/update/", sources.source_update, name="source-update"),
    path("sources/<int:pk>/token/", sources.source_token, name="source-token"),
    path("sources/types/", sources.type_list, name="source-types"),
    path("sources/types/create/", sources.type_create, name="source-type-create"),
]
