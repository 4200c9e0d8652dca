import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse

from concierge.accounts import services
from concierge.accounts.models import Membership, Role
from concierge.accounts.tests.factories import MembershipFactory, OrganisationFactory, UserFactory
from concierge.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_creator_becomes_admin():
    owner = UserFactory()
    org = services.create_organisation(owner=owner, name="Sunrise Clinic", kind="hospital")
    assert org.slug == "sunrise-clinic"
    assert Membership.objects.get(user=owner, organisation=org).role == Role.ADMIN


def test_stranger_gets_404_on_another_organisation(client):
    org = OrganisationFactory()
    MembershipFactory(organisation=org, role=Role.ADMIN)
    client.force_login(UserFactory())
    for name in [
        "accounts:organisation",
        "accounts:organisation_settings",
        "accounts:organisation_audit",
    ]:
        assert client.get(reverse(name, args=[org.slug])).status_code == 404


def test_customer_cannot_open_admin_pages(client):
    membership = MembershipFactory(role=Role.CUSTOMER)
    client.force_login(membership.user)
    slug = membership.organisation.slug
    assert client.get(reverse("accounts:organisation", args=[slug])).status_code == 200
    assert client.get(reverse("accounts:organisation_audit", args=[slug])).status_code == 404


def test_last_admin_cannot_leave_or_be_demoted():
    admin = MembershipFactory(role=Role.ADMIN)
    with pytest.raises(ValidationError):
        services.remove_member(actor=admin.user, membership=admin)
    with pytest.raises(ValidationError):
        services.change_role(actor=admin.user, membership=admin, role=Role.AGENT)
    assert Membership.objects.filter(pk=admin.pk, role=Role.ADMIN).exists()


def test_second_admin_lets_the_first_leave():
    first = MembershipFactory(role=Role.ADMIN)
    MembershipFactory(organisation=first.organisation, role=Role.ADMIN)
    services.remove_member(actor=first.user, membership=first)
    assert not Membership.objects.filter(pk=first.pk).exists()


def test_role_change_is_audited_and_needs_an_admin():
    admin = MembershipFactory(role=Role.ADMIN)
    agent = MembershipFactory(organisation=admin.organisation, role=Role.AGENT)
    services.change_role(actor=admin.user, membership=agent, role=Role.MANAGER)
    event = AuditEvent.objects.get(kind="role_changed")
    assert event.organisation == admin.organisation and "agent → manager" in event.summary
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.change_role(actor=agent.user, membership=admin, role=Role.CUSTOMER)


def test_invitation_by_email_then_accept(client, django_capture_on_commit_callbacks):
    admin = MembershipFactory(role=Role.ADMIN)
    with django_capture_on_commit_callbacks(execute=True):
        invitation = services.invite_member(
            actor=admin.user,
            organisation=admin.organisation,
            email="New.Agent@Example.com",
            role=Role.AGENT,
        )
    assert mail.outbox[-1].to == ["new.agent@example.com"]
    assert invitation.token in mail.outbox[-1].body
    invitee = UserFactory(email="new.agent@example.com")
    client.force_login(invitee)
    response = client.post(reverse("accounts:accept_invitation", args=[invitation.token]))
    assert response.status_code == 302
    assert Membership.objects.get(user=invitee).role == Role.AGENT


def test_invitation_for_someone_else_is_refused(client):
    admin = MembershipFactory(role=Role.ADMIN)
    invitation = services.invite_member(
        actor=admin.user, organisation=admin.organisation, email="a@example.com", role=Role.AGENT
    )
    client.force_login(UserFactory(email="b@example.com"))
    response = client.post(reverse("accounts:accept_invitation", args=[invitation.token]))
    assert response.status_code == 400
    assert "another e-mail" in response.content.decode()
