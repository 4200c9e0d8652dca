import pytest
from django.urls import reverse

from concierge.accounts.tests.factories import UserFactory
from concierge.core import services
from concierge.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_health_checks_database_cache_and_queue(client):
    response = client.get("/health")
    body = response.json()
    assert response.status_code == 200 and body["ok"] is True
    assert set(body["checks"]) == {"database", "cache", "queue"}


def test_pages_send_a_content_security_policy_with_a_nonce(client):
    response = client.get("/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self' 'nonce-" in policy
    nonce = policy.split("'nonce-")[1].split("'")[0]
    assert f'nonce="{nonce}"' in response.content.decode()  # the htmx script tag


@pytest.mark.parametrize(
    "language,text",
    [
        ("en", "We could not find this page."),
        ("hi", "हमें यह पेज नहीं मिला।"),
        ("ta", "இந்தப் பக்கத்தைக் கண்டுபிடிக்க முடியவில்லை."),
    ],
)
def test_404_page_in_every_language(client, language, text):
    client.cookies["django_language"] = language
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert text in response.content.decode()


def test_500_page_renders_without_the_database(rf):
    from concierge.core.views import server_error

    response = server_error(rf.get("/"))
    assert response.status_code == 500 and b"500" in response.content


def test_home_dashboard_for_a_signed_in_user(client):
    client.force_login(UserFactory(display_name="Priya"))
    body = client.get("/").content.decode()
    assert "Hello, Priya" in body and 'id="bell"' in body


def test_security_page_shows_only_my_events(client):
    me, other = UserFactory(), UserFactory()
    services.audit(kind="login", actor=me, summary="mine")
    services.audit(kind="login", actor=other, summary="theirs")
    client.force_login(me)
    body = client.get(reverse("accounts:security")).content.decode()
    assert "mine" in body and "theirs" not in body


def test_progress_is_private_and_reports(client):
    owner = UserFactory()
    progress = services.start_progress(owner=owner, kind="import", label="Importing", total=10)
    services.report_progress(progress.pk, done=5)
    client.force_login(owner)
    assert "50%" in client.get(reverse("core:progress", args=[progress.pk])).content.decode()
    services.finish_progress(progress.pk, result={"rows": 10}, result_url="/done/")
    assert "/done/" in client.get(reverse("core:progress", args=[progress.pk])).content.decode()
    client.force_login(UserFactory())
    assert client.get(reverse("core:progress", args=[progress.pk])).status_code == 404


def test_audit_never_stores_secrets():
    user = UserFactory()
    event = services.audit(kind="token_created", actor=user, summary="x" * 400)
    assert len(event.summary) == 255
    assert AuditEvent.objects.filter(actor=user).count() == 1


def test_a_broken_dashboard_card_does_not_take_the_dashboard_down(client, monkeypatch):
    from concierge.core.modules import module_configs

    config = module_configs()[0]

    def broken(request):
        raise RuntimeError("card exploded")

    monkeypatch.setattr(config, "dashboard_cards", broken)
    client.force_login(UserFactory())
    assert client.get("/").status_code == 200
