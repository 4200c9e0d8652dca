"""Serialised units that leave or come in without a sale or a receipt: a write-off and a count
corrected down name the units that go (they are written off), a count corrected up names the
new units, and an online order names the units sent — in the service, on the pages and
through the API. The serial numbers in stock always agree with the quantity on hand."""

import json
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from concierge.inventory import services
from concierge.inventory.models import ItemStock, OnlineOrder
from concierge.inventory.services import ReceiptLine
from concierge.inventory.tests.factories import ItemFactory
from concierge.inventory.tests.serials import on_hand_matching_serials, serial_status

pytestmark = pytest.mark.django_db


@pytest.fixture
def phone(shop):
    phone = ItemFactory(organisation=shop.org, name="Phone X", sku="PHONE-X", serialised=True)
    services.receive_stock(
        user=shop.staff,
        store=shop.store,
        lines=[
            ReceiptLine(item=phone, quantity=D(3), location=shop.bin, serials=["SN1", "SN2", "SN3"])
        ],
    )
    services.receive_stock(
        user=shop.staff,
        store=shop.other_store,
        lines=[ReceiptLine(item=phone, quantity=D(1), location=shop.other_bin, serials=["AD1"])],
    )
    return phone


# --- write-off --------------------------------------------------------------------------------


def test_a_write_off_names_the_units_that_go_and_writes_them_off(shop, phone):
    services.write_off(
        user=shop.staff,
        store=shop.store,
        item=phone,
        quantity=D(2),
        reason="damaged",
        serials=["SN1", "SN3"],
    )
    assert serial_status(phone) == {
        "SN1": "written_off",
        "SN2": "in_stock",
        "SN3": "written_off",
        "AD1": "in_stock",
    }
    assert on_hand_matching_serials(phone, shop.store) == 1


@pytest.mark.parametrize(
    ("serials", "message"),
    [
        ([], "Phone X: name the serial number of each unit that leaves: 2, not 0."),
        (["SN1"], "Phone X: name the serial number of each unit that leaves: 2, not 1."),
        (["SN1", "SN1"], "A serial number is entered twice."),
        (["SN1", "SN9"], "Unknown serial numbers of Phone X: SN9."),
        (["SN1", "AD1"], "AD1 is in stock at Adyar, not at T. Nagar."),
    ],
)
def test_a_wrong_write_off_pick_is_refused_and_nothing_moves(shop, phone, serials, message):
    with pytest.raises(ValidationError) as exc:
        services.write_off(
            user=shop.staff,
            store=shop.store,
            item=phone,
            quantity=D(2),
            reason="stolen",
            serials=serials,
        )
    assert message in exc.value.message_dict["serials"]
    assert on_hand_matching_serials(phone, shop.store) == 3
    assert set(serial_status(phone).values()) == {"in_stock"}


def test_a_unit_sold_or_written_off_cannot_be_written_off_again(shop, phone):
    services.sell_stock(
        user=shop.staff,
        store=shop.store,
        lines=[services.SaleLine(item=phone, quantity=D(1), serials=["SN1"])],
    )
    with pytest.raises(ValidationError) as exc:
        services.write_off(
            user=shop.staff,
            store=shop.store,
            item=phone,
            quantity=D(1),
            reason="other",
            serials=["SN1"],
        )
    assert "SN1 is not in stock (Sold)." in exc.value.message_dict["serials"]


def test_serials_for_an_unserialised_item_are_refused(shop):
    services.receive_stock(
        user=shop.staff, store=shop.store, lines=[ReceiptLine(item=shop.item, quantity=D(5))]
    )
    with pytest.raises(ValidationError) as exc:
        services.write_off(
            user=shop.staff,
            store=shop.store,
            item=shop.item,
            quantity=D(1),
            reason="damaged",
            serials=["X1"],
        )
    assert "Rice 5 kg has no serial numbers." in exc.value.message_dict["serials"]
    # Without serials an unserialised item is written off as before.
    services.write_off(
        user=shop.staff, store=shop.store, item=shop.item, quantity=D(1), reason="damaged"
    )
    assert ItemStock.objects.get(item=shop.item, store=shop.store).on_hand == 4


# --- adjustments ------------------------------------------------------------------------------


def test_a_count_down_writes_off_the_missing_units_and_a_count_up_adds_new_ones(shop, phone):
    services.adjust_stock(
        user=shop.staff,
        store=shop.store,
        item=phone,
        quantity=D(-1),
        reason="lost",
        serials=["SN2"],
        confirm=True,
    )
    assert serial_status(phone)["SN2"] == "written_off"
    assert on_hand_matching_serials(phone, shop.store) == 2
    # Found again, with a new unit: both come back in stock here.
    services.adjust_stock(
        user=shop.staff,
        store=shop.store,
        item=phone,
        quantity=D(2),
        reason="found",
        serials=["SN2", "SN4"],
        confirm=True,
    )
    assert serial_status(phone)["SN2"] == "in_stock" and serial_status(phone)["SN4"] == "in_stock"
    assert on_hand_matching_serials(phone, shop.store) == 4


@pytest.mark.parametrize(
    ("quantity", "serials", "message"),
    [
        (D(-1), [], "Phone X: name the serial number of each unit that leaves: 1, not 0."),
        (D(-1), ["AD1"], "AD1 is in stock at Adyar, not at T. Nagar."),
        (D(1), [], "Phone X needs one new serial number per unit added: 1, not 0."),
        (D(2), ["SN7", "SN7"], "A serial number is entered twice."),
        (D(1), ["SN1"], "Already known serial numbers of Phone X: SN1."),
        (D(1), ["AD1"], "Already known serial numbers of Phone X: AD1."),
    ],
)
def test_a_wrong_adjustment_pick_is_refused_and_nothing_moves(
    shop, phone, quantity, serials, message
):
    with pytest.raises(ValidationError) as exc:
        services.adjust_stock(
            user=shop.staff,
            store=shop.store,
            item=phone,
            quantity=quantity,
            reason="count",
            serials=serials,
            confirm=True,
        )
    assert message in exc.value.message_dict["serials"]
    assert on_hand_matching_serials(phone, shop.store) == 3
    assert len(serial_status(phone)) == 4


# --- online orders ----------------------------------------------------------------------------


def _order(shop, phone, qty=2):
    order, _ = services.place_online_order(
        user=shop.staff,
        store=shop.store,
        external_id="WEB-1",
        lines=[(phone, D(qty)), (shop.item, D(1))],
    )
    return order


@pytest.fixture
def rice(shop):
    services.receive_stock(
        user=shop.staff, store=shop.store, lines=[ReceiptLine(item=shop.item, quantity=D(5))]
    )
    return shop.item


def test_fulfilling_an_order_sells_the_named_units(shop, phone, rice):
    order = _order(shop, phone)
    services.fulfil_online_order(user=shop.staff, order=order, serials={"PHONE-X": ["SN1", "SN2"]})
    order.refresh_from_db()
    assert order.status == OnlineOrder.Status.FULFILLED
    assert serial_status(phone)["SN1"] == "sold" and serial_status(phone)["SN3"] == "in_stock"
    assert on_hand_matching_serials(phone, shop.store) == 1
    assert ItemStock.objects.get(item=phone, store=shop.store).reserved == 0


def test_fulfilling_without_or_with_wrong_serials_is_refused_and_keeps_the_reservation(
    shop, phone, rice
):
    order = _order(shop, phone)
    with pytest.raises(ValidationError) as exc:
        services.fulfil_online_order(user=shop.staff, order=order)
    assert exc.value.message_dict == {
        "serials_PHONE-X": ["Phone X: name the serial number of each unit that leaves: 2, not 0."]
    }
    with pytest.raises(ValidationError) as exc:
        services.fulfil_online_order(
            user=shop.staff,
            order=order,
            serials={"PHONE-X": ["SN1", "AD1"], rice.sku: ["R1"], "NOPE": ["Z"]},
        )
    errors = exc.value.message_dict
    assert errors["serials_PHONE-X"] == ["AD1 is in stock at Adyar, not at T. Nagar."]
    assert errors[f"serials_{rice.sku}"] == ["Rice 5 kg has no serial numbers."]
    assert errors["serials"] == ["No line of NOPE on this order."]
    order.refresh_from_db()
    assert order.status == OnlineOrder.Status.RESERVED
    assert ItemStock.objects.get(item=phone, store=shop.store).reserved == 2
    assert on_hand_matching_serials(phone, shop.store) == 3


# --- pages ------------------------------------------------------------------------------------


def test_the_adjust_page_asks_for_serials_and_shows_a_wrong_pick_as_a_form_error(
    client, shop, phone
):
    client.force_login(shop.staff)
    url = f"{reverse('inventory:adjust')}?store={shop.store.pk}&item={phone.pk}"
    assert 'name="serials"' in client.get(url).content.decode()
    form = {"item": phone.pk, "kind": "write_off", "quantity": "2", "reason": "damaged"}
    r = client.post(url, {**form, "serials": "SN1\nSN9"})
    assert r.status_code == 200
    assert "Unknown serial numbers of Phone X: SN9." in r.content.decode()
    assert on_hand_matching_serials(phone, shop.store) == 3
    r = client.post(url, {**form, "serials": "SN1, SN2"})
    assert r.status_code == 302
    assert serial_status(phone)["SN2"] == "written_off"
    r = client.post(
        url,
        {
            "item": phone.pk,
            "kind": "adjust",
            "quantity": "1",
            "reason": "found",
            "confirm": "on",
            "serials": "SN3",
        },
    )
    assert r.status_code == 200
    assert "Already known serial numbers of Phone X: SN3." in r.content.decode()
    # Rice has no serial numbers: no such field.
    rice_url = f"{reverse('inventory:adjust')}?store={shop.store.pk}&item={shop.item.pk}"
    assert 'name="serials"' not in client.get(rice_url).content.decode()


def test_the_fulfil_page_takes_the_serials_of_the_units_sent(client, shop, phone, rice):
    order = _order(shop, phone)
    client.force_login(shop.staff)
    listing = client.get(f"{reverse('inventory:online_orders')}?store={shop.store.pk}")
    url = reverse("inventory:online_order_fulfil", args=[order.pk])
    assert url in listing.content.decode()
    # The list page's plain Fulfil button leads to the page rather than failing.
    r = client.post(reverse("inventory:online_order_action", args=[order.pk]), {"action": "fulfil"})
    assert r.status_code == 302 and r.url == url
    page = client.get(url).content.decode()
    assert "Phone X: serial numbers sent (2)" in page and 'name="serials_PHONE-X"' in page
    assert f'name="serials_{rice.sku}"' not in page
    r = client.post(url, {"serials_PHONE-X": "SN1"})
    assert r.status_code == 200
    assert "Phone X: name the serial number of each unit that leaves: 2, not 1." in (
        r.content.decode()
    )
    order.refresh_from_db()
    assert order.status == OnlineOrder.Status.RESERVED
    r = client.post(url, {"serials_PHONE-X": "SN1\nSN3"})
    assert r.status_code == 302
    order.refresh_from_db()
    assert order.status == OnlineOrder.Status.FULFILLED
    assert on_hand_matching_serials(phone, shop.store) == 1


# --- the API ----------------------------------------------------------------------------------


def test_write_off_and_adjust_through_the_api_name_the_serials_and_answer_422(client, shop, phone):
    client.force_login(shop.staff)

    def post(**body):
        body = {"store_id": shop.store.pk, "item_id": phone.pk, **body}
        return client.post(
            "/api/inventory/movements/adjust", json.dumps(body), content_type="application/json"
        )

    r = post(kind="write_off", quantity="1", reason="stolen")
    assert r.status_code == 422
    assert r.json()["errors"] == [
        {
            "field": "serials",
            "message": "Phone X: name the serial number of each unit that leaves: 1, not 0.",
        }
    ]
    assert post(kind="write_off", quantity="1", reason="stolen", serials="SN1").status_code == 422
    assert post(kind="write_off", quantity="1", reason="stolen", serials=["SN1"]).status_code == 201
    r = post(kind="adjust", quantity="-1", reason="lost", confirm=True, serials=["SN1"])
    assert r.status_code == 422
    assert "SN1 is not in stock (Written off)." in [e["message"] for e in r.json()["errors"]]
    r = post(kind="adjust", quantity="1", reason="found", confirm=True, serials=["SN1"])
    assert r.status_code == 201
    r = post(kind="adjust", quantity="-1", reason="lost", confirm=True, serials=["SN2"])
    assert r.status_code == 201
    status = serial_status(phone)
    assert status["SN1"] == "in_stock" and status["SN2"] == "written_off"
    assert on_hand_matching_serials(phone, shop.store) == 2


def test_fulfilling_through_the_api_names_the_serials_and_answers_422(client, shop, phone, rice):
    order = _order(shop, phone)
    client.force_login(shop.staff)
    url = f"/api/inventory/orders/{order.external_id}/fulfil"

    def fulfil(lines):
        return client.post(url, json.dumps({"lines": lines}), content_type="application/json")

    r = client.post(url)  # no body: the serialised item has no serials
    assert r.status_code == 422
    assert {e["field"] for e in r.json()["errors"]} == {"serials_PHONE-X"}
    bad = client.post(url, json.dumps({"lines": [{"serials": 5}]}), content_type="application/json")
    assert bad.status_code == 422 and {e["field"] for e in bad.json()["errors"]} == {
        "lines.0.sku",
        "lines.0.serials",
    }
    r = fulfil([{"sku": "PHONE-X", "serials": ["SN1", "SN9"]}])
    assert r.status_code == 422
    assert "Unknown serial numbers of Phone X: SN9." in [e["message"] for e in r.json()["errors"]]
    r = fulfil([{"sku": "PHONE-X", "serials": ["SN1"]}, {"sku": "PHONE-X", "serials": ["SN2"]}])
    assert r.status_code == 200 and r.json()["status"] == "fulfilled"
    assert serial_status(phone)["SN2"] == "sold"
    assert on_hand_matching_serials(phone, shop.store) == 1


def test_the_openapi_schema_documents_the_fulfil_body(client):
    schema = client.get("/api/openapi.json").json()
    paths = [p for p in schema["paths"] if p.endswith("/orders/{order_id}/fulfil")]
    body = schema["paths"][paths[0]]["post"]["requestBody"]
    assert body["required"] is False
    line = body["content"]["application/json"]["schema"]["properties"]["lines"]["items"]
    assert set(line["properties"]) == {"sku", "serials"}


# --- concurrency ------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_write_off_and_a_sale_of_the_same_unit_at_once_let_exactly_one_through(shop, phone):
    """Both lock the item's stock row before its serial rows, so they queue rather than
    deadlock (PostgreSQL); the second finds the unit gone and is refused."""
    import threading
    import time

    from django.db import OperationalError, connection, connections

    results = []
    barrier = threading.Barrier(4)

    def run(action):
        try:
            barrier.wait()
            for _attempt in range(400):
                try:
                    action()
                    results.append("done")
                    return
                except OperationalError:
                    if connection.vendor != "sqlite":
                        raise  # a deadlock on PostgreSQL is the bug this test looks for
                    time.sleep(0.05)  # SQLite: database is locked — try again
            results.append("gave up")
        except ValidationError:
            results.append("refused")
        except OperationalError as exc:
            results.append(f"error: {exc}")
        finally:
            connections.close_all()

    def write_off():
        services.write_off(
            user=shop.staff,
            store=shop.store,
            item=phone,
            quantity=D(1),
            reason="stolen",
            serials=["SN1"],
        )

    def sell():
        services.sell_stock(
            user=shop.staff,
            store=shop.store,
            confirm=True,
            lines=[services.SaleLine(item=phone, quantity=D(1), serials=["SN1"])],
        )

    threads = [threading.Thread(target=run, args=(a,)) for a in (write_off, sell) * 2]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["done", "refused", "refused", "refused"], results
    assert serial_status(phone)["SN1"] in ("sold", "written_off")
    assert on_hand_matching_serials(phone, shop.store) == 2
