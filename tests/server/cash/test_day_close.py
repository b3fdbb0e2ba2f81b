"""The day close on the server (docs/z-report.md): cash moves stored once, the Z stored as
the till wrote it and checked against its session's entries, the session closed by it,
and the issue's invariants, through the order sync a till uses."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from django.utils import timezone

from kassa.server.cash.models import (
    CashCount,
    CashMove,
    CashReview,
    CashSession,
    PeriodClose,
    SessionState,
    ZCheck,
    ZReport,
)
from kassa.server.cash.selectors import z_payload
from kassa.server.journal.models import IntegrityAlert, ServerEntry
from kassa.server.orders.models import Order

from ..conftest import OrderBuilder, Shop
from .conftest import DayTill


def _new_session(shop: Shop) -> CashSession:
    return CashSession.objects.create(
        uuid=uuid.uuid4(),
        terminal=shop.terminal,
        opened_by=shop.alice,
        opened_at=timezone.now(),
        opening_float=Decimal("100.00"),
    )


def _alerts() -> list[tuple[int | None, str]]:
    return list(IntegrityAlert.objects.order_by("seq").values_list("seq", "reason"))


def test_a_cash_move_replayed_ten_times_is_stored_once(till: DayTill, orders: OrderBuilder) -> None:
    # given a session and one cash in, written once and written again by a retried write
    move = str(uuid.uuid4())
    entries = [till.open(orders.session), till.move("in", "20.00", move=move)]
    again = till.move("in", "20.00", move=move)
    # when the till sends the same batch ten times, then the second entry ten times
    for _ in range(10):
        assert till.sync([], entries)["journal"]["status"] == "ok"
    for _ in range(10):
        till.sync([], [again])
    # then the move is stored once, with what the entry says
    assert CashMove.objects.count() == 1
    stored = CashMove.objects.get()
    assert (str(stored.uuid), stored.kind, stored.amount, stored.reason, stored.seq) == (
        move,
        "in",
        Decimal("20.00"),
        "float",
        entries[1]["seq"],
    )
    assert stored.session == orders.session
    assert stored.review_code == ""
    # and it counts in the drawer's expected cash
    closed = till.device.post(
        f"sessions/{orders.session.uuid}/close",
        {
            "cashier_id": orders.shop.alice.pk,
            "closed_at": timezone.now().isoformat(),
            "counted_cash": "120.00",
        },
    ).json()
    assert (closed["expected_cash"], closed["difference"]) == ("120.00", "0.00")


def test_the_z_is_stored_as_written_checked_and_closes_its_session(
    till: DayTill, orders: OrderBuilder, shop: Shop
) -> None:
    # given a session: two sales (cash and card), a cash in, a drop, a count
    session = orders.session
    sold = [orders.order(cash="10.00"), orders.order([orders.line(shop.bread, "2")])]
    entries = [till.open(session), *(till.sale(order) for order in sold)]
    entries += [till.move("in", "50.00"), till.move("drop", "100.00")]
    entries.append(till.count("55.00", card="7.90"))
    till.clock = "2026-11-30T20:00:00.000+01:00"
    entries += till.close()
    # when the till syncs the day, orders and journal
    answer = till.sync(sold, entries)
    # then the Z is stored pointing at its entry, its bytes the till's, and it matches
    assert answer["journal"]["status"] == "ok"
    z = ZReport.objects.get()
    written = till.previous_z
    assert z_payload(z) == written
    assert bytes(z.entry.canonical) == entries[-1]["canonical"].encode()
    assert (z.z_no, z.verification, z.verification_detail) == (1, ZCheck.OK, "")
    assert (z.business_day, z.tickets, z.gross) == (date(2026, 11, 30), 2, Decimal("9.88"))
    # the drawer: 100 float + 10 cash − 8.02 change + 50 in − 100 drop = 51.98; 55 counted
    assert written is not None
    assert (written["cash"]["expected"], written["cash"]["difference"]) == ("51.98", "3.02")
    assert z.variance == Decimal("3.02")
    assert not z.over_limit
    # the session is closed with the Z's figures, and the counts and moves are kept
    session.refresh_from_db()
    assert (session.state, session.counted_cash, session.expected_cash, session.difference) == (
        SessionState.CLOSED,
        Decimal("55.00"),
        Decimal("51.98"),
        Decimal("3.02"),
    )
    assert CashCount.objects.get().methods[1] == {
        "method": "Card",
        "amount": "7.90",
        "denominations": None,
    }
    assert CashMove.objects.count() == 2
    assert _alerts() == []
    # invariant: after the Z the perpetual grand total is the last ticket's
    last_sale = orjson_payload(entries[2])
    assert written["grand_totals"] == {
        "gt_after": last_sale["gt_after"],
        "gt_abs_after": last_sale["gt_abs_after"],
    }
    # invariant: the Z's sums are its entries' sums
    assert Decimal(written["totals"]["gross"]) == sum(
        (Decimal(order["totals"]["gross"]) for order in sold), Decimal(0)
    )


def orjson_payload(wire: dict) -> dict:
    import orjson

    payload: dict = orjson.loads(wire["canonical"])["payload"]
    return payload


def test_a_z_that_does_not_match_its_entries_is_an_integrity_failure(
    till: DayTill, orders: OrderBuilder
) -> None:
    # given a session with one sale, and a Z whose gross was "rounded" on the till
    sold = [orders.order(cash="5.00")]
    entries = [till.open(orders.session), till.sale(sold[0]), till.count("103.02")]
    z = till.z()
    z["totals"] = {**z["totals"], "gross": "2.00"}
    entries += till.close(z)
    # when it syncs
    answer = till.sync(sold, entries)
    # then the Z is kept as written (it was printed) and flagged, on both chains
    assert answer["journal"]["status"] == "ok"
    stored = ZReport.objects.get()
    assert stored.verification == ZCheck.MISMATCH
    assert "totals" in stored.verification_detail
    assert stored.gross == Decimal("2.00")
    assert _alerts() == [(entries[-1]["seq"], "z_mismatch")]
    failure = ServerEntry.objects.filter(type="INTEGRITY_FAILURE").get()
    assert b'"reason":"z_mismatch"' in bytes(failure.canonical)


def test_z_numbers_are_gapless_per_terminal(
    till: DayTill, orders: OrderBuilder, shop: Shop
) -> None:
    # given a first Z, then a second session whose Z skips a number
    till.clock = "2026-11-28T20:00:00.000+01:00"
    first = [till.open(orders.session), till.count("100.00"), *till.close()]
    till.sync([], first)
    second = _new_session(shop)
    till.clock = "2026-11-29T20:00:00.000+01:00"
    entries = [till.open(second), till.count("100.00")]
    z = till.z()
    z["z_no"] = 3
    entries += till.close(z)
    till.sync([], entries)
    # then both are stored, and the skipped number is flagged (its sums still match:
    # the number is not one of them, the period totals carry it)
    assert list(ZReport.objects.order_by("seq").values_list("z_no", flat=True)) == [1, 3]
    assert ("z_number" in {reason for _, reason in _alerts()}) is True


def test_a_closed_session_accepts_nothing(till: DayTill, orders: OrderBuilder, shop: Shop) -> None:
    # given a session closed by its Z
    session = orders.session
    till.sync([], [till.open(session), till.count("100.00"), *till.close()])
    session.refresh_from_db()
    assert session.state == SessionState.CLOSED
    # when a cash move, a count and a paid sale for it come after the Z
    late_order = orders.order(cash="2.00")
    late = [till.move("out", "10.00"), till.count("90.00", attempt=2), till.sale(late_order)]
    answer = till.sync([late_order], late)
    # then nothing is dropped: each is stored, and each is flagged for a person
    assert answer["results"][0]["status"] == "accepted"
    assert answer["results"][0]["review"]["code"] == "session_closed"
    assert Order.objects.get(uuid=late_order["uuid"]).review_code == "session_closed"
    move = CashMove.objects.get()
    assert (move.review_code, move.amount) == (CashReview.SESSION_CLOSED, Decimal("10.00"))
    assert CashCount.objects.get(attempt=2).review_code == CashReview.SESSION_CLOSED
    assert [reason for _, reason in _alerts()] == ["session_closed"] * 3
    # and the session's figures are the Z's, untouched
    session.refresh_from_db()
    assert (session.counted_cash, session.difference) == (Decimal("100.00"), Decimal("0.00"))


def test_one_open_session_per_till(till: DayTill, orders: OrderBuilder, shop: Shop) -> None:
    # given an open session, a second one cannot open on the same till
    response = till.device.post(
        "sessions",
        {
            "uuid": str(uuid.uuid4()),
            "cashier_id": shop.alice.pk,
            "opened_at": timezone.now().isoformat(),
            "opening_float": "50.00",
        },
    )
    assert response.json()["error"]["code"] == "session_already_open"
    # once its Z closed it, the next one opens
    till.sync([], [till.open(orders.session), till.count("100.00"), *till.close()])
    assert CashSession.objects.filter(state=SessionState.OPEN).count() == 0
    fresh = {
        "uuid": str(uuid.uuid4()),
        "cashier_id": shop.alice.pk,
        "opened_at": timezone.now().isoformat(),
        "opening_float": "100.00",
    }
    assert till.device.post("sessions", fresh).status_code == 201
    assert CashSession.objects.filter(state=SessionState.OPEN).count() == 1


def test_the_month_is_the_sum_of_its_zs(till: DayTill, orders: OrderBuilder, shop: Shop) -> None:
    # given two November days with sales, each closed by a Z
    day_one = [orders.order(cash="10.00"), orders.order()]
    till.clock = "2026-11-29T12:00:00.000+01:00"
    entries = [till.open(orders.session), *(till.sale(o) for o in day_one), till.count("101.98")]
    till.clock = "2026-11-29T20:00:00.000+01:00"
    till.sync(day_one, entries + till.close())
    second = _new_session(shop)
    orders.session = second
    day_two = [orders.order([orders.line(shop.bread, "3")], cash="20.00")]
    till.clock = "2026-11-30T12:00:00.000+01:00"
    entries = [till.open(second), till.sale(day_two[0]), till.count("111.85")]
    till.clock = "2026-11-30T20:00:00.000+01:00"
    till.sync(day_two, entries + till.close())
    # when the first Z of December comes, after November's PERIOD_CLOSE
    third = _new_session(shop)
    till.clock = "2026-12-01T09:00:00.000+01:00"
    entries = [till.open(third), till.count("100.00")]
    till.clock = "2026-12-01T20:00:00.000+01:00"
    closing = till.close()
    answer = till.sync([], entries + closing)
    # then a PERIOD_CLOSE was written for the month, and it is the sum of its two Zs
    assert answer["journal"]["status"] == "ok"
    assert [orjson_payload(e).get("period") for e in closing] == ["month", None]
    month = PeriodClose.objects.get()
    assert (month.period, month.key, month.verification) == ("month", "2026-11", ZCheck.OK)
    november = [z_payload(z) for z in ZReport.objects.filter(business_day__month=11)]
    written = orjson_payload(closing[0])
    assert written["zs"] == len(november) == 2
    assert Decimal(written["gross"]) == sum(
        (Decimal(z["totals"]["gross"]) for z in november), Decimal(0)
    )
    assert [z.verification for z in ZReport.objects.all()] == [ZCheck.OK] * 3
    assert _alerts() == []


def test_a_period_close_that_is_not_its_zs_sum_is_flagged(
    till: DayTill, orders: OrderBuilder, shop: Shop
) -> None:
    # given a November Z, and a December Z whose month close was written with a wrong sum
    sold = [orders.order(cash="10.00")]
    till.clock = "2026-11-30T12:00:00.000+01:00"
    entries = [till.open(orders.session), till.sale(sold[0]), till.count("101.98")]
    till.sync(sold, entries + till.close())
    second = _new_session(shop)
    till.clock = "2026-12-01T12:00:00.000+01:00"
    entries = [till.open(second), till.count("100.00")]
    z = till.z()
    assert till.previous_z is not None
    month = {**till.previous_z["period_totals"]["month"], "gross": "999.00"}
    entries.append(till.entry("PERIOD_CLOSE", {"period": "month", **month}))
    entries.append(till.entry("Z_CLOSE", z))
    till.sync([], entries)
    # then the month close is stored as written and flagged
    stored = PeriodClose.objects.get()
    assert stored.verification == ZCheck.MISMATCH
    assert "gross" in stored.verification_detail
    assert [reason for _, reason in _alerts()] == ["period_mismatch"]


def test_the_day_start_hour_is_honoured(till: DayTill, orders: OrderBuilder) -> None:
    # given a session opened at 00:30 on December 1st (Amsterdam), day start 04:00
    till.clock = "2026-12-01T00:30:00.000+01:00"
    entries = [till.open(orders.session), till.count("100.00")]
    till.clock = "2026-12-01T03:30:00.000+01:00"
    till.sync([], entries + till.close())
    # then its Z belongs to November 30th: no month was closed, the Z matches
    z = ZReport.objects.get()
    assert (z.business_day, z.verification) == (date(2026, 11, 30), ZCheck.OK)
    assert z_payload(z)["period_totals"]["month"]["key"] == "2026-11"


def test_what_the_till_declares_is_held_to_its_rules(till: DayTill, orders: OrderBuilder) -> None:
    # given a Z whose variance is over its limit without an approval, closed by "Bo"
    # although Ana wrote the Z_CLOSE, and that names another software than the journal's
    entries = [till.open(orders.session), till.count("90.00")]
    z = till.z()
    assert z["variance"]["over"] is True
    z["closed"] = {**z["closed"], "by": {"id": 1, "name": "Bo"}}
    z["software"] = "Kassa 9.9"
    entries += till.close(z)
    till.sync([], entries)
    # then the Z is stored as written and each broken rule is said in its one alert
    stored = ZReport.objects.get()
    assert stored.verification == ZCheck.MISMATCH
    for said in ("no approval", "closed is", 'software is "Kassa 9.9"'):
        assert said in stored.verification_detail, said
    assert "differs from its entries" not in stored.verification_detail
    assert _alerts() == [(entries[-1]["seq"], "z_mismatch")]


def test_a_close_request_before_its_z_takes_the_z_figures(
    till: DayTill, orders: OrderBuilder, shop: Shop
) -> None:
    # given a session with a cash in, whose close request reaches the server before the
    # journal does (the server does not know the cash in yet: 50.00 "over")
    session = orders.session
    entries = [till.open(session), till.move("in", "50.00"), till.count("150.00")]
    till.clock = "2026-11-30T20:00:00.000+01:00"
    early = till.device.post(
        f"sessions/{session.uuid}/close",
        {"cashier_id": shop.alice.pk, "closed_at": till.clock, "counted_cash": "150.00"},
    ).json()
    assert (early["expected_cash"], early["difference"]) == ("100.00", "50.00")
    # when the journal with the Z comes
    till.sync([], entries + till.close())
    # then the session holds the Z's figures, and nothing is flagged
    session.refresh_from_db()
    assert (session.expected_cash, session.difference) == (Decimal("150.00"), Decimal("0.00"))
    assert ZReport.objects.get().verification == ZCheck.OK
    assert CashMove.objects.get().review_code == ""
    assert _alerts() == []
