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
    from concierge.core.services import finish_progress, report_progress

    stores = list(Store.objects.filter(pk__in=store_ids) if store_ids else Store.objects.all())
    total = 0
    try:
        for n, store in enumerate(stores, start=1):

            def step(done, of, n=n, store=store):
                if progress_id:
                    report_progress(
                        progress_id,
                        done=n - 1,
                        total=len(stores),
                        message=f"{store.name}: {done}/{of} items",
                    )

            total += forecast_link.forecast_store(store=store, progress=step)
            if progress_id:
                report_progress(progress_id, done=n, total=len(stores))
    except Exception as exc:
        if progress_id:
            finish_progress(progress_id, error=f"{type(exc).__name__}: {exc}")
        raise
    if progress_id:
        finish_progress(progress_id, result={"series": total})
    return total


@cron("15 2 * * *")
@task
def nightly_forecast() -> int:
    return forecast_stores.call()
