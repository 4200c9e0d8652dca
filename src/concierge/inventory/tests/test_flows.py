"""Alerts once per condition, purchase orders, transfers, online orders, webhooks, network."""

import hashlib
import hmac
import json
from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from concierge.inventory import alerts, selectors, services
from concierge.inventory.models import (
    ItemStock,
    Movement,
    OnlineOrder,
    PurchaseOrder,
    Transfer,
    WebhookDelivery,
)
from concierge.inventory.services import ReceiptLine, SaleLine
from concierge.inventory.tests.factories import (
    ItemFactory,
    LocationFactory,
    MembershipFactory,
    ReorderRuleFactory,
    RetailerFactory,
    StoreFactory,
)
from concierge.notifications.models import Notification, OutboxEmail

pytestmark = pytest.mark.django_db


def receive(shop, item, qty, store=None, **kw):
    store = store or shop.store
    return services.receive_stock(
        user=shop.staff,
        store=store,
        confirm=True,
        lines=[ReceiptLine(item=item, quantity=D(qty), **kw)],
    )


def sell(shop, item, qty, store=None):
    return services.sell_stock(
        user=shop.staff,
        store=store or shop.store,
        confirm=True,
        lines=[SaleLine(item=item, quantity=D(qty))],
    )


def events(user, event):
    return Notification.objects.filter(recipient=user, event=event).count()


def test_low_stock_warns_once_until_it_clears(shop):
    ReorderRuleFactory(item=shop.item, store=shop.store, reorder_point=D(5))
    receive(shop, shop.item, 10)
    sell(shop, shop.item, 5)  # 5 left: at the reorder point
    assert events(shop.manager, "inventory.low_stock") == 1
    sell(shop, shop.item, 1)  # still low: no second warning
    assert events(shop.manager, "inventory.low_stock") == 1
    receive(shop, shop.item, 10)  # cleared
    sell(shop, shop.item, 10)  # low again: warn again
    assert events(shop.manager, "inventory.low_stock") == 2
    assert events(shop.staff, "inventory.low_stock") == 2
    assert (
        OutboxEmail.objects.filter(event="inventory.low_stock", to=shop.manager.email).count() == 2
    )


def test_out_of_stock_and_overstock(shop):
    ReorderRuleFactory(item=shop.item, store=shop.store, reorder_point=D(2), max_qty=D(20))
    receive(shop, shop.item, 25)
    assert events(shop.manager, "inventory.overstock") == 1
    sell(shop, shop.item, 25)
    assert events(shop.manager, "inventory.out_of_stock") == 1
    assert selectors.alert_counts(stores=[shop.store])["out"] == 1
    assert selectors.alert_counts(stores=[shop.store])["overstock"] == 0


def test_expiring_batches_and_slow_movers_warn_once(shop):
    today = timezone.localdate()
    receive(shop, shop.milk, 3, batch_code="B1", expires_on=today + timedelta(days=2))
    receive(shop, shop.item, 3)
    old = timezone.now() - timedelta(days=40)
    sell(shop, shop.item, 1)
    ItemStock.objects.filter(item=shop.item).update(last_sale_at=old)
    assert alerts.scan_store(store=shop.store) == 2
    assert alerts.scan_store(store=shop.store) == 0
    assert events(shop.manager, "inventory.expiring") == 1
    assert events(shop.manager, "inventory.slow_mover") == 1
    sell(shop, shop.milk, 3)  # batch gone: the expiring condition clears
    alerts.scan_store(store=shop.store)
    assert selectors.alert_counts(stores=[shop.store])["expiring"] == 0


def test_daily_digest_for_store_manager(shop):
    ReorderRuleFactory(item=shop.item, store=shop.store, reorder_point=D(5))
    receive(shop, shop.item, 3)
    assert alerts.send_store_digests() == 1
    assert alerts.send_store_digests() == 0  # once a day
    n = Notification.objects.get(recipient=shop.manager, event="inventory.store_digest")
    assert "1 low" in n.body


def test_reorder_suggestion_to_purchase_order_to_partial_receipt(shop, mailoutbox):
    shop.item.pack_size = 6
    shop.item.save()
    ReorderRuleFactory(item=shop.item, store=shop.store, reorder_point=D(5), reorder_qty=D(20))
    receive(shop, shop.item, 4)
    [s] = selectors.reorder_suggestions(user=shop.manager, store=shop.store)
    assert (s.item, s.quantity, s.source) == (shop.item, D(24), "rule")  # 20 → packs of 6
    po = services.order_suggestions(user=shop.manager, store=shop.store, supplier=shop.supplier)
    assert selectors.reorder_suggestions(user=shop.manager, store=shop.store) == []
    services.send_purchase_order(user=shop.manager, order=po)
    mail = OutboxEmail.objects.get(event="inventory.purchase_order")
    assert mail.to == shop.supplier.email and mail.attachments[0]["mimetype"] == "application/pdf"
    line = po.lines.get()
    services.receive_purchase_order(
        user=shop.staff,
        order=po,
        delivery_note="DN-1",
        lines={line.pk: ReceiptLine(item=shop.item, quantity=D(10))},
    )
    po.refresh_from_db()
    assert po.status == PurchaseOrder.Status.PARTIAL
    with pytest.raises(ValidationError, match="already received"):
        services.receive_purchase_order(
            user=shop.staff,
            order=po,
            delivery_note="DN-1",
            lines={line.pk: ReceiptLine(item=shop.item, quantity=D(14))},
        )
    services.receive_purchase_order(
        user=shop.staff,
        order=po,
        delivery_note="DN-2",
        lines={line.pk: ReceiptLine(item=shop.item, quantity=D(14))},
    )
    po.refresh_from_db()
    assert po.status == PurchaseOrder.Status.RECEIVED
    assert ItemStock.objects.get(item=shop.item, store=shop.store).on_hand == 28
    perf = selectors.supplier_performance(organisation=shop.org)[0]
    assert perf["fill_rate"] == 100.0


def test_staff_cannot_order(shop):
    with pytest.raises(PermissionDenied):
        services.create_purchase_order(
            user=shop.staff, store=shop.store, supplier=shop.supplier, lines=[(shop.item, D(1))]
        )


def test_overdue_orders_are_flagged_once(shop):
    po = services.create_purchase_order(
        user=shop.manager,
        store=shop.store,
        supplier=shop.supplier,
        lines=[(shop.item, D(5))],
        expected_on=timezone.localdate() - timedelta(days=1),
    )
    services.send_purchase_order(user=shop.manager, order=po)
    assert alerts.overdue_orders() > 0
    assert alerts.overdue_orders() == 0


def test_transfer_states_and_who_may_move_them(shop):
    receive(shop, shop.item, 10)
    t = services.request_transfer(
        user=shop.staff, from_store=shop.store, to_store=shop.other_store, lines=[(shop.item, D(3))]
    )
    with pytest.raises(ValidationError, match="Requested"):
        services.ship_transfer(user=shop.staff, transfer=t)
    with pytest.raises(PermissionDenied):
        services.approve_transfer(user=shop.staff, transfer=t)
    services.approve_transfer(user=shop.manager, transfer=t)
    services.ship_transfer(user=shop.staff, transfer=t)
    t.refresh_from_db()
    assert t.status == Transfer.Status.SHIPPED
    assert ItemStock.objects.get(item=shop.item, store=shop.store).on_hand == 7
    with pytest.raises(ValidationError):
        services.ship_transfer(user=shop.staff, transfer=t)
    services.receive_transfer(user=shop.staff, transfer=t)
    t.refresh_from_db()
    assert t.status == Transfer.Status.RECEIVED
    assert ItemStock.objects.get(item=shop.item, store=shop.other_store).on_hand == 3


def test_network_transfer_matches_items_by_gtin_and_hides_prices(shop):
    other_org = RetailerFactory()
    other_manager = MembershipFactory(organisation=other_org, role="manager").user
    other_store = StoreFactory(organisation=other_org, code="NB")
    LocationFactory(store=other_store, code="N-1")
    twin = ItemFactory(organisation=other_org, gtin=shop.item.gtin, price=D("99"))
    receive_other = services.receive_stock(
        user=other_manager, store=other_store, lines=[ReceiptLine(item=twin, quantity=D(8))]
    )
    assert receive_other
    LocationFactory(store=shop.store, code="Z-1")
    # Not in a network yet: no availability, no transfer.
    assert all(r["own"] for r in selectors.network_availability(user=shop.staff, item=shop.item))
    with pytest.raises(PermissionDenied):
        services.request_transfer(
            user=shop.staff, from_store=other_store, to_store=shop.store, lines=[(shop.item, D(2))]
        )
    member = services.join_network(user=shop.manager, organisation=shop.org, name="Chennai")
    services.join_network(user=other_manager, organisation=other_org, network=member.network)
    theirs = [
        r for r in selectors.network_availability(user=shop.staff, item=shop.item) if not r["own"]
    ]
    assert theirs[0]["available"] == 8 and theirs[0]["price"] is None
    t = services.request_transfer(
        user=shop.staff, from_store=other_store, to_store=shop.store, lines=[(shop.item, D(2))]
    )
    assert t.lines.get().item == twin
    services.approve_transfer(user=other_manager, transfer=t)
    services.ship_transfer(user=other_manager, transfer=t)
    services.receive_transfer(user=shop.staff, transfer=t)
    assert ItemStock.objects.get(item=shop.item, store=shop.store).on_hand == 2
    assert ItemStock.objects.get(item=twin, store=other_store).on_hand == 6


def test_online_order_is_idempotent_and_reserves_then_issues(shop):
    receive(shop, shop.item, 5)
    order, created = services.place_online_order(
        user=shop.staff, store=shop.store, external_id="WEB-1", lines=[(shop.item, D(4))]
    )
    again, created_again = services.place_online_order(
        user=shop.staff, store=shop.store, external_id="WEB-1", lines=[(shop.item, D(4))]
    )
    assert created and not created_again and again.pk == order.pk
    stock = ItemStock.objects.get(item=shop.item, store=shop.store)
    assert (stock.on_hand, stock.reserved) == (5, 4)
    with pytest.raises(ValidationError, match="reserved for online orders"):
        sell(shop, shop.item, 2)
    services.fulfil_online_order(user=shop.staff, order=order)
    stock.refresh_from_db()
    assert (stock.on_hand, stock.reserved) == (1, 0)
    services.fulfil_online_order(user=shop.staff, order=order)  # repeat: nothing changes
    stock.refresh_from_db()
    assert stock.on_hand == 1
    assert Movement.objects.filter(online_order=order).count() == 1


def test_cancelled_online_order_releases_stock(shop):
    receive(shop, shop.item, 5)
    order, _ = services.place_online_order(
        user=shop.staff, store=shop.store, external_id="WEB-2", lines=[(shop.item, D(5))]
    )
    with pytest.raises(ValidationError, match="free"):
        services.place_online_order(
            user=shop.staff, store=shop.store, external_id="WEB-3", lines=[(shop.item, D(1))]
        )
    assert not OnlineOrder.objects.filter(external_id="WEB-3").exists()
    services.cancel_online_order(user=shop.staff, order=order)
    assert ItemStock.objects.get(item=shop.item, store=shop.store).reserved == 0


def test_webhook_is_signed_and_retried(shop, monkeypatch):
    sub = services.create_webhook(
        user=shop.manager, organisation=shop.org, url="https://shop.test/hook", items=[shop.item]
    )
    sent = []

    class Ok:
        status = 200

        def __enter__(self):
            return self

        def __exit__(self, *a):
            return False

    def failing(request, timeout):
        raise OSError("connection refused")

    def ok(request, timeout):
        sent.append(request)
        return Ok()

    receive(
        shop, shop.milk, 1, batch_code="Q", expires_on=timezone.localdate() + timedelta(days=3)
    )  # not followed: no delivery
    assert WebhookDelivery.objects.count() == 0
    import urllib.request

    monkeypatch.setattr(urllib.request, "urlopen", failing)
    receive(shop, shop.item, 2)  # the immediate task backend tries once, and fails
    delivery = WebhookDelivery.objects.get()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(attempts=0, status="pending")
    assert services.deliver_webhook(delivery_id=delivery.pk, opener=failing) is False
    delivery.refresh_from_db()
    assert delivery.status == "pending" and delivery.attempts == 1
    assert services.deliver_webhook(delivery_id=delivery.pk, opener=ok) is True
    body = sent[0].data
    expected = "sha256=" + hmac.new(sub.secret.encode(), body, hashlib.sha256).hexdigest()
    assert sent[0].get_header("X-concierge-signature") == expected
    assert json.loads(body)["on_hand"] == "2"


def test_deleting_the_organisation_is_refused_while_it_has_stock_history(shop):
    from django.db.models.deletion import ProtectedError

    from concierge.inventory.models import Movement

    item = ItemFactory(organisation=shop.org)
    receive(shop, item, "5")
    with pytest.raises(ProtectedError):
        shop.org.delete()
    assert Movement.objects.filter(item=item).count() == 1
