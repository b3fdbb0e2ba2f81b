"""Reports benchmark: the month report and the dashboard over a year of 1,000,000 orders
(3 lines and 1 payment each), on the database KASSA_DATABASE_URL names (PostgreSQL for
the published figures):

    python scripts/pg_temp.py -- python bench/reports_bench.py [--orders 1000000]

The orders are written by PostgreSQL itself (INSERT … SELECT generate_series), priced
as a till prices them (VAT included, tax rounded per line), spread over the last 365
days, opening hours only, on 6 tills of 2 stores. Then, each several times, the median:
every dimension of sales_report for the last full month of one store, the month report
page (GET /admin/reports/salessummary/ by tax rate) and the dashboard (GET /admin/).
With --index-ab, each again with the covering indexes of orders migration 0009
replaced by the plain ones they replaced, then as shipped again, side by side. With
--no-seed, the database as an earlier run left it (seed once, measure many times).

Prints its figures; nothing here is a test.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import date, timedelta

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kassa.server.settings")

PRODUCTS = 500
TILLS = 6


def setup() -> None:
    import django
    from django.core.management import call_command

    django.setup()
    call_command("flush", interactive=False, verbosity=0)
    call_command("migrate", interactive=False, verbosity=0)


def seed(orders: int) -> None:
    from decimal import Decimal

    from django.contrib.auth import get_user_model
    from django.db import connection

    from kassa.server.cash.models import CashSession
    from kassa.server.catalog.models import Category, Product, Tax
    from kassa.server.staff.models import Cashier, Role
    from kassa.server.terminals.models import PaymentMethod, Store, Terminal

    get_user_model().objects.create_superuser("bench", "b@example.com", "bench")
    taxes = [
        Tax.objects.create(name="VAT 21%", rate=Decimal(21), price_includes_tax=True),
        Tax.objects.create(name="VAT 9%", rate=Decimal(9), price_includes_tax=True),
    ]
    categories = [Category.objects.create(name=f"Department {n}") for n in range(20)]
    Product.objects.bulk_create(
        Product(
            name=f"Product {n}",
            ref=f"P{n:05d}",
            category=categories[n % 20],
            price=Decimal(50 + (n * 37) % 2000) / 100,
            tax=taxes[n % 2],
        )
        for n in range(PRODUCTS)
    )
    role, _ = Role.objects.get_or_create(code="cashier", defaults={"name": "Cashier"})
    cashier = Cashier.objects.create(name="Bench", role=role)
    cash = PaymentMethod.objects.create(name="Cash", is_cash=True)
    card = PaymentMethod.objects.create(name="Card")
    stores = [
        Store.objects.create(name="Amsterdam", time_zone="Europe/Amsterdam"),
        Store.objects.create(name="Berlin", time_zone="Europe/Berlin"),
    ]
    terminals = []
    for n in range(TILLS):
        terminal = Terminal.objects.create(name=f"Till {n}", code=f"T{n}", store=stores[n % 2])
        terminal.payment_methods.set([cash, card])
        terminals.append(terminal)
    import uuid

    from django.utils import timezone

    sessions = [
        CashSession.objects.create(
            uuid=uuid.uuid4(),
            terminal=t,
            opened_by=cashier,
            opened_at=timezone.now() - timedelta(days=366),
            opening_float=Decimal(100),
        )
        for t in terminals
    ]
    first_product = Product.objects.order_by("pk").values_list("pk", flat=True)[0]
    started = time.perf_counter()
    with connection.cursor() as cursor:
        # The rows are made consistent here: skip the foreign keys' per-row checks (their
        # triggers) while writing them, which is most of the seeding time.
        cursor.execute("SET session_replication_role = replica")
        cursor.execute(
            "CREATE TEMP TABLE bench_line AS SELECT o, p AS position, "
            "(o * 7 + p * 13) %% %s AS product, 1 + (o + p) %% 3 AS qty, p = 4 AS voided "
            "FROM generate_series(1, %s) o, generate_series(1, 4) p "
            # one order in 100 has a fourth line, voided (in no total, in the voids)
            "WHERE p < 4 OR o %% 100 = 0",
            [PRODUCTS, orders],
        )
        cursor.execute(
            "CREATE TEMP TABLE bench_priced AS SELECT l.o, l.position, pr.id AS product_id, "
            "pr.name, l.qty, l.voided, pr.price, pr.tax_id, t.rate, pr.price * l.qty AS gross, "
            "round(pr.price * l.qty * t.rate / (100 + t.rate), 2) AS tax "
            "FROM bench_line l JOIN catalog_product pr ON pr.id = %s + l.product "
            "JOIN catalog_tax t ON t.id = pr.tax_id",
            [first_product],
        )
        cursor.execute("CREATE INDEX ON bench_priced (o)")
        cursor.execute(
            "CREATE TEMP TABLE bench_order AS SELECT o, sum(gross) AS gross, sum(tax) AS tax "
            "FROM bench_priced WHERE NOT voided GROUP BY o"
        )
        # A year back from now, 08:00-20:00 UTC, the tills in turn; the orders' ids (and
        # so their place in the table) follow their time, as in a shop's database, where
        # the orders arrive as they are made.
        terminal_ids = [t.pk for t in terminals]
        session_ids = [s.pk for s in sessions]
        cursor.execute(
            "INSERT INTO orders_order (id, uuid, terminal_id, receipt_number, session_id, "
            "cashier_id, note, total_net, total_tax, total_gross, change, created_at, "
            "received_at, source, review_code, review_message, kind) "
            "SELECT b.o, gen_random_uuid(), (%s::bigint[])[1 + b.o %% %s], "
            "'B-' || b.o, (%s::bigint[])[1 + b.o %% %s], %s, '', b.gross - b.tax, b.tax, "
            "b.gross, 0, at, at, 'sync', '', '', 'sale' FROM bench_order b, LATERAL ("
            "SELECT (b.o - 1) * 365.0 / %s AS x) d, LATERAL ("
            "SELECT date_trunc('second', date_trunc('day', now()) - interval '364 days' "
            "+ make_interval(days => floor(d.x)::int) + interval '8 hours' "
            "+ (d.x - floor(d.x)) * interval '12 hours') AS at) t ORDER BY b.o",
            [terminal_ids, TILLS, session_ids, TILLS, cashier.pk, orders],
        )
        cursor.execute(
            "INSERT INTO orders_orderline (order_id, position, product_id, name, quantity, "
            "unit_price, discount, tax_id, tax_rate, price_includes_tax, net, tax_amount, "
            "gross, price_overridden, reason, voided) SELECT o, position, product_id, name, "
            "qty, price, 0, tax_id, rate, true, gross - tax, tax, gross, false, '', voided "
            "FROM bench_priced ORDER BY o, position"
        )
        cursor.execute(
            "INSERT INTO orders_payment (order_id, method_id, amount) "
            "SELECT o, CASE WHEN o %% 5 < 2 THEN %s ELSE %s END, gross FROM bench_order "
            "ORDER BY o",
            [cash.pk, card.pk],
        )
        cursor.execute("SET session_replication_role = DEFAULT")
        cursor.execute("SELECT setval(pg_get_serial_sequence('orders_order', 'id'), %s)", [orders])
        # What autovacuum does to a year-old table: statistics, and the visibility map
        # that lets PostgreSQL answer from an index alone.
        cursor.execute("VACUUM ANALYZE")
    print(
        f"seeded {orders:,} orders, {3 * orders:,} lines (+{orders // 100:,} voided) "
        f"in {time.perf_counter() - started:.1f} s"
    )


def _median(runs: int, action) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def measure(runs: int) -> dict[str, float]:
    from django.test import Client

    from kassa.server.reports.sales import Dimension, ReportFilter, sales_report
    from kassa.server.terminals.models import Store

    today = date.today()
    last_month_end = today.replace(day=1) - timedelta(days=1)
    month = ReportFilter(
        start=last_month_end.replace(day=1),
        end=last_month_end,
        store_id=Store.objects.get(name="Amsterdam").pk,
    )
    figures = {}
    for dimension in Dimension:
        figures[f"sales_report {dimension.value}"] = _median(
            runs, lambda d=dimension: sales_report(d, month)
        )
    client = Client()
    client.login(username="bench", password="bench")
    query = {"start": f"{month.start}", "end": f"{month.end}", "dimension": "tax_rate"}

    def page(url: str, params: dict[str, str] | None = None) -> None:
        answer = client.get(url, params or {})
        assert answer.status_code == 200, answer.status_code

    figures["month report page (tax rate, all stores)"] = _median(
        runs, lambda: page("/admin/reports/salessummary/", query)
    )
    figures["month export xlsx (product)"] = _median(
        runs,
        lambda: page(
            "/admin/reports/salessummary/export/",
            {**query, "dimension": "product", "format": "xlsx"},
        ),
    )
    figures["dashboard GET /admin/"] = _median(runs, lambda: page("/admin/"))
    return figures


# The covering indexes of orders migration 0009 against the plain indexes they replaced.
WITHOUT_COVERING = [
    "DROP INDEX order_created_at",
    "DROP INDEX order_line_order",
    "CREATE INDEX bench_order_created_at ON orders_order (created_at)",
    "CREATE INDEX bench_line_order ON orders_orderline (order_id)",
    "DROP INDEX payment_order",
    "CREATE INDEX bench_payment_order ON orders_payment (order_id)",
    "VACUUM ANALYZE orders_order",
    "VACUUM ANALYZE orders_orderline",
    "VACUUM ANALYZE orders_payment",
]
WITH_COVERING = [
    "DROP INDEX bench_order_created_at",
    "DROP INDEX bench_line_order",
    "CREATE INDEX order_created_at ON orders_order (created_at) INCLUDE (id, terminal_id, "
    "kind, cashier_id, total_net, total_tax, total_gross, change)",
    "CREATE INDEX order_line_order ON orders_orderline (order_id) INCLUDE (id, voided, "
    "tax_rate, quantity, net, tax_amount, gross, product_id)",
    "DROP INDEX bench_payment_order",
    "CREATE INDEX payment_order ON orders_payment (order_id) INCLUDE (id, method_id, amount)",
    "VACUUM ANALYZE orders_order",
    "VACUUM ANALYZE orders_orderline",
    "VACUUM ANALYZE orders_payment",
]


def _run(statements: list[str]) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--index-ab", action="store_true")
    parser.add_argument(
        "--no-seed",
        action="store_true",
        help="measure the database as it is (seeded by an earlier run), migrating only",
    )
    options = parser.parse_args()
    if not os.environ.get("KASSA_DATABASE_URL", "").startswith("postgres"):
        print("reports_bench: set KASSA_DATABASE_URL to a PostgreSQL database", file=sys.stderr)
        return 2
    if options.no_seed:
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", interactive=False, verbosity=0)
    else:
        setup()
        seed(options.orders)

    results = {"as shipped": measure(options.runs)}
    if options.index_ab:
        _run(WITHOUT_COVERING)
        results["plain indexes"] = measure(options.runs)
        _run(WITH_COVERING)
        results["as shipped, again"] = measure(options.runs)
    names = list(next(iter(results.values())))
    print(f"{'median of ' + str(options.runs) + ' (s)':<45}" + "".join(f"{k:>22}" for k in results))
    for name in names:
        print(f"{name:<45}" + "".join(f"{r[name]:>22.3f}" for r in results.values()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
