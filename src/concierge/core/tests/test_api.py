import pytest

from concierge.accounts import services as account_services
from concierge.accounts.models import Role
from concierge.accounts.tests.factories import MembershipFactory, UserFactory
from concierge.notifications.services import notify

pytestmark = pytest.mark.django_db


def bearer(token: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def test_token_is_hashed_at_rest_and_works():
    user = UserFactory()
    new = account_services.create_api_token(user=user, name="script")
    assert new.plain.startswith("cg_") and new.plain not in new.token.secret_hash
    assert account_services.user_for_token(new.plain) == user


def test_api_with_a_bad_token_is_401_with_the_error_format(client):
    response = client.get("/api/accounts/me", **bearer("cg_nope_nope"))
    assert response.status_code == 401
    body = response.json()
    assert set(body) == {"detail", "errors"} and "token" in body["detail"].lower()


def test_revoked_token_stops_working(client):
    user = UserFactory()
    new = account_services.create_api_token(user=user, name="script")
    assert client.get("/api/accounts/me", **bearer(new.plain)).status_code == 200
    account_services.revoke_api_token(user=user, token_id=new.token.pk)
    assert client.get("/api/accounts/me", **bearer(new.plain)).status_code == 401


def test_malformed_json_is_a_clear_4xx(client):
    user = UserFactory()
    new = account_services.create_api_token(user=user, name="script")
    response = client.patch(
        "/api/accounts/me", data="{not json", content_type="application/json", **bearer(new.plain)
    )
    assert 400 <= response.status_code < 500
    assert "detail" in response.json()


def test_invalid_field_values_name_the_field(client):
    user = UserFactory()
    new = account_services.create_api_token(user=user, name="script")
    response = client.patch(
        "/api/accounts/me",
        data={"language": "xx"},
        content_type="application/json",
        **bearer(new.plain),
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "language"


def test_lists_are_paginated(client):
    user = UserFactory()
    for i in range(7):
        notify(user, "notifications.test", {}, dedup_key=str(i))
    client.force_login(user)
    body = client.get("/api/notifications/?per_page=3&page=2").json()
    assert body["count"] == 7 and body["pages"] == 3 and body["page"] == 2
    assert len(body["items"]) == 3 and body["next"] == 3


def test_stranger_gets_404_on_another_organisations_members(client):
    admin = MembershipFactory(role=Role.ADMIN)
    client.force_login(UserFactory())
    response = client.get(f"/api/accounts/organisations/{admin.organisation.slug}/members")
    assert response.status_code == 404
    assert response.json()["detail"] == "Not found."


def test_session_auth_needs_csrf_for_writes():
    from django.test import Client

    user = UserFactory()
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(user)
    response = strict.post(
        "/api/accounts/tokens", data={"name": "x"}, content_type="application/json"
    )
    assert response.status_code in (401, 403)


def test_openapi_schema_and_docs_are_served(client):
    schema = client.get("/api/openapi.json").json()
    assert schema["info"]["title"] == "Concierge API"
    assert any(p.startswith("/api/accounts/") for p in schema["paths"])
    assert client.get("/api/docs").status_code == 200
