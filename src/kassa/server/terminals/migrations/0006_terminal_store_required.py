"""Every terminal belongs to a store (0005 gave each one); the receipt fields it held
itself are the store's now."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("terminals", "0005_stores_from_terminals")]

    operations = [
        migrations.AlterField(
            model_name="terminal",
            name="store",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="terminals",
                to="terminals.store",
            ),
        ),
        # A default, so that going back re-adds the column to terminals that exist.
        migrations.AlterField(
            model_name="terminal",
            name="store_name",
            field=models.CharField(max_length=100, default=""),
        ),
        migrations.RemoveField(model_name="terminal", name="store_name"),
        migrations.RemoveField(model_name="terminal", name="store_address"),
        migrations.RemoveField(model_name="terminal", name="store_tax_id"),
        migrations.RemoveField(model_name="terminal", name="receipt_header"),
        migrations.RemoveField(model_name="terminal", name="receipt_footer"),
    ]
