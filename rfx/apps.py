from django.apps import AppConfig


class RfxConfig(AppConfig):
    name = "rfx"
