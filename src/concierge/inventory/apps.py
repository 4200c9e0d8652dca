from django.utils.translation import gettext_lazy as _

from concierge.core.modules import ModuleConfig


class InventoryConfig(ModuleConfig):
    name = "concierge.inventory"
    label = "inventory"
    verbose_name = _("Inventory")
    nav_title = _("Inventory")
    nav_url_name = "inventory:index"
