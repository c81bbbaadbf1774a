from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "assessments"

    def ready(self) -> None:
        # The object permissions live in permissions.py; register them at start-up.
        from assessments import permissions  # noqa: F401
