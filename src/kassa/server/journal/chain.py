"""A chain walked in seq order: pure, no database.

`kassa journal verify` runs a walk over each range of a stored chain (several ranges at
once, one per process: kassa.server.journal.audit) and over an archive's entries.jsonl,
offline (kassa.server.journal.archive). Each entry is checked on its own by
`entries.entry_read` and `entries.entry_check`, then in its chain: the seq that comes
next, the seq it says it is, its prev_hash, its key against the keys registered after it,
and a SALE's grand totals.

Importing this module must not import Django: the offline verifier runs without it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric import ec

from .entries import (
    GRAND_TOTAL_TYPES,
    Entry,
    EntryProblem,
    entry_check,
    entry_read,
    grand_totals_check,
    sale_totals,
)
from .errors import JournalProblem


@dataclass(frozen=True)
class Finding:
    """The first problem of a chain: where, why (a JournalProblem, or another code of the
    caller's), and a sentence."""

    seq: int
    reason: str
    detail: str

    def line(self, terminal: str) -> str:
        """`POS1 seq 42: <why> (<reason>)`, as the commands print it."""
        return f"{terminal} seq {self.seq}: {self.detail} ({self.reason})"


class ChainProblem(Exception):
    def __init__(self, finding: Finding):
        super().__init__(f"seq {finding.seq}: {finding.detail} ({finding.reason})")
        self.finding = finding


@dataclass(frozen=True, slots=True)
class ChainPosition:
    """Where a walk stands: the last entry walked (seq 0 and GENESIS_HASH before the
    first), the key that signed it ("" if none), and the last SALE's grand totals as
    written (None, None after a declared INTEGRITY_FAILURE: the next SALE starts them)."""

    seq: int
    hash: str
    key_id: str
    gt: tuple[str | None, str | None]


class ChainWalk:
    """Takes one entry after another and raises ChainProblem at the first that does not
    belong where it stands."""

    def __init__(
        self,
        *,
        terminal: str,
        keys: Mapping[str, ec.EllipticCurvePublicKey],
        key_order: Sequence[str],
        start: ChainPosition,
    ):
        self.terminal = terminal
        self.keys = keys
        self.key_rank = {key: rank for rank, key in enumerate(key_order)}
        self.position = start

    def step(self, *, seq: int, canonical: bytes, hash: str, sig: str) -> Entry:
        """The next entry, stored (or written in an archive) at `seq`, checked."""
        here = self.position
        expected = here.seq + 1
        if seq != expected:
            detail = (
                f"no entry at seq {expected}; the next is seq {seq}"
                if seq > expected
                else f"seq {seq} again after seq {here.seq}"
            )
            raise ChainProblem(Finding(expected, JournalProblem.MISSING_ENTRY, detail))
        try:
            entry = entry_read(seq=None, canonical=canonical, hash=hash, sig=sig)
            if entry.seq != seq:
                raise EntryProblem(
                    JournalProblem.SEQ_MISMATCH, f"the entry at seq {seq} is seq {entry.seq}"
                )
            if entry.prev_hash != here.hash:
                raise EntryProblem(
                    JournalProblem.PREV_HASH_MISMATCH,
                    f"prev_hash {entry.prev_hash[:16]}… is not the hash of seq {here.seq} "
                    f"({here.hash[:16]}…)",
                )
            entry_check(entry, terminal=self.terminal, keys=self.keys)
            if self._superseded(entry.key_id, after=here.key_id):
                raise EntryProblem(
                    JournalProblem.KEY_SUPERSEDED,
                    f"signed with key {entry.key_id} after a newer pairing's key "
                    f"{here.key_id} signed",
                )
            gt = here.gt
            if entry.type in GRAND_TOTAL_TYPES:
                totals = sale_totals(entry.payload)
                grand_totals_check(totals, gt_before=gt[0], gt_abs_before=gt[1])
                gt = (totals.gt_after_text, totals.gt_abs_after_text)
            elif entry.type == "INTEGRITY_FAILURE":
                gt = (None, None)
        except EntryProblem as exc:
            raise ChainProblem(Finding(seq, exc.problem, exc.detail)) from None
        self.position = ChainPosition(seq, hash, entry.key_id, gt)
        return entry

    def _superseded(self, key_id: str, *, after: str) -> bool:
        # As selectors.key_superseded: an older pairing's key may not sign once a newer
        # one has. That one lives beside the database; this module must not import it.
        rank, after_rank = self.key_rank.get(key_id), self.key_rank.get(after)
        return rank is not None and after_rank is not None and rank < after_rank
