from django.apps import AppConfig


class PlannedMaintenanceConfig(AppConfig):
    name = "argus.plannedmaintenance"
    label = "argus_plannedmaintenance"
    verbose_name = "Argus_Plannedmaintenance"
    default_auto_field = "django.db.models.AutoField"
