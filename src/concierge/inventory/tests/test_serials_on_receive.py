"""Serial numbers captured when serialised stock comes in: on the receive page, and when a
purchase order is received (page and API) — not only when selling."""

import json
from decimal import Decimal as D

import pytest
from django.urls import reverse

from concierge.inventory import services
from concierge.inventory.models import ItemStock, Movement, SerialNumber
from concierge.inventory.tests.factories import ItemFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def phone(shop):
    return ItemFactory(
        organisation=shop.org, name="Phone X", serialised=True, supplier=shop.supplier
    )


def _order(shop, item, qty=3):
    po = services.create_purchase_order(
        user=shop.manager, store=shop.store, supplier=shop.supplier, lines=[(item, D(qty))]
    )
    services.send_purchase_order(user=shop.manager, order=po)
    return po


def _in_stock(item):
    return sorted(
        SerialNumber.objects.filter(item=item, status="in_stock").values_list("serial", flat=True)
    )


def test_the_receive_page_records_serial_numbers(client, shop, phone):
    client.force_login(shop.staff)
    url = reverse("inventory:receive")
    client.get(url, {"store": shop.store.pk})
    page = client.get(url, {"item": phone.pk}).content.decode()
    assert "Serial numbers (one per line)" in page
    client.post(
        url + f"?item={phone.pk}",
        {
            "action": "add",
            "item": phone.pk,
            "quantity": "2",
            "unit": "each",
            "serials": "IMEI-1\nIMEI-2",
        },
    )
    r = client.post(url, {"action": "post", "delivery_note": "DN-P1"}, follow=True)
    assert r.status_code == 200
    assert _in_stock(phone) == ["IMEI-1", "IMEI-2"]
    assert ItemStock.objects.get(item=phone, store=shop.store).on_hand == 2


def test_receiving_a_purchase_order_on_the_page_records_serial_numbers(client, shop, phone):
    po = _order(shop, phone, 3)
    line = po.lines.get()
    client.force_login(shop.staff)
    page = client.get(reverse("inventory:purchase_order", args=[po.pk])).content.decode()
    assert "Phone X: serial numbers" in page
    url = reverse("inventory:purchase_order_receive", args=[po.pk])
    # Two serials for three units: a form error, nothing received.
    r = client.post(
        url, {"delivery_note": "DN-1", f"qty_{line.pk}": "3", f"serials_{line.pk}": "S1\nS2"}
    )
    assert r.status_code == 200
    assert "Enter one serial number per unit received: 3, not 2." in r.content.decode()
    assert not Movement.objects.filter(item=phone).exists()
    # The same serial twice: refused too.
    r = client.post(
        url, {"delivery_note": "DN-1", f"qty_{line.pk}": "2", f"serials_{line.pk}": "S1, S1"}
    )
    assert "A serial number is entered twice." in r.content.decode()
    r = client.post(
        url, {"delivery_note": "DN-1", f"qty_{line.pk}": "2", f"serials_{line.pk}": "S1\nS2"}
    )
    assert r.status_code == 302
    assert _in_stock(phone) == ["S1", "S2"]
    po.refresh_from_db()
    assert po.status == "partial"
    # A serial already known (S2) on the next delivery: a clear message, nothing written.
    r = client.post(
        url, {"delivery_note": "DN-2", f"qty_{line.pk}": "1", f"serials_{line.pk}": "S2"}
    )
    assert r.status_code == 200 and "Serial S2 is already known." in r.content.decode()
    assert ItemStock.objects.get(item=phone, store=shop.store).on_hand == 2


def test_receiving_a_purchase_order_through_the_api_records_serial_numbers(client, shop, phone):
    po = _order(shop, phone, 2)
    line = po.lines.get()
    client.force_login(shop.staff)
    url = f"/api/inventory/purchase-orders/{po.pk}/receive"

    def post(lines):
        body = {"delivery_note": "API-1", "lines": lines}
        return client.post(url, json.dumps(body), content_type="application/json")

    r = post([{"line_id": line.pk, "quantity": "2", "serials": ["A1"]}])
    assert r.status_code == 422 and "one serial number per unit" in r.json()["detail"]
    assert not SerialNumber.objects.exists()
    r = post([{"line_id": line.pk, "quantity": "2", "serials": ["A1", " A2 "]}])
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "received"
    assert _in_stock(phone) == ["A1", "A2"]
    # …and they can be sold by serial afterwards.
    services.sell_stock(
        user=shop.staff,
        store=shop.store,
        confirm=True,
        lines=[services.SaleLine(item=phone, quantity=D(1), serials=["A2"])],
    )
    assert _in_stock(phone) == ["A1"]
