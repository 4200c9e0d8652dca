import re

import pytest
from django.core import mail
from django.urls import reverse

from concierge.accounts.models import User
from concierge.accounts.tests.factories import UserFactory
from concierge.core.models import AuditEvent
from concierge.notifications.models import Notification

pytestmark = pytest.mark.django_db


def sign_up(client, email="new@example.com", password="a-long-unusual-passphrase"):
    return client.post(
        reverse("account_signup"), {"email": email, "password1": password, "password2": password}
    )


def test_sign_up_sends_a_verification_email_through_the_outbox(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = sign_up(client)
    assert response.status_code == 302
    assert User.objects.filter(email="new@example.com").exists()
    assert len(mail.outbox) == 1
    assert "new@example.com" in mail.outbox[0].to
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+", mail.outbox[0].body)
    assert link, mail.outbox[0].body


def test_verifying_the_email_signs_the_user_in(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        sign_up(client)
    path = re.search(r"https?://[^/]+(/accounts/confirm-email/\S+)", mail.outbox[0].body).group(1)
    response = client.post(path)
    assert response.status_code == 302
    assert client.get(reverse("core:home")).context["user"].email == "new@example.com"


def test_sign_up_with_a_taken_email_says_so(client):
    UserFactory(email="taken@example.com")
    response = sign_up(client, email="taken@example.com")
    assert response.status_code == 200
    assert "already" in response.content.decode().lower()
    assert User.objects.filter(email="taken@example.com").count() == 1


def test_sign_up_with_a_weak_password_is_refused_with_a_message(client):
    response = sign_up(client, password="password")
    assert response.status_code == 200
    body = response.content.decode().lower()
    assert "too common" in body or "too short" in body
    assert not User.objects.filter(email="new@example.com").exists()


def login(client, email, password="correct-horse-battery"):
    return client.post(reverse("account_login"), {"login": email, "password": password})


def test_login_from_a_new_browser_sends_a_security_notice(
    client, django_capture_on_commit_callbacks
):
    user = UserFactory(email="me@example.com")
    login(client, "me@example.com")  # first browser: the one used to sign up, no notice
    client.logout()
    client.cookies.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = login(client, "me@example.com")
    assert response.status_code == 302
    notice = Notification.objects.get(recipient=user, event="accounts.new_sign_in")
    assert "New sign-in" in notice.title
    assert any("New sign-in" in m.subject for m in mail.outbox)


def test_login_again_from_the_same_browser_sends_no_notice(client):
    user = UserFactory(email="me@example.com")
    login(client, "me@example.com")
    client.post(reverse("account_logout"))  # the device cookie stays
    login(client, "me@example.com")
    assert not Notification.objects.filter(recipient=user, event="accounts.new_sign_in").exists()
    assert AuditEvent.objects.filter(actor=user, kind="login").count() == 2


def test_failed_login_is_audited_and_explained(client):
    user = UserFactory(email="me@example.com")
    response = login(client, "me@example.com", password="wrong")
    assert response.status_code == 200
    assert "not correct" in response.content.decode().lower()
    assert AuditEvent.objects.filter(actor=user, kind="login_failed").exists()


def test_login_is_rate_limited(client):
    UserFactory(email="me@example.com")
    for _ in range(6):
        response = login(client, "me@example.com", password="wrong")
    assert response.status_code in (200, 429)
    assert "too many" in response.content.decode().lower()


def test_password_reset_mail_goes_through_the_outbox(client, django_capture_on_commit_callbacks):
    UserFactory(email="me@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("account_reset_password"), {"email": "me@example.com"})
    assert response.status_code == 302
    assert mail.outbox and "/accounts/password/reset/key/" in mail.outbox[-1].body


def test_password_reset_for_an_unknown_address_says_so(client):
    response = client.post(reverse("account_reset_password"), {"email": "nobody@example.com"})
    assert response.status_code == 200
    assert "not assigned to any user account" in response.content.decode()
