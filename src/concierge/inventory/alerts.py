"""Stock alerts, once per condition: an `AlertState` row per item × store (× batch) × kind
records whether the condition holds. notify() fires when it starts to hold (dedup key with the
row's episode); when it clears, the episode grows, so the next time it holds warns again."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Q, Sum
from django.urls import reverse
from django.utils import timezone

from concierge.accounts.models import Membership, Role
from concierge.inventory.models import (
    ZERO,
    AlertState,
    Batch,
    InventorySettings,
    Item,
    ItemStock,
    PurchaseOrder,
    ReorderRule,
    StockLevel,
    Store,
)

A = AlertState.Kind
EVENTS = {
    A.LOW: "inventory.low_stock",
    A.OUT: "inventory.out_of_stock",
    A.EXPIRING: "inventory.expiring",
    A.OVERSTOCK: "inventory.overstock",
    A.SLOW: "inventory.slow_mover",
}


def recipients(store: Store) -> list:
    """The store's manager and everyone who works in the organisation's stores."""
    people = {
        m.user
        for m in Membership.objects.filter(
            organisation_id=store.organisation_id, role__in=[Role.STAFF, Role.MANAGER, Role.ADMIN]
        ).select_related("user")
    }
    if store.manager_id:
        people.add(store.manager)
    return sorted(people, key=lambda u: u.pk)


def _fmt(value) -> str:
    value = Decimal(value)
    return f"{value.normalize():f}" if value == value.to_integral_value() else f"{value:f}"


def _set(
    *,
    item: Item,
    store: Store,
    kind: str,
    holds: bool,
    states: dict,
    context: dict,
    batch: Batch | None = None,
) -> bool:
    """Record the condition; notify when it starts to hold. True if a warning went out."""
    from concierge.notifications.services import notify

    state = states.get((kind, batch.pk if batch else None))
    if state is None:
        if not holds:
            return False
        state = AlertState.objects.create(item=item, store=store, batch=batch, kind=kind)
    if holds == state.active:
        return False
    state.active = holds
    if not holds:
        state.episode += 1
        state.save(update_fields=["active", "episode", "changed_at"])
        return False
    state.save(update_fields=["active", "changed_at"])
    key = f"{kind}:{item.pk}:{store.pk}:{batch.pk if batch else '-'}:{state.episode}"
    url = reverse("inventory:item", args=[item.pk]) + f"?store={store.pk}"
    ctx = {"item": item.name, "store": store.name, "unit": item.get_unit_display(), **context}
    for person in recipients(store):
        notify(person, EVENTS[kind], ctx, url=url, dedup_key=key)
    return True


def check_stock(*, item: Item, store: Store, stock: ItemStock) -> None:
    """Low, out and overstock for one item in one store — called with every movement."""
    check_stocks(store=store, stocks={item.pk: stock}, items={item.pk: item})


ITEM_KINDS = [A.LOW, A.OUT, A.OVERSTOCK]  # the per item × store alerts (no batch)


def _holds(stock: ItemStock, rule) -> bool:
    """Does low, out or overstock hold for this row (what `_check_one` then records)?"""
    if stock.on_hand <= 0:
        return True
    if rule is None:
        return False
    return stock.on_hand <= rule.reorder_point or (
        rule.max_qty is not None and stock.on_hand > rule.max_qty
    )


def check_stocks(
    *,
    store: Store,
    stocks: dict[int, ItemStock],
    items: dict[int, Item],
    rules: dict[int, ReorderRule] | None = None,
    alerting: set[int] | None = None,
) -> None:
    """`check_stock` for several items of one store: reorder rules (unless the caller has
    them) and alert states read in one query each. `alerting`, when the caller knows it, is
    the set of items with an active alert: an item outside it whose stock is fine needs no
    look at its states, and when no item needs one the states are not read at all."""
    ids = list(stocks)
    if rules is None:
        rules = {r.item_id: r for r in ReorderRule.objects.filter(store=store, item_id__in=ids)}
    if alerting is not None:
        ids = [i for i in ids if i in alerting or _holds(stocks[i], rules.get(i))]
    states: dict[int, dict] = {}
    if ids:
        for s in AlertState.objects.filter(
            item_id__in=ids, store=store, batch__isnull=True, kind__in=ITEM_KINDS
        ):
            states.setdefault(s.item_id, {})[(s.kind, None)] = s
    for item_id in ids:
        stock = stocks[item_id]
        _check_one(
            item=items[item_id],
            store=store,
            stock=stock,
            rule=rules.get(item_id),
            states=states.get(item_id, {}),
        )


def _check_one(*, item: Item, store: Store, stock: ItemStock, rule, states: dict) -> None:
    on_hand = stock.on_hand
    out = on_hand <= 0
    low = rule is not None and not out and on_hand <= rule.reorder_point
    over = rule is not None and rule.max_qty is not None and on_hand > rule.max_qty
    if not (out or low or over) and not any(s.active for s in states.values()):
        return
    ctx = {
        "on_hand": _fmt(on_hand),
        "reorder_point": _fmt(rule.reorder_point) if rule else "",
        "max_qty": _fmt(rule.max_qty) if rule and rule.max_qty is not None else "",
    }
    # Out of stock only matters for items the store keeps (a rule, or stock it once had).
    keeps = rule is not None or stock.last_sale_at is not None
    _set(item=item, store=store, kind=A.OUT, holds=out and keeps, states=states, context=ctx)
    _set(item=item, store=store, kind=A.LOW, holds=low, states=states, context=ctx)
    _set(item=item, store=store, kind=A.OVERSTOCK, holds=over, states=states, context=ctx)


@transaction.atomic
def scan_store(*, store: Store, today=None) -> int:
    """Expiring batches and slow movers in one store (the daily scan). Returns warnings sent."""
    today = today or timezone.localdate()
    conf, _c = InventorySettings.objects.get_or_create(organisation_id=store.organisation_id)
    sent = 0
    horizon = today + timedelta(days=conf.expiry_warning_days)
    held = (
        StockLevel.objects.filter(store=store, batch__isnull=False)
        .values("item_id", "batch_id")
        .annotate(q=Sum("quantity"))
    )
    held = {(r["item_id"], r["batch_id"]): r["q"] for r in held}
    expiring = {k: q for k, q in held.items() if q > 0}
    batches = Batch.objects.in_bulk([k[1] for k in expiring])
    states = {
        (s.item_id, s.batch_id): s
        for s in AlertState.objects.filter(store=store, kind=A.EXPIRING).select_related(
            "item", "batch"
        )
    }
    for key in set(expiring) | {k for k, s in states.items() if s.active}:
        batch = batches.get(key[1]) or (states[key].batch if key in states else None)
        if batch is None:
            continue
        holds = key in expiring and batch.expires_on is not None and batch.expires_on <= horizon
        item = states[key].item if key in states else Item.objects.get(pk=key[0])
        sent += _set(
            item=item,
            store=store,
            kind=A.EXPIRING,
            holds=holds,
            batch=batch,
            states={(A.EXPIRING, batch.pk): states[key]} if key in states else {},
            context={
                "batch": batch.code,
                "quantity": _fmt(expiring.get(key, ZERO)),
                "expires_on": batch.expires_on.isoformat() if batch.expires_on else "",
            },
        )
    cutoff = timezone.now() - timedelta(days=conf.slow_mover_days)
    slow = (
        ItemStock.objects.filter(store=store, on_hand__gt=0)
        .filter(Q(last_sale_at__lt=cutoff))
        .select_related("item")
    )
    slow_ids = set()
    slow_states = {
        s.item_id: s
        for s in AlertState.objects.filter(store=store, kind=A.SLOW, batch__isnull=True)
    }
    for stock in slow:
        slow_ids.add(stock.item_id)
        days = (timezone.now() - stock.last_sale_at).days
        st = slow_states.get(stock.item_id)
        sent += _set(
            item=stock.item,
            store=store,
            kind=A.SLOW,
            holds=True,
            states={(A.SLOW, None): st} if st else {},
            context={"days": days, "on_hand": _fmt(stock.on_hand)},
        )
    for item_id, st in slow_states.items():
        if st.active and item_id not in slow_ids:
            _set(
                item=st.item,
                store=store,
                kind=A.SLOW,
                holds=False,
                states={(A.SLOW, None): st},
                context={},
            )
    return sent


def overdue_orders(*, today=None) -> int:
    """Flag purchase orders whose expected date has passed (once per order)."""
    from concierge.notifications.services import notify

    today = today or timezone.localdate()
    n = 0
    for po in PurchaseOrder.objects.filter(
        status__in=[PurchaseOrder.Status.SENT, PurchaseOrder.Status.PARTIAL], expected_on__lt=today
    ).select_related("store", "supplier"):
        for person in recipients(po.store):
            if notify(
                person,
                "inventory.po_overdue",
                {
                    "number": po.number,
                    "supplier": po.supplier.name,
                    "expected_on": po.expected_on.isoformat(),
                },
                url=reverse("inventory:purchase_order", args=[po.pk]),
                dedup_key=f"po-overdue:{po.pk}",
            ):
                n += 1
    return n


def send_store_digests(*, today=None) -> int:
    """One summary a day for each store's manager."""
    from concierge.inventory import selectors
    from concierge.notifications.services import notify

    today = today or timezone.localdate()
    n = 0
    for store in Store.objects.filter(manager__isnull=False).select_related("manager"):
        counts = selectors.alert_counts(stores=[store])
        with transaction.atomic():
            if notify(
                store.manager,
                "inventory.store_digest",
                {
                    "store": store.name,
                    "low": counts["low"],
                    "out": counts["out"],
                    "expiring": counts["expiring"],
                    "overdue": counts["overdue"],
                },
                url=reverse("inventory:index") + f"?store={store.pk}",
                dedup_key=f"digest:{store.pk}:{today.isoformat()}",
            ):
                n += 1
    return n
