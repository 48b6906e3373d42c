from django.apps import AppConfig


class NotificationprofileConfig(AppConfig):
    name = "argus.notificationprofile"
    label = "argus_notificationprofile"
    verbose_name = "Argus_Notificationprofile"
    default_auto_field = "django.db.models.AutoField"
