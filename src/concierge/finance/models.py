"""Personal finance: accounts, categories, transactions, budgets, rates, rules and goals.

Every row belongs to one user (`owner`). Accounts and budgets may also be shared with a
household the owner created; everything else stays private to its owner. Money is Decimal.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from concierge.accounts.models import CURRENCY_CHOICES

MONEY = {"max_digits": 16, "decimal_places": 2}
ZERO = Decimal("0.00")


class Household(models.Model):
    """People who share chosen accounts and budgets. Each member's other data stays private."""

    name = models.CharField(_("name"), max_length=120)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="finance_households_owned"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class HouseholdMember(models.Model):
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="finance_households",
    )
    email = models.EmailField(_("e-mail address"))
    token = models.CharField(max_length=64, unique=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["household", "email"], name="finance_one_invite_per_email"
            )
        ]

    def __str__(self) -> str:
        return f"{self.email} in {self.household_id}"


class Profile(models.Model):
    """A person's finance settings."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="finance_profile"
    )
    reminder_days = models.PositiveSmallIntegerField(
        _("remind me after this many days without a record"),
        default=3,
        validators=[MinValueValidator(1)],
    )
    warn_thresholds = models.CharField(
        _("warning thresholds (%)"),
        max_length=40,
        default="80,100",
        help_text=_("Comma-separated percentages of a budget, e.g. 80,100."),
    )
    share_anonymous_stats = models.BooleanField(
        _("compare my spending anonymously with others"), default=False
    )
    defaults_created = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"finance profile {self.user_id}"

    def thresholds(self) -> list[int]:
        return parse_thresholds(self.warn_thresholds)


def parse_thresholds(text: str) -> list[int]:
    out = set()
    for part in (text or "").replace(" ", "").split(","):
        if part.isdigit() and 1 <= int(part) <= 500:
            out.add(int(part))
    return sorted(out) or [80, 100]


class Account(models.Model):
    class Kind(models.TextChoices):
        CASH = "cash", _("Cash")
        BANK = "bank", _("Bank")
        CARD = "card", _("Card")
        SAVINGS = "savings", _("Savings")

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="finance_accounts"
    )
    household = models.ForeignKey(
        Household,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="accounts",
        verbose_name=_("shared with household"),
    )
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.BANK)
    currency = models.CharField(
        _("currency"), max_length=3, choices=CURRENCY_CHOICES, default="INR"
    )
    opening_balance = models.DecimalField(_("opening balance"), default=ZERO, **MONEY)
    # Denormalised: opening balance + every live transaction, kept in the writing transaction.
    balance = models.DecimalField(default=ZERO, editable=False, **MONEY)
    is_archived = models.BooleanField(_("archived"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="finance_account_name_unique")
        ]

    def __str__(self) -> str:
        return self.name


class Category(models.Model):
    class Kind(models.TextChoices):
        EXPENSE = "expense", _("Expense")
        INCOME = "income", _("Income")

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="finance_categories"
    )
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="children",
        verbose_name=_("parent"),
    )
    name = models.CharField(_("name"), max_length=80)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.EXPENSE)
    # Language-independent key of a default category (quick-add keywords use it).
    key = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "categories"
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "parent", "name"], name="finance_category_unique"
            ),
            models.UniqueConstraint(
                fields=["owner", "name"],
                name="finance_top_category_unique",
                condition=Q(parent__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.parent.name} › {self.name}" if self.parent_id and self.parent else self.name


class ImportBatch(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="finance_imports"
    )
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="imports")
    filename = models.CharField(max_length=255)
    format = models.CharField(max_length=16)
    rows = models.PositiveIntegerField(default=0)
    imported = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(default=0)
    total = models.DecimalField(default=ZERO, **MONEY)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.filename} ({self.format})"


class Transaction(models.Model):
    class Kind(models.TextChoices):
        EXPENSE = "expense", _("Expense")
        INCOME = "income", _("Income")
        TRANSFER = "transfer", _("Transfer")

    class Source(models.TextChoices):
        MANUAL = "manual", _("Entered")
        QUICK = "quick", _("Quick add")
        IMPORT = "import", _("Imported")
        RECURRING = "recurring", _("Recurring")
        API = "api", _("API")

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="finance_transactions"
    )
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="transactions")
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    on = models.DateField(_("date"))
    # Always positive, in the account's currency; `kind` gives the direction.
    amount = models.DecimalField(
        _("amount"), validators=[MinValueValidator(Decimal("0.01"))], **MONEY
    )
    # The same amount in the owner's home currency at the rate of `on` (reports, budgets).
    home_amount = models.DecimalField(default=ZERO, editable=False, **MONEY)
    to_account = models.ForeignKey(
        Account,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="incoming_transfers",
        verbose_name=_("to account"),
    )
    to_amount = models.DecimalField(_("amount received"), null=True, blank=True, **MONEY)
    category = models.ForeignKey(
        Category,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="transactions",
        verbose_name=_("category"),
    )
    is_split = models.BooleanField(default=False)
    payee = models.CharField(_("payee"), max_length=200, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    # ",food,trip," — commas on both ends so a tag filter is one indexed-free LIKE.
    tags = models.CharField(_("tags"), max_length=300, blank=True)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.MANUAL)
    recurring_rule = models.ForeignKey(
        "RecurringRule",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="transactions",
    )
    import_batch = models.ForeignKey(
        ImportBatch, null=True, blank=True, on_delete=models.SET_NULL, related_name="transactions"
    )
    import_hash = models.CharField(max_length=40, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_batch = models.UUIDField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-on", "-id"]
        indexes = [
            models.Index(
                fields=["owner", "-on", "-id"],
                name="finance_txn_owner_on",
                condition=Q(deleted_at__isnull=True),
            ),
            models.Index(fields=["account", "-on", "-id"], name="finance_txn_account_on"),
            models.Index(fields=["account", "import_hash"], name="finance_txn_import_hash"),
            models.Index(fields=["owner", "created_at"], name="finance_txn_owner_created"),
            models.Index(fields=["deleted_batch"], name="finance_txn_deleted_batch"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.pk}"  # never amounts or payees: logs, error reports

    def tag_list(self) -> list[str]:
        return [t for t in self.tags.split(",") if t]

    @property
    def signed_amount(self) -> Decimal:
        return -self.amount if self.kind == self.Kind.EXPENSE else self.amount


class Split(models.Model):
    """One part of a split transaction: its own category and amount."""

    transaction = models.ForeignKey(Transaction, on_delete=models.CASCADE, related_name="splits")
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="splits"
    )
    amount = models.DecimalField(validators=[MinValueValidator(Decimal("0.01"))], **MONEY)
    home_amount = models.DecimalField(default=ZERO, **MONEY)
    note = models.CharField(max_length=200, blank=True)

    def __str__(self) -> str:
        return f"split of {self.transaction_id}"


class MonthTotal(models.Model):
    """Per user, month, category and kind: the sum in home currency. Updated with every write
    so dashboards, budgets and reports never scan years of transactions."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    month = models.DateField()  # first day of the month
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=8)
    total = models.DecimalField(default=ZERO, **MONEY)
    count = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "month", "category", "kind"], name="finance_month_total_unique"
            ),
            models.UniqueConstraint(
                fields=["owner", "month", "kind"],
                name="finance_month_total_uncategorised",
                condition=Q(category__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.kind}"


class ExchangeRate(models.Model):
    """1 unit of `currency` is `rate` units of the owner's home currency on `on`."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="finance_rates"
    )
    currency = models.CharField(_("currency"), max_length=3)
    home_currency = models.CharField(max_length=3)
    on = models.DateField(_("date"))
    rate = models.DecimalField(
        _("rate"),
        max_digits=18,
        decimal_places=8,
        validators=[MinValueValidator(Decimal("0.00000001"))],
    )

    class Meta:
        ordering = ["-on"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "currency", "home_currency", "on"], name="finance_rate_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.currency} {self.on}"


class Budget(models.Model):
    """A monthly limit for one category (with its sub-categories) or, without one, overall."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="finance_budgets"
    )
    household = models.ForeignKey(
        Household,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="budgets",
        verbose_name=_("shared with household"),
    )
    category = models.ForeignKey(
        Category,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="budgets",
        verbose_name=_("category"),
        help_text=_("Leave empty for an overall monthly limit."),
    )
    amount = models.DecimalField(
        _("monthly limit"), validators=[MinValueValidator(Decimal("0.01"))], **MONEY
    )
    rollover = models.BooleanField(_("roll over unspent money"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["owner", "category"], name="finance_budget_unique"),
            models.UniqueConstraint(
                fields=["owner"],
                name="finance_one_overall_budget",
                condition=Q(category__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"budget {self.pk}"


class BudgetWarning(models.Model):
    """The claim that a warning went out: unique, so it goes once per budget, month, threshold."""

    budget = models.ForeignKey(Budget, on_delete=models.CASCADE, related_name="warnings")
    month = models.DateField()
    threshold = models.PositiveSmallIntegerField()  # percent; 0 = forecast warning
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["budget", "month", "threshold"], name="finance_budget_warning_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.budget_id} {self.month:%Y-%m} {self.threshold}%"


class RecurringRule(models.Model):
    class Frequency(models.TextChoices):
        WEEKLY = "weekly", _("Weekly")
        MONTHLY = "monthly", _("Monthly")
        YEARLY = "yearly", _("Yearly")

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="finance_recurring"
    )
    name = models.CharField(_("name"), max_length=120)
    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="recurring", verbose_name=_("account")
    )
    kind = models.CharField(
        _("kind"),
        max_length=8,
        choices=Transaction.Kind.choices[:2],
        default=Transaction.Kind.EXPENSE,
    )
    amount = models.DecimalField(
        _("amount"), validators=[MinValueValidator(Decimal("0.01"))], **MONEY
    )
    category = models.ForeignKey(
        Category,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("category"),
    )
    payee = models.CharField(_("payee"), max_length=200, blank=True)
    frequency = models.CharField(
        _("repeats"), max_length=8, choices=Frequency.choices, default=Frequency.MONTHLY
    )
    next_date = models.DateField(_("next date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)
    is_bill = models.BooleanField(_("bill (remind me before it is due)"), default=True)
    remind_days = models.PositiveSmallIntegerField(_("remind this many days before"), default=3)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["next_date"]
        indexes = [models.Index(fields=["active", "next_date"])]

    def __str__(self) -> str:
        return self.name


class CategoryRule(models.Model):
    """If payee/note contains text (and the amount is in range) → category and tags."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="finance_rules"
    )
    contains = models.CharField(_("payee or note contains"), max_length=100)
    min_amount = models.DecimalField(_("minimum amount"), null=True, blank=True, **MONEY)
    max_amount = models.DecimalField(_("maximum amount"), null=True, blank=True, **MONEY)
    category = models.ForeignKey(
        Category, on_delete=models.CASCADE, related_name="rules", verbose_name=_("category")
    )
    tags = models.CharField(_("tags"), max_length=200, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.contains


class CategoriserModel(models.Model):
    """A per-user text classifier (skops bytes) learned from the user's own history."""

    owner = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="finance_categoriser"
    )
    blob = models.BinaryField()
    samples = models.PositiveIntegerField(default=0)
    trained_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"categoriser {self.owner_id}"


class ImportMapping(models.Model):
    """A saved CSV column mapping for one bank's files."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="finance_mappings"
    )
    name = models.CharField(_("bank"), max_length=100)
    mapping = models.JSONField(default=dict)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="finance_mapping_unique")
        ]

    def __str__(self) -> str:
        return self.name


class Goal(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="finance_goals"
    )
    name = models.CharField(_("name"), max_length=120)
    target_amount = models.DecimalField(
        _("target"), validators=[MinValueValidator(Decimal("1"))], **MONEY
    )
    saved_amount = models.DecimalField(_("saved so far"), default=ZERO, **MONEY)
    target_date = models.DateField(_("by"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["target_date", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def percent(self) -> int:
        if not self.target_amount:
            return 0
        return min(int(self.saved_amount * 100 / self.target_amount), 100)


class IdempotencyKey(models.Model):
    """A bulk API call already done: the same key returns the same answer, writes nothing."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=100)
    response = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["owner", "key"], name="finance_idempotency_unique")
        ]

    def __str__(self) -> str:
        return self.key
