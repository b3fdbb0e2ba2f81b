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

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from .ecdsa_tables import KeyTable, key_table, signature_numbers
from .entries import (
    GRAND_TOTAL_TYPES,
    Entry,
    EntryProblem,
    entry_check,
    entry_fast,
    entry_read,
    grand_totals_check,
    sale_totals,
)
from .errors import JournalProblem
from .keys import signature_valid


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


_HASH = re.compile(r"[0-9a-f]{64}")
_AMOUNTS = [
    re.compile(" ".join([r"-?[0-9]{1,20}" + (rf"\.[0-9]{{{places}}}" if places else "")] * 5))
    for places in range(7)
]
"""Five amounts with `places` decimals ("12.50": 2), which the fast path adds up as
integers: at most 26 digits each, so that a sum of two is as exact in Decimal's 28
digits as in an int."""


class ChainWalk:
    """Takes one entry after another and raises ChainProblem at the first that does not
    belong where it stands.

    Each entry takes the fast path first (entries.entry_fast and `_totals_fast`), which
    only ever says yes: an entry it does not take is walked again by the full checks,
    which decide and say why."""

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
        # the fast path links an entry to the one before only if that one's hash is well
        # spelled: a hash the walk computed, or a start's that it checks here
        self._linkable = bool(_HASH.fullmatch(start.hash))
        self._tables: dict[str, KeyTable | None] = {}
        self._numbers: dict[str, tuple[int, int, int]] = {}

    def expect(self, sigs: Sequence[str]) -> None:
        """The signatures of the next entries, before they are stepped: their s⁻¹ are
        computed together (ecdsa_tables.signature_numbers: one inversion for all, where
        one for each costs about a third of a verification). Optional."""
        self._numbers = signature_numbers(sigs)

    def step(self, *, seq: int, canonical: bytes, hash: str, sig: str) -> Entry:
        """The next entry, stored (or written in an archive) at `seq`, checked."""
        here = self.position
        if self._linkable and seq == here.seq + 1:
            entry = entry_fast(
                seq=seq,
                canonical=canonical,
                hash=hash,
                sig=sig,
                terminal=self.terminal,
                prev_hash=here.hash,
                keys=self.keys,
                signed=self._signed,
            )
            if entry is not None and (
                entry.key_id == here.key_id or not self._superseded(entry.key_id, after=here.key_id)
            ):
                gt: tuple[str | None, str | None] | None = here.gt
                if entry.type in GRAND_TOTAL_TYPES:
                    gt = _totals_fast(entry.payload, here.gt)
                elif entry.type == "INTEGRITY_FAILURE":
                    gt = (None, None)
                if gt is not None:
                    self.position = ChainPosition(seq, hash, entry.key_id, gt)
                    return entry
        entry = self._step_full(seq=seq, canonical=canonical, hash=hash, sig=sig)
        self._linkable = True  # its hash is the one computed from its bytes
        return entry

    def _step_full(self, *, seq: int, canonical: bytes, hash: str, sig: str) -> Entry:
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

    def _signed(self, key_id: str, sig: str, canonical: bytes) -> bool:
        """Whether `sig` is key `key_id`'s signature of `canonical`: by the key's table
        if it says yes, else by keys.signature_valid."""
        numbers = self._numbers.get(sig) or signature_numbers([sig]).get(sig)
        if numbers is not None:
            if key_id not in self._tables:
                self._tables[key_id] = key_table(self.keys[key_id])
            table = self._tables[key_id]
            if table is not None and table.verify(*numbers, canonical):
                return True
        return signature_valid(self.keys[key_id], sig, canonical)

    def _superseded(self, key_id: str, *, after: str) -> bool:
        # As selectors.key_superseded: an older pairing's key may not sign once a newer
        # one has. That one lives beside the database; this module must not import it.
        rank, after_rank = self.key_rank.get(key_id), self.key_rank.get(after)
        return rank is not None and after_rank is not None and rank < after_rank


def _totals_fast(
    payload: dict[str, Any], before: tuple[str | None, str | None]
) -> tuple[str | None, str | None] | None:
    """A SALE's (or REFUND's) grand totals after it, if its gross and its totals are
    spelled with as many decimals as the ones before and add up: as integers, where
    entries.grand_totals_check adds Decimals. None: the full check decides."""
    totals = payload.get("totals")
    gross = totals.get("gross") if type(totals) is dict else None
    after, abs_after = payload.get("gt_after"), payload.get("gt_abs_after")
    if type(gross) is not str or type(after) is not str or type(abs_after) is not str:
        return None
    places = len(after) - 1 - after.rfind(".") if "." in after else 0
    if places >= len(_AMOUNTS):
        return None
    was, abs_was = before
    if was is None or abs_was is None:  # after a declared loss: they start again
        fresh = f"{gross} {after} {abs_after} {after} {after}"
        return (after, abs_after) if _AMOUNTS[places].fullmatch(fresh) else None
    if not _AMOUNTS[places].fullmatch(f"{gross} {after} {abs_after} {was} {abs_was}"):
        return None
    cents = int(gross.replace(".", ""))
    if int(after.replace(".", "")) != int(was.replace(".", "")) + cents or int(
        abs_after.replace(".", "")
    ) != int(abs_was.replace(".", "")) + abs(cents):
        return None
    return (after, abs_after)
