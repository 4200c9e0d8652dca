import pytest

from concierge.accounts.models import Role
from concierge.helpdesk.tests.factories import OrganisationFactory, QueueFactory, member


@pytest.fixture
def org(db):
    return OrganisationFactory(slug="acme", is_public=True)


@pytest.fixture
def customer(org):
    return member(org, Role.CUSTOMER, display_name="Priya Customer")


@pytest.fixture
def agent(org):
    return member(org, Role.AGENT, display_name="Asha Agent")


@pytest.fixture
def agent2(org):
    return member(org, Role.AGENT, display_name="Ravi Agent")


@pytest.fixture
def manager(org):
    return member(org, Role.MANAGER, display_name="Kavya Manager")


@pytest.fixture
def stranger(db):
    other = OrganisationFactory()
    return member(other, Role.AGENT, display_name="Someone Else")


@pytest.fixture
def queue(org, agent, manager):
    from concierge.helpdesk.models import QueueMember, RoutingRule

    q = QueueFactory(organisation=org, name="Support", manager=manager)
    QueueMember.objects.create(queue=q, user=agent, languages="en,hi")
    RoutingRule.objects.create(organisation=org, name="Everything", position=100, queue=q)
    return q
