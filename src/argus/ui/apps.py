from django.apps import AppConfig


class UiConfig(AppConfig):
    name = "argus.ui"
    label = "argus_ui"
    verbose_name = "Web UI"

    def ready(self):
        from argus.ui import checks  # noqa: F401  (registers the system checks)
