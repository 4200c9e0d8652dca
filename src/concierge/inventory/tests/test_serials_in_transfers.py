"""Serialised units on transfers between stores: the sender picks which serial numbers leave,
they travel as in transit, arrive in stock at the receiver, and each unit's history names the
transfer — in the service, on the transfer page and through the API."""

import json
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from concierge.inventory import selectors, services
from concierge.inventory.models import ItemStock, SerialNumber, Transfer
from concierge.inventory.services import ReceiptLine
from concierge.inventory.tests.factories import (
    ItemFactory,
    LocationFactory,
    MembershipFactory,
    RetailerFactory,
    StoreFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def phone(shop):
    phone = ItemFactory(organisation=shop.org, name="Phone X", serialised=True)
    services.receive_stock(
        user=shop.staff,
        store=shop.store,
        lines=[
            ReceiptLine(item=phone, quantity=D(3), location=shop.bin, serials=["SN1", "SN2", "SN3"])
        ],
    )
    return phone


def _approved(shop, item, qty=2, *, from_store=None, to_store=None, approver=None):
    t = services.request_transfer(
        user=shop.staff,
        from_store=from_store or shop.store,
        to_store=to_store or shop.other_store,
        lines=[(item, D(qty))],
    )
    services.approve_transfer(user=approver or shop.manager, transfer=t)
    return t


def _where(item):
    return {
        s.serial: (s.status, s.store.code if s.store else None)
        for s in SerialNumber.objects.filter(item=item).select_related("store")
    }


def test_shipping_moves_the_picked_serials_in_transit_and_receiving_puts_them_in_stock(
    shop, phone, django_assert_max_num_queries
):
    t = _approved(shop, phone)
    line = t.lines.get()
    services.ship_transfer(user=shop.staff, transfer=t, serials={line.pk: ["SN1", "SN3"]})
    assert _where(phone) == {
        "SN1": ("in_transit", "T1"),
        "SN2": ("in_stock", "T1"),
        "SN3": ("in_transit", "T1"),
    }
    assert ItemStock.objects.get(item=phone, store=shop.other_store).in_transit == 2
    services.receive_transfer(user=shop.staff, transfer=t)
    assert _where(phone) == {
        "SN1": ("in_stock", "AD"),
        "SN2": ("in_stock", "T1"),
        "SN3": ("in_stock", "AD"),
    }
    assert ItemStock.objects.get(item=phone, store=shop.other_store).on_hand == 2
    # Each unit's history names the transfer; the unit that stayed has none.
    with django_assert_max_num_queries(7):
        history = {h.serial.serial: h.transfers for h in selectors.serial_histories(item=phone)}
    assert history == {"SN1": [t], "SN2": [], "SN3": [t]}
    # …and the receiver can sell the arrived unit by its serial number.
    services.sell_stock(
        user=shop.staff,
        store=shop.other_store,
        confirm=True,
        lines=[services.SaleLine(item=phone, quantity=D(1), serials=["SN3"])],
    )
    assert _where(phone)["SN3"] == ("sold", "AD")


@pytest.mark.parametrize(
    ("picked", "message"),
    [
        ([], "pick one serial number per unit shipped: 2, not 0"),
        (["SN1"], "pick one serial number per unit shipped: 2, not 1"),
        (["SN1", "SN1"], "A serial number is entered twice"),
        (["SN1", "NOPE"], "Unknown serial numbers of Phone X: NOPE"),
    ],
)
def test_a_wrong_pick_is_refused_and_nothing_moves(shop, phone, picked, message):
    t = _approved(shop, phone)
    line = t.lines.get()
    with pytest.raises(ValidationError, match=message) as exc:
        services.ship_transfer(user=shop.staff, transfer=t, serials={line.pk: picked})
    assert f"serials_{line.pk}" in exc.value.error_dict
    t.refresh_from_db()
    assert t.status == Transfer.Status.APPROVED
    assert ItemStock.objects.get(item=phone, store=shop.store).on_hand == 3
    assert {s for s, _store in _where(phone).values()} == {"in_stock"}


def test_a_serial_sold_or_at_another_store_cannot_leave(shop, phone):
    services.sell_stock(
        user=shop.staff,
        store=shop.store,
        confirm=True,
        lines=[services.SaleLine(item=phone, quantity=D(1), serials=["SN2"])],
    )
    services.receive_stock(
        user=shop.staff,
        store=shop.other_store,
        lines=[ReceiptLine(item=phone, quantity=D(1), serials=["AD-9"])],
    )
    t = _approved(shop, phone)
    line = t.lines.get()
    with pytest.raises(ValidationError) as exc:
        services.ship_transfer(user=shop.staff, transfer=t, serials={line.pk: ["SN2", "AD-9"]})
    messages = exc.value.message_dict[f"serials_{line.pk}"]
    assert "AD-9 is in stock at Adyar, not at T. Nagar." in messages
    assert "SN2 is not in stock (Sold)." in messages
    assert _where(phone)["AD-9"] == ("in_stock", "AD")


def test_a_shipped_transfer_cannot_ship_again_and_a_rejected_one_moves_nothing(shop, phone):
    t = _approved(shop, phone, qty=1)
    line = t.lines.get()
    services.ship_transfer(user=shop.staff, transfer=t, serials={line.pk: ["SN1"]})
    with pytest.raises(ValidationError, match="In transit"):
        services.ship_transfer(user=shop.staff, transfer=t, serials={line.pk: ["SN2"]})
    assert _where(phone)["SN2"] == ("in_stock", "T1")
    rejected = _approved(shop, phone, qty=1)
    services.reject_transfer(user=shop.manager, transfer=rejected)
    with pytest.raises(ValidationError, match="Rejected"):
        services.ship_transfer(
            user=shop.staff, transfer=rejected, serials={rejected.lines.get().pk: ["SN2"]}
        )
    assert _where(phone) == {
        "SN1": ("in_transit", "T1"),
        "SN2": ("in_stock", "T1"),
        "SN3": ("in_stock", "T1"),
    }


def test_serials_on_a_line_of_an_unserialised_item_or_an_unknown_line_are_refused(shop, phone):
    services.receive_stock(
        user=shop.staff, store=shop.store, lines=[ReceiptLine(item=shop.item, quantity=D(5))]
    )
    t = _approved(shop, shop.item)
    line = t.lines.get()
    with pytest.raises(ValidationError) as exc:
        services.ship_transfer(user=shop.staff, transfer=t, serials={line.pk: ["X"], 99999: ["Y"]})
    assert exc.value.message_dict == {
        f"serials_{line.pk}": ["Rice 5 kg has no serial numbers."],
        "lines": ["No line 99999 on this transfer."],
    }


def test_a_network_transfer_hands_the_units_to_the_receiving_organisation(shop, phone):
    phone.gtin = "4006381333931"
    phone.save(update_fields=["gtin"])
    other_org = RetailerFactory()
    other_manager = MembershipFactory(organisation=other_org, role="manager").user
    other_store = StoreFactory(organisation=other_org, code="NB", name="Neighbour")
    LocationFactory(store=other_store, code="N-1")
    twin = ItemFactory(organisation=other_org, gtin=phone.gtin, name="Phone X", serialised=True)
    member = services.join_network(user=shop.manager, organisation=shop.org, name="Chennai")
    services.join_network(user=other_manager, organisation=other_org, network=member.network)
    t = services.request_transfer(
        user=other_manager, from_store=shop.store, to_store=other_store, lines=[(twin, D(2))]
    )
    services.approve_transfer(user=shop.manager, transfer=t)
    line = t.lines.get()
    assert (line.item, line.to_item) == (phone, twin)
    services.ship_transfer(user=shop.staff, transfer=t, serials={line.pk: ["SN1", "SN2"]})
    services.receive_transfer(user=other_manager, transfer=t)
    assert _where(twin) == {"SN1": ("in_stock", "NB"), "SN2": ("in_stock", "NB")}
    assert _where(phone) == {
        "SN1": ("transferred", "T1"),
        "SN2": ("transferred", "T1"),
        "SN3": ("in_stock", "T1"),
    }
    theirs = {h.serial.serial: h.transfers for h in selectors.serial_histories(item=twin)}
    assert theirs == {"SN1": [t], "SN2": [t]}
    # The unit comes back: the sender's own row is in stock again, not a second one.
    back = services.request_transfer(
        user=shop.staff, from_store=other_store, to_store=shop.store, lines=[(phone, D(1))]
    )
    services.approve_transfer(user=other_manager, transfer=back)
    services.ship_transfer(
        user=other_manager, transfer=back, serials={back.lines.get().pk: ["SN1"]}
    )
    services.receive_transfer(user=shop.staff, transfer=back)
    assert _where(phone)["SN1"] == ("in_stock", "T1")
    assert SerialNumber.objects.filter(item=phone, serial="SN1").count() == 1
    assert _where(twin)["SN1"] == ("transferred", "NB")


# --- the transfer page ------------------------------------------------------------------------


def test_the_ship_page_lists_the_serials_in_stock_and_shows_a_wrong_pick_as_a_form_error(
    client, shop, phone
):
    t = _approved(shop, phone)
    line = t.lines.get()
    client.force_login(shop.staff)
    url = reverse("inventory:transfer", args=[t.pk])
    page = client.get(url).content.decode()
    assert "Phone X: serial numbers that leave (2)" in page
    assert page.count(f'name="serials_{line.pk}"') == 3  # a box per unit in stock here
    r = client.post(url, {"action": "ship", f"serials_{line.pk}": ["SN1"]})
    assert r.status_code == 200
    assert "Phone X: pick one serial number per unit shipped: 2, not 1." in r.content.decode()
    t.refresh_from_db()
    assert t.status == Transfer.Status.APPROVED
    # One ticked, one scanned: shipped.
    r = client.post(
        url, {"action": "ship", f"serials_{line.pk}": ["SN1"], f"scan_{line.pk}": "SN3"}
    )
    assert r.status_code == 302
    t.refresh_from_db()
    assert t.status == Transfer.Status.SHIPPED
    page = client.get(url).content.decode()
    assert "SN1, SN3" in page and f'name="serials_{line.pk}"' not in page
    item_page = client.get(reverse("inventory:item", args=[phone.pk])).content.decode()
    assert t.number in item_page and "In transit" in item_page


def test_the_ship_page_reports_a_serial_at_another_store_on_its_field(client, shop, phone):
    t = _approved(shop, phone, qty=1)
    line = t.lines.get()
    client.force_login(shop.staff)
    url = reverse("inventory:transfer", args=[t.pk])
    r = client.post(url, {"action": "ship", f"scan_{line.pk}": "GHOST"})
    assert r.status_code == 200
    assert "Unknown serial numbers of Phone X: GHOST." in r.content.decode()
    assert _where(phone)["SN1"] == ("in_stock", "T1")


# --- the API ----------------------------------------------------------------------------------


def test_shipping_through_the_api_names_the_serials_and_answers_422_with_field_errors(
    client, shop, phone
):
    t = _approved(shop, phone)
    line = t.lines.get()
    client.force_login(shop.staff)
    url = f"/api/inventory/transfers/{t.pk}/ship"

    def ship(serials):
        body = {"lines": [{"line_id": line.pk, "serials": serials}]}
        return client.post(url, json.dumps(body), content_type="application/json")

    assert client.post(url).status_code == 422  # no serials named
    bad = client.post(url, json.dumps({"lines": [{"serials": 5}]}), content_type="application/json")
    assert bad.status_code == 422 and {e["field"] for e in bad.json()["errors"]} == {
        "lines.0.line_id",
        "lines.0.serials",
    }
    r = ship(["SN1", "SN9"])
    assert r.status_code == 422
    errors = r.json()["errors"]
    assert {e["field"] for e in errors} == {f"serials_{line.pk}"}
    assert "Unknown serial numbers of Phone X: SN9." in [e["message"] for e in errors]
    r = ship(["SN1", "SN2"])
    assert r.status_code == 200 and r.json()["status"] == "shipped"
    assert client.post(f"/api/inventory/transfers/{t.pk}/receive").json()["status"] == "received"
    assert _where(phone)["SN2"] == ("in_stock", "AD")
    assert ship(["SN3"]).status_code == 422  # received already: not shipped twice
