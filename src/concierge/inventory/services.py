"""Every stock write. One function per use case, keyword-only, atomic, permission-checked.

The ledger rule: every change of quantity is a `Movement` row, and the `StockLevel` and
`ItemStock` rows it touches are locked (select_for_update) and updated in the same
transaction. Locks are always taken in the same order — the item's ItemStock first, then its
StockLevel rows, items sorted by id — so two sales of the same items cannot deadlock."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.db.models import DecimalField, Exists, F, Max, OuterRef, Subquery, Sum, Window
from django.db.models.expressions import RawSQL
from django.db.models.functions import RowNumber
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from concierge.core.permissions import require
from concierge.core.tasking import enqueue_on_commit
from concierge.core.webhooks import post_signed
from concierge.inventory.models import (
    ZERO,
    AlertState,
    Batch,
    Category,
    CostLayer,
    Counter,
    InventorySettings,
    Item,
    ItemStock,
    Location,
    Movement,
    Network,
    NetworkInvite,
    NetworkMember,
    OnlineOrder,
    OnlineOrderLine,
    PurchaseOrder,
    PurchaseOrderLine,
    ReorderRule,
    SerialNumber,
    StockLevel,
    Store,
    Supplier,
    Transfer,
    TransferLine,
    TransferSerial,
    WebhookDelivery,
    WebhookSubscription,
)

K = Movement.Kind
UNUSUAL_FACTOR = Decimal("5")  # a quantity this many times the usual one asks to confirm


# --- the ledger core ------------------------------------------------------------------------


def _locked(model, **lookup):
    """The row matching `lookup`, locked; created (with a retry on a racing insert) if absent."""
    row = model.objects.select_for_update().filter(**lookup).first()
    if row is not None:
        return row
    try:
        with transaction.atomic():
            return model.objects.create(**lookup)
    except IntegrityError:  # another transaction created it a moment ago
        return model.objects.select_for_update().get(**lookup)


def _whole_units(item: Item, quantity: Decimal, field_name: str = "quantity") -> None:
    counted = item.unit in (Item.Unit.EACH, Item.Unit.PACK, Item.Unit.BOX)
    if counted and quantity != quantity.to_integral_value():
        raise ValidationError(
            {
                field_name: _("%(item)s is counted in whole %(unit)s.")
                % {"item": item.name, "unit": item.get_unit_display()}
            }
        )


def _check_capacity(location: Location, adding: Decimal) -> None:
    if location.capacity_units is None or adding <= 0:
        return
    held = StockLevel.objects.filter(location=location).aggregate(s=Sum("quantity"))["s"] or ZERO
    if held + adding > location.capacity_units:
        room = max(location.capacity_units - held, ZERO)
        raise ValidationError(
            {
                "location": _(
                    "Location %(loc)s is full: it holds %(held)s of %(cap)s units, so there is "
                    "room "
                    "for %(room)s, not %(qty)s. Choose another bin."
                )
                % {
                    "loc": location.code,
                    "held": _fmt(held),
                    "cap": _fmt(location.capacity_units),
                    "room": _fmt(room),
                    "qty": _fmt(adding),
                }
            }
        )


def _fmt(value: Decimal) -> str:
    value = Decimal(value)
    return f"{value.normalize():f}" if value == value.to_integral_value() else f"{value:f}"


def _fifo_settings(organisation_id):
    return InventorySettings.objects.filter(
        organisation_id=organisation_id, valuation=InventorySettings.Valuation.FIFO
    )


def _uses_fifo(organisation_id: int, store: Store | None = None) -> bool:
    """FIFO valuation? Read from `store.uses_fifo` when `_posting_store` fetched it already."""
    if store is not None and hasattr(store, "uses_fifo"):
        return store.uses_fifo
    return _fifo_settings(organisation_id).exists()


def _posting_store(pk: int) -> Store:
    """The store, re-read for a posting, with what every posting asks besides in the same
    query: FIFO valuation or not, and whether the organisation has active webhooks."""
    store = Store.objects.annotate(
        uses_fifo=Exists(_fifo_settings(OuterRef("organisation_id"))),
        has_webhooks=Exists(
            WebhookSubscription.objects.filter(
                organisation_id=OuterRef("organisation_id"), active=True
            )
        ),
    ).get(pk=pk)
    if not store.has_webhooks:
        store._webhook_subs = []  # `_queue_webhooks` then asks nothing
    return store


class _Costs:
    """The unit cost of stock going out of one store: the item's moving average cost, or —
    for organisations valuing by FIFO — the cost of the oldest layers left, consumed in
    memory and saved in one statement. The caller holds the items' ItemStock locks."""

    def __init__(self, *, store: Store, item_ids: list[int]):
        self.fifo = _uses_fifo(store.organisation_id, store)
        self.layers: dict[int, list[CostLayer]] = {}
        self.touched: dict[int, CostLayer] = {}
        if self.fifo:
            for layer in CostLayer.objects.filter(
                store=store, item_id__in=item_ids, remaining__gt=0
            ).order_by("item_id", "received_at", "id"):
                self.layers.setdefault(layer.item_id, []).append(layer)

    def take(self, *, item: Item, quantity: Decimal, pieces: list | None = None) -> Decimal:
        """Unit cost of `quantity` units of `item` leaving now. With FIFO, `pieces` (if given)
        receives what was taken from each layer — (received_at, quantity, unit cost), with
        None for units beyond the layers — so a transfer can open the same layers at the
        receiving store."""
        if not self.fifo:
            return item.average_cost
        total, left, last_cost = ZERO, Decimal(quantity), None
        for layer in self.layers.get(item.pk, []):
            if left <= 0:
                break
            if layer.remaining <= 0:
                continue
            used = min(layer.remaining, left)
            layer.remaining -= used
            self.touched[layer.pk] = layer
            if pieces is not None:
                pieces.append((layer.received_at, used, layer.unit_cost))
            total += used * layer.unit_cost
            left -= used
            last_cost = layer.unit_cost
        if left > 0:  # below zero (allowed by the store) or stock older than FIFO: last known cost
            cost = last_cost if last_cost is not None else item.average_cost
            total += left * cost
            if pieces is not None:
                pieces.append((None, left, cost))
        return (total / Decimal(quantity)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)

    def save(self) -> None:
        if self.touched:
            CostLayer.objects.bulk_update(list(self.touched.values()), ["remaining"])


def _post(
    *,
    kind: str,
    item: Item,
    store: Store,
    location: Location,
    batch: Batch | None,
    quantity: Decimal,
    user=None,
    unit_cost: Decimal | None = None,
    unit_price: Decimal | None = None,
    allow_negative: bool | None = None,
    check_reserved: bool = False,
    at=None,
    stock: ItemStock | None = None,
    level: StockLevel | None = None,
    open_layer: bool = True,
    **refs,
) -> Movement:
    """Write one ledger line and update the stock rows it touches (already inside atomic).
    `stock` and `level` may be passed when the caller already holds their row locks."""
    quantity = Decimal(quantity)
    if quantity == 0:
        raise ValidationError({"quantity": _("The quantity cannot be zero.")})
    if location.store_id != store.pk:
        raise ValidationError(
            {"location": _("That location is not in %(store)s.") % {"store": store.name}}
        )
    allow_negative = store.allow_negative_stock if allow_negative is None else allow_negative
    if stock is None:
        stock = _locked(ItemStock, item=item, store=store)
    if level is None or level.pk is None:
        level = _locked(StockLevel, item=item, store=store, location=location, batch=batch)
    if quantity < 0 and not allow_negative:
        if level.quantity + quantity < 0:
            where = f"{location.code}" + (f" / {batch.code}" if batch else "")
            raise ValidationError(
                {
                    "quantity": _(
                        "Only %(have)s %(unit)s of %(item)s at %(where)s; cannot take %(qty)s."
                    )
                    % {
                        "have": _fmt(level.quantity),
                        "unit": item.get_unit_display(),
                        "item": item.name,
                        "where": where,
                        "qty": _fmt(-quantity),
                    }
                }
            )
        if check_reserved and stock.on_hand - stock.reserved + quantity < 0:
            raise ValidationError(
                {
                    "quantity": _(
                        "%(reserved)s %(unit)s of %(item)s are reserved for online orders; only "
                        "%(free)s are free to sell."
                    )
                    % {
                        "reserved": _fmt(stock.reserved),
                        "unit": item.get_unit_display(),
                        "item": item.name,
                        "free": _fmt(max(stock.on_hand - stock.reserved, ZERO)),
                    }
                }
            )
    if quantity > 0:
        _check_capacity(location, quantity)
    level.quantity += quantity
    level.save(update_fields=["quantity"])
    stock.on_hand += quantity
    update = ["on_hand"]
    now = at or timezone.now()
    if kind == K.SALE:
        stock.last_sale_at = now
        update.append("last_sale_at")
    stock.save(update_fields=update)
    fifo = _uses_fifo(store.organisation_id, store)
    if unit_cost is not None:
        cost = unit_cost
    elif quantity < 0 and fifo:
        costs = _Costs(store=store, item_ids=[item.pk])
        cost = costs.take(item=item, quantity=-quantity)
        costs.save()
    else:
        cost = item.average_cost
    movement = Movement.objects.create(
        organisation_id=store.organisation_id,
        store=store,
        location=location,
        item=item,
        batch=batch,
        kind=kind,
        quantity=quantity,
        unit_cost=cost,
        unit_price=unit_price,
        user=user if user is not None and user.pk else None,
        created_at=now,
        **refs,
    )
    if fifo and quantity > 0 and open_layer:
        CostLayer.objects.create(
            item=item,
            store=store,
            received_at=now,
            quantity=quantity,
            remaining=quantity,
            unit_cost=cost,
            movement=movement,
        )
    _after_change(item=item, store=store, stock=stock)
    return movement


def _revalue(item: Item, *, quantity: Decimal, unit_cost: Decimal) -> None:
    """Moving average cost over every store of the organisation, on a receipt."""
    locked = Item.objects.select_for_update().get(pk=item.pk)
    held = ItemStock.objects.filter(item=item).aggregate(s=Sum("on_hand"))["s"] or ZERO
    if held <= 0 or locked.average_cost <= 0:
        new = unit_cost
    else:
        new = (held * locked.average_cost + quantity * unit_cost) / (held + quantity)
    new = Decimal(new).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
    Item.objects.filter(pk=item.pk).update(average_cost=new)
    item.average_cost = new


def _after_change(*, item: Item, store: Store, stock: ItemStock) -> None:
    from concierge.inventory import alerts

    alerts.check_stock(item=item, store=store, stock=stock)
    _queue_webhooks(item=item, store=store, stock=stock)


def default_location(store: Store) -> Location:
    loc = (
        store.locations.filter(kind=Location.Kind.BIN).order_by("code").first()
        or store.locations.order_by("code").first()
    )
    if loc is None:
        raise ValidationError(
            {"location": _("%(store)s has no locations yet.") % {"store": store.name}}
        )
    return loc


def _usual_quantity(*, item: Item, store: Store, kind: str) -> Decimal | None:
    """The largest of the last 20 movements of this kind — what 'usual' means here."""
    recent = list(
        Movement.objects.filter(item=item, store=store, kind=kind)
        .order_by("-created_at")
        .values_list("quantity", flat=True)[:20]
    )
    if len(recent) < 3:
        rule = ReorderRule.objects.filter(item=item, store=store).first()
        return rule.reorder_qty if rule and rule.reorder_qty > 0 else None
    return max(abs(q) for q in recent)


def _confirm_unusual(
    *, item, store, kind, quantity, confirm: bool, field_name="quantity", usual=Ellipsis
):
    """Refuse a quantity far above the usual one unless confirmed. `usual` may be passed when
    the caller looked it up in bulk (`_usual_quantities`)."""
    if confirm:
        return
    if usual is Ellipsis:
        usual = _usual_quantity(item=item, store=store, kind=kind)
    if usual and abs(quantity) > usual * UNUSUAL_FACTOR:
        raise ValidationError(
            {
                field_name: ValidationError(
                    _(
                        "%(qty)s %(unit)s of %(item)s is far above the usual %(usual)s. "
                        "Tick “confirm” "
                        "if this is right."
                    )
                    % {
                        "qty": _fmt(abs(quantity)),
                        "unit": item.get_unit_display(),
                        "item": item.name,
                        "usual": _fmt(usual),
                    },
                    code="confirm",
                )
            }
        )


# --- catalogue -----------------------------------------------------------------------------


def settings_for(organisation) -> InventorySettings:
    obj, _created = InventorySettings.objects.get_or_create(organisation=organisation)
    return obj


@transaction.atomic
def update_inventory_settings(*, user, organisation, **fields) -> InventorySettings:
    """Save the organisation's inventory settings. Switching valuation to FIFO opens one cost
    layer per item × store holding stock, at its moving average cost: stock already on the
    shelf keeps the value it had, and what is received from then on forms new layers."""
    require(user, "inventory.manage", organisation)
    conf = settings_for(organisation)
    conf = InventorySettings.objects.select_for_update().get(pk=conf.pk)
    valuation = fields.pop("valuation", conf.valuation)
    if valuation not in InventorySettings.Valuation.values:
        raise ValidationError({"valuation": _("Choose moving average or FIFO.")})
    switching_to_fifo = (
        valuation == InventorySettings.Valuation.FIFO
        and conf.valuation != InventorySettings.Valuation.FIFO
    )
    for name, value in fields.items():
        setattr(conf, name, value)
    conf.valuation = valuation
    conf.full_clean()
    conf.save()
    organisation.inventory_settings = conf  # readers of this object see the new choice
    if switching_to_fifo:
        CostLayer.objects.filter(store__organisation=organisation).delete()
        now = timezone.now()
        stocks = (
            ItemStock.objects.select_for_update(of=("self",))
            .filter(store__organisation=organisation, on_hand__gt=0)
            .select_related("item")
            .order_by("item_id", "store_id")
        )
        CostLayer.objects.bulk_create(
            (
                CostLayer(
                    item_id=s.item_id,
                    store_id=s.store_id,
                    received_at=now,
                    quantity=s.on_hand,
                    remaining=s.on_hand,
                    unit_cost=s.item.average_cost,
                )
                for s in stocks
            ),
            batch_size=2000,
        )
    return conf


@transaction.atomic
def create_store(
    *,
    user,
    organisation,
    code: str,
    name: str,
    city: str = "",
    manager=None,
    allow_negative_stock: bool = False,
) -> Store:
    require(user, "inventory.manage", organisation)
    if Store.objects.filter(organisation=organisation, code=code).exists():
        raise ValidationError({"code": _("A store with this code exists.")})
    store = Store.objects.create(
        organisation=organisation,
        code=code,
        name=name,
        city=city,
        manager=manager,
        allow_negative_stock=allow_negative_stock,
    )
    return store


@transaction.atomic
def update_store(*, user, store: Store, **fields) -> Store:
    require(user, "inventory.manage", store)
    for name in ("name", "city", "address", "manager", "allow_negative_stock", "use_forecast"):
        if name in fields:
            setattr(store, name, fields[name])
    store.save()
    return store


@transaction.atomic
def create_location(
    *,
    user,
    store: Store,
    code: str,
    name: str,
    kind: str = Location.Kind.BIN,
    parent: Location | None = None,
    capacity_units: Decimal | None = None,
) -> Location:
    require(user, "inventory.manage", store)
    if parent is not None and parent.store_id != store.pk:
        raise ValidationError({"parent": _("The area must be in the same store.")})
    if Location.objects.filter(store=store, code=code).exists():
        raise ValidationError({"code": _("A location with this code exists in this store.")})
    return Location.objects.create(
        store=store, code=code, name=name, kind=kind, parent=parent, capacity_units=capacity_units
    )


def _validate_gtin(gtin: str) -> str:
    gtin = (gtin or "").strip()
    if not gtin:
        return ""
    if not gtin.isdigit() or len(gtin) not in (8, 12, 13, 14):
        raise ValidationError({"gtin": _("A GTIN has 8, 12, 13 or 14 digits.")})
    digits = [int(d) for d in gtin]
    check = digits.pop()
    total = sum(d * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    if (10 - total % 10) % 10 != check:
        raise ValidationError(
            {"gtin": _("The check digit of this GTIN is wrong — was a digit mistyped?")}
        )
    return gtin


ITEM_FIELDS = (
    "name",
    "gtin",
    "category",
    "unit",
    "size",
    "colour",
    "cost",
    "price",
    "tax_rate",
    "perishable",
    "shelf_life_days",
    "serialised",
    "supplier",
    "pack_size",
    "minimum_order_qty",
    "active",
    "variant_of",
)


@transaction.atomic
def create_item(*, user, organisation, sku: str, name: str, **fields) -> Item:
    require(user, "inventory.manage", organisation)
    sku = sku.strip()
    if not sku:
        raise ValidationError({"sku": _("The SKU is required.")})
    if Item.objects.filter(organisation=organisation, sku=sku).exists():
        raise ValidationError({"sku": _("An item with SKU %(sku)s exists.") % {"sku": sku}})
    fields["gtin"] = _validate_gtin(fields.get("gtin", ""))
    if (
        fields["gtin"]
        and Item.objects.filter(organisation=organisation, gtin=fields["gtin"]).exists()
    ):
        raise ValidationError({"gtin": _("Another item already has this barcode.")})
    item = Item(
        organisation=organisation,
        sku=sku,
        name=name,
        **{k: v for k, v in fields.items() if k in ITEM_FIELDS},
    )
    _check_item(item)
    item.save()
    return item


def _check_item(item: Item) -> None:
    if item.perishable and not item.shelf_life_days:
        raise ValidationError({"shelf_life_days": _("Perishable items need a shelf life.")})
    for money in ("cost", "price"):
        if getattr(item, money) is not None and getattr(item, money) < 0:
            raise ValidationError({money: _("Cannot be negative.")})
    for ref in ("category", "supplier", "variant_of"):
        obj = getattr(item, ref)
        if obj is not None and obj.organisation_id != item.organisation_id:
            raise ValidationError({ref: _("Not one of this organisation's.")})
    parent = item.variant_of
    if parent is not None:
        if item.pk and parent.pk == item.pk:
            raise ValidationError({"variant_of": _("An item cannot be a variant of itself.")})
        if parent.variant_of_id is not None:
            raise ValidationError(
                {
                    "variant_of": _("%(item)s is itself a variant; choose its main item.")
                    % {"item": parent.name}
                }
            )
        if item.pk and Item.objects.filter(variant_of=item).exists():
            raise ValidationError(
                {"variant_of": _("This item has variants of its own, so it cannot be one.")}
            )
        if not (item.size or item.colour):
            raise ValidationError(
                {"size": _("A variant needs a size or a colour that tells it apart.")}
            )
        clash = Item.objects.filter(variant_of=parent, size=item.size, colour=item.colour).exclude(
            pk=item.pk
        )
        if clash.exists():
            raise ValidationError(
                {
                    "size": _("%(item)s already has a variant of this size and colour.")
                    % {"item": parent.name}
                }
            )


@transaction.atomic
def update_item(*, user, item: Item, **fields) -> Item:
    require(user, "inventory.manage", item)
    if "gtin" in fields:
        fields["gtin"] = _validate_gtin(fields["gtin"])
        if (
            fields["gtin"]
            and Item.objects.filter(organisation=item.organisation_id, gtin=fields["gtin"])
            .exclude(pk=item.pk)
            .exists()
        ):
            raise ValidationError({"gtin": _("Another item already has this barcode.")})
    for name, value in fields.items():
        if name in ITEM_FIELDS:
            setattr(item, name, value)
    _check_item(item)
    item.save()
    return item


@transaction.atomic
def create_category(*, user, organisation, name: str) -> Category:
    require(user, "inventory.manage", organisation)
    cat, _created = Category.objects.get_or_create(organisation=organisation, name=name.strip())
    return cat


@transaction.atomic
def create_supplier(
    *,
    user,
    organisation,
    name: str,
    email: str = "",
    lead_time_days: int = 3,
    phone: str = "",
    minimum_order_value: Decimal = ZERO,
) -> Supplier:
    require(user, "inventory.manage", organisation)
    return Supplier.objects.create(
        organisation=organisation,
        name=name,
        email=email,
        phone=phone,
        lead_time_days=lead_time_days,
        minimum_order_value=minimum_order_value,
    )


@transaction.atomic
def set_reorder_rule(
    *,
    user,
    item: Item,
    store: Store,
    reorder_point: Decimal,
    reorder_qty: Decimal,
    max_qty: Decimal | None = None,
) -> ReorderRule:
    require(user, "inventory.manage", store)
    if item.organisation_id != store.organisation_id:
        raise ValidationError({"item": _("Not one of this organisation's items.")})
    if reorder_point < 0 or reorder_qty < 0:
        raise ValidationError({"reorder_point": _("Cannot be negative.")})
    if max_qty is not None and max_qty < reorder_point:
        raise ValidationError({"max_qty": _("The maximum must be above the reorder point.")})
    rule, _created = ReorderRule.objects.update_or_create(
        item=item,
        store=store,
        defaults={"reorder_point": reorder_point, "reorder_qty": reorder_qty, "max_qty": max_qty},
    )
    from concierge.inventory import alerts

    stock = _locked(ItemStock, item=item, store=store)
    alerts.check_stock(item=item, store=store, stock=stock)
    return rule


# --- scanning -------------------------------------------------------------------------------


def item_for_code(*, organisation, code: str) -> Item:
    """The item a scanned or typed code names: GTIN first, then SKU. Unknown → clear error."""
    code = (code or "").strip()
    if not code:
        raise ValidationError({"code": _("Scan or type a barcode.")})
    item = (
        Item.objects.filter(organisation=organisation, gtin=code).first()
        or Item.objects.filter(organisation=organisation, sku__iexact=code).first()
    )
    if item is None:
        raise ValidationError(
            {
                "code": _(
                    "Unknown barcode %(code)s: no item has it. Check the "
                    "code or add the item first."
                )
                % {"code": code}
            }
        )
    return item


# --- daily work -----------------------------------------------------------------------------


@dataclass
class ReceiptLine:
    item: Item
    quantity: Decimal
    location: Location | None = None
    batch_code: str = ""
    expires_on: date | None = None
    manufactured_on: date | None = None
    unit_cost: Decimal | None = None
    unit: str = ""
    serials: list[str] = field(default_factory=list)
    po_line: PurchaseOrderLine | None = None


def _batch_for(line: ReceiptLine, today: date) -> Batch | None:
    item = line.item
    if line.expires_on is not None and line.expires_on < today:
        raise ValidationError(
            {
                "expires_on": _(
                    "The expiry date %(d)s of %(item)s is in the past — check the label."
                )
                % {"d": line.expires_on.isoformat(), "item": item.name}
            }
        )
    if line.manufactured_on and line.manufactured_on > today:
        raise ValidationError({"manufactured_on": _("The manufacture date is in the future.")})
    if not line.batch_code and item.perishable:
        expires = line.expires_on or (today + timedelta(days=item.shelf_life_days or 0))
        line.batch_code = f"{today:%y%m%d}-{expires:%y%m%d}"
        line.expires_on = expires
    if not line.batch_code:
        return None
    if item.perishable and line.expires_on is None:
        line.expires_on = (line.manufactured_on or today) + timedelta(
            days=item.shelf_life_days or 0
        )
    batch, created = Batch.objects.get_or_create(
        item=item,
        code=line.batch_code.strip(),
        defaults={"expires_on": line.expires_on, "manufactured_on": line.manufactured_on},
    )
    if not created and line.expires_on and batch.expires_on and batch.expires_on != line.expires_on:
        raise ValidationError(
            {
                "expires_on": _("Batch %(code)s already exists with expiry %(d)s.")
                % {"code": batch.code, "d": batch.expires_on.isoformat()}
            }
        )
    return batch


@transaction.atomic
def receive_stock(
    *,
    user,
    store: Store,
    lines: list[ReceiptLine],
    supplier: Supplier | None = None,
    delivery_note: str = "",
    purchase_order: PurchaseOrder | None = None,
    confirm: bool = False,
) -> list[Movement]:
    """Stock comes in — against a purchase order or ad hoc. Validates every line first."""
    require(user, "inventory.move_stock", store)
    if not lines:
        raise ValidationError({"lines": _("Add at least one line.")})
    store = Store.objects.get(pk=store.pk)
    delivery_note = delivery_note.strip()
    if purchase_order is not None:
        supplier = purchase_order.supplier
    if supplier is not None and supplier.organisation_id != store.organisation_id:
        raise ValidationError({"supplier": _("Not one of this organisation's suppliers.")})
    if (
        delivery_note
        and supplier is not None
        and Movement.objects.filter(
            organisation_id=store.organisation_id,
            kind=K.RECEIVE,
            supplier=supplier,
            reference=delivery_note,
        ).exists()
    ):
        raise ValidationError(
            {
                "delivery_note": _(
                    "Delivery note %(note)s from %(supplier)s was already received. Receiving it "
                    "twice would double the stock."
                )
                % {"note": delivery_note, "supplier": supplier.name}
            }
        )
    today = timezone.localdate()
    movements = []
    for line in sorted(lines, key=lambda ln: ln.item.pk):
        item = line.item
        if item.organisation_id != store.organisation_id:
            raise ValidationError({"item": _("Not one of this organisation's items.")})
        if line.unit and line.unit != item.unit:
            raise ValidationError(
                {
                    "unit": _("Unit mismatch: %(item)s is counted in %(unit)s, not %(given)s.")
                    % {"item": item.name, "unit": item.get_unit_display(), "given": line.unit}
                }
            )
        quantity = Decimal(line.quantity)
        if quantity <= 0:
            raise ValidationError({"quantity": _("Receive a quantity above zero.")})
        _whole_units(item, quantity)
        _confirm_unusual(item=item, store=store, kind=K.RECEIVE, quantity=quantity, confirm=confirm)
        batch = _batch_for(line, today)
        if item.serialised:
            if len(line.serials) != int(quantity):
                raise ValidationError(
                    {
                        "serials": _("%(item)s needs one serial number per unit (%(n)s).")
                        % {"item": item.name, "n": int(quantity)}
                    }
                )
            for serial in line.serials:
                if SerialNumber.objects.filter(item=item, serial=serial).exists():
                    raise ValidationError(
                        {"serials": _("Serial %(s)s is already known.") % {"s": serial}}
                    )
                SerialNumber.objects.create(item=item, serial=serial, store=store)
        cost = item.cost if line.unit_cost is None else Decimal(line.unit_cost)
        _revalue(item, quantity=quantity, unit_cost=cost)
        location = line.location or default_location(store)
        movements.append(
            _post(
                kind=K.RECEIVE,
                item=item,
                store=store,
                location=location,
                batch=batch,
                quantity=quantity,
                unit_cost=cost,
                user=user,
                supplier=supplier,
                reference=delivery_note,
                po_line=line.po_line,
            )
        )
    return movements


@dataclass
class Allocation:
    level: StockLevel
    quantity: Decimal


def fefo_allocation(
    *,
    item: Item,
    store: Store,
    quantity: Decimal,
    location: Location | None = None,
    lock: bool = False,
) -> list[Allocation]:
    """Which batches (and bins) to take `quantity` from: first expiry first out; expired
    batches are never suggested; stock without a batch after dated batches."""
    today = timezone.localdate()
    levels = StockLevel.objects.filter(item=item, store=store, quantity__gt=0).select_related(
        "batch", "location"
    )
    if location is not None:
        levels = levels.filter(location=location)
    if lock:
        levels = levels.select_for_update(of=("self",))
    ordered = sorted(
        (
            lvl
            for lvl in levels
            if not (lvl.batch and lvl.batch.expires_on and lvl.batch.expires_on < today)
        ),
        key=lambda lvl: (
            lvl.batch is None or lvl.batch.expires_on is None,
            lvl.batch.expires_on if lvl.batch and lvl.batch.expires_on else date.max,
            lvl.batch_id or 0,
            lvl.location.code,
        ),
    )
    out, left = [], Decimal(quantity)
    for lvl in ordered:
        if left <= 0:
            break
        take = min(lvl.quantity, left)
        out.append(Allocation(level=lvl, quantity=take))
        left -= take
    if left > 0:
        if store.allow_negative_stock:
            loc = location or default_location(store)
            out.append(
                Allocation(level=StockLevel(item=item, store=store, location=loc), quantity=left)
            )
        else:
            have = Decimal(quantity) - left
            raise ValidationError(
                {
                    "quantity": _(
                        "Only %(have)s %(unit)s of %(item)s can be sold at %(store)s "
                        "(expired batches "
                        "excluded); cannot take %(qty)s."
                    )
                    % {
                        "have": _fmt(have),
                        "unit": item.get_unit_display(),
                        "item": item.name,
                        "store": store.name,
                        "qty": _fmt(quantity),
                    }
                }
            )
    return out


@dataclass
class SaleLine:
    item: Item
    quantity: Decimal
    batch: Batch | None = None
    location: Location | None = None
    unit_price: Decimal | None = None
    serials: list[str] = field(default_factory=list)


def _check_line(*, line: SaleLine, store: Store, today: date) -> Decimal:
    item = line.item
    if item.organisation_id != store.organisation_id:
        raise ValidationError({"item": _("Not one of this organisation's items.")})
    quantity = Decimal(line.quantity)
    if quantity <= 0:
        raise ValidationError({"quantity": _("The quantity must be above zero.")})
    _whole_units(item, quantity)
    if line.batch is not None:
        if line.batch.item_id != item.pk:
            raise ValidationError({"batch": _("That batch belongs to another item.")})
        if line.batch.expires_on and line.batch.expires_on < today:
            raise ValidationError(
                {
                    "batch": _(
                        "Batch %(code)s expired on %(d)s; write it off instead of selling it."
                    )
                    % {"code": line.batch.code, "d": line.batch.expires_on.isoformat()}
                }
            )
    return quantity


# The usual quantity of a kind of movement for one item × store, as a correlated subquery of
# the ItemStock row: the largest of its last 20 such movements (walked backwards on the
# (item, store, created_at) index), or NULL with fewer than 3 of them. The same definition
# as `_usual_quantity`; folded into the lock query, it costs no round trip of its own.
USUAL_SQL = (
    "SELECT CASE WHEN COUNT(*) >= 3 THEN MAX(ABS(recent.quantity)) END FROM ("
    "SELECT m.quantity FROM inventory_movement m"
    " WHERE m.item_id = inventory_itemstock.item_id"
    " AND m.store_id = inventory_itemstock.store_id AND m.kind = %s"
    " ORDER BY m.created_at DESC, m.id DESC LIMIT 20) recent"
)
RULE_FIELDS = ("id", "reorder_point", "reorder_qty", "max_qty")


def _lock_stocks(
    *, store: Store, item_ids: list[int], usual_kind: str | None = None, with_rules=False
) -> dict[int, ItemStock]:
    """The ItemStock rows of these items in `store`, locked in item order (one query; the
    missing ones are created, which is rare: an item never stocked here).

    The same query can bring what a posting needs next to each row, so it costs no round
    trip: `alerting` (an active low/out/overstock alert, always), `usual` (the usual quantity
    of `usual_kind`, see USUAL_SQL) and the item's reorder rule in this store (`rule`, a
    ReorderRule or None, with `with_rules`)."""
    from concierge.inventory.alerts import ITEM_KINDS

    qs = ItemStock.objects.select_for_update(of=("self",)).filter(store=store, item_id__in=item_ids)
    annotations = {
        "alerting": Exists(
            AlertState.objects.filter(
                item_id=OuterRef("item_id"),
                store_id=OuterRef("store_id"),
                batch__isnull=True,
                kind__in=ITEM_KINDS,
                active=True,
            )
        )
    }
    if usual_kind is not None:
        annotations["usual"] = RawSQL(
            USUAL_SQL, (usual_kind,), output_field=DecimalField(max_digits=14, decimal_places=3)
        )
    if with_rules:
        rule = ReorderRule.objects.filter(
            item_id=OuterRef("item_id"), store_id=OuterRef("store_id")
        )
        for name in RULE_FIELDS:
            annotations[f"rule_{name}"] = Subquery(rule.values(name)[:1])
    stocks = {s.item_id: s for s in qs.annotate(**annotations).order_by("item_id")}
    for item_id in item_ids:
        if item_id not in stocks:
            stocks[item_id] = _locked(ItemStock, item_id=item_id, store=store)
            stocks[item_id].alerting = True  # unknown: let the alert check look
            if usual_kind is not None:
                stocks[item_id].usual = None
            if with_rules:
                for name in RULE_FIELDS:
                    setattr(stocks[item_id], f"rule_{name}", None)
    if with_rules:
        for stock in stocks.values():
            stock.rule = (
                ReorderRule(
                    item_id=stock.item_id,
                    store_id=store.pk,
                    **{name: getattr(stock, f"rule_{name}") for name in RULE_FIELDS},
                )
                if stock.rule_id is not None
                else None
            )
    return stocks


def _usual_quantities(*, store: Store, item_ids: list[int], kind: str, rules: dict) -> dict:
    """`_usual_quantity` for several items in one query: the largest of each item's last 20
    movements of this kind (a window function), else the reorder quantity."""
    ranked = (
        Movement.objects.filter(store=store, item_id__in=item_ids, kind=kind)
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("item_id")],
                order_by=[F("created_at").desc(), F("id").desc()],
            )
        )
        .filter(rank__lte=20)
        .values_list("item_id", "quantity")
    )
    recent: dict[int, list[Decimal]] = {}
    for item_id, qty in ranked:
        recent.setdefault(item_id, []).append(abs(qty))
    usual = {}
    for item_id in item_ids:
        quantities = recent.get(item_id, [])
        if len(quantities) >= 3:
            usual[item_id] = max(quantities)
        else:
            rule = rules.get(item_id)
            usual[item_id] = rule.reorder_qty if rule and rule.reorder_qty > 0 else None
    return usual


def _fefo_key(level: StockLevel):
    batch = level.batch
    return (
        batch is None or batch.expires_on is None,
        batch.expires_on if batch and batch.expires_on else date.max,
        level.batch_id or 0,
        level.location.code,
    )


def _issue_lines(
    *,
    kind: str,
    user,
    store: Store,
    lines: list[SaleLine],
    check_reserved: bool,
    confirm: bool = True,
    cost_pieces: list | None = None,
    **refs,
) -> list[Movement]:
    """Take stock out for all `lines` at once, in a fixed number of queries whatever the
    number of lines: the item-store rows locked in item order, then every stock level of those
    items in the store locked in one statement, batches chosen FEFO in memory, then one
    UPDATE per table and one INSERT of the ledger lines. The ItemStock row is each item's
    mutex (every writer locks it before the item's levels), so locking all ItemStocks before
    all levels keeps the lock order deadlock-free."""
    today = timezone.localdate()
    lines = sorted(lines, key=lambda ln: ln.item.pk)
    quantities = [_check_line(line=line, store=store, today=today) for line in lines]
    item_ids = sorted({line.item.pk for line in lines})
    # One query locks the rows and brings each item's reorder rule, whether it has an active
    # alert and — unless confirmed — its usual quantity.
    stocks = _lock_stocks(
        store=store, item_ids=item_ids, usual_kind=None if confirm else kind, with_rules=True
    )
    rules = {item_id: s.rule for item_id, s in stocks.items() if s.rule is not None}
    if not confirm:
        for line, qty in zip(lines, quantities, strict=True):
            stock = stocks[line.item.pk]
            rule = stock.rule
            usual = stock.usual
            if usual is None and rule is not None and rule.reorder_qty > 0:
                usual = rule.reorder_qty  # fewer than 3 of them: the reorder quantity
            _confirm_unusual(
                item=line.item,
                store=store,
                kind=kind,
                quantity=qty,
                confirm=False,
                usual=usual,
            )
    levels: dict[int, list[StockLevel]] = {}
    for level in (
        StockLevel.objects.select_for_update(of=("self",))
        .filter(store=store, item_id__in=item_ids, quantity__gt=0)
        .select_related("batch", "location")
        .order_by("item_id", "pk")
    ):
        levels.setdefault(level.item_id, []).append(level)
    costs = _Costs(store=store, item_ids=item_ids)
    now = timezone.now()
    touched: dict[int, StockLevel] = {}
    movements: list[Movement] = []
    for line, quantity in zip(lines, quantities, strict=True):
        item, stock = line.item, stocks[line.item.pk]
        candidates = sorted(
            (
                lvl
                for lvl in levels.get(item.pk, [])
                if lvl.quantity > 0
                and (line.batch is None or lvl.batch_id == line.batch.pk)
                and (line.location is None or lvl.location_id == line.location.pk)
                and not (lvl.batch and lvl.batch.expires_on and lvl.batch.expires_on < today)
            ),
            key=_fefo_key,
        )
        takes, left = [], quantity
        for lvl in candidates:
            if left <= 0:
                break
            take = min(lvl.quantity, left)
            takes.append((lvl, take))
            left -= take
        if left > 0:
            if not store.allow_negative_stock:
                raise ValidationError(
                    {
                        "quantity": _(
                            "Only %(have)s %(unit)s of %(item)s can be sold at %(store)s "
                            "(expired batches "
                            "excluded); cannot take %(qty)s."
                        )
                        % {
                            "have": _fmt(quantity - left),
                            "unit": item.get_unit_display(),
                            "item": item.name,
                            "store": store.name,
                            "qty": _fmt(quantity),
                        }
                    }
                )
            # The store sells below zero: the rest goes on the level it would be received on.
            location = line.location or default_location(store)
            batch_id = line.batch.pk if line.batch else None
            extra = next(
                (
                    lvl
                    for lvl in levels.get(item.pk, [])
                    if lvl.location_id == location.pk and lvl.batch_id == batch_id
                ),
                None,
            )
            if extra is None:
                extra = _locked(
                    StockLevel, item=item, store=store, location=location, batch=line.batch
                )
                extra.location, extra.batch = location, line.batch
                levels.setdefault(item.pk, []).append(extra)
            takes.append((extra, left))
        if (
            check_reserved
            and not store.allow_negative_stock
            and stock.on_hand - stock.reserved - quantity < 0
        ):
            raise ValidationError(
                {
                    "quantity": _(
                        "%(reserved)s %(unit)s of %(item)s are reserved for online orders; only "
                        "%(free)s are free to sell."
                    )
                    % {
                        "reserved": _fmt(stock.reserved),
                        "unit": item.get_unit_display(),
                        "item": item.name,
                        "free": _fmt(max(stock.on_hand - stock.reserved, ZERO)),
                    }
                }
            )
        if item.serialised:
            _mark_serials(
                item=item,
                store=store,
                serials=line.serials,
                quantity=quantity,
                status=SerialNumber.Status.IN_TRANSIT
                if kind == K.TRANSFER_OUT
                else SerialNumber.Status.SOLD,
            )
        for lvl, take in takes:
            lvl.quantity -= take
            touched[lvl.pk] = lvl
            stock.on_hand -= take
            pieces = [] if cost_pieces is not None else None
            movements.append(
                Movement(
                    organisation_id=store.organisation_id,
                    store=store,
                    location=lvl.location,
                    item=item,
                    batch=lvl.batch,
                    kind=kind,
                    quantity=-take,
                    unit_cost=costs.take(item=item, quantity=take, pieces=pieces),
                    unit_price=line.unit_price,
                    user=user if user is not None and user.pk else None,
                    created_at=now,
                    **refs,
                )
            )
            if cost_pieces is not None:
                cost_pieces.append((movements[-1], pieces))
        if kind == K.SALE:
            stock.last_sale_at = now
    StockLevel.objects.bulk_update(list(touched.values()), ["quantity"])
    ItemStock.objects.bulk_update(list(stocks.values()), ["on_hand", "last_sale_at"])
    costs.save()
    movements = Movement.objects.bulk_create(movements)
    from concierge.inventory import alerts

    items = {line.item.pk: line.item for line in lines}
    alerts.check_stocks(
        store=store,
        stocks=stocks,
        items=items,
        rules=rules,
        alerting={i for i, s in stocks.items() if s.alerting},
    )
    for item_id, stock in stocks.items():
        _queue_webhooks(item=items[item_id], store=store, stock=stock)
    return movements


def _issue(*, kind, user, store, line: SaleLine, check_reserved: bool, **refs) -> list[Movement]:
    return _issue_lines(
        kind=kind, user=user, store=store, lines=[line], check_reserved=check_reserved, **refs
    )


def _pending_layers(*, cost_pieces: list, item: Item, store: Store) -> None:
    """FIFO layers for stock on its way to `store`: the sending store's layers as they were
    taken (their receipt time and cost), opened when the transfer is received. Until then
    nothing is left in them (remaining 0); they point at the transfer-out movement."""
    CostLayer.objects.bulk_create(
        CostLayer(
            item=item,
            store=store,
            received_at=received_at or out.created_at,
            quantity=qty,
            remaining=ZERO,
            unit_cost=cost,
            movement=out,
        )
        for out, pieces in cost_pieces
        for received_at, qty, cost in pieces or []
    )


def _mark_serials(
    *, item, store, serials, quantity, status, allowed=(SerialNumber.Status.IN_STOCK,)
) -> None:
    if len(serials) != int(quantity):
        raise ValidationError(
            {"serials": _("%(item)s needs one serial number per unit.") % {"item": item.name}}
        )
    rows = SerialNumber.objects.select_for_update().filter(
        item=item, serial__in=serials, store=store, status__in=allowed
    )
    if rows.count() != len(set(serials)):
        raise ValidationError({"serials": _("Some serial numbers are not in stock here.")})
    rows.update(status=status)


def _clean_serials(serials) -> list[str]:
    return [c.strip() for c in serials or [] if c and c.strip()]


def _serial_codes(
    *, item: Item, serials, quantity: Decimal, count_message: str, field_name: str = "serials"
) -> list[str]:
    """The serial numbers given for `quantity` units of `item`, one per unit and none twice
    (`count_message` names the count that is wrong); [] for an item without serials."""
    codes = _clean_serials(serials)
    if not item.serialised:
        if codes:
            raise ValidationError(
                {field_name: _("%(item)s has no serial numbers.") % {"item": item.name}}
            )
        return []
    if Decimal(len(codes)) != quantity:
        raise ValidationError(
            {
                field_name: count_message
                % {"item": item.name, "n": _fmt(quantity), "got": len(codes)}
            }
        )
    if len(set(codes)) != len(codes):
        raise ValidationError({field_name: _("A serial number is entered twice.")})
    return codes


def _serial_rows(*, item: Item, codes: list[str], lock: bool = True) -> dict[str, SerialNumber]:
    rows = SerialNumber.objects.filter(item=item, serial__in=codes).select_related("store")
    if lock:
        rows = rows.select_for_update(of=("self",))
    return {r.serial: r for r in rows}


def _unknown_serials(item: Item, codes: list[str], rows: dict) -> list[str]:
    unknown = [c for c in codes if c not in rows]
    if not unknown:
        return []
    return [
        _("Unknown serial numbers of %(item)s: %(serials)s.")
        % {"item": item.name, "serials": ", ".join(unknown)}
    ]


def _not_in_stock_at(store: Store, codes: list[str], rows: dict) -> list[str]:
    """What stops each known unit from leaving `store`: not in stock, or in stock elsewhere."""
    problems = []
    for c in codes:
        row = rows.get(c)
        if row is None:
            continue
        if row.status != SerialNumber.Status.IN_STOCK:
            problems.append(
                _("%(serial)s is not in stock (%(status)s).")
                % {"serial": c, "status": row.get_status_display()}
            )
        elif row.store_id != store.pk:
            problems.append(
                _("%(serial)s is in stock at %(store)s, not at %(here)s.")
                % {
                    "serial": c,
                    "store": row.store.name if row.store else "—",
                    "here": store.name,
                }
            )
    return problems


def _check_leaving_serials(
    *, item: Item, store: Store, serials, quantity: Decimal, field_name: str = "serials"
) -> list[SerialNumber]:
    """The serial numbers of the units that leave `store` without a sale (a write-off, a
    count corrected down): one per unit, each in stock here. Locked; every problem named."""
    codes = _serial_codes(
        item=item,
        serials=serials,
        quantity=quantity,
        field_name=field_name,
        count_message=_(
            "%(item)s: name the serial number of each unit that leaves: %(n)s, not %(got)s."
        ),
    )
    if not codes:
        return []
    rows = _serial_rows(item=item, codes=codes)
    problems = _unknown_serials(item, codes, rows) + _not_in_stock_at(store, codes, rows)
    if problems:
        raise ValidationError({field_name: problems})
    return [rows[c] for c in codes]


def _check_new_serials(
    *, item: Item, serials, quantity: Decimal, field_name: str = "serials"
) -> tuple[list[str], list[SerialNumber]]:
    """The serial numbers of units that come in without a receipt (a count corrected up):
    one per unit, unique per item. A unit written off earlier may come back (it was found);
    one sold, in stock or in transit may not. Returns (new codes, written-off rows found)."""
    codes = _serial_codes(
        item=item,
        serials=serials,
        quantity=quantity,
        field_name=field_name,
        count_message=_("%(item)s needs one new serial number per unit added: %(n)s, not %(got)s."),
    )
    if not codes:
        return [], []
    rows = _serial_rows(item=item, codes=codes)
    known = sorted(c for c, r in rows.items() if r.status != SerialNumber.Status.WRITTEN_OFF)
    if known:
        raise ValidationError(
            {
                field_name: _("Already known serial numbers of %(item)s: %(serials)s.")
                % {"item": item.name, "serials": ", ".join(known)}
            }
        )
    return [c for c in codes if c not in rows], list(rows.values())


def _check_returning_serials(
    *, item: Item, serials, quantity: Decimal, field_name: str = "serials"
) -> list[SerialNumber]:
    """The serial numbers of the units a customer brings back: one per unit, each a unit of
    this item that was sold (not one in stock, in transit or written off). Locked; every
    problem named."""
    codes = _serial_codes(
        item=item,
        serials=serials,
        quantity=quantity,
        field_name=field_name,
        count_message=_(
            "%(item)s: name the serial number of each unit that comes back: %(n)s, not %(got)s."
        ),
    )
    if not codes:
        return []
    rows = _serial_rows(item=item, codes=codes)
    problems = _unknown_serials(item, codes, rows)
    for c in codes:
        row = rows.get(c)
        if row is None or row.status == SerialNumber.Status.SOLD:
            continue
        if row.status == SerialNumber.Status.IN_STOCK:
            problems.append(
                _("%(serial)s is in stock at %(store)s; only a sold unit can come back.")
                % {"serial": c, "store": row.store.name if row.store else "—"}
            )
        else:
            problems.append(
                _("%(serial)s was not sold (%(status)s); only a sold unit can come back.")
                % {"serial": c, "status": row.get_status_display()}
            )
    if problems:
        raise ValidationError({field_name: problems})
    return [rows[c] for c in codes]


def _put_serials_in_stock(*, item: Item, store: Store, new: list[str], found: list) -> None:
    SerialNumber.objects.bulk_create(SerialNumber(item=item, serial=c, store=store) for c in new)
    SerialNumber.objects.filter(pk__in=[r.pk for r in found]).update(
        status=SerialNumber.Status.IN_STOCK, store=store
    )


def _write_off_serials(rows: list[SerialNumber]) -> None:
    SerialNumber.objects.filter(pk__in=[r.pk for r in rows]).update(
        status=SerialNumber.Status.WRITTEN_OFF
    )


@transaction.atomic
def sell_stock(
    *, user, store: Store, lines: list[SaleLine], reference: str = "", confirm: bool = False
) -> list[Movement]:
    """Stock goes out (a sale or an issue). Batches chosen first-expiry-first-out; all lines
    posted together (`_issue_lines`), so a 10-line sale costs about as many queries as one."""
    require(user, "inventory.move_stock", store)
    if not lines:
        raise ValidationError({"lines": _("Add at least one line.")})
    store = _posting_store(store.pk)
    return _issue_lines(
        kind=K.SALE,
        user=user,
        store=store,
        lines=lines,
        check_reserved=True,
        confirm=confirm,
        reference=reference,
    )


@transaction.atomic
def return_stock(
    *,
    user,
    store: Store,
    item: Item,
    quantity: Decimal,
    reason: str,
    location: Location | None = None,
    batch: Batch | None = None,
    reference: str = "",
    serials: list[str] | None = None,
) -> Movement:
    """A customer brings an item back to the shelf. For a serialised item `serials` names the
    units that come back (one per unit, each sold); they are in stock at `store` again."""
    require(user, "inventory.move_stock", store)
    if Decimal(quantity) <= 0:
        raise ValidationError({"quantity": _("The quantity must be above zero.")})
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the item came back.")})
    _whole_units(item, Decimal(quantity))
    if batch is not None and batch.expires_on and batch.expires_on < timezone.localdate():
        raise ValidationError({"batch": _("This batch has expired; write it off instead.")})
    if item.serialised or serials:
        _locked(ItemStock, item=item, store=store)  # the item's mutex before its serial rows
    back = _check_returning_serials(item=item, serials=serials, quantity=Decimal(quantity))
    _put_serials_in_stock(item=item, store=store, new=[], found=back)
    return _post(
        kind=K.RETURN,
        item=item,
        store=store,
        location=location or default_location(store),
        batch=batch,
        quantity=Decimal(quantity),
        user=user,
        reason=reason.strip(),
        reference=reference,
    )


@transaction.atomic
def adjust_stock(
    *,
    user,
    store: Store,
    item: Item,
    quantity: Decimal,
    reason: str,
    location: Location | None = None,
    batch: Batch | None = None,
    confirm: bool = False,
    serials: list[str] | None = None,
) -> Movement:
    """Correct the count by `quantity` (signed) — always with a reason. For a serialised item
    `serials` names the units: the ones missing (in stock here; they are written off) when
    the count goes down, new ones (unique per item, or ones written off earlier and found
    again) when it goes up."""
    require(user, "inventory.move_stock", store)
    if not reason.strip():
        raise ValidationError({"reason": _("An adjustment needs a reason.")})
    quantity = Decimal(quantity)
    _whole_units(item, abs(quantity))
    _confirm_unusual(item=item, store=store, kind=K.ADJUST, quantity=quantity, confirm=confirm)
    if item.serialised or serials:
        _locked(ItemStock, item=item, store=store)  # the item's mutex before its serial rows
    if quantity < 0:
        _write_off_serials(
            _check_leaving_serials(item=item, store=store, serials=serials, quantity=-quantity)
        )
    elif quantity > 0:
        new, found = _check_new_serials(item=item, serials=serials, quantity=quantity)
        _put_serials_in_stock(item=item, store=store, new=new, found=found)
    return _post(
        kind=K.ADJUST,
        item=item,
        store=store,
        location=location or default_location(store),
        batch=batch,
        quantity=quantity,
        user=user,
        reason=reason.strip(),
    )


WRITE_OFF_REASONS = ("expired", "damaged", "stolen", "other")


@transaction.atomic
def write_off(
    *,
    user,
    store: Store,
    item: Item,
    quantity: Decimal,
    reason: str,
    location: Location | None = None,
    batch: Batch | None = None,
    serials: list[str] | None = None,
) -> list[Movement]:
    """Expired or damaged stock leaves the books (never below zero). For a serialised item
    `serials` names the units that go (one per unit, in stock here); they are written off."""
    require(user, "inventory.move_stock", store)
    if reason not in WRITE_OFF_REASONS:
        raise ValidationError({"reason": _("Choose why: expired, damaged, stolen or other.")})
    quantity = Decimal(quantity)
    if quantity <= 0:
        raise ValidationError({"quantity": _("The quantity must be above zero.")})
    if item.serialised or serials:
        _locked(ItemStock, item=item, store=store)  # the item's mutex before its serial rows
    _write_off_serials(
        _check_leaving_serials(item=item, store=store, serials=serials, quantity=quantity)
    )
    levels = StockLevel.objects.filter(item=item, store=store, batch=batch, quantity__gt=0)
    if location is not None:
        levels = levels.filter(location=location)
    out, left = [], quantity
    for lvl in levels.select_related("location").order_by("location__code"):
        take = min(lvl.quantity, left)
        out.append(
            _post(
                kind=K.WRITE_OFF,
                item=item,
                store=store,
                location=lvl.location,
                batch=batch,
                quantity=-take,
                user=user,
                reason=reason,
                allow_negative=False,
            )
        )
        left -= take
        if left <= 0:
            break
    if left > 0:
        raise ValidationError(
            {
                "quantity": _("Only %(have)s can be written off here.")
                % {"have": _fmt(quantity - left)}
            }
        )
    return out


def serialised_variance_message(*, item: Item, variance: Decimal) -> str:
    """Why a count sheet does not post the variance of a serialised item: the units must be
    named (which ones are missing, which are new), and that is the adjust page's work."""
    return _(
        "%(item)s has serial numbers: its variance (%(v)s) is not posted from a count sheet. "
        "Correct it on the Adjust page with the serial numbers of the units, or leave the "
        "line empty."
    ) % {"item": item.name, "v": ("+" if variance > 0 else "") + _fmt(variance)}


@transaction.atomic
def post_stocktake(
    *, user, location: Location, counts: dict[tuple[int, int | None], Decimal], note: str = ""
) -> list[Movement]:
    """Post the variances of a count sheet as adjustments in one step. `counts` maps
    (item id, batch id or None) to the counted quantity; lines not counted are left alone.
    A variance of a serialised item is refused (nothing is posted): its units must be named,
    which an adjustment or a write-off does."""
    store = location.store
    require(user, "inventory.move_stock", store)
    items = {
        i.pk: i
        for i in Item.objects.filter(
            organisation_id=store.organisation_id, pk__in={k[0] for k in counts}
        )
    }
    batches = {b.pk: b for b in Batch.objects.filter(pk__in={k[1] for k in counts if k[1]})}
    current = {
        (lvl.item_id, lvl.batch_id): lvl.quantity
        for lvl in StockLevel.objects.filter(location=location)
    }
    variances = []
    for (item_id, batch_id), counted in sorted(
        counts.items(), key=lambda kv: (kv[0][0], kv[0][1] or 0)
    ):
        if item_id not in items:
            raise ValidationError({"counts": _("An unknown item was counted.")})
        counted = Decimal(counted)
        if counted < 0:
            raise ValidationError({"counts": _("A count cannot be negative.")})
        diff = counted - current.get((item_id, batch_id), ZERO)
        if diff != 0:
            variances.append((item_id, batch_id, diff))
    serialised = [
        serialised_variance_message(item=items[item_id], variance=diff)
        for item_id, _batch_id, diff in variances
        if items[item_id].serialised
    ]
    if serialised:
        raise ValidationError({"counts": serialised})
    out = []
    for item_id, batch_id, diff in variances:
        out.append(
            _post(
                kind=K.ADJUST,
                item=items[item_id],
                store=store,
                location=location,
                batch=batches.get(batch_id),
                quantity=diff,
                user=user,
                reason=(_("stocktake") + (f": {note}" if note else ""))[:120],
                allow_negative=False,
            )
        )
    return out


# --- purchase orders ------------------------------------------------------------------------


def _next_po_number(organisation_id: int) -> str:
    """The organisation's next purchase order number, from its counter row — locked until
    the order is committed, so concurrent requests queue for it and never share a number.
    The counter starts from the highest number already used (data from before it existed)."""
    counter = _locked(Counter, organisation_id=organisation_id, kind="purchase_order")
    if counter.last == 0:
        last = PurchaseOrder.objects.filter(
            organisation_id=organisation_id, number__startswith="PO-"
        ).aggregate(m=Max("number"))["m"]
        counter.last = int(last.rsplit("-", 1)[1]) if last else 0
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"PO-{counter.last:05d}"


def _create_numbered_transfer(**fields) -> Transfer:
    """Transfer numbers are unique across organisations (both ends see them): the next free
    number, and on a collision with a concurrent request (unique constraint) the next one."""
    for _attempt in range(10):
        last = Transfer.objects.filter(number__startswith="TR-").aggregate(m=Max("number"))["m"]
        number = f"TR-{int(last.rsplit('-', 1)[1]) + 1 if last else 1:05d}"
        try:
            with transaction.atomic():
                return Transfer.objects.create(number=number, **fields)
        except IntegrityError:
            continue
    raise ValidationError({"number": _("Could not number the transfer; please try again.")})


@transaction.atomic
def create_purchase_order(
    *,
    user,
    store: Store,
    supplier: Supplier,
    lines: list[tuple[Item, Decimal]],
    expected_on: date | None = None,
) -> PurchaseOrder:
    require(user, "inventory.order", store)
    if supplier.organisation_id != store.organisation_id:
        raise ValidationError({"supplier": _("Not one of this organisation's suppliers.")})
    if not lines:
        raise ValidationError({"lines": _("An order needs at least one line.")})
    po = PurchaseOrder.objects.create(
        organisation_id=store.organisation_id,
        store=store,
        supplier=supplier,
        number=_next_po_number(store.organisation_id),
        expected_on=expected_on or timezone.localdate() + timedelta(days=supplier.lead_time_days),
        created_by=user,
    )
    for item, qty in lines:
        if item.organisation_id != store.organisation_id:
            raise ValidationError({"lines": _("Not one of this organisation's items.")})
        if Decimal(qty) <= 0:
            raise ValidationError({"lines": _("Order a quantity above zero.")})
        PurchaseOrderLine.objects.create(order=po, item=item, quantity=qty, unit_cost=item.cost)
    return po


@transaction.atomic
def send_purchase_order(*, user, order: PurchaseOrder) -> PurchaseOrder:
    """E-mail the order to the supplier with a PDF, through the outbox."""
    from concierge.inventory import documents
    from concierge.notifications.services import queue_email

    require(user, "inventory.order", order)
    order = PurchaseOrder.objects.select_for_update().get(pk=order.pk)
    if order.status != PurchaseOrder.Status.DRAFT:
        raise ValidationError({"status": _("Only a draft order can be sent.")})
    if not order.supplier.email:
        raise ValidationError(
            {"supplier": _("%(s)s has no e-mail address.") % {"s": order.supplier.name}}
        )
    pdf = documents.purchase_order_pdf(order)
    lines = "\n".join(
        f"- {ln.item.name} ({ln.item.sku}): {_fmt(ln.quantity)} {ln.item.get_unit_display()}"
        for ln in order.lines.select_related("item")
    )
    queue_email(
        to=[order.supplier.email],
        subject=_("Purchase order %(n)s from %(org)s")
        % {"n": order.number, "org": order.organisation.name},
        text=_(
            "Please deliver to %(store)s by %(d)s:\n\n%(lines)s\n\nThe order is attached as a PDF."
        )
        % {"store": order.store.name, "d": order.expected_on, "lines": lines},
        event="inventory.purchase_order",
        attachments=[(f"{order.number}.pdf", pdf, "application/pdf")],
    )
    order.status = PurchaseOrder.Status.SENT
    order.sent_at = timezone.now()
    order.save(update_fields=["status", "sent_at"])
    return order


@transaction.atomic
def receive_purchase_order(
    *,
    user,
    order: PurchaseOrder,
    delivery_note: str,
    lines: dict[int, ReceiptLine],
    confirm: bool = False,
) -> list[Movement]:
    """Receive some or all outstanding lines; the order becomes partly received or received."""
    require(user, "inventory.move_stock", order)
    order = PurchaseOrder.objects.select_for_update().get(pk=order.pk)
    if order.status not in (
        PurchaseOrder.Status.SENT,
        PurchaseOrder.Status.PARTIAL,
        PurchaseOrder.Status.DRAFT,
    ):
        raise ValidationError(
            {
                "status": _("This order is %(s)s; nothing more to receive.")
                % {"s": order.get_status_display()}
            }
        )
    if not delivery_note.strip():
        raise ValidationError({"delivery_note": _("Enter the delivery note number.")})
    po_lines = {ln.pk: ln for ln in order.lines.select_for_update().select_related("item")}
    receipt = []
    for line_id, line in lines.items():
        po_line = po_lines.get(line_id)
        if po_line is None:
            raise ValidationError({"lines": _("That line is not on this order.")})
        if not line.quantity or Decimal(line.quantity) <= 0:
            continue
        if Decimal(line.quantity) > po_line.outstanding and not confirm:
            raise ValidationError(
                {
                    "lines": ValidationError(
                        _(
                            "%(item)s: %(qty)s is more than the %(out)s still outstanding. "
                            "Tick “confirm” "
                            "to accept the extra."
                        )
                        % {
                            "item": po_line.item.name,
                            "qty": _fmt(line.quantity),
                            "out": _fmt(po_line.outstanding),
                        },
                        code="confirm",
                    )
                }
            )
        line.item = po_line.item
        line.po_line = po_line
        line.unit_cost = po_line.unit_cost if line.unit_cost is None else line.unit_cost
        receipt.append(line)
    if not receipt:
        raise ValidationError({"lines": _("Enter a received quantity on at least one line.")})
    movements = receive_stock(
        user=user,
        store=order.store,
        lines=receipt,
        purchase_order=order,
        delivery_note=delivery_note,
        confirm=True,
    )
    for line in receipt:
        po_line = line.po_line
        po_line.received += Decimal(line.quantity)
        po_line.save(update_fields=["received"])
    done = all(ln.received >= ln.quantity for ln in po_lines.values())
    order.status = PurchaseOrder.Status.RECEIVED if done else PurchaseOrder.Status.PARTIAL
    order.save(update_fields=["status"])
    return movements


@transaction.atomic
def cancel_purchase_order(*, user, order: PurchaseOrder) -> PurchaseOrder:
    require(user, "inventory.order", order)
    if order.status not in (PurchaseOrder.Status.DRAFT, PurchaseOrder.Status.SENT):
        raise ValidationError(
            {"status": _("Only an order with nothing received can be cancelled.")}
        )
    order.status = PurchaseOrder.Status.CANCELLED
    order.save(update_fields=["status"])
    return order


@transaction.atomic
def order_suggestions(*, user, store: Store, supplier: Supplier) -> PurchaseOrder:
    """Second click of 'reorder in two clicks': the supplier's suggestions become a draft PO."""
    from concierge.inventory import selectors

    require(user, "inventory.order", store)
    rows = [
        s
        for s in selectors.reorder_suggestions(user=user, store=store)
        if s.supplier and s.supplier.pk == supplier.pk
    ]
    if not rows:
        raise ValidationError(
            {"supplier": _("Nothing to reorder from %(s)s.") % {"s": supplier.name}}
        )
    return create_purchase_order(
        user=user, store=store, supplier=supplier, lines=[(s.item, s.quantity) for s in rows]
    )


# --- transfers ------------------------------------------------------------------------------


def _shared_network(org_a, org_b) -> bool:
    if org_a == org_b:
        return True
    nets = NetworkMember.objects.filter(organisation_id=org_a).values("network")
    return NetworkMember.objects.filter(
        network__in=nets, organisation_id=org_b, accepts_transfers=True
    ).exists()


def _notify_transfer(transfer: Transfer, *, to_from: bool, to_to: bool) -> None:
    from concierge.notifications.services import notify

    ctx = {
        "number": transfer.number,
        "status": transfer.get_status_display(),
        "from_store": transfer.from_store.name,
        "to_store": transfer.to_store.name,
    }
    url = reverse("inventory:transfer", args=[transfer.pk])
    recipients = set()
    for store, wanted in ((transfer.from_store, to_from), (transfer.to_store, to_to)):
        if wanted and store.manager_id:
            recipients.add(store.manager)
    for person in recipients:
        notify(
            person,
            "inventory.transfer",
            ctx,
            url=url,
            dedup_key=f"transfer:{transfer.pk}:{transfer.status}",
        )


@transaction.atomic
def request_transfer(
    *, user, from_store: Store, to_store: Store, lines: list[tuple[Item, Decimal]], note: str = ""
) -> Transfer:
    """The receiving store asks for stock. Inside one organisation, or across a network."""
    require(user, "inventory.move_stock", to_store)
    if from_store.pk == to_store.pk:
        raise ValidationError({"from_store": _("Choose another store to borrow from.")})
    if not _shared_network(to_store.organisation_id, from_store.organisation_id):
        raise PermissionDenied(_("That store is not in your network."))
    if not lines:
        raise ValidationError({"lines": _("Add at least one item.")})
    transfer = _create_numbered_transfer(
        from_store=from_store,
        to_store=to_store,
        note=note,
        requested_by=user,
    )
    for item, qty in lines:
        if Decimal(qty) <= 0:
            raise ValidationError({"lines": _("The quantity must be above zero.")})
        source, target = _pair_items(item, from_store, to_store)
        TransferLine.objects.create(transfer=transfer, item=source, to_item=target, quantity=qty)
    _notify_transfer(transfer, to_from=True, to_to=False)
    return transfer


def _pair_items(item: Item, from_store: Store, to_store: Store) -> tuple[Item, Item]:
    """The same product on both sides: the item itself in one organisation, else by GTIN."""
    if from_store.organisation_id == to_store.organisation_id:
        return item, item
    if not item.gtin:
        raise ValidationError(
            {
                "lines": _("%(item)s has no GTIN, so it cannot be matched in another organisation.")
                % {"item": item.name}
            }
        )
    source = Item.objects.filter(organisation_id=from_store.organisation_id, gtin=item.gtin).first()
    target = Item.objects.filter(organisation_id=to_store.organisation_id, gtin=item.gtin).first()
    if source is None or target is None:
        raise ValidationError(
            {"lines": _("%(item)s is not stocked by both organisations.") % {"item": item.name}}
        )
    return source, target


def _transfer_for_update(transfer: Transfer, *expected: str) -> Transfer:
    transfer = (
        Transfer.objects.select_for_update()
        .select_related("from_store__organisation", "to_store__organisation")
        .get(pk=transfer.pk)
    )
    if transfer.status not in expected:
        raise ValidationError(
            {"status": _("This transfer is %(s)s.") % {"s": transfer.get_status_display()}}
        )
    return transfer


@transaction.atomic
def approve_transfer(*, user, transfer: Transfer) -> Transfer:
    require(user, "inventory.approve_transfer", transfer)
    transfer = _transfer_for_update(transfer, Transfer.Status.REQUESTED)
    transfer.status = Transfer.Status.APPROVED
    transfer.save(update_fields=["status"])
    _notify_transfer(transfer, to_from=False, to_to=True)
    return transfer


@transaction.atomic
def reject_transfer(*, user, transfer: Transfer) -> Transfer:
    require(user, "inventory.approve_transfer", transfer)
    transfer = _transfer_for_update(transfer, Transfer.Status.REQUESTED, Transfer.Status.APPROVED)
    transfer.status = Transfer.Status.REJECTED
    transfer.save(update_fields=["status"])
    _notify_transfer(transfer, to_from=False, to_to=True)
    return transfer


def _serials_field(line: TransferLine) -> str:
    """The error key for a line's serial numbers: the ship form's field of the same name."""
    return f"serials_{line.pk}"


def _check_ship_serials(
    *, transfer: Transfer, lines: list[TransferLine], serials: dict[int, list[str]]
) -> dict[int, list[str]]:
    """The serial numbers picked for each serialised line, checked before anything moves:
    one per unit, each in stock at the sending store, and — across organisations — not
    already in stock under the receiver's item. Every line's errors are reported at once."""
    known = {line.pk for line in lines}
    errors: dict[str, list[str]] = {}
    stray = [pk for pk in serials if pk not in known]
    if stray:
        errors["lines"] = [
            _("No line %(ids)s on this transfer.") % {"ids": ", ".join(map(str, stray))}
        ]
    picked: dict[int, list[str]] = {}
    for line in lines:
        key = _serials_field(line)
        try:
            codes = _serial_codes(
                item=line.item,
                serials=serials.get(line.pk),
                quantity=line.quantity,
                field_name=key,
                count_message=_(
                    "%(item)s: pick one serial number per unit shipped: %(n)s, not %(got)s."
                ),
            )
        except ValidationError as exc:
            errors.update(exc.message_dict)
            continue
        if not codes:
            continue
        rows = _serial_rows(item=line.item, codes=codes, lock=False)
        problems = _unknown_serials(line.item, codes, rows) + _not_in_stock_at(
            transfer.from_store, codes, rows
        )
        target = line.to_item or line.item
        if not problems and target.pk != line.item.pk:
            taken = list(
                SerialNumber.objects.filter(
                    item=target,
                    serial__in=codes,
                    status__in=[SerialNumber.Status.IN_STOCK, SerialNumber.Status.IN_TRANSIT],
                ).values_list("serial", flat=True)
            )
            if taken:
                problems.append(
                    _("The receiving organisation already has %(serials)s in stock.")
                    % {"serials": ", ".join(sorted(taken))}
                )
        if problems:
            errors[key] = problems
        else:
            picked[line.pk] = codes
    if errors:
        raise ValidationError(errors)
    return picked


@transaction.atomic
def ship_transfer(
    *, user, transfer: Transfer, serials: dict[int, list[str]] | None = None
) -> Transfer:
    """Stock leaves the sending store (FEFO) and shows as in transit at the receiver.
    `serials` maps each serialised line's id to the serial numbers of the units that leave:
    they must be in stock at the sending store, one per unit; they travel as in transit."""
    require(user, "inventory.ship_transfer", transfer)
    transfer = _transfer_for_update(transfer, Transfer.Status.APPROVED)
    src = transfer.from_store
    lines = list(transfer.lines.select_related("item", "to_item").order_by("item_id"))
    picked = _check_ship_serials(transfer=transfer, lines=lines, serials=serials or {})
    # FIFO at both ends: the receiver gets the sender's layers (receipt time and cost), not a
    # new layer dated today at the blended cost.
    carry_layers = _uses_fifo(src.organisation_id) and _uses_fifo(transfer.to_store.organisation_id)
    for line in lines:
        cost_pieces = [] if carry_layers else None
        codes = picked.get(line.pk, [])
        moves = _issue_lines(
            kind=K.TRANSFER_OUT,
            user=user,
            store=src,
            lines=[SaleLine(item=line.item, quantity=line.quantity, serials=codes)],
            check_reserved=True,
            cost_pieces=cost_pieces,
            transfer=transfer,
            reference=transfer.number,
        )
        if carry_layers:
            _pending_layers(
                cost_pieces=cost_pieces, item=line.to_item or line.item, store=transfer.to_store
            )
        if len(moves) == 1 and moves[0].batch_id:
            line.batch_id = moves[0].batch_id
            line.save(update_fields=["batch"])
        dest = _locked(ItemStock, item=line.to_item or line.item, store=transfer.to_store)
        dest.in_transit += line.quantity
        dest.save(update_fields=["in_transit"])
        if codes:
            TransferSerial.objects.bulk_create(
                TransferSerial(line=line, serial=row)
                for row in SerialNumber.objects.filter(item=line.item, serial__in=codes)
            )
    transfer.status = Transfer.Status.SHIPPED
    transfer.shipped_at = timezone.now()
    transfer.save(update_fields=["status", "shipped_at"])
    _notify_transfer(transfer, to_from=False, to_to=True)
    return transfer


@transaction.atomic
def receive_transfer(*, user, transfer: Transfer, location: Location | None = None) -> Transfer:
    """Stock arrives at the receiving store, keeping batch and expiry."""
    require(user, "inventory.receive_transfer", transfer)
    transfer = _transfer_for_update(transfer, Transfer.Status.SHIPPED)
    dest = transfer.to_store
    location = location or default_location(dest)
    for line in transfer.lines.select_related("item", "to_item", "batch").order_by("item_id"):
        target = line.to_item or line.item
        outs = list(
            Movement.objects.filter(
                transfer=transfer, kind=K.TRANSFER_OUT, item=line.item
            ).select_related("batch")
        )
        for out in outs:
            batch = out.batch
            if batch is not None and target.pk != line.item.pk:
                batch, _c = Batch.objects.get_or_create(
                    item=target,
                    code=batch.code,
                    defaults={
                        "expires_on": batch.expires_on,
                        "manufactured_on": batch.manufactured_on,
                    },
                )
            cost = out.unit_cost
            if target.pk != line.item.pk:
                _revalue(target, quantity=-out.quantity, unit_cost=cost)
            pending = CostLayer.objects.filter(movement=out, store=dest, item=target, remaining=0)
            carried = _uses_fifo(dest.organisation_id) and pending.exists()
            moved_in = _post(
                kind=K.TRANSFER_IN,
                item=target,
                store=dest,
                location=location,
                batch=batch,
                quantity=-out.quantity,
                user=user,
                unit_cost=cost,
                open_layer=not carried,
                transfer=transfer,
                reference=transfer.number,
            )
            if carried:  # the sender's layers, opened here with their own time and cost
                pending.update(remaining=F("quantity"), movement=moved_in)
        stock = _locked(ItemStock, item=target, store=dest)
        stock.in_transit = max(stock.in_transit - line.quantity, ZERO)
        stock.save(update_fields=["in_transit"])
        _receive_serials(line=line, target=target, store=dest)
    transfer.status = Transfer.Status.RECEIVED
    transfer.received_at = timezone.now()
    transfer.save(update_fields=["status", "received_at"])
    _notify_transfer(transfer, to_from=True, to_to=False)
    return transfer


def _receive_serials(*, line: TransferLine, target: Item, store: Store) -> None:
    """The units that travelled on `line` are in stock at `store`. Across organisations the
    sender's rows are marked moved away and the receiver's item gets rows of the same serials
    (reused if a unit comes back)."""
    links = list(line.unit_serials.select_related("serial"))
    if not links:
        return
    In = SerialNumber.Status
    sent = [link.serial for link in links]
    if target.pk == line.item.pk:
        SerialNumber.objects.filter(pk__in=[s.pk for s in sent]).update(
            status=In.IN_STOCK, store=store
        )
        for link in links:
            link.received_as = link.serial
    else:
        codes = [s.serial for s in sent]
        theirs = {
            r.serial: r
            for r in SerialNumber.objects.select_for_update().filter(item=target, serial__in=codes)
        }
        taken = sorted(c for c, r in theirs.items() if r.status in (In.IN_STOCK, In.IN_TRANSIT))
        if taken:
            raise ValidationError(
                {
                    "serials": _("The receiving organisation already has %(serials)s in stock.")
                    % {"serials": ", ".join(taken)}
                }
            )
        SerialNumber.objects.filter(item=target, serial__in=list(theirs)).update(
            status=In.IN_STOCK, store=store
        )
        SerialNumber.objects.bulk_create(
            SerialNumber(item=target, serial=c, store=store, status=In.IN_STOCK)
            for c in codes
            if c not in theirs
        )
        SerialNumber.objects.filter(pk__in=[s.pk for s in sent]).update(status=In.TRANSFERRED)
        rows = {r.serial: r for r in SerialNumber.objects.filter(item=target, serial__in=codes)}
        for link in links:
            link.received_as = rows[link.serial.serial]
    TransferSerial.objects.bulk_update(links, ["received_as"])


NETWORK_INVITE_DAYS = 14


@transaction.atomic
def create_network(*, user, organisation, name: str) -> NetworkMember:
    """Start a network with this organisation as its first member."""
    require(user, "inventory.manage", organisation)
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Give the network a name.")})
    network = Network.objects.create(name=name[:120])
    return NetworkMember.objects.create(network=network, organisation=organisation)


@transaction.atomic
def invite_to_network(*, user, organisation, network: Network, note: str = "") -> NetworkInvite:
    """A one-time code that lets another organisation join `network` (valid 14 days)."""
    require(user, "inventory.manage", organisation)
    if not NetworkMember.objects.filter(network=network, organisation=organisation).exists():
        raise PermissionDenied(_("Only members can invite to a network."))
    return NetworkInvite.objects.create(
        network=network,
        code=secrets.token_urlsafe(12),
        invited_by=user,
        note=(note or "").strip()[:120],
        expires_at=timezone.now() + timedelta(days=NETWORK_INVITE_DAYS),
    )


@transaction.atomic
def revoke_network_invite(*, user, organisation, invite: NetworkInvite) -> NetworkInvite:
    require(user, "inventory.manage", organisation)
    if not NetworkMember.objects.filter(network=invite.network, organisation=organisation).exists():
        raise PermissionDenied(_("Only members can revoke an invitation."))
    invite.revoked = True
    invite.save(update_fields=["revoked"])
    return invite


@transaction.atomic
def accept_network_invite(*, user, organisation, code: str) -> NetworkMember:
    """Join the network an invitation code is for. Stock of items with the same GTIN becomes
    visible both ways; prices stay hidden unless an organisation chooses to share them."""
    require(user, "inventory.manage", organisation)
    invite = (
        NetworkInvite.objects.select_for_update()
        .select_related("network")
        .filter(code=(code or "").strip())
        .first()
    )
    if invite is None or invite.revoked:
        raise ValidationError({"code": _("This invitation code is not valid.")})
    if invite.accepted_at is not None:
        raise ValidationError({"code": _("This invitation code has already been used.")})
    if invite.expires_at < timezone.now():
        raise ValidationError({"code": _("This invitation code has expired; ask for a new one.")})
    if NetworkMember.objects.filter(network=invite.network, organisation=organisation).exists():
        raise ValidationError({"code": _("Your organisation is already in this network.")})
    invite.accepted_by = organisation
    invite.accepted_at = timezone.now()
    invite.save(update_fields=["accepted_by", "accepted_at"])
    return NetworkMember.objects.create(network=invite.network, organisation=organisation)


@transaction.atomic
def leave_network(*, user, organisation, network: Network) -> None:
    require(user, "inventory.manage", organisation)
    NetworkMember.objects.filter(network=network, organisation=organisation).delete()
    if not network.members.exists():
        network.delete()


@transaction.atomic
def join_network(
    *, user, organisation, network: Network | None = None, name: str = ""
) -> NetworkMember:
    require(user, "inventory.manage", organisation)
    if network is None:
        network = Network.objects.create(name=name or organisation.name)
    member, _c = NetworkMember.objects.get_or_create(network=network, organisation=organisation)
    return member


# --- online orders --------------------------------------------------------------------------


@transaction.atomic
def place_online_order(
    *, user, store: Store, external_id: str, lines: list[tuple[Item, Decimal]]
) -> tuple[OnlineOrder, bool]:
    """Reserve stock for a shop's order. Idempotent on the shop's order id: a repeated post
    returns the first order and changes nothing. Returns (order, created)."""
    require(user, "inventory.move_stock", store)
    external_id = external_id.strip()
    if not external_id:
        raise ValidationError({"external_id": _("The shop's order id is required.")})
    existing = OnlineOrder.objects.filter(
        organisation_id=store.organisation_id, external_id=external_id
    ).first()
    if existing is not None:
        return existing, False
    if not lines:
        raise ValidationError({"lines": _("An order needs at least one line.")})
    try:
        with transaction.atomic():
            order = OnlineOrder.objects.create(
                organisation_id=store.organisation_id, store=store, external_id=external_id
            )
    except IntegrityError:  # the same order posted twice at once
        return OnlineOrder.objects.get(
            organisation_id=store.organisation_id, external_id=external_id
        ), False
    for item, qty in sorted(lines, key=lambda ln: ln[0].pk):
        qty = Decimal(qty)
        if item.organisation_id != store.organisation_id:
            raise ValidationError({"lines": _("Not one of this organisation's items.")})
        if qty <= 0:
            raise ValidationError({"lines": _("The quantity must be above zero.")})
        stock = _locked(ItemStock, item=item, store=store)
        if stock.on_hand - stock.reserved < qty and not store.allow_negative_stock:
            raise ValidationError(
                {
                    "lines": _("Only %(free)s of %(item)s are free at %(store)s.")
                    % {
                        "free": _fmt(max(stock.on_hand - stock.reserved, ZERO)),
                        "item": item.name,
                        "store": store.name,
                    }
                }
            )
        stock.reserved += qty
        stock.save(update_fields=["reserved"])
        OnlineOrderLine.objects.create(order=order, item=item, quantity=qty)
        _queue_webhooks(item=item, store=store, stock=stock)
    return order, True


def _release(order: OnlineOrder) -> None:
    for line in order.lines.select_related("item").order_by("item_id"):
        stock = _locked(ItemStock, item=line.item, store=order.store)
        stock.reserved = max(stock.reserved - line.quantity, ZERO)
        stock.save(update_fields=["reserved"])


def order_serials_field(item: Item) -> str:
    """The error key for the serial numbers of one item of an online order: the fulfil
    form's field of the same name."""
    return f"serials_{item.sku}"


@transaction.atomic
def fulfil_online_order(
    *, user, order: OnlineOrder, serials: dict[str, list[str]] | None = None
) -> OnlineOrder:
    """The reserved stock leaves as a sale. `serials` maps the SKU of each serialised item
    on the order to the serial numbers of the units sent (in stock at the order's store,
    one per unit); every wrong pick is reported at once on `serials_<sku>`."""
    require(user, "inventory.move_stock", order.store)
    order = OnlineOrder.objects.select_for_update().select_related("store").get(pk=order.pk)
    if order.status == OnlineOrder.Status.FULFILLED:
        return order
    if order.status != OnlineOrder.Status.RESERVED:
        raise ValidationError({"status": _("This order was cancelled.")})
    # The ItemStock rows (each item's mutex) are locked first, in item order, as every
    # writer does; a wrong pick below rolls the release back with the rest.
    _release(order)
    serials = serials or {}
    quantities: dict[int, Decimal] = {}
    items: dict[int, Item] = {}
    for line in order.lines.select_related("item"):
        items[line.item_id] = line.item
        quantities[line.item_id] = quantities.get(line.item_id, ZERO) + line.quantity
    by_sku = {item.sku: item for item in items.values()}
    errors: dict[str, list[str]] = {}
    stray = sorted(sku for sku in serials if sku not in by_sku)
    if stray:
        errors["serials"] = [_("No line of %(skus)s on this order.") % {"skus": ", ".join(stray)}]
    picked: dict[int, list[str]] = {}
    for item_id, qty in sorted(quantities.items()):
        item = items[item_id]
        key = order_serials_field(item)
        try:
            rows = _check_leaving_serials(
                item=item,
                store=order.store,
                serials=serials.get(item.sku),
                quantity=qty,
                field_name=key,
            )
        except ValidationError as exc:
            errors.update(exc.message_dict)
        else:
            picked[item_id] = [r.serial for r in rows]
    if errors:
        raise ValidationError(errors)
    _issue_lines(
        kind=K.SALE,
        user=user,
        store=order.store,
        lines=[
            SaleLine(item=items[item_id], quantity=qty, serials=picked.get(item_id, []))
            for item_id, qty in sorted(quantities.items())
        ],
        check_reserved=True,
        online_order=order,
        reference=order.external_id,
    )
    order.status = OnlineOrder.Status.FULFILLED
    order.save(update_fields=["status", "updated_at"])
    return order


@transaction.atomic
def cancel_online_order(*, user, order: OnlineOrder) -> OnlineOrder:
    require(user, "inventory.move_stock", order.store)
    order = OnlineOrder.objects.select_for_update().select_related("store").get(pk=order.pk)
    if order.status == OnlineOrder.Status.CANCELLED:
        return order
    if order.status != OnlineOrder.Status.RESERVED:
        raise ValidationError({"status": _("A fulfilled order cannot be cancelled.")})
    _release(order)
    order.status = OnlineOrder.Status.CANCELLED
    order.save(update_fields=["status", "updated_at"])
    for line in order.lines.select_related("item"):
        stock = ItemStock.objects.get(item=line.item, store=order.store)
        _queue_webhooks(item=line.item, store=order.store, stock=stock)
    return order


# --- webhooks -------------------------------------------------------------------------------


@transaction.atomic
def create_webhook(
    *, user, organisation, url: str, items: list[Item] | None = None
) -> WebhookSubscription:
    require(user, "inventory.manage", organisation)
    url = (url or "").strip()
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError as exc:
        raise ValidationError({"url": _("Enter the shop's http(s) address.")}) from exc
    if items and any(i.organisation_id != organisation.pk for i in items):
        raise ValidationError({"items": _("Not one of this organisation's items.")})
    sub = WebhookSubscription.objects.create(
        organisation=organisation, url=url, secret=secrets.token_hex(24)
    )
    if items:
        sub.items.set(items)
    return sub


@transaction.atomic
def update_webhook(
    *, user, subscription: WebhookSubscription, active: bool | None = None, items=None
) -> WebhookSubscription:
    require(user, "inventory.manage", subscription.organisation)
    if items is not None:
        if any(i.organisation_id != subscription.organisation_id for i in items):
            raise ValidationError({"items": _("Not one of this organisation's items.")})
        subscription.items.set(items)
    if active is not None:
        subscription.active = active
        subscription.save(update_fields=["active"])
    return subscription


@transaction.atomic
def delete_webhook(*, user, subscription: WebhookSubscription) -> None:
    require(user, "inventory.manage", subscription.organisation)
    subscription.delete()


@transaction.atomic
def retry_webhook_delivery(*, user, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a failed delivery again (after the shop fixed its end)."""
    require(user, "inventory.manage", delivery.subscription.organisation)
    if delivery.status != WebhookDelivery.Status.FAILED:
        raise ValidationError({"delivery": _("Only failed deliveries can be retried.")})
    delivery.status = WebhookDelivery.Status.PENDING
    delivery.attempts = 0
    delivery.next_attempt_at = timezone.now()
    delivery.save(update_fields=["status", "attempts", "next_attempt_at"])
    from concierge.inventory.tasks import deliver_webhook

    enqueue_on_commit(deliver_webhook, delivery.pk)
    return delivery


def _queue_webhooks(*, item: Item, store: Store, stock: ItemStock) -> None:
    # Looked up once per store object: a 10-line sale asks once, not ten times.
    if not hasattr(store, "_webhook_subs"):
        store._webhook_subs = list(
            WebhookSubscription.objects.filter(
                organisation_id=store.organisation_id, active=True
            ).prefetch_related("items")
        )
    subs = [
        s
        for s in store._webhook_subs
        if not s.items.all() or any(i.pk == item.pk for i in s.items.all())
    ]
    for sub in subs:
        delivery = WebhookDelivery.objects.create(
            subscription=sub,
            next_attempt_at=timezone.now(),
            payload={
                "event": "stock.changed",
                "sku": item.sku,
                "gtin": item.gtin,
                "store": store.code,
                "on_hand": _fmt(stock.on_hand),
                "reserved": _fmt(stock.reserved),
                "available": _fmt(stock.available),
                "at": timezone.now().isoformat(),
            },
        )
        from concierge.inventory.tasks import deliver_webhook

        enqueue_on_commit(deliver_webhook, delivery.pk)


WEBHOOK_MAX_ATTEMPTS = 6


def deliver_webhook(*, delivery_id: int, opener=None) -> bool:
    """POST one signed webhook; on failure retry later with back-off (by `retry_webhooks`)."""
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update()
            .select_related("subscription")
            .filter(pk=delivery_id, status=WebhookDelivery.Status.PENDING)
            .first()
        )
        if delivery is None:
            return False
        delivery.attempts += 1
        try:
            post_signed(
                url=delivery.subscription.url,
                secret=delivery.subscription.secret,
                payload=delivery.payload,
                headers={"X-Concierge-Delivery": str(delivery.pk)},
                opener=opener,
            )
        except Exception as exc:  # network, HTTP error: keep it and retry
            delivery.last_error = f"{type(exc).__name__}: {exc}"[:255]
            delivery.next_attempt_at = timezone.now() + timedelta(minutes=2**delivery.attempts)
            if delivery.attempts >= WEBHOOK_MAX_ATTEMPTS:
                delivery.status = WebhookDelivery.Status.FAILED
            delivery.save()
            return False
        delivery.status = WebhookDelivery.Status.DELIVERED
        delivery.last_error = ""
        delivery.save()
        return True


def retry_webhooks() -> int:
    due = WebhookDelivery.objects.filter(
        status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=timezone.now()
    ).values_list("pk", flat=True)[:200]
    return sum(deliver_webhook(delivery_id=pk) for pk in list(due))
