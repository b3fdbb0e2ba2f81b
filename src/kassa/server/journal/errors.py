"""Journal codes: the refusals of a key registration, and the problems an entry can have.

`JournalErrorCode` is raised (a request refused, answered by the API with a status).
`JournalProblem` is never raised to a client: it is the reason an entry is quarantined or
flagged on ingest, or the first problem `journal_verify` finds in a stored chain. Both
are contracts (the back office, the archive, the CLI); never rename one.
"""

from __future__ import annotations

from enum import StrEnum

from kassa.server.common.errors import DomainError


class JournalErrorCode(StrEnum):
    INVALID_KEY = "invalid_key"
    KEY_ALREADY_REGISTERED = "key_already_registered"
    KEY_OTHER_TERMINAL = "key_other_terminal"


class JournalError(DomainError):
    code: JournalErrorCode

    def __init__(self, code: JournalErrorCode, message: str):
        super().__init__(code, message)


class JournalProblem(StrEnum):
    # The entry on its own: checked before it is placed in the chain.
    NOT_CANONICAL = "not_canonical"  # not JSON, a float, a duplicate key, other bytes
    INVALID_ENTRY = "invalid_entry"  # a field missing, of the wrong type or shape
    WRONG_TERMINAL = "wrong_terminal"  # `terminal` is not the sending terminal
    UNKNOWN_KEY = "unknown_key"  # `key` is not registered to this terminal
    BAD_HASH = "bad_hash"  # hash != chain_hash(prev_hash, canonical)
    BAD_SIGNATURE = "bad_signature"
    # The entry in its chain.
    PREV_HASH_MISMATCH = "prev_hash_mismatch"  # prev_hash is not the previous entry's hash
    FORK = "fork"  # another entry at a seq already taken
    KEY_SUPERSEDED = "key_superseded"  # signed with an older pairing's key after a newer one
    # Accepted into the chain (it is what the till wrote) but flagged for a person.
    GRAND_TOTAL_MISMATCH = "grand_total_mismatch"
    # The day close (docs/z-report.md), flagged by the cash app once the entry is in.
    Z_MISMATCH = "z_mismatch"  # the till's Z is not what the server computes from the entries
    Z_NUMBER = "z_number"  # a z_no that is not the terminal's previous one + 1
    PERIOD_MISMATCH = "period_mismatch"  # a PERIOD_CLOSE is not the sum of its Zs
    SESSION_CLOSED = "session_closed"  # an entry for a session whose Z was written
    # Found only by verifying a stored chain.
    MISSING_ENTRY = "missing_entry"  # a seq with no entry: deleted, or never stored
    SEQ_MISMATCH = "seq_mismatch"  # the entry stored at a seq says another seq
    ANCHOR_MISMATCH = "anchor_mismatch"  # the server chain anchored another hash at this seq


QUARANTINE_PROBLEMS = frozenset(
    {
        JournalProblem.NOT_CANONICAL,
        JournalProblem.INVALID_ENTRY,
        JournalProblem.WRONG_TERMINAL,
        JournalProblem.UNKNOWN_KEY,
        JournalProblem.BAD_HASH,
        JournalProblem.BAD_SIGNATURE,
        JournalProblem.PREV_HASH_MISMATCH,
        JournalProblem.FORK,
        JournalProblem.KEY_SUPERSEDED,
    }
)
"""The problems that keep an entry out of its chain, in quarantine."""
