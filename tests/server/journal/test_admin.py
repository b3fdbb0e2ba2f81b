"""The journal in the back office: read-only lists, and alerts a manager acknowledges."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import User
from django.test import Client

from kassa.server.journal.models import IntegrityAlert, ServerEntry, TerminalEntry

from .conftest import Till, ingest


@pytest.fixture
def journal(till: Till) -> Till:
    # given four accepted entries, a fifth accepted from a copy of the till, and the
    # till's own, different fifth entry: a fork, quarantined
    wires = till.entries(4)
    other = till.fork()
    ingest(wires)
    ingest([other.sale("5.00")])
    ingest([till.sale("7.00")])
    return till


def test_every_journal_page_renders(admin_client: Client, journal: Till) -> None:
    entry = TerminalEntry.objects.get(seq=2)
    server = ServerEntry.objects.order_by("seq").first()
    alert = IntegrityAlert.objects.get()
    for url in [
        "/admin/journal/",
        "/admin/journal/terminalentry/",
        f"/admin/journal/terminalentry/{entry.pk}/change/",
        "/admin/journal/serverentry/",
        f"/admin/journal/serverentry/{server.pk}/change/",
        "/admin/journal/integrityalert/",
        "/admin/journal/integrityalert/?state=open",
        f"/admin/journal/integrityalert/{alert.pk}/change/",
        "/admin/journal/heldentry/",
        "/admin/journal/terminalkey/",
    ]:
        assert admin_client.get(url).status_code == 200, url
    page = admin_client.get(f"/admin/journal/terminalentry/{entry.pk}/change/").content.decode()
    assert '"type":"SALE"' in page.replace("&quot;", '"')
    assert 'name="_save"' not in page


def test_the_lists_show_seq_type_and_a_short_hash(admin_client: Client, journal: Till) -> None:
    page = admin_client.get("/admin/journal/terminalentry/").content.decode()
    entry = TerminalEntry.objects.get(seq=3)
    assert entry.hash[:12] in page
    assert entry.hash not in page
    assert "JOURNAL_INIT" in page
    server = admin_client.get("/admin/journal/serverentry/").content.decode()
    assert "ANCHOR" in server
    assert "INTEGRITY_FAILURE" in server


def test_entries_cannot_be_edited_or_deleted(admin_client: Client, journal: Till) -> None:
    entry = TerminalEntry.objects.get(seq=2)
    url = f"/admin/journal/terminalentry/{entry.pk}"
    assert admin_client.post(f"{url}/change/", {"type": "X"}).status_code == 403
    assert admin_client.post(f"{url}/delete/", {"post": "yes"}).status_code == 403
    assert TerminalEntry.objects.get(pk=entry.pk).type == "SALE"
    alert = IntegrityAlert.objects.get()
    assert (
        admin_client.post(
            f"/admin/journal/integrityalert/{alert.pk}/delete/", {"post": "yes"}
        ).status_code
        == 403
    )


def test_an_open_alert_is_shown_first_and_acknowledged(
    admin_client: Client, admin_user: User, journal: Till
) -> None:
    # given an open alert: the list warns and marks it
    alert = IntegrityAlert.objects.get()
    assert (alert.seq, alert.reason) == (5, "fork")
    page = admin_client.get("/admin/journal/integrityalert/")
    text = page.content.decode()
    assert "1 open integrity alert(s)" in text
    assert "OPEN" in text
    # when the manager acknowledges it
    answer = admin_client.post(
        "/admin/journal/integrityalert/",
        {"action": "acknowledge", "_selected_action": [alert.pk]},
        follow=True,
    )
    # then who and when are recorded, on the alert and on the server chain
    assert "Acknowledged 1 alert(s)." in [str(m) for m in answer.context["messages"]]
    alert.refresh_from_db()
    assert alert.acknowledged_by == admin_user.get_username()
    assert alert.acknowledged_at is not None
    record = json.loads(bytes(ServerEntry.objects.get(type="ALERTS_ACKNOWLEDGED").canonical))
    assert record["payload"]["by"] == admin_user.get_username()
    assert record["payload"]["alerts"] == [
        {"id": alert.pk, "terminal": "POS1", "seq": 5, "reason": "fork"}
    ]
    # and acknowledging again changes nothing
    admin_client.post(
        "/admin/journal/integrityalert/",
        {"action": "acknowledge", "_selected_action": [alert.pk]},
    )
    assert ServerEntry.objects.filter(type="ALERTS_ACKNOWLEDGED").count() == 1


def test_a_user_who_may_only_view_cannot_acknowledge(client: Client, journal: Till) -> None:
    from django.contrib.auth.models import Permission

    viewer = User.objects.create_user("viewer", password="x", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_integrityalert"))
    client.force_login(viewer)
    alert = IntegrityAlert.objects.get()
    page = client.get("/admin/journal/integrityalert/")
    assert page.status_code == 200
    assert 'value="acknowledge"' not in page.content.decode()
    client.post(
        "/admin/journal/integrityalert/",
        {"action": "acknowledge", "_selected_action": [alert.pk]},
    )
    alert.refresh_from_db()
    assert alert.acknowledged_at is None
