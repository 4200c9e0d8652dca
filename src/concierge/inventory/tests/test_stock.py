"""The ledger: every movement type, FEFO, valuation, capacity, negative-stock guard,
validation of human error, and the rebuild check."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.utils import timezone

from concierge.inventory import ledger, selectors, services
from concierge.inventory.models import ItemStock, Movement, StockLevel
from concierge.inventory.services import ReceiptLine, SaleLine

pytestmark = pytest.mark.django_db


def on_hand(item, store):
    return ItemStock.objects.get(item=item, store=store).on_hand


def receive(shop, item, qty, **kw):
    return services.receive_stock(
        user=shop.staff,
        store=shop.store,
        lines=[
            ReceiptLine(item=item, quantity=D(qty), location=kw.pop("location", shop.bin), **kw)
        ],
        confirm=True,
    )


def test_receive_then_sell_updates_levels_and_ledger(shop):
    receive(shop, shop.item, 10)
    services.sell_stock(
        user=shop.staff,
        store=shop.store,
        lines=[SaleLine(item=shop.item, quantity=D(3), unit_price=D("15"))],
    )
    assert on_hand(shop.item, shop.store) == 7
    assert StockLevel.objects.get(item=shop.item, location=shop.bin).quantity == 7
    kinds = list(Movement.objects.filter(item=shop.item).values_list("kind", "quantity"))
    assert sorted(kinds) == [("receive", D(10)), ("sale", D(-3))]


def test_every_movement_type_is_explained_by_the_ledger(shop):
    receive(shop, shop.item, 20)
    services.sell_stock(
        user=shop.staff, store=shop.store, lines=[SaleLine(item=shop.item, quantity=D(5))]
    )
    services.return_stock(
        user=shop.staff,
        store=shop.store,
        item=shop.item,
        quantity=D(1),
        reason="wrong size",
        location=shop.bin,
    )
    services.adjust_stock(
        user=shop.staff,
        store=shop.store,
        item=shop.item,
        quantity=D(-2),
        reason="found broken seal",
        location=shop.bin,
    )
    services.write_off(
        user=shop.staff, store=shop.store, item=shop.item, quantity=D(1), reason="damaged"
    )
    t = services.request_transfer(
        user=shop.staff, from_store=shop.store, to_store=shop.other_store, lines=[(shop.item, D(4))]
    )
    services.approve_transfer(user=shop.manager, transfer=t)
    services.ship_transfer(user=shop.staff, transfer=t)
    assert ItemStock.objects.get(item=shop.item, store=shop.other_store).in_transit == 4
    services.receive_transfer(user=shop.staff, transfer=t)
    assert on_hand(shop.item, shop.store) == 20 - 5 + 1 - 2 - 1 - 4
    assert on_hand(shop.item, shop.other_store) == 4
    assert ItemStock.objects.get(item=shop.item, store=shop.other_store).in_transit == 0
    assert set(Movement.objects.values_list("kind", flat=True)) == {
        "receive",
        "sale",
        "return",
        "adjust",
        "write_off",
        "transfer_out",
        "transfer_in",
    }
    assert ledger.check().ok


def test_adjustment_needs_a_reason(shop):
    with pytest.raises(ValidationError) as exc:
        services.adjust_stock(
            user=shop.staff, store=shop.store, item=shop.item, quantity=D(1), reason=" "
        )
    assert "reason" in exc.value.message_dict


def test_stock_never_goes_negative_unless_the_store_allows_it(shop):
    receive(shop, shop.item, 2)
    with pytest.raises(ValidationError, match="cannot take 3"):
        services.sell_stock(
            user=shop.staff, store=shop.store, lines=[SaleLine(item=shop.item, quantity=D(3))]
        )
    assert on_hand(shop.item, shop.store) == 2
    assert Movement.objects.filter(kind="sale").count() == 0
    shop.store.allow_negative_stock = True
    shop.store.save()
    services.sell_stock(
        user=shop.staff, store=shop.store, lines=[SaleLine(item=shop.item, quantity=D(3))]
    )
    assert on_hand(shop.item, shop.store) == -1


def test_a_failing_line_writes_nothing(shop):
    receive(shop, shop.item, 5)
    with pytest.raises(ValidationError):
        services.sell_stock(
            user=shop.staff,
            store=shop.store,
            lines=[
                SaleLine(item=shop.item, quantity=D(2)),
                SaleLine(item=shop.milk, quantity=D(1)),
            ],
        )
    assert on_hand(shop.item, shop.store) == 5
    assert not Movement.objects.filter(kind="sale").exists()


def test_fefo_sells_the_batch_that_expires_first_and_skips_expired(shop):
    today = timezone.localdate()
    receive(shop, shop.milk, 5, batch_code="LATE", expires_on=today + timedelta(days=5))
    receive(
        shop,
        shop.milk,
        5,
        batch_code="SOON",
        expires_on=today + timedelta(days=1),
        location=shop.bin2,
    )
    suggestion = selectors_fefo = services.fefo_allocation(
        item=shop.milk, store=shop.store, quantity=D(7)
    )
    assert [(a.level.batch.code, a.quantity) for a in selectors_fefo] == [("SOON", 5), ("LATE", 2)]
    services.sell_stock(
        user=shop.staff, store=shop.store, lines=[SaleLine(item=shop.milk, quantity=D(7))]
    )
    left = {lvl.batch.code: lvl.quantity for lvl in StockLevel.objects.filter(item=shop.milk)}
    assert left == {"SOON": 0, "LATE": 3}
    assert suggestion


def test_expired_batch_cannot_be_sold(shop):
    today = timezone.localdate()
    receive(shop, shop.milk, 5, batch_code="OLD", expires_on=today + timedelta(days=1))
    batch = shop.milk.batches.get(code="OLD")
    batch.expires_on = today - timedelta(days=1)
    batch.save()
    with pytest.raises(ValidationError, match="expired batches excluded"):
        services.sell_stock(
            user=shop.staff, store=shop.store, lines=[SaleLine(item=shop.milk, quantity=D(1))]
        )
    services.write_off(
        user=shop.staff,
        store=shop.store,
        item=shop.milk,
        batch=batch,
        quantity=D(5),
        reason="expired",
    )
    assert on_hand(shop.milk, shop.store) == 0


def test_moving_average_cost(shop):
    receive(shop, shop.item, 10, unit_cost=D("10"))
    receive(shop, shop.item, 10, unit_cost=D("20"))
    shop.item.refresh_from_db()
    assert shop.item.average_cost == D("15.0000")
    sale = services.sell_stock(
        user=shop.staff, store=shop.store, lines=[SaleLine(item=shop.item, quantity=D(4))]
    )[0]
    assert sale.unit_cost == D("15.0000")
    value = {r["store__name"]: r["value"] for r in selectors.value_by_store(organisation=shop.org)}
    assert D(value["T. Nagar"]) == D("240")
    assert selectors.stock_value(store=shop.store) == D("240.00")


def test_receipt_into_a_full_bin_is_refused(shop):
    shop.bin.capacity_units = D(10)
    shop.bin.save()
    receive(shop, shop.item, 8)
    with pytest.raises(
        ValidationError, match="is full: it holds 8 of 10 units, so there is room for 2, not 5"
    ):
        receive(shop, shop.item, 5)
    assert on_hand(shop.item, shop.store) == 8
    tree = {
        row["location"].code: row["percent"] for row in selectors.location_tree(store=shop.store)
    }
    assert tree["A-01"] == 80


def test_validation_catches_human_error_before_writing(shop):
    today = timezone.localdate()
    with pytest.raises(ValidationError, match="Unknown barcode 123"):
        services.item_for_code(organisation=shop.org, code="123")
    assert services.item_for_code(organisation=shop.org, code=shop.item.gtin) == shop.item
    with pytest.raises(ValidationError, match="Unit mismatch"):
        receive(shop, shop.item, 1, unit="kg")
    with pytest.raises(ValidationError, match="in the past"):
        receive(shop, shop.milk, 1, batch_code="X", expires_on=today - timedelta(days=1))
    with pytest.raises(ValidationError, match="whole"):
        receive(shop, shop.item, "1.5")
    services.receive_stock(
        user=shop.staff,
        store=shop.store,
        supplier=shop.supplier,
        delivery_note="DN-77",
        lines=[ReceiptLine(item=shop.item, quantity=D(5))],
    )
    with pytest.raises(ValidationError, match="already received"):
        services.receive_stock(
            user=shop.staff,
            store=shop.store,
            supplier=shop.supplier,
            delivery_note="DN-77",
            lines=[ReceiptLine(item=shop.item, quantity=D(5))],
        )
    assert on_hand(shop.item, shop.store) == 5


def test_quantity_far_above_usual_asks_to_confirm(shop):
    for _ in range(3):
        receive(shop, shop.item, 10)
    for _ in range(3):
        services.sell_stock(
            user=shop.staff, store=shop.store, lines=[SaleLine(item=shop.item, quantity=D(1))]
        )
    with pytest.raises(ValidationError) as exc:
        services.sell_stock(
            user=shop.staff, store=shop.store, lines=[SaleLine(item=shop.item, quantity=D(10))]
        )
    assert exc.value.error_dict["quantity"][0].code == "confirm"
    services.sell_stock(
        user=shop.staff,
        store=shop.store,
        confirm=True,
        lines=[SaleLine(item=shop.item, quantity=D(10))],
    )
    assert on_hand(shop.item, shop.store) == 17


def test_gtin_check_digit_is_verified(shop):
    with pytest.raises(ValidationError, match="check digit"):
        services.create_item(
            user=shop.manager, organisation=shop.org, sku="NEW", name="Soap", gtin="8901234567891"
        )
    item = services.create_item(
        user=shop.manager, organisation=shop.org, sku="NEW", name="Soap", gtin="8901234567890"
    )
    assert item.gtin == "8901234567890"


def test_staff_cannot_manage_and_strangers_cannot_move(shop, stranger):
    with pytest.raises(PermissionDenied):
        services.create_item(user=shop.staff, organisation=shop.org, sku="X", name="X")
    with pytest.raises(PermissionDenied):
        receive(type(shop)(**{**shop.__dict__, "staff": stranger}), shop.item, 1)


def test_stocktake_posts_variances_as_adjustments(shop):
    receive(shop, shop.item, 10)
    receive(
        shop, shop.milk, 4, batch_code="M1", expires_on=timezone.localdate() + timedelta(days=3)
    )
    batch = shop.milk.batches.get()
    moves = services.post_stocktake(
        user=shop.staff,
        location=shop.bin,
        counts={(shop.item.pk, None): D(8), (shop.milk.pk, batch.pk): D(4)},
    )
    assert [(m.item, m.quantity, m.kind) for m in moves] == [(shop.item, D(-2), "adjust")]
    assert "stocktake" in moves[0].reason
    assert on_hand(shop.item, shop.store) == 8


def test_rebuild_check_finds_and_fixes_drift(shop, capsys):
    receive(shop, shop.item, 10)
    services.sell_stock(
        user=shop.staff, store=shop.store, lines=[SaleLine(item=shop.item, quantity=D(4))]
    )
    call_command("inventory_rebuild", "--check")
    StockLevel.objects.filter(item=shop.item).update(quantity=D(99))
    ItemStock.objects.filter(item=shop.item).update(on_hand=D(99))
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("inventory_rebuild", "--check")
    call_command("inventory_rebuild")
    assert on_hand(shop.item, shop.store) == 6
    assert ledger.check().ok


def test_serialised_items_need_one_serial_per_unit(shop):
    shop.item.serialised = True
    shop.item.save()
    with pytest.raises(ValidationError, match="one serial number per unit"):
        receive(shop, shop.item, 2, serials=["A"])
    receive(shop, shop.item, 2, serials=["A", "B"])
    services.sell_stock(
        user=shop.staff,
        store=shop.store,
        lines=[SaleLine(item=shop.item, quantity=D(1), serials=["A"])],
    )
    with pytest.raises(ValidationError, match="not in stock"):
        services.sell_stock(
            user=shop.staff,
            store=shop.store,
            lines=[SaleLine(item=shop.item, quantity=D(1), serials=["A"])],
        )
