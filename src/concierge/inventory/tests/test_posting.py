"""A sale's round trips: what the lock query brings with it (usual quantity, reorder rule,
active alerts) agrees with reading it separately, and the statement count does not grow with
the lines."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from concierge.inventory import ledger, services
from concierge.inventory.models import AlertState, ItemStock, Movement
from concierge.inventory.services import ReceiptLine, SaleLine
from concierge.inventory.tests.factories import ItemFactory, ReorderRuleFactory

K = Movement.Kind


def _receive(shop, item, qty, store=None, location=None):
    services.receive_stock(
        user=shop.staff,
        store=store or shop.store,
        confirm=True,
        lines=[
            ReceiptLine(
                item=item, quantity=D(qty), unit_cost=D("2.00"), location=location or shop.bin
            )
        ],
    )


def _sell(shop, item, qty, store=None, confirm=True):
    return services.sell_stock(
        user=shop.staff,
        store=store or shop.store,
        confirm=confirm,
        lines=[SaleLine(item=item, quantity=D(qty))],
    )


def _recompute(item, store, kind=K.SALE):
    """Independently of the SQL: the largest of the last 20 movements of the kind, newest
    first by (created_at, id), None with fewer than 3."""
    rows = sorted(
        Movement.objects.filter(item=item, store=store, kind=kind).values_list(
            "created_at", "id", "quantity"
        ),
        reverse=True,
    )[:20]
    return max(abs(q) for _t, _i, q in rows) if len(rows) >= 3 else None


def test_the_usual_quantity_in_the_lock_query_agrees_with_a_recompute(shop):
    many, two, none = (
        shop.item,
        shop.milk,
        ItemFactory(organisation=shop.org, name="Soap", supplier=shop.supplier),
    )
    for item in (many, two, none):
        _receive(shop, item, 500)
        _receive(shop, item, 100, store=shop.other_store, location=shop.other_bin)
    # 25 sales: the largest (9) is among the 5 oldest, so it must have dropped out of the
    # last 20; the largest of those is 6. Receipts and another store's sales are not counted.
    quantities = [9, 1, 2, 9, 3] + [1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 1, 2, 3, 4, 5, 1, 2, 3, 4]
    for i, qty in enumerate(quantities):
        _sell(shop, many, qty)
        if i % 7 == 0:
            _receive(shop, many, 50)
    _sell(shop, many, 40, store=shop.other_store)
    _sell(shop, two, 3)
    _sell(shop, two, 8)
    with transaction.atomic():
        stocks = services._lock_stocks(
            store=shop.store, item_ids=[many.pk, two.pk, none.pk], usual_kind=K.SALE
        )
    assert stocks[many.pk].usual == _recompute(many, shop.store) == D(6)
    assert stocks[two.pk].usual is None and _recompute(two, shop.store) is None
    assert stocks[none.pk].usual is None
    # …and with the per-item reading it replaces (which falls back to the reorder quantity).
    assert services._usual_quantity(item=many, store=shop.store, kind=K.SALE) == D(6)


def test_the_unusual_check_uses_the_folded_value_and_the_reorder_quantity_fallback(shop):
    _receive(shop, shop.item, 500)
    _receive(shop, shop.milk, 500)
    for qty in (2, 4, 3):
        _sell(shop, shop.item, qty)
    with pytest.raises(ValidationError) as err:
        _sell(shop, shop.item, 21, confirm=False)  # above 5 × 4
    assert err.value.error_dict["quantity"][0].code == "confirm"
    _sell(shop, shop.item, 20, confirm=False)  # at the limit: no question
    # Fewer than 3 sales: the reorder quantity is what is usual.
    ReorderRuleFactory(item=shop.milk, store=shop.store, reorder_point=D(1), reorder_qty=D(10))
    with pytest.raises(ValidationError):
        _sell(shop, shop.milk, 51, confirm=False)
    _sell(shop, shop.milk, 50, confirm=False)
    assert ledger.check().ok


@pytest.mark.parametrize("confirm", [True, False])
def test_a_sale_costs_the_same_statements_for_one_line_or_ten(shop, confirm):
    items = [ItemFactory(organisation=shop.org, supplier=shop.supplier) for _ in range(11)]
    for item in items:
        _receive(shop, item, 50)
        ReorderRuleFactory(item=item, store=shop.store, reorder_point=D(2), reorder_qty=D(20))
    with CaptureQueriesContext(connection) as one:
        _sell(shop, items[0], 1, confirm=confirm)
    with CaptureQueriesContext(connection) as ten:
        services.sell_stock(
            user=shop.staff,
            store=shop.store,
            confirm=confirm,
            lines=[SaleLine(item=i, quantity=D(1)) for i in items[1:]],
        )
    # Permission, store (with FIFO and webhook flags), the ItemStock lock (with usual
    # quantity, rule and active alerts), the levels lock, two UPDATEs and one INSERT: 7,
    # plus the savepoint and its release under the test's transaction.
    statements = [q["sql"] for q in ten.captured_queries if "SAVEPOINT" not in q["sql"]]
    assert len(statements) == 7, statements
    assert len(ten) == len(one)
    assert ItemStock.objects.get(item=items[5], store=shop.store).on_hand == 49


def test_alerts_are_still_raised_and_cleared_when_their_states_are_read_only_if_needed(shop):
    _receive(shop, shop.item, 10)
    ReorderRuleFactory(item=shop.item, store=shop.store, reorder_point=D(5), reorder_qty=D(20))
    _sell(shop, shop.item, 2)  # 8 left: nothing holds, no alert
    assert not AlertState.objects.filter(item=shop.item).exists()
    _sell(shop, shop.item, 4)  # 4 left: low
    low = AlertState.objects.get(item=shop.item, store=shop.store, kind=AlertState.Kind.LOW)
    assert low.active
    _receive(shop, shop.item, 20)  # 24: clears
    low.refresh_from_db()
    assert not low.active and low.episode == 1
    _sell(shop, shop.item, 24)  # 0: out (and no longer low)
    out = AlertState.objects.get(item=shop.item, store=shop.store, kind=AlertState.Kind.OUT)
    assert out.active
    _receive(shop, shop.item, 3)  # back in stock, but low: out clears, low holds again
    out.refresh_from_db()
    low.refresh_from_db()
    assert not out.active and low.active
    _sell(shop, shop.item, 1)  # still low: the active alert is read and stays
    low.refresh_from_db()
    assert low.active and low.changed_at <= timezone.now() + timedelta(seconds=1)
