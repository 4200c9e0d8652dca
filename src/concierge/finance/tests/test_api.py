from decimal import Decimal

import pytest

from concierge.finance import services
from concierge.finance.models import Transaction
from concierge.finance.tests.conftest import cat

D = Decimal


@pytest.fixture
def api(client, user):
    client.force_login(user)
    return client


def test_create_list_filter_update_delete(api, user, account):
    r = api.post(
        "/api/finance/transactions",
        {
            "account_id": account.pk,
            "kind": "expense",
            "amount": "120.50",
            "on": "2026-01-02",
            "category_id": cat(user, "coffee").pk,
            "payee": "Cafe",
            "tags": ["work"],
        },
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    txn_id = r.json()["id"]
    listing = api.get("/api/finance/transactions", {"tag": "work", "min_amount": "100"}).json()
    assert listing["count"] == 1 and listing["items"][0]["amount"] == "120.50"
    assert api.get("/api/finance/transactions", {"q": "nothing"}).json()["count"] == 0
    r = api.patch(
        f"/api/finance/transactions/{txn_id}", {"amount": "99"}, content_type="application/json"
    )
    assert r.status_code == 200 and r.json()["amount"] == "99.00"
    assert api.delete(f"/api/finance/transactions/{txn_id}").status_code == 204
    assert api.get(f"/api/finance/transactions/{txn_id}").status_code == 404


def test_bad_input_is_422_with_field_errors(api, account):
    r = api.post(
        "/api/finance/transactions",
        {"account_id": account.pk, "kind": "expense", "amount": "-5", "on": "2026-01-02"},
        content_type="application/json",
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "amount"
    r = api.post(
        "/api/finance/transactions",
        {"account_id": account.pk, "kind": "expense"},
        content_type="application/json",
    )
    assert r.status_code == 422 and r.json()["errors"]


def test_bulk_with_idempotency_key(api, account):
    body = {
        "idempotency_key": "abc",
        "items": [
            {"account_id": account.pk, "kind": "expense", "amount": "5", "on": "2026-01-02"},
            {"account_id": account.pk, "kind": "income", "amount": "7", "on": "2026-01-03"},
        ],
    }
    first = api.post("/api/finance/transactions/bulk", body, content_type="application/json")
    again = api.post("/api/finance/transactions/bulk", body, content_type="application/json")
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["replayed"] and Transaction.objects.count() == 2


def test_bulk_with_one_bad_item_writes_nothing(api, account):
    body = {
        "idempotency_key": "bad",
        "items": [
            {"account_id": account.pk, "kind": "expense", "amount": "5", "on": "2026-01-02"},
            {"account_id": account.pk, "kind": "expense", "amount": "0", "on": "2026-01-02"},
        ],
    }
    r = api.post("/api/finance/transactions/bulk", body, content_type="application/json")
    assert r.status_code == 422 and not Transaction.objects.exists()


def test_budgets_with_status_and_reports(api, user, account):
    today = services.today_for(user)
    r = api.post(
        "/api/finance/budgets",
        {"category_id": cat(user, "food").pk, "amount": "1000"},
        content_type="application/json",
    )
    assert r.status_code == 201
    services.record_transaction(
        user=user,
        account=account,
        kind="expense",
        amount=D("850"),
        on=today,
        category=cat(user, "groceries"),
    )
    status = api.get("/api/finance/budgets").json()[0]
    assert status["percent"] == 85 and status["spent"] == "850.00"
    report = api.get("/api/finance/reports", {"month": f"{today:%Y-%m}"}).json()
    assert report["expense"] == "850.00" and report["by_category"][0]["name"] == "Food"
    assert api.get("/api/finance/reports", {"month": "garbage"}).status_code == 422


def test_import_dry_run_then_commit(api, account):
    from django.core.files.uploadedfile import SimpleUploadedFile

    def upload(dry):
        f = SimpleUploadedFile("b.csv", b"Date,Description,Amount\n2026-01-02,Tea,-10.00\n")
        return api.post(
            "/api/finance/import", {"account_id": account.pk, "dry_run": dry, "file": f}
        )

    r = upload("true")
    assert r.status_code == 200 and r.json()["imported"] == 1 and not Transaction.objects.exists()
    r = upload("false")
    assert r.status_code == 201 and Transaction.objects.count() == 1
    bad = SimpleUploadedFile("e.qif", b"")
    r = api.post("/api/finance/import", {"account_id": account.pk, "dry_run": "false", "file": bad})
    assert r.status_code == 422 and r.json()["detail"] == "The file is empty."


def test_money_question(api, user, account):
    today = services.today_for(user)
    services.record_transaction(
        user=user,
        account=account,
        kind="expense",
        amount=D("300"),
        on=today,
        category=cat(user, "groceries"),
    )
    answer = api.get("/api/finance/ask", {"q": "how much did I spend on food this month?"}).json()[
        "answer"
    ]
    assert "300.00 INR" in answer and "Food" in answer
    assert api.get("/api/finance/ask", {"q": "what is the weather?"}).json()["answer"] is None
    services.set_budget(user=user, category=None, amount=D("200"))
    answer = api.get("/api/finance/ask", {"q": "am I over budget?"}).json()["answer"]
    assert answer.startswith("Yes")
