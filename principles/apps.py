from django.apps import AppConfig


class PrinciplesConfig(AppConfig):
    name = "principles"
    verbose_name = "Principles and frameworks"

    def ready(self) -> None:
        # rules autodiscovers `rules.py` modules only; the predicates live in permissions.py.
        from principles import permissions  # noqa: F401
