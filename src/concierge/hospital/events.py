"""Notification events of the hospital module (in-app and e-mail through notify())."""

from django.utils.translation import gettext_lazy as _

from concierge.notifications.registry import IN_APP, EventType, register

register(
    EventType(
        key="hospital.bed_held",
        title=_("A bed is held for {{ patient }} at {{ hospital }}"),
        body=_(
            "Bed {{ bed }} ({{ ward }}) is held for {{ patient }} until {{ held_until }}."
            " Please reach the hospital before then; the ward will confirm your booking."
        ),
        digestible=False,
        description=_("A bed was found and held for your booking."),
    )
)
register(
    EventType(
        key="hospital.waitlisted",
        title=_("{{ patient }} is on the waiting list at {{ hospital }}"),
        body=_(
            "No {{ kind }} bed is free right now. Your request is number {{ position }} on the"
            " waiting list; we will hold the first matching bed that frees up and tell you."
        ),
        description=_("Your bed request joined a hospital's waiting list."),
    )
)
register(
    EventType(
        key="hospital.bed_offered",
        title=_("A bed has freed up for {{ patient }} at {{ hospital }}"),
        body=_("Bed {{ bed }} ({{ ward }}) is now held for {{ patient }} until {{ held_until }}."),
        digestible=False,
        description=_("A bed freed up for your waiting-list request."),
    )
)
register(
    EventType(
        key="hospital.booking_confirmed",
        title=_("{{ hospital }} confirmed the bed for {{ patient }}"),
        body=_(
            "The ward confirmed bed {{ bed }} for {{ patient }}. It stays held until"
            " {{ held_until }}."
        ),
        digestible=False,
        description=_("The ward confirmed your booking."),
    )
)
register(
    EventType(
        key="hospital.booking_declined",
        title=_("{{ hospital }} declined the booking for {{ patient }}"),
        body=_(
            "Reason: {{ reason }}. Look at the bed dashboard for other hospitals with a free bed."
        ),
        digestible=False,
        description=_("The ward declined your booking."),
    )
)
register(
    EventType(
        key="hospital.hold_expired",
        title=_("The bed held for {{ patient }} at {{ hospital }} was released"),
        body=_(
            "The hold ended at {{ held_until }} before admission, so the bed was released."
            " You can request a bed again at any time."
        ),
        digestible=False,
        description=_("A held bed was released because the hold time ran out."),
    )
)
register(
    EventType(
        key="hospital.admitted",
        title=_("{{ patient }} was admitted at {{ hospital }}"),
        body=_("{{ patient }} is in bed {{ bed }} ({{ ward }})."),
        description=_("The patient you booked for was admitted."),
    )
)
register(
    EventType(
        key="hospital.review_request",
        title=_("How was the stay at {{ hospital }}?"),
        body=_(
            "{{ patient }} was discharged. Please tell other families how the stay went —"
            " it takes a minute."
        ),
        description=_("After a discharge we ask for a review of the stay."),
    )
)
register(
    EventType(
        key="hospital.booking_received",
        title=_("New bed request at {{ hospital }}: {{ kind }}"),
        body=_("{{ status }} — urgency {{ urgency }}."),
        channels=(IN_APP,),
        description=_("For ward staff: a family asked for a bed."),
    )
)
