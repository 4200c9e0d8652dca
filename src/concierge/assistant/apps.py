from django.utils.translation import gettext_lazy as _

from concierge.core.modules import ModuleConfig


class AssistantConfig(ModuleConfig):
    name = "concierge.assistant"
    label = "assistant"
    verbose_name = _("Assistant")
    nav_title = _("Assistant")
    nav_url_name = "assistant:index"
