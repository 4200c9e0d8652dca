import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError

from concierge.accounts.tests.factories import OrganisationFactory, UserFactory
from concierge.feedback import selectors, services
from concierge.feedback.models import Rating

pytestmark = pytest.mark.django_db


def test_one_rating_per_user_and_object_is_editable():
    org, user = OrganisationFactory(), UserFactory()
    services.rate(user=user, target=org, score=2, comment="slow")
    services.rate(user=user, target=org, score=5, comment="better now")
    rating = Rating.objects.get()
    assert (rating.score, rating.comment) == (5, "better now")


@pytest.mark.parametrize("score", [0, 6, -1])
def test_score_outside_1_to_5_is_refused(score):
    with pytest.raises(ValidationError):
        services.rate(user=UserFactory(), target=OrganisationFactory(), score=score)
    assert not Rating.objects.exists()


def test_summary_average_count_and_distribution():
    org = OrganisationFactory()
    for score in [5, 5, 4, 1]:
        services.rate(user=UserFactory(), target=org, score=score)
    summary = selectors.summary_for(org)
    assert summary.count == 4 and summary.average == 3.75
    assert summary.distribution == {5: 2, 4: 1, 3: 0, 2: 0, 1: 1}


def test_moderated_reviews_are_hidden_until_published():
    org = OrganisationFactory()
    rating = services.rate(user=UserFactory(), target=org, score=1, comment="rude", moderated=True)
    assert selectors.summary_for(org).count == 0
    admin = UserFactory(is_superuser=True)
    services.moderate(moderator=admin, rating=rating, publish=True)
    assert selectors.summary_for(org).count == 1


def test_rating_view_validates_and_404s_for_unknown_objects(client):
    org = OrganisationFactory()
    client.force_login(UserFactory())
    ct = ContentType.objects.get_for_model(org).pk
    bad = client.post(f"/feedback/rate/{ct}/{org.pk}/", {"score": "9"}, HTTP_HX_REQUEST="true")
    assert bad.status_code == 200 and "invalid-feedback" in bad.content.decode()
    assert client.post(f"/feedback/rate/{ct}/999999/", {"score": "3"}).status_code == 404
    ok = client.post(f"/feedback/rate/{ct}/{org.pk}/", {"score": "4"}, HTTP_HX_REQUEST="true")
    assert "Thank you" in ok.content.decode()
