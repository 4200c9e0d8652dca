from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from concierge.accounts.tests.factories import UserFactory
from concierge.notifications import services
from concierge.notifications.models import Notification, OutboxEmail
from concierge.notifications.registry import EventType, register

pytestmark = pytest.mark.django_db

register(EventType(key="tests.once", title="Budget {{ name }} at 80 %", body="Spent {{ spent }}"))
register(EventType(key="tests.windowed", title="Reminder", dedup_window=timedelta(hours=1)))


def test_notify_writes_inbox_item_and_email_in_the_users_language(
    django_capture_on_commit_callbacks,
):
    user = UserFactory(language="ta")
    with django_capture_on_commit_callbacks(execute=True):
        services.notify(user, "notifications.test", {})
    item = Notification.objects.get(recipient=user)
    assert item.title == "சோதனை அறிவிப்பு"
    assert mail.outbox[0].subject == item.title
    assert "/notifications/unsubscribe/" in mail.outbox[0].body


def test_same_event_for_same_key_is_sent_once(django_capture_on_commit_callbacks):
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        first = services.notify(
            user, "tests.once", {"name": "Food", "spent": 850}, dedup_key="budget:1:2026-11:80"
        )
        second = services.notify(
            user, "tests.once", {"name": "Food", "spent": 860}, dedup_key="budget:1:2026-11:80"
        )
    assert first is not None and second is None
    assert Notification.objects.filter(recipient=user).count() == 1
    assert len(mail.outbox) == 1
    assert first.title == "Budget Food at 80 %"


def test_windowed_event_is_sent_again_after_its_window():
    user = UserFactory()
    assert services.notify(user, "tests.windowed", {}) is not None
    assert services.notify(user, "tests.windowed", {}) is None
    later = timezone.now() + timedelta(hours=2)
    with mock.patch("django.utils.timezone.now", return_value=later):
        assert services.notify(user, "tests.windowed", {}) is not None


def test_preferences_turn_channels_off():
    user = UserFactory()
    services.set_preference(user=user, event="tests.once", channel="email", enabled=False)
    services.notify(user, "tests.once", {"name": "x", "spent": 1})
    assert Notification.objects.filter(recipient=user).exists()
    assert not OutboxEmail.objects.filter(recipient=user).exists()


def test_smtp_outage_delays_mail_and_loses_none(settings, django_capture_on_commit_callbacks):
    user = UserFactory()
    with (
        mock.patch(
            "django.core.mail.EmailMultiAlternatives.send",
            side_effect=ConnectionRefusedError("SMTP down"),
        ),
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.notify(user, "notifications.test", {})
    email = OutboxEmail.objects.get(recipient=user)
    assert email.status == OutboxEmail.Status.PENDING
    assert email.attempts == 1 and "SMTP down" in email.last_error
    assert email.next_attempt_at > timezone.now()
    assert services.deliver_due() == 0  # not due yet
    with mock.patch(
        "django.utils.timezone.now", return_value=timezone.now() + timedelta(minutes=5)
    ):
        assert services.deliver_due() == 1
    email.refresh_from_db()
    assert email.status == OutboxEmail.Status.SENT
    assert len(mail.outbox) == 1


def test_mail_that_keeps_failing_is_marked_failed_for_the_admin():
    user = UserFactory()
    services.notify(user, "notifications.test", {})
    email = OutboxEmail.objects.get(recipient=user)
    with mock.patch("django.core.mail.EmailMultiAlternatives.send", side_effect=OSError("x")):
        for _ in range(services.MAX_ATTEMPTS):
            OutboxEmail.objects.filter(pk=email.pk).update(next_attempt_at=timezone.now())
            services.deliver(email_id=email.pk)
    email.refresh_from_db()
    assert email.status == OutboxEmail.Status.FAILED
    assert services.retry_failed(email_ids=[email.pk]) == 1


def test_unsubscribe_link_turns_email_off(client):
    user = UserFactory()
    url = services.unsubscribe_url(user=user, event="tests.once")
    response = client.get(url.replace("http://127.0.0.1:8000", ""))
    assert response.status_code == 200
    services.notify(user, "tests.once", {"name": "x", "spent": 1})
    assert not OutboxEmail.objects.filter(recipient=user).exists()
    assert client.get("/notifications/unsubscribe/forged/").status_code == 400


def test_daily_digest_collects_emails_into_one(django_capture_on_commit_callbacks):
    user = UserFactory(email_digest=True)
    services.notify(user, "tests.once", {"name": "a", "spent": 1}, dedup_key="a")
    services.notify(user, "tests.once", {"name": "b", "spent": 2}, dedup_key="b")
    assert len(mail.outbox) == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert services.send_digests() == 1
    assert len(mail.outbox) == 1
    assert "Budget a" in mail.outbox[0].body and "Budget b" in mail.outbox[0].body


def test_inbox_mark_read_and_bell(client):
    user = UserFactory()
    item = services.notify(user, "notifications.test", {}, url="/notifications/")
    client.force_login(user)
    assert 'data-unread="1"' in client.get(reverse("notifications:bell")).content.decode()
    client.post(reverse("notifications:read", args=[item.pk]))
    item.refresh_from_db()
    assert item.read_at is not None
    services.notify(user, "tests.once", {"name": "x", "spent": 1})
    client.post(reverse("notifications:read_all"))
    assert services.unread_count(user=user) == 0


def test_stranger_cannot_read_someone_elses_notification(client):
    item = services.notify(UserFactory(), "notifications.test", {})
    client.force_login(UserFactory())
    assert client.post(reverse("notifications:read", args=[item.pk])).status_code == 404


def test_inbox_pages_without_n_plus_one(client, django_assert_max_num_queries):
    user = UserFactory()
    for i in range(30):
        services.notify(user, "tests.once", {"name": i, "spent": i}, dedup_key=str(i))
    client.force_login(user)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("notifications:inbox")).status_code == 200
