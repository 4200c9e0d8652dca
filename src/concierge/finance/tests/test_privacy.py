"""Finance data is its owner's: strangers and superusers see none of it, anywhere."""

from datetime import date
from decimal import Decimal

import pytest
from django.contrib import admin
from django.urls import reverse

from concierge.finance import services
from concierge.finance.models import Transaction
from concierge.finance.tests.conftest import cat
from concierge.finance.tests.factories import AccountFactory, UserFactory

D = Decimal


@pytest.fixture
def secret(user, account):
    txn = services.record_transaction(
        user=user,
        account=account,
        kind="expense",
        amount=D("4321.99"),
        on=date(2026, 1, 2),
        category=cat(user, "doctor"),
        payee="Dr Secretpayee",
    )
    budget = services.set_budget(user=user, category=cat(user, "health"), amount=D("9999"))
    return txn, budget


def test_stranger_gets_404_on_pages(client, stranger, secret, account):
    txn, _budget = secret
    client.force_login(stranger)
    assert client.get(reverse("finance:transaction_edit", args=[txn.pk])).status_code == 404
    assert client.post(reverse("finance:transaction_delete", args=[txn.pk])).status_code == 404
    assert (
        client.post(
            reverse("finance:account_share", args=[account.pk]), {"shared": "1"}
        ).status_code
        == 404
    )
    html = client.get(reverse("finance:transactions")).content.decode()
    assert "Secretpayee" not in html and "4,321.99" not in html


def test_stranger_gets_404_in_the_api(client, stranger, secret, account):
    txn, budget = secret
    client.force_login(stranger)
    for url in (f"/api/finance/transactions/{txn.pk}", f"/api/finance/accounts/{account.pk}"):
        response = client.get(url)
        assert response.status_code == 404 and response.json()["detail"] == "Not found."
    assert (
        client.patch(
            f"/api/finance/transactions/{txn.pk}", {"amount": "1"}, content_type="application/json"
        ).status_code
        == 404
    )
    assert client.delete(f"/api/finance/budgets/{budget.pk}").status_code == 404
    assert client.get("/api/finance/transactions").json()["count"] == 0
    response = client.post(
        "/api/finance/transactions",
        {"account_id": account.pk, "kind": "expense", "amount": "1", "on": "2026-01-01"},
        content_type="application/json",
    )
    assert response.status_code == 404


def test_superuser_finds_nothing_in_admin_or_api(client, secret):
    boss = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(boss)
    assert not [m for m in admin.site._registry if m._meta.app_label == "finance"]
    index = client.get("/admin/").content.decode()
    assert "finance" not in index.lower()
    assert client.get("/admin/finance/transaction/").status_code == 404
    for url in (
        "/api/finance/transactions",
        "/api/finance/accounts",
        "/api/finance/budgets",
        "/api/finance/reports",
    ):
        body = client.get(url).content.decode()
        assert "Secretpayee" not in body and "4321.99" not in body, url


def test_household_member_sees_shared_accounts_only(client, user, account, secret):
    partner = UserFactory()
    private = AccountFactory(owner=user, name="Private")
    services.record_transaction(
        user=user,
        account=private,
        kind="expense",
        amount=D("77"),
        on=date(2026, 1, 3),
        payee="Hidden shop",
    )
    household = services.create_household(user=user, name="Home")
    member = services.invite_to_household(user=user, household=household, email=partner.email)
    services.accept_household(user=partner, token=member.token)
    services.share_account(user=user, account=account, shared=True)
    client.force_login(partner)
    html = client.get(reverse("finance:transactions")).content.decode()
    assert "Dr Secretpayee" in html and "Hidden shop" not in html
    assert client.get(f"/api/finance/accounts/{private.pk}").status_code == 404


def test_no_amounts_or_payees_in_logs(user, account, caplog):
    caplog.set_level("DEBUG")
    services.record_transaction(
        user=user,
        account=account,
        kind="expense",
        amount=D("1234.56"),
        on=date(2026, 1, 2),
        payee="LogPayee",
    )
    services.import_file(
        user=user,
        account=account,
        filename="x.csv",
        dry_run=False,
        data=b"Date,Description,Amount\n2026-01-05,LogImportPayee,-98.76\n",
    )
    text = caplog.text
    assert "1234.56" not in text and "LogPayee" not in text and "98.76" not in text
    assert Transaction.objects.filter(owner=user).count() == 2
