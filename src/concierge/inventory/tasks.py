"""Background work for inventory: thin wrappers over services."""

from crontask import cron
from django.tasks import task

from concierge.inventory import alerts, forecast_link, services
from concierge.inventory.models import Store


@task
def deliver_webhook(delivery_id: int) -> bool:
    return services.deliver_webhook(delivery_id=delivery_id)


@cron("*/5 * * * *")
@task
def retry_webhooks() -> int:
    return services.retry_webhooks()


@cron("30 6 * * *")
@task
def daily_stock_scan() -> int:
    """Expiring batches, slow movers and overdue orders; then each manager's digest."""
    sent = sum(alerts.scan_store(store=store) for store in Store.objects.all())
    sent += alerts.overdue_orders()
    sent += alerts.send_store_digests()
    return sent


@task
def forecast_stores(store_ids: list[int] | None = None, progress_id: int | None = None) -> int:
    """Forecast every item × store series of the given stores (all when None) in one engine run."""
    return forecast_link.run_nightly(store_ids=store_ids, progress_id=progress_id)


@cron("15 2 * * *")
@task
def nightly_forecast() -> int:
    return forecast_stores.call()
