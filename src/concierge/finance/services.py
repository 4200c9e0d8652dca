"""Every finance write. One keyword-only function per use case, atomic, permission-checked.

Every path that adds or changes money (a form, quick add, the API, an import, a recurring
rule) ends in `_apply()` — balances and month totals move in the same transaction — and then
`check_budgets()`, so a budget warning is never missed and, thanks to the unique
BudgetWarning claim, never sent twice.
"""

from __future__ import annotations

import calendar
import csv
import hashlib
import io
import logging
import secrets
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from concierge.core.permissions import require
from concierge.core.tasking import enqueue_on_commit
from concierge.finance import categorise, importers, quickadd
from concierge.finance.models import (
    ZERO,
    Account,
    Budget,
    BudgetWarning,
    CategoriserModel,
    Category,
    CategoryRule,
    ExchangeRate,
    Goal,
    Household,
    HouseholdMember,
    IdempotencyKey,
    ImportBatch,
    ImportMapping,
    MonthTotal,
    Profile,
    RecurringRule,
    Split,
    Transaction,
    parse_thresholds,
)
from concierge.notifications.services import notify

logger = logging.getLogger(__name__)  # never log amounts, payees or notes
CENT = Decimal("0.01")
UNDO_WINDOW = timedelta(days=1)


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def today_for(user) -> date:
    import zoneinfo

    try:
        tz = zoneinfo.ZoneInfo(user.timezone or settings.TIME_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        tz = zoneinfo.ZoneInfo("UTC")
    return timezone.now().astimezone(tz).date()


def money(value: Decimal) -> str:
    return number_format(value.quantize(CENT), decimal_pos=2, force_grouping=True)


# --- profile and default categories --------------------------------------------------------

# (key, English name, kind, parent key). Names are translated into the user's language.
DEFAULT_CATEGORIES = [
    ("food", "Food", "expense", ""),
    ("groceries", "Groceries", "expense", "food"),
    ("restaurants", "Eating out", "expense", "food"),
    ("coffee", "Tea & coffee", "expense", "food"),
    ("transport", "Transport", "expense", ""),
    ("fuel", "Fuel", "expense", "transport"),
    ("taxi", "Taxi & auto", "expense", "transport"),
    ("public_transport", "Public transport", "expense", "transport"),
    ("housing", "Home", "expense", ""),
    ("rent", "Rent", "expense", "housing"),
    ("electricity", "Electricity", "expense", "housing"),
    ("water", "Water", "expense", "housing"),
    ("internet", "Internet", "expense", "housing"),
    ("phone", "Mobile phone", "expense", "housing"),
    ("shopping", "Shopping", "expense", ""),
    ("clothes", "Clothes", "expense", "shopping"),
    ("entertainment", "Entertainment", "expense", ""),
    ("subscriptions", "Subscriptions", "expense", "entertainment"),
    ("movies", "Movies", "expense", "entertainment"),
    ("health", "Health", "expense", ""),
    ("medicine", "Medicine", "expense", "health"),
    ("doctor", "Doctor", "expense", "health"),
    ("education", "Education", "expense", ""),
    ("personal_care", "Personal care", "expense", ""),
    ("gifts", "Gifts & donations", "expense", ""),
    ("travel", "Travel", "expense", ""),
    ("fees", "Fees & charges", "expense", ""),
    ("other", "Other", "expense", ""),
    ("salary", "Salary", "income", ""),
    ("business", "Business & freelance", "income", ""),
    ("interest", "Interest", "income", ""),
    ("refunds", "Refunds", "income", ""),
    ("other_income", "Other income", "income", ""),
]


def _default_name(english: str) -> str:
    # Explicit gettext calls so makemessages finds every default name.
    names = {
        "Food": _("Food"),
        "Groceries": _("Groceries"),
        "Eating out": _("Eating out"),
        "Tea & coffee": _("Tea & coffee"),
        "Transport": _("Transport"),
        "Fuel": _("Fuel"),
        "Taxi & auto": _("Taxi & auto"),
        "Public transport": _("Public transport"),
        "Home": _("Home"),
        "Rent": _("Rent"),
        "Electricity": _("Electricity"),
        "Water": _("Water"),
        "Internet": _("Internet"),
        "Mobile phone": _("Mobile phone"),
        "Shopping": _("Shopping"),
        "Clothes": _("Clothes"),
        "Entertainment": _("Entertainment"),
        "Subscriptions": _("Subscriptions"),
        "Movies": _("Movies"),
        "Health": _("Health"),
        "Medicine": _("Medicine"),
        "Doctor": _("Doctor"),
        "Education": _("Education"),
        "Personal care": _("Personal care"),
        "Gifts & donations": _("Gifts & donations"),
        "Travel": _("Travel"),
        "Fees & charges": _("Fees & charges"),
        "Other": _("Other"),
        "Salary": _("Salary"),
        "Business & freelance": _("Business & freelance"),
        "Interest": _("Interest"),
        "Refunds": _("Refunds"),
        "Other income": _("Other income"),
    }
    return str(names.get(english, english))


def ensure_profile(*, user) -> Profile:
    profile, _created = Profile.objects.get_or_create(user=user)
    if not profile.defaults_created:
        with transaction.atomic():
            profile = Profile.objects.select_for_update().get(pk=profile.pk)
            if not profile.defaults_created:
                _create_default_categories(user)
                profile.defaults_created = True
                profile.save(update_fields=["defaults_created"])
    return profile


def _create_default_categories(user) -> None:
    by_key: dict[str, Category] = {}
    with translation.override(user.language or "en"):
        for key, english, kind, parent_key in DEFAULT_CATEGORIES:
            by_key[key], _c = Category.objects.get_or_create(
                owner=user,
                parent=by_key.get(parent_key),
                name=_default_name(english),
                defaults={"kind": kind, "key": key},
            )


@transaction.atomic
def update_profile(
    *,
    user,
    reminder_days: int | None = None,
    warn_thresholds: str | None = None,
    share_anonymous_stats: bool | None = None,
) -> Profile:
    profile = ensure_profile(user=user)
    if reminder_days is not None:
        if reminder_days < 1 or reminder_days > 365:
            raise ValidationError({"reminder_days": _("Choose between 1 and 365 days.")})
        profile.reminder_days = reminder_days
    if warn_thresholds is not None:
        profile.warn_thresholds = ",".join(str(t) for t in parse_thresholds(warn_thresholds))
    if share_anonymous_stats is not None:
        profile.share_anonymous_stats = share_anonymous_stats
    profile.save()
    return profile


# --- accounts ------------------------------------------------------------------------------


@transaction.atomic
def create_account(
    *,
    user,
    name: str,
    kind: str = Account.Kind.BANK,
    currency: str = "",
    opening_balance: Decimal = ZERO,
) -> Account:
    ensure_profile(user=user)
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Give the account a name.")})
    if Account.objects.filter(owner=user, name__iexact=name).exists():
        raise ValidationError({"name": _("You already have an account with this name.")})
    account = Account(
        owner=user,
        name=name,
        kind=kind,
        currency=(currency or user.currency),
        opening_balance=opening_balance,
        balance=opening_balance,
    )
    account.full_clean()
    account.save()
    return account


@transaction.atomic
def update_account(
    *,
    user,
    account: Account,
    name: str | None = None,
    kind: str | None = None,
    opening_balance: Decimal | None = None,
    is_archived: bool | None = None,
) -> Account:
    require(user, "finance.change_account", account)
    account = Account.objects.select_for_update().get(pk=account.pk)
    if name is not None and name.strip() != account.name:
        if (
            Account.objects.filter(owner=account.owner, name__iexact=name.strip())
            .exclude(pk=account.pk)
            .exists()
        ):
            raise ValidationError({"name": _("You already have an account with this name.")})
        account.name = name.strip()
    if kind is not None:
        account.kind = kind
    if opening_balance is not None:
        account.balance += opening_balance - account.opening_balance
        account.opening_balance = opening_balance
    if is_archived is not None:
        account.is_archived = is_archived
    account.full_clean()
    account.save()
    return account


# --- exchange rates ------------------------------------------------------------------------


def rate_for(*, user, currency: str, on: date) -> Decimal:
    """Home-currency units for one unit of `currency` on `on` (the latest rate on or before,
    else the earliest after). ValidationError when the user has entered none."""
    home = user.currency
    if currency == home:
        return Decimal(1)
    base = ExchangeRate.objects.filter(owner=user, currency=currency, home_currency=home)
    rate = (
        base.filter(on__lte=on).order_by("-on").values_list("rate", flat=True).first()
        or base.filter(on__gt=on).order_by("on").values_list("rate", flat=True).first()
    )
    if rate is None:
        raise ValidationError(
            {
                "amount": _(
                    "There is no exchange rate from %(currency)s to %(home)s yet. Add one under "
                    "Finance → Rates."
                )
                % {"currency": currency, "home": home}
            }
        )
    return rate


def to_home(*, user, amount: Decimal, currency: str, on: date) -> Decimal:
    return (amount * rate_for(user=user, currency=currency, on=on)).quantize(
        CENT, rounding=ROUND_HALF_UP
    )


@transaction.atomic
def set_rate(*, user, currency: str, on: date, rate: Decimal) -> ExchangeRate:
    currency = (currency or "").upper().strip()
    if len(currency) != 3 or not currency.isalpha():
        raise ValidationError({"currency": _("Use a three-letter ISO currency code, e.g. USD.")})
    if currency == user.currency:
        raise ValidationError({"currency": _("This is your home currency.")})
    if rate is None or rate <= 0:
        raise ValidationError({"rate": _("The rate must be more than zero.")})
    obj, _c = ExchangeRate.objects.update_or_create(
        owner=user, currency=currency, home_currency=user.currency, on=on, defaults={"rate": rate}
    )
    return obj


@transaction.atomic
def import_rates_csv(*, user, data: bytes) -> int:
    """CSV rows `date,currency,rate` (a header line is allowed). All or nothing."""
    text = importers.decode(data)
    errors, rows = [], []
    for n, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not row or not "".join(row).strip():
            continue
        if n == 1 and not any(ch.isdigit() for ch in row[0]):
            continue
        if len(row) < 3:
            errors.append(_("Line %(n)s: expected date, currency, rate.") % {"n": n})
            continue
        on = importers._try("%Y-%m-%d", row[0].strip()) or importers._try(
            "%d/%m/%Y", row[0].strip()
        )
        try:
            rate = Decimal(row[2].strip().replace(",", "."))
        except ArithmeticError:
            rate = None
        if on is None or rate is None or rate <= 0:
            errors.append(_("Line %(n)s: cannot read the date or the rate.") % {"n": n})
            continue
        rows.append((on, row[1].strip().upper(), rate))
    if errors:
        raise ValidationError(errors)
    for on, currency, rate in rows:
        set_rate(user=user, currency=currency, on=on, rate=rate)
    return len(rows)


# --- categories ----------------------------------------------------------------------------


@transaction.atomic
def create_category(
    *, user, name: str, kind: str = Category.Kind.EXPENSE, parent: Category | None = None
) -> Category:
    ensure_profile(user=user)
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Give the category a name.")})
    if parent is not None:
        require(user, "finance.change_category", parent)
        if parent.parent_id:
            raise ValidationError(
                {"parent": _("Sub-categories cannot have their own sub-categories.")}
            )
        kind = parent.kind
    if Category.objects.filter(owner=user, parent=parent, name__iexact=name).exists():
        raise ValidationError({"name": _("This category already exists.")})
    return Category.objects.create(owner=user, name=name, kind=kind, parent=parent)


@transaction.atomic
def rename_category(*, user, category: Category, name: str) -> Category:
    require(user, "finance.change_category", category)
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Give the category a name.")})
    if (
        Category.objects.filter(owner=user, parent=category.parent_id, name__iexact=name)
        .exclude(pk=category.pk)
        .exists()
    ):
        raise ValidationError({"name": _("This category already exists.")})
    category.name = name
    category.save(update_fields=["name"])
    return category


@transaction.atomic
def merge_categories(*, user, source: Category, target: Category) -> Category:
    """Move everything from `source` into `target` and delete `source`: every transaction,
    split, budget total and rule keeps its history under the target."""
    require(user, "finance.change_category", source)
    require(user, "finance.change_category", target)
    if source.pk == target.pk or target.parent_id == source.pk:
        raise ValidationError({"target": _("Choose a different category to merge into.")})
    Category.objects.filter(parent=source).update(parent=target.parent or target)
    Transaction.objects.filter(category=source).update(category=target)
    Split.objects.filter(category=source).update(category=target)
    CategoryRule.objects.filter(category=source).update(category=target)
    RecurringRule.objects.filter(category=source).update(category=target)
    for mt in MonthTotal.objects.filter(owner=user, category=source):
        _bump_total(
            owner_id=user.pk,
            month=mt.month,
            category_id=target.pk,
            kind=mt.kind,
            amount=mt.total,
            count=mt.count,
        )
    MonthTotal.objects.filter(owner=user, category=source).delete()
    source_budget = Budget.objects.filter(owner=user, category=source).first()
    if source_budget and not Budget.objects.filter(owner=user, category=target).exists():
        source_budget.category = target
        source_budget.save(update_fields=["category"])
    source.delete()
    return target


# --- transactions --------------------------------------------------------------------------


def _clean_tags(tags) -> str:
    if isinstance(tags, str):
        tags = tags.replace("#", " ").replace(",", " ").split()
    cleaned = sorted({t.strip().lower()[:30] for t in tags or [] if t.strip()})
    return "," + ",".join(cleaned) + "," if cleaned else ""


def _bump_total(
    *, owner_id, month: date, category_id, kind: str, amount: Decimal, count: int
) -> None:
    updated = MonthTotal.objects.filter(
        owner_id=owner_id, month=month, category_id=category_id, kind=kind
    ).update(total=F("total") + amount, count=F("count") + count)
    if not updated:
        try:
            with transaction.atomic():
                MonthTotal.objects.create(
                    owner_id=owner_id,
                    month=month,
                    category_id=category_id,
                    kind=kind,
                    total=amount,
                    count=count,
                )
        except IntegrityError:
            MonthTotal.objects.filter(
                owner_id=owner_id, month=month, category_id=category_id, kind=kind
            ).update(total=F("total") + amount, count=F("count") + count)


def _contributions(txn: Transaction, splits: list[Split] | None = None):
    """(category_id, kind, home amount) this transaction adds to month totals."""
    if txn.kind == Transaction.Kind.TRANSFER:
        return [(None, txn.kind, txn.home_amount)]  # counted, never spending or income
    if txn.is_split:
        parts = splits if splits is not None else list(txn.splits.all())
        return [(s.category_id, txn.kind, s.home_amount) for s in parts]
    return [(txn.category_id, txn.kind, txn.home_amount)]


def _apply(txn: Transaction, sign: int, splits: list[Split] | None = None) -> None:
    """Add (sign=1) or remove (sign=-1) a transaction's effect on balances and month totals."""
    if txn.kind == Transaction.Kind.EXPENSE:
        Account.objects.filter(pk=txn.account_id).update(balance=F("balance") - sign * txn.amount)
    elif txn.kind == Transaction.Kind.INCOME:
        Account.objects.filter(pk=txn.account_id).update(balance=F("balance") + sign * txn.amount)
    else:
        Account.objects.filter(pk=txn.account_id).update(balance=F("balance") - sign * txn.amount)
        Account.objects.filter(pk=txn.to_account_id).update(
            balance=F("balance") + sign * (txn.to_amount or txn.amount)
        )
    for category_id, kind, amount in _contributions(txn, splits):
        _bump_total(
            owner_id=txn.owner_id,
            month=month_start(txn.on),
            category_id=category_id,
            kind=kind,
            amount=sign * amount,
            count=sign,
        )


def _validate_amount(amount) -> Decimal:
    try:
        amount = Decimal(str(amount)).quantize(CENT, rounding=ROUND_HALF_UP)
    except Exception as exc:  # noqa: BLE001
        raise ValidationError({"amount": _("Enter an amount, e.g. 120 or 99.50.")}) from exc
    if amount <= 0:
        raise ValidationError({"amount": _("The amount must be more than zero.")})
    if amount >= Decimal("1e13"):
        raise ValidationError({"amount": _("This amount is too large.")})
    return amount


@dataclass
class SplitIn:
    category: Category | None
    amount: Decimal
    note: str = ""


def _check_category(user, category: Category | None, kind: str) -> None:
    if category is None:
        return
    if category.owner_id != user.pk:
        raise ValidationError({"category": _("Choose one of your categories.")})


def _build(
    *,
    user,
    account,
    kind,
    amount,
    on,
    category,
    payee,
    note,
    tags,
    to_account,
    to_amount,
    splits,
    source,
    recurring_rule=None,
    import_batch=None,
    import_hash="",
):
    require(user, "finance.use_account", account)
    if kind not in Transaction.Kind.values:
        raise ValidationError({"kind": _("Choose expense, income or transfer.")})
    amount = _validate_amount(amount)
    if on is None:
        raise ValidationError({"on": _("Enter a date.")})
    if on.year < 1900 or on > date.today() + timedelta(days=366 * 5):
        raise ValidationError({"on": _("This date is out of range.")})
    txn = Transaction(
        owner=user,
        account=account,
        kind=kind,
        amount=amount,
        on=on,
        payee=(payee or "")[:200],
        note=(note or "")[:500],
        tags=_clean_tags(tags),
        source=source,
        recurring_rule=recurring_rule,
        import_batch=import_batch,
        import_hash=import_hash,
    )
    if kind == Transaction.Kind.TRANSFER:
        if to_account is None:
            raise ValidationError({"to_account": _("Choose the account the money goes to.")})
        require(user, "finance.use_account", to_account)
        if to_account.pk == account.pk:
            raise ValidationError({"to_account": _("Choose a different account.")})
        if to_account.currency != account.currency:
            if to_amount is None:
                raise ValidationError(
                    {
                        "to_amount": _(
                            "The accounts use different currencies: enter the amount received."
                        )
                    }
                )
            txn.to_amount = _validate_amount(to_amount)
        else:
            txn.to_amount = amount
        txn.to_account = to_account
        txn.home_amount = to_home(user=user, amount=amount, currency=account.currency, on=on)
        return txn, []
    txn.home_amount = to_home(user=user, amount=amount, currency=account.currency, on=on)
    split_rows: list[Split] = []
    if splits:
        total = sum((_validate_amount(s.amount) for s in splits), Decimal(0))
        if total != amount:
            raise ValidationError(
                {
                    "splits": _("The parts add up to %(parts)s but the amount is %(amount)s.")
                    % {"parts": total, "amount": amount}
                }
            )
        txn.is_split = True
        rate = rate_for(user=user, currency=account.currency, on=on)
        running = Decimal(0)
        for i, s in enumerate(splits):
            _check_category(user, s.category, kind)
            part = _validate_amount(s.amount)
            home = (
                (part * rate).quantize(CENT) if i < len(splits) - 1 else (txn.home_amount - running)
            )
            running += home
            split_rows.append(
                Split(category=s.category, amount=part, home_amount=home, note=(s.note or "")[:200])
            )
    else:
        _check_category(user, category, kind)
        txn.category = category
    return txn, split_rows


@transaction.atomic
def record_transaction(
    *,
    user,
    account: Account,
    kind: str,
    amount,
    on: date,
    category: Category | None = None,
    payee: str = "",
    note: str = "",
    tags=(),
    to_account: Account | None = None,
    to_amount=None,
    splits: list[SplitIn] | None = None,
    source: str = Transaction.Source.MANUAL,
    recurring_rule: RecurringRule | None = None,
) -> Transaction:
    """Record an expense, income or transfer (optionally split across categories)."""
    txn, split_rows = _build(
        user=user,
        account=account,
        kind=kind,
        amount=amount,
        on=on,
        category=category,
        payee=payee,
        note=note,
        tags=tags,
        to_account=to_account,
        to_amount=to_amount,
        splits=splits,
        source=source,
        recurring_rule=recurring_rule,
    )
    txn.save()
    for s in split_rows:
        s.transaction = txn
    Split.objects.bulk_create(split_rows)
    _apply(txn, +1, split_rows)
    check_budgets(user=user, months={month_start(on)})
    return txn


@transaction.atomic
def update_transaction(*, user, txn: Transaction, **changes) -> Transaction:
    """Change any field; the old effect is removed and the new one applied, atomically."""
    require(user, "finance.change_transaction", txn)
    old = Transaction.objects.select_for_update().get(pk=txn.pk, deleted_at__isnull=True)
    old_splits = list(old.splits.all())
    old_category = old.category_id
    fields = {
        "account": old.account,
        "kind": old.kind,
        "amount": old.amount,
        "on": old.on,
        "category": old.category,
        "payee": old.payee,
        "note": old.note,
        "tags": old.tag_list(),
        "to_account": old.to_account,
        "to_amount": old.to_amount,
        "splits": [SplitIn(s.category, s.amount, s.note) for s in old_splits] or None,
    }
    if "category" in changes and "splits" not in changes:
        fields["splits"] = None
    fields.update(changes)
    new, split_rows = _build(user=user, source=old.source, **fields)
    _apply(old, -1, old_splits)
    new.pk, new.owner_id, new.created_at = old.pk, old.owner_id, old.created_at
    new.import_hash, new.import_batch_id, new.recurring_rule_id = (
        old.import_hash,
        old.import_batch_id,
        old.recurring_rule_id,
    )
    new.save()
    old.splits.all().delete()
    for s in split_rows:
        s.transaction = new
    Split.objects.bulk_create(split_rows)
    _apply(new, +1, split_rows)
    check_budgets(user=new.owner, months={month_start(new.on)})
    if new.category_id and new.category_id != old_category and not new.is_split:
        enqueue_on_commit(_train_task(), new.owner_id)  # learn from the correction
    return new


@transaction.atomic
def delete_transactions(*, user, transactions: list[Transaction]) -> uuid.UUID:
    """Soft-delete; `undo_delete(batch)` brings them back for a day."""
    batch = uuid.uuid4()
    ids = []
    for txn in transactions:
        require(user, "finance.change_transaction", txn)
        ids.append(txn.pk)
    live = list(
        Transaction.objects.select_for_update()
        .filter(pk__in=ids, deleted_at__isnull=True)
        .prefetch_related("splits")
    )
    for txn in live:
        _apply(txn, -1)
    Transaction.objects.filter(pk__in=[t.pk for t in live]).update(
        deleted_at=timezone.now(), deleted_batch=batch
    )
    return batch


def delete_transaction(*, user, txn: Transaction) -> uuid.UUID:
    return delete_transactions(user=user, transactions=[txn])


@transaction.atomic
def bulk_delete_range(*, user, start: date, end: date, expected_count: int) -> uuid.UUID:
    """Delete every transaction of the user's own between two dates. `expected_count` is the
    number the confirmation showed; if it changed meanwhile nothing is deleted."""
    if end < start:
        raise ValidationError({"end": _("The end date is before the start date.")})
    qs = Transaction.objects.filter(owner=user, deleted_at__isnull=True, on__gte=start, on__lte=end)
    live = list(qs.select_for_update().prefetch_related("splits"))
    if len(live) != expected_count:
        raise ValidationError(
            _(
                "The number of transactions changed since you confirmed "
                "(%(then)s then, %(now)s now). Please confirm again."
            )
            % {"then": expected_count, "now": len(live)}
        )
    batch = uuid.uuid4()
    for txn in live:
        _apply(txn, -1)
    qs.filter(pk__in=[t.pk for t in live]).update(deleted_at=timezone.now(), deleted_batch=batch)
    return batch


@transaction.atomic
def undo_delete(*, user, batch: uuid.UUID) -> int:
    rows = list(
        Transaction.objects.select_for_update()
        .filter(owner=user, deleted_batch=batch, deleted_at__isnull=False)
        .prefetch_related("splits")
    )
    if not rows:
        raise ValidationError(_("There is nothing to undo."))
    if rows[0].deleted_at < timezone.now() - UNDO_WINDOW:
        raise ValidationError(_("It is too late to undo this deletion."))
    Transaction.objects.filter(pk__in=[t.pk for t in rows]).update(
        deleted_at=None, deleted_batch=None
    )
    months = set()
    for txn in rows:
        txn.deleted_at = None
        _apply(txn, +1)
        months.add(month_start(txn.on))
    check_budgets(user=user, months=months)
    return len(rows)


def purge_deleted() -> int:
    """Hard-delete what was soft-deleted longer ago than the undo window."""
    cutoff = timezone.now() - UNDO_WINDOW
    count, _d = Transaction.objects.filter(deleted_at__lt=cutoff).delete()
    return count


# --- quick add -----------------------------------------------------------------------------


@dataclass
class QuickResult:
    draft: quickadd.QuickDraft
    account: Account | None
    category: Category | None
    payee: str


def _find_account(user, hint: str) -> Account | None:
    accounts = Account.objects.filter(owner=user, is_archived=False).order_by("created_at", "id")
    if hint:
        hint = hint.lower()
        for acc in accounts:
            if acc.name.lower() == hint or acc.kind == hint:
                return acc
        for acc in accounts:
            if acc.name.lower().startswith(hint) or hint in acc.name.lower():
                return acc
        return None
    preferred = accounts.filter(kind=Account.Kind.CASH).first()
    return preferred or accounts.first()


def interpret_quick_add(*, user, line: str, today: date | None = None) -> QuickResult:
    """Parse one line into a draft the user confirms. ValidationError on nonsense."""
    ensure_profile(user=user)
    try:
        draft = quickadd.parse(line, today=today or today_for(user))
    except quickadd.QuickAddError as exc:
        raise ValidationError({"line": str(exc)}) from exc
    account = _find_account(user, draft.account_hint)
    if draft.account_hint and account is None:
        raise ValidationError(
            {"line": _("You have no account called “%(name)s”.") % {"name": draft.account_hint}}
        )
    category = None
    cats = Category.objects.filter(owner=user)
    words = [w.lower() for w in draft.text.split()]
    for cat in cats:  # the user's own names win (also in Hindi or Tamil)
        if cat.name.lower() in words or cat.name.lower() == draft.text.lower():
            category = cat
            break
    if category is None and draft.category_key:
        category = cats.filter(key=draft.category_key).first()
    if category is None:
        category = suggest_category(user=user, payee=draft.text, note="", amount=draft.amount)
    if category is not None and draft.kind == "expense" and category.kind == "income":
        draft.kind = "income"
    return QuickResult(draft=draft, account=account, category=category, payee=draft.text[:200])


# --- budgets and warnings ------------------------------------------------------------------


@transaction.atomic
def set_budget(*, user, category: Category | None, amount, rollover: bool = False) -> Budget:
    ensure_profile(user=user)
    if category is not None:
        require(user, "finance.change_category", category)
        if category.kind != Category.Kind.EXPENSE:
            raise ValidationError({"category": _("Budgets are for spending categories.")})
    amount = _validate_amount(amount)
    budget, _c = Budget.objects.update_or_create(
        owner=user, category=category, defaults={"amount": amount, "rollover": rollover}
    )
    check_budgets(user=user, months={month_start(today_for(user))})
    return budget


@transaction.atomic
def delete_budget(*, user, budget: Budget) -> None:
    require(user, "finance.change_budget", budget)
    budget.delete()


def _claim_warning(budget: Budget, month: date, threshold: int) -> bool:
    try:
        with transaction.atomic():
            BudgetWarning.objects.create(budget=budget, month=month, threshold=threshold)
    except IntegrityError:
        return False
    return True


def check_budgets(*, user, months: set[date]) -> list[BudgetWarning]:
    """Warn once per budget, month and threshold crossed. Called by every write path; only
    the current month warns (importing last year's statement should not ring bells)."""
    from concierge.finance import selectors

    current = month_start(today_for(user))
    if current not in months:
        return []
    profile = ensure_profile(user=user)
    thresholds = profile.thresholds()
    sent = []
    for status in selectors.budget_statuses(user=user, month=current):
        for threshold in thresholds:
            if status.percent < threshold or not _claim_warning(status.budget, current, threshold):
                continue
            event = "finance.budget_exceeded" if threshold >= 100 else "finance.budget_warning"
            with translation.override(user.language or "en"):
                notify(
                    user,
                    event,
                    {
                        "budget": status.name,
                        "percent": status.percent,
                        "spent": money(status.spent),
                        "limit": money(status.limit),
                        "left": money(max(status.left, ZERO)),
                        "currency": user.currency,
                        "month": current.strftime("%B %Y"),
                    },
                    url=reverse("finance:budgets"),
                    dedup_key=f"budget:{status.budget.pk}:{current:%Y-%m}:{threshold}",
                )
            sent.append(threshold)
    return sent


def forecast_warnings(*, user, today: date | None = None) -> int:
    """Warn before it happens: at this month's pace, a budget will cross its limit."""
    from concierge.finance import selectors

    today = today or today_for(user)
    month = month_start(today)
    sent = 0
    for status in selectors.budget_statuses(user=user, month=month, today=today):
        if status.cross_day is None or status.spent >= status.limit:
            continue
        if not _claim_warning(status.budget, month, 0):
            continue
        with translation.override(user.language or "en"):
            notify(
                user,
                "finance.budget_forecast",
                {
                    "budget": status.name,
                    "day": status.cross_day,
                    "spent": money(status.spent),
                    "limit": money(status.limit),
                    "projected": money(status.projected),
                    "currency": user.currency,
                },
                url=reverse("finance:budgets"),
                dedup_key=f"forecast:{status.budget.pk}:{month:%Y-%m}",
            )
        sent += 1
    return sent


def remind_inactive(*, user, today: date | None = None) -> bool:
    profile = ensure_profile(user=user)
    today = today or today_for(user)
    last = (
        Transaction.objects.filter(owner=user)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    if last is None or not Account.objects.filter(owner=user).exists():
        return False
    days = (today - timezone.localtime(last).date()).days
    if days < profile.reminder_days:
        return False
    return (
        notify(
            user,
            "finance.record_reminder",
            {"days": days},
            url=reverse("finance:index"),
            dedup_key=f"inactive:{last:%Y-%m-%d}",
        )
        is not None
    )


# --- recurring rules and bills -------------------------------------------------------------


def next_occurrence(day: date, frequency: str, anchor_day: int | None = None) -> date:
    if frequency == RecurringRule.Frequency.WEEKLY:
        return day + timedelta(days=7)
    if frequency == RecurringRule.Frequency.YEARLY:
        try:
            return day.replace(year=day.year + 1)
        except ValueError:
            return day.replace(year=day.year + 1, day=28)
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    wanted = anchor_day or day.day
    return date(year, month, min(wanted, calendar.monthrange(year, month)[1]))


@transaction.atomic
def create_recurring(
    *,
    user,
    name: str,
    account: Account,
    amount,
    next_date: date,
    kind: str = "expense",
    category: Category | None = None,
    payee: str = "",
    frequency: str = "monthly",
    is_bill: bool = True,
    remind_days: int = 3,
    end_date: date | None = None,
) -> RecurringRule:
    require(user, "finance.change_account", account)
    _check_category(user, category, kind)
    if not (name or "").strip():
        raise ValidationError({"name": _("Give the rule a name.")})
    rule = RecurringRule(
        owner=user,
        name=name.strip(),
        account=account,
        amount=_validate_amount(amount),
        next_date=next_date,
        kind=kind,
        category=category,
        payee=payee,
        frequency=frequency,
        is_bill=is_bill,
        remind_days=remind_days,
        end_date=end_date,
    )
    rule.full_clean()
    rule.save()
    return rule


@transaction.atomic
def delete_recurring(*, user, rule: RecurringRule) -> None:
    require(user, "finance.change_rule", rule)
    rule.delete()


def run_recurring(*, today: date | None = None) -> int:
    """Create every due occurrence (catching up missed days), each in its own transaction."""
    created = 0
    due = RecurringRule.objects.filter(active=True, next_date__lte=today or date.today())
    for rule_id in list(due.values_list("pk", flat=True)):
        created += _run_rule(rule_id=rule_id, today=today)
    return created


@transaction.atomic
def _run_rule(*, rule_id: int, today: date | None) -> int:
    rule = (
        RecurringRule.objects.select_for_update().select_related("owner", "account").get(pk=rule_id)
    )
    today = today or today_for(rule.owner)
    created = 0
    anchor = rule.next_date.day
    while rule.active and rule.next_date <= today:
        if rule.end_date and rule.next_date > rule.end_date:
            rule.active = False
            break
        record_transaction(
            user=rule.owner,
            account=rule.account,
            kind=rule.kind,
            amount=rule.amount,
            on=rule.next_date,
            category=rule.category,
            payee=rule.payee or rule.name,
            source=Transaction.Source.RECURRING,
            recurring_rule=rule,
        )
        created += 1
        rule.next_date = next_occurrence(rule.next_date, rule.frequency, anchor)
    rule.save(update_fields=["next_date", "active"])
    return created


def remind_bills(*, today: date | None = None) -> int:
    sent = 0
    rules_qs = RecurringRule.objects.filter(active=True, is_bill=True).select_related(
        "owner", "account"
    )
    for rule in rules_qs:
        day = today or today_for(rule.owner)
        if not (day <= rule.next_date <= day + timedelta(days=rule.remind_days)):
            continue
        with transaction.atomic():
            if notify(
                rule.owner,
                "finance.bill_due",
                {
                    "name": rule.name,
                    "due": rule.next_date.isoformat(),
                    "amount": money(rule.amount),
                    "currency": rule.account.currency,
                    "account": rule.account.name,
                },
                url=reverse("finance:recurring"),
                dedup_key=f"bill:{rule.pk}:{rule.next_date}",
            ):
                sent += 1
    return sent


# --- auto-categorisation -------------------------------------------------------------------


@transaction.atomic
def create_rule(
    *,
    user,
    contains: str,
    category: Category,
    tags: str = "",
    min_amount: Decimal | None = None,
    max_amount: Decimal | None = None,
) -> CategoryRule:
    require(user, "finance.change_category", category)
    if not (contains or "").strip():
        raise ValidationError({"contains": _("Enter the text to look for.")})
    return CategoryRule.objects.create(
        owner=user,
        contains=contains.strip(),
        category=category,
        tags=tags,
        min_amount=min_amount,
        max_amount=max_amount,
    )


def _rule_match(rules_list, payee: str, note: str, amount: Decimal | None):
    text = f"{payee} {note}".lower()
    for rule in rules_list:
        if rule.contains.lower() not in text:
            continue
        if amount is not None and rule.min_amount is not None and amount < rule.min_amount:
            continue
        if amount is not None and rule.max_amount is not None and amount > rule.max_amount:
            continue
        return rule
    return None


_MODEL_CACHE: dict[int, tuple] = {}


def _load_model(user):
    row = CategoriserModel.objects.filter(owner=user).only("blob", "trained_at").first()
    if row is None:
        return None
    cached = _MODEL_CACHE.get(user.pk)
    if cached and cached[0] == row.trained_at:
        return cached[1]
    model = categorise.loads(row.blob)
    _MODEL_CACHE[user.pk] = (row.trained_at, model)
    return model


def suggest_categories(*, user, items: list[tuple[str, str, Decimal | None]]):
    """For (payee, note, amount) items: (Category|None, tags) from rules, then the model."""
    rules_list = list(CategoryRule.objects.filter(owner=user).select_related("category"))
    out: list[tuple[Category | None, str]] = [(None, "")] * len(items)
    pending = []
    for i, (payee, note, amount) in enumerate(items):
        rule = _rule_match(rules_list, payee, note, amount)
        if rule is not None:
            out[i] = (rule.category, rule.tags)
        else:
            pending.append(i)
    model = _load_model(user) if pending else None
    if model is not None:
        preds = categorise.predict(
            model, [categorise.text_of(items[i][0], items[i][1], items[i][2]) for i in pending]
        )
        ids = {p.category_id for p in preds if p}
        cats = Category.objects.in_bulk([i for i in ids], field_name="pk")
        for i, pred in zip(pending, preds, strict=True):
            cat = cats.get(pred.category_id) if pred else None
            if cat is not None and cat.owner_id == user.pk:
                out[i] = (cat, "")
    return out


def suggest_category(*, user, payee: str, note: str, amount=None) -> Category | None:
    return suggest_categories(user=user, items=[(payee, note, amount)])[0][0]


def train_categoriser(*, user_id: int, limit: int = 5000) -> int:
    """Learn from the user's own categorised history (newest `limit` rows)."""
    rows = list(
        Transaction.objects.filter(
            owner_id=user_id, deleted_at__isnull=True, category__isnull=False, is_split=False
        )
        .exclude(kind=Transaction.Kind.TRANSFER)
        .exclude(payee="", note="")
        .order_by("-on", "-id")
        .values_list("payee", "note", "amount", "category_id")[:limit]
    )
    model = categorise.train(
        [categorise.text_of(p, n, a) for p, n, a, _c in rows], [c for *_rest, c in rows]
    )
    if model is None:
        return 0
    CategoriserModel.objects.update_or_create(
        owner_id=user_id, defaults={"blob": categorise.dumps(model), "samples": len(rows)}
    )
    return len(rows)


def _train_task():
    from concierge.finance.tasks import train_categoriser_task

    return train_categoriser_task


# --- imports -------------------------------------------------------------------------------


@dataclass
class ImportResult:
    file: str
    format: str
    rows: int
    imported: int = 0
    duplicates: int = 0
    sum: Decimal = ZERO
    errors: list[dict] = field(default_factory=list)
    dry_run: bool = True
    preview: list[dict] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    mapping: dict = field(default_factory=dict)
    batch_id: int | None = None

    @property
    def refused(self) -> bool:
        return bool(self.errors)

    def as_dict(self) -> dict:
        return {
            "file": self.file,
            "format": self.format,
            "rows": self.rows,
            "imported": self.imported,
            "duplicates": self.duplicates,
            "sum": str(self.sum),
            "errors": self.errors,
        }


def _row_hash(on: date, amount: Decimal, payee: str, ref: str, occurrence: int) -> str:
    key = f"{on.isoformat()}|{amount}|{' '.join(payee.lower().split())}|{ref}|{occurrence}"
    return hashlib.sha1(key.encode(), usedforsecurity=False).hexdigest()


def import_file(
    *,
    user,
    account: Account,
    data: bytes,
    filename: str,
    dry_run: bool = True,
    mapping: dict | None = None,
    save_mapping_as: str = "",
    progress_id=None,
) -> ImportResult:
    """Read a bank file and, unless dry_run, write it — all or nothing. A file with any row
    that cannot be read is refused whole (its errors list each row); rows already present
    (the same file imported twice, or entered by hand) are skipped as duplicates."""
    require(user, "finance.use_account", account)
    if len(data) > settings.MAX_UPLOAD_BYTES:
        return ImportResult(
            file=filename,
            format="?",
            rows=0,
            errors=[
                {
                    "row": None,
                    "message": _("The file is larger than %(mb)s MB.")
                    % {"mb": settings.MAX_UPLOAD_BYTES // (1024 * 1024)},
                }
            ],
        )
    parsed = importers.parse_file(data, filename, mapping=mapping)
    result = ImportResult(
        file=filename,
        format=parsed.format,
        rows=len(parsed.rows),
        errors=list(parsed.errors),
        dry_run=dry_run,
        columns=parsed.columns,
        mapping=parsed.mapping,
    )
    good = parsed.good_rows
    if not good and not result.errors:
        result.errors.append({"row": None, "message": _("The file contains no transactions.")})
    if parsed.currency and parsed.currency != account.currency and not result.errors:
        result.errors.append(
            {
                "row": None,
                "message": _(
                    "The file is in %(file)s but the account “%(account)s” is in %(currency)s."
                )
                % {"file": parsed.currency, "account": account.name, "currency": account.currency},
            }
        )
    result.sum = sum((r.amount for r in good), Decimal("0.00"))
    if not result.errors:
        try:
            rate_for(user=user, currency=account.currency, on=good[0].on)
        except ValidationError as exc:
            result.errors.append({"row": None, "message": exc.messages[0]})
    if result.errors:
        result.sum = sum((r.amount for r in good), Decimal("0.00"))
        return result
    with transaction.atomic():
        result = _write_import(
            user=user,
            account=account,
            parsed=parsed,
            result=result,
            dry_run=dry_run,
            progress_id=progress_id,
        )
        if not dry_run and save_mapping_as.strip() and parsed.format == "csv":
            ImportMapping.objects.update_or_create(
                owner=user, name=save_mapping_as.strip()[:100], defaults={"mapping": parsed.mapping}
            )
    if not dry_run and result.imported:
        enqueue_on_commit(_train_task(), user.pk)
    logger.info(
        "finance import",
        extra={
            "format": result.format,
            "rows": result.rows,
            "imported": result.imported,
            "dry_run": dry_run,
        },
    )
    return result


def _write_import(
    *, user, account, parsed, result: ImportResult, dry_run: bool, progress_id=None
) -> ImportResult:
    from concierge.core.services import report_progress

    rows = parsed.good_rows
    seen: dict[tuple, int] = defaultdict(int)
    hashes = []
    for r in rows:
        key = (r.on, r.amount, " ".join(r.payee.lower().split()), r.ref)
        hashes.append(_row_hash(r.on, r.amount, r.payee, r.ref, seen[key]))
        seen[key] += 1
    lo, hi = min(r.on for r in rows), max(r.on for r in rows)
    # One indexed range read instead of thousands of IN-list parameters.
    existing = set(
        Transaction.objects.filter(account=account, on__gte=lo, on__lte=hi)
        .exclude(import_hash="")
        .values_list("import_hash", flat=True)
    )
    # Hand-entered rows with the same date and signed amount also count as already there.
    manual = defaultdict(int)
    for on, kind, amount in (
        Transaction.objects.filter(
            account=account, import_hash="", deleted_at__isnull=True, on__gte=lo, on__lte=hi
        )
        .exclude(kind=Transaction.Kind.TRANSFER)
        .values_list("on", "kind", "amount")
    ):
        manual[(on, -amount if kind == Transaction.Kind.EXPENSE else amount)] += 1
    fresh = []
    for r, h in zip(rows, hashes, strict=True):
        if h in existing:
            result.duplicates += 1
        elif manual[(r.on, r.amount)] > 0:
            manual[(r.on, r.amount)] -= 1
            result.duplicates += 1
        else:
            fresh.append((r, h))
    suggestions = suggest_categories(
        user=user, items=[(r.payee, r.note, abs(r.amount)) for r, _h in fresh]
    )
    result.preview = [
        {
            "line": r.line,
            "date": r.on.isoformat(),
            "amount": str(r.amount),
            "payee": r.payee,
            "note": r.note,
            "category": str(s[0])
            if s[0] and s[0].kind == ("expense" if r.amount < 0 else "income")
            else "",
        }
        for (r, _h), s in list(zip(fresh, suggestions, strict=True))[:50]
    ]
    result.imported = len(fresh)
    if dry_run or not fresh:
        return result
    batch = ImportBatch.objects.create(
        owner=user,
        account=account,
        filename=result.file[:255],
        format=result.format,
        rows=result.rows,
        imported=len(fresh),
        duplicates=result.duplicates,
        total=result.sum,
    )
    result.batch_id = batch.pk
    rate_cache: dict[date, Decimal] = {}
    to_create = []
    balance = Decimal(0)
    totals: dict[tuple, list] = defaultdict(lambda: [Decimal(0), 0])
    for n, ((r, h), (cat, tags)) in enumerate(zip(fresh, suggestions, strict=True), start=1):
        if r.on not in rate_cache:
            rate_cache[r.on] = rate_for(user=user, currency=account.currency, on=r.on)
        kind = Transaction.Kind.EXPENSE if r.amount < 0 else Transaction.Kind.INCOME
        amount = abs(r.amount)  # zero lines (opening-balance markers) are kept as they are
        home = (amount * rate_cache[r.on]).quantize(CENT, rounding=ROUND_HALF_UP)
        if cat is not None and cat.kind != kind:
            cat = None
        to_create.append(
            (
                user.pk,
                account.pk,
                str(kind),
                r.on,
                str(amount),
                str(home),
                cat.pk if cat else None,
                False,
                r.payee[:200],
                r.note[:500],
                _clean_tags(tags),
                str(Transaction.Source.IMPORT),
                batch.pk,
                h,
            )
        )
        balance += r.amount
        bucket = totals[(month_start(r.on), cat.pk if cat else None, kind)]
        bucket[0] += home
        bucket[1] += 1
        if progress_id and n % 2000 == 0:
            report_progress(progress_id, done=n, total=len(fresh))
    _insert_imported(to_create)
    Account.objects.filter(pk=account.pk).update(balance=F("balance") + balance)
    for (month, category_id, kind), (amount, count) in totals.items():
        _bump_total(
            owner_id=user.pk,
            month=month,
            category_id=category_id,
            kind=kind,
            amount=amount,
            count=count,
        )
    result.imported = len(to_create)
    batch.imported = len(to_create)
    batch.save(update_fields=["imported"])
    check_budgets(user=user, months={m for m, _c, _k in totals})
    return result


_IMPORT_COLUMNS = (
    "owner_id",
    "account_id",
    "kind",
    "on",
    "amount",
    "home_amount",
    "category_id",
    "is_split",
    "payee",
    "note",
    "tags",
    "source",
    "import_batch_id",
    "import_hash",
    "created_at",
)


def _insert_imported(rows: list[tuple]) -> None:
    """Insert imported rows (tuples in _IMPORT_COLUMNS order, without created_at) with one
    executemany: building model instances and bulk_create's per-value adaptation cost most
    of a 100,000-row import. Only rows built in _write_import come through here."""
    from django.db import connection

    now = connection.ops.adapt_datetimefield_value(timezone.now())
    table = connection.ops.quote_name(Transaction._meta.db_table)
    cols = ", ".join(connection.ops.quote_name(c) for c in _IMPORT_COLUMNS)
    marks = ", ".join(["%s"] * len(_IMPORT_COLUMNS))
    sql = f"INSERT INTO {table} ({cols}) VALUES ({marks})"
    with connection.cursor() as cursor:
        for i in range(0, len(rows), 5000):
            cursor.executemany(sql, [(*row, now) for row in rows[i : i + 5000]])


# --- bulk API create -----------------------------------------------------------------------


@transaction.atomic
def bulk_record(*, user, key: str, items: list[dict]) -> dict:
    """Create many transactions at once; the same idempotency key never writes twice."""
    if not key or len(key) > 100:
        raise ValidationError({"idempotency_key": _("Send an idempotency key (1–100 chars).")})
    done = IdempotencyKey.objects.filter(owner=user, key=key).first()
    if done is not None:
        return {**done.response, "replayed": True}
    ids = []
    for n, item in enumerate(items):
        try:
            ids.append(record_transaction(user=user, source=Transaction.Source.API, **item).pk)
        except ValidationError as exc:
            errors = {
                f"items.{n}.{k}": v
                for k, v in getattr(exc, "message_dict", {"__all__": exc.messages}).items()
            }
            raise ValidationError(errors) from exc
    response = {"created": len(ids), "ids": ids, "replayed": False}
    try:
        with transaction.atomic():
            IdempotencyKey.objects.create(owner=user, key=key, response=response)
    except IntegrityError as exc:  # the same key raced us: roll everything back
        raise ValidationError({"idempotency_key": _("This key is already being used.")}) from exc
    return response


# --- goals and households ------------------------------------------------------------------


@transaction.atomic
def create_goal(
    *, user, name: str, target_amount, target_date: date | None = None, saved_amount=ZERO
) -> Goal:
    if not (name or "").strip():
        raise ValidationError({"name": _("Give the goal a name.")})
    goal = Goal(
        owner=user,
        name=name.strip(),
        target_amount=_validate_amount(target_amount),
        target_date=target_date,
        saved_amount=Decimal(saved_amount or 0),
    )
    goal.full_clean()
    goal.save()
    return goal


@transaction.atomic
def add_to_goal(*, user, goal: Goal, amount) -> Goal:
    require(user, "finance.change_goal", goal)
    amount = Decimal(str(amount)).quantize(CENT)
    goal = Goal.objects.select_for_update().get(pk=goal.pk)
    if goal.saved_amount + amount < 0:
        raise ValidationError({"amount": _("You cannot take out more than is saved.")})
    goal.saved_amount += amount
    goal.save(update_fields=["saved_amount"])
    return goal


@transaction.atomic
def delete_goal(*, user, goal: Goal) -> None:
    require(user, "finance.change_goal", goal)
    goal.delete()


@transaction.atomic
def create_household(*, user, name: str) -> Household:
    if Household.objects.filter(owner=user).exists():
        raise ValidationError({"name": _("You already have a household.")})
    return Household.objects.create(owner=user, name=(name or "").strip() or _("Home"))


@transaction.atomic
def invite_to_household(*, user, household: Household, email: str) -> HouseholdMember:
    require(user, "finance.manage_household", household)
    email = (email or "").strip().lower()
    if not email or "@" not in email:
        raise ValidationError({"email": _("Enter an e-mail address.")})
    if email == user.email:
        raise ValidationError({"email": _("You are already in your household.")})
    from concierge.accounts.models import User

    member, _c = HouseholdMember.objects.get_or_create(
        household=household, email=email, defaults={"token": secrets.token_urlsafe(24)}
    )
    invitee = User.objects.filter(email=email).first()
    if invitee is not None:
        notify(
            invitee,
            "finance.household_invite",
            {"inviter": user.name, "household": household.name},
            url=reverse("finance:household_accept", args=[member.token]),
            dedup_key=f"household:{member.pk}",
        )
    return member


@transaction.atomic
def accept_household(*, user, token: str) -> HouseholdMember:
    member = HouseholdMember.objects.select_for_update().filter(token=token).first()
    if member is None or member.email != user.email.lower():
        raise PermissionDenied(_("This invitation is not for you."))
    member.user = user
    member.accepted_at = member.accepted_at or timezone.now()
    member.save(update_fields=["user", "accepted_at"])
    return member


@transaction.atomic
def share_account(*, user, account: Account, shared: bool) -> Account:
    require(user, "finance.change_account", account)
    household = Household.objects.filter(owner=user).first()
    if shared and household is None:
        raise ValidationError(_("Create a household first."))
    account.household = household if shared else None
    account.save(update_fields=["household"])
    return account


# --- personal data -------------------------------------------------------------------------


def delete_all_for(*, user) -> None:
    """The user's finance data goes with the account (ModuleConfig.on_account_deleted)."""
    with transaction.atomic():
        Transaction.objects.filter(owner=user).delete()
        for model in (
            MonthTotal,
            Budget,
            RecurringRule,
            CategoryRule,
            CategoriserModel,
            ImportMapping,
            ImportBatch,
            Goal,
            ExchangeRate,
            IdempotencyKey,
        ):
            model.objects.filter(owner=user).delete()
        Account.objects.filter(owner=user).delete()
        Category.objects.filter(owner=user, parent__isnull=False).delete()
        Category.objects.filter(owner=user).delete()
        HouseholdMember.objects.filter(Q(user=user) | Q(email=user.email)).delete()
        Household.objects.filter(owner=user).delete()
        Profile.objects.filter(user=user).delete()


# --- scheduled work ------------------------------------------------------------------------


def _finance_users():
    from concierge.accounts.models import User

    return User.objects.filter(
        is_active=True, deleted_at__isnull=True, finance_accounts__isnull=False
    ).distinct()


def daily_checks(*, today: date | None = None) -> dict:
    counts = {"bills": remind_bills(today=today), "forecasts": 0, "reminders": 0}
    for user in _finance_users():
        with transaction.atomic():
            counts["forecasts"] += forecast_warnings(user=user, today=today)
            counts["reminders"] += int(remind_inactive(user=user, today=today))
    return counts


def send_monthly_reports(*, today: date | None = None) -> int:
    from concierge.finance import selectors

    sent = 0
    for user in _finance_users():
        day = today or today_for(user)
        last_month = month_start(month_start(day) - timedelta(days=1))
        rep = selectors.report(user=user, day=last_month, period="month")
        if not rep.income and not rep.expense:
            continue
        with transaction.atomic(), translation.override(user.language or "en"):
            top = rep.by_category[0].name if rep.by_category else "—"
            if notify(
                user,
                "finance.monthly_report",
                {
                    "month": last_month.strftime("%B %Y"),
                    "income": money(rep.income),
                    "expense": money(rep.expense),
                    "saved": money(rep.saved),
                    "currency": user.currency,
                    "top": top,
                },
                url=reverse("finance:report") + f"?month={last_month:%Y-%m}",
                dedup_key=f"report:{last_month:%Y-%m}",
            ):
                sent += 1
    return sent


def import_stored_file(
    *, user_id: int, account_id: int, path: str, filename: str, mapping: dict, progress_id
) -> dict:
    """The background half of a large upload: commit, reporting progress."""
    import os

    from concierge.accounts.models import User
    from concierge.core.services import finish_progress

    user = User.objects.get(pk=user_id)
    account = Account.objects.get(pk=account_id)
    try:
        with open(path, "rb") as fh:
            data = fh.read()
        result = import_file(
            user=user,
            account=account,
            data=data,
            filename=filename,
            dry_run=False,
            mapping=mapping or None,
            progress_id=progress_id,
        )
    finally:
        if os.path.exists(path):
            os.remove(path)
    if result.errors:
        finish_progress(progress_id, result=result.as_dict(), error=result.errors[0]["message"])
    else:
        finish_progress(
            progress_id, result=result.as_dict(), result_url=reverse("finance:transactions")
        )
    return result.as_dict()
