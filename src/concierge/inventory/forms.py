"""Inventory forms: parse and check shapes; the services check the rules."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from concierge.inventory.models import (
    Batch,
    Category,
    InventorySettings,
    Item,
    Location,
    SerialNumber,
    Store,
    Supplier,
)
from concierge.inventory.services import WRITE_OFF_REASONS


class ScanForm(forms.Form):
    code = forms.CharField(
        label=_("Scan or type a barcode"),
        max_length=80,
        widget=forms.TextInput(
            attrs={
                "autofocus": True,
                "autocomplete": "off",
                "inputmode": "numeric",
                "data-scan-field": "1",
                "placeholder": _("Barcode, GTIN or SKU, then Enter"),
            }
        ),
    )


class StoreBoundForm(forms.Form):
    def __init__(self, *args, store: Store, item: Item | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.store, self.item = store, item
        if "location" in self.fields:
            self.fields["location"].queryset = Location.objects.filter(store=store).order_by("code")
            self.fields["location"].label_from_instance = lambda loc: f"{loc.code} — {loc.name}"
        if "batch" in self.fields:
            self.fields["batch"].queryset = (
                Batch.objects.filter(item=item) if item else Batch.objects.none()
            )


def split_serials(text) -> list[str]:
    """Serial numbers typed or scanned one per line (commas and spaces separate them too)."""
    return [s for s in (text or "").replace(",", "\n").split() if s]


class ReceiveLineForm(StoreBoundForm):
    quantity = forms.DecimalField(
        label=_("Quantity"), min_value=Decimal("0.001"), max_digits=14, decimal_places=3
    )
    unit = forms.ChoiceField(label=_("Unit on the delivery"), choices=Item.Unit.choices)
    location = forms.ModelChoiceField(
        label=_("Put into"),
        queryset=Location.objects.none(),
        required=False,
        empty_label=_("Default bin"),
    )
    batch_code = forms.CharField(label=_("Batch / lot"), max_length=60, required=False)
    expires_on = forms.DateField(
        label=_("Expires on"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    unit_cost = forms.DecimalField(
        label=_("Unit cost"), min_value=0, max_digits=14, decimal_places=2, required=False
    )
    serials = forms.CharField(
        label=_("Serial numbers (one per line)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.item is not None:
            self.fields["unit"].initial = self.item.unit
            self.fields["unit_cost"].initial = self.item.cost
            if not self.item.serialised:
                del self.fields["serials"]
            if not self.item.perishable:
                self.fields["expires_on"].help_text = _("Only for dated goods.")

    def clean_expires_on(self):
        d = self.cleaned_data.get("expires_on")
        if d and d < timezone.localdate():
            raise forms.ValidationError(_("This date is in the past — check the label."))
        return d

    def clean_unit(self):
        unit = self.cleaned_data["unit"]
        if self.item is not None and unit != self.item.unit:
            raise forms.ValidationError(
                _("Unit mismatch: %(item)s is counted in %(unit)s.")
                % {"item": self.item.name, "unit": self.item.get_unit_display()}
            )
        return unit


class ReceiptHeaderForm(forms.Form):
    supplier = forms.ModelChoiceField(
        label=_("Supplier"), queryset=Supplier.objects.none(), required=False
    )
    delivery_note = forms.CharField(label=_("Delivery note number"), max_length=80, required=False)
    confirm = forms.BooleanField(label=_("Confirm unusual quantities"), required=False)

    def __init__(self, *args, store: Store, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["supplier"].queryset = Supplier.objects.filter(
            organisation_id=store.organisation_id
        )


class SellLineForm(StoreBoundForm):
    quantity = forms.DecimalField(
        label=_("Quantity"), min_value=Decimal("0.001"), max_digits=14, decimal_places=3, initial=1
    )
    unit_price = forms.DecimalField(
        label=_("Unit price"), min_value=0, max_digits=14, decimal_places=2, required=False
    )
    serials = forms.MultipleChoiceField(
        label=_("Serial numbers in stock here"),
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )
    scanned_serials = forms.CharField(
        label=_("Scan serial numbers"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2, "autocomplete": "off"}),
        help_text=_("One per line: each scan adds a line."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.item is not None:
            self.fields["unit_price"].initial = self.item.price
        if self.item is None or not self.item.serialised:
            del self.fields["serials"], self.fields["scanned_serials"]
            return
        self.in_stock = list(
            SerialNumber.objects.filter(
                item=self.item, store=self.store, status=SerialNumber.Status.IN_STOCK
            )
            .order_by("serial")
            .values_list("serial", flat=True)[:500]
        )
        self.fields["serials"].choices = [(s, s) for s in self.in_stock]
        self.fields["quantity"].required = False
        self.fields["quantity"].help_text = _("Counted from the serial numbers.")

    def clean(self):
        data = super().clean()
        if "serials" not in self.fields:
            return data
        typed = [s.strip() for s in (data.get("scanned_serials") or "").replace(",", "\n").split()]
        chosen = list(dict.fromkeys([*(data.get("serials") or []), *[s for s in typed if s]]))
        unknown = [
            s
            for s in chosen
            if not SerialNumber.objects.filter(
                item=self.item, store=self.store, serial=s, status=SerialNumber.Status.IN_STOCK
            ).exists()
        ]
        if unknown:
            self.add_error(
                "scanned_serials",
                _("Not in stock here: %(serials)s.") % {"serials": ", ".join(unknown)},
            )
        elif not chosen:
            self.add_error(
                "scanned_serials", _("Pick or scan the serial number of each unit sold.")
            )
        data["serial_list"] = chosen
        data["quantity"] = Decimal(len(chosen))
        return data


class SaleHeaderForm(forms.Form):
    reference = forms.CharField(label=_("Receipt / reference"), max_length=80, required=False)
    confirm = forms.BooleanField(label=_("Confirm unusual quantities"), required=False)


class AdjustForm(StoreBoundForm):
    KIND_CHOICES = [
        ("adjust", _("Adjust the count")),
        ("write_off", _("Write off")),
        ("return", _("Customer return")),
    ]
    kind = forms.ChoiceField(label=_("What happened"), choices=KIND_CHOICES)
    quantity = forms.DecimalField(
        label=_("Quantity"),
        max_digits=14,
        decimal_places=3,
        help_text=_("For an adjustment: + adds, − removes. Otherwise a positive number."),
    )
    location = forms.ModelChoiceField(
        label=_("Location"),
        queryset=Location.objects.none(),
        required=False,
        empty_label=_("Default bin"),
    )
    batch = forms.ModelChoiceField(label=_("Batch"), queryset=Batch.objects.none(), required=False)
    reason = forms.CharField(
        label=_("Reason"),
        max_length=120,
        help_text=_("For a write-off: %(r)s.") % {"r": ", ".join(WRITE_OFF_REASONS)},
    )
    confirm = forms.BooleanField(label=_("Confirm an unusual quantity"), required=False)
    serials = forms.CharField(
        label=_("Serial numbers (one per line, or scan)"),
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "off"}),
        help_text=_(
            "One per unit: the units that go for a write-off or a count down, the new units "
            "for a count up, the sold units that come back for a customer return."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.item is None or not self.item.serialised:
            del self.fields["serials"]

    def clean_serials(self):
        return split_serials(self.cleaned_data.get("serials"))


class FulfilOrderForm(forms.Form):
    """The serial numbers of the units sent, for each serialised item on an online order."""

    def __init__(self, *args, order, **kwargs):
        super().__init__(*args, **kwargs)
        self.order = order
        self.serialised = []
        seen = set()
        for line in order.lines.select_related("item").order_by("item__sku"):
            item = line.item
            if not item.serialised or item.pk in seen:
                continue
            seen.add(item.pk)
            quantity = sum(
                (ln.quantity for ln in order.lines.all() if ln.item_id == item.pk), Decimal(0)
            )
            self.serialised.append(item)
            self.fields[f"serials_{item.sku}"] = forms.CharField(
                label=_("%(item)s: serial numbers sent (%(n)s)")
                % {"item": item.name, "n": f"{quantity.normalize():f}"},
                required=False,
                max_length=20000,
                widget=forms.Textarea(attrs={"rows": 2, "autocomplete": "off"}),
                help_text=_("One per line, or scan."),
            )

    def serials(self) -> dict[str, list[str]]:
        return {
            item.sku: split_serials(self.cleaned_data.get(f"serials_{item.sku}"))
            for item in self.serialised
        }


class ItemForm(forms.ModelForm):
    variant_of_sku = forms.CharField(
        label=_("Variant of (main item's SKU)"),
        max_length=40,
        required=False,
        help_text=_("For a size or colour of another item. Give the size or colour above."),
    )

    class Meta:
        model = Item
        fields = [
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
            "serialised",
            "supplier",
            "pack_size",
            "minimum_order_qty",
            "active",
        ]

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = Category.objects.filter(organisation=organisation)
        self.fields["supplier"].queryset = Supplier.objects.filter(organisation=organisation)
        self.organisation = organisation
        if self.instance.pk and self.instance.variant_of_id:
            self.fields["variant_of_sku"].initial = self.instance.variant_of.sku

    def clean_variant_of_sku(self):
        sku = (self.cleaned_data.get("variant_of_sku") or "").strip()
        if not sku:
            return None
        main = Item.objects.filter(organisation=self.organisation, sku__iexact=sku).first()
        if main is None:
            raise forms.ValidationError(_("No item has SKU %(sku)s.") % {"sku": sku})
        return main

    def clean(self):
        data = super().clean()
        if "variant_of_sku" in data:
            data["variant_of"] = data.pop("variant_of_sku")
        return data
        if self.instance.pk:
            self.fields["sku"].disabled = True

    def validate_unique(self):
        """Uniqueness per organisation is the service's job (clear message, no 500)."""


class _PlainChoiceIterator(forms.models.ModelChoiceIterator):
    """Iterates the queryset itself rather than `.iterator()`: a short list of stores is one
    plain SELECT, not a PostgreSQL server-side cursor (DECLARE, FETCH, CLOSE round trips)."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.queryset:
            yield self.choice(obj)


class StoreChoiceField(forms.ModelChoiceField):
    iterator = _PlainChoiceIterator


class ReorderRuleForm(forms.Form):
    store = StoreChoiceField(label=_("Store"), queryset=Store.objects.none())
    reorder_point = forms.DecimalField(
        label=_("Reorder point"), min_value=0, max_digits=14, decimal_places=3
    )
    reorder_qty = forms.DecimalField(
        label=_("Reorder quantity"), min_value=0, max_digits=14, decimal_places=3
    )
    max_qty = forms.DecimalField(
        label=_("Overstock above"), min_value=0, max_digits=14, decimal_places=3, required=False
    )

    def __init__(self, *args, stores, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["store"].queryset = stores


class ImportForm(forms.Form):
    file = forms.FileField(label=_("CSV file"))
    dry_run = forms.BooleanField(
        label=_("Dry run: check only, write nothing"), required=False, initial=True
    )

    def clean_file(self):
        f = self.cleaned_data["file"]
        if f.size > 5 * 1024 * 1024:
            raise forms.ValidationError(_("The file is larger than 5 MB."))
        return f


class TransferForm(forms.Form):
    from_store = forms.ModelChoiceField(label=_("Borrow from"), queryset=Store.objects.none())
    item = forms.ModelChoiceField(label=_("Item"), queryset=Item.objects.none())
    quantity = forms.DecimalField(
        label=_("Quantity"), min_value=Decimal("0.001"), max_digits=14, decimal_places=3
    )
    note = forms.CharField(label=_("Note"), max_length=255, required=False)

    def __init__(self, *args, sources, items, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["from_store"].queryset = sources
        self.fields["from_store"].label_from_instance = lambda s: f"{s.name} — {s.organisation}"
        self.fields["item"].queryset = items


class TransferShipForm(forms.Form):
    """Which serialised units leave on a transfer: a box per serial number in stock at the
    sending store, and a box to scan or type them instead (one per line)."""

    def __init__(self, *args, transfer, **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = [
            line for line in transfer.lines.select_related("item") if line.item.serialised
        ]
        in_stock: dict[int, list[str]] = {}
        for item_id, serial in (
            SerialNumber.objects.filter(
                item__in=[line.item_id for line in self.lines],
                store=transfer.from_store_id,
                status=SerialNumber.Status.IN_STOCK,
            )
            .order_by("item_id", "serial")
            .values_list("item_id", "serial")
        ):
            in_stock.setdefault(item_id, []).append(serial)
        for line in self.lines:
            self.fields[f"serials_{line.pk}"] = forms.MultipleChoiceField(
                label=_("%(item)s: serial numbers that leave (%(n)s)")
                % {"item": line.item.name, "n": f"{line.quantity.normalize():f}"},
                choices=[(s, s) for s in in_stock.get(line.item_id, [])[:500]],
                required=False,
                widget=forms.CheckboxSelectMultiple,
            )
            self.fields[f"scan_{line.pk}"] = forms.CharField(
                label=_("…or scan them (one per line)"),
                required=False,
                widget=forms.Textarea(attrs={"rows": 2}),
            )

    def serials(self) -> dict[int, list[str]]:
        """The serial numbers picked per line id, ticked and scanned together."""
        data = self.cleaned_data
        picked = {}
        for line in self.lines:
            ticked = data.get(f"serials_{line.pk}", [])
            scanned = split_serials(data.get(f"scan_{line.pk}"))
            picked[line.pk] = list(dict.fromkeys([*ticked, *scanned]))
        return picked


class PurchaseOrderReceiveForm(forms.Form):
    delivery_note = forms.CharField(label=_("Delivery note number"), max_length=80)
    confirm = forms.BooleanField(label=_("Accept more than ordered"), required=False)

    def __init__(self, *args, order, **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = list(order.lines.select_related("item"))
        for line in self.lines:
            self.fields[f"qty_{line.pk}"] = forms.DecimalField(
                label=line.item.name,
                min_value=0,
                max_digits=14,
                decimal_places=3,
                required=False,
                initial=line.outstanding,
            )
            if line.item.perishable:
                self.fields[f"exp_{line.pk}"] = forms.DateField(
                    label=_("%(item)s expires on") % {"item": line.item.name},
                    required=False,
                    widget=forms.DateInput(attrs={"type": "date"}),
                )
            if line.item.serialised:
                self.fields[f"serials_{line.pk}"] = forms.CharField(
                    label=_("%(item)s: serial numbers (one per line, or scan)")
                    % {"item": line.item.name},
                    required=False,
                    widget=forms.Textarea(attrs={"rows": 2}),
                )

    def clean(self):
        data = super().clean()
        today = timezone.localdate()
        for line in self.lines:
            exp = data.get(f"exp_{line.pk}")
            if exp and exp < today:
                self.add_error(f"exp_{line.pk}", _("This date is in the past."))
            if line.item.serialised:
                serials = split_serials(data.get(f"serials_{line.pk}"))
                data[f"serials_{line.pk}"] = serials
                qty = data.get(f"qty_{line.pk}")
                if qty and len(serials) != qty:
                    self.add_error(
                        f"serials_{line.pk}",
                        _("Enter one serial number per unit received: %(n)s, not %(got)s.")
                        % {"n": f"{qty.normalize():f}", "got": len(serials)},
                    )
                elif len(set(serials)) != len(serials):
                    self.add_error(f"serials_{line.pk}", _("A serial number is entered twice."))
        return data


class StoreSettingsForm(forms.ModelForm):
    class Meta:
        model = Store
        fields = ["name", "city", "address", "allow_negative_stock", "use_forecast"]


class InventorySettingsForm(forms.ModelForm):
    class Meta:
        model = InventorySettings
        fields = ["valuation", "expiry_warning_days", "slow_mover_days", "share_prices_in_network"]
        help_texts = {
            "valuation": _(
                "FIFO values stock and the cost of what is sold by the oldest receipts left. "
                "Switching starts from the stock on hand at its moving average cost."
            )
        }


class WebhookForm(forms.Form):
    url = forms.URLField(label=_("Shop address (URL)"), max_length=200, assume_scheme="https")
    skus = forms.CharField(
        label=_("Items it follows (SKUs)"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One SKU per line or separated by commas; empty means every item."),
    )

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation = organisation

    def clean_skus(self):
        raw = self.cleaned_data.get("skus") or ""
        skus = list(dict.fromkeys(s.strip() for s in raw.replace(",", "\n").split() if s.strip()))
        items = list(Item.objects.filter(organisation=self.organisation, sku__in=skus))
        unknown = sorted(set(skus) - {i.sku for i in items})
        if unknown:
            raise forms.ValidationError(_("Unknown SKUs: %(skus)s.") % {"skus": ", ".join(unknown)})
        return items


class NetworkCreateForm(forms.Form):
    name = forms.CharField(label=_("Network name"), max_length=120)


class NetworkInviteForm(forms.Form):
    note = forms.CharField(label=_("For whom (a note for you)"), max_length=120, required=False)


class NetworkJoinForm(forms.Form):
    code = forms.CharField(
        label=_("Invitation code"),
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
