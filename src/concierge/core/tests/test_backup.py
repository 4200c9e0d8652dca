import sqlite3

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection

from concierge.accounts.tests.factories import MembershipFactory
from concierge.notifications.services import notify


@pytest.mark.django_db(transaction=True)
def test_backup_then_restore_into_an_empty_database_finds_every_row(tmp_path):
    for _ in range(3):
        membership = MembershipFactory()
        notify(membership.user, "notifications.test", {})
    backup_file = tmp_path / "concierge.backup"
    call_command("backup", str(backup_file))
    assert backup_file.stat().st_size > 0

    expected = {
        m._meta.db_table: m.objects.count()
        for m in apps.get_models()
        if m._meta.managed and not m._meta.proxy
    }
    if connection.vendor == "sqlite":
        target = tmp_path / "restored.sqlite3"
        call_command("restore", str(backup_file), "--to", f"sqlite:///{target}", "--yes")
        with sqlite3.connect(target) as db:
            found = {
                table: db.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]
                for table in expected
            }
    else:
        pytest.importorskip("psycopg")
        import psycopg

        settings = connection.settings_dict
        name = f"{settings['NAME']}_restore"
        dsn = f"host={settings['HOST'] or '127.0.0.1'} user={settings['USER'] or 'postgres'}"
        with psycopg.connect(f"{dsn} dbname=postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
            admin.execute(f'CREATE DATABASE "{name}"')
        try:
            url = (
                f"postgres://{settings['USER'] or 'postgres'}@{settings['HOST'] or '127.0.0.1'}"
                f":{settings['PORT'] or 5432}/{name}"
            )
            call_command("restore", str(backup_file), "--to", url, "--yes")
            with psycopg.connect(f"{dsn} dbname={name}") as db:
                found = {
                    t: db.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in expected
                }
        finally:
            with psycopg.connect(f"{dsn} dbname=postgres", autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
    assert found == expected
    assert expected["accounts_membership"] == 3 and expected["notifications_notification"] == 3


def test_restore_refuses_a_missing_file(tmp_path):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("restore", str(tmp_path / "nope.backup"), "--yes")
