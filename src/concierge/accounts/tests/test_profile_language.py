import pytest
from django.urls import reverse

from concierge.accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_choosing_tamil_shows_the_dashboard_in_tamil(client):
    user = UserFactory()
    client.force_login(user)
    response = client.post(reverse("accounts:set_language"), {"language": "ta", "next": "/"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.language == "ta"
    page = client.get("/").content.decode()
    assert 'lang="ta"' in page
    assert "வணக்கம்" in page  # "Hello" on the dashboard


def test_profile_form_shows_errors_next_to_the_field(client):
    client.force_login(UserFactory())
    response = client.post(
        reverse("accounts:profile"), {"language": "xx", "timezone": "Nowhere", "currency": "INR"}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert 'aria-invalid="true"' in body and "invalid-feedback" in body


def test_anonymous_language_switch_uses_a_cookie(client):
    response = client.post(reverse("accounts:set_language"), {"language": "hi", "next": "/"})
    assert response.cookies["django_language"].value == "hi"
    assert 'lang="hi"' in client.get("/").content.decode()
