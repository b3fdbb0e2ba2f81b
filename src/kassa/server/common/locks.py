"""Locks that more than one app takes, so that neither has to import the other.

Order lines keep no database foreign key to their product (see orders.models.OrderLine):
checking it made every synced line lock its product's row. Instead, the two writers that
could race take one lock, the *sales lock*, until their transaction ends:

- an order sync takes it shared before it reads which products exist; syncs never wait
  for each other;
- `products_delete` takes it exclusive before it checks that a product was never sold;
  it waits for the syncs in flight and makes new ones wait.

It is a PostgreSQL transaction-level advisory lock: a name both apps know, not one of
the other's tables. SQLite runs one writing transaction at a time and needs no lock.
"""

from __future__ import annotations

from django.db import connection

# Any 64-bit number no other lock of this database uses; this one spells "kassa sl".
SALES_LOCK_KEY = 0x6B61737361_2073_6C


def sales_lock(*, exclusive: bool) -> None:
    """Take the sales lock until the current transaction ends (PostgreSQL only)."""
    if not connection.in_atomic_block:
        raise RuntimeError("sales_lock() must run inside transaction.atomic()")
    if connection.vendor == "postgresql":
        function = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {function}(%s)", [SALES_LOCK_KEY])
