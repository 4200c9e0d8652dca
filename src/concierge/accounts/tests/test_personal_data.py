import json

import pytest
from django.db.models.deletion import ProtectedError
from django.urls import reverse

from concierge.accounts import services
from concierge.accounts.models import Membership, Role, User
from concierge.accounts.tests.factories import MembershipFactory, UserFactory
from concierge.core.models import AuditEvent
from concierge.feedback.services import rate
from concierge.notifications.models import Notification
from concierge.notifications.services import notify

pytestmark = pytest.mark.django_db


def test_export_contains_profile_memberships_notifications_and_ratings(client):
    membership = MembershipFactory(user__email="me@example.com")
    user = membership.user
    notify(user, "notifications.test", {})
    rate(user=user, target=membership.organisation, score=4, comment="Helpful")
    client.force_login(user)
    response = client.post(reverse("accounts:export"))
    data = json.loads(response.content)
    assert data["profile"]["email"] == "me@example.com"
    assert data["memberships"][0]["organisation"] == membership.organisation.name
    assert data["notifications"][0]["event"] == "notifications.test"
    assert data["ratings"][0]["comment"] == "Helpful"
    assert AuditEvent.objects.filter(actor=user, kind="export").exists()


def test_delete_account_needs_the_email_typed(client):
    user = UserFactory(email="me@example.com")
    client.force_login(user)
    response = client.post(reverse("accounts:delete"), {"confirm_email": "other@example.com"})
    assert response.status_code == 200
    assert User.objects.get(pk=user.pk).is_active


def test_delete_account_scrubs_personal_data_but_keeps_what_others_rely_on(client):
    membership = MembershipFactory(user__email="me@example.com", role=Role.AGENT)
    user = membership.user
    rating = rate(user=user, target=membership.organisation, score=5)
    notify(user, "notifications.test", {})
    client.force_login(user)
    response = client.post(reverse("accounts:delete"), {"confirm_email": "me@example.com"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert not user.is_active and user.deleted_at is not None
    assert "me@example.com" not in user.email
    assert not Notification.objects.filter(recipient=user).exists()
    assert not Membership.objects.filter(user=user).exists()
    rating.refresh_from_db()  # the organisation's rating history is kept, now anonymous
    assert rating.user == user and user.display_name == "Deleted user"
    assert client.get(reverse("accounts:profile")).status_code == 302  # signed out


def test_last_admin_cannot_delete_their_account():
    admin = MembershipFactory(role=Role.ADMIN)
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.delete_account(user=admin.user, confirm_email=admin.user.email)


def test_deleting_an_organisation_with_history_is_refused_not_cascaded():
    """Modules protect their records; core history (audit) survives on its own."""
    membership = MembershipFactory()
    AuditEvent.objects.create(kind="other", organisation=membership.organisation)
    org_id = membership.organisation.pk
    try:
        membership.organisation.delete()
    except ProtectedError:
        return  # a module protected its records: nothing destroyed
    assert AuditEvent.objects.filter(kind="other").exists()
    assert not AuditEvent.objects.filter(organisation_id=org_id).exists()
