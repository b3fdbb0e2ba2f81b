"""A till's report of itself after a sync round, for the dashboard."""

from __future__ import annotations

from datetime import timedelta

from kassa.server.terminals.models import TerminalStatus

from ..conftest import Device

REPORT = {
    "synced": True,
    "pending": 0,
    "rejected": 0,
    "printer": "good",
    "printer_text": "Printer ready",
    "receipts_owed": 0,
}


def test_the_last_report_is_kept_and_owed_receipts_are_dated_from_the_first(
    device: Device,
) -> None:
    # given a till that reports it synced, then that it owes two receipts
    assert device.post("terminal/status", REPORT).status_code == 200
    first = TerminalStatus.objects.get(terminal=device.terminal)
    assert (first.pending, first.printer, first.receipts_owed_since) == (0, "good", None)
    owing = {**REPORT, "synced": False, "pending": 4, "printer": "bad", "receipts_owed": 2}
    device.post("terminal/status", {**owing, "printer_text": "Printer: paper out"})
    status = TerminalStatus.objects.get(terminal=device.terminal)
    assert (status.pending, status.printer, status.printer_text, status.receipts_owed) == (
        4,
        "bad",
        "Printer: paper out",
        2,
    )
    # then the last sync is the earlier report's, and the owing started now
    assert status.last_sync_at == first.last_sync_at
    since = status.receipts_owed_since
    assert since is not None and since == status.reported_at
    # when it still owes one later, the owing is still dated from the first report
    TerminalStatus.objects.filter(pk=status.pk).update(
        receipts_owed_since=since - timedelta(hours=2)
    )
    device.post("terminal/status", {**owing, "receipts_owed": 1})
    assert TerminalStatus.objects.get().receipts_owed_since == since - timedelta(hours=2)
    # and once it owes none, the date is gone
    device.post("terminal/status", REPORT)
    assert TerminalStatus.objects.get().receipts_owed_since is None


def test_a_bad_report_is_refused_and_changes_nothing(device: Device) -> None:
    answer = device.post("terminal/status", {**REPORT, "pending": -1})
    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "invalid_request"
    assert not TerminalStatus.objects.exists()
