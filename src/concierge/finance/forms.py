from __future__ import annotations

from decimal import Decimal

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from concierge.accounts.models import CURRENCY_CHOICES
from concierge.finance import selectors
from concierge.finance.models import Account, RecurringRule, Transaction

DATE = forms.DateInput(attrs={"type": "date"})
MONEY_INPUT = forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"})


class CategoryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"— {obj.name}" if obj.parent_id else obj.name


def _category_field(user, *, required=False, kind=None, label=None):
    label = label or _("Category")
    field = CategoryChoiceField(
        queryset=selectors.categories_for(user=user, kind=kind), required=required, label=label
    )
    field.choices = [("", "—")] + [
        (c.pk, f"— {c.name}" if c.parent_id else c.name)
        for c in selectors.category_choices(user=user, kind=kind)
    ]
    return field


class QuickAddForm(forms.Form):
    line = forms.CharField(
        label=_("Quick add"),
        max_length=200,
        help_text=_("One line: “120 coffee”, “2500 salary yesterday”, “450 groceries @card”."),
        widget=forms.TextInput(
            attrs={
                "placeholder": _("120 coffee"),
                "autocomplete": "off",
                "autofocus": True,
                "enterkeyhint": "go",
            }
        ),
    )


class TransactionForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Transaction.Kind.choices)
    amount = forms.DecimalField(
        label=_("Amount"),
        min_value=Decimal("0.01"),
        max_digits=16,
        decimal_places=2,
        widget=MONEY_INPUT,
    )
    on = forms.DateField(label=_("Date"), widget=DATE)
    account = forms.ModelChoiceField(label=_("Account"), queryset=Account.objects.none())
    to_account = forms.ModelChoiceField(
        label=_("To account (transfers)"), queryset=Account.objects.none(), required=False
    )
    to_amount = forms.DecimalField(
        label=_("Amount received (other currency)"),
        required=False,
        max_digits=16,
        decimal_places=2,
        widget=MONEY_INPUT,
    )
    category = forms.ModelChoiceField(queryset=None, required=False)
    payee = forms.CharField(label=_("Payee"), max_length=200, required=False)
    note = forms.CharField(label=_("Note"), max_length=500, required=False)
    tags = forms.CharField(
        label=_("Tags"),
        max_length=300,
        required=False,
        help_text=_("Separate with spaces or commas."),
    )
    splits = forms.CharField(
        label=_("Split across categories"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": _("Groceries 300\nHousehold 150")}),
        help_text=_(
            "Optional. One “category amount” per line; the parts must add up to the amount."
        ),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        accounts = selectors.accounts_for(user=user, include_archived=False)
        self.fields["account"].queryset = accounts
        self.fields["to_account"].queryset = accounts
        self.fields["category"] = _category_field(user)

    def clean_splits(self):
        from concierge.finance.services import SplitIn

        text = self.cleaned_data.get("splits", "").strip()
        if not text:
            return None
        cats = {c.name.lower(): c for c in selectors.categories_for(user=self.user)}
        out = []
        for line in text.splitlines():
            if not line.strip():
                continue
            name, _sep, amount = line.strip().rpartition(" ")
            cat = cats.get(name.strip().lower())
            try:
                value = Decimal(amount.replace(",", ""))
            except ArithmeticError:
                value = None
            if cat is None or value is None or value <= 0:
                raise forms.ValidationError(
                    _("Cannot read “%(line)s”: write a category name and an amount."),
                    params={"line": line.strip()},
                )
            out.append(SplitIn(cat, value))
        return out or None


class AccountForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    kind = forms.ChoiceField(label=_("Kind"), choices=Account.Kind.choices)
    currency = forms.ChoiceField(label=_("Currency"), choices=CURRENCY_CHOICES)
    opening_balance = forms.DecimalField(
        label=_("Opening balance"), max_digits=16, decimal_places=2, initial=0, widget=MONEY_INPUT
    )


class CategoryForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=80)
    kind = forms.ChoiceField(
        label=_("Kind"), choices=[("expense", _("Expense")), ("income", _("Income"))]
    )
    parent = forms.ModelChoiceField(label=_("Inside (optional)"), queryset=None, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = selectors.categories_for(user=user).filter(
            parent__isnull=True
        )


class MergeForm(forms.Form):
    source = forms.ModelChoiceField(label=_("Merge this category"), queryset=None)
    target = forms.ModelChoiceField(label=_("into"), queryset=None)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source"] = _category_field(user, required=True, label=_("Merge this category"))
        self.fields["target"] = _category_field(user, required=True, label=_("into"))


class BudgetForm(forms.Form):
    category = forms.ModelChoiceField(queryset=None, required=False)
    amount = forms.DecimalField(
        label=_("Monthly limit"),
        min_value=Decimal("0.01"),
        max_digits=16,
        decimal_places=2,
        widget=MONEY_INPUT,
    )
    rollover = forms.BooleanField(label=_("Roll over unspent money"), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"] = _category_field(
            user, kind="expense", label=_("Category (empty = overall)")
        )


class ProfileForm(forms.Form):
    # xgettext:no-python-format
    warn_thresholds = forms.CharField(
        label=_("Warn me at (% of a budget)"),
        max_length=40,
        help_text=_("Comma-separated, e.g. 80,100."),
    )
    reminder_days = forms.IntegerField(
        label=_("Remind me after this many days without a record"), min_value=1, max_value=365
    )
    share_anonymous_stats = forms.BooleanField(
        label=_("Compare my spending anonymously with others"),
        required=False,
        help_text=_("Only figures that at least 10 people contribute to are shown."),
    )


class RecurringForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    kind = forms.ChoiceField(label=_("Kind"), choices=Transaction.Kind.choices[:2])
    amount = forms.DecimalField(
        label=_("Amount"),
        min_value=Decimal("0.01"),
        max_digits=16,
        decimal_places=2,
        widget=MONEY_INPUT,
    )
    account = forms.ModelChoiceField(label=_("Account"), queryset=None)
    category = forms.ModelChoiceField(queryset=None, required=False)
    frequency = forms.ChoiceField(label=_("Repeats"), choices=RecurringRule.Frequency.choices)
    next_date = forms.DateField(label=_("Next date"), widget=DATE)
    is_bill = forms.BooleanField(
        label=_("Bill: remind me before it is due"), required=False, initial=True
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = selectors.own_accounts(user=user)
        self.fields["category"] = _category_field(user)


class RangeForm(forms.Form):
    start = forms.DateField(label=_("From"), widget=DATE)
    end = forms.DateField(label=_("To"), widget=DATE)

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            raise forms.ValidationError(_("The end date is before the start date."))
        return data


class FilterForm(forms.Form):
    q = forms.CharField(label=_("Text"), required=False)
    min_amount = forms.DecimalField(label=_("Min amount"), required=False, widget=MONEY_INPUT)
    max_amount = forms.DecimalField(label=_("Max amount"), required=False, widget=MONEY_INPUT)
    start = forms.DateField(label=_("From"), required=False, widget=DATE)
    end = forms.DateField(label=_("To"), required=False, widget=DATE)
    category = forms.ModelChoiceField(queryset=None, required=False)
    tag = forms.CharField(label=_("Tag"), required=False)
    account = forms.ModelChoiceField(label=_("Account"), queryset=None, required=False)
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", "—"), *Transaction.Kind.choices]
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = selectors.accounts_for(user=user)
        self.fields["category"] = _category_field(user)

    def to_filter(self) -> selectors.TxnFilter:
        d = self.cleaned_data if self.is_valid() else {}
        return selectors.TxnFilter(
            text=d.get("q") or "",
            min_amount=d.get("min_amount"),
            max_amount=d.get("max_amount"),
            start=d.get("start"),
            end=d.get("end"),
            category_id=d["category"].pk if d.get("category") else None,
            tag=d.get("tag") or "",
            account_id=d["account"].pk if d.get("account") else None,
            kind=d.get("kind") or "",
        )


class ImportForm(forms.Form):
    account = forms.ModelChoiceField(label=_("Into account"), queryset=None)
    file = forms.FileField(
        label=_("Bank file"), help_text=_("CSV, OFX, QFX, QIF or CAMT.053 (XML).")
    )
    saved_mapping = forms.ModelChoiceField(
        label=_("Saved CSV mapping"), queryset=None, required=False
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = selectors.own_accounts(user=user)
        self.fields["saved_mapping"].queryset = selectors.mappings_for(user=user)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(mb)s MB."),
                params={"mb": settings.MAX_UPLOAD_BYTES // (1024 * 1024)},
            )
        return upload


class MappingForm(forms.Form):
    """Which CSV column holds what (0-based indices come from the preview's header)."""

    date = forms.TypedChoiceField(label=_("Date column"), coerce=int, required=False)
    amount = forms.TypedChoiceField(label=_("Amount column"), coerce=int, required=False)
    debit = forms.TypedChoiceField(label=_("Money out column"), coerce=int, required=False)
    credit = forms.TypedChoiceField(label=_("Money in column"), coerce=int, required=False)
    payee = forms.TypedChoiceField(label=_("Payee column"), coerce=int, required=False)
    note = forms.TypedChoiceField(label=_("Note column"), coerce=int, required=False)
    date_format = forms.ChoiceField(
        label=_("Date format"),
        required=False,
        choices=[
            ("", _("Detect")),
            ("%d/%m/%Y", "31/12/2025"),
            ("%m/%d/%Y", "12/31/2025"),
            ("%Y-%m-%d", "2025-12-31"),
            ("%d.%m.%Y", "31.12.2025"),
            ("%d-%m-%Y", "31-12-2025"),
            ("%d-%b-%Y", "31-Dec-2025"),
            ("%d/%m/%y", "31/12/25"),
            ("%m/%d/%y", "12/31/25"),
        ],
    )
    decimal = forms.ChoiceField(
        label=_("Decimal separator"),
        required=False,
        choices=[("", _("Detect")), ("dot", "1,234.56"), ("comma", "1.234,56")],
    )
    save_as = forms.CharField(
        label=_("Save this mapping as (bank name)"), required=False, max_length=100
    )

    def __init__(self, *args, columns: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", "—")] + [(i, f"{i + 1}: {c or '?'}") for i, c in enumerate(columns)]
        for name in ("date", "amount", "debit", "credit", "payee", "note"):
            self.fields[name].choices = choices

    def mapping(self) -> dict:
        d = self.cleaned_data
        out = {
            k: d[k]
            for k in ("date", "amount", "debit", "credit", "payee", "note")
            if d.get(k) not in (None, "")
        }
        if d.get("date_format"):
            out["date_format"] = d["date_format"]
        if d.get("decimal"):
            out["decimal_comma"] = d["decimal"] == "comma"
        return out


class RateForm(forms.Form):
    currency = forms.CharField(
        label=_("Currency"), max_length=3, widget=forms.TextInput(attrs={"placeholder": "USD"})
    )
    on = forms.DateField(label=_("Date"), widget=DATE)
    rate = forms.DecimalField(
        label=_("Rate (home currency per unit)"),
        max_digits=18,
        decimal_places=8,
        min_value=Decimal("0.00000001"),
    )


class RatesFileForm(forms.Form):
    file = forms.FileField(label=_("Rates CSV (date, currency, rate)"))


class GoalForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    target_amount = forms.DecimalField(
        label=_("Target"),
        min_value=Decimal("1"),
        max_digits=16,
        decimal_places=2,
        widget=MONEY_INPUT,
    )
    target_date = forms.DateField(label=_("By"), required=False, widget=DATE)


class GoalAddForm(forms.Form):
    amount = forms.DecimalField(label=_("Add"), max_digits=16, decimal_places=2, widget=MONEY_INPUT)


class RuleForm(forms.Form):
    contains = forms.CharField(label=_("Payee or note contains"), max_length=100)
    category = forms.ModelChoiceField(queryset=None)
    tags = forms.CharField(label=_("Tags"), max_length=200, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"] = _category_field(user, required=True)


class HouseholdForm(forms.Form):
    name = forms.CharField(label=_("Household name"), max_length=120)


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("Invite by e-mail"))
