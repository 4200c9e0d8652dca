"""Pages: they render, they write through services, strangers get 404, lists have no N+1."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.urls import reverse
from django.utils import timezone

from concierge.inventory import services
from concierge.inventory.models import ItemStock, Movement, PurchaseOrder, Transfer
from concierge.inventory.services import ReceiptLine
from concierge.inventory.tests.factories import ItemFactory, ReorderRuleFactory

pytestmark = pytest.mark.django_db


def use_store(client, shop):
    """Pick the store the pages work on, as the store switcher does."""
    assert client.get(reverse("inventory:index"), {"store": shop.store.pk}).status_code == 200


@pytest.fixture
def stocked(shop):
    services.receive_stock(
        user=shop.staff,
        store=shop.store,
        lines=[
            ReceiptLine(item=shop.item, quantity=D(10), location=shop.bin),
            ReceiptLine(
                item=shop.milk,
                quantity=D(6),
                location=shop.bin2,
                batch_code="M1",
                expires_on=timezone.localdate() + timedelta(days=2),
            ),
        ],
    )
    return shop


def test_every_page_renders_for_staff(client, stocked):
    shop = stocked
    client.force_login(shop.manager)
    po = services.create_purchase_order(
        user=shop.manager, store=shop.store, supplier=shop.supplier, lines=[(shop.item, D(5))]
    )
    t = services.request_transfer(
        user=shop.staff, from_store=shop.store, to_store=shop.other_store, lines=[(shop.item, D(1))]
    )
    batch = shop.milk.batches.get()
    pages = [
        reverse("inventory:index"),
        reverse("inventory:receive"),
        reverse("inventory:receive") + f"?item={shop.item.pk}",
        reverse("inventory:sell") + f"?item={shop.milk.pk}",
        reverse("inventory:adjust"),
        reverse("inventory:items"),
        reverse("inventory:item_create"),
        reverse("inventory:item", args=[shop.item.pk]),
        reverse("inventory:item_edit", args=[shop.item.pk]),
        reverse("inventory:item_forecast", args=[shop.item.pk]),
        reverse("inventory:locations", args=[shop.store.pk]),
        reverse("inventory:store_settings", args=[shop.store.pk]),
        reverse("inventory:stocktake", args=[shop.bin.pk]),
        reverse("inventory:movements"),
        reverse("inventory:reorder"),
        reverse("inventory:purchase_orders"),
        reverse("inventory:purchase_order", args=[po.pk]),
        reverse("inventory:transfers"),
        reverse("inventory:transfer_create"),
        reverse("inventory:transfer", args=[t.pk]),
        reverse("inventory:alerts"),
        reverse("inventory:reports"),
        reverse("inventory:import_items"),
        reverse("inventory:import_stock"),
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
    for url in [
        reverse("inventory:export_items"),
        reverse("inventory:export_stock"),
        reverse("inventory:export_movements"),
        reverse("inventory:report_csv", args=["turnover"]),
    ]:
        response = client.get(url)
        assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    for url in [
        reverse("inventory:item_labels"),
        reverse("inventory:batch_labels", args=[batch.pk]),
        reverse("inventory:location_labels", args=[shop.store.pk]),
        reverse("inventory:purchase_order_pdf", args=[po.pk]),
    ]:
        response = client.get(url)
        assert response.status_code == 200 and response.content.startswith(b"%PDF"), url
    assert client.get(reverse("core:home")).status_code == 200


def test_stranger_gets_404(client, stocked, stranger):
    shop = stocked
    client.force_login(stranger)
    po = services.create_purchase_order(
        user=shop.manager, store=shop.store, supplier=shop.supplier, lines=[(shop.item, D(5))]
    )
    t = services.request_transfer(
        user=shop.staff, from_store=shop.store, to_store=shop.other_store, lines=[(shop.item, D(1))]
    )
    for url in [
        reverse("inventory:item", args=[shop.item.pk]),
        reverse("inventory:locations", args=[shop.store.pk]),
        reverse("inventory:stocktake", args=[shop.bin.pk]),
        reverse("inventory:purchase_order", args=[po.pk]),
        reverse("inventory:purchase_order_pdf", args=[po.pk]),
        reverse("inventory:transfer", args=[t.pk]),
        reverse("inventory:batch_labels", args=[shop.milk.batches.get().pk]),
    ]:
        assert client.get(url).status_code == 404, url
    page = client.get(reverse("inventory:index") + f"?store={shop.store.pk}").content.decode()
    assert shop.store.name not in page and shop.item.name not in page
    assert (
        client.post(reverse("inventory:transfer", args=[t.pk]), {"action": "approve"}).status_code
        == 404
    )
    assert Transfer.objects.get(pk=t.pk).status == "requested"


def test_stock_list_has_no_n_plus_one(client, shop, django_assert_max_num_queries):
    for n in range(30):
        item = ItemFactory(organisation=shop.org, name=f"Bulk {n:02d}")
        ReorderRuleFactory(item=item, store=shop.store)
        ItemStock.objects.create(item=item, store=shop.store, on_hand=D(n))
    client.force_login(shop.staff)
    # 30 rows: an N+1 would add 30+ queries; the page's fixed cost includes the shell's chat
    # widget (which organisation's chat to open).
    with django_assert_max_num_queries(18):
        response = client.get(reverse("inventory:index") + f"?store={shop.store.pk}")
    assert response.status_code == 200
    assert b"Bulk 29" in response.content


def test_movements_list_has_no_n_plus_one(client, stocked, django_assert_max_num_queries):
    shop = stocked
    for _ in range(20):
        services.adjust_stock(
            user=shop.staff,
            store=shop.store,
            item=shop.item,
            quantity=D(1),
            reason="found",
            location=shop.bin,
            confirm=True,
        )
    client.force_login(shop.staff)
    with django_assert_max_num_queries(14):
        assert client.get(reverse("inventory:movements")).status_code == 200


def test_receive_by_scanning_then_posting(client, shop):
    client.force_login(shop.staff)
    use_store(client, shop)
    r = client.get(reverse("inventory:scan"), {"code": shop.item.gtin, "mode": "receive"})
    assert r.status_code == 302 and f"item={shop.item.pk}" in r["Location"]
    r = client.get(reverse("inventory:scan"), {"code": "0000", "mode": "receive"}, follow=True)
    assert "Unknown barcode 0000" in r.content.decode()
    url = reverse("inventory:receive")
    client.post(
        url + f"?item={shop.item.pk}",
        {
            "action": "add",
            "item": shop.item.pk,
            "quantity": "12",
            "unit": "each",
            "location": shop.bin.pk,
        },
    )
    r = client.post(
        url, {"action": "post", "supplier": shop.supplier.pk, "delivery_note": "DN-9"}, follow=True
    )
    assert "Received 1 lines" in r.content.decode()
    assert ItemStock.objects.get(item=shop.item, store=shop.store).on_hand == 12
    # The same delivery note again: refused on the page, nothing written.
    client.post(
        url + f"?item={shop.item.pk}",
        {"action": "add", "item": shop.item.pk, "quantity": "12", "unit": "each"},
    )
    r = client.post(url, {"action": "post", "supplier": shop.supplier.pk, "delivery_note": "DN-9"})
    assert r.status_code == 200 and "already received" in r.content.decode()
    assert ItemStock.objects.get(item=shop.item, store=shop.store).on_hand == 12


def test_wrong_unit_and_past_expiry_are_form_errors(client, shop):
    client.force_login(shop.staff)
    url = reverse("inventory:receive") + f"?item={shop.milk.pk}"
    r = client.post(
        url,
        {
            "action": "add",
            "item": shop.milk.pk,
            "quantity": "3",
            "unit": "kg",
            "expires_on": "2000-01-01",
        },
    )
    body = r.content.decode()
    assert "Unit mismatch" in body and "in the past" in body
    assert not Movement.objects.exists()


def test_full_bin_is_refused_with_a_clear_message(client, shop):
    shop.bin.capacity_units = D(5)
    shop.bin.save()
    client.force_login(shop.staff)
    use_store(client, shop)
    url = reverse("inventory:receive")
    client.post(
        url + f"?item={shop.item.pk}",
        {
            "action": "add",
            "item": shop.item.pk,
            "quantity": "8",
            "unit": "each",
            "location": shop.bin.pk,
        },
    )
    r = client.post(url, {"action": "post"})
    assert "is full" in r.content.decode()


def test_two_click_reorder(client, shop):
    ReorderRuleFactory(item=shop.item, store=shop.store, reorder_point=D(5), reorder_qty=D(10))
    ItemStock.objects.create(item=shop.item, store=shop.store, on_hand=D(0))
    client.force_login(shop.manager)
    use_store(client, shop)
    r = client.post(reverse("inventory:reorder"), {"supplier": shop.supplier.pk})
    po = PurchaseOrder.objects.get()
    assert r["Location"] == reverse("inventory:purchase_order", args=[po.pk])
    client.post(r["Location"], {"action": "send"})
    po.refresh_from_db()
    assert po.status == "sent"


def test_stocktake_review_then_post(client, stocked):
    shop = stocked
    client.force_login(shop.staff)
    use_store(client, shop)
    url = reverse("inventory:stocktake", args=[shop.bin.pk])
    name = f"c_{shop.item.pk}_0"
    r = client.post(url, {name: "7", "step": "review"})
    assert (
        r.status_code == 200
        and ItemStock.objects.get(item=shop.item, store=shop.store).on_hand == 10
    )
    client.post(url, {name: "7", "step": "post"})
    assert ItemStock.objects.get(item=shop.item, store=shop.store).on_hand == 7


def test_import_items_dry_run_reports_row_errors(client, shop):
    client.force_login(shop.manager)
    csv = "sku,name,gtin,unit,cost,price\nN-1,Jaggery,8901234567890,kg,40,50\nN-2,,123,litres,x,1\n"
    from django.core.files.uploadedfile import SimpleUploadedFile

    r = client.post(
        reverse("inventory:import_items"),
        {"file": SimpleUploadedFile("items.csv", csv.encode()), "dry_run": "on"},
    )
    body = r.content.decode()
    assert "nothing was written" in body and "Required." in body
    assert not shop.org.items.filter(sku="N-1").exists()
    good = "sku,name,gtin,unit,cost,price\nN-1,Jaggery,8901234567890,kg,40,50\n"
    client.post(
        reverse("inventory:import_items"), {"file": SimpleUploadedFile("items.csv", good.encode())}
    )
    assert shop.org.items.get(sku="N-1").unit == "kg"


def test_manager_opts_a_store_into_the_forecast(client, shop):
    client.force_login(shop.staff)
    url = reverse("inventory:store_settings", args=[shop.store.pk])
    assert client.get(url).status_code == 403
    client.force_login(shop.manager)
    client.post(url, {"name": shop.store.name, "use_forecast": "on"})
    shop.store.refresh_from_db()
    assert shop.store.use_forecast and not shop.store.allow_negative_stock


def test_transfer_page_keeps_the_store_chosen_in_the_switcher(client, shop):
    client.force_login(shop.staff)
    use_store(client, shop)
    t = services.request_transfer(
        user=shop.staff, from_store=shop.other_store, to_store=shop.store, lines=[(shop.item, D(1))]
    )

    response = client.get(reverse("inventory:transfer", args=[t.pk]))

    assert response.status_code == 200
    assert response.context["store"] == shop.store
    assert f'<option value="{shop.store.pk}" selected>' in response.content.decode()
