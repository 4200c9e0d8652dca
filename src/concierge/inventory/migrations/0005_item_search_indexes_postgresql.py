"""PostgreSQL only: indexes for the stock-list search (item name contains, SKU and GTIN
equal), so a search that matches few items reads them from an index instead of walking every
item of the organisation in name order.

- a trigram GIN index on UPPER(name) (pg_trgm), which `name__icontains` (UPPER(name) LIKE
  UPPER('%q%')) can use for a term of 3 characters or more;
- a B-tree on (organisation, UPPER(sku)) for `sku__iexact`; GTIN already has its own.

With one branch of the OR without an index the planner cannot combine them (BitmapOr), so
both are needed. SQLite's LIKE is case-insensitive and cannot use either: nothing is done
there. If the database role may not create the pg_trgm extension (it is a trusted extension
from PostgreSQL 13 on, so a database owner may), the trigram index is skipped and the search
works as before, by the walk in name order. They are not in the model state (an expression
index with an operator class from a contrib extension), hence RunPython."""

from django.db import migrations, transaction
from django.db.utils import DatabaseError

TRGM = "inv_item_name_trgm"
SKU = "inv_item_org_upper_sku"


def create(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE INDEX IF NOT EXISTS {SKU} ON inventory_item (organisation_id, UPPER(sku))"
        )
        try:
            with transaction.atomic(using=connection.alias):
                cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        except DatabaseError:
            return  # no right to add the extension: the search keeps its name-order walk
        cursor.execute(
            f"CREATE INDEX IF NOT EXISTS {TRGM} ON inventory_item "
            "USING gin (UPPER(name) gin_trgm_ops)"
        )


def drop(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(f"DROP INDEX IF EXISTS {TRGM}")
        cursor.execute(f"DROP INDEX IF EXISTS {SKU}")


class Migration(migrations.Migration):
    dependencies = [("inventory", "0004_movement_fewer_indexes")]

    operations = [migrations.RunPython(create, drop)]
