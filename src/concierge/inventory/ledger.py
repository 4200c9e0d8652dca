"""Rebuild (or check) StockLevel and ItemStock from the append-only ledger.

Both are sums of `Movement.quantity` grouped in SQL; the check compares them with the kept
tables and reports every difference. The rebuild rewrites only rows that differ."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection, transaction

from concierge.inventory.models import ItemStock, StockLevel

Q = Decimal("0.001")


@dataclass
class Report:
    levels_checked: int = 0
    stocks_checked: int = 0
    level_diffs: list[tuple] = field(default_factory=list)
    stock_diffs: list[tuple] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.level_diffs and not self.stock_diffs


def _dec(v) -> Decimal:
    return Decimal(str(v or 0)).quantize(Q)


def _ledger_levels(store_id=None):
    where = "WHERE store_id = %s" if store_id else ""
    sql = (
        f"SELECT item_id, location_id, batch_id, store_id, SUM(quantity) "
        f"FROM inventory_movement {where} GROUP BY item_id, location_id, batch_id, store_id"
    )
    with connection.cursor() as cur:
        cur.execute(sql, [store_id] if store_id else [])
        while rows := cur.fetchmany(20000):
            yield from rows


def check(*, store_id=None, limit: int = 100) -> Report:
    report = Report()
    kept = StockLevel.objects.all()
    if store_id:
        kept = kept.filter(store_id=store_id)
    kept_levels = {
        (r[0], r[1], r[2]): _dec(r[3])
        for r in kept.values_list("item_id", "location_id", "batch_id", "quantity").iterator(
            chunk_size=20000
        )
    }
    stock_sum: dict[tuple, Decimal] = {}
    for item_id, loc_id, batch_id, st_id, qty in _ledger_levels(store_id):
        report.levels_checked += 1
        key = (item_id, loc_id, batch_id)
        q = _dec(qty)
        have = kept_levels.pop(key, Decimal(0))
        if have != q and len(report.level_diffs) < limit or have != q:
            report.level_diffs.append((key, have, q))
        stock_sum[(item_id, st_id)] = stock_sum.get((item_id, st_id), Decimal(0)) + q
    for key, have in kept_levels.items():
        if have != 0:
            report.level_diffs.append((key, have, Decimal(0)))
    kept_stock = ItemStock.objects.all()
    if store_id:
        kept_stock = kept_stock.filter(store_id=store_id)
    for item_id, st_id, on_hand in kept_stock.values_list(
        "item_id", "store_id", "on_hand"
    ).iterator(chunk_size=20000):
        report.stocks_checked += 1
        want = stock_sum.pop((item_id, st_id), Decimal(0))
        if _dec(on_hand) != want:
            report.stock_diffs.append(((item_id, st_id), _dec(on_hand), want))
    for key, want in stock_sum.items():
        if want != 0:
            report.stock_diffs.append((key, Decimal(0), want))
    return report


@transaction.atomic
def rebuild(*, store_id=None) -> Report:
    """Make the kept tables agree with the ledger; returns what was wrong before."""
    report = check(store_id=store_id, limit=10**9)
    for (item_id, loc_id, batch_id), _have, want in report.level_diffs:
        from concierge.inventory.models import Location

        updated = StockLevel.objects.filter(
            item_id=item_id, location_id=loc_id, batch_id=batch_id
        ).update(quantity=want)
        if not updated:
            StockLevel.objects.create(
                item_id=item_id,
                location_id=loc_id,
                batch_id=batch_id,
                store_id=Location.objects.get(pk=loc_id).store_id,
                quantity=want,
            )
    for (item_id, st_id), _have, want in report.stock_diffs:
        if not ItemStock.objects.filter(item_id=item_id, store_id=st_id).update(on_hand=want):
            ItemStock.objects.create(item_id=item_id, store_id=st_id, on_hand=want)
    return report
