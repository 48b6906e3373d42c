from django.apps import AppConfig


class WsConfig(AppConfig):
    name = "argus.ws"
    label = "argus_ws"
    verbose_name = "Argus realtime"
