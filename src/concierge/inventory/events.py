"""Inventory notification events."""

from django.utils.translation import gettext_lazy as _

from concierge.notifications.registry import IN_APP, EventType, register

register(
    EventType(
        key="inventory.low_stock",
        title=_("Low stock: {{ item }} at {{ store }}"),
        body=_("{{ on_hand }} {{ unit }} left; the reorder point is {{ reorder_point }}."),
        description=_("An item is at or below its reorder point in one of your stores."),
    )
)
register(
    EventType(
        key="inventory.out_of_stock",
        title=_("Out of stock: {{ item }} at {{ store }}"),
        body=_("Nothing left on the shelf. Reorder or ask a nearby store for a transfer."),
        description=_("An item has run out in one of your stores."),
    )
)
register(
    EventType(
        key="inventory.expiring",
        title=_("Expiring soon: {{ item }} batch {{ batch }} at {{ store }}"),
        body=_("{{ quantity }} {{ unit }} expire on {{ expires_on }}."),
        description=_("A batch expires within the warning period."),
    )
)
register(
    EventType(
        key="inventory.overstock",
        title=_("Overstock: {{ item }} at {{ store }}"),
        body=_("{{ on_hand }} {{ unit }} on hand, above the maximum of {{ max_qty }}."),
        description=_("An item holds more stock than its maximum."),
    )
)
register(
    EventType(
        key="inventory.slow_mover",
        title=_("Slow mover: {{ item }} at {{ store }}"),
        body=_("No sale for {{ days }} days; {{ on_hand }} {{ unit }} on the shelf."),
        description=_("An item with stock has not sold for a while."),
    )
)
register(
    EventType(
        key="inventory.transfer",
        title=_("Transfer {{ number }}: {{ status }}"),
        body=_("{{ from_store }} → {{ to_store }}"),
        description=_("A stock transfer you take part in changed state."),
    )
)
register(
    EventType(
        key="inventory.po_overdue",
        title=_("Purchase order {{ number }} is overdue"),
        body=_("{{ supplier }} was expected to deliver on {{ expected_on }}."),
        description=_("A supplier delivery is later than expected."),
    )
)
register(
    EventType(
        key="inventory.store_digest",
        title=_("Stock summary for {{ store }}"),
        body=_(
            "{{ low }} low, {{ out }} out of stock, {{ expiring }} batches expiring soon, "
            "{{ overdue }} overdue orders."
        ),
        channels=(IN_APP, "email"),
        digestible=False,
        description=_("A daily summary for store managers."),
    )
)
