"""Every inventory read, scoped to who asks: a stranger's lookup is a 404."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_UP, Decimal

from django.db.models import (
    Case,
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncDate
from django.http import Http404
from django.utils import timezone

from concierge.accounts.models import Role
from concierge.accounts.selectors import get_scoped_or_404, organisations_for, scope_to_member
from concierge.inventory.models import (
    ZERO,
    AlertState,
    Batch,
    Category,
    CostLayer,
    DemandForecast,
    InventorySettings,
    Item,
    ItemStock,
    Location,
    Movement,
    Network,
    NetworkInvite,
    NetworkMember,
    OnlineOrder,
    PurchaseOrder,
    ReorderRule,
    SerialNumber,
    StockLevel,
    Store,
    Supplier,
    Transfer,
    WebhookDelivery,
    WebhookSubscription,
)

WORKERS = [Role.STAFF, Role.MANAGER, Role.ADMIN]
K = Movement.Kind


def retail_organisations(*, user) -> QuerySet:
    return organisations_for(user=user, roles=WORKERS)


def stores_for(*, user) -> QuerySet[Store]:
    # The organisation's inventory settings come along (valuation method on list pages).
    return scope_to_member(
        Store.objects.select_related("organisation", "organisation__inventory_settings"),
        user=user,
        roles=WORKERS,
    ).order_by("organisation__name", "name")


def store_for(*, user, pk) -> Store:
    return get_scoped_or_404(
        Store.objects.select_related("organisation", "manager"), user=user, roles=WORKERS, pk=pk
    )


def items_for(*, user) -> QuerySet[Item]:
    return scope_to_member(Item.objects.all(), user=user, roles=WORKERS)


def item_for(*, user, pk) -> Item:
    return get_scoped_or_404(
        Item.objects.select_related("category", "supplier", "organisation").annotate(
            has_variants=Exists(Item.objects.filter(variant_of_id=OuterRef("pk")))
        ),
        user=user,
        roles=WORKERS,
        pk=pk,
    )


def supplier_for(*, user, pk) -> Supplier:
    return get_scoped_or_404(Supplier.objects.all(), user=user, roles=WORKERS, pk=pk)


def location_for(*, user, pk) -> Location:
    return get_scoped_or_404(
        Location.objects.select_related("store__organisation"),
        user=user,
        roles=WORKERS,
        path="store__organisation",
        pk=pk,
    )


def batch_for(*, user, pk) -> Batch:
    return get_scoped_or_404(
        Batch.objects.select_related("item"),
        user=user,
        roles=WORKERS,
        path="item__organisation",
        pk=pk,
    )


def purchase_orders_for(*, user) -> QuerySet[PurchaseOrder]:
    return scope_to_member(
        PurchaseOrder.objects.select_related("supplier", "store"), user=user, roles=WORKERS
    )


def purchase_order_for(*, user, pk) -> PurchaseOrder:
    return get_scoped_or_404(
        PurchaseOrder.objects.select_related("supplier", "store", "organisation"),
        user=user,
        roles=WORKERS,
        pk=pk,
    )


def transfers_for(*, user) -> QuerySet[Transfer]:
    orgs = retail_organisations(user=user)
    return Transfer.objects.filter(
        Q(from_store__organisation__in=orgs) | Q(to_store__organisation__in=orgs)
    ).select_related("from_store__organisation", "to_store__organisation")


def transfer_for(*, user, pk) -> Transfer:
    from django.http import Http404

    transfer = transfers_for(user=user).filter(pk=pk).first()
    if transfer is None:
        raise Http404("Not found.")
    return transfer


def online_order_for(*, user, organisation, external_id: str) -> OnlineOrder:
    return get_scoped_or_404(
        OnlineOrder.objects.select_related("store"),
        user=user,
        roles=WORKERS,
        organisation=organisation,
        external_id=external_id,
    )


def online_orders(*, store: Store, status: str = "") -> QuerySet[OnlineOrder]:
    """The store's online orders, newest first, with their lines (two queries a page)."""
    qs = OnlineOrder.objects.filter(store=store).prefetch_related("lines__item")
    if status in OnlineOrder.Status.values:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "-id")


def online_order_by_pk(*, user, pk) -> OnlineOrder:
    return get_scoped_or_404(
        OnlineOrder.objects.select_related("store", "organisation"), user=user, roles=WORKERS, pk=pk
    )


def webhooks_for(*, organisation) -> list[WebhookSubscription]:
    """The organisation's webhook subscriptions with their followed items and the counts of
    their deliveries by status."""
    subs = list(
        WebhookSubscription.objects.filter(organisation=organisation)
        .prefetch_related("items")
        .annotate(
            delivered=Count("deliveries", filter=Q(deliveries__status="delivered")),
            pending=Count("deliveries", filter=Q(deliveries__status="pending")),
            failed=Count("deliveries", filter=Q(deliveries__status="failed")),
        )
        .order_by("url", "pk")
    )
    return subs


def webhook_for(*, user, pk) -> WebhookSubscription:
    return get_scoped_or_404(
        WebhookSubscription.objects.select_related("organisation"),
        user=user,
        roles=[Role.MANAGER, Role.ADMIN],
        pk=pk,
    )


def recent_deliveries(*, organisation, limit: int = 20) -> list[WebhookDelivery]:
    return list(
        WebhookDelivery.objects.filter(subscription__organisation=organisation)
        .select_related("subscription")
        .order_by("-created_at", "-id")[:limit]
    )


def delivery_for(*, user, pk) -> WebhookDelivery:
    delivery = (
        WebhookDelivery.objects.select_related("subscription__organisation").filter(pk=pk).first()
    )
    if delivery is None:
        raise Http404("Not found.")
    webhook_for(user=user, pk=delivery.subscription_id)  # 404 for anyone else
    return delivery


@dataclass
class NetworkView:
    network: Network
    members: list
    invites: list


def networks_of(*, organisation) -> list[NetworkView]:
    """The networks an organisation is in, with their members and open invitations."""
    memberships = NetworkMember.objects.filter(organisation=organisation).select_related("network")
    nets = [m.network for m in memberships]
    members: dict[int, list] = {}
    for m in NetworkMember.objects.filter(network__in=nets).select_related("organisation"):
        members.setdefault(m.network_id, []).append(m)
    invites: dict[int, list] = {}
    for inv in NetworkInvite.objects.filter(
        network__in=nets, accepted_at__isnull=True, revoked=False, expires_at__gte=timezone.now()
    ):
        invites.setdefault(inv.network_id, []).append(inv)
    return [
        NetworkView(
            network=n,
            members=sorted(members.get(n.pk, []), key=lambda m: m.organisation.name),
            invites=invites.get(n.pk, []),
        )
        for n in sorted(nets, key=lambda n: n.name)
    ]


def network_for(*, organisation, pk) -> Network:
    """A network the organisation belongs to, else 404."""
    network = Network.objects.filter(pk=pk, members__organisation=organisation).first()
    if network is None:
        raise Http404("Not found.")
    return network


def invite_for(*, organisation, pk) -> NetworkInvite:
    invite = NetworkInvite.objects.filter(
        pk=pk, network__members__organisation=organisation
    ).first()
    if invite is None:
        raise Http404("Not found.")
    return invite


def variants_of(*, item: Item, store: Store | None) -> list[Item]:
    """The item's variants (or its siblings, for a variant) with stock in `store`. Nothing is
    asked for an item that `item_for` found has no variants and is not one."""
    if getattr(item, "has_variants", True) is False and item.variant_of_id is None:
        return []
    parent_id = item.variant_of_id or item.pk
    variants = list(
        Item.objects.filter(Q(variant_of_id=parent_id) | Q(pk=parent_id)).order_by(
            "variant_of_id", "size", "colour", "name"
        )
    )
    if len(variants) <= 1:
        return []
    stock = (
        dict(
            ItemStock.objects.filter(store=store, item__in=variants).values_list(
                "item_id", "on_hand"
            )
        )
        if store
        else {}
    )
    for v in variants:
        v.on_hand_here = stock.get(v.pk, ZERO)
    return variants


def default_store(*, user, requested=None) -> Store | None:
    stores = stores_for(user=user)
    if requested:
        try:
            return stores.get(pk=int(requested))
        except (Store.DoesNotExist, ValueError, TypeError):
            return None
    return stores.first()


# --- stock on hand --------------------------------------------------------------------------


@dataclass
class SerialHistory:
    serial: SerialNumber
    transfers: list  # the transfers the unit travelled on, oldest first


def serial_histories(*, item: Item, limit: int = 200) -> list[SerialHistory]:
    """An item's serial numbers with where each is now and the transfers it travelled on
    (left on, or arrived as this item's unit from another organisation) — seven queries
    whatever the number of serials."""
    rows = (
        SerialNumber.objects.filter(item=item)
        .select_related("store")
        .prefetch_related("transfers__line__transfer", "arrivals__line__transfer")
        .order_by("serial")[:limit]
    )
    out = []
    for row in rows:
        seen = {
            link.line.transfer.pk: link.line.transfer
            for link in [*row.transfers.all(), *row.arrivals.all()]
        }
        out.append(
            SerialHistory(serial=row, transfers=sorted(seen.values(), key=lambda t: t.created_at))
        )
    return out


def serial_in_stock(*, store: Store, code: str) -> SerialNumber | None:
    """The in-stock unit of `store` whose serial number was scanned, if any."""
    return (
        SerialNumber.objects.filter(
            item__organisation_id=store.organisation_id,
            store=store,
            serial=(code or "").strip(),
            status=SerialNumber.Status.IN_STOCK,
        )
        .select_related("item")
        .first()
    )


def stock_list(
    *, store: Store, query: str = "", category: int | None = None, status: str = ""
) -> QuerySet[ItemStock]:
    """Stock on hand in one store, ordered by item name. The (always true) filter on the
    item's organisation lets the database walk the item index (organisation, name, id) in
    order and probe each item's stock row, instead of sorting every row of the store. Reorder
    points and values are added per page by `with_reorder_points`."""
    qs = ItemStock.objects.filter(
        store=store, item__organisation_id=store.organisation_id
    ).select_related("item", "item__category")
    if query:
        qs = qs.filter(
            Q(item__name__icontains=query) | Q(item__sku__iexact=query) | Q(item__gtin=query)
        )
    if category:
        qs = qs.filter(item__category_id=category)
    if status == "low":
        rule = ReorderRule.objects.filter(item=OuterRef("item_id"), store=store)
        qs = qs.annotate(reorder_point=Subquery(rule.values("reorder_point")[:1])).filter(
            on_hand__gt=0, on_hand__lte=F("reorder_point")
        )
    elif status == "out":
        qs = qs.filter(on_hand__lte=0)
    elif status == "in_transit":
        qs = qs.filter(in_transit__gt=0)
    return qs.order_by("item__name", "item_id")


@dataclass
class StockPage:
    rows: list
    total: int | None
    next_after: int | None
    prev_before: int | None
    first: bool


def stock_page(
    *,
    store: Store,
    query: str = "",
    category: int | None = None,
    status: str = "",
    after: int | None = None,
    before: int | None = None,
    size: int = 50,
) -> StockPage:
    """One page of `stock_list` by keyset: the rows after (or before) a given item in name
    order. Each page costs the same however deep it is — no OFFSET to skip over."""
    qs = stock_list(store=store, query=query, category=category, status=status)
    anchor_id = after or before
    anchor = (
        Item.objects.filter(pk=anchor_id, organisation_id=store.organisation_id)
        .values_list("name", flat=True)
        .first()
        if anchor_id
        else None
    )
    if anchor is not None and after:
        # name >= anchor opens an index range; the OR only drops ties up to the anchor.
        page = qs.filter(item__name__gte=anchor).filter(
            Q(item__name__gt=anchor) | Q(item_id__gt=after)
        )
    elif anchor is not None and before:
        page = (
            qs.filter(item__name__lte=anchor)
            .filter(Q(item__name__lt=anchor) | Q(item_id__lt=before))
            .order_by("-item__name", "-item_id")
        )
    else:
        page = qs
    rows = list(page[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    if anchor is not None and before:
        rows.reverse()
        has_prev, has_next = more, True
    else:
        has_prev, has_next = anchor is not None, more
    # The store's row count is an index-only count. A search or filter is not counted a
    # second time (that would scan again what the page just scanned): a first page that is
    # not full knows its total, otherwise the page says "more than this".
    if not (query or category or status):
        total = ItemStock.objects.filter(store=store).count()
    elif anchor is None and not more:
        total = len(rows)
    else:
        total = None
    return StockPage(
        rows=rows,
        total=total,
        next_after=rows[-1].item_id if rows and has_next else None,
        prev_before=rows[0].item_id if rows and has_prev else None,
        first=not has_prev,
    )


def with_reorder_points(rows, *, store: Store) -> list[ItemStock]:
    """Attach reorder point and stock value to one page of `stock_list` rows (one query)."""
    rows = list(rows)
    points = dict(
        ReorderRule.objects.filter(store=store, item_id__in=[r.item_id for r in rows]).values_list(
            "item_id", "reorder_point"
        )
    )
    layered = None
    if rows and _fifo(store.organisation):
        layered = dict(
            CostLayer.objects.filter(
                store=store, item_id__in=[r.item_id for r in rows], remaining__gt=0
            )
            .values("item_id")
            .annotate(v=Sum(LAYER_VALUE))
            .values_list("item_id", "v")
        )
    for row in rows:
        row.reorder_point = points.get(row.item_id)
        value = (
            layered.get(row.item_id, ZERO)
            if layered is not None
            else row.on_hand * row.item.average_cost
        )
        row.value = Decimal(value).quantize(Decimal("0.01"))
    return rows


def item_stock_by_store(*, item: Item, user) -> list[ItemStock]:
    stores = stores_for(user=user).filter(organisation_id=item.organisation_id)
    return list(
        ItemStock.objects.filter(item=item, store__in=stores)
        .select_related("store")
        .order_by("store__name")
    )


def item_levels(*, item: Item, store: Store) -> list[StockLevel]:
    return list(
        StockLevel.objects.filter(item=item, store=store)
        .exclude(quantity=0)
        .select_related("location", "batch")
        .order_by(F("batch__expires_on").asc(nulls_last=True), "location__code")
    )


def item_movements(*, item: Item, store: Store | None = None, limit: int = 50):
    qs = Movement.objects.filter(item=item)
    if store is not None:
        qs = qs.filter(store=store)
    return list(
        qs.select_related("location", "batch", "user", "store").order_by("-created_at", "-id")[
            :limit
        ]
    )


def movements_for(*, store: Store, kind: str = "", since: date | None = None):
    qs = Movement.objects.filter(store=store).select_related("item", "location", "batch", "user")
    if kind:
        qs = qs.filter(kind=kind)
    if since:
        qs = qs.filter(created_at__date__gte=since)
    return qs.order_by("-created_at", "-id")


def location_tree(*, store: Store) -> list[dict]:
    """Areas with their bins, and how full each is."""
    held = dict(
        StockLevel.objects.filter(store=store)
        .values("location_id")
        .annotate(q=Sum("quantity"))
        .values_list("location_id", "q")
    )
    rows = []
    locs = list(Location.objects.filter(store=store).order_by("code"))
    for loc in locs:
        used = held.get(loc.pk) or ZERO
        pct = int(min(used / loc.capacity_units * 100, 100)) if loc.capacity_units else None
        rows.append(
            {"location": loc, "used": used, "percent": pct, "depth": 1 if loc.parent_id else 0}
        )
    by_parent: dict = {}
    for row in rows:
        by_parent.setdefault(row["location"].parent_id, []).append(row)
    ordered = []
    for row in by_parent.get(None, []):
        ordered.append(row)
        ordered.extend(by_parent.get(row["location"].pk, []))
    return ordered


def count_sheet(*, location: Location) -> list[StockLevel]:
    return list(
        StockLevel.objects.filter(location=location)
        .exclude(quantity=0, batch__isnull=False)
        .select_related("item", "batch")
        .order_by("item__name", "batch__expires_on")
    )


# --- alerts and counts ----------------------------------------------------------------------


def alert_counts(*, stores) -> dict[str, int]:
    stores = list(stores)
    active = (
        AlertState.objects.filter(store__in=stores, active=True)
        .values("kind")
        .annotate(n=Count("id"))
    )
    counts = {row["kind"]: row["n"] for row in active}
    overdue = PurchaseOrder.objects.filter(
        store__in=stores,
        status__in=[PurchaseOrder.Status.SENT, PurchaseOrder.Status.PARTIAL],
        expected_on__lt=timezone.localdate(),
    ).count()
    return {
        "low": counts.get("low", 0),
        "out": counts.get("out", 0),
        "expiring": counts.get("expiring", 0),
        "overstock": counts.get("overstock", 0),
        "slow": counts.get("slow", 0),
        "overdue": overdue,
    }


def active_alerts(*, store: Store, limit: int = 50) -> list[AlertState]:
    return list(
        AlertState.objects.filter(store=store, active=True)
        .select_related("item", "batch")
        .order_by("kind", "item__name")[:limit]
    )


def expiring_batches(*, store: Store, days: int = 7) -> list[dict]:
    horizon = timezone.localdate() + timedelta(days=days)
    rows = (
        StockLevel.objects.filter(store=store, quantity__gt=0, batch__expires_on__lte=horizon)
        .values("item__name", "item_id", "batch__code", "batch__expires_on")
        .annotate(q=Sum("quantity"))
        .order_by("batch__expires_on")
    )
    return list(rows)


# --- reorders -------------------------------------------------------------------------------


@dataclass
class Suggestion:
    item: Item
    supplier: Supplier | None
    on_hand: Decimal
    on_order: Decimal
    in_transit: Decimal
    reorder_point: Decimal
    quantity: Decimal
    source: str  # "rule" or "forecast"


def _round_to_pack(qty: Decimal, item: Item) -> Decimal:
    pack = Decimal(max(item.pack_size, 1))
    qty = max(qty, Decimal(item.minimum_order_qty or 1))
    return (qty / pack).to_integral_value(rounding=ROUND_UP) * pack


def on_order(*, store: Store) -> dict[int, Decimal]:
    from concierge.inventory.models import PurchaseOrderLine

    rows = (
        PurchaseOrderLine.objects.filter(order__store=store, order__status__in=PurchaseOrder.OPEN)
        .values("item_id")
        .annotate(q=Sum(F("quantity") - F("received")))
    )
    return {r["item_id"]: r["q"] for r in rows}


def reorder_suggestions(*, user, store: Store) -> list[Suggestion]:
    """Items at or below the reorder point once open orders and transfers are counted.
    When the store opts in and a forecast exists, the forecast's reorder point and order
    quantity are used instead of the manual ones."""
    from concierge.inventory import forecast_link

    pending = on_order(store=store)
    rules = (
        ReorderRule.objects.filter(store=store)
        .select_related("item__supplier")
        .annotate(
            on_hand=Coalesce(
                Subquery(
                    ItemStock.objects.filter(item=OuterRef("item_id"), store=store).values(
                        "on_hand"
                    )[:1]
                ),
                Value(ZERO),
            ),
            in_transit=Coalesce(
                Subquery(
                    ItemStock.objects.filter(item=OuterRef("item_id"), store=store).values(
                        "in_transit"
                    )[:1]
                ),
                Value(ZERO),
            ),
        )
    )
    planned = forecast_link.plans(store=store) if store.use_forecast else {}
    out = []
    for rule in rules:
        item = rule.item
        if not item.active:
            continue
        point, qty, source = rule.reorder_point, rule.reorder_qty, "rule"
        plan = planned.get(item.pk)
        if plan is not None:
            point, qty, source = plan.reorder_point, plan.order_quantity, "forecast"
        position = rule.on_hand + rule.in_transit + pending.get(item.pk, ZERO)
        if position > point:
            continue
        if item.perishable and plan is None and item.shelf_life_days:
            # Never order more than sells before it expires.
            daily = daily_demand(item=item, store=store)
            if daily > 0:
                qty = min(qty, max(daily * Decimal(item.shelf_life_days) - position, Decimal(1)))
        if plan is not None:
            # The plan's quantity is already rounded to the pack and capped by shelf life.
            if plan.order_quantity <= 0:
                continue
            quantity = plan.order_quantity
        else:
            quantity = _round_to_pack(max(qty, point - position + 1), item)
        out.append(
            Suggestion(
                item=item,
                supplier=item.supplier,
                on_hand=rule.on_hand,
                on_order=pending.get(item.pk, ZERO),
                in_transit=rule.in_transit,
                reorder_point=point,
                quantity=quantity,
                source=source,
            )
        )
    return sorted(out, key=lambda s: (s.supplier.name if s.supplier else "~", s.item.name))


def daily_demand(*, item: Item, store: Store, days: int = 28) -> Decimal:
    since = timezone.now() - timedelta(days=days)
    sold = Movement.objects.filter(
        item=item, store=store, kind__in=[K.SALE, K.RETURN], created_at__gte=since
    ).aggregate(s=Sum("quantity"))["s"]
    return (-(sold or ZERO)) / days


# --- network --------------------------------------------------------------------------------


def network_organisations(*, organisation) -> list[int]:
    nets = NetworkMember.objects.filter(organisation=organisation).values("network")
    return list(
        NetworkMember.objects.filter(network__in=nets)
        .exclude(organisation=organisation)
        .values_list("organisation_id", flat=True)
        .distinct()
    )


def network_availability(*, user, item: Item, own: list[ItemStock] | None = None) -> list[dict]:
    """Other stores holding this item: the organisation's own stores, and network members'
    stores for the same GTIN. Prices and costs are never part of the answer unless shared.
    `own` may be the item's rows in the organisation's stores when the caller has them
    (`item_stock_by_store`: the item page), which saves reading them again."""
    from concierge.inventory.models import InventorySettings

    rows = []
    if own is None:
        own = ItemStock.objects.filter(item=item).select_related("store")
    for s in own:
        rows.append(
            {
                "store": s.store,
                "organisation": item.organisation,
                "item": item,
                "available": s.on_hand - s.reserved,
                "in_transit": s.in_transit,
                "own": True,
                "price": item.price,
            }
        )
    if item.gtin:
        others = network_organisations(organisation=item.organisation)
        shared = set(
            InventorySettings.objects.filter(
                organisation_id__in=others, share_prices_in_network=True
            ).values_list("organisation_id", flat=True)
        )
        for s in ItemStock.objects.filter(
            item__gtin=item.gtin, store__organisation_id__in=others
        ).select_related("store__organisation", "item"):
            rows.append(
                {
                    "store": s.store,
                    "organisation": s.store.organisation,
                    "item": s.item,
                    "available": s.on_hand - s.reserved,
                    "in_transit": s.in_transit,
                    "own": False,
                    "price": s.item.price if s.store.organisation_id in shared else None,
                }
            )
    return sorted(rows, key=lambda r: (not r["own"], r["organisation"].name, r["store"].name))


def transfer_sources(*, user, store: Store) -> QuerySet[Store]:
    orgs = [store.organisation_id, *network_organisations(organisation=store.organisation)]
    return (
        Store.objects.filter(organisation_id__in=orgs)
        .exclude(pk=store.pk)
        .select_related("organisation")
        .order_by("organisation__name", "name")
    )


# --- valuation and reports ------------------------------------------------------------------

VALUE = ExpressionWrapper(
    F("on_hand") * F("item__average_cost"),
    output_field=DecimalField(max_digits=20, decimal_places=4),
)


LAYER_VALUE = ExpressionWrapper(
    F("remaining") * F("unit_cost"),
    output_field=DecimalField(max_digits=20, decimal_places=4),
)


def valuation_of(*, organisation) -> str:
    """The organisation's valuation method (moving average unless it chose FIFO)."""
    try:
        return organisation.inventory_settings.valuation  # selected with the store, usually
    except InventorySettings.DoesNotExist:
        return InventorySettings.Valuation.AVERAGE


def _fifo(organisation) -> bool:
    return valuation_of(organisation=organisation) == InventorySettings.Valuation.FIFO


def value_by_store(*, organisation) -> list[dict]:
    """Units and value per store, valued by the organisation's method."""
    rows = list(
        ItemStock.objects.filter(store__organisation=organisation)
        .values("store__name")
        .annotate(units=Sum("on_hand"), value=Sum(VALUE))
        .order_by("store__name")
    )
    if _fifo(organisation):
        layers = dict(
            CostLayer.objects.filter(store__organisation=organisation, remaining__gt=0)
            .values("store__name")
            .annotate(v=Sum(LAYER_VALUE))
            .values_list("store__name", "v")
        )
        for row in rows:
            row["value"] = layers.get(row["store__name"], ZERO)
    return rows


def value_by_category(*, organisation, store: Store | None = None) -> list[dict]:
    """Units and value per category, valued by the organisation's method."""
    qs = ItemStock.objects.filter(store__organisation=organisation)
    if store is not None:
        qs = qs.filter(store=store)
    rows = list(
        qs.values("item__category__name")
        .annotate(units=Sum("on_hand"), value=Sum(VALUE))
        .order_by("item__category__name")
    )
    if _fifo(organisation):
        layers = CostLayer.objects.filter(store__organisation=organisation, remaining__gt=0)
        if store is not None:
            layers = layers.filter(store=store)
        values = dict(
            layers.values("item__category__name")
            .annotate(v=Sum(LAYER_VALUE))
            .values_list("item__category__name", "v")
        )
        for row in rows:
            row["value"] = values.get(row["item__category__name"], ZERO)
    return rows


def stock_value(*, store: Store) -> Decimal:
    """What the stock in one store is worth: on hand × moving average cost, or — for FIFO
    organisations — the cost of the receipt layers still on the shelf."""
    if _fifo(store.organisation):
        total = CostLayer.objects.filter(store=store, remaining__gt=0).aggregate(
            v=Sum(LAYER_VALUE)
        )["v"]
    else:
        total = ItemStock.objects.filter(store=store).aggregate(v=Sum(VALUE))["v"]
    return Decimal(total or ZERO).quantize(Decimal("0.01"))


def movements_over_time(*, store: Store, days: int = 90) -> list[dict]:
    since = timezone.now() - timedelta(days=days)
    return list(
        Movement.objects.filter(store=store, created_at__gte=since)
        .annotate(day=TruncDate("created_at"))
        .values("day", "kind")
        .annotate(q=Sum("quantity"))
        .order_by("day")
    )


@dataclass
class Turnover:
    item: Item
    on_hand: Decimal
    sold: Decimal
    revenue: Decimal
    margin: Decimal
    days_of_cover: float | None
    turnover: float | None


def turnover(*, store: Store, days: int = 90, limit: int | None = None) -> list[Turnover]:
    """Units sold (net of returns), revenue, margin, days of cover and annualised turnover."""
    since = timezone.now() - timedelta(days=days)
    sales = {
        r["item_id"]: r
        for r in Movement.objects.filter(
            store=store, kind__in=[K.SALE, K.RETURN], created_at__gte=since
        )
        .values("item_id")
        .annotate(
            q=Sum("quantity"),
            revenue=Sum(
                Case(
                    When(unit_price__isnull=False, then=-F("quantity") * F("unit_price")),
                    default=Value(ZERO),
                    output_field=DecimalField(max_digits=20, decimal_places=4),
                )
            ),
            cogs=Sum(
                -F("quantity") * F("unit_cost"),
                output_field=DecimalField(max_digits=20, decimal_places=4),
            ),
        )
    }
    out = []
    for stock in ItemStock.objects.filter(store=store).select_related("item"):
        r = sales.get(stock.item_id, {})
        sold = -(r.get("q") or ZERO)
        per_day = float(sold) / days
        cover = float(stock.on_hand) / per_day if per_day > 0 else None
        avg_stock_value = float(stock.on_hand * stock.item.average_cost)
        cogs = float(r.get("cogs") or 0)
        out.append(
            Turnover(
                item=stock.item,
                on_hand=stock.on_hand,
                sold=sold,
                revenue=Decimal(r.get("revenue") or 0).quantize(Decimal("0.01")),
                margin=Decimal((r.get("revenue") or 0) - (r.get("cogs") or 0)).quantize(
                    Decimal("0.01")
                ),
                days_of_cover=round(cover, 1) if cover is not None else None,
                turnover=round(cogs * 365 / days / avg_stock_value, 2) if avg_stock_value else None,
            )
        )
    out.sort(key=lambda t: t.revenue, reverse=True)
    return out[:limit] if limit else out


def dead_stock(*, store: Store, days: int = 60) -> list[ItemStock]:
    cutoff = timezone.now() - timedelta(days=days)
    return list(
        ItemStock.objects.filter(store=store, on_hand__gt=0)
        .filter(Q(last_sale_at__lt=cutoff) | Q(last_sale_at__isnull=True))
        .select_related("item")
        .order_by("last_sale_at")
    )


def expiry_losses(*, organisation, days: int = 90) -> list[dict]:
    since = timezone.now() - timedelta(days=days)
    return list(
        Movement.objects.filter(organisation=organisation, kind=K.WRITE_OFF, created_at__gte=since)
        .values("store__name", "reason")
        .annotate(  # written off is negative in the ledger; a loss is shown positive
            units=Sum(-F("quantity"), output_field=DecimalField(max_digits=20, decimal_places=3)),
            value=Sum(
                -F("quantity") * F("unit_cost"),
                output_field=DecimalField(max_digits=20, decimal_places=4),
            ),
        )
        .order_by("store__name", "reason")
    )


def supplier_performance(*, organisation) -> list[dict]:
    """Per supplier: orders, average days from sending to first receipt, fill rate."""
    from concierge.inventory.models import PurchaseOrderLine

    out = []
    for supplier in Supplier.objects.filter(organisation=organisation):
        orders = PurchaseOrder.objects.filter(supplier=supplier).exclude(
            status__in=[PurchaseOrder.Status.DRAFT, PurchaseOrder.Status.CANCELLED]
        )
        lines = PurchaseOrderLine.objects.filter(order__in=orders).aggregate(
            ordered=Sum("quantity"), received=Sum("received")
        )
        days = []
        for po in orders.filter(sent_at__isnull=False):
            first = Movement.objects.filter(po_line__order=po).order_by("created_at").first()
            if first:
                days.append((first.created_at - po.sent_at).total_seconds() / 86400)
        ordered = lines["ordered"] or ZERO
        out.append(
            {
                "supplier": supplier,
                "orders": orders.count(),
                "lead_time_days": supplier.lead_time_days,
                "actual_lead_days": round(sum(days) / len(days), 1) if days else None,
                "fill_rate": round(float((lines["received"] or ZERO) / ordered) * 100, 1)
                if ordered
                else None,
            }
        )
    return out


def store_performance(*, organisation, days: int = 30) -> list[dict]:
    since = timezone.now() - timedelta(days=days)
    sales = {
        r["store_id"]: r
        for r in Movement.objects.filter(
            organisation=organisation, kind__in=[K.SALE, K.RETURN], created_at__gte=since
        )
        .values("store_id")
        .annotate(
            units=Sum("quantity"),
            revenue=Sum(
                Coalesce(-F("quantity") * F("unit_price"), Value(ZERO)),
                output_field=DecimalField(max_digits=20, decimal_places=4),
            ),
        )
    }
    value = {
        r["store_id"]: r["v"]
        for r in ItemStock.objects.filter(store__organisation=organisation)
        .values("store_id")
        .annotate(v=Sum(VALUE))
    }
    out = []
    for store in Store.objects.filter(organisation=organisation):
        r = sales.get(store.pk, {})
        out.append(
            {
                "store": store,
                "units": -(r.get("units") or ZERO),
                "revenue": Decimal(r.get("revenue") or 0).quantize(Decimal("0.01")),
                "stock_value": Decimal(value.get(store.pk) or 0).quantize(Decimal("0.01")),
            }
        )
    return out


def forecast_for(*, item: Item, store: Store) -> list[DemandForecast]:
    return list(
        DemandForecast.objects.filter(
            item=item, store=store, day__gte=timezone.localdate()
        ).order_by("day")
    )


def daily_sales(*, item: Item, store: Store, days: int = 120) -> list[tuple[date, float]]:
    since = timezone.now() - timedelta(days=days)
    rows = dict(
        Movement.objects.filter(
            item=item, store=store, kind__in=[K.SALE, K.RETURN], created_at__gte=since
        )
        .annotate(day=TruncDate("created_at"))
        .values("day")
        .annotate(q=Sum("quantity"))
        .values_list("day", "q")
    )
    start = timezone.localdate() - timedelta(days=days)
    return [
        (start + timedelta(days=i), -float(rows.get(start + timedelta(days=i), 0)))
        for i in range(days + 1)
    ]


def categories_for(*, organisation) -> QuerySet[Category]:
    return Category.objects.filter(organisation=organisation)


def nan_to_none(x):
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else x
