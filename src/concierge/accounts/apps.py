from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "concierge.accounts"
    label = "accounts"
    verbose_name = "Accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from concierge.accounts import audit_hooks  # noqa: F401
