"""`kassa journal verify` on the database: each till's stored chain (or one), the server
chain, and every SALE against the paid orders; the run recorded on the server chain.

A till's chain is cut into ranges of seqs and a pool of processes walks the ranges at
once (selectors.stored_walk, as selectors.journal_verify walks a whole chain), each
streaming its rows in seq order from its own connection, in one query per range, never
one per entry. A range starts from the stored entry before it (its hash, its key, the
last grand totals); the range before checks that entry, so together the ranges check the
whole chain.

The orders live in an app above this one: the caller passes `paid_orders`, a function
that answers a terminal's paid orders (the project's CLI does).
"""

from __future__ import annotations

import gc
import json
import multiprocessing
import os
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from django.db import connections, transaction
from django.db.models import Max, Min

from .chain import ChainProblem, Finding
from .entries import ORDER_TYPES
from .models import SERVER_CHAIN, SERVER_HEAD, ChainHead, ServerEntry, TerminalEntry, TerminalKey
from .selectors import (
    _anchors,
    range_start,
    server_chain_verify,
    stored_walk,
    tail_missing,
    verify_finding,
)
from .services import server_chain_append

RANGE = 25_000
"""Seqs per range: small enough to keep every core busy to the end, large enough that a
range's few start-up queries do not count."""

POOL_FROM = 20_000
"""Entries to walk from which a pool of processes pays for its start."""

LISTED = 10
"""Order problems listed per terminal (all are counted)."""

_UUID_SPELLED = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
"""A uuid as str(UUID) spells it."""

MAX_TEXT = 200
"""Characters of a problem's line kept in the VERIFY entry."""


class OrderProblem(StrEnum):
    """What the SALE entries and the paid orders say of each other."""

    SALE_WITHOUT_ORDER = "sale_without_order"  # the till journalled a sale the server lacks
    SALE_REPEATED = "sale_repeated"  # a second SALE for the same order
    ORDER_WITHOUT_SALE = "order_without_sale"  # a paid order that no SALE entry records


PaidOrders = Callable[[str, datetime | None], Iterable[tuple[str, str, bool]]]
"""A terminal's paid orders, by its code and the time its journal began (None: no key):
(uuid as str(UUID) spells it, receipt number, received before that time; True for every
order if None)."""


@dataclass(frozen=True)
class _Range:
    terminal: str
    first: int
    last: int
    anchors: dict[int, str]
    walk: bool = True  # False: entries before --from-seq, read for their SALEs' orders only


@dataclass(frozen=True)
class _ServerChain:
    pass


@dataclass
class _Walked:
    terminal: str
    entries: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    finding: Finding | None = None
    sales: list[tuple[str, int]] = field(default_factory=list)  # (order, seq)


@dataclass
class ChainReport:
    """One chain's verification: what was walked and what was found."""

    terminal: str
    entries: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    finding: Finding | None = None  # the first problem of the chain itself
    orders: int | None = None  # paid orders checked against the SALEs; None: not checked
    order_problems: list[str] = field(default_factory=list)  # the first LISTED
    order_problem_count: int = 0

    def lines(self) -> list[str]:
        """One line per problem: `POS1 seq 42: <why> (<reason>)`."""
        found = [] if self.finding is None else [self.finding.line(self.terminal)]
        found += self.order_problems
        if self.order_problem_count > len(self.order_problems):
            more = self.order_problem_count - len(self.order_problems)
            found.append(f"{self.terminal}: {more} more order problems")
        return found


@dataclass
class AuditReport:
    chains: list[ChainReport]
    server: ChainReport
    seconds: float = 0.0
    recorded_seq: int | None = None  # the VERIFY entry on the server chain

    @property
    def ok(self) -> bool:
        return not self.problems()

    def problems(self) -> list[str]:
        return [line for chain in [self.server, *self.chains] for line in chain.lines()]

    def summary(self) -> str:
        entries = sum(chain.entries for chain in self.chains)
        sales = sum(chain.counts["SALE"] for chain in self.chains)
        orders = sum(chain.orders or 0 for chain in self.chains)
        problems = len(self.problems())
        verdict = "verified" if not problems else f"{problems} problem" + "s" * (problems > 1)
        recorded = f"; recorded at server seq {self.recorded_seq}" if self.recorded_seq else ""
        return (
            f"journal {verdict}: {len(self.chains)} terminal chains, {entries:,} entries, "
            f"{sales:,} SALEs, {orders:,} paid orders; server chain {self.server.entries:,} "
            f"entries; {self.seconds:.1f} s{recorded}"
        )


def journal_audit(
    *,
    paid_orders: PaidOrders,
    terminal_code: str | None = None,
    from_seq: int = 1,
    workers: int | None = None,
    range_size: int = RANGE,
    pool_from: int = POOL_FROM,
) -> AuditReport:
    """Verify the stored chains and record the run (a VERIFY entry on the server chain).
    LookupError if `terminal_code` has no journal.

    Every terminal's chain (or `terminal_code`'s) from `from_seq` on, as
    selectors.journal_verify checks it: each entry on its own, seq continuity,
    prev_hash, keys, grand totals, the server chain's anchors, and a tail that the
    anchors or the head say is missing. Then every SALE against the terminal's paid
    orders: each SALE names an order the server has, and only once; each order synced
    since the terminal's journal began (its first registered key, server clock) has a
    SALE. Entries before `from_seq` are read for their SALEs' orders only. The server
    chain is verified whole: its anchors are only as good as it is.

    `workers` processes walk the ranges of `range_size` seqs (default: one per core);
    below `pool_from` entries, with one worker, or inside a transaction, this process
    walks them.
    """
    started = time.perf_counter()
    from_seq = max(from_seq, 1)
    codes = journal_terminals()
    if terminal_code is not None:
        if terminal_code not in codes:
            raise LookupError(f"{terminal_code} has no journal: no key, no entry")
        codes = [terminal_code]
    chains = {code: ChainReport(code) for code in codes}
    tasks: list[_Range | _ServerChain] = [_ServerChain()]
    ends: dict[str, Finding | None] = {}  # a missing tail, found before the walk
    for code in codes:
        # The anchors and the head before the entries: the entries can only be more.
        anchors = _anchors(code, from_seq)
        head = ChainHead.objects.filter(chain=code).values_list("seq", flat=True).first() or 0
        span = TerminalEntry.objects.filter(terminal_code=code).aggregate(
            first=Min("seq"), last=Max("seq")
        )
        first, last = span["first"], span["last"] or 0
        ends[code] = tail_missing(last=last, head=head, anchored=anchors)
        if first is not None and first < from_seq:
            tasks += _ranges(code, first, min(from_seq - 1, last), {}, range_size, walk=False)
        if last >= from_seq:
            tasks += _ranges(code, from_seq, last, anchors, range_size, walk=True)
    to_walk = sum(task.last - task.first + 1 for task in tasks if isinstance(task, _Range))
    workers = workers or os.cpu_count() or 1
    sales: dict[str, list[tuple[str, int]]] = {code: [] for code in codes}
    server = ChainReport(SERVER_CHAIN)
    paid: dict[str, _Paid] = {}

    def fetch_paid() -> None:  # while the pool walks: the parent would wait for it idle
        for code in codes:
            paid[code] = _paid(code, paid_orders)

    # A chain is finished (its tail and its orders checked) as soon as its last range is in,
    # while the pool still walks the others: only the last chain's check is left at the end.
    pending = Counter(task.terminal for task in tasks if isinstance(task, _Range))
    for result in _results(tasks, workers if to_walk >= pool_from else 1, meanwhile=fetch_paid):
        chain = server if result.terminal == SERVER_CHAIN else chains[result.terminal]
        chain.entries += result.entries
        chain.counts.update(result.counts)
        if result.finding is not None and (
            chain.finding is None or result.finding.seq < chain.finding.seq
        ):
            chain.finding = result.finding
        if result.terminal != SERVER_CHAIN:
            sales[result.terminal] += result.sales
            pending[result.terminal] -= 1
            if not pending[result.terminal]:
                code = result.terminal
                _chain_end(chain, ends[code], sales.pop(code), paid.pop(code))
    for code, chain in chains.items():
        if code in sales:  # no entry to walk
            _chain_end(chain, ends[code], sales.pop(code), paid.pop(code))
    report = AuditReport(list(chains.values()), server)
    report.seconds = time.perf_counter() - started
    report.recorded_seq = _record(report, terminal_code=terminal_code, from_seq=from_seq)
    return report


def _chain_end(
    chain: ChainReport,
    missing: Finding | None,
    sales: list[tuple[str, int]],
    paid: _Paid,
) -> None:
    """A chain's last checks, once every range of it is walked: a tail that the anchors or
    the head say is missing, and its SALEs against its paid orders."""
    if missing is not None and (chain.finding is None or missing.seq < chain.finding.seq):
        chain.finding = missing
    _orders_check(chain, sales, paid)


def journal_terminals() -> list[str]:
    """Every terminal with a journal: a registered key, a chain head or a stored entry."""
    codes = set(TerminalKey.objects.values_list("terminal_code", flat=True))
    codes.update(ChainHead.objects.exclude(chain=SERVER_HEAD).values_list("chain", flat=True))
    # order_by(): with the model's ordering, DISTINCT would be over (terminal_code, seq),
    # every row of the journal fetched (0.6 s for a million, 0.09 s without)
    codes.update(
        TerminalEntry.objects.order_by().values_list("terminal_code", flat=True).distinct()
    )
    return sorted(codes)


def _ranges(
    code: str, first: int, last: int, anchors: dict[int, str], size: int, *, walk: bool
) -> list[_Range]:
    return [
        _Range(
            code,
            start,
            min(start + size - 1, last),
            {seq: hash_ for seq, hash_ in anchors.items() if start <= seq < start + size},
            walk,
        )
        for start in range(first, last + 1, size)
    ]


def _results(
    tasks: list[_Range | _ServerChain], workers: int, *, meanwhile: Callable[[], None]
) -> Iterator[_Walked]:
    """Each task's result; `meanwhile` runs in this process while the pool works."""
    # Inside the caller's transaction the pool could not see what it has not committed.
    if workers <= 1 or len(tasks) <= 1 or transaction.get_connection().in_atomic_block:
        meanwhile()
        yield from map(_task, tasks)
        return
    # The pool's processes are forks of this one: a connection open here would be shared
    # by all of them, their queries interleaved on one socket. Each opens its own, and
    # this process opens a new one after the fork.
    connections.close_all()
    with multiprocessing.get_context("fork").Pool(min(workers, len(tasks))) as pool:
        walked = pool.imap_unordered(_task, tasks)
        meanwhile()
        yield from walked


def _task(task: _Range | _ServerChain) -> _Walked:
    # In a transaction, so that PostgreSQL streams through a plain server-side cursor
    # (outside one, Django asks for a WITH HOLD cursor, which is copied whole first).
    # Without the cyclic garbage collector: a walk makes no reference cycles, only
    # short-lived entries that their reference counts free, and the collector's passes
    # over them cost about a tenth of a walk (docs/performance.md).
    collecting = gc.isenabled()
    gc.disable()
    try:
        with transaction.atomic():
            if isinstance(task, _ServerChain):
                return _server_chain()
            return _walk(task) if task.walk else _sales_only(task)
    finally:
        if collecting:
            gc.enable()


def _server_chain() -> _Walked:
    walked = _Walked(SERVER_CHAIN, entries=ServerEntry.objects.count())
    problem = server_chain_verify()
    if problem is not None:
        walked.finding = verify_finding(problem)
    return walked


def _walk(task: _Range) -> _Walked:
    walked = _Walked(task.terminal)
    try:
        start = range_start(task.terminal, task.first)
        for entry in stored_walk(
            terminal=task.terminal, start=start, last=task.last, anchors=task.anchors
        ):
            walked.entries += 1
            walked.counts[entry.type] += 1
            if entry.type in ORDER_TYPES:
                order = entry.payload.get("order")
                walked.sales.append((_order_key(order), entry.seq))
    except ChainProblem as problem:
        walked.finding = problem.finding
        # The rest of the range still counts for the orders' check: a broken chain
        # should not also report every later sale's order as unrecorded.
        rest = _Range(task.terminal, max(problem.finding.seq, task.first), task.last, {}, False)
        walked.sales += _sales_only(rest).sales
    return walked


def _sales_only(task: _Range) -> _Walked:
    walked = _Walked(task.terminal)
    rows = (
        TerminalEntry.objects.filter(
            terminal_code=task.terminal,
            seq__gte=task.first,
            seq__lte=task.last,
            type__in=ORDER_TYPES,
        )
        .order_by("seq")
        .values_list("seq", "canonical")
    )
    for seq, canonical in rows.iterator(chunk_size=2000):
        walked.sales += _sale_order(seq, bytes(canonical))
    return walked


def _sale_order(seq: int, canonical: bytes) -> list[tuple[str, int]]:
    """The order a SALE names, read without checking the entry (its range checks it)."""
    try:
        order = json.loads(canonical)["payload"]["order"]
    except (ValueError, KeyError, TypeError):
        order = ""
    return [(_order_key(order), seq)]


def _order_key(order: object) -> str:
    """The order a SALE names, as the orders' check compares it: a uuid in its one
    spelling, anything else as written ("" if not a string). Done in the walk's
    process, so that the parent's check, which runs alone, only compares."""
    if not isinstance(order, str):
        return ""
    if _UUID_SPELLED.fullmatch(order):  # as a till writes it: 0.2 µs, str(UUID()) 1.5 µs
        return order
    return _uuid(order) or order


def _uuid(text: str) -> str | None:
    try:
        return str(UUID(text))
    except ValueError:
        return None


@dataclass
class _Paid:
    """A terminal's paid orders, as the orders' check needs them."""

    started: datetime | None  # the terminal's journal began (its first key); None: no key
    before: list[str]  # synced before that: they cannot have a SALE
    since: list[tuple[str, str]]  # synced since: (uuid, receipt number), each needs one


def _paid(terminal: str, paid: PaidOrders) -> _Paid:
    started = (
        TerminalKey.objects.filter(terminal_code=terminal)
        .order_by("registered_at")
        .values_list("registered_at", flat=True)
        .first()
    )
    result = _Paid(started, [], [])
    with transaction.atomic():  # paid_orders may stream: a plain cursor on PostgreSQL
        for uuid_text, receipt, received_before in paid(terminal, started):
            if received_before:
                result.before.append(uuid_text)
            else:
                result.since.append((uuid_text, receipt))
    return result


def _orders_check(chain: ChainReport, sales: list[tuple[str, int]], paid: _Paid) -> None:
    """Each SALE names an order of this terminal, once; each order synced since the
    terminal's journal began (its first key's registration) has a SALE."""
    problems: list[tuple[int, str]] = []  # (where it sorts, line)
    sold: dict[str, int] = {}  # order uuid -> the seq of its SALE
    for uuid, seq in sorted(sales, key=lambda sale: sale[1]):  # each as _order_key wrote it
        if uuid in sold:
            repeated = Finding(
                seq,
                OrderProblem.SALE_REPEATED,
                f"a second SALE for order {uuid} (the first is seq {sold[uuid]})",
            )
            problems.append((seq, repeated.line(chain.terminal)))
        else:
            sold[uuid] = seq
    after_every_seq = 1 + max((seq for _, seq in sales), default=0)
    for uuid in paid.before:  # a SALE may name it; it needs none
        sold.pop(uuid, None)
    for uuid, receipt in paid.since:
        if sold.pop(uuid, None) is None:
            problems.append(
                (
                    after_every_seq,
                    f"{chain.terminal}: order {uuid} (receipt {receipt}) has no SALE "
                    f"entry ({OrderProblem.ORDER_WITHOUT_SALE})",
                )
            )
    chain.orders = None if paid.started is None else len(paid.since)
    for order, seq in sold.items():
        stray = Finding(
            seq,
            OrderProblem.SALE_WITHOUT_ORDER,
            f"SALE for order {order or '(none)'}, which is not among {chain.terminal}'s orders",
        )
        problems.append((seq, stray.line(chain.terminal)))
    problems.sort(key=lambda problem: problem[0])
    chain.order_problem_count = len(problems)
    chain.order_problems = [line for _, line in problems[:LISTED]]


def _record(report: AuditReport, *, terminal_code: str | None, from_seq: int) -> int:
    problems = [
        line[:MAX_TEXT].encode("utf-8", "backslashreplace").decode("utf-8")
        for line in report.problems()[:LISTED]
    ]
    with transaction.atomic():
        entry = server_chain_append(
            type="VERIFY",
            payload={
                "terminal": terminal_code,
                "from_seq": from_seq,
                "result": "ok" if report.ok else "failed",
                "chains": len(report.chains),
                "entries": sum(chain.entries for chain in report.chains),
                "problems": problems,
            },
        )
    return entry.seq
