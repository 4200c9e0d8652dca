import factory
from django.utils import timezone

from concierge.accounts.models import Membership, Role
from concierge.accounts.tests.factories import OrganisationFactory, UserFactory
from concierge.helpdesk.models import (
    Queue,
    QueueMember,
    RoutingRule,
    SLAPolicy,
    Ticket,
    TicketCategory,
)

__all__ = ["OrganisationFactory", "UserFactory"]


def member(org, role=Role.CUSTOMER, **user_fields):
    user = UserFactory(**user_fields)
    Membership.objects.create(user=user, organisation=org, role=role)
    return user


class QueueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Queue

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Queue {n}")
    assignment = Queue.Assignment.LEAST_OPEN


class QueueMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = QueueMember

    queue = factory.SubFactory(QueueFactory)
    user = factory.SubFactory(UserFactory)
    languages = "en"


class TicketCategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TicketCategory

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Category {n}")


class RoutingRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RoutingRule

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Rule {n}")
    queue = factory.SubFactory(QueueFactory, organisation=factory.SelfAttribute("..organisation"))


class SLAPolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SLAPolicy

    organisation = factory.SubFactory(OrganisationFactory)
    priority = "normal"
    first_response_minutes = 120
    resolution_minutes = 960
    warn_before_minutes = 30


class TicketFactory(factory.django.DjangoModelFactory):
    """A bare ticket row (no routing); use services.create_ticket for the real flow."""

    class Meta:
        model = Ticket

    organisation = factory.SubFactory(OrganisationFactory)
    number = factory.Sequence(lambda n: n + 1000)
    subject = factory.Sequence(lambda n: f"Problem {n}")
    description = "Something is wrong."
    created_at = factory.LazyFunction(timezone.now)
    updated_at = factory.LazyFunction(timezone.now)
