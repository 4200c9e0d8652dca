"""Stock for a network of small retailers.

The ledger (`Movement`) is append-only and the source of truth. `StockLevel` (per item ×
location × batch) and `ItemStock` (per item × store, with reservations and stock in transit)
are kept in the same transaction as every movement and can be rebuilt from the ledger
(`manage.py inventory_rebuild`)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from concierge.accounts.models import Organisation

ZERO = Decimal("0")
QTY = {"max_digits": 14, "decimal_places": 3, "default": ZERO}
MONEY = {"max_digits": 14, "decimal_places": 2, "default": ZERO}


class InventorySettings(models.Model):
    """Per-organisation choices: valuation method and alert thresholds."""

    class Valuation(models.TextChoices):
        AVERAGE = "average", _("Moving average cost")
        FIFO = "fifo", _("First in, first out")

    organisation = models.OneToOneField(
        Organisation, on_delete=models.CASCADE, related_name="inventory_settings"
    )
    valuation = models.CharField(
        _("valuation"), max_length=10, choices=Valuation.choices, default=Valuation.AVERAGE
    )
    expiry_warning_days = models.PositiveIntegerField(
        _("warn this many days before expiry"), default=7
    )
    slow_mover_days = models.PositiveIntegerField(
        _("slow mover after days without a sale"), default=30
    )
    share_prices_in_network = models.BooleanField(_("share prices with the network"), default=False)

    def __str__(self) -> str:
        return f"{self.organisation} inventory settings"


class Store(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="stores")
    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=120)
    city = models.CharField(_("city"), max_length=100, blank=True)
    address = models.CharField(_("address"), max_length=255, blank=True)
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="managed_stores",
        verbose_name=_("store manager"),
    )
    allow_negative_stock = models.BooleanField(_("allow negative stock"), default=False)
    use_forecast = models.BooleanField(
        _("use the demand forecast for reorders"),
        default=False,
        help_text=_("Reorder suggestions use forecast safety stock and reorder point."),
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "code"], name="inv_store_code_unique")
        ]

    def __str__(self) -> str:
        return self.name


class Location(models.Model):
    """An area of a store, or a bin inside an area. Receipts go to bins (or areas)."""

    class Kind(models.TextChoices):
        AREA = "area", _("Area")
        BIN = "bin", _("Bin")

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="locations")
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="children"
    )
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.BIN)
    code = models.CharField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=120)
    capacity_units = models.DecimalField(
        _("capacity (units)"),
        max_digits=14,
        decimal_places=3,
        null=True,
        blank=True,
        help_text=_("Empty means unlimited."),
    )

    class Meta:
        ordering = ["store", "code"]
        constraints = [
            models.UniqueConstraint(fields=["store", "code"], name="inv_location_code_unique")
        ]

    def __str__(self) -> str:
        return f"{self.store.code}/{self.code}" if self.store_id else self.code


class Category(models.Model):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="item_categories"
    )
    name = models.CharField(_("name"), max_length=80)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = _("categories")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="inv_category_unique")
        ]

    def __str__(self) -> str:
        return self.name


class Supplier(models.Model):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="suppliers"
    )
    name = models.CharField(_("name"), max_length=120)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    lead_time_days = models.PositiveIntegerField(_("lead time (days)"), default=3)
    minimum_order_value = models.DecimalField(_("minimum order value"), **MONEY)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Item(models.Model):
    class Unit(models.TextChoices):
        EACH = "each", _("each")
        KG = "kg", _("kg")
        G = "g", _("g")
        LITRE = "l", _("litre")
        ML = "ml", _("ml")
        PACK = "pack", _("pack")
        BOX = "box", _("box")

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="items")
    sku = models.CharField(_("SKU"), max_length=40)
    name = models.CharField(_("name"), max_length=200)
    gtin = models.CharField(_("barcode / GTIN"), max_length=14, blank=True, db_index=True)
    category = models.ForeignKey(
        Category,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="items",
        verbose_name=_("category"),
    )
    unit = models.CharField(_("unit"), max_length=8, choices=Unit.choices, default=Unit.EACH)
    size = models.CharField(_("size"), max_length=40, blank=True)
    colour = models.CharField(_("colour"), max_length=40, blank=True)
    variant_of = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="variants",
        verbose_name=_("variant of"),
    )
    cost = models.DecimalField(_("cost price"), **MONEY)
    price = models.DecimalField(_("selling price"), **MONEY)
    tax_rate = models.DecimalField(_("tax rate %"), max_digits=5, decimal_places=2, default=ZERO)
    average_cost = models.DecimalField(
        _("moving average cost"), max_digits=14, decimal_places=4, default=ZERO, editable=False
    )
    perishable = models.BooleanField(_("perishable"), default=False)
    shelf_life_days = models.PositiveIntegerField(_("shelf life (days)"), null=True, blank=True)
    serialised = models.BooleanField(_("serial numbers"), default=False)
    supplier = models.ForeignKey(
        Supplier,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="items",
        verbose_name=_("supplier"),
    )
    pack_size = models.PositiveIntegerField(_("pack size"), default=1)
    minimum_order_qty = models.PositiveIntegerField(_("minimum order quantity"), default=1)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "sku"], name="inv_item_sku_unique")
        ]
        indexes = [
            # The stock list walks this in name order (keyset pages on name, id).
            models.Index(fields=["organisation", "name", "id"], name="inv_item_org_name_id"),
            models.Index(fields=["organisation", "gtin"]),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.sku})"


class ReorderRule(models.Model):
    """Per item and store: reorder at or below `reorder_point`, order `reorder_qty`."""

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="reorder_rules")
    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="reorder_rules")
    reorder_point = models.DecimalField(_("reorder point"), **QTY)
    reorder_qty = models.DecimalField(_("reorder quantity"), **QTY)
    max_qty = models.DecimalField(
        _("overstock above"), max_digits=14, decimal_places=3, null=True, blank=True
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["item", "store"], name="inv_rule_unique")]

    def __str__(self) -> str:
        return f"{self.item} @ {self.store}: {self.reorder_point}/{self.reorder_qty}"


class Batch(models.Model):
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="batches")
    code = models.CharField(_("batch / lot"), max_length=60)
    manufactured_on = models.DateField(_("manufactured on"), null=True, blank=True)
    expires_on = models.DateField(_("expires on"), null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["expires_on", "code"]
        verbose_name_plural = _("batches")
        constraints = [models.UniqueConstraint(fields=["item", "code"], name="inv_batch_unique")]

    def __str__(self) -> str:
        return self.code


class SerialNumber(models.Model):
    class Status(models.TextChoices):
        IN_STOCK = "in_stock", _("In stock")
        SOLD = "sold", _("Sold")
        IN_TRANSIT = "in_transit", _("In transit")
        WRITTEN_OFF = "written_off", _("Written off")
        # Shipped to another organisation: its twin (same serial, their item) is theirs now.
        TRANSFERRED = "transferred", _("Moved to another organisation")

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="serials")
    serial = models.CharField(_("serial number"), max_length=80)
    store = models.ForeignKey(Store, on_delete=models.SET_NULL, null=True, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.IN_STOCK)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["item", "serial"], name="inv_serial_unique")]

    def __str__(self) -> str:
        return f"{self.item} #{self.serial}"


class PurchaseOrder(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SENT = "sent", _("Sent")
        PARTIAL = "partial", _("Partly received")
        RECEIVED = "received", _("Received")
        CANCELLED = "cancelled", _("Cancelled")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="purchase_orders"
    )
    number = models.CharField(_("number"), max_length=30)
    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="orders")
    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="purchase_orders")
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    expected_on = models.DateField(_("expected on"), null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    OPEN = (Status.DRAFT, Status.SENT, Status.PARTIAL)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "number"], name="inv_po_number_unique")
        ]

    def __str__(self) -> str:
        return self.number


class PurchaseOrderLine(models.Model):
    order = models.ForeignKey(PurchaseOrder, on_delete=models.CASCADE, related_name="lines")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(
        _("quantity"),
        max_digits=14,
        decimal_places=3,
        validators=[MinValueValidator(Decimal("0.001"))],
    )
    received = models.DecimalField(_("received"), **QTY)
    unit_cost = models.DecimalField(_("unit cost"), **MONEY)

    def __str__(self) -> str:
        return f"{self.order} · {self.item} × {self.quantity}"

    @property
    def outstanding(self) -> Decimal:
        return max(self.quantity - self.received, ZERO)


class Network(models.Model):
    """Organisations that choose to show each other stock of shared items (by GTIN)."""

    name = models.CharField(_("name"), max_length=120)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class NetworkMember(models.Model):
    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="members")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="inventory_networks"
    )
    accepts_transfers = models.BooleanField(_("accepts transfer requests"), default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["network", "organisation"], name="inv_network_member_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.organisation} in {self.network}"


class NetworkInvite(models.Model):
    """An invitation to join a network: a one-time code a member's manager gives to another
    organisation, whose manager enters it to join."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="invites")
    code = models.CharField(max_length=40, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    note = models.CharField(_("for whom"), max_length=120, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_by = models.ForeignKey(
        Organisation, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"invite to {self.network}"


class Transfer(models.Model):
    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        APPROVED = "approved", _("Approved")
        SHIPPED = "shipped", _("In transit")
        RECEIVED = "received", _("Received")
        REJECTED = "rejected", _("Rejected")
        CANCELLED = "cancelled", _("Cancelled")

    number = models.CharField(_("number"), max_length=30, unique=True)
    from_store = models.ForeignKey(
        Store, on_delete=models.PROTECT, related_name="transfers_out", verbose_name=_("from store")
    )
    to_store = models.ForeignKey(
        Store, on_delete=models.PROTECT, related_name="transfers_in", verbose_name=_("to store")
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.REQUESTED
    )
    note = models.CharField(_("note"), max_length=255, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.number


class TransferLine(models.Model):
    transfer = models.ForeignKey(Transfer, on_delete=models.CASCADE, related_name="lines")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+")
    to_item = models.ForeignKey(
        Item,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        help_text="The receiving organisation's item (same GTIN).",
    )
    quantity = models.DecimalField(_("quantity"), max_digits=14, decimal_places=3)
    batch = models.ForeignKey(
        Batch, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    def __str__(self) -> str:
        return f"{self.transfer} · {self.item} × {self.quantity}"


class TransferSerial(models.Model):
    """A serialised unit that left on a transfer line: the sender's serial row, and the row it
    arrived as (the same row inside one organisation, the receiver's item's row across two)."""

    line = models.ForeignKey(TransferLine, on_delete=models.CASCADE, related_name="unit_serials")
    serial = models.ForeignKey(SerialNumber, on_delete=models.PROTECT, related_name="transfers")
    received_as = models.ForeignKey(
        SerialNumber, on_delete=models.PROTECT, null=True, blank=True, related_name="arrivals"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["line", "serial"], name="inv_transfer_serial_unique")
        ]

    def __str__(self) -> str:
        return f"{self.line.transfer} · {self.serial}"


class OnlineOrder(models.Model):
    """An order from an online shop: reserved, then fulfilled (issued) or cancelled."""

    class Status(models.TextChoices):
        RESERVED = "reserved", _("Reserved")
        FULFILLED = "fulfilled", _("Fulfilled")
        CANCELLED = "cancelled", _("Cancelled")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="online_orders"
    )
    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="online_orders")
    external_id = models.CharField(_("shop order id"), max_length=80)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RESERVED)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "external_id"], name="inv_online_order_unique"
            )
        ]

    def __str__(self) -> str:
        return self.external_id


class OnlineOrderLine(models.Model):
    order = models.ForeignKey(OnlineOrder, on_delete=models.CASCADE, related_name="lines")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(max_digits=14, decimal_places=3)

    def __str__(self) -> str:
        return f"{self.order} · {self.item} × {self.quantity}"


class Movement(models.Model):
    """One line of the append-only stock ledger. `quantity` is signed: + in, − out."""

    class Kind(models.TextChoices):
        RECEIVE = "receive", _("Receipt")
        SALE = "sale", _("Sale / issue")
        RETURN = "return", _("Customer return")
        TRANSFER_OUT = "transfer_out", _("Transfer out")
        TRANSFER_IN = "transfer_in", _("Transfer in")
        ADJUST = "adjust", _("Adjustment")
        WRITE_OFF = "write_off", _("Write-off")

    # Every row is written once and many rows are written per sale, so each index costs on
    # every posting: the foreign keys that lead a composite index below (organisation,
    # store, item, supplier) have no index of their own, and the references most rows leave
    # empty (batch, purchase-order line, transfer, online order) are indexed where set only.
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="+", db_index=False)
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    item = models.ForeignKey(
        Item, on_delete=models.PROTECT, related_name="movements", db_index=False
    )
    batch = models.ForeignKey(
        Batch,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="movements",
        db_index=False,
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    quantity = models.DecimalField(_("quantity"), max_digits=14, decimal_places=3)
    unit_cost = models.DecimalField(_("unit cost"), max_digits=14, decimal_places=4, default=ZERO)
    unit_price = models.DecimalField(
        _("unit price"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    reason = models.CharField(_("reason"), max_length=120, blank=True)
    reference = models.CharField(_("reference"), max_length=80, blank=True)
    supplier = models.ForeignKey(
        Supplier,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    po_line = models.ForeignKey(
        PurchaseOrderLine,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="movements",
        db_index=False,
    )
    transfer = models.ForeignKey(
        Transfer,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="movements",
        db_index=False,
    )
    online_order = models.ForeignKey(
        OnlineOrder,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="movements",
        db_index=False,
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("when"), db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["item", "store", "created_at"]),
            models.Index(fields=["store", "created_at"]),
            models.Index(fields=["organisation", "kind", "created_at"]),
            models.Index(fields=["supplier", "reference"]),
            *(
                models.Index(
                    fields=[ref],
                    condition=Q(**{f"{ref}__isnull": False}),
                    name=f"inv_move_{ref}_set",
                )
                for ref in ("batch", "po_line", "transfer", "online_order")
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.quantity} {self.item_id}@{self.store_id}"


class CostLayer(models.Model):
    """FIFO valuation (organisations that choose it): what came into a store at one unit cost
    and how much of it is left. Outgoing stock consumes the oldest layers first; the ledger
    line records their cost, so cost of goods sold is FIFO too. Guarded by the item-store
    `ItemStock` row lock, like the stock levels."""

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="+")
    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="+")
    received_at = models.DateTimeField()
    quantity = models.DecimalField(max_digits=14, decimal_places=3)
    remaining = models.DecimalField(max_digits=14, decimal_places=3)
    unit_cost = models.DecimalField(max_digits=14, decimal_places=4)
    movement = models.ForeignKey(
        "Movement", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["received_at", "id"]
        indexes = [
            models.Index(
                fields=["item", "store", "received_at"],
                condition=Q(remaining__gt=0),
                name="inv_layer_open",
            )
        ]

    def __str__(self) -> str:
        return (
            f"{self.item_id}@{self.store_id}: {self.remaining}/{self.quantity} at {self.unit_cost}"
        )


class Counter(models.Model):
    """The last number given out per organisation and kind (purchase orders, transfers).
    Locked with select_for_update while the next number is taken, so two requests at once
    never get the same number."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "kind"], name="inv_counter_unique")
        ]

    def __str__(self) -> str:
        return f"{self.organisation_id} {self.kind}: {self.last}"


class StockLevel(models.Model):
    """Quantity on hand per item × location × batch, kept with every movement."""

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="levels")
    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="+")
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="levels")
    batch = models.ForeignKey(
        Batch, on_delete=models.CASCADE, null=True, blank=True, related_name="levels"
    )
    quantity = models.DecimalField(**QTY)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["item", "location", "batch"],
                condition=Q(batch__isnull=False),
                name="inv_level_batch_unique",
            ),
            models.UniqueConstraint(
                fields=["item", "location"],
                condition=Q(batch__isnull=True),
                name="inv_level_nobatch_unique",
            ),
        ]
        indexes = [models.Index(fields=["store", "item"]), models.Index(fields=["location"])]

    def __str__(self) -> str:
        return f"{self.item_id}@{self.location_id}/{self.batch_id}: {self.quantity}"


class ItemStock(models.Model):
    """Per item × store: on hand (sum of its StockLevels), reserved for online orders, in
    transit towards the store, and the last sale — what lists and alerts read."""

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="stocks")
    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="stocks")
    on_hand = models.DecimalField(**QTY)
    reserved = models.DecimalField(**QTY)
    in_transit = models.DecimalField(**QTY)
    last_sale_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["item", "store"], name="inv_itemstock_unique")
        ]
        indexes = [models.Index(fields=["store", "on_hand"])]

    def __str__(self) -> str:
        return f"{self.item_id}@{self.store_id}: {self.on_hand}"

    @property
    def available(self) -> Decimal:
        return self.on_hand - self.reserved


class AlertState(models.Model):
    """Whether an alert condition holds for an item × store (or batch). `episode` grows each
    time the condition clears, so notify()'s once-per-key dedup fires again next time."""

    class Kind(models.TextChoices):
        LOW = "low", _("Low stock")
        OUT = "out", _("Out of stock")
        EXPIRING = "expiring", _("Expiring soon")
        OVERSTOCK = "overstock", _("Overstock")
        SLOW = "slow", _("Slow mover")

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="+")
    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="+")
    batch = models.ForeignKey(
        Batch, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    active = models.BooleanField(default=False)
    episode = models.PositiveIntegerField(default=0)
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["item", "store", "batch", "kind"], name="inv_alert_unique"
            )
        ]
        indexes = [models.Index(fields=["store", "kind", "active"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.item_id}@{self.store_id} active={self.active}"


class WebhookSubscription(models.Model):
    """An online shop that wants stock changes for the items it follows."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="inventory_webhooks"
    )
    url = models.URLField(_("URL"))
    secret = models.CharField(_("signing secret"), max_length=80)
    items = models.ManyToManyField(Item, blank=True, related_name="+")
    active = models.BooleanField(default=True)

    def __str__(self) -> str:
        return self.url


class WebhookDelivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")

    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=255, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"delivery {self.pk} ({self.status})"


class DemandForecast(models.Model):
    """The nightly forecast per item × store × day, with its interval and model name."""

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="+")
    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    quantity = models.DecimalField(max_digits=12, decimal_places=3)
    low = models.DecimalField(max_digits=12, decimal_places=3, null=True)
    high = models.DecimalField(max_digits=12, decimal_places=3, null=True)
    model = models.CharField(max_length=60, blank=True)
    made_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["item", "store", "day"], name="inv_forecast_unique")
        ]

    def __str__(self) -> str:
        return f"{self.item_id}@{self.store_id} {self.day}: {self.quantity}"
