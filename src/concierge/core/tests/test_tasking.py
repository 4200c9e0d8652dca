import pytest
from django.db import OperationalError

from concierge.core import tasking


class FlakyTask:
    """Refuses the first `failures` enqueues with `error`, then records the call."""

    name = "flaky"

    def __init__(self, failures: int, error: str = "database is locked"):
        self.failures = failures
        self.error = error
        self.calls: list[tuple] = []

    def enqueue(self, *args, **kwargs):
        if self.failures:
            self.failures -= 1
            raise OperationalError(self.error)
        self.calls.append((args, kwargs))
        return "result"


def test_a_locked_database_is_retried_until_the_enqueue_gets_in(monkeypatch):
    monkeypatch.setattr(tasking, "ENQUEUE_BACKOFF_SECONDS", 0)
    task = FlakyTask(failures=2)

    assert tasking._enqueue_with_retry(task, 7, kind="x") == "result"
    assert task.calls == [((7,), {"kind": "x"})]


def test_other_database_errors_and_the_last_attempt_are_raised(monkeypatch):
    monkeypatch.setattr(tasking, "ENQUEUE_BACKOFF_SECONDS", 0)
    broken = FlakyTask(failures=1, error="no such table: django_tasks")
    locked = FlakyTask(failures=tasking.ENQUEUE_ATTEMPTS)

    for task in (broken, locked):
        with pytest.raises(OperationalError):
            tasking._enqueue_with_retry(task)
        assert task.calls == []


@pytest.mark.django_db
def test_enqueue_waits_for_the_commit(django_capture_on_commit_callbacks):
    task = FlakyTask(failures=0)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        tasking.enqueue_on_commit(task, 1)
    assert task.calls == []

    callbacks[0]()
    assert task.calls == [((1,), {})]
