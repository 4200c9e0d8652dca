import pytest
from allauth.mfa.models import Authenticator
from django.urls import reverse

from concierge.accounts.tests.factories import UserFactory
from concierge.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def sign_in_and_confirm_password(client, user, password="correct-horse-battery"):
    """allauth asks for the password again before security changes such as turning on 2FA."""
    client.post(reverse("account_login"), {"login": user.email, "password": password})
    client.post(reverse("account_reauthenticate"), {"password": password})


def test_wrong_totp_code_is_refused_with_a_message(client):
    user = UserFactory()
    sign_in_and_confirm_password(client, user)
    response = client.get(reverse("mfa_activate_totp"))
    assert response.status_code == 200
    response = client.post(reverse("mfa_activate_totp"), {"code": "000000"})
    assert response.status_code == 200
    assert "incorrect" in response.content.decode().lower()
    assert not Authenticator.objects.filter(user=user).exists()


def test_turning_on_totp_with_the_right_code_works_and_is_audited(
    client, django_capture_on_commit_callbacks
):
    from allauth.mfa.totp.internal.auth import (
        format_hotp_value,
        hotp_value,
        yield_hotp_counters_from_time,
    )

    user = UserFactory()
    sign_in_and_confirm_password(client, user)
    client.get(reverse("mfa_activate_totp"))
    secret = client.session.get("mfa.totp.secret")
    assert secret, "the activation page should keep a pending secret in the session"
    code = format_hotp_value(hotp_value(secret, next(yield_hotp_counters_from_time())))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("mfa_activate_totp"), {"code": code})
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=user, type="totp").exists()
    assert AuditEvent.objects.filter(actor=user, kind="mfa_changed").exists()
