from datetime import timedelta
from decimal import Decimal

from concierge.finance import selectors, services
from concierge.finance.models import BudgetWarning
from concierge.finance.tests.conftest import cat
from concierge.notifications.models import Notification, OutboxEmail

D = Decimal


def events(user):
    return list(
        Notification.objects.filter(recipient=user).order_by("id").values_list("event", flat=True)
    )


def spend(user, account, amount, key="groceries", on=None):
    return services.record_transaction(
        user=user,
        account=account,
        kind="expense",
        amount=D(amount),
        on=on or services.today_for(user),
        category=cat(user, key),
    )


def test_crossing_80_percent_warns_once_by_bell_and_email(user, account):
    services.set_budget(user=user, category=cat(user, "food"), amount=D("1000"))
    spend(user, account, "850")  # a sub-category of Food counts towards it
    spend(user, account, "10")
    assert events(user) == ["finance.budget_warning"]
    note = Notification.objects.get(recipient=user)
    assert "85%" in note.title and "Food" in note.title
    assert OutboxEmail.objects.filter(recipient=user, event="finance.budget_warning").count() == 1


def test_100_percent_warns_separately_and_never_again(user, account):
    services.set_budget(user=user, category=None, amount=D("1000"))
    spend(user, account, "1200")  # jumps over both thresholds at once
    assert sorted(events(user)) == ["finance.budget_exceeded", "finance.budget_warning"]
    txn = spend(user, account, "5")
    services.delete_transaction(user=user, txn=txn)
    spend(user, account, "5")
    services.check_budgets(user=user, months={services.month_start(services.today_for(user))})
    assert len(events(user)) == 2


def test_duplicate_crossing_claim_sends_nothing(user, account):
    """Two writers crossing at the same moment: the unique claim lets only one notify."""
    budget = services.set_budget(user=user, category=None, amount=D("100"))
    month = services.month_start(services.today_for(user))
    BudgetWarning.objects.create(budget=budget, month=month, threshold=80)  # the other writer
    spend(user, account, "90")
    assert events(user) == []


def test_editable_thresholds(user, account):
    services.update_profile(user=user, warn_thresholds="50, 90")
    services.set_budget(user=user, category=None, amount=D("100"))
    spend(user, account, "60")
    assert Notification.objects.get(recipient=user).title.startswith("Overall: 60%")


def test_import_that_crosses_a_budget_warns(user, account):
    services.set_budget(user=user, category=None, amount=D("100"))
    today = services.today_for(user)
    data = f"Date,Description,Amount\n{today:%Y-%m-%d},Big shop,-95.00\n".encode()
    result = services.import_file(
        user=user, account=account, data=data, filename="b.csv", dry_run=False
    )
    assert result.imported == 1
    assert events(user) == ["finance.budget_warning"]


def test_recurring_rule_that_crosses_a_budget_warns(user, account):
    services.set_budget(user=user, category=cat(user, "housing"), amount=D("10000"))
    today = services.today_for(user)
    services.create_recurring(
        user=user,
        name="Rent",
        account=account,
        amount=D("9000"),
        next_date=today,
        category=cat(user, "rent"),
    )
    services.run_recurring(today=today)
    assert events(user) == ["finance.budget_warning"]


def test_old_months_do_not_ring(user, account):
    services.set_budget(user=user, category=None, amount=D("100"))
    spend(user, account, "500", on=services.today_for(user) - timedelta(days=400))
    assert events(user) == []


def test_forecast_warns_before_the_limit_is_crossed(user, account):
    services.set_budget(user=user, category=None, amount=D("3000"))
    today = services.today_for(user)
    month = services.month_start(today)
    spend(user, account, "1000", on=month)  # 1,000 on day 1 → pace crosses ~day 3
    day = month + timedelta(days=1)
    status = selectors.budget_statuses(user=user, month=month, today=day)[0]
    assert status.cross_day == 6 and status.projected > status.limit
    assert services.forecast_warnings(user=user, today=day) == 1
    assert services.forecast_warnings(user=user, today=day) == 0
    assert "finance.budget_forecast" in events(user)


def test_rollover_adds_last_months_unspent(user, account):
    budget = services.set_budget(user=user, category=None, amount=D("1000"), rollover=True)
    today = services.today_for(user)
    last = services.month_start(services.month_start(today) - timedelta(days=1))
    type(budget).objects.filter(pk=budget.pk).update(
        created_at=budget.created_at.replace(year=last.year, month=last.month, day=1)
    )
    spend(user, account, "600", on=last)
    status = selectors.budget_statuses(user=user, month=today)[0]
    assert status.carried == D("400") and status.limit == D("1400")


def test_reminder_after_n_days_without_records(user, account):
    services.update_profile(user=user, reminder_days=3)
    spend(user, account, "10")
    today = services.today_for(user)
    assert not services.remind_inactive(user=user, today=today + timedelta(days=2))
    assert services.remind_inactive(user=user, today=today + timedelta(days=3))
    assert not services.remind_inactive(user=user, today=today + timedelta(days=3))


def test_bill_due_soon_notice(user, account):
    today = services.today_for(user)
    services.create_recurring(
        user=user,
        name="Netflix",
        account=account,
        amount=D("649"),
        next_date=today + timedelta(days=2),
        remind_days=3,
    )
    assert services.remind_bills(today=today) == 1
    assert services.remind_bills(today=today) == 0
    assert events(user) == ["finance.bill_due"]


def test_monthly_report_notice(user, account):
    today = services.today_for(user)
    last = services.month_start(services.month_start(today) - timedelta(days=1))
    spend(user, account, "300", on=last)
    assert services.send_monthly_reports(today=today) == 1
    assert services.send_monthly_reports(today=today) == 0
    assert OutboxEmail.objects.filter(recipient=user, event="finance.monthly_report").exists()
