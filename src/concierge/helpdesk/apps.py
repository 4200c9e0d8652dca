from django.utils.translation import gettext_lazy as _

from concierge.core.modules import ModuleConfig


class HelpdeskConfig(ModuleConfig):
    name = "concierge.helpdesk"
    label = "helpdesk"
    verbose_name = _("Helpdesk")
    nav_title = _("Helpdesk")
    nav_url_name = "helpdesk:index"
