from django.db import migrations, models
import django.db.models.deletion


class Migration(migrations.Migration):
    dependencies = [
        ("staff", "0002_reason"),
    ]

    operations = [
        migrations.CreateModel(
            name="Role",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "code",
                    models.SlugField(
                        help_text="Recorded with approvals.", max_length=32, unique=True
                    ),
                ),
                ("name", models.CharField(max_length=100)),
                (
                    "revision",
                    models.PositiveIntegerField(
                        default=0,
                        editable=False,
                        help_text="The last RoleRevision of its permissions.",
                    ),
                ),
            ],
            options={"ordering": ["name"]},
        ),
        migrations.CreateModel(
            name="RolePermission",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "action",
                    models.CharField(
                        choices=[
                            ("PRICE_OVERRIDE", "PRICE_OVERRIDE"),
                            ("LINE_DISCOUNT", "LINE_DISCOUNT"),
                            ("ORDER_DISCOUNT", "ORDER_DISCOUNT"),
                            ("LINE_VOID", "LINE_VOID"),
                            ("ORDER_ABANDON", "ORDER_ABANDON"),
                            ("REFUND", "REFUND"),
                            ("BLIND_RETURN", "BLIND_RETURN"),
                            ("NO_SALE", "NO_SALE"),
                            ("CASH_IN", "CASH_IN"),
                            ("CASH_OUT", "CASH_OUT"),
                            ("CASH_DROP", "CASH_DROP"),
                            ("REPRINT", "REPRINT"),
                            ("X_REPORT", "X_REPORT"),
                            ("CLOSE_SESSION", "CLOSE_SESSION"),
                            ("APPROVE_VARIANCE", "APPROVE_VARIANCE"),
                            ("OPEN_PRICE_ITEM", "OPEN_PRICE_ITEM"),
                        ],
                        max_length=32,
                    ),
                ),
                (
                    "mode",
                    models.CharField(
                        choices=[("allow", "allow"), ("approve", "approve"), ("deny", "deny")],
                        default="approve",
                        max_length=8,
                    ),
                ),
                (
                    "limit",
                    models.DecimalField(
                        blank=True,
                        decimal_places=2,
                        help_text="With allow: alone up to this (percent for discounts, an amount for refunds and variances), above it with an approval. Empty: no limit.",
                        max_digits=12,
                        null=True,
                    ),
                ),
                (
                    "role",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="permissions",
                        to="staff.role",
                    ),
                ),
            ],
            options={
                "ordering": ["role", "action"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("role", "action"), name="staff_role_permission_once"
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="RoleRevision",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("revision", models.PositiveIntegerField()),
                ("rules", models.JSONField()),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "role",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="revisions",
                        to="staff.role",
                    ),
                ),
            ],
            options={
                "ordering": ["role", "revision"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("role", "revision"), name="staff_role_revision_once"
                    )
                ],
            },
        ),
        migrations.AddField(
            model_name="cashier",
            name="role_ref",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="staff.role",
            ),
        ),
    ]
