"""Journal reads: a chain's head, and the verification of a stored chain.

`journal_verify` walks a till's stored chain as ingest checked it, entry by entry (the
canonical form, the fields, the key, the hash, the signature, seq continuity, prev_hash,
the grand totals) and against the server chain's anchors, and answers the first problem.
It reads the bytes, never the columns read from them, so a row changed behind the
triggers' back is found. Its walk, `stored_walk` (chain.ChainWalk over the stored rows),
is the one `kassa journal verify` runs over each range of a chain (audit.py) and the
archive export over a month.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from django.db import connections, router, transaction
from django.db.models import Max

from kassa.jcs import GENESIS_HASH

from .chain import ChainPosition, ChainProblem, ChainWalk, Finding
from .entries import (
    GRAND_TOTAL_TYPES,
    Entry,
    EntryProblem,
    canonical_parse,
    entry_check,
    entry_read,
    sale_totals,
)
from .errors import JournalProblem
from .keys import PublicKeyError, public_key_load
from .models import (
    SERVER_CHAIN,
    SERVER_HEAD,
    ChainHead,
    EntryFields,
    ServerEntry,
    ServerKey,
    TerminalEntry,
    TerminalKey,
)

VERIFY_CHUNK = 2000

FETCH = 5000
"""Rows fetched at a time by a range's walk (about 5 MB of entries)."""

_ENTRY_ROWS = (
    "SELECT seq, type, key_id, at_text, canonical, hash, sig FROM journal_terminalentry "
    "WHERE terminal_code = %s AND seq > %s AND seq <= %s ORDER BY seq"
)


@dataclass(frozen=True)
class Head:
    """The last entry the server accepted in a chain: `{"seq": 0, "hash": GENESIS_HASH}`
    for none. `gt_after` and `gt_abs_after` are the chain's grand totals as of that entry
    (the last SALE's, as written; "0" before the first; None after a declared loss with no
    SALE since), so a till that resumes its chain goes on from them."""

    seq: int
    hash: str
    gt_after: str | None = "0"
    gt_abs_after: str | None = "0"

    def as_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "hash": self.hash}


@dataclass(frozen=True)
class VerifyProblem:
    """The first problem found in a stored chain: where, why, and a sentence."""

    seq: int
    reason: JournalProblem
    detail: str


def journal_head(*, terminal_code: str) -> Head:
    row = (
        ChainHead.objects.filter(chain=terminal_code)
        .values_list("seq", "hash", "gt_after", "gt_abs_after")
        .first()
    )
    if row is None:
        return Head(0, GENESIS_HASH)
    seq, hash_, gt_after, gt_abs_after = row
    # The head row keeps "" after a declared loss: the next SALE starts the sums again.
    return Head(seq, hash_, gt_after or None, gt_abs_after or None)


@functools.lru_cache(maxsize=512)
def public_key(spki: bytes) -> ec.EllipticCurvePublicKey | None:
    """The key object of a stored SPKI (rows never change, so it is cached by its bytes);
    None if the stored bytes are not a P-256 key."""
    try:
        return public_key_load(spki)
    except PublicKeyError:
        return None


def _keys(rows: Iterable[tuple[str, Any]]) -> dict[str, ec.EllipticCurvePublicKey]:
    keys = {}
    for key_id, spki in rows:
        key = public_key(bytes(spki))
        if key is not None:
            keys[key_id] = key
    return keys


def terminal_keys(terminal_code: str) -> tuple[dict[str, ec.EllipticCurvePublicKey], list[str]]:
    """A terminal's registered keys by id, and their ids oldest first."""
    rows = list(
        TerminalKey.objects.filter(terminal_code=terminal_code)
        .order_by("pk")
        .values_list("key_id", "spki")
    )
    return _keys(rows), [key_id for key_id, _ in rows]


def key_superseded(order: list[str], *, key_id: str, after: str) -> bool:
    """Whether `key_id` was registered before `after`, the key of an accepted entry of the
    chain: a till's older pairing may not sign once a newer one has."""
    if not after or key_id == after or after not in order or key_id not in order:
        return False
    return order.index(key_id) < order.index(after)


def journal_verify(*, terminal_code: str, from_seq: int = 1) -> VerifyProblem | None:
    """The first problem in a till's stored chain from `from_seq` on, or None.

    Reasons: what ingest checks (JournalProblem: not_canonical, invalid_entry,
    wrong_terminal, unknown_key, bad_hash, bad_signature, prev_hash_mismatch,
    key_superseded, grand_total_mismatch), and what only a stored chain can show:
    missing_entry (a seq with no entry, between two, or after the last where the server
    chain anchored one or the head says one was accepted), seq_mismatch (an entry stored
    at another seq than its own: swapped), anchor_mismatch (the server chain anchored
    another hash at that seq: the entries were rewritten, even with the till's key).
    """
    from_seq = max(from_seq, 1)
    with transaction.atomic():  # stored_walk streams from a plain server-side cursor
        # The anchors and the head before the entries: the entries can only be more.
        anchors = _anchors(terminal_code, from_seq)
        head = ChainHead.objects.filter(chain=terminal_code).values_list("seq", flat=True).first()
        stored = TerminalEntry.objects.filter(terminal_code=terminal_code)
        last = stored.aggregate(last=Max("seq"))["last"] or 0
        try:
            start = range_start(terminal_code, from_seq)
            for _ in stored_walk(terminal=terminal_code, start=start, last=last, anchors=anchors):
                pass
        except ChainProblem as problem:
            found = problem.finding
            return VerifyProblem(found.seq, JournalProblem(found.reason), found.detail)
    missing = tail_missing(last=last, head=head or 0, anchored=anchors)
    if missing is not None:
        return VerifyProblem(missing.seq, JournalProblem.MISSING_ENTRY, missing.detail)
    return None


def tail_missing(*, last: int, head: int, anchored: Iterable[int]) -> Finding | None:
    """The tail after a stored chain's `last` seq that the server said it had: a seq the
    server chain anchored, or its `head`; None if neither is beyond `last`."""
    beyond = min((seq for seq in anchored if seq > last), default=None)
    if beyond is None and head <= last:
        return None
    why = (
        f"the server chain anchored seq {beyond}"
        if beyond is not None
        else f"the server accepted up to seq {head}"
    )
    return Finding(
        last + 1, JournalProblem.MISSING_ENTRY, f"{why}, the stored chain ends at {last}"
    )


def server_chain_verify(*, from_seq: int = 1) -> VerifyProblem | None:
    """The first problem in the server's own chain from `from_seq` on, or None (the same
    checks as a till's chain, with the server's keys; no grand totals, no anchors)."""
    from_seq = max(from_seq, 1)
    keys = _keys(ServerKey.objects.values_list("key_id", "spki"))
    prev_hash: str = GENESIS_HASH
    if from_seq > 1:
        before = ServerEntry.objects.filter(seq=from_seq - 1).values_list("hash", flat=True)
        found = before.first()
        if found is None:
            return VerifyProblem(
                from_seq - 1, JournalProblem.MISSING_ENTRY, "no entry before the first to verify"
            )
        prev_hash = found
    expected = from_seq
    for row in (
        ServerEntry.objects.filter(seq__gte=from_seq)
        .order_by("seq")
        .iterator(chunk_size=VERIFY_CHUNK)
    ):
        try:
            _stored_entry(row, expected, prev_hash, SERVER_CHAIN, keys)
        except _Found as found:
            return found.problem
        prev_hash = row.hash
        expected += 1
    head = ChainHead.objects.filter(chain=SERVER_HEAD).values_list("seq", flat=True).first()
    if (head or 0) > expected - 1:
        return VerifyProblem(
            expected,
            JournalProblem.MISSING_ENTRY,
            f"the server chain's head is seq {head}, the stored chain ends at {expected - 1}",
        )
    return None


class _Found(Exception):
    def __init__(self, problem: VerifyProblem):
        self.problem = problem


def _stored_entry(
    row: EntryFields,
    expected: int,
    prev_hash: str,
    terminal: str,
    keys: Mapping[str, ec.EllipticCurvePublicKey],
) -> Entry:
    """The stored row's entry, checked on its own and linked to `prev_hash`; _Found with
    the problem otherwise."""
    if row.seq != expected:
        raise _Found(
            VerifyProblem(
                expected,
                JournalProblem.MISSING_ENTRY,
                f"no entry at seq {expected}; the next stored is seq {row.seq}",
            )
        )
    try:
        entry = entry_read(seq=None, canonical=bytes(row.canonical), hash=row.hash, sig=row.sig)
        if entry.seq != row.seq:
            raise EntryProblem(
                JournalProblem.SEQ_MISMATCH,
                f"the entry stored at seq {row.seq} is seq {entry.seq}",
            )
        if (entry.type, entry.key_id, entry.at_text) != (row.type, row.key_id, row.at_text):
            raise EntryProblem(
                JournalProblem.INVALID_ENTRY,
                "the columns read from the entry no longer say what its bytes say",
            )
        if entry.prev_hash != prev_hash:
            raise EntryProblem(
                JournalProblem.PREV_HASH_MISMATCH,
                f"prev_hash {entry.prev_hash[:16]}… is not the hash of seq {row.seq - 1} "
                f"({prev_hash[:16]}…)",
            )
        entry_check(entry, terminal=terminal, keys=keys)
    except EntryProblem as exc:
        raise _Found(VerifyProblem(row.seq, exc.problem, exc.detail)) from None
    return entry


def _anchors(terminal_code: str, from_seq: int) -> dict[int, str]:
    """The hashes the server chain anchored for this terminal, by seq."""
    anchors: dict[int, str] = {}
    rows = ServerEntry.objects.filter(type="ANCHOR", subject=terminal_code).values_list(
        "canonical", flat=True
    )
    for canonical in rows.iterator(chunk_size=VERIFY_CHUNK):
        try:
            payload = canonical_parse(bytes(canonical)).get("payload")
        except EntryProblem:
            continue  # server_chain_verify reports it; this chain is judged on the others
        if not isinstance(payload, dict) or payload.get("terminal") != terminal_code:
            continue
        seq, hash_ = payload.get("seq"), payload.get("hash")
        if type(seq) is int and seq >= from_seq and isinstance(hash_, str):
            anchors[seq] = hash_
    return anchors


def _before(
    terminal_code: str, from_seq: int
) -> tuple[str | VerifyProblem, str, tuple[str | None, str | None]]:
    """Where a verification from `from_seq` starts: the previous entry's hash, its key,
    and the grand totals of the last SALE before it."""
    if from_seq == 1:
        return GENESIS_HASH, "", ("0", "0")
    rows = TerminalEntry.objects.filter(terminal_code=terminal_code)
    previous = rows.filter(seq=from_seq - 1).values_list("hash", "key_id").first()
    if previous is None:
        problem = VerifyProblem(
            from_seq - 1, JournalProblem.MISSING_ENTRY, "no entry before the first to verify"
        )
        return problem, "", (None, None)
    last = (
        rows.filter(seq__lt=from_seq, type__in=[*GRAND_TOTAL_TYPES, "INTEGRITY_FAILURE"])
        .order_by("-seq")
        .values_list("type", "canonical")
        .first()
    )
    gt: tuple[str | None, str | None] = ("0", "0")
    if last is not None:
        gt = (None, None)
        if last[0] in GRAND_TOTAL_TYPES:
            try:
                totals = sale_totals(canonical_parse(bytes(last[1]))["payload"])
                gt = (totals.gt_after_text, totals.gt_abs_after_text)
            except (EntryProblem, KeyError, TypeError):
                pass
    return previous[0], previous[1], gt


def verify_finding(problem: VerifyProblem) -> Finding:
    """The problem as a chain walk names it."""
    return Finding(problem.seq, problem.reason, problem.detail)


def range_start(terminal: str, first: int) -> ChainPosition:
    """Where a walk from `first` starts: the stored entry before it (its hash and key) and
    the last grand totals before it; ChainProblem if that entry is not stored."""
    prev_hash, prev_key, gt = _before(terminal, first)
    if isinstance(prev_hash, VerifyProblem):
        raise ChainProblem(verify_finding(prev_hash))
    return ChainPosition(first - 1, prev_hash, prev_key, gt)


def stored_walk(
    *, terminal: str, start: ChainPosition, last: int, anchors: Mapping[int, str]
) -> Iterator[Entry]:
    """The stored entries of a till's chain after `start` up to `last`, each checked:
    on its own and in its chain (ChainWalk), the columns read from its bytes, and the
    server chain's anchor of its seq. ChainProblem at the first that fails."""
    keys, order = terminal_keys(terminal)
    walk = ChainWalk(terminal=terminal, keys=keys, key_order=order, start=start)
    for rows in _entry_rows(terminal, after=start.seq, last=last):
        walk.expect([row[6] for row in rows])
        yield from _checked(walk, rows, anchors)
    if walk.position.seq < last:  # the last entries of the range are gone
        missing = walk.position.seq + 1
        raise ChainProblem(
            Finding(missing, JournalProblem.MISSING_ENTRY, f"no entry at seq {missing}")
        )


def _checked(
    walk: ChainWalk, rows: list[tuple[Any, ...]], anchors: Mapping[int, str]
) -> Iterator[Entry]:
    for seq, kind, key_id, at_text, canonical, hash_, sig in rows:
        entry = walk.step(seq=seq, canonical=bytes(canonical), hash=hash_, sig=sig)
        if (entry.type, entry.key_id, entry.at_text) != (kind, key_id, at_text):
            raise ChainProblem(
                Finding(
                    seq,
                    JournalProblem.INVALID_ENTRY,
                    "the columns read from the entry no longer say what its bytes say",
                )
            )
        anchored = anchors.get(seq)
        if anchored is not None and anchored != hash_:
            raise ChainProblem(
                Finding(
                    seq,
                    JournalProblem.ANCHOR_MISMATCH,
                    f"the server chain anchored hash {anchored[:16]}… at seq {seq}; "
                    f"the stored entry hashes to {hash_[:16]}…",
                )
            )
        yield entry


def _entry_rows(terminal: str, *, after: int, last: int) -> Iterator[list[tuple[Any, ...]]]:
    """A till's stored rows after seq `after` up to `last`, in seq order, as the driver
    gives them (no model layer: a million rows through values_list cost ~8 µs each),
    in lists of `FETCH` rows; on PostgreSQL from a server-side cursor, so a range is
    never held whole. The caller is in a transaction (a plain cursor, not WITH HOLD)."""
    connection = connections[router.db_for_read(TerminalEntry)]
    sql = _ENTRY_ROWS
    params = (terminal, after, last)
    connection.ensure_connection()
    if connection.vendor == "postgresql":
        # Binary: the entries' bytes as they are, not spelled in hex by the server and
        # decoded again here (a third of the fetch's cost on both sides).
        with connection.connection.cursor(
            name=f"kassa_walk_{os.getpid()}_{after}", binary=True
        ) as cursor:
            cursor.itersize = FETCH
            cursor.execute(sql, params)
            while rows := cursor.fetchmany(FETCH):
                yield rows
        return
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(FETCH):
            yield rows
