from django.db import migrations, models
import django.db.models.deletion


class Migration(migrations.Migration):
    dependencies = [
        ("staff", "0004_default_roles"),
    ]

    operations = [
        migrations.RemoveField(model_name="cashier", name="role"),
        migrations.RenameField(model_name="cashier", old_name="role_ref", new_name="role"),
        migrations.AlterField(
            model_name="cashier",
            name="role",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="cashiers",
                to="staff.role",
            ),
        ),
    ]
