from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts and organisations"

    def ready(self) -> None:
        # rules autodiscovers `rules.py` modules only; the predicates live in permissions.py.
        from accounts import permissions  # noqa: F401
