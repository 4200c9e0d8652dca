from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from concierge.finance import services
from concierge.finance.models import Transaction
from concierge.finance.tests.conftest import cat

D = Decimal


@pytest.fixture
def filled(user, account, card):
    today = services.today_for(user)
    for i in range(30):
        services.record_transaction(
            user=user,
            account=account if i % 2 else card,
            kind="expense",
            amount=D(10 + i),
            on=today - timedelta(i),
            category=cat(user, "groceries"),
            payee=f"Shop {i}",
            tags=["home"] if i % 3 == 0 else [],
        )
    services.record_transaction(
        user=user,
        account=account,
        kind="income",
        amount=D("50000"),
        on=today,
        category=cat(user, "salary"),
        payee="Employer",
    )
    services.set_budget(user=user, category=cat(user, "food"), amount=D("5000"))
    services.set_budget(user=user, category=None, amount=D("20000"))
    services.create_goal(
        user=user, name="Goa trip", target_amount=D("30000"), saved_amount=D("5000")
    )
    return user


PAGES = [
    "index",
    "transactions",
    "transaction_new",
    "accounts",
    "categories",
    "rates",
    "budgets",
    "recurring",
    "goals",
    "report",
    "report_csv",
    "report_pdf",
    "export",
    "import",
    "household",
    "quick_add",
    "bulk_delete",
]


@pytest.mark.parametrize("name", PAGES)
def test_every_page_works(client, filled, name):
    client.force_login(filled)
    response = client.get(reverse(f"finance:{name}"))
    assert response.status_code == 200


def test_dashboard_shows_charts_and_budgets(client, filled, django_assert_max_num_queries):
    client.force_login(filled)
    with django_assert_max_num_queries(45):
        html = client.get(reverse("finance:index")).content.decode()
    for chart in ("fin-budgets", "fin-donut", "fin-daily", "fin-months"):
        assert f'id="{chart}"' in html
    assert "Food" in html and "Goa trip" in html


def test_transaction_list_has_no_n_plus_one(client, filled, django_assert_max_num_queries):
    client.force_login(filled)
    with django_assert_max_num_queries(14):
        response = client.get(reverse("finance:transactions"))
    assert response.content.decode().count("/delete/") == 31


def test_filters_and_totals(client, filled):
    client.force_login(filled)
    html = client.get(
        reverse("finance:transactions"), {"tag": "home", "max_amount": "20"}
    ).content.decode()
    # tagged rows: i = 0, 3, 6, 9 → amounts 10, 13, 16, 19
    assert "4 transactions" in html and "58.00" in html


def test_keyset_pages_walk_every_row(client, filled):
    client.force_login(filled)
    seen, url = [], reverse("finance:transactions")
    params = {}
    from concierge.finance import selectors

    qs = selectors.search_transactions(user=filled)
    cursor = ""
    while True:
        page = selectors.page_after(qs, cursor=cursor, per_page=7)
        seen += [t.pk for t in page.items]
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    assert len(seen) == len(set(seen)) == 31
    assert client.get(url, {"after": cursor, **params}).status_code == 200


def test_quick_add_then_confirm(client, user, account):
    client.force_login(user)
    response = client.post(reverse("finance:quick_add"), {"line": "120 coffee"})
    html = response.content.decode()
    assert response.status_code == 200 and "Tea &amp; coffee" in html
    form = {
        "kind": "expense",
        "amount": "120",
        "on": date.today().isoformat(),
        "account": account.pk,
        "category": cat(user, "coffee").pk,
        "payee": "coffee",
        "from_quick": "1",
    }
    response = client.post(reverse("finance:transaction_new"), form)
    assert response.status_code == 302
    txn = Transaction.objects.get(owner=user)
    assert txn.source == "quick" and txn.amount == D("120")


def test_bad_form_input_shows_errors_not_500(client, user, account):
    client.force_login(user)
    response = client.post(
        reverse("finance:transaction_new"), {"kind": "expense", "amount": "-3", "on": "x"}
    )
    assert response.status_code == 200 and "is-invalid" in response.content.decode()
    response = client.post(reverse("finance:quick_add"), {"line": "coffee"})
    assert "Start with an amount" in response.content.decode()


def test_bulk_delete_confirmation_states_what_goes(client, filled):
    client.force_login(filled)
    today = services.today_for(filled)
    start = (today - timedelta(days=4)).isoformat()
    html = client.get(
        reverse("finance:bulk_delete"), {"start": start, "end": today.isoformat()}
    ).content.decode()
    assert "exactly 6 transactions" in html
    response = client.post(
        reverse("finance:bulk_delete"),
        {"start": start, "end": today.isoformat(), "expected": "6", "confirm": "1"},
    )
    assert response.status_code == 302
    assert Transaction.objects.filter(owner=filled, deleted_at__isnull=True).count() == 25
    batch = client.session["finance_undo"]
    client.post(reverse("finance:undo"), {"batch": batch})
    assert Transaction.objects.filter(owner=filled, deleted_at__isnull=True).count() == 31


def test_import_preview_then_commit(client, user, account, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(user)
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile(
        "bank.csv", b"Date,Description,Amount\n2026-01-02,Tea,-10.00\n2026-01-03,Pay,500\n"
    )
    html = client.post(
        reverse("finance:import"), {"account": account.pk, "file": upload}
    ).content.decode()
    assert "2 new" in html and not Transaction.objects.exists()
    response = client.post(reverse("finance:import"), {"step": "commit"})
    assert response.status_code == 302
    assert Transaction.objects.filter(account=account).count() == 2


def test_report_csv_has_categories_and_comparison(client, filled):
    client.force_login(filled)
    body = client.get(reverse("finance:report_csv")).content.decode("utf-8-sig")
    assert "Food" in body and "Previous period" in body


def test_report_pdf_in_tamil(client, filled):
    filled.language = "ta"
    filled.save()
    client.force_login(filled)
    response = client.get(reverse("finance:report_pdf"))
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_home_dashboard_card(client, filled):
    client.force_login(filled)
    html = client.get("/").content.decode()
    assert "Money this month" in html
