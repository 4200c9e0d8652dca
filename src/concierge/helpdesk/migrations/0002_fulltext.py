"""Full-text search for the knowledge base: FTS5 on SQLite, a generated tsvector + GIN index
on PostgreSQL (see helpdesk/fts.py)."""

from django.db import migrations


def forwards(apps, schema_editor):
    from concierge.helpdesk import fts

    fts.install(schema_editor)


def backwards(apps, schema_editor):
    from concierge.helpdesk import fts

    fts.uninstall(schema_editor)


class Migration(migrations.Migration):
    dependencies = [("helpdesk", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
