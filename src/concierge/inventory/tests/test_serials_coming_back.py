"""Serialised units that come back: a customer return names the sold units that come back
(they are in stock again at the store that takes them), and a stocktake count sheet does
not post a variance of a serialised item without serial numbers — in the service, on the
pages and through the API. The serial numbers in stock always agree with the quantity on
hand."""

import json
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from concierge.inventory import services
from concierge.inventory.models import ItemStock, SerialNumber
from concierge.inventory.services import ReceiptLine, SaleLine
from concierge.inventory.tests.factories import ItemFactory
from concierge.inventory.tests.serials import on_hand_matching_serials, serial_status

pytestmark = pytest.mark.django_db


@pytest.fixture
def phone(shop):
    """Phone X: SN1-SN4 received at T. Nagar, SN1 and SN2 sold there; AD1 in stock at Adyar."""
    phone = ItemFactory(organisation=shop.org, name="Phone X", sku="PHONE-X", serialised=True)
    services.receive_stock(
        user=shop.staff,
        store=shop.store,
        lines=[
            ReceiptLine(
                item=phone,
                quantity=D(4),
                location=shop.bin,
                serials=["SN1", "SN2", "SN3", "SN4"],
            )
        ],
    )
    services.receive_stock(
        user=shop.staff,
        store=shop.other_store,
        lines=[ReceiptLine(item=phone, quantity=D(1), location=shop.other_bin, serials=["AD1"])],
    )
    services.sell_stock(
        user=shop.staff,
        store=shop.store,
        lines=[SaleLine(item=phone, quantity=D(2), serials=["SN1", "SN2"])],
    )
    return phone


def _return(shop, item, quantity, serials, store=None):
    return services.return_stock(
        user=shop.staff,
        store=store or shop.store,
        item=item,
        quantity=D(quantity),
        reason="changed mind",
        serials=serials,
    )


# --- customer returns -------------------------------------------------------------------------


def test_a_return_names_the_sold_unit_that_comes_back_and_puts_it_in_stock(shop, phone):
    assert on_hand_matching_serials(phone, shop.store) == 2
    _return(shop, phone, 1, ["SN2"])
    assert serial_status(phone) == {
        "SN1": "sold",
        "SN2": "in_stock",
        "SN3": "in_stock",
        "SN4": "in_stock",
        "AD1": "in_stock",
    }
    assert on_hand_matching_serials(phone, shop.store) == 3


def test_a_unit_sold_at_one_store_may_come_back_at_another(shop, phone):
    _return(shop, phone, 2, [" SN1 ", "SN2"], store=shop.other_store)
    assert SerialNumber.objects.get(item=phone, serial="SN1").store == shop.other_store
    assert on_hand_matching_serials(phone, shop.other_store) == 3
    assert on_hand_matching_serials(phone, shop.store) == 2


@pytest.mark.parametrize(
    ("serials", "message"),
    [
        ([], "Phone X: name the serial number of each unit that comes back: 2, not 0."),
        (["SN1"], "Phone X: name the serial number of each unit that comes back: 2, not 1."),
        (["SN1", "SN1"], "A serial number is entered twice."),
        (["SN1", "SN9"], "Unknown serial numbers of Phone X: SN9."),
        (["SN1", "SN3"], "SN3 is in stock at T. Nagar; only a sold unit can come back."),
        (["SN1", "AD1"], "AD1 is in stock at Adyar; only a sold unit can come back."),
    ],
)
def test_a_wrong_return_pick_is_refused_and_nothing_moves(shop, phone, serials, message):
    with pytest.raises(ValidationError) as exc:
        _return(shop, phone, 2, serials)
    assert message in exc.value.message_dict["serials"]
    assert on_hand_matching_serials(phone, shop.store) == 2
    assert serial_status(phone)["SN1"] == serial_status(phone)["SN2"] == "sold"


def test_a_unit_written_off_or_in_transit_cannot_come_back(shop, phone):
    services.write_off(
        user=shop.staff,
        store=shop.store,
        item=phone,
        quantity=D(1),
        reason="damaged",
        serials=["SN3"],
    )
    transfer = services.request_transfer(
        user=shop.staff,
        from_store=shop.store,
        to_store=shop.other_store,
        lines=[(phone, D(1))],
    )
    services.approve_transfer(user=shop.manager, transfer=transfer)
    services.ship_transfer(
        user=shop.staff, transfer=transfer, serials={transfer.lines.get().pk: ["SN4"]}
    )
    assert serial_status(phone)["SN4"] == "in_transit"
    with pytest.raises(ValidationError) as exc:
        _return(shop, phone, 2, ["SN3", "SN4"])
    assert exc.value.message_dict["serials"] == [
        "SN3 was not sold (Written off); only a sold unit can come back.",
        "SN4 was not sold (In transit); only a sold unit can come back.",
    ]
    assert on_hand_matching_serials(phone, shop.store) == 0


def test_serials_on_a_return_of_an_unserialised_item_are_refused(shop):
    with pytest.raises(ValidationError) as exc:
        _return(shop, shop.item, 1, ["X1"])
    assert "Rice 5 kg has no serial numbers." in exc.value.message_dict["serials"]
    _return(shop, shop.item, 1, None)
    assert ItemStock.objects.get(item=shop.item, store=shop.store).on_hand == 1


def test_the_return_page_takes_the_serials_and_shows_a_wrong_pick_as_a_form_error(
    client, shop, phone
):
    client.force_login(shop.staff)
    url = f"{reverse('inventory:adjust')}?store={shop.store.pk}&item={phone.pk}&kind=return"
    page = client.get(url).content.decode()
    assert 'name="serials"' in page and "the sold units that come back" in page
    form = {"item": phone.pk, "kind": "return", "quantity": "1", "reason": "faulty"}
    r = client.post(url, form)
    assert r.status_code == 200
    assert "Phone X: name the serial number of each unit that comes back: 1, not 0." in (
        r.content.decode()
    )
    r = client.post(url, {**form, "serials": "SN3"})
    assert r.status_code == 200
    assert "SN3 is in stock at T. Nagar; only a sold unit can come back." in r.content.decode()
    assert on_hand_matching_serials(phone, shop.store) == 2
    r = client.post(url, {**form, "serials": "SN1"})
    assert r.status_code == 302
    assert serial_status(phone)["SN1"] == "in_stock"
    assert on_hand_matching_serials(phone, shop.store) == 3


def test_a_return_through_the_api_names_the_serials_and_answers_422(client, shop, phone):
    client.force_login(shop.staff)

    def post(**body):
        body = {"store_id": shop.store.pk, "item_id": phone.pk, "kind": "return", **body}
        return client.post(
            "/api/inventory/movements/adjust", json.dumps(body), content_type="application/json"
        )

    r = post(quantity="1", reason="faulty")
    assert r.status_code == 422
    assert r.json()["errors"] == [
        {
            "field": "serials",
            "message": "Phone X: name the serial number of each unit that comes back: 1, not 0.",
        }
    ]
    r = post(quantity="1", reason="faulty", serials=["SN9"])
    assert r.status_code == 422
    assert r.json()["errors"][0]["message"] == "Unknown serial numbers of Phone X: SN9."
    r = post(quantity="1", reason="faulty", serials=["SN2"])
    assert r.status_code == 201
    assert r.json()[0]["kind"] == "return"
    assert serial_status(phone)["SN2"] == "in_stock"
    r = post(quantity="1", reason="faulty", serials=["SN2"])  # it is back already
    assert r.status_code == 422
    assert on_hand_matching_serials(phone, shop.store) == 3


# --- stocktake --------------------------------------------------------------------------------


@pytest.fixture
def counted_bin(shop, phone):
    """T. Nagar's bin holds 2 Phone X (SN3, SN4 in stock) and 5 Rice."""
    services.receive_stock(
        user=shop.staff,
        store=shop.store,
        lines=[ReceiptLine(item=shop.item, quantity=D(5), location=shop.bin)],
    )
    return shop.bin


def test_a_stocktake_refuses_a_variance_of_a_serialised_item_and_posts_nothing(
    shop, phone, counted_bin
):
    with pytest.raises(ValidationError) as exc:
        services.post_stocktake(
            user=shop.staff,
            location=counted_bin,
            counts={(phone.pk, None): D(1), (shop.item.pk, None): D(4)},
        )
    assert exc.value.message_dict["counts"] == [
        "Phone X has serial numbers: its variance (-1) is not posted from a count sheet. "
        "Correct it on the Adjust page with the serial numbers of the units, or leave the "
        "line empty."
    ]
    assert ItemStock.objects.get(item=shop.item, store=shop.store).on_hand == 5
    assert on_hand_matching_serials(phone, shop.store) == 2
    # A serialised item counted as expected is no variance: the rest posts.
    moves = services.post_stocktake(
        user=shop.staff,
        location=counted_bin,
        counts={(phone.pk, None): D(2), (shop.item.pk, None): D(4)},
    )
    assert [(m.item, m.quantity) for m in moves] == [(shop.item, D(-1))]
    assert on_hand_matching_serials(phone, shop.store) == 2


def test_the_count_sheet_links_a_serialised_variance_to_the_adjust_page(
    client, shop, phone, counted_bin
):
    client.force_login(shop.staff)
    url = reverse("inventory:stocktake", args=[counted_bin.pk])
    phone_field, rice_field = f"c_{phone.pk}_0", f"c_{shop.item.pk}_0"
    r = client.post(url, {phone_field: "3", rice_field: "4", "step": "review"})
    page = r.content.decode()
    assert r.status_code == 200
    assert "Phone X has serial numbers: its variance (+1) is not posted" in page
    adjust = (
        f"{reverse('inventory:adjust')}?store={shop.store.pk}&amp;item={phone.pk}&amp;kind=adjust"
    )
    assert adjust in page and "Adjust with serial numbers" in page
    assert 'value="post"' not in page  # no Post button while a serialised variance is on it
    r = client.post(url, {phone_field: "3", rice_field: "4", "step": "post"})
    assert r.status_code == 200
    assert ItemStock.objects.get(item=shop.item, store=shop.store).on_hand == 5
    assert on_hand_matching_serials(phone, shop.store) == 2
    # The adjust page the link opens asks for the serial numbers.
    assert 'name="serials"' in client.get(adjust.replace("&amp;", "&")).content.decode()
    # Leaving the phone's line empty posts the rest.
    r = client.post(url, {phone_field: "", rice_field: "4", "step": "post"})
    assert r.status_code == 302
    assert ItemStock.objects.get(item=shop.item, store=shop.store).on_hand == 4
    assert on_hand_matching_serials(phone, shop.store) == 2


# --- concurrency ------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_same_unit_returned_at_two_stores_at_once_comes_back_once(shop, phone):
    """Each return locks its store's stock row, then the serial row; the second finds the
    unit in stock already and is refused (PostgreSQL: it waits, no deadlock, no double)."""
    import threading
    import time

    from django.db import OperationalError, connection, connections

    results = []
    barrier = threading.Barrier(4)

    def run(store):
        try:
            barrier.wait()
            for _attempt in range(400):
                try:
                    _return(shop, phone, 1, ["SN1"], store=store)
                    results.append("done")
                    return
                except OperationalError:
                    if connection.vendor != "sqlite":
                        raise
                    time.sleep(0.05)  # SQLite: database is locked — try again
            results.append("gave up")
        except ValidationError:
            results.append("refused")
        except OperationalError as exc:
            results.append(f"error: {exc}")
        finally:
            connections.close_all()

    stores = (shop.store, shop.other_store) * 2
    threads = [threading.Thread(target=run, args=(s,)) for s in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["done", "refused", "refused", "refused"], results
    assert serial_status(phone)["SN1"] == "in_stock"
    at_home = on_hand_matching_serials(phone, shop.store)
    assert at_home + on_hand_matching_serials(phone, shop.other_store) == 2 + 1 + 1
