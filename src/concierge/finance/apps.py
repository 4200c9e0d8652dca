from django.utils.translation import gettext_lazy as _

from concierge.core.modules import DashboardCard, ModuleConfig


class FinanceConfig(ModuleConfig):
    default = True  # apps.py also imports ModuleConfig; without this Django picks neither
    name = "concierge.finance"
    label = "finance"
    verbose_name = _("Finance")
    nav_title = _("Finance")
    nav_url_name = "finance:index"
    nav_icon = "bi-wallet2"
    nav_order = 10

    def dashboard_cards(self, request) -> list[DashboardCard]:
        from concierge.finance import selectors
        from concierge.finance.services import month_start, today_for

        user = request.user
        if not user.is_authenticated:
            return []
        month = month_start(today_for(user))
        income, expense = selectors.month_totals(user=user, month=month)
        statuses = selectors.budget_statuses(user=user, month=month)[:3]
        return [
            DashboardCard(
                title=str(_("Money this month")),
                template="finance/_card.html",
                order=10,
                context={
                    "income": income,
                    "expense": expense,
                    "statuses": statuses,
                    "currency": user.currency,
                },
            )
        ]

    def export_user_data(self, user) -> dict:
        from concierge.finance import selectors

        return selectors.export_data(user=user)

    def on_account_deleted(self, user) -> None:
        from concierge.finance import services

        services.delete_all_for(user=user)
