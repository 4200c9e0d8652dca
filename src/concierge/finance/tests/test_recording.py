from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Sum

from concierge.finance import selectors, services
from concierge.finance.models import Account, Category, MonthTotal, Transaction
from concierge.finance.tests.conftest import cat
from concierge.finance.tests.factories import AccountFactory, UserFactory

D = Decimal


def balance(acc):
    return Account.objects.get(pk=acc.pk).balance


def test_default_categories_are_created_in_the_users_language(db):
    user = UserFactory(language="hi")
    services.ensure_profile(user=user)
    names = set(Category.objects.filter(owner=user).values_list("name", flat=True))
    assert len(names) >= 30
    assert "किराया" in names  # Rent, in Hindi
    assert Category.objects.filter(owner=user, key="groceries", parent__key="food").exists()
    services.ensure_profile(user=user)  # idempotent
    assert Category.objects.filter(owner=user).count() == len(services.DEFAULT_CATEGORIES)


def test_expense_income_and_balance(user, account):
    today = services.today_for(user)
    services.record_transaction(
        user=user,
        account=account,
        kind="expense",
        amount=D("120"),
        on=today,
        category=cat(user, "coffee"),
        payee="Cafe",
    )
    services.record_transaction(
        user=user,
        account=account,
        kind="income",
        amount=D("2500"),
        on=today,
        category=cat(user, "salary"),
    )
    assert balance(account) == D("3380.00")
    income, expense = selectors.month_totals(user=user, month=today)
    assert (income, expense) == (D("2500"), D("120"))


def test_transfer_between_currencies_records_both_amounts(user, account):
    usd = AccountFactory(owner=user, name="US", currency="USD")
    with pytest.raises(ValidationError):
        services.record_transaction(
            user=user,
            account=account,
            kind="transfer",
            amount=D("8300"),
            on=date(2026, 1, 5),
            to_account=usd,
        )
    services.set_rate(user=user, currency="USD", on=date(2026, 1, 1), rate=D("83"))
    txn = services.record_transaction(
        user=user,
        account=account,
        kind="transfer",
        amount=D("8300"),
        on=date(2026, 1, 5),
        to_account=usd,
        to_amount=D("100"),
    )
    assert (txn.amount, txn.to_amount) == (D("8300"), D("100"))
    assert balance(account) == D("-7300.00")
    assert balance(usd) == D("100.00")
    # transfers are not spending
    assert selectors.month_totals(user=user, month=date(2026, 1, 1)) == (0, 0)


def test_foreign_expense_uses_the_rate_of_its_date(user):
    usd = AccountFactory(owner=user, name="US", currency="USD")
    services.set_rate(user=user, currency="USD", on=date(2026, 1, 1), rate=D("80"))
    services.set_rate(user=user, currency="USD", on=date(2026, 2, 1), rate=D("90"))
    jan = services.record_transaction(
        user=user, account=usd, kind="expense", amount=D("10"), on=date(2026, 1, 20)
    )
    feb = services.record_transaction(
        user=user, account=usd, kind="expense", amount=D("10"), on=date(2026, 2, 2)
    )
    assert (jan.home_amount, feb.home_amount) == (D("800.00"), D("900.00"))


def test_split_transaction_counts_per_category(user, account):
    day = date(2026, 3, 3)
    services.record_transaction(
        user=user,
        account=account,
        kind="expense",
        amount=D("450"),
        on=day,
        splits=[
            services.SplitIn(cat(user, "groceries"), D("300")),
            services.SplitIn(cat(user, "personal_care"), D("150")),
        ],
    )
    by = {c.name: c.amount for c in selectors.spending_by_category(user=user, start=day, end=day)}
    assert by == {"Food": D("300"), "Personal care": D("150")}
    with pytest.raises(ValidationError):
        services.record_transaction(
            user=user,
            account=account,
            kind="expense",
            amount=D("450"),
            on=day,
            splits=[services.SplitIn(cat(user, "groceries"), D("300"))],
        )


def test_edit_moves_totals_and_balance(user, account):
    day = date(2026, 3, 3)
    txn = services.record_transaction(
        user=user,
        account=account,
        kind="expense",
        amount=D("100"),
        on=day,
        category=cat(user, "fuel"),
    )
    services.update_transaction(
        user=user, txn=txn, amount=D("250"), category=cat(user, "groceries"), on=date(2026, 4, 1)
    )
    assert balance(account) == D("750.00")
    assert (
        MonthTotal.objects.get(owner=user, month=date(2026, 3, 1), category=cat(user, "fuel")).total
        == 0
    )
    assert MonthTotal.objects.get(
        owner=user, month=date(2026, 4, 1), category=cat(user, "groceries")
    ).total == D("250")


def test_delete_and_undo(user, account):
    txn = services.record_transaction(
        user=user, account=account, kind="expense", amount=D("100"), on=date(2026, 3, 3)
    )
    batch = services.delete_transaction(user=user, txn=txn)
    assert balance(account) == D("1000.00")
    assert not selectors.transactions_for(user=user).exists()
    assert services.undo_delete(user=user, batch=batch) == 1
    assert balance(account) == D("900.00")
    with pytest.raises(ValidationError):
        services.undo_delete(user=user, batch=batch)


def test_bulk_delete_of_a_range_states_and_checks_the_count(user, account):
    for d in range(1, 11):
        services.record_transaction(
            user=user, account=account, kind="expense", amount=D("10"), on=date(2026, 5, d)
        )
    count, _inc, exp = selectors.count_in_range(
        user=user, start=date(2026, 5, 3), end=date(2026, 5, 7)
    )
    assert (count, exp) == (5, D("50"))
    with pytest.raises(ValidationError):
        services.bulk_delete_range(
            user=user, start=date(2026, 5, 3), end=date(2026, 5, 7), expected_count=4
        )
    assert selectors.transactions_for(user=user).count() == 10
    services.bulk_delete_range(
        user=user, start=date(2026, 5, 3), end=date(2026, 5, 7), expected_count=5
    )
    assert selectors.transactions_for(user=user).count() == 5
    assert balance(account) == D("950.00")


def test_month_totals_always_match_the_transactions(user, account, card):
    day = date(2026, 6, 1)
    t1 = services.record_transaction(
        user=user,
        account=account,
        kind="expense",
        amount=D("10"),
        on=day,
        category=cat(user, "fuel"),
    )
    services.record_transaction(
        user=user,
        account=card,
        kind="expense",
        amount=D("20"),
        on=day + timedelta(days=3),
        category=cat(user, "fuel"),
    )
    services.update_transaction(user=user, txn=t1, amount=D("15"))
    live = Transaction.objects.filter(owner=user, deleted_at__isnull=True, kind="expense")
    assert (
        live.aggregate(s=Sum("home_amount"))["s"]
        == MonthTotal.objects.filter(owner=user, kind="expense").aggregate(s=Sum("total"))["s"]
        == D("35")
    )


def test_someone_else_cannot_write_to_my_account(user, account, stranger):
    with pytest.raises(PermissionDenied):
        services.record_transaction(
            user=stranger, account=account, kind="expense", amount=D("5"), on=date(2026, 1, 1)
        )


def test_category_from_another_user_is_refused(user, account, stranger):
    services.ensure_profile(user=stranger)
    with pytest.raises(ValidationError):
        services.record_transaction(
            user=user,
            account=account,
            kind="expense",
            amount=D("5"),
            on=date(2026, 1, 1),
            category=cat(stranger, "fuel"),
        )


def test_merge_keeps_history(user, account):
    a, b = cat(user, "taxi"), cat(user, "public_transport")
    services.record_transaction(
        user=user, account=account, kind="expense", amount=D("40"), on=date(2026, 2, 2), category=a
    )
    services.set_budget(user=user, category=a, amount=D("500"))
    services.merge_categories(user=user, source=a, target=b)
    assert Transaction.objects.get(owner=user).category == b
    assert MonthTotal.objects.get(owner=user, category=b).total == D("40")
    assert user.finance_budgets.get().category == b
    services.rename_category(user=user, category=b, name="Commute")
    assert Transaction.objects.get(owner=user).category.name == "Commute"


def test_quick_add_is_interpreted_against_my_accounts_and_categories(user, account, card):
    result = services.interpret_quick_add(
        user=user, line="450 groceries @card", today=date(2026, 3, 3)
    )
    assert result.account == card and result.category == cat(user, "groceries")
    result = services.interpret_quick_add(
        user=user, line="2500 salary yesterday", today=date(2026, 3, 3)
    )
    assert result.draft.kind == "income" and result.draft.on == date(2026, 3, 2)
    assert result.account == account  # cash first
    with pytest.raises(ValidationError):
        services.interpret_quick_add(user=user, line="10 tea @nosuch")


def test_recurring_rule_catches_up_and_advances(user, account):
    rule = services.create_recurring(
        user=user,
        name="Rent",
        account=account,
        amount=D("100"),
        next_date=date(2026, 1, 31),
        category=cat(user, "rent"),
    )
    assert services.run_recurring(today=date(2026, 3, 31)) == 3
    rule.refresh_from_db()
    assert rule.next_date == date(2026, 4, 30)
    days = sorted(Transaction.objects.filter(recurring_rule=rule).values_list("on", flat=True))
    assert days == [date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31)]
    assert services.run_recurring(today=date(2026, 3, 31)) == 0


def test_bulk_api_create_is_idempotent(user, account):
    items = [{"account": account, "kind": "expense", "amount": D("5"), "on": date(2026, 1, 1)}]
    first = services.bulk_record(user=user, key="k1", items=items)
    again = services.bulk_record(user=user, key="k1", items=items)
    assert first["created"] == 1 and again["replayed"] and again["ids"] == first["ids"]
    assert Transaction.objects.filter(owner=user).count() == 1


def test_account_deletion_removes_all_finance_data(user, account):
    services.record_transaction(
        user=user, account=account, kind="expense", amount=D("5"), on=date(2026, 1, 1)
    )
    from django.apps import apps

    apps.get_app_config("finance").on_account_deleted(user)
    assert not Account.objects.filter(owner=user).exists()
    assert not Transaction.objects.filter(owner=user).exists()
    assert not Category.objects.filter(owner=user).exists()
