"""The back office: cashiers and their PINs."""

from __future__ import annotations

from django.test import Client

from kassa.server.staff.models import Cashier, Role
from kassa.server.staff.selectors import cashier_check_pin

from ..conftest import Shop


def test_cashier_pin_is_set_hashed_and_never_shown(admin_client: Client, shop: Shop) -> None:
    cashier, manager = (Role.objects.get(code=code).pk for code in ("cashier", "manager"))
    response = admin_client.post(
        "/admin/staff/cashier/add/",
        {"name": "Carl", "role": cashier, "active": "on", "new_pin": "4711"},
    )
    assert response.status_code == 302
    carl = Cashier.objects.get(name="Carl")
    assert carl.pin_hash and "4711" not in carl.pin_hash
    assert cashier_check_pin(cashier=carl, pin="4711")
    page = admin_client.get(f"/admin/staff/cashier/{carl.pk}/change/").content.decode()
    assert carl.pin_hash not in page
    assert carl.verifier_hash not in page
    assert "4711" not in page
    # saving without a PIN keeps it; a bad PIN is refused
    admin_client.post(
        f"/admin/staff/cashier/{carl.pk}/change/",
        {"name": "Carl", "role": manager, "active": "on", "new_pin": ""},
    )
    carl.refresh_from_db()
    assert carl.role.code == "manager"
    assert cashier_check_pin(cashier=carl, pin="4711")
    bad = admin_client.post(
        f"/admin/staff/cashier/{carl.pk}/change/",
        {"name": "Carl", "role": manager, "active": "on", "new_pin": "12ab"},
    )
    assert bad.status_code == 200
    assert "A PIN is 4 to 8 digits." in bad.content.decode()


def test_new_cashier_needs_a_pin(admin_client: Client, shop: Shop) -> None:
    response = admin_client.post(
        "/admin/staff/cashier/add/", {"name": "Dora", "role": Role.objects.get(code="cashier").pk}
    )
    assert response.status_code == 200
    assert not Cashier.objects.filter(name="Dora").exists()
