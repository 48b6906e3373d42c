from django.apps import AppConfig
from django.conf import settings
from django.db.models.signals import post_migrate, post_save


class NotificationprofileConfig(AppConfig):
    name = "argus.notificationprofile"
    label = "argus_notificationprofile"
    verbose_name = "Argus_Notificationprofile"
    default_auto_field = "django.db.models.AutoField"

    def ready(self):
        from argus.notificationprofile import checks  # noqa: F401  (registers the system checks)
        from argus.notificationprofile.plugins import sync_media_after_migrate
        from argus.notificationprofile.signals import user_saved

        # Users written outside our services (createsuperuser, a shell): see signals.py.
        post_save.connect(
            user_saved, sender=settings.AUTH_USER_MODEL, dispatch_uid="argus_notificationprofile_user"
        )
        post_migrate.connect(
            sync_media_after_migrate, sender=self, dispatch_uid="argus_notificationprofile_media"
        )
