"""The print queue against a network printer on 127.0.0.1: once, in order, through faults
and restarts. The drawer's part of a receipt is in test_drawer.py."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest

from kassa.proxy.hardware import Hardware, build_layout
from kassa.proxy.receipts import ReceiptDocument, render_receipt
from kassa.proxy.settings import Settings
from kassa.proxy.store import Store
from tests.proxy.conftest import TcpPrinter
from tests.proxy.test_receipts import receipt_data

T = TypeVar("T")


def printer_settings(make_settings: Any, printer: TcpPrinter, **printer_options: Any) -> Settings:
    options = {"url": printer.url, "status_interval": 0.03, "status_timeout": 0.1, "timeout": 1.0}
    options.update(printer_options)
    settings: Settings = make_settings(printer=options)
    return settings


def run(settings: Settings, scenario: Callable[[Hardware], Awaitable[T]]) -> T:
    async def main() -> T:
        hardware = Hardware(settings)
        await hardware.start()
        try:
            return await asyncio.wait_for(scenario(hardware), 10)
        finally:
            await hardware.stop()

    return asyncio.run(main())


async def until(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError("condition not reached")
        await asyncio.sleep(0.005)


RECEIPT = ReceiptDocument.model_validate(receipt_data(code={"format": "qr", "value": "K-1"}))


def test_a_receipt_is_printed_once_even_when_sent_twice(
    make_settings: Any, tcp_printer: TcpPrinter
) -> None:
    settings = printer_settings(make_settings, tcp_printer)

    async def scenario(hardware: Hardware) -> tuple[Any, ...]:
        first, created_first = hardware.print_receipt(key="order-1", document=RECEIPT)
        printed = await hardware.wait_job(first.id, 5)
        second, created_second = hardware.print_receipt(key="order-1", document=RECEIPT)
        await asyncio.sleep(0.1)
        return first, created_first, printed, second, created_second

    first, created_first, printed, second, created_second = run(settings, scenario)

    assert (created_first, created_second) == (True, False)
    assert second.id == first.id
    assert (printed.state, printed.fault, printed.attempts) == ("printed", None, 1)
    expected = render_receipt(RECEIPT, build_layout(settings))
    assert tcp_printer.printed() == expected


def test_a_receipt_sent_again_is_answered_from_its_job_without_rendering(
    make_settings: Any, tcp_printer: TcpPrinter, monkeypatch: pytest.MonkeyPatch
) -> None:
    import kassa.proxy.print_queue as print_queue

    rendered: list[ReceiptDocument] = []

    def counting_render(document: ReceiptDocument, layout: Any) -> bytes:
        rendered.append(document)
        return render_receipt(document, layout)

    monkeypatch.setattr(print_queue, "render_receipt", counting_render)
    settings = printer_settings(make_settings, tcp_printer)

    async def scenario(hardware: Hardware) -> tuple[Any, ...]:
        first, _ = hardware.print_receipt(key="order-9", document=RECEIPT)
        again, created = hardware.print_receipt(key="order-9", document=RECEIPT)
        copy, copy_created = hardware.print_receipt(key="order-9", document=RECEIPT, reprint=True)
        await hardware.wait_job(copy.id, 5)
        assert hardware.store is not None
        by_key = hardware.store.job_by_key("order-9")
        return first, again, created, copy, copy_created, by_key

    first, again, created, copy, copy_created, by_key = run(settings, scenario)
    assert (again.id, created) == (first.id, False)
    assert copy.id != first.id and copy_created
    assert by_key is not None and by_key.id == first.id  # the original, not the reprint
    assert rendered == [RECEIPT, RECEIPT]  # the first request and the reprint only


def test_a_reprint_is_a_new_job_that_prints_the_documents_words_only(
    make_settings: Any, tcp_printer: TcpPrinter
) -> None:
    settings = printer_settings(make_settings, tcp_printer)
    # the terminal marks its copy with a block of its own; the proxy adds no word
    marked = receipt_data(code={"format": "qr", "value": "K-1"})
    marked["blocks"].insert(0, {"type": "text", "text": "*** COPY ***", "align": "center"})
    copy_document = ReceiptDocument.model_validate(marked)

    async def scenario(hardware: Hardware) -> tuple[str, str]:
        original, _ = hardware.print_receipt(key="order-3", document=RECEIPT)
        await hardware.wait_job(original.id, 5)
        copy, created = hardware.print_receipt(key="order-3", document=copy_document, reprint=True)
        assert created
        await hardware.wait_job(copy.id, 5)
        return original.id, copy.id

    original_id, copy_id = run(settings, scenario)
    assert original_id != copy_id
    layout = build_layout(settings)
    expected = render_receipt(RECEIPT, layout) + render_receipt(copy_document, layout)
    assert tcp_printer.printed() == expected
    assert expected.count(b"*** COPY ***") == 1


@pytest.mark.parametrize(
    ("fault", "inject", "clear"),
    [
        ("paper_out", {"paper": "out"}, {"paper": "ok"}),
        ("cover_open", {"cover_open": True}, {"cover_open": False}),
        ("no_answer", {"no_answer": True}, {"no_answer": False}),
    ],
)
def test_a_job_waits_for_a_fault_to_clear_then_prints_once(
    make_settings: Any,
    tcp_printer: TcpPrinter,
    fault: str,
    inject: dict[str, Any],
    clear: dict[str, Any],
) -> None:
    # given a printer with a fault
    for name, value in inject.items():
        setattr(tcp_printer.faults, name, value)
    settings = printer_settings(make_settings, tcp_printer)
    seen: list[tuple[str, str | None]] = []

    async def scenario(hardware: Hardware) -> tuple[Any, Any, bytes]:
        # when a receipt is sent
        job, _ = hardware.print_receipt(key="order-4", document=RECEIPT)
        await until(lambda: hardware.job(job.id).state == "waiting")
        waiting = hardware.job(job.id)
        await asyncio.sleep(0.15)  # several retries while the fault lasts
        sent_while_faulted = tcp_printer.printed()
        # and the fault clears
        for name, value in clear.items():
            setattr(tcp_printer.faults, name, value)
        printed = await hardware.wait_job(job.id, 5)
        await asyncio.sleep(0.1)
        seen.extend(
            (event.data["state"], event.data["fault"])
            for event in hardware.bus._history
            if event.kind == "job"
        )
        return waiting, printed, sent_while_faulted

    waiting, printed, sent_while_faulted = run(settings, scenario)

    # then it waited with the reason, nothing was sent meanwhile, and it printed once
    assert (waiting.state, waiting.fault) == ("waiting", fault)
    assert sent_while_faulted == b""
    assert printed.state == "printed"
    assert tcp_printer.printed().count(b"\x1dV\x01") == 1
    assert seen == [("queued", None), ("waiting", fault), ("printing", None), ("printed", None)]


def test_printer_status_changes_are_published(make_settings: Any, tcp_printer: TcpPrinter) -> None:
    settings = printer_settings(make_settings, tcp_printer)

    async def scenario(hardware: Hardware) -> list[str | None]:
        await until(lambda: hardware.printer_status.state == "online")
        tcp_printer.faults.paper = "near_end"
        await until(lambda: hardware.printer_status.paper == "near_end")
        tcp_printer.faults.paper = "out"
        await until(lambda: hardware.printer_status.fault == "paper_out")
        return [event.data["paper"] for event in hardware.bus._history if event.kind == "printer"]

    assert run(settings, scenario) == ["ok", "near_end", "out"]


def test_an_offline_printer_gets_the_job_when_it_comes_back(
    make_settings: Any, tcp_printer: TcpPrinter
) -> None:
    port = tcp_printer.port
    tcp_printer.stop()
    settings = printer_settings(make_settings, tcp_printer)

    async def scenario(hardware: Hardware) -> tuple[Any, Any]:
        job, _ = hardware.print_receipt(key="order-5", document=RECEIPT)
        await until(lambda: hardware.job(job.id).state == "waiting")
        waiting = hardware.job(job.id)
        tcp_printer.start(port)
        return waiting, await hardware.wait_job(job.id, 5)

    waiting, printed = run(settings, scenario)
    assert (waiting.state, waiting.fault) == ("waiting", "offline")
    assert printed.state == "printed"
    assert tcp_printer.printed().count(b"\x1dV\x01") == 1


def test_jobs_survive_a_restart_and_print_in_order(
    make_settings: Any, tcp_printer: TcpPrinter
) -> None:
    # given two receipts queued while the paper is out, and the proxy stopped
    tcp_printer.faults.paper = "out"
    settings = printer_settings(make_settings, tcp_printer)
    second_receipt = ReceiptDocument.model_validate(receipt_data(number="R-8"))

    async def before(hardware: Hardware) -> list[str]:
        first, _ = hardware.print_receipt(key="a", document=RECEIPT)
        second, _ = hardware.print_receipt(key="b", document=second_receipt)
        await until(lambda: hardware.job(first.id).state == "waiting")
        return [first.id, second.id]

    ids = run(settings, before)
    assert tcp_printer.printed() == b""

    # when the proxy starts again and the paper is replaced
    tcp_printer.faults.paper = "ok"

    async def after(hardware: Hardware) -> list[str]:
        for job_id in ids:
            await hardware.wait_job(job_id, 5)
        duplicate, created = hardware.print_receipt(key="a", document=RECEIPT)
        assert (duplicate.id, created) == (ids[0], False)
        return [hardware.job(job_id).state for job_id in ids]

    # then both print, once each, in the order they were sent
    assert run(settings, after) == ["printed", "printed"]
    data = tcp_printer.printed()
    assert data.count(b"\x1dV\x01") == 2
    assert data.index(b"Receipt R-7") < data.index(b"Receipt R-8")


def test_a_job_caught_printing_by_a_crash_is_never_resent(
    make_settings: Any, tcp_printer: TcpPrinter
) -> None:
    # given a job that was being sent when the proxy died
    settings = printer_settings(make_settings, tcp_printer)
    store = Store(settings.state_dir / "proxy.sqlite3")
    job, _ = store.job_add(
        key="c", kind="receipt", payload=b"\x1b@x\n", open_drawer=False, reprint=False
    )
    store.job_set_state(job.id, "printing")
    store.close()

    async def scenario(hardware: Hardware) -> Any:
        await asyncio.sleep(0.15)
        return hardware.job(job.id)

    recovered = run(settings, scenario)
    assert (recovered.state, recovered.fault) == ("failed", "interrupted")
    assert tcp_printer.printed() == b""


def test_a_write_error_fails_the_job_without_retrying(make_settings: Any) -> None:
    # /dev/full accepts the open and refuses every write (ENOSPC)
    settings = make_settings(printer={"url": "file:///dev/full", "status_interval": 0.03})

    async def scenario(hardware: Hardware) -> Any:
        job, _ = hardware.print_receipt(key="d", document=RECEIPT)
        return await hardware.wait_job(job.id, 5)

    failed = run(settings, scenario)
    assert (failed.state, failed.fault, failed.attempts) == ("failed", "write_interrupted", 1)


def test_a_file_printer_prints_without_status(make_settings: Any, tmp_path: Path) -> None:
    path = tmp_path / "lp0"
    settings = make_settings(printer={"url": f"file://{path}", "status_interval": 0.03})

    async def scenario(hardware: Hardware) -> Any:
        job, _ = hardware.print_receipt(key="e", document=RECEIPT)
        return await hardware.wait_job(job.id, 5)

    assert run(settings, scenario).state == "printed"
    assert path.read_bytes() == render_receipt(RECEIPT, build_layout(settings))
