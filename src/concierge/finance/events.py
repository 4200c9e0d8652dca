"""Finance notification events."""

from datetime import timedelta

from django.utils.translation import gettext_lazy as _

from concierge.notifications.registry import EventType, register

register(
    EventType(
        key="finance.budget_warning",
        # xgettext:no-python-format
        title=_("{{ budget }}: {{ percent }}% of your monthly budget used"),
        body=_(
            "You have spent {{ spent }} of {{ limit }} {{ currency }} this month "
            "({{ month }}). {{ left }} {{ currency }} left."
        ),
        # xgettext:no-python-format
        description=_("A budget reaches a warning threshold (80 % by default)."),
    )
)
register(
    EventType(
        key="finance.budget_exceeded",
        title=_("{{ budget }}: budget reached ({{ percent }}%)"),
        body=_(
            "You have spent {{ spent }} of {{ limit }} {{ currency }} this month ({{ month }})."
        ),
        # xgettext:no-python-format
        description=_("A budget reaches 100 % or more."),
    )
)
register(
    EventType(
        key="finance.budget_forecast",
        title=_("{{ budget }}: at this pace you will cross the limit around the {{ day }}"),
        body=_(
            "Spent so far: {{ spent }} of {{ limit }} {{ currency }}. At the current pace "
            "the month ends at about {{ projected }} {{ currency }}."
        ),
        description=_("A budget is on course to be exceeded before the month ends."),
    )
)
register(
    EventType(
        key="finance.bill_due",
        title=_("{{ name }} is due on {{ due }}"),
        body=_("{{ amount }} {{ currency }} will be recorded from {{ account }}."),
        description=_("A recurring bill is due soon."),
    )
)
register(
    EventType(
        key="finance.record_reminder",
        title=_("Nothing recorded for {{ days }} days"),
        body=_("Take a minute to add your recent expenses, so your budgets stay right."),
        description=_("A reminder when you have recorded nothing for a few days."),
        dedup_window=timedelta(days=1),
    )
)
register(
    EventType(
        key="finance.monthly_report",
        title=_("Your money in {{ month }}"),
        body=_(
            "Income {{ income }}, spending {{ expense }}, saved {{ saved }} {{ currency }}. "
            "Top category: {{ top }}."
        ),
        description=_("A summary of last month, on the 1st."),
    )
)
register(
    EventType(
        key="finance.household_invite",
        title=_("{{ inviter }} invited you to share finances in {{ household }}"),
        body=_(
            "Open the link to accept: shared accounts and budgets only; everything else "
            "stays private."
        ),
        description=_("An invitation to a household."),
    )
)
