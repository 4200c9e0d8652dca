"""Assertions shared by the serial-number tests."""

from concierge.inventory.models import ItemStock, SerialNumber


def serial_status(item) -> dict[str, str]:
    return dict(SerialNumber.objects.filter(item=item).values_list("serial", "status"))


def on_hand_matching_serials(item, store):
    """The serial numbers in stock at `store` match its quantity on hand; returns it."""
    on_hand = ItemStock.objects.get(item=item, store=store).on_hand
    in_stock = SerialNumber.objects.filter(item=item, store=store, status="in_stock").count()
    assert on_hand == in_stock
    return on_hand
