import importlib

from django.apps import AppConfig, apps


class NotificationsConfig(AppConfig):
    name = "concierge.notifications"
    label = "notifications"
    verbose_name = "Notifications"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Each app declares its notification events in `events.py`.
        for config in apps.get_app_configs():
            if config.name.startswith("concierge."):
                try:
                    importlib.import_module(f"{config.name}.events")
                except ModuleNotFoundError as exc:
                    if exc.name != f"{config.name}.events":
                        raise
