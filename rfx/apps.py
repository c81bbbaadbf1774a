from django.apps import AppConfig


class RfxConfig(AppConfig):
    name = "rfx"
    verbose_name = "RFx"

    def ready(self) -> None:
        from rfx import permissions  # noqa: F401
