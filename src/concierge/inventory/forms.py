"""Inventory forms: parse and check shapes; the services check the rules."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from concierge.inventory.models import Batch, Category, Item, Location, Store, Supplier
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

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.item is not None:
            self.fields["unit_price"].initial = self.item.price


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


class ItemForm(forms.ModelForm):
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
        if self.instance.pk:
            self.fields["sku"].disabled = True

    def validate_unique(self):
        """Uniqueness per organisation is the service's job (clear message, no 500)."""


class ReorderRuleForm(forms.Form):
    store = forms.ModelChoiceField(label=_("Store"), queryset=Store.objects.none())
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

    def clean(self):
        data = super().clean()
        today = timezone.localdate()
        for line in self.lines:
            exp = data.get(f"exp_{line.pk}")
            if exp and exp < today:
                self.add_error(f"exp_{line.pk}", _("This date is in the past."))
        return data


class StoreSettingsForm(forms.ModelForm):
    class Meta:
        model = Store
        fields = ["name", "city", "address", "allow_negative_stock", "use_forecast"]
