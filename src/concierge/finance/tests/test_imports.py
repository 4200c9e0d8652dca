"""Every real bank file in the shared folder imports with the README's count and sum, or is
refused with a reason — and refused files write nothing."""

import json
import re
from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from concierge.finance import services
from concierge.finance.models import Transaction
from concierge.finance.tests.factories import AccountFactory

D = Decimal


def readme_facts(folder):
    facts = {}
    text = (folder / "README.md").read_text()
    for line in text.splitlines():
        cells = [c.strip() for c in line.split("|")]
        if len(cells) < 10 or not cells[1].startswith("`"):
            continue
        name = cells[1].strip("`")
        tx, total = cells[-3], cells[-2]
        broken = "**broken**" in cells[2]
        count = int(re.match(r"\d+", tx).group()) if re.match(r"\d+", tx) else 0
        cash = re.search(r"\((\d+) cash\)", tx)
        if cash:
            count = int(cash.group(1))
        if "bank" in tx:
            count = int(re.match(r"(\d+) bank", tx).group(1))
        amount = re.search(r"[-+]?[\d,]+\.\d\d", total)
        facts[name] = {
            "count": count,
            "broken": broken,
            "sum": D(amount.group().replace(",", "")) if amount else None,
        }
    return facts


def _files(folder):
    return sorted(
        p
        for p in folder.glob("*")
        if p.is_file() and p.name != "README.md" and not p.name.startswith(".")
    )


def test_every_real_file_imports_or_is_refused_with_a_reason(shared_data, user):
    folder = shared_data / "finance" / "imports"
    facts = readme_facts(folder)
    for currency in ("USD", "GBP", "EUR", "CAD", "AUD", "CHF"):
        services.set_rate(user=user, currency=currency, on=date(1980, 1, 1), rate=D("80"))
    files = _files(folder)
    assert len(files) >= 22
    for path in files:
        account = AccountFactory(owner=user, name=path.name[:90], currency="INR")
        data = path.read_bytes()
        result = services.import_file(
            user=user, account=account, data=data, filename=path.name, dry_run=True
        )
        if result.errors and "is in" in result.errors[0]["message"]:
            account.currency = next(
                c
                for c in ("USD", "GBP", "EUR", "CAD", "AUD", "CHF")
                if c in result.errors[0]["message"]
            )
            account.save()
            result = services.import_file(
                user=user, account=account, data=data, filename=path.name, dry_run=True
            )
        fact = facts.get(path.name)
        if result.errors:
            assert all(e["message"] for e in result.errors), path.name
            committed = services.import_file(
                user=user, account=account, data=data, filename=path.name, dry_run=False
            )
            assert committed.errors and not Transaction.objects.filter(account=account).exists()
            if fact:
                assert fact["broken"] or "invalid" in data.decode("latin-1"), (
                    path.name,
                    result.errors,
                )
            continue
        committed = services.import_file(
            user=user, account=account, data=data, filename=path.name, dry_run=False
        )
        assert committed.imported == result.imported == result.rows, path.name
        assert Transaction.objects.filter(account=account).count() == result.rows
        if fact:
            assert not fact["broken"], path.name
            assert result.rows == fact["count"], (path.name, result.rows, fact)
            assert result.sum == fact["sum"], (path.name, result.sum, fact)
            account.refresh_from_db()
            assert account.balance == fact["sum"]
        again = services.import_file(
            user=user, account=account, data=data, filename=path.name, dry_run=False
        )
        assert again.imported == 0 and again.duplicates == result.rows, path.name


def test_a_file_with_a_bad_row_writes_nothing(user, account):
    data = b"Date,Description,Amount\n2026-01-02,Tea,-10.00\n2026-01-03,Oops,abc\n"
    result = services.import_file(
        user=user, account=account, data=data, filename="x.csv", dry_run=False
    )
    assert result.errors == [{"row": 3, "message": "Row 3: the amount abc cannot be read."}]
    assert not Transaction.objects.filter(account=account).exists()


def test_hand_entered_rows_count_as_duplicates(user, account):
    services.record_transaction(
        user=user, account=account, kind="expense", amount=D("10"), on=date(2026, 1, 2)
    )
    data = b"Date,Description,Amount\n2026-01-02,Tea,-10.00\n2026-01-02,Tea,-10.00\n"
    result = services.import_file(
        user=user, account=account, data=data, filename="x.csv", dry_run=False
    )
    assert (result.imported, result.duplicates) == (1, 1)


def test_too_large_upload_is_refused(user, account, settings):
    settings.MAX_UPLOAD_BYTES = 100
    result = services.import_file(
        user=user, account=account, data=b"x" * 101, filename="big.csv", dry_run=False
    )
    assert result.errors and "larger" in result.errors[0]["message"]


def test_saved_csv_mapping_and_formats(user, account):
    data = "Booked;Who;Out;In\n31.01.2026;Shop;1.234,50;\n01.02.2026;Boss;;2.000,00\n"
    mapping = {"date": 0, "payee": 1, "debit": 2, "credit": 3}
    result = services.import_file(
        user=user,
        account=account,
        data=data.encode("cp1252"),
        filename="m.csv",
        dry_run=False,
        mapping=mapping,
        save_mapping_as="My bank",
    )
    assert result.sum == D("765.50") and result.imported == 2
    assert user.finance_mappings.get().mapping["debit"] == 2


def test_learned_category_is_suggested_for_imports(user, account):
    from concierge.finance.tests.conftest import cat

    for i in range(12):
        services.record_transaction(
            user=user,
            account=account,
            kind="expense",
            amount=D("50"),
            on=date(2026, 1, 1 + i),
            payee=f"Swiggy order {i}",
            category=cat(user, "restaurants"),
        )
        services.record_transaction(
            user=user,
            account=account,
            kind="expense",
            amount=D("900"),
            on=date(2026, 1, 1 + i),
            payee=f"HP petrol pump {i}",
            category=cat(user, "fuel"),
        )
    services.train_categoriser(user_id=user.pk)
    data = b"Date,Description,Amount\n2026-03-02,SWIGGY BANGALORE,-320.00\n"
    services.import_file(user=user, account=account, data=data, filename="s.csv", dry_run=False)
    txn = Transaction.objects.get(account=account, on=date(2026, 3, 2))
    assert txn.category == cat(user, "restaurants")


@pytest.mark.parametrize("dry", [True, False])
def test_management_command_prints_one_json_line_per_file(shared_data, user, dry, capsys):
    folder = shared_data / "finance" / "imports"
    good = folder / "antoinejaussoin-rust-qif-parser__monzo.qif"
    bad = folder / "isaacharrisholt-quiffen__empty.qif"
    services.set_rate(user=user, currency="GBP", on=date(2000, 1, 1), rate=D("100"))
    out = StringIO()
    args = ["import", str(good), str(bad), "--user", user.email, "--account", "Monzo"]
    with pytest.raises(SystemExit) as exit_info:
        call_command("finance", *args, *(["--dry-run"] if dry else []), stdout=out)
    assert exit_info.value.code != 0
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert lines[0]["rows"] == 13 and lines[0]["sum"] == "558.45"
    assert lines[0]["format"] == "qif" and lines[0]["errors"] == []
    assert lines[1]["errors"][0]["message"] == "The file is empty."
    assert Transaction.objects.filter(owner=user).count() == (0 if dry else 13)


def test_background_import_reports_progress(user, account, tmp_path):
    from concierge.core.models import TaskProgress
    from concierge.core.services import start_progress

    rows = "\n".join(f"2025-01-{1 + i % 28:02d},Shop {i},-{i + 1}.00" for i in range(2500))
    path = tmp_path / f"{user.pk}-upload"
    path.write_bytes(("Date,Description,Amount\n" + rows + "\n").encode())
    progress = start_progress(owner=user, kind="finance.import", label="big.csv")
    result = services.import_stored_file(
        user_id=user.pk,
        account_id=account.pk,
        path=str(path),
        filename="big.csv",
        mapping={},
        progress_id=str(progress.pk),
    )
    progress.refresh_from_db()
    assert result["imported"] == 2500 and progress.status == TaskProgress.Status.DONE
    assert progress.result_url and not path.exists()


def test_personal_data_export_has_everything(user, account):
    from django.apps import apps

    services.record_transaction(
        user=user,
        account=account,
        kind="expense",
        amount=D("12.50"),
        on=date(2026, 1, 2),
        payee="Export me",
    )
    data = apps.get_app_config("finance").export_user_data(user)
    assert data["transactions"][0]["payee"] == "Export me"
    assert data["accounts"][0]["name"] == "Wallet" and len(data["categories"]) > 30
