from django.apps import AppConfig


class AuthConfig(AppConfig):
    name = "argus.auth"
    label = "argus_auth"
    verbose_name = "Argus_Auth"
    default_auto_field = "django.db.models.AutoField"

    def ready(self):
        from argus.auth import schema  # noqa: F401  (registers the OpenAPI extension)
