from django.apps import AppConfig


class IncidentConfig(AppConfig):
    name = "argus.incident"
    label = "argus_incident"
    verbose_name = "Argus_Incident"
    default_auto_field = "django.db.models.AutoField"
