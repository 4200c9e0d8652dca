"""Scheduled and background finance work — thin wrappers over services."""

from crontask import cron
from django.tasks import task

from concierge.finance import services


@task
def train_categoriser_task(user_id: int) -> int:
    return services.train_categoriser(user_id=user_id)


@cron("15 0 * * *")
@task
def run_recurring_rules() -> int:
    """Create due rent, salary and subscription transactions (catching up missed days)."""
    return services.run_recurring()


@cron("0 8 * * *")
@task
def daily_reminders() -> dict:
    """Bills due soon, budget forecasts and 'nothing recorded for N days' reminders."""
    return services.daily_checks()


@cron("0 6 1 * *")
@task
def monthly_reports() -> int:
    """On the 1st: last month's report for everyone who recorded something."""
    return services.send_monthly_reports()


@cron("30 3 * * *")
@task
def purge_deleted_transactions() -> int:
    return services.purge_deleted()


@task
def import_file_task(
    user_id: int, account_id: int, path: str, filename: str, mapping: dict, progress_id: str
) -> dict:
    return services.import_stored_file(
        user_id=user_id,
        account_id=account_id,
        path=path,
        filename=filename,
        mapping=mapping,
        progress_id=progress_id,
    )
