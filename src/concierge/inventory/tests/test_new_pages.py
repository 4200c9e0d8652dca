"""Pages for serialised sales, variants, settings, online orders, webhooks and the network."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.urls import reverse
from django.utils import timezone

from concierge.inventory import services
from concierge.inventory.models import (
    InventorySettings,
    Item,
    ItemStock,
    NetworkInvite,
    NetworkMember,
    OnlineOrder,
    SerialNumber,
    WebhookDelivery,
    WebhookSubscription,
)
from concierge.inventory.services import ReceiptLine
from concierge.inventory.tests.factories import (
    ItemFactory,
    MembershipFactory,
    RetailerFactory,
    StoreFactory,
)


def _use_store(client, shop):
    assert client.get(reverse("inventory:index"), {"store": shop.store.pk}).status_code == 200


@pytest.fixture
def phones(shop):
    phone = ItemFactory(organisation=shop.org, name="Phone X", serialised=True)
    services.receive_stock(
        user=shop.staff,
        store=shop.store,
        lines=[
            ReceiptLine(item=phone, quantity=D(3), location=shop.bin, serials=["SN1", "SN2", "SN3"])
        ],
    )
    return phone


# --- serialised sales -------------------------------------------------------------------------


def test_selling_a_serialised_item_by_scanning_its_serial(client, shop, phones):
    client.force_login(shop.staff)
    _use_store(client, shop)
    r = client.get(reverse("inventory:scan"), {"code": "SN2", "mode": "sell"})
    assert (
        r.status_code == 302
        and f"item={phones.pk}" in r["Location"]
        and "serial=SN2" in r["Location"]
    )
    page = client.get(r["Location"]).content.decode()
    assert "SN2" in page and "Scan serial numbers" in page
    r = client.post(
        reverse("inventory:sell") + f"?item={phones.pk}",
        {"action": "add", "item": phones.pk, "scanned_serials": "SN2\nSN3", "unit_price": "100"},
    )
    assert r.status_code == 302
    r = client.post(reverse("inventory:sell"), {"action": "post", "reference": "R-1"}, follow=True)
    assert "Sale posted" in r.content.decode()
    sold = set(SerialNumber.objects.filter(status="sold").values_list("serial", flat=True))
    assert sold == {"SN2", "SN3"}
    assert ItemStock.objects.get(item=phones, store=shop.store).on_hand == 1


def test_serialised_sale_refuses_unknown_or_missing_serials(client, shop, phones):
    client.force_login(shop.staff)
    _use_store(client, shop)
    url = reverse("inventory:sell") + f"?item={phones.pk}"
    r = client.post(url, {"action": "add", "item": phones.pk, "scanned_serials": "SN9"})
    assert r.status_code == 200 and "Not in stock here: SN9." in r.content.decode()
    r = client.post(url, {"action": "add", "item": phones.pk, "scanned_serials": ""})
    assert "Pick or scan the serial number of each unit sold." in r.content.decode()
    # Picking from the in-stock list works too.
    r = client.post(url, {"action": "add", "item": phones.pk, "serials": ["SN1"]})
    assert r.status_code == 302
    assert client.session[f"inv_sell_{shop.store.pk}"][0]["serials"] == ["SN1"]


def test_unknown_code_in_sell_mode_is_still_a_clear_error(client, shop, phones):
    client.force_login(shop.staff)
    _use_store(client, shop)
    r = client.get(reverse("inventory:scan"), {"code": "NOPE", "mode": "sell"}, follow=True)
    assert "Unknown barcode NOPE" in r.content.decode()


# --- variants -------------------------------------------------------------------------------


def test_adding_a_variant_from_the_main_item(client, shop):
    shirt = ItemFactory(organisation=shop.org, name="Kurta", sku="KURTA")
    client.force_login(shop.manager)
    _use_store(client, shop)
    page = client.get(reverse("inventory:item_create") + f"?variant_of={shirt.pk}")
    assert 'value="KURTA"' in page.content.decode()
    data = {
        "sku": "KURTA-M-RED",
        "name": "Kurta M red",
        "unit": "each",
        "size": "M",
        "colour": "Red",
        "cost": "100",
        "price": "150",
        "tax_rate": "5",
        "pack_size": 1,
        "minimum_order_qty": 1,
        "active": "on",
        "variant_of_sku": "KURTA",
    }
    r = client.post(reverse("inventory:item_create"), data)
    assert r.status_code == 302
    variant = Item.objects.get(sku="KURTA-M-RED")
    assert variant.variant_of == shirt
    page = client.get(reverse("inventory:item", args=[shirt.pk])).content.decode()
    assert 'id="variants"' in page and "Kurta M red" in page
    # The same size and colour again: a form error, nothing written.
    r = client.post(reverse("inventory:item_create"), {**data, "sku": "KURTA-M-RED-2"})
    assert r.status_code == 200
    assert "already has a variant of this size and colour" in r.content.decode()
    # A variant with nothing that tells it apart, and an unknown main item.
    r = client.post(
        reverse("inventory:item_create"), {**data, "sku": "K3", "size": "", "colour": ""}
    )
    assert "A variant needs a size or a colour" in r.content.decode()
    r = client.post(reverse("inventory:item_create"), {**data, "sku": "K4", "variant_of_sku": "?"})
    assert "No item has SKU ?." in r.content.decode()
    assert Item.objects.filter(variant_of=shirt).count() == 1


# --- valuation settings ---------------------------------------------------------------------


def test_manager_switches_to_fifo_on_the_settings_page(client, shop):
    client.force_login(shop.staff)
    _use_store(client, shop)
    assert client.get(reverse("inventory:settings")).status_code == 403
    client.force_login(shop.manager)
    _use_store(client, shop)
    r = client.post(
        reverse("inventory:settings"),
        {"valuation": "fifo", "expiry_warning_days": 7, "slow_mover_days": 30},
    )
    assert r.status_code == 302
    assert InventorySettings.objects.get(organisation=shop.org).valuation == "fifo"
    r = client.post(
        reverse("inventory:settings"),
        {"valuation": "lifo", "expiry_warning_days": -1, "slow_mover_days": 30},
    )
    assert r.status_code == 200 and "is-invalid" in r.content.decode()


# --- online orders --------------------------------------------------------------------------


@pytest.fixture
def stocked_order(shop):
    services.receive_stock(
        user=shop.staff,
        store=shop.store,
        lines=[ReceiptLine(item=shop.item, quantity=D(5), location=shop.bin)],
    )
    order, _ = services.place_online_order(
        user=shop.staff, store=shop.store, external_id="WEB-1", lines=[(shop.item, D(2))]
    )
    return order


def test_online_orders_list_and_fulfil(client, shop, stocked_order):
    client.force_login(shop.staff)
    _use_store(client, shop)
    page = client.get(reverse("inventory:online_orders")).content.decode()
    assert "WEB-1" in page and "Reserved" in page
    url = reverse("inventory:online_order_action", args=[stocked_order.pk])
    r = client.post(url, {"action": "fulfil"}, follow=True)
    assert "Order WEB-1 fulfilled." in r.content.decode()
    stock = ItemStock.objects.get(item=shop.item, store=shop.store)
    assert (stock.on_hand, stock.reserved) == (3, 0)
    # Cancelling a fulfilled order: a clear message, nothing changes.
    r = client.post(url, {"action": "cancel"}, follow=True)
    assert "A fulfilled order cannot be cancelled." in r.content.decode()
    assert OnlineOrder.objects.get(pk=stocked_order.pk).status == "fulfilled"
    assert client.post(url, {"action": "explode"}).status_code == 400
    assert (
        "Fulfilled"
        in client.get(reverse("inventory:online_orders"), {"status": "fulfilled"}).content.decode()
    )


def test_online_order_cancel_frees_stock_and_strangers_get_404(client, shop, stocked_order):
    elsewhere = RetailerFactory()
    stranger = MembershipFactory(organisation=elsewhere, role="manager").user
    StoreFactory(organisation=elsewhere)
    url = reverse("inventory:online_order_action", args=[stocked_order.pk])
    client.force_login(stranger)
    assert client.post(url, {"action": "cancel"}).status_code == 404
    client.force_login(shop.staff)
    r = client.post(url, {"action": "cancel"}, follow=True)
    assert "its stock is free again" in r.content.decode()
    assert ItemStock.objects.get(item=shop.item, store=shop.store).reserved == 0


# --- webhooks -------------------------------------------------------------------------------


def test_manager_manages_webhooks(client, shop):
    client.force_login(shop.staff)
    _use_store(client, shop)
    assert client.get(reverse("inventory:webhooks")).status_code == 403
    client.force_login(shop.manager)
    _use_store(client, shop)
    r = client.post(
        reverse("inventory:webhooks"), {"url": "ftp://shop.test/x", "skus": shop.item.sku}
    )
    assert r.status_code == 200 and "is-invalid" in r.content.decode()
    r = client.post(
        reverse("inventory:webhooks"), {"url": "https://shop.test/hook", "skus": "NOPE"}
    )
    assert "Unknown SKUs: NOPE." in r.content.decode()
    assert not WebhookSubscription.objects.exists()
    r = client.post(
        reverse("inventory:webhooks"), {"url": "https://shop.test/hook", "skus": shop.item.sku}
    )
    assert r.status_code == 302
    sub = WebhookSubscription.objects.get()
    assert list(sub.items.all()) == [shop.item]
    page = client.get(reverse("inventory:webhooks")).content.decode()
    assert "https://shop.test/hook" in page and sub.secret in page
    client.post(reverse("inventory:webhook_action", args=[sub.pk]), {"action": "pause"})
    assert not WebhookSubscription.objects.get().active
    failed = WebhookDelivery.objects.create(
        subscription=sub, payload={"x": 1}, status="failed", attempts=6
    )
    r = client.post(reverse("inventory:webhook_retry", args=[failed.pk]), follow=True)
    assert "Delivery queued again." in r.content.decode()
    assert WebhookDelivery.objects.get(pk=failed.pk).attempts <= 1
    client.post(reverse("inventory:webhook_action", args=[sub.pk]), {"action": "delete"})
    assert not WebhookSubscription.objects.exists()


def test_another_organisations_webhook_is_a_404(client, shop):
    other = RetailerFactory()
    boss = MembershipFactory(organisation=other, role="manager").user
    sub = services.create_webhook(user=boss, organisation=other, url="https://x.test/")
    client.force_login(shop.manager)
    r = client.post(reverse("inventory:webhook_action", args=[sub.pk]), {"action": "delete"})
    assert r.status_code == 404
    assert WebhookSubscription.objects.filter(pk=sub.pk).exists()


# --- network --------------------------------------------------------------------------------


def test_invite_and_accept_another_organisation(client, shop):
    client.force_login(shop.manager)
    _use_store(client, shop)
    r = client.post(reverse("inventory:network"), {"action": "create", "name": "Adyar shops"})
    assert r.status_code == 302
    net = NetworkMember.objects.get(organisation=shop.org).network
    r = client.post(
        reverse("inventory:network"),
        {"action": "invite", "network": net.pk, "note": "Lakshmi Stores"},
        follow=True,
    )
    invite = NetworkInvite.objects.get()
    assert invite.code in r.content.decode()

    other = RetailerFactory(name="Lakshmi Stores")
    boss = MembershipFactory(organisation=other, role="manager").user
    other_store = StoreFactory(organisation=other)
    client.force_login(boss)
    client.get(reverse("inventory:index"), {"store": other_store.pk})
    r = client.post(reverse("inventory:network"), {"action": "join", "code": "wrong"})
    assert r.status_code == 422 and "This invitation code is not valid." in r.content.decode()
    r = client.post(reverse("inventory:network"), {"action": "join", "code": invite.code})
    assert r.status_code == 302
    assert NetworkMember.objects.filter(network=net, organisation=other).exists()
    r = client.post(reverse("inventory:network"), {"action": "join", "code": invite.code})
    assert "already been used" in r.content.decode()
    page = client.get(reverse("inventory:network")).content.decode()
    assert "Adyar shops" in page and shop.org.name in page


def test_expired_invite_and_staff_cannot_manage_the_network(client, shop):
    member = services.create_network(user=shop.manager, organisation=shop.org, name="Net")
    invite = services.invite_to_network(
        user=shop.manager, organisation=shop.org, network=member.network
    )
    invite.expires_at = timezone.now() - timedelta(days=1)
    invite.save()
    other = RetailerFactory()
    boss = MembershipFactory(organisation=other, role="manager").user
    StoreFactory(organisation=other)
    client.force_login(boss)
    r = client.post(reverse("inventory:network"), {"action": "join", "code": invite.code})
    assert "expired" in r.content.decode()
    client.force_login(shop.staff)
    assert client.get(reverse("inventory:network")).status_code == 403
    # A stranger cannot invite to a network it is not in (404, nothing written).
    client.force_login(boss)
    r = client.post(
        reverse("inventory:network"), {"action": "invite", "network": member.network.pk}
    )
    assert r.status_code == 404
    assert NetworkInvite.objects.count() == 1
