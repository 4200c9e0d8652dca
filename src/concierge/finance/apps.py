from django.utils.translation import gettext_lazy as _

from concierge.core.modules import ModuleConfig


class FinanceConfig(ModuleConfig):
    name = "concierge.finance"
    label = "finance"
    verbose_name = _("Finance")
    nav_title = _("Finance")
    nav_url_name = "finance:index"
