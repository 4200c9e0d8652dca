from django.utils.translation import gettext_lazy as _

from concierge.core.modules import DashboardCard, ModuleConfig


class InventoryConfig(ModuleConfig):
    default = True  # apps.py also imports ModuleConfig; without this Django picks neither
    name = "concierge.inventory"
    label = "inventory"
    verbose_name = _("Inventory")
    nav_title = _("Inventory")
    nav_url_name = "inventory:index"
    nav_order = 50

    def visible_to(self, user) -> bool:
        from concierge.inventory.selectors import retail_organisations

        return user.is_authenticated and retail_organisations(user=user).exists()

    def dashboard_cards(self, request) -> list[DashboardCard]:
        from concierge.inventory import selectors

        stores = list(selectors.stores_for(user=request.user))
        if not stores:
            return []
        return [
            DashboardCard(
                title=_("Stock"),
                template="inventory/_dashboard_card.html",
                context={"counts": selectors.alert_counts(stores=stores), "stores": stores},
                order=40,
            )
        ]

    def export_user_data(self, user) -> dict:
        from concierge.inventory.models import Movement

        return {"stock_movements_recorded": Movement.objects.filter(user=user).count()}
