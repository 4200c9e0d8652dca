"""Background helpdesk work: SLA sweeps, pending reminders/auto-close, webhook deliveries,
IMAP polling. Thin wrappers over services."""

import logging

from crontask import cron
from django.tasks import task

from concierge.helpdesk import services

logger = logging.getLogger(__name__)


@cron("*/5 * * * *")
@task
def sweep_sla() -> dict:
    return services.sla_sweep()


@cron("17 * * * *")
@task
def sweep_pending() -> dict:
    return services.pending_sweep()


@task
def deliver_webhook(delivery_id: int) -> bool:
    return services.deliver_webhook_now(delivery_id=delivery_id)


@cron("* * * * *")
@task
def retry_webhooks() -> int:
    due = services.due_webhook_deliveries()
    for delivery_id in due:
        services.deliver_webhook_now(delivery_id=delivery_id)
    return len(due)


@cron("*/2 * * * *")
@task
def poll_mailboxes() -> int:
    from concierge.helpdesk.mailbox import poll_all

    return poll_all()
