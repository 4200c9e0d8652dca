from django.utils.translation import gettext_lazy as _

from concierge.notifications.registry import IN_APP, EventType, register

register(
    EventType(
        key="notifications.test",
        title=_("Test notification"),
        body=_("This is a test notification from Concierge."),
        description=_("A test message you send yourself from the preferences page."),
    )
)
register(
    EventType(
        key="notifications.digest",
        title=_("Your daily summary"),
        channels=(IN_APP,),
        description=_("The daily digest e-mail."),
    )
)
