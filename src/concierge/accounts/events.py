from django.utils.translation import gettext_lazy as _

from concierge.notifications.registry import EventType, register

register(
    EventType(
        key="accounts.new_sign_in",
        title=_("New sign-in to your account"),
        body=_(
            "Someone signed in to your Concierge account from {{ browser }} at {{ when }}"
            " (IP {{ ip }}). If this was you, there is nothing to do. If not, change your"
            " password now and turn on two-factor authentication."
        ),
        mandatory=True,
        digestible=False,
        description=_("Security notice when your account is used from a new browser."),
    )
)
