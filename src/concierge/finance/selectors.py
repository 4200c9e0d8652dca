"""Every finance read, scoped to who asks: a stranger's object is a 404, never a leak."""

from __future__ import annotations

import calendar
import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.http import Http404

from concierge.finance.models import (
    ZERO,
    Account,
    Budget,
    BudgetWarning,
    Category,
    ExchangeRate,
    Goal,
    Household,
    HouseholdMember,
    ImportMapping,
    MonthTotal,
    Profile,
    RecurringRule,
    Split,
    Transaction,
)
from concierge.finance.services import month_end, month_start, today_for


def _household_ids(user) -> list[int]:
    owned = list(Household.objects.filter(owner=user).values_list("pk", flat=True))
    joined = list(
        HouseholdMember.objects.filter(user=user, accepted_at__isnull=False).values_list(
            "household_id", flat=True
        )
    )
    return owned + joined


def accounts_for(*, user, include_archived: bool = True) -> QuerySet[Account]:
    if not user.is_authenticated:
        return Account.objects.none()
    households = _household_ids(user)
    qs = Account.objects.filter(
        Q(owner=user) | Q(household_id__in=households) if households else Q(owner=user)
    )
    if not include_archived:
        qs = qs.filter(is_archived=False)
    return qs.order_by("name")


def get_account(*, user, pk) -> Account:
    account = accounts_for(user=user).filter(pk=pk).first()
    if account is None:
        raise Http404
    return account


def own_accounts(*, user) -> QuerySet[Account]:
    return Account.objects.filter(owner=user, is_archived=False).order_by("name")


def transactions_for(*, user) -> QuerySet[Transaction]:
    """Live transactions this user may see: their own, plus those in shared accounts."""
    if not user.is_authenticated:
        return Transaction.objects.none()
    base = Transaction.objects.filter(deleted_at__isnull=True)
    households = _household_ids(user)
    if not households:
        return base.filter(owner=user)
    shared = list(
        Account.objects.filter(household_id__in=households)
        .exclude(owner=user)
        .values_list("pk", flat=True)
    )
    return (
        base.filter(Q(owner=user) | Q(account_id__in=shared)) if shared else base.filter(owner=user)
    )


def get_transaction(*, user, pk) -> Transaction:
    txn = (
        transactions_for(user=user)
        .filter(pk=pk)
        .select_related("account", "category", "to_account")
        .first()
    )
    if txn is None:
        raise Http404
    return txn


def categories_for(*, user, kind: str | None = None) -> QuerySet[Category]:
    qs = Category.objects.filter(owner=user).select_related("parent")
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("kind", "parent__name", "name")


def category_choices(*, user, kind: str | None = None) -> list[Category]:
    """Parents first, each followed by its children — for select boxes."""
    cats = list(categories_for(user=user, kind=kind))
    parents = sorted([c for c in cats if not c.parent_id], key=lambda c: (c.kind, c.name.lower()))
    children = defaultdict(list)
    for c in cats:
        if c.parent_id:
            children[c.parent_id].append(c)
    out = []
    for p in parents:
        out.append(p)
        out.extend(sorted(children[p.pk], key=lambda c: c.name.lower()))
    return out


def get_category(*, user, pk) -> Category:
    cat = Category.objects.filter(owner=user, pk=pk).first()
    if cat is None:
        raise Http404
    return cat


def get_budget(*, user, pk) -> Budget:
    budget = Budget.objects.filter(owner=user, pk=pk).first()
    if budget is None:
        raise Http404
    return budget


def get_goal(*, user, pk) -> Goal:
    goal = Goal.objects.filter(owner=user, pk=pk).first()
    if goal is None:
        raise Http404
    return goal


def get_rule(*, user, pk) -> RecurringRule:
    rule = RecurringRule.objects.filter(owner=user, pk=pk).first()
    if rule is None:
        raise Http404
    return rule


def profile_for(*, user) -> Profile:
    from concierge.finance.services import ensure_profile

    return ensure_profile(user=user)


# --- search --------------------------------------------------------------------------------


@dataclass
class TxnFilter:
    text: str = ""
    min_amount: Decimal | None = None
    max_amount: Decimal | None = None
    start: date | None = None
    end: date | None = None
    category_id: int | None = None
    tag: str = ""
    account_id: int | None = None
    kind: str = ""

    def is_empty(self) -> bool:
        return not any(
            [
                self.text,
                self.min_amount is not None,
                self.max_amount is not None,
                self.start,
                self.end,
                self.category_id,
                self.tag,
                self.account_id,
                self.kind,
            ]
        )


def search_transactions(*, user, filters: TxnFilter | None = None) -> QuerySet[Transaction]:
    qs = transactions_for(user=user)
    f = filters or TxnFilter()
    if f.text:
        for word in f.text.split()[:5]:
            qs = qs.filter(Q(payee__icontains=word) | Q(note__icontains=word))
    if f.min_amount is not None:
        qs = qs.filter(amount__gte=f.min_amount)
    if f.max_amount is not None:
        qs = qs.filter(amount__lte=f.max_amount)
    if f.start:
        qs = qs.filter(on__gte=f.start)
    if f.end:
        qs = qs.filter(on__lte=f.end)
    if f.category_id:
        ids = [
            f.category_id,
            *Category.objects.filter(parent_id=f.category_id, owner=user).values_list(
                "pk", flat=True
            ),
        ]
        qs = qs.filter(Q(category_id__in=ids) | Q(splits__category_id__in=ids)).distinct()
    if f.tag:
        qs = qs.filter(tags__contains="," + f.tag.lower().strip("#") + ",")
    if f.account_id:
        qs = qs.filter(Q(account_id=f.account_id) | Q(to_account_id=f.account_id))
    if f.kind:
        qs = qs.filter(kind=f.kind)
    return qs.order_by("-on", "-id")


@dataclass
class Totals:
    count: int
    income: Decimal
    expense: Decimal

    @property
    def net(self) -> Decimal:
        return self.income - self.expense


def totals_of(*, user, qs: QuerySet[Transaction], filters: TxnFilter | None = None) -> Totals:
    """Count, income and spending (home currency) of a filtered set, in SQL. The unfiltered set
    reads the month totals instead of summing years of rows."""
    if filters is None or filters.is_empty():
        rows = (
            MonthTotal.objects.filter(owner=user)
            .values("kind")
            .annotate(t=Sum("total"), n=Sum("count"))
        )
        by = {r["kind"]: r for r in rows}
        return Totals(
            count=sum(r["n"] or 0 for r in rows),
            income=by.get("income", {}).get("t") or ZERO,
            expense=by.get("expense", {}).get("t") or ZERO,
        )
    agg = qs.order_by().aggregate(
        n=Count("id"),
        inc=Sum("home_amount", filter=Q(kind="income")),
        exp=Sum("home_amount", filter=Q(kind="expense")),
    )
    return Totals(count=agg["n"] or 0, income=agg["inc"] or ZERO, expense=agg["exp"] or ZERO)


@dataclass
class TxnPage:
    items: list[Transaction]
    next_cursor: str | None
    prev_cursor: str | None


def page_after(
    qs: QuerySet[Transaction], *, cursor: str = "", per_page: int = 50, backwards: bool = False
) -> TxnPage:
    """Keyset pagination over (date, id): page 5,000 costs what page 1 costs."""
    per_page = min(max(per_page, 1), 200)
    qs = qs.select_related("account", "category", "to_account")
    match = re.fullmatch(r"(\d{4}-\d{2}-\d{2})_(\d+)", cursor or "")
    if match:
        on, pk = date.fromisoformat(match.group(1)), int(match.group(2))
        # The redundant range on `on` lets the (owner, on, id) index seek instead of scan.
        if backwards:
            qs = qs.filter(Q(on__gt=on) | Q(on=on, id__gt=pk), on__gte=on).order_by("on", "id")
        else:
            qs = qs.filter(Q(on__lt=on) | Q(on=on, id__lt=pk), on__lte=on)
    rows = list(qs[: per_page + 1])
    more = len(rows) > per_page
    rows = rows[:per_page]
    if backwards and match:
        rows.reverse()
        return TxnPage(
            rows, _cursor(rows[-1]) if rows else None, _cursor(rows[0]) if more and rows else None
        )
    return TxnPage(
        rows, _cursor(rows[-1]) if more else None, _cursor(rows[0]) if match and rows else None
    )


def _cursor(txn: Transaction) -> str:
    return f"{txn.on.isoformat()}_{txn.pk}"


def count_in_range(*, user, start: date, end: date) -> tuple[int, Decimal, Decimal]:
    """What a bulk delete would remove: count, income and spending."""
    agg = Transaction.objects.filter(
        owner=user, deleted_at__isnull=True, on__gte=start, on__lte=end
    ).aggregate(
        n=Count("id"),
        inc=Sum("home_amount", filter=Q(kind="income")),
        exp=Sum("home_amount", filter=Q(kind="expense")),
    )
    return agg["n"] or 0, agg["inc"] or ZERO, agg["exp"] or ZERO


# --- budgets -------------------------------------------------------------------------------


@dataclass
class BudgetStatus:
    budget: Budget
    name: str
    limit: Decimal
    spent: Decimal
    carried: Decimal = ZERO
    projected: Decimal = ZERO
    cross_day: int | None = None
    warned: list[int] = field(default_factory=list)

    @property
    def percent(self) -> int:
        return int(self.spent * 100 / self.limit) if self.limit > 0 else 100

    @property
    def left(self) -> Decimal:
        return self.limit - self.spent

    @property
    def bar_percent(self) -> int:
        return min(self.percent, 100)

    @property
    def tone(self) -> str:
        if self.percent >= 100:
            return "danger"
        if self.percent >= 80 or self.cross_day:
            return "warning"
        return "success"


def _expense_totals(*, user, months: list[date]) -> dict[date, dict[int | None, Decimal]]:
    out: dict[date, dict] = defaultdict(lambda: defaultdict(lambda: ZERO))
    for row in MonthTotal.objects.filter(owner=user, kind="expense", month__in=months).values(
        "month", "category_id", "total"
    ):
        out[row["month"]][row["category_id"]] += row["total"]
    return out


def _tree(user) -> dict[int, list[int]]:
    children = defaultdict(list)
    for pk, parent in Category.objects.filter(owner=user, parent__isnull=False).values_list(
        "pk", "parent_id"
    ):
        children[parent].append(pk)
    return children


def _spent(totals: dict, budget: Budget, children) -> Decimal:
    if budget.category_id is None:
        return sum(totals.values(), ZERO)
    ids = [budget.category_id, *children.get(budget.category_id, [])]
    return sum((totals.get(i, ZERO) for i in ids), ZERO)


def _shift_month(day: date, months: int) -> date:
    y, m = divmod(day.month - 1 + months, 12)
    return date(day.year + y, m + 1, 1)


def budget_statuses(*, user, month: date, today: date | None = None) -> list[BudgetStatus]:
    """Spent vs limit for each budget in one month (+ roll-over and a forecast): 3 queries."""
    month = month_start(month)
    budgets = list(Budget.objects.filter(owner=user).select_related("category", "category__parent"))
    if not budgets:
        return []
    any_rollover = any(b.rollover for b in budgets)
    months = [month] + ([_shift_month(month, -i) for i in range(1, 13)] if any_rollover else [])
    totals = _expense_totals(user=user, months=months)
    children = _tree(user)
    today = today or today_for(user)
    warned = defaultdict(list)
    for b_id, t in BudgetWarning.objects.filter(budget__owner=user, month=month).values_list(
        "budget_id", "threshold"
    ):
        warned[b_id].append(t)
    out = []
    from django.utils.translation import gettext as _

    for b in budgets:
        carried = ZERO
        if b.rollover:
            start = month_start(b.created_at.date())
            for m in reversed(months[1:]):
                if m >= start:
                    carried = max(carried + b.amount - _spent(totals[m], b, children), ZERO)
        status = BudgetStatus(
            budget=b,
            name=str(b.category) if b.category else _("Overall"),
            limit=b.amount + carried,
            spent=_spent(totals[month], b, children),
            carried=carried,
            warned=sorted(warned[b.pk]),
        )
        if month_start(today) == month:
            days = calendar.monthrange(month.year, month.month)[1]
            elapsed = max(today.day, 1)
            pace = status.spent / elapsed
            status.projected = (pace * days).quantize(Decimal("0.01"))
            if pace > 0 and status.projected > status.limit and status.spent < status.limit:
                status.cross_day = min(math.ceil(status.limit / pace), days)
        else:
            status.projected = status.spent
        out.append(status)
    out.sort(key=lambda s: (s.budget.category_id is not None, -s.percent))
    return out


# --- dashboard -----------------------------------------------------------------------------


@dataclass
class CategorySpend:
    category_id: int | None
    name: str
    amount: Decimal
    previous: Decimal = ZERO

    @property
    def change(self) -> Decimal:
        return self.amount - self.previous


def spending_by_category(
    *, user, start: date, end: date, top_level: bool = True, kind: str = "expense"
) -> list[CategorySpend]:
    """Per category (rolled up to parents) for whole months start..end from month totals."""
    rows = (
        MonthTotal.objects.filter(
            owner=user, kind=kind, month__gte=month_start(start), month__lte=end
        )
        .values("category_id")
        .annotate(t=Sum("total"))
    )
    cats = {c.pk: c for c in Category.objects.filter(owner=user).select_related("parent")}
    sums: dict = defaultdict(lambda: ZERO)
    for row in rows:
        cat = cats.get(row["category_id"])
        if cat is not None and top_level and cat.parent_id:
            cat = cats.get(cat.parent_id, cat)
        sums[cat.pk if cat else None] += row["t"] or ZERO
    from django.utils.translation import gettext as _

    out = [
        CategorySpend(pk, cats[pk].name if pk in cats else _("Uncategorised"), amount)
        for pk, amount in sums.items()
        if amount
    ]
    return sorted(out, key=lambda c: -c.amount)


def daily_spending(*, user, month: date) -> list[tuple[date, Decimal]]:
    rows = dict(
        Transaction.objects.filter(
            owner=user,
            deleted_at__isnull=True,
            kind="expense",
            on__gte=month_start(month),
            on__lte=month_end(month),
        )
        .values("on")
        .annotate(t=Sum("home_amount"))
        .values_list("on", "t")
    )
    days = calendar.monthrange(month.year, month.month)[1]
    return [
        (d, rows.get(d, ZERO))
        for d in (month_start(month) + timedelta(days=i) for i in range(days))
    ]


def income_vs_expense(
    *, user, months: int = 12, until: date
) -> list[tuple[date, Decimal, Decimal]]:
    first = _shift_month(month_start(until), -(months - 1))
    rows = (
        MonthTotal.objects.filter(owner=user, month__gte=first, month__lte=month_start(until))
        .values("month", "kind")
        .annotate(t=Sum("total"))
    )
    by = defaultdict(lambda: {"income": ZERO, "expense": ZERO})
    for r in rows:
        by[r["month"]][r["kind"]] = r["t"] or ZERO
    return [
        (m, by[m]["income"], by[m]["expense"])
        for m in (_shift_month(first, i) for i in range(months))
    ]


def account_balances(*, user) -> list[Account]:
    return list(accounts_for(user=user, include_archived=False))


def net_worth(*, user) -> Decimal:
    """Sum of own account balances in home currency (latest rate)."""
    from django.core.exceptions import ValidationError

    from concierge.finance.services import rate_for

    total = ZERO
    today = today_for(user)
    for acc in Account.objects.filter(owner=user, is_archived=False):
        try:
            total += acc.balance * rate_for(user=user, currency=acc.currency, on=today)
        except ValidationError:
            continue
    return total.quantize(Decimal("0.01"))


def month_totals(*, user, month: date) -> tuple[Decimal, Decimal]:
    rows = dict(
        MonthTotal.objects.filter(owner=user, month=month_start(month))
        .values("kind")
        .annotate(t=Sum("total"))
        .values_list("kind", "t")
    )
    return rows.get("income") or ZERO, rows.get("expense") or ZERO


# --- reports -------------------------------------------------------------------------------


@dataclass
class Report:
    period: str  # "month" | "year"
    start: date
    end: date
    prev_start: date
    prev_end: date
    income: Decimal
    expense: Decimal
    prev_income: Decimal
    prev_expense: Decimal
    by_category: list[CategorySpend]
    by_payee: list[CategorySpend]
    by_tag: list[CategorySpend]
    by_subcategory: list[CategorySpend]

    @property
    def saved(self) -> Decimal:
        return self.income - self.expense

    @property
    def prev_saved(self) -> Decimal:
        return self.prev_income - self.prev_expense

    @property
    def savings_rate(self) -> int:
        return int(self.saved * 100 / self.income) if self.income > 0 else 0


def _period(day: date, period: str) -> tuple[date, date, date, date]:
    if period == "year":
        start, end = date(day.year, 1, 1), date(day.year, 12, 31)
        return start, end, date(day.year - 1, 1, 1), date(day.year - 1, 12, 31)
    start = month_start(day)
    prev = _shift_month(start, -1)
    return start, month_end(start), prev, month_end(prev)


def _merge(current: list[CategorySpend], previous: list[CategorySpend]) -> list[CategorySpend]:
    prev = {c.name: c.amount for c in previous}
    names = {c.name for c in current}
    out = [CategorySpend(c.category_id, c.name, c.amount, prev.get(c.name, ZERO)) for c in current]
    out += [
        CategorySpend(c.category_id, c.name, ZERO, c.amount)
        for c in previous
        if c.name not in names
    ]
    return sorted(out, key=lambda c: (-c.amount, -c.previous))


def _by_payee(user, start, end, limit=15) -> list[CategorySpend]:
    rows = (
        Transaction.objects.filter(
            owner=user, deleted_at__isnull=True, kind="expense", on__gte=start, on__lte=end
        )
        .exclude(payee="")
        .values("payee")
        .annotate(t=Sum("home_amount"))
        .order_by("-t")[:limit]
    )
    return [CategorySpend(None, r["payee"], r["t"]) for r in rows]


def _by_tag(user, start, end) -> list[CategorySpend]:
    rows = (
        Transaction.objects.filter(
            owner=user, deleted_at__isnull=True, kind="expense", on__gte=start, on__lte=end
        )
        .exclude(tags="")
        .values("tags")
        .annotate(t=Sum("home_amount"))
    )
    sums = defaultdict(lambda: ZERO)
    for r in rows:
        for tag in r["tags"].strip(",").split(","):
            sums["#" + tag] += r["t"]
    return sorted((CategorySpend(None, k, v) for k, v in sums.items()), key=lambda c: -c.amount)


def report(*, user, day: date, period: str = "month") -> Report:
    start, end, prev_start, prev_end = _period(day, period)
    inc = exp = pinc = pexp = ZERO
    for row in (
        MonthTotal.objects.filter(owner=user, month__gte=prev_start, month__lte=end)
        .values("month", "kind")
        .annotate(t=Sum("total"))
    ):
        current = row["month"] >= start
        if row["kind"] == "income":
            inc, pinc = (inc + row["t"], pinc) if current else (inc, pinc + row["t"])
        elif row["kind"] == "expense":
            exp, pexp = (exp + row["t"], pexp) if current else (exp, pexp + row["t"])
    return Report(
        period=period,
        start=start,
        end=end,
        prev_start=prev_start,
        prev_end=prev_end,
        income=inc,
        expense=exp,
        prev_income=pinc,
        prev_expense=pexp,
        by_category=_merge(
            spending_by_category(user=user, start=start, end=end),
            spending_by_category(user=user, start=prev_start, end=prev_end),
        ),
        by_subcategory=_merge(
            spending_by_category(user=user, start=start, end=end, top_level=False),
            spending_by_category(user=user, start=prev_start, end=prev_end, top_level=False),
        ),
        by_payee=_merge(_by_payee(user, start, end), _by_payee(user, prev_start, prev_end)),
        by_tag=_merge(_by_tag(user, start, end), _by_tag(user, prev_start, prev_end)),
    )


# --- rewards, streaks, comparison ----------------------------------------------------------


@dataclass
class Rewards:
    points: int
    streak_days: int
    months_under_budget: int
    badges: list[str]


def rewards(*, user, today: date | None = None) -> Rewards:
    """Points for months under the overall budget (or with savings) and daily streaks."""
    from django.utils.translation import gettext as _

    today = today or today_for(user)
    from datetime import datetime, time

    from django.utils import timezone as tz

    since = tz.make_aware(datetime.combine(today - timedelta(days=60), time.min))
    days = set(
        Transaction.objects.filter(owner=user, created_at__gte=since)
        .exclude(source__in=["import", "recurring"])
        .order_by()  # DISTINCT on the dates alone, not on the default ordering's columns
        .values_list("created_at__date", flat=True)
        .distinct()
    )
    streak, day = 0, today
    if day not in days:
        day -= timedelta(days=1)
    while day in days:
        streak += 1
        day -= timedelta(days=1)
    months_under = 0
    overall = Budget.objects.filter(owner=user, category__isnull=True).first()
    for _m, inc, exp in income_vs_expense(
        user=user, months=12, until=_shift_month(month_start(today), -1)
    ):
        if exp == 0 and inc == 0:
            continue
        if (overall and exp <= overall.amount) or (not overall and inc > exp):
            months_under += 1
    points = months_under * 100 + streak * 5
    badges = []
    if streak >= 7:
        badges.append(_("7-day recording streak"))
    if streak >= 30:
        badges.append(_("30-day recording streak"))
    if months_under >= 1:
        badges.append(_("A month under budget"))
    if months_under >= 3:
        badges.append(_("Three months under budget"))
    goals_done = Goal.objects.filter(owner=user).values_list("saved_amount", "target_amount")
    if any(s >= t for s, t in goals_done):
        badges.append(_("Goal reached"))
    return Rewards(
        points=points, streak_days=streak, months_under_budget=months_under, badges=badges
    )


MIN_CONTRIBUTORS = 10


def anonymous_comparison(*, user, month: date) -> list[tuple[str, Decimal, Decimal, int]]:
    """(category key, my spending, median of opted-in others, how many) per default category;
    only figures that at least 10 people contribute to are shown."""
    if not Profile.objects.filter(user=user, share_anonymous_stats=True).exists():
        return []
    month = month_start(month)
    rows = MonthTotal.objects.filter(
        month=month,
        kind="expense",
        category__key__gt="",
        category__parent__isnull=True,
        owner__finance_profile__share_anonymous_stats=True,
        owner__currency=user.currency,
    ).values_list("owner_id", "category__key", "total")
    by_key = defaultdict(dict)
    for owner_id, key, total in rows:
        by_key[key][owner_id] = by_key[key].get(owner_id, ZERO) + total
    names = dict(
        Category.objects.filter(owner=user, parent__isnull=True)
        .exclude(key="")
        .values_list("key", "name")
    )
    out = []
    for key, per_user in by_key.items():
        others = sorted(v for k, v in per_user.items() if k != user.pk)
        if len(per_user) < MIN_CONTRIBUTORS or not others:
            continue
        median = others[len(others) // 2]
        out.append((names.get(key, key), per_user.get(user.pk, ZERO), median, len(per_user)))
    return sorted(out, key=lambda r: -r[1])


# --- lists for pages -----------------------------------------------------------------------


def recurring_for(*, user) -> QuerySet[RecurringRule]:
    return RecurringRule.objects.filter(owner=user).select_related("account", "category")


def goals_for(*, user) -> QuerySet[Goal]:
    return Goal.objects.filter(owner=user)


def rates_for(*, user) -> QuerySet[ExchangeRate]:
    return ExchangeRate.objects.filter(owner=user, home_currency=user.currency)[:100]


def mappings_for(*, user) -> QuerySet[ImportMapping]:
    return ImportMapping.objects.filter(owner=user).order_by("name")


def household_for(*, user) -> Household | None:
    return (
        Household.objects.filter(owner=user).first()
        or Household.objects.filter(members__user=user, members__accepted_at__isnull=False).first()
    )


def splits_by_category(*, user, txn_ids: list[int]) -> dict[int, list[Split]]:
    out = defaultdict(list)
    for s in Split.objects.filter(
        transaction_id__in=txn_ids, transaction__owner=user
    ).select_related("category"):
        out[s.transaction_id].append(s)
    return out


# --- export --------------------------------------------------------------------------------


def export_data(*, user) -> dict:
    def money(v):
        return str(v) if v is not None else None

    return {
        "accounts": [
            {
                "id": a.pk,
                "name": a.name,
                "kind": a.kind,
                "currency": a.currency,
                "opening_balance": money(a.opening_balance),
                "balance": money(a.balance),
            }
            for a in Account.objects.filter(owner=user)
        ],
        "categories": [
            {"id": c.pk, "name": c.name, "kind": c.kind, "parent": c.parent_id}
            for c in Category.objects.filter(owner=user)
        ],
        "transactions": [
            {
                "id": t.pk,
                "date": t.on.isoformat(),
                "kind": t.kind,
                "account": t.account_id,
                "amount": money(t.amount),
                "home_amount": money(t.home_amount),
                "to_account": t.to_account_id,
                "to_amount": money(t.to_amount),
                "category": t.category_id,
                "payee": t.payee,
                "note": t.note,
                "tags": t.tag_list(),
                "splits": [
                    {"category": s.category_id, "amount": money(s.amount)} for s in t.splits.all()
                ],
            }
            for t in Transaction.objects.filter(owner=user, deleted_at__isnull=True)
            .prefetch_related("splits")
            .order_by("on", "id")
            .iterator(chunk_size=2000)
        ],
        "budgets": [
            {"category": b.category_id, "amount": money(b.amount), "rollover": b.rollover}
            for b in Budget.objects.filter(owner=user)
        ],
        "goals": [
            {"name": g.name, "target": money(g.target_amount), "saved": money(g.saved_amount)}
            for g in Goal.objects.filter(owner=user)
        ],
        "rates": [
            {"currency": r.currency, "date": r.on.isoformat(), "rate": str(r.rate)}
            for r in ExchangeRate.objects.filter(owner=user)
        ],
        "recurring": [
            {
                "name": r.name,
                "amount": money(r.amount),
                "frequency": r.frequency,
                "next_date": r.next_date.isoformat(),
            }
            for r in RecurringRule.objects.filter(owner=user)
        ],
    }


# --- the chat assistant's money questions --------------------------------------------------

_MONEY_WORDS = re.compile(
    r"spen[dt]|spending|expense|budget|income|earn|salary|save[d]?|saving|money|balance|"
    r"खर्च|बजट|पैसे|कमाई|बचत|बैलेंस|செலவ|பட்ஜெட்|பணம்|வருமான|சேமி|இருப்பு|kharch|paisa",
    re.I,
)
_LAST_MONTH = re.compile(r"last month|previous month|पिछले महीने|கடந்த மாத|pichle mahine", re.I)
_THIS_YEAR = re.compile(r"this year|इस साल|இந்த ஆண்டு", re.I)
_OVER = re.compile(
    r"over budget|over my budget|within budget|under budget|बजट से ज़?्?यादा|"
    r"बजट|பட்ஜெட்",
    re.I,
)
_BALANCE = re.compile(r"balance|how much (do i|money do i) have|बैलेंस|இருப்பு", re.I)
_INCOME = re.compile(r"income|earn|salary|कमाई|आय|वेतन|வருமான|சம்பள", re.I)


def _fmt(value: Decimal, currency: str) -> str:
    return f"{value:,.2f} {currency}"


def answer_money_question(*, user, text: str, language: str = "en") -> str | None:
    """Answer "how much did I spend on food last month?", "am I over budget?" from the asking
    user's own figures. None when the text is not a money question (the assistant then
    carries on with its other answers)."""
    from django.utils import translation
    from django.utils.translation import gettext as _

    if not user.is_authenticated or not text or not _MONEY_WORDS.search(text):
        return None
    today = today_for(user)
    month = month_start(today)
    with translation.override(language if language in ("en", "hi", "ta") else "en"):
        cur = user.currency
        if _LAST_MONTH.search(text):
            month = _shift_month(month, -1)
        label = month.strftime("%B %Y")
        if _BALANCE.search(text) and not _MONEY_WORDS.search(text.replace("balance", "")):
            accounts = account_balances(user=user)
            parts = ", ".join(f"{a.name}: {_fmt(a.balance, a.currency)}" for a in accounts)
            return _("Your balances: %(list)s.") % {"list": parts or "—"}
        if re.search(r"budget|बजट|பட்ஜெட்", text, re.I):
            statuses = budget_statuses(user=user, month=month, today=today)
            if not statuses:
                return _("You have no budgets yet.")
            over = [s for s in statuses if s.percent >= 100]
            if over:
                return _("Yes — over budget in %(month)s: %(list)s.") % {
                    "month": label,
                    "list": ", ".join(
                        f"{s.name} ({_fmt(s.spent, cur)} / {_fmt(s.limit, cur)})" for s in over
                    ),
                }
            closest = max(statuses, key=lambda s: s.percent)
            return _(
                "No — you are within every budget in %(month)s. Closest: %(name)s at %(pct)s%%."
            ) % {"month": label, "name": closest.name, "pct": closest.percent}
        if _THIS_YEAR.search(text):
            start, end = date(today.year, 1, 1), today
        else:
            start, end = month, month_end(month)
        if _INCOME.search(text):
            income = sum(
                (
                    i
                    for _m, i, _e in income_vs_expense(
                        user=user,
                        months=(end.year - start.year) * 12 + end.month - start.month + 1,
                        until=end,
                    )
                ),
                ZERO,
            )
            return _("Your income from %(start)s to %(end)s: %(amount)s.") % {
                "start": start.isoformat(),
                "end": end.isoformat(),
                "amount": _fmt(income, cur),
            }
        words = {w.lower() for w in re.findall(r"\w+", text)}
        by_cat = spending_by_category(user=user, start=start, end=end, top_level=False)
        top = spending_by_category(user=user, start=start, end=end)
        cats = Category.objects.filter(owner=user, kind="expense")
        from concierge.finance.quickadd import KEYWORDS

        wanted = None
        for cat in cats:
            if cat.name.lower() in text.lower() or (
                cat.key and (cat.key in words or any(KEYWORDS.get(w) == cat.key for w in words))
            ):
                wanted = cat
                break
        if wanted is not None:
            ids = {wanted.pk, *Category.objects.filter(parent=wanted).values_list("pk", flat=True)}
            amount = sum((c.amount for c in by_cat if c.category_id in ids), ZERO)
            return _("You spent %(amount)s on %(category)s from %(start)s to %(end)s.") % {
                "amount": _fmt(amount, cur),
                "category": wanted.name,
                "start": start.isoformat(),
                "end": end.isoformat(),
            }
        total = sum((c.amount for c in top), ZERO)
        biggest = ", ".join(f"{c.name} {_fmt(c.amount, cur)}" for c in top[:3])
        return _("You spent %(amount)s from %(start)s to %(end)s. Biggest: %(list)s.") % {
            "amount": _fmt(total, cur),
            "start": start.isoformat(),
            "end": end.isoformat(),
            "list": biggest or "—",
        }
