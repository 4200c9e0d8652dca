import factory

from concierge.accounts.models import Membership, Organisation, Role, User
from concierge.assistant.models import (
    AgentSeat,
    Conversation,
    FAQEntry,
    FAQParaphrase,
    FAQTranslation,
)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    display_name = factory.Sequence(lambda n: f"User {n}")
    password = factory.PostGenerationMethodCall("set_password", "pw-123456789")


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    kind = Organisation.Kind.COMPANY
    name = factory.Sequence(lambda n: f"Org {n}")
    slug = factory.Sequence(lambda n: f"org-{n}")
    language = "en"


def member(organisation, role=Role.CUSTOMER, **kwargs):
    user = UserFactory(**kwargs)
    Membership.objects.create(user=user, organisation=organisation, role=role)
    return user


class FAQEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FAQEntry

    organisation = factory.SubFactory(OrganisationFactory)
    slug = factory.Sequence(lambda n: f"entry-{n}")


def faq(organisation, slug, texts: dict, answers: dict, paraphrases: dict | None = None, **kwargs):
    """texts/answers: {lang: question} / {lang: answer}; paraphrases: {lang: [..]}."""
    entry = FAQEntryFactory(organisation=organisation, slug=slug, **kwargs)
    for lang, q in texts.items():
        FAQTranslation.objects.create(entry=entry, language=lang, question=q, answer=answers[lang])
    for lang, items in (paraphrases or {}).items():
        for text in items:
            FAQParaphrase.objects.create(entry=entry, language=lang, text=text)
    return entry


class ConversationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Conversation

    organisation = factory.SubFactory(OrganisationFactory)
    language = "en"


def seat(organisation, user=None, online=True, languages="en"):
    from django.utils import timezone

    user = user or member(organisation, Role.AGENT)
    return AgentSeat.objects.create(
        user=user,
        organisation=organisation,
        online=online,
        languages=languages,
        last_seen_at=timezone.now(),
    )
