"""One store per distinct set of the receipt fields terminals held each for themselves;
each terminal then belongs to the store of its values."""

from typing import Any

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

FIELDS = ("store_name", "store_address", "store_tax_id", "receipt_header", "receipt_footer")


def stores_from_terminals(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    Terminal = apps.get_model("terminals", "Terminal")
    Store = apps.get_model("terminals", "Store")
    stores: dict[tuple[str, ...], Any] = {}
    for terminal in Terminal.objects.order_by("pk"):
        values = tuple(getattr(terminal, field) for field in FIELDS)
        store = stores.get(values)
        if store is None:
            name, address, tax_id, header, footer = values
            store = Store.objects.create(
                name=name,
                address=address,
                tax_id=tax_id,
                receipt_header=header,
                receipt_footer=footer,
            )
            stores[values] = store
        terminal.store = store
        terminal.save(update_fields=["store"])


def terminals_from_stores(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    Terminal = apps.get_model("terminals", "Terminal")
    for terminal in Terminal.objects.select_related("store").order_by("pk"):
        store = terminal.store
        terminal.store_name = store.name
        terminal.store_address = store.address
        terminal.store_tax_id = store.tax_id
        terminal.receipt_header = store.receipt_header
        terminal.receipt_footer = store.receipt_footer
        terminal.save(update_fields=list(FIELDS))


class Migration(migrations.Migration):
    dependencies = [("terminals", "0004_store")]

    operations = [migrations.RunPython(stores_from_terminals, terminals_from_stores)]
