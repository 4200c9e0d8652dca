"""Fewer indexes on the ledger, so each posted movement writes fewer index entries.

The foreign keys that lead a composite index (organisation, store, item, supplier) lose their
own index; batch, purchase-order line, transfer and online order are indexed only where set
(most rows are sales without them). The state change is `db_index=False`; the database change
only drops the single-column indexes: an AlterField on SQLite would copy the whole table."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

DROPPED = (
    "organisation",
    "store",
    "item",
    "supplier",
    "batch",
    "po_line",
    "transfer",
    "online_order",
)
TARGETS = {
    "organisation": ("accounts.organisation", django.db.models.deletion.PROTECT, "+", False),
    "store": ("inventory.store", django.db.models.deletion.PROTECT, "+", False),
    "item": ("inventory.item", django.db.models.deletion.PROTECT, "movements", False),
    "supplier": ("inventory.supplier", django.db.models.deletion.SET_NULL, "+", True),
    "batch": ("inventory.batch", django.db.models.deletion.PROTECT, "movements", True),
    "po_line": (
        "inventory.purchaseorderline",
        django.db.models.deletion.SET_NULL,
        "movements",
        True,
    ),
    "transfer": ("inventory.transfer", django.db.models.deletion.SET_NULL, "movements", True),
    "online_order": (
        "inventory.onlineorder",
        django.db.models.deletion.SET_NULL,
        "movements",
        True,
    ),
}


def _single_column_indexes(schema_editor, table):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    return {
        name: info["columns"][0]
        for name, info in constraints.items()
        if info.get("index")
        and not info.get("unique")
        and not info.get("primary_key")
        and len(info.get("columns") or []) == 1
        and not name.startswith("inv_move_")
    }


def drop_fk_indexes(apps, schema_editor):
    model = apps.get_model("inventory", "Movement")
    columns = {f"{name}_id" for name in DROPPED}
    for index, column in _single_column_indexes(schema_editor, model._meta.db_table).items():
        if column in columns:
            schema_editor.execute(schema_editor._delete_index_sql(model, index))


def create_fk_indexes(apps, schema_editor):
    model = apps.get_model("inventory", "Movement")
    have = set(_single_column_indexes(schema_editor, model._meta.db_table).values())
    for name in DROPPED:
        field = model._meta.get_field(name)
        if field.column not in have:
            schema_editor.execute(schema_editor._create_index_sql(model, fields=[field]))


def _fk(name):
    to, on_delete, related_name, nullable = TARGETS[name]
    extra = {"null": True, "blank": True} if nullable else {}
    return models.ForeignKey(
        to=to, on_delete=on_delete, related_name=related_name, db_index=False, **extra
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("inventory", "0003_fifo_counters_invites_stock_list_index"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(model_name="movement", name=name, field=_fk(name))
                for name in DROPPED
            ],
            database_operations=[migrations.RunPython(drop_fk_indexes, create_fk_indexes)],
        ),
        *(
            migrations.AddIndex(
                model_name="movement",
                index=models.Index(
                    condition=models.Q((f"{ref}__isnull", False)),
                    fields=[ref],
                    name=f"inv_move_{ref}_set",
                ),
            )
            for ref in ("batch", "po_line", "transfer", "online_order")
        ),
    ]
