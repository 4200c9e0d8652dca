"""How a module plugs into the shell: navigation, dashboard cards, demo data, WebSockets,
personal-data export and account deletion. Each module's AppConfig subclasses ModuleConfig."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.apps import AppConfig, apps

if TYPE_CHECKING:
    from django.http import HttpRequest

    from concierge.accounts.models import User


@dataclass(frozen=True)
class DashboardCard:
    """One card on the home dashboard, rendered from `template` with `context`."""

    title: str
    template: str
    context: dict[str, Any] = field(default_factory=dict)
    order: int = 50


class ModuleConfig(AppConfig):
    """Base AppConfig for the five modules. Override what the module offers."""

    default_auto_field = "django.db.models.BigAutoField"
    nav_title: str = ""
    nav_url_name: str = ""
    nav_icon: str = "bi-grid"
    nav_order: int = 50

    def __init_subclass__(cls, **kwargs):
        # A module's apps.py imports ModuleConfig too; marking the module's own subclass as the
        # default makes Django pick it rather than silently falling back to a plain AppConfig.
        super().__init_subclass__(**kwargs)
        cls.default = True

    def visible_to(self, user: User) -> bool:
        """Whether the module appears in this user's navigation."""
        return user.is_authenticated

    def dashboard_cards(self, request: HttpRequest) -> list[DashboardCard]:
        return []

    def seed_demo(self, *, stdout) -> None:
        """Create demo data; must be idempotent. Default: call <module>.seed.run()."""
        try:
            seed = importlib.import_module(f"{self.name}.seed")
        except ModuleNotFoundError as exc:
            if exc.name == f"{self.name}.seed":
                return
            raise
        seed.run(stdout=stdout)

    def export_user_data(self, user: User) -> dict[str, Any]:
        """Everything this module holds about `user`, as JSON-ready data."""
        return {}

    def on_account_deleted(self, user: User) -> None:
        """Delete or anonymise this module's personal data for a user who deletes the account.
        Records that others rely on (tickets, stays, movements) must be kept."""


def module_configs() -> list[ModuleConfig]:
    configs = [c for c in apps.get_app_configs() if isinstance(c, ModuleConfig)]
    return sorted(configs, key=lambda c: (c.nav_order, c.label))


def websocket_urlpatterns() -> list:
    """Collect `websocket_urlpatterns` from every Concierge app's routing.py."""
    patterns: list = []
    for config in apps.get_app_configs():
        if not config.name.startswith("concierge."):
            continue
        try:
            routing = importlib.import_module(f"{config.name}.routing")
        except ModuleNotFoundError as exc:
            if exc.name == f"{config.name}.routing":
                continue
            raise
        patterns.extend(getattr(routing, "websocket_urlpatterns", []))
    return patterns
