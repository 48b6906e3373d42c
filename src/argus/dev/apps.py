from django.apps import AppConfig


class DevConfig(AppConfig):
    name = "argus.dev"
    label = "dev"
    verbose_name = "Argus development and operations commands"
