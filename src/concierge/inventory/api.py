"""/api/inventory/: items, stores, stock, movements, purchase orders, transfers and online
orders. Thin over services and selectors; every lookup is scoped (a stranger gets 404)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.http import Http404
from ninja import Field, Router, Schema
from ninja.pagination import paginate
from pydantic import ValidationError as PydanticError

from concierge.core.api import ErrorOut, Pagination
from concierge.inventory import selectors, services
from concierge.inventory.models import Item, Location, OnlineOrder

router = Router(tags=["inventory"])
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


# --- schemas --------------------------------------------------------------------------------


class StoreOut(Schema):
    id: int
    code: str
    name: str
    city: str
    organisation: str = Field(alias="organisation.slug")
    allow_negative_stock: bool
    use_forecast: bool


class ItemOut(Schema):
    id: int
    sku: str
    name: str
    gtin: str
    category: str | None = Field(None, alias="category.name")
    unit: str
    size: str
    colour: str
    cost: Decimal
    price: Decimal
    tax_rate: Decimal
    average_cost: Decimal
    perishable: bool
    shelf_life_days: int | None
    serialised: bool
    supplier_id: int | None
    pack_size: int
    active: bool


class ItemIn(Schema):
    organisation: str = Field(description="The organisation's short name (slug).")
    sku: str
    name: str
    gtin: str = ""
    unit: Item.Unit = Item.Unit.EACH
    size: str = ""
    colour: str = ""
    cost: Decimal = Decimal(0)
    price: Decimal = Decimal(0)
    tax_rate: Decimal = Decimal(0)
    perishable: bool = False
    shelf_life_days: int | None = None
    pack_size: int = 1


class StockOut(Schema):
    item_id: int
    sku: str = Field(alias="item.sku")
    name: str = Field(alias="item.name")
    on_hand: Decimal
    reserved: Decimal
    in_transit: Decimal
    reorder_point: Decimal | None = None


class LevelOut(Schema):
    location: str = Field(alias="location.code")
    batch: str | None = Field(None, alias="batch.code")
    expires_on: date | None = Field(None, alias="batch.expires_on")
    quantity: Decimal


class MovementOut(Schema):
    id: int
    kind: str
    item_id: int
    store_id: int
    location: str = Field(alias="location.code")
    batch: str | None = Field(None, alias="batch.code")
    quantity: Decimal
    unit_cost: Decimal
    unit_price: Decimal | None
    reason: str
    reference: str
    created_at: datetime


class ReceiveLineIn(Schema):
    item_id: int
    quantity: Decimal = Field(gt=0)
    location: str = ""
    batch: str = ""
    expires_on: date | None = None
    unit_cost: Decimal | None = None
    unit: str = ""
    serials: list[str] = []


class ReceiveIn(Schema):
    store_id: int
    supplier_id: int | None = None
    delivery_note: str = ""
    confirm: bool = False
    lines: list[ReceiveLineIn]


class SellLineIn(Schema):
    item_id: int
    quantity: Decimal = Field(gt=0)
    unit_price: Decimal | None = None
    serials: list[str] = []


class SellIn(Schema):
    store_id: int
    reference: str = ""
    confirm: bool = False
    lines: list[SellLineIn]


class AdjustIn(Schema):
    store_id: int
    item_id: int
    quantity: Decimal
    reason: str
    kind: str = Field("adjust", pattern="^(adjust|write_off|return)$")
    location: str = ""
    batch: str = ""
    confirm: bool = False
    # Serialised items: the units that go (write-off, count down), the new ones (count up)
    # or the sold ones that come back (return).
    serials: list[str] = []


class TransferIn(Schema):
    from_store_id: int
    to_store_id: int
    note: str = ""
    lines: list[SellLineIn]


class TransferOut(Schema):
    id: int
    number: str
    from_store_id: int
    to_store_id: int
    status: str
    note: str
    created_at: datetime


class POLineOut(Schema):
    id: int
    item_id: int
    quantity: Decimal
    received: Decimal
    unit_cost: Decimal


class PurchaseOrderOut(Schema):
    id: int
    number: str
    supplier_id: int
    store_id: int
    status: str
    expected_on: date | None
    lines: list[POLineOut]


class PurchaseOrderIn(Schema):
    store_id: int
    supplier_id: int
    expected_on: date | None = None
    lines: list[SellLineIn]


class POReceiveLineIn(Schema):
    line_id: int
    quantity: Decimal = Field(gt=0)
    expires_on: date | None = None
    batch: str = ""
    serials: list[str] = []  # one per unit, for serialised items


class POReceiveIn(Schema):
    delivery_note: str
    confirm: bool = False
    lines: list[POReceiveLineIn]


class OrderLineIn(Schema):
    sku: str
    quantity: Decimal = Field(gt=0)


class OrderIn(Schema):
    store_id: int
    order_id: str = Field(min_length=1, max_length=80, description="The shop's own order id.")
    lines: list[OrderLineIn]


class OrderLineOut(Schema):
    sku: str = Field(alias="item.sku")
    quantity: Decimal


class OrderOut(Schema):
    order_id: str = Field(alias="external_id")
    store_id: int
    status: str
    lines: list[OrderLineOut]
    created_at: datetime


class WebhookIn(Schema):
    organisation: str
    url: str
    skus: list[str] = []


class WebhookOut(Schema):
    id: int
    url: str
    secret: str


# --- helpers --------------------------------------------------------------------------------


def _item(request, item_id: int, store=None) -> Item:
    item = selectors.item_for(user=request.auth, pk=item_id)
    if store is not None and item.organisation_id != store.organisation_id:
        raise Http404("Not found.")
    return item


def _location(store, code: str) -> Location | None:
    if not code:
        return None
    loc = store.locations.filter(code=code).first()
    if loc is None:
        raise ValidationError({"location": f"No location {code} in {store.name}."})
    return loc


def _org(request, slug: str):
    org = selectors.retail_organisations(user=request.auth).filter(slug=slug).first()
    if org is None:
        raise Http404("Not found.")
    return org


# --- stores and items -----------------------------------------------------------------------


@router.get("/stores", response=list[StoreOut])
@paginate(Pagination)
def list_stores(request):
    return selectors.stores_for(user=request.auth)


@router.get("/stores/{store_id}/stock", response={200: list[StockOut], **ERRORS})
@paginate(Pagination)
def store_stock(request, store_id: int, q: str = "", status: str = ""):
    store = selectors.store_for(user=request.auth, pk=store_id)
    return selectors.stock_list(store=store, query=q, status=status)  # points: /items/{id}


@router.get("/items", response=list[ItemOut])
@paginate(Pagination)
def list_items(request, q: str = "", gtin: str = ""):
    qs = selectors.items_for(user=request.auth).select_related("category").order_by("name")
    if q:
        qs = qs.filter(name__icontains=q)
    if gtin:
        qs = qs.filter(gtin=gtin)
    return qs


@router.get("/items/{item_id}", response={200: ItemOut, **ERRORS})
def get_item(request, item_id: int):
    return _item(request, item_id)


@router.post("/items", response={201: ItemOut, **ERRORS})
def create_item(request, payload: ItemIn):
    data = payload.dict()
    org = _org(request, data.pop("organisation"))
    return 201, services.create_item(user=request.auth, organisation=org, **data)


@router.get("/items/{item_id}/levels", response={200: list[LevelOut], **ERRORS})
def item_levels(request, item_id: int, store_id: int):
    item = _item(request, item_id)
    store = selectors.store_for(user=request.auth, pk=store_id)
    return selectors.item_levels(item=item, store=store)


# --- movements ------------------------------------------------------------------------------


@router.get("/movements", response={200: list[MovementOut], **ERRORS})
@paginate(Pagination)
def list_movements(request, store_id: int, kind: str = ""):
    store = selectors.store_for(user=request.auth, pk=store_id)
    return selectors.movements_for(store=store, kind=kind)


@router.post("/movements/receive", response={201: list[MovementOut], **ERRORS})
def post_receive(request, payload: ReceiveIn):
    store = selectors.store_for(user=request.auth, pk=payload.store_id)
    supplier = (
        selectors.supplier_for(user=request.auth, pk=payload.supplier_id)
        if payload.supplier_id
        else None
    )
    lines = [
        services.ReceiptLine(
            item=_item(request, ln.item_id, store),
            quantity=ln.quantity,
            location=_location(store, ln.location),
            batch_code=ln.batch,
            expires_on=ln.expires_on,
            unit_cost=ln.unit_cost,
            unit=ln.unit,
            serials=ln.serials,
        )
        for ln in payload.lines
    ]
    return 201, services.receive_stock(
        user=request.auth,
        store=store,
        lines=lines,
        supplier=supplier,
        delivery_note=payload.delivery_note,
        confirm=payload.confirm,
    )


@router.post("/movements/sell", response={201: list[MovementOut], **ERRORS})
def post_sell(request, payload: SellIn):
    store = selectors.store_for(user=request.auth, pk=payload.store_id)
    lines = [
        services.SaleLine(
            item=_item(request, ln.item_id, store),
            quantity=ln.quantity,
            unit_price=ln.unit_price,
            serials=ln.serials,
        )
        for ln in payload.lines
    ]
    return 201, services.sell_stock(
        user=request.auth,
        store=store,
        lines=lines,
        reference=payload.reference,
        confirm=payload.confirm,
    )


@router.post("/movements/adjust", response={201: list[MovementOut], **ERRORS})
def post_adjust(request, payload: AdjustIn):
    store = selectors.store_for(user=request.auth, pk=payload.store_id)
    item = _item(request, payload.item_id, store)
    location = _location(store, payload.location)
    batch = item.batches.filter(code=payload.batch).first() if payload.batch else None
    if payload.batch and batch is None:
        raise ValidationError({"batch": f"No batch {payload.batch} of {item.name}."})
    if payload.kind == "write_off":
        return 201, services.write_off(
            user=request.auth,
            store=store,
            item=item,
            quantity=payload.quantity,
            reason=payload.reason,
            location=location,
            batch=batch,
            serials=payload.serials,
        )
    if payload.kind == "return":
        return 201, [
            services.return_stock(
                user=request.auth,
                store=store,
                item=item,
                quantity=payload.quantity,
                reason=payload.reason,
                location=location,
                batch=batch,
                serials=payload.serials,
            )
        ]
    return 201, [
        services.adjust_stock(
            user=request.auth,
            store=store,
            item=item,
            quantity=payload.quantity,
            reason=payload.reason,
            location=location,
            batch=batch,
            serials=payload.serials,
            confirm=payload.confirm,
        )
    ]


@router.post("/movements/transfer", response={201: TransferOut, **ERRORS})
def post_transfer(request, payload: TransferIn):
    to_store = selectors.store_for(user=request.auth, pk=payload.to_store_id)
    sources = selectors.transfer_sources(user=request.auth, store=to_store)
    from_store = sources.filter(pk=payload.from_store_id).first()
    if from_store is None:
        raise Http404("Not found.")
    lines = [(_item(request, ln.item_id, to_store), ln.quantity) for ln in payload.lines]
    return 201, services.request_transfer(
        user=request.auth, from_store=from_store, to_store=to_store, lines=lines, note=payload.note
    )


# --- transfers ------------------------------------------------------------------------------


@router.get("/transfers", response=list[TransferOut])
@paginate(Pagination)
def list_transfers(request, status: str = ""):
    qs = selectors.transfers_for(user=request.auth).order_by("-created_at")
    return qs.filter(status=status) if status else qs


class ShipLineIn(Schema):
    line_id: int
    serials: list[str] = []  # the units that leave, one per unit, for serialised items


class ShipIn(Schema):
    lines: list[ShipLineIn] = []


def _optional_lines_body(key: str, key_type: str) -> dict:
    """OpenAPI for an optional JSON body `{"lines": [{key, "serials": [...]}]}`: actions on
    documents without serialised items are posted empty, as the other actions are, so the
    body is read by `_optional_payload` rather than declared as a required ninja body."""
    line = {
        "type": "object",
        "required": [key],
        "properties": {
            key: {"type": key_type},
            "serials": {"type": "array", "items": {"type": "string"}},
        },
    }
    schema = {"type": "object", "properties": {"lines": {"type": "array", "items": line}}}
    return {"requestBody": {"required": False, "content": {"application/json": {"schema": schema}}}}


def _optional_payload(request, schema: type[Schema]) -> Schema:
    """The JSON body as `schema`, or an empty one when nothing was posted; 422 when invalid."""
    if not request.body or request.content_type != "application/json":
        return schema()
    try:
        return schema.model_validate_json(request.body)
    except PydanticError as exc:
        raise ValidationError(
            {".".join(map(str, e["loc"])) or "body": e["msg"] for e in exc.errors()}
        ) from exc


SHIP_BODY = _optional_lines_body("line_id", "integer")


@router.post(
    "/transfers/{transfer_id}/ship",
    response={200: TransferOut, **ERRORS},
    openapi_extra=SHIP_BODY,
)
def ship_transfer(request, transfer_id: int):
    """Ship an approved transfer. Each serialised line names the serial numbers that leave
    (in stock at the sending store, one per unit):
    `{"lines": [{"line_id": 7, "serials": ["SN1", "SN2"]}]}`. A wrong pick answers 422 with
    the error on the line's `serials_<line_id>` field."""
    transfer = selectors.transfer_for(user=request.auth, pk=transfer_id)
    serials: dict[int, list[str]] = {}
    for ln in _optional_payload(request, ShipIn).lines:
        serials.setdefault(ln.line_id, []).extend(ln.serials)
    return services.ship_transfer(user=request.auth, transfer=transfer, serials=serials)


@router.post("/transfers/{transfer_id}/{action}", response={200: TransferOut, **ERRORS})
def transfer_action(request, transfer_id: int, action: str):
    transfer = selectors.transfer_for(user=request.auth, pk=transfer_id)
    fn = {
        "approve": services.approve_transfer,
        "reject": services.reject_transfer,
        "ship": services.ship_transfer,
        "receive": services.receive_transfer,
    }.get(action)
    if fn is None:
        raise Http404("Not found.")
    return fn(user=request.auth, transfer=transfer)


# --- purchase orders ------------------------------------------------------------------------


def _po_out(po):
    po.lines_list = list(po.lines.all())
    return {
        "id": po.pk,
        "number": po.number,
        "supplier_id": po.supplier_id,
        "store_id": po.store_id,
        "status": po.status,
        "expected_on": po.expected_on,
        "lines": po.lines_list,
    }


@router.get("/purchase-orders", response=list[PurchaseOrderOut])
@paginate(Pagination)
def list_purchase_orders(request, status: str = ""):
    qs = (
        selectors.purchase_orders_for(user=request.auth)
        .prefetch_related("lines")
        .order_by("-created_at")
    )
    return qs.filter(status=status) if status else qs


@router.get("/purchase-orders/{po_id}", response={200: PurchaseOrderOut, **ERRORS})
def get_purchase_order(request, po_id: int):
    return _po_out(selectors.purchase_order_for(user=request.auth, pk=po_id))


@router.post("/purchase-orders", response={201: PurchaseOrderOut, **ERRORS})
def create_purchase_order(request, payload: PurchaseOrderIn):
    store = selectors.store_for(user=request.auth, pk=payload.store_id)
    supplier = selectors.supplier_for(user=request.auth, pk=payload.supplier_id)
    po = services.create_purchase_order(
        user=request.auth,
        store=store,
        supplier=supplier,
        expected_on=payload.expected_on,
        lines=[(_item(request, ln.item_id, store), ln.quantity) for ln in payload.lines],
    )
    return 201, _po_out(po)


@router.post("/purchase-orders/{po_id}/send", response={200: PurchaseOrderOut, **ERRORS})
def send_purchase_order(request, po_id: int):
    po = selectors.purchase_order_for(user=request.auth, pk=po_id)
    return _po_out(services.send_purchase_order(user=request.auth, order=po))


@router.post("/purchase-orders/{po_id}/receive", response={200: PurchaseOrderOut, **ERRORS})
def receive_purchase_order(request, po_id: int, payload: POReceiveIn):
    po = selectors.purchase_order_for(user=request.auth, pk=po_id)
    lines = {
        ln.line_id: services.ReceiptLine(
            item=None,
            quantity=ln.quantity,
            expires_on=ln.expires_on,
            batch_code=ln.batch,
            serials=[s.strip() for s in ln.serials if s.strip()],
        )
        for ln in payload.lines
    }
    services.receive_purchase_order(
        user=request.auth,
        order=po,
        lines=lines,
        delivery_note=payload.delivery_note,
        confirm=payload.confirm,
    )
    return _po_out(selectors.purchase_order_for(user=request.auth, pk=po_id))


# --- online orders --------------------------------------------------------------------------


def _order_out(order: OnlineOrder):
    order.lines_list = list(order.lines.select_related("item"))
    return {
        "external_id": order.external_id,
        "store_id": order.store_id,
        "status": order.status,
        "lines": order.lines_list,
        "created_at": order.created_at,
    }


@router.post("/orders", response={201: OrderOut, 200: OrderOut, **ERRORS})
def place_order(request, payload: OrderIn):
    """Reserve stock for a shop's order. Posting the same order id again changes nothing and
    answers 200 with the order as first recorded."""
    store = selectors.store_for(user=request.auth, pk=payload.store_id)
    skus = {
        i.sku: i
        for i in Item.objects.filter(
            organisation=store.organisation, sku__in=[ln.sku for ln in payload.lines]
        )
    }
    missing = [ln.sku for ln in payload.lines if ln.sku not in skus]
    if missing:
        raise ValidationError({"lines": f"Unknown SKU: {', '.join(missing)}."})
    order, created = services.place_online_order(
        user=request.auth,
        store=store,
        external_id=payload.order_id,
        lines=[(skus[ln.sku], ln.quantity) for ln in payload.lines],
    )
    return (201 if created else 200), _order_out(order)


def _order(request, order_id: str) -> OnlineOrder:
    orgs = selectors.retail_organisations(user=request.auth)
    order = (
        OnlineOrder.objects.filter(organisation__in=orgs, external_id=order_id)
        .select_related("store__organisation")
        .first()
    )
    if order is None:
        raise Http404("Not found.")
    return order


@router.get("/orders/{order_id}", response={200: OrderOut, **ERRORS})
def get_order(request, order_id: str):
    return _order_out(_order(request, order_id))


class FulfilLineIn(Schema):
    sku: str
    serials: list[str] = []  # the units sent, one per unit, for serialised items


class FulfilIn(Schema):
    lines: list[FulfilLineIn] = []


FULFIL_BODY = _optional_lines_body("sku", "string")


@router.post(
    "/orders/{order_id}/fulfil", response={200: OrderOut, **ERRORS}, openapi_extra=FULFIL_BODY
)
def fulfil_order(request, order_id: str):
    """Send an order's reserved stock. Each serialised item names the serial numbers of the
    units sent (in stock at the order's store, one per unit):
    `{"lines": [{"sku": "PHONE-X", "serials": ["SN1", "SN2"]}]}`. A wrong pick answers 422
    with the error on the item's `serials_<sku>` field; nothing moves."""
    serials: dict[str, list[str]] = {}
    for line in _optional_payload(request, FulfilIn).lines:
        serials.setdefault(line.sku, []).extend(line.serials)
    return _order_out(
        services.fulfil_online_order(
            user=request.auth, order=_order(request, order_id), serials=serials
        )
    )


@router.post("/orders/{order_id}/cancel", response={200: OrderOut, **ERRORS})
def cancel_order(request, order_id: str):
    return _order_out(
        services.cancel_online_order(user=request.auth, order=_order(request, order_id))
    )


@router.post("/webhooks", response={201: WebhookOut, **ERRORS})
def create_webhook(request, payload: WebhookIn):
    org = _org(request, payload.organisation)
    items = list(Item.objects.filter(organisation=org, sku__in=payload.skus))
    return 201, services.create_webhook(
        user=request.auth, organisation=org, url=payload.url, items=items
    )
