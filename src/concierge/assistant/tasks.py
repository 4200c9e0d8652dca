"""Background work: (re)training engines and turning unanswered hand-offs into tickets."""

from crontask import cron
from django.tasks import task

from concierge.assistant import services


@task
def rebuild_engine(organisation_id: int) -> dict:
    """Debounced by services.schedule_rebuild; skips when a later run already covered it."""
    return services.rebuild_engine(organisation_id=organisation_id)


@cron("*/5 * * * *")
@task
def rebuild_stale_engines() -> int:
    """Knowledge-base articles change in the helpdesk: pick those changes up every 5 minutes."""
    return services.rebuild_stale()


@cron("* * * * *")
@task
def expire_waiting_chats() -> int:
    """A chat nobody accepted within the organisation's waiting time becomes a ticket."""
    return services.expire_waiting()
