"""The one canonical byte form of a journal entry, and the hash chain built on it.

A journal entry is written by the terminal (JavaScript) and verified by the server
(Python), so both must turn the same entry into the same bytes, or every hash differs.
The form is RFC 8785, the JSON Canonicalization Scheme (JCS): object keys sorted by
UTF-16 code units, no whitespace, strings escaped exactly as ECMAScript's
`JSON.stringify` escapes them, everything else literal UTF-8.

Kassa narrows JCS in one place: the only numbers are integers within ±(2^53 − 1).
Money and quantities travel as decimal strings ("2.50", "1.000"), so a float in an entry
is a bug, and refusing it keeps us out of the one hard part of JCS (ECMAScript's
shortest round-trip float formatting), which two languages easily get subtly different.

The terminal's `domain/jcs.js` implements the same rules; both are held to
`tests/shared/jcs_cases.json`. The rules are written down in `docs/journal.md`.
"""

from __future__ import annotations

import hashlib
import re

GENESIS_HASH = "0" * 64
"""The `prev_hash` of a journal's first entry: 32 zero bytes, in hex."""

MAX_SAFE_INTEGER = 2**53 - 1
"""The largest integer a JavaScript number holds exactly; the terminal cannot write more."""

_ESCAPES = {
    **{code: f"\\u{code:04x}" for code in range(0x20)},
    ord("\b"): "\\b",
    ord("\t"): "\\t",
    ord("\n"): "\\n",
    ord("\f"): "\\f",
    ord("\r"): "\\r",
    ord('"'): '\\"',
    ord("\\"): "\\\\",
}
_SURROGATE = re.compile("[\ud800-\udfff]")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_HASH_HEX = re.compile(r"[0-9a-f]{64}")


class CanonicalFormError(ValueError):
    """A value the journal cannot hold; `path` names where (`payload.lines[2].qty`)."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path or '(root)'}: {problem}")
        self.path = path
        self.problem = problem


class CanonicalTypeError(CanonicalFormError, TypeError):
    """A value of a type the journal does not take (float, Decimal, tuple, object...)."""


def canonicalize(value: object) -> bytes:
    """The RFC 8785 form of `value` as UTF-8 bytes: the bytes that are hashed.

    Takes dict (str keys), list, str, int within ±(2^53 − 1), bool and None. Anything
    else raises CanonicalTypeError (a TypeError); an integer out of range or a string
    with a lone surrogate raises CanonicalFormError (a ValueError). Both name the path.
    """
    parts: list[str] = []
    _write(value, "", parts, set())
    return "".join(parts).encode("utf-8")


def chain_hash(prev_hash_hex: str, canonical: bytes) -> str:
    """SHA-256 of the previous entry's hash (32 raw bytes) followed by this entry's
    canonical bytes, as lowercase hex. The first entry's `prev_hash` is GENESIS_HASH.

    `prev_hash_hex` must be exactly 64 lowercase hex digits: `bytes.fromhex` alone would
    also take capitals and spaces, and a hash has one spelling only.
    """
    if not isinstance(prev_hash_hex, str) or not _HASH_HEX.fullmatch(prev_hash_hex):
        raise ValueError(f"prev_hash must be 64 lowercase hex digits, not {prev_hash_hex!r}")
    if not isinstance(canonical, bytes):
        raise TypeError(f"canonical must be bytes, not {type(canonical).__name__}")
    return hashlib.sha256(bytes.fromhex(prev_hash_hex) + canonical).hexdigest()


def _write(value: object, path: str, parts: list[str], open_containers: set[int]) -> None:
    # bool before int: True is an int in Python, and must be written `true`, never `1`.
    if value is None:
        parts.append("null")
    elif value is True:
        parts.append("true")
    elif value is False:
        parts.append("false")
    elif type(value) is int:
        if not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            raise CanonicalFormError(
                path,
                f"integer {value} is beyond ±(2^53 − 1); "
                "a JavaScript number cannot hold it exactly",
            )
        parts.append(str(value))
    elif isinstance(value, str):
        parts.append(_quote(value, path))
    elif isinstance(value, list):
        _enter(value, path, open_containers)
        parts.append("[")
        for index, item in enumerate(value):
            if index:
                parts.append(",")
            _write(item, f"{path}[{index}]", parts, open_containers)
        parts.append("]")
        open_containers.discard(id(value))
    elif isinstance(value, dict):
        _enter(value, path, open_containers)
        for key in value:
            if not isinstance(key, str):
                raise CanonicalTypeError(
                    path, f"key {key!r} is a {type(key).__name__}; object keys must be strings"
                )
            _refuse_surrogates(key, path, "a key")
        parts.append("{")
        # RFC 8785 §3.2.3: compare keys as UTF-16 code units, as JavaScript's sort does.
        # Big-endian UTF-16 bytes compare in that same order; code points would not
        # ("\ue000" < "\U0001f600" by code point, but 0xD83D < 0xE000 by code unit).
        for index, key in enumerate(sorted(value, key=lambda k: k.encode("utf-16-be"))):
            if index:
                parts.append(",")
            parts.append(_quote(key, path))
            parts.append(":")
            _write(value[key], _child_path(path, key), parts, open_containers)
        parts.append("}")
        open_containers.discard(id(value))
    elif isinstance(value, float):
        raise CanonicalTypeError(
            path,
            f"{value!r} is a float; the journal takes integers only "
            "(write amounts and quantities as decimal strings)",
        )
    else:
        raise CanonicalTypeError(
            path,
            f"a {type(value).__name__} is not a journal value "
            "(it takes dict, list, str, int, bool and None)",
        )


def _enter(container: object, path: str, open_containers: set[int]) -> None:
    # A container inside itself would recurse until Python gives up; say what it is.
    if id(container) in open_containers:
        raise CanonicalFormError(path, "the value contains itself")
    open_containers.add(id(container))


def _quote(text: str, path: str) -> str:
    """A JSON string exactly as ECMAScript's JSON.stringify writes it (RFC 8785 §3.2.2.2)."""
    _refuse_surrogates(text, path, "a string")
    return '"' + text.translate(_ESCAPES) + '"'


def _refuse_surrogates(text: str, path: str, what: str) -> None:
    # A lone surrogate has no UTF-8 form: the terminal's TextEncoder would silently
    # replace it with U+FFFD, and the two sides would hash different bytes.
    found = _SURROGATE.search(text)
    if found:
        raise CanonicalFormError(
            path, f"{what} with a lone surrogate U+{ord(found.group()):04X} has no UTF-8 form"
        )


def _child_path(path: str, key: str) -> str:
    if _IDENTIFIER.fullmatch(key):
        return f"{path}.{key}" if path else key
    return f"{path}[{_quote(key, path)}]"
