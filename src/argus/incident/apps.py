from django.apps import AppConfig


class IncidentConfig(AppConfig):
    name = "argus.incident"
    label = "argus_incident"
    verbose_name = "Argus_Incident"
    default_auto_field = "django.db.models.AutoField"

    def ready(self):
        from argus.incident.ticket import checks  # noqa: F401  (registers the TICKET_PLUGIN check)
