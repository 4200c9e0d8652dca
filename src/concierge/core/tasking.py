"""One way to start background work: after the transaction that made its data commits."""

from functools import partial

from django.db import transaction


def enqueue_on_commit(task, *args, **kwargs) -> None:
    """Enqueue `task` once the current transaction commits (at once outside one), so a
    worker never looks for rows that do not exist yet."""
    transaction.on_commit(partial(task.enqueue, *args, **kwargs), robust=True)
