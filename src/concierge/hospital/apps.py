from django.utils.translation import gettext_lazy as _

from concierge.core.modules import ModuleConfig


class HospitalConfig(ModuleConfig):
    name = "concierge.hospital"
    label = "hospital"
    verbose_name = _("Hospital")
    nav_title = _("Hospital")
    nav_url_name = "hospital:index"
