"""The event bus: a stuck subscriber's stream ends, shutdown ends every stream."""

from __future__ import annotations

import asyncio

from kassa.proxy.events import Event, EventBus


def drain(queue: asyncio.Queue[Event | None]) -> list[int | None]:
    items: list[int | None] = []
    while not queue.empty():
        item = queue.get_nowait()
        items.append(None if item is None else item.id)
    return items


def test_a_subscriber_that_falls_behind_loses_the_oldest_event_and_its_stream_ends() -> None:
    async def scenario() -> tuple[list[int | None], list[int | None]]:
        bus = EventBus(queue_size=2)
        stuck, reading = bus.subscribe(), bus.subscribe()
        read: list[int | None] = []
        for number in range(1, 5):
            # `stuck` is full at the third event: its stream ends, it gets nothing more
            bus.publish("scan", {"code": str(number)})
            read += drain(reading)
        return drain(stuck), read

    stuck, read = asyncio.run(scenario())
    assert stuck == [2, None]
    assert read == [1, 2, 3, 4]


def test_closing_ends_every_stream_even_a_full_one() -> None:
    async def scenario() -> tuple[list[int | None], list[int | None], list[int | None]]:
        bus = EventBus(queue_size=2)
        full, idle = bus.subscribe(), bus.subscribe()
        bus.publish("scan", {"code": "1"})
        bus.publish("scan", {"code": "2"})
        drain(idle)
        bus.close()
        return drain(full), drain(idle), drain(bus.subscribe())

    assert asyncio.run(scenario()) == ([2, None], [None], [None])
