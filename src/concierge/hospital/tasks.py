"""Background work: release holds whose time ran out (every minute)."""

from crontask import cron
from django.tasks import task

from concierge.hospital import services


@cron("* * * * *")
@task
def expire_bed_holds() -> int:
    return services.expire_holds()
