"""CSV import (with a dry run and row-level errors) and export of items, stock and movements.

An import validates every row first; if any row is wrong nothing is written and each error
names its row and column. Rows are upserts keyed by SKU (items) or store+SKU+location+batch
(stock counts), so running the same file twice changes nothing the second time."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from concierge.core.permissions import require
from concierge.inventory import services
from concierge.inventory.models import (
    Batch,
    Category,
    Item,
    ItemStock,
    Location,
    Movement,
    StockLevel,
    Store,
    Supplier,
)

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000
ITEM_COLUMNS = [
    "sku",
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
    "supplier",
    "pack_size",
    "minimum_order_qty",
]
STOCK_COLUMNS = ["store", "sku", "location", "batch", "expires_on", "quantity"]


@dataclass
class ImportResult:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[dict] = field(default_factory=list)
    dry_run: bool = True

    @property
    def ok(self) -> bool:
        return not self.errors


class _RowError(Exception):
    def __init__(self, column: str, message: str):
        super().__init__(message)
        self.column, self.message = column, message


def _read(upload) -> list[dict]:
    raw = upload.read() if hasattr(upload, "read") else upload
    if isinstance(raw, str):
        raw = raw.encode()
    if len(raw) > MAX_BYTES:
        raise ValidationError({"file": _("The file is larger than 5 MB.")})
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationError({"file": _("The file is not UTF-8 text.")}) from exc
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames:
        raise ValidationError({"file": _("The file is empty.")})
    rows = []
    for row in reader:
        rows.append(
            {(k or "").strip().lower(): (v or "").strip() for k, v in row.items() if k is not None}
        )
        if len(rows) > MAX_ROWS:
            raise ValidationError({"file": _("At most 20,000 rows per file.")})
    return rows


def _decimal(row, column, *, required=False, default=None) -> Decimal | None:
    value = row.get(column, "")
    if value == "":
        if required:
            raise _RowError(column, _("Required."))
        return default
    try:
        d = Decimal(value.replace(",", ""))
    except InvalidOperation as exc:
        raise _RowError(column, _("“%(v)s” is not a number.") % {"v": value}) from exc
    if d < 0:
        raise _RowError(column, _("Cannot be negative."))
    return d


def _bool(value: str) -> bool:
    return value.lower() in {"1", "yes", "true", "y", "x"}


@transaction.atomic
def import_items(*, user, organisation, upload, dry_run: bool = True) -> ImportResult:
    require(user, "inventory.manage", organisation)
    rows = _read(upload)
    result = ImportResult(rows=len(rows), dry_run=dry_run)
    missing = {"sku", "name"} - set(rows[0] if rows else {})
    if rows and missing:
        raise ValidationError(
            {"file": _("Missing columns: %(c)s.") % {"c": ", ".join(sorted(missing))}}
        )
    existing = {i.sku: i for i in Item.objects.filter(organisation=organisation)}
    gtins = {i.gtin: i.sku for i in existing.values() if i.gtin}
    suppliers = {s.name.lower(): s for s in Supplier.objects.filter(organisation=organisation)}
    units = {u.value for u in Item.Unit}
    seen: set[str] = set()
    plans = []
    for n, row in enumerate(rows, start=2):  # row 1 is the header
        try:
            sku = row.get("sku", "")
            if not sku:
                raise _RowError("sku", _("Required."))
            if sku in seen:
                raise _RowError("sku", _("SKU %(s)s appears twice in the file.") % {"s": sku})
            seen.add(sku)
            if not row.get("name"):
                raise _RowError("name", _("Required."))
            unit = row.get("unit") or "each"
            if unit not in units:
                raise _RowError(
                    "unit",
                    _("Unknown unit “%(u)s”; use one of %(all)s.")
                    % {"u": unit, "all": ", ".join(sorted(units))},
                )
            try:
                gtin = services._validate_gtin(row.get("gtin", ""))
            except ValidationError as exc:
                raise _RowError("gtin", exc.messages[0]) from exc
            if gtin and gtins.get(gtin, sku) != sku:
                raise _RowError(
                    "gtin", _("Barcode already used by SKU %(s)s.") % {"s": gtins[gtin]}
                )
            if gtin:
                gtins[gtin] = sku
            supplier = None
            if row.get("supplier"):
                supplier = suppliers.get(row["supplier"].lower())
                if supplier is None:
                    raise _RowError(
                        "supplier", _("Unknown supplier “%(s)s”.") % {"s": row["supplier"]}
                    )
            perishable = _bool(row.get("perishable", ""))
            shelf = _decimal(row, "shelf_life_days")
            if perishable and not shelf:
                raise _RowError("shelf_life_days", _("Perishable items need a shelf life."))
            fields = {
                "name": row["name"][:200],
                "gtin": gtin,
                "unit": unit,
                "size": row.get("size", "")[:40],
                "colour": row.get("colour", "")[:40],
                "cost": _decimal(row, "cost", default=Decimal(0)),
                "price": _decimal(row, "price", default=Decimal(0)),
                "tax_rate": _decimal(row, "tax_rate", default=Decimal(0)),
                "perishable": perishable,
                "shelf_life_days": int(shelf) if shelf else None,
                "supplier": supplier,
                "pack_size": int(_decimal(row, "pack_size", default=Decimal(1)) or 1),
                "minimum_order_qty": int(
                    _decimal(row, "minimum_order_qty", default=Decimal(1)) or 1
                ),
            }
            plans.append((sku, row.get("category", ""), fields))
        except _RowError as err:
            result.errors.append({"row": n, "column": err.column, "message": err.message})
    if result.errors or dry_run:
        _count(result, plans, existing)
        return result
    categories = {c.name: c for c in Category.objects.filter(organisation=organisation)}
    for sku, cat_name, fields in plans:
        if cat_name and cat_name not in categories:
            categories[cat_name] = Category.objects.create(
                organisation=organisation, name=cat_name[:80]
            )
        fields["category"] = categories.get(cat_name) if cat_name else None
        item = existing.get(sku)
        if item is None:
            Item.objects.create(organisation=organisation, sku=sku, **fields)
            result.created += 1
        elif any(getattr(item, k) != v for k, v in fields.items()):
            for k, v in fields.items():
                setattr(item, k, v)
            item.save()
            result.updated += 1
        else:
            result.unchanged += 1
    return result


def _count(result: ImportResult, plans, existing) -> None:
    for sku, _cat, fields in plans:
        item = existing.get(sku)
        if item is None:
            result.created += 1
        elif any(getattr(item, k) != v for k, v in fields.items()):
            result.updated += 1
        else:
            result.unchanged += 1


@transaction.atomic
def import_stock(*, user, organisation, upload, dry_run: bool = True) -> ImportResult:
    """Counted quantities: each row sets what is on hand; the difference is posted as an
    adjustment ("import"), so the ledger explains the new count."""
    require(user, "inventory.move_stock", organisation)
    rows = _read(upload)
    result = ImportResult(rows=len(rows), dry_run=dry_run)
    stores = {s.code: s for s in Store.objects.filter(organisation=organisation)}
    items = {i.sku: i for i in Item.objects.filter(organisation=organisation)}
    locations = {
        (loc.store.code, loc.code): loc
        for loc in Location.objects.filter(store__organisation=organisation).select_related("store")
    }
    today = date.today()
    plans = []
    for n, row in enumerate(rows, start=2):
        try:
            store = stores.get(row.get("store", ""))
            if store is None:
                raise _RowError(
                    "store", _("Unknown store code “%(s)s”.") % {"s": row.get("store", "")}
                )
            item = items.get(row.get("sku", ""))
            if item is None:
                raise _RowError("sku", _("Unknown SKU “%(s)s”.") % {"s": row.get("sku", "")})
            loc = locations.get((store.code, row.get("location", "")))
            if loc is None:
                raise _RowError(
                    "location",
                    _("Unknown location “%(l)s” in %(s)s.")
                    % {"l": row.get("location", ""), "s": store.code},
                )
            qty = _decimal(row, "quantity", required=True)
            expires = None
            if row.get("expires_on"):
                try:
                    expires = date.fromisoformat(row["expires_on"])
                except ValueError as exc:
                    raise _RowError("expires_on", _("Use a date like 2026-12-31.")) from exc
                if expires < today:
                    raise _RowError("expires_on", _("The expiry date is in the past."))
            if item.perishable and not row.get("batch"):
                raise _RowError("batch", _("Perishable items need a batch."))
            plans.append((store, item, loc, row.get("batch", ""), expires, qty))
        except _RowError as err:
            result.errors.append({"row": n, "column": err.column, "message": err.message})
    if result.errors:
        return result
    sid = transaction.savepoint()
    try:
        for store, item, loc, code, expires, qty in plans:
            batch = None
            if code:
                batch, _c = Batch.objects.get_or_create(
                    item=item, code=code, defaults={"expires_on": expires}
                )
            level = StockLevel.objects.filter(item=item, location=loc, batch=batch).first()
            diff = qty - (level.quantity if level else 0)
            if diff == 0:
                result.unchanged += 1
                continue
            services._post(
                kind=Movement.Kind.ADJUST,
                item=item,
                store=store,
                location=loc,
                batch=batch,
                quantity=diff,
                user=user,
                reason=_("import"),
            )
            result.updated += 1
    except ValidationError as exc:
        transaction.savepoint_rollback(sid)
        result.errors.append({"row": None, "column": None, "message": exc.messages[0]})
        return result
    if dry_run:
        transaction.savepoint_rollback(sid)
    else:
        transaction.savepoint_commit(sid)
    return result


def export_items(*, organisation) -> str:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(ITEM_COLUMNS)
    for i in (
        Item.objects.filter(organisation=organisation)
        .select_related("category", "supplier")
        .order_by("sku")
        .iterator()
    ):
        w.writerow(
            [
                i.sku,
                i.name,
                i.gtin,
                i.category.name if i.category else "",
                i.unit,
                i.size,
                i.colour,
                i.cost,
                i.price,
                i.tax_rate,
                "yes" if i.perishable else "",
                i.shelf_life_days or "",
                i.supplier.name if i.supplier else "",
                i.pack_size,
                i.minimum_order_qty,
            ]
        )
    return out.getvalue()


def export_stock(*, store: Store) -> str:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(STOCK_COLUMNS + ["item"])
    for lvl in (
        StockLevel.objects.filter(store=store)
        .exclude(quantity=0)
        .select_related("item", "location", "batch")
        .order_by("item__sku")
        .iterator()
    ):
        w.writerow(
            [
                store.code,
                lvl.item.sku,
                lvl.location.code,
                lvl.batch.code if lvl.batch else "",
                lvl.batch.expires_on or "" if lvl.batch else "",
                lvl.quantity,
                lvl.item.name,
            ]
        )
    return out.getvalue()


def export_movements(*, store: Store, since: date | None = None) -> str:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(
        [
            "when",
            "kind",
            "sku",
            "item",
            "location",
            "batch",
            "quantity",
            "unit_cost",
            "unit_price",
            "reason",
            "reference",
            "user",
        ]
    )
    qs = Movement.objects.filter(store=store)
    if since:
        qs = qs.filter(created_at__date__gte=since)
    for m in (
        qs.select_related("item", "location", "batch", "user")
        .order_by("created_at", "id")
        .iterator()
    ):
        w.writerow(
            [
                m.created_at.isoformat(),
                m.kind,
                m.item.sku,
                m.item.name,
                m.location.code,
                m.batch.code if m.batch else "",
                m.quantity,
                m.unit_cost,
                m.unit_price if m.unit_price is not None else "",
                m.reason,
                m.reference,
                m.user.email if m.user else "",
            ]
        )
    return out.getvalue()


def export_stock_summary(*, store: Store) -> str:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["sku", "item", "on_hand", "reserved", "in_transit", "average_cost", "value"])
    for s in (
        ItemStock.objects.filter(store=store)
        .select_related("item")
        .order_by("item__sku")
        .iterator()
    ):
        w.writerow(
            [
                s.item.sku,
                s.item.name,
                s.on_hand,
                s.reserved,
                s.in_transit,
                s.item.average_cost,
                (s.on_hand * s.item.average_cost).quantize(Decimal("0.01")),
            ]
        )
    return out.getvalue()
