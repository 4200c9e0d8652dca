"""One way to start background work: after the transaction that made its data commits."""

import logging
import time
from functools import partial

from django.db import OperationalError, transaction

logger = logging.getLogger(__name__)

# A busy SQLite database can refuse the enqueue's own small write for longer than its busy
# timeout (hundreds of writers at once); a short back-off and retry gets it in.
ENQUEUE_ATTEMPTS = 3
ENQUEUE_BACKOFF_SECONDS = 0.2


def enqueue_on_commit(task, *args, **kwargs) -> None:
    """Enqueue `task` once the current transaction commits (at once outside one), so a
    worker never looks for rows that do not exist yet."""
    transaction.on_commit(partial(_enqueue_with_retry, task, *args, **kwargs), robust=True)


def _enqueue_with_retry(task, *args, **kwargs):
    for attempt in range(1, ENQUEUE_ATTEMPTS + 1):
        try:
            return task.enqueue(*args, **kwargs)
        except OperationalError as error:
            if "locked" not in str(error) or attempt == ENQUEUE_ATTEMPTS:
                raise
            logger.info("enqueue of %s retried: %s", getattr(task, "name", task), error)
            time.sleep(ENQUEUE_BACKOFF_SECONDS * attempt)
    return None
