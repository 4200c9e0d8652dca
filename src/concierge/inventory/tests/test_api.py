"""The API: same services, 4xx JSON errors, scoped lookups, idempotent online orders."""

import json
from decimal import Decimal as D

import pytest

from concierge.inventory import services
from concierge.inventory.models import ItemStock, Movement, OnlineOrder
from concierge.inventory.services import ReceiptLine

pytestmark = pytest.mark.django_db


def post(client, url, data):
    return client.post(url, json.dumps(data, default=str), content_type="application/json")


@pytest.fixture
def api(client, shop):
    client.force_login(shop.staff)
    return client


def test_receive_sell_adjust_and_list(api, shop):
    r = post(
        api,
        "/api/inventory/movements/receive",
        {
            "store_id": shop.store.pk,
            "supplier_id": shop.supplier.pk,
            "delivery_note": "A1",
            "lines": [{"item_id": shop.item.pk, "quantity": "10", "location": "A-01"}],
        },
    )
    assert r.status_code == 201, r.content
    r = post(
        api,
        "/api/inventory/movements/sell",
        {
            "store_id": shop.store.pk,
            "lines": [{"item_id": shop.item.pk, "quantity": "3", "unit_price": "15"}],
        },
    )
    assert r.status_code == 201 and D(r.json()[0]["quantity"]) == -3
    r = post(
        api,
        "/api/inventory/movements/adjust",
        {"store_id": shop.store.pk, "item_id": shop.item.pk, "quantity": "-1", "reason": "dropped"},
    )
    assert r.status_code == 201
    r = api.get(f"/api/inventory/stores/{shop.store.pk}/stock")
    [row] = r.json()["items"]
    assert (row["sku"], D(row["on_hand"])) == (shop.item.sku, 6)
    r = api.get("/api/inventory/movements", {"store_id": shop.store.pk})
    assert r.json()["count"] == 3


def test_errors_are_4xx_json_and_write_nothing(api, shop):
    r = post(
        api,
        "/api/inventory/movements/sell",
        {"store_id": shop.store.pk, "lines": [{"item_id": shop.item.pk, "quantity": "3"}]},
    )
    assert r.status_code == 422
    body = r.json()
    assert body["errors"][0]["field"] == "quantity" and "cannot take 3" in body["detail"]
    r = post(
        api,
        "/api/inventory/movements/sell",
        {"store_id": shop.store.pk, "lines": [{"item_id": shop.item.pk, "quantity": "-1"}]},
    )
    assert r.status_code == 422 and r.json()["errors"]
    r = post(
        api,
        "/api/inventory/movements/receive",
        {
            "store_id": shop.store.pk,
            "lines": [{"item_id": shop.item.pk, "quantity": "1", "location": "NOPE"}],
        },
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "location"
    assert not Movement.objects.exists()


def test_stranger_gets_404_in_the_api(client, shop, stranger):
    client.force_login(stranger)
    assert client.get(f"/api/inventory/items/{shop.item.pk}").status_code == 404
    assert client.get(f"/api/inventory/stores/{shop.store.pk}/stock").status_code == 404
    r = post(
        client,
        "/api/inventory/movements/receive",
        {"store_id": shop.store.pk, "lines": [{"item_id": shop.item.pk, "quantity": "1"}]},
    )
    assert r.status_code == 404 and r.json()["detail"] == "Not found."
    assert client.get("/api/inventory/items").json()["count"] == 0


def test_online_orders_are_idempotent(api, shop):
    services.receive_stock(
        user=shop.staff,
        store=shop.store,
        lines=[ReceiptLine(item=shop.item, quantity=D(5))],
        confirm=True,
    )
    order = {
        "store_id": shop.store.pk,
        "order_id": "SHOP-1001",
        "lines": [{"sku": shop.item.sku, "quantity": "2"}],
    }
    first = post(api, "/api/inventory/orders", order)
    again = post(api, "/api/inventory/orders", order)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json() == again.json()
    assert OnlineOrder.objects.count() == 1
    assert ItemStock.objects.get(item=shop.item, store=shop.store).reserved == 2
    r = api.post("/api/inventory/orders/SHOP-1001/fulfil")
    assert r.status_code == 200 and r.json()["status"] == "fulfilled"
    assert ItemStock.objects.get(item=shop.item, store=shop.store).on_hand == 3
    r = post(
        api,
        "/api/inventory/orders",
        {**order, "order_id": "SHOP-1002", "lines": [{"sku": "NOPE", "quantity": "1"}]},
    )
    assert r.status_code == 422 and "Unknown SKU" in r.json()["detail"]


def test_purchase_order_and_transfer_through_the_api(client, shop):
    client.force_login(shop.manager)
    r = post(
        client,
        "/api/inventory/purchase-orders",
        {
            "store_id": shop.store.pk,
            "supplier_id": shop.supplier.pk,
            "lines": [{"item_id": shop.item.pk, "quantity": "10"}],
        },
    )
    assert r.status_code == 201
    po = r.json()
    assert client.post(f"/api/inventory/purchase-orders/{po['id']}/send").json()["status"] == "sent"
    r = post(
        client,
        f"/api/inventory/purchase-orders/{po['id']}/receive",
        {"delivery_note": "X-1", "lines": [{"line_id": po["lines"][0]["id"], "quantity": "4"}]},
    )
    assert r.status_code == 200 and r.json()["status"] == "partial"
    r = post(
        client,
        "/api/inventory/movements/transfer",
        {
            "from_store_id": shop.store.pk,
            "to_store_id": shop.other_store.pk,
            "lines": [{"item_id": shop.item.pk, "quantity": "2"}],
        },
    )
    assert r.status_code == 201
    tid = r.json()["id"]
    for action, status in [("approve", "approved"), ("ship", "shipped"), ("receive", "received")]:
        r = client.post(f"/api/inventory/transfers/{tid}/{action}")
        assert r.status_code == 200 and r.json()["status"] == status
    assert client.get("/api/inventory/purchase-orders").json()["count"] == 1
