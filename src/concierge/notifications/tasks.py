"""Background delivery of the outbox."""

from crontask import cron
from django.tasks import task

from concierge.notifications import services


@task
def deliver_email(email_id: int) -> bool:
    return services.deliver(email_id=email_id)


@cron("* * * * *")
@task
def deliver_due_emails() -> int:
    """Retries: every minute, send what failed before and is due again."""
    return services.deliver_due()


@cron("0 7 * * *")
@task
def send_daily_digests() -> int:
    return services.send_digests()
