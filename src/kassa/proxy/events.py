"""Events pushed to the terminal over server-sent events: scans, printer status, jobs.

Every event gets the next id of one sequence. A subscriber that reconnects with
`Last-Event-ID` receives what it missed from a bounded history and nothing twice; a new
subscriber receives only what happens from then on, so a scan made while no terminal
listened is not replayed into the next sale.
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Event:
    id: int
    kind: str
    data: dict[str, Any]

    def sse(self) -> bytes:
        body = json.dumps(self.data, separators=(",", ":"), ensure_ascii=False)
        return f"id: {self.id}\nevent: {self.kind}\ndata: {body}\n\n".encode()


class EventBus:
    def __init__(self, *, history: int = 500, queue_size: int = 1000) -> None:
        self._history: deque[Event] = deque(maxlen=history)
        self._subscribers: set[asyncio.Queue[Event | None]] = set()
        self._queue_size = queue_size
        self._last_id = 0
        self.closed = False

    @property
    def last_id(self) -> int:
        return self._last_id

    def publish(self, kind: str, data: dict[str, Any]) -> Event:
        """Publish from the event loop's thread."""
        self._last_id += 1
        event = Event(self._last_id, kind, data)
        self._history.append(event)
        for queue in list(self._subscribers):
            try:
                queue.put_nowait(event)
            except asyncio.QueueFull:
                # A stuck client: end its stream; it reconnects with Last-Event-ID.
                self._subscribers.discard(queue)
                _end(queue)
        return event

    def subscribe(self, last_id: int | None = None) -> asyncio.Queue[Event | None]:
        """A queue of events (None: the stream is over); call `unsubscribe` when done.

        With `last_id`, the events after it that are still in the history come first.
        """
        queue: asyncio.Queue[Event | None] = asyncio.Queue(self._queue_size)
        if self.closed:
            queue.put_nowait(None)
            return queue
        if last_id is not None:
            for event in self._history:
                if event.id > last_id and not queue.full():
                    queue.put_nowait(event)
        self._subscribers.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[Event | None]) -> None:
        self._subscribers.discard(queue)

    def close(self) -> None:
        """End every stream (shutdown)."""
        self.closed = True
        for queue in list(self._subscribers):
            _end(queue)
        self._subscribers.clear()


def _end(queue: asyncio.Queue[Event | None]) -> None:
    """Put the end-of-stream marker, dropping the oldest event when the queue is full."""
    try:
        queue.put_nowait(None)
    except asyncio.QueueFull:
        queue.get_nowait()
        queue.put_nowait(None)
