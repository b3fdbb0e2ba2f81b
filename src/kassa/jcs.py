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

A reader of stored or received bytes checks them with `canonical_loads`: the value they
hold, if they are exactly its canonical form. It proves most entries with two C
serialisers (orjson when installed, else the standard library's json) and falls back to
the full check, `canonical_loads_full`, for whatever that proof does not cover.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

try:  # the server has it; the proxy and the offline archive verifier may not
    import orjson
except ImportError:  # pragma: no cover - exercised by forcing the stdlib path in tests
    orjson = None  # type: ignore[assignment]

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


# --- reading canonical bytes --------------------------------------------------------


def canonical_loads(raw: bytes) -> Any:
    """The value `raw` holds, if `raw` is exactly its canonical form (the UTF-8 bytes
    `canonicalize` writes for it); CanonicalFormError otherwise, naming the problem.

    The verdict is always `canonical_loads_full`'s. The fast path only ever says yes, and
    only where a C serialiser's output is provably the canonical form (see
    `_loads_proven`); anything else, including every refusal, is decided by the full
    check, so the messages are the full check's too.
    """
    value = _loads_proven(raw)
    if value is _UNPROVEN:
        return canonical_loads_full(raw)
    return value


def canonical_loads_full(raw: bytes) -> Any:
    """`canonical_loads` by the book: parse with a reader that refuses floats, NaN,
    infinities and duplicate keys, canonicalise the value again, compare byte for byte."""
    if not isinstance(raw, bytes):
        raise CanonicalTypeError("", f"canonical bytes must be bytes, not {type(raw).__name__}")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise CanonicalFormError("", "the bytes are not UTF-8") from None
    try:
        value = json.loads(
            text,
            parse_float=_refuse_number,
            parse_constant=_refuse_constant,
            object_pairs_hook=_object_once,
        )
    except CanonicalFormError:
        raise
    except ValueError as exc:  # JSONDecodeError, and an integer of over 4,300 digits
        raise CanonicalFormError("", f"the bytes are not JSON: {exc}") from None
    except RecursionError:
        raise CanonicalFormError("", "the value is nested too deeply") from None
    try:
        again = canonicalize(value)
    except RecursionError:
        raise CanonicalFormError("", "the value is nested too deeply") from None
    if again != raw:
        at = next(
            (i for i, (a, b) in enumerate(zip(again, raw, strict=False)) if a != b),
            min(len(again), len(raw)),
        )
        raise CanonicalFormError(
            "",
            f"the bytes are not the canonical form of what they hold (they differ at byte {at})",
        )
    return value


def _refuse_number(text: str) -> Any:
    raise CanonicalTypeError(
        "", f"the number {text} has a fraction or an exponent; the journal takes integers only"
    )


def _refuse_constant(text: str) -> Any:
    raise CanonicalTypeError("", f"{text} is not JSON")


def _object_once(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    value = dict(pairs)
    if len(value) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise CanonicalFormError("", f"the key {key!r} appears twice")
            seen.add(key)
    return value


_UNPROVEN: Any = object()
# The lead bytes of UTF-8's four-byte sequences: the characters beyond U+FFFF.
_ASTRAL_LEADS = (b"\xf0", b"\xf1", b"\xf2", b"\xf3", b"\xf4")


class _Unproven(Exception):
    pass


def _unproven_number(text: str) -> Any:
    raise _Unproven


def _safe_int(text: str) -> int:
    if len(text) > 17:  # "-9007199254740991" is 17 characters
        raise _Unproven
    value = int(text)
    if not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
        raise _Unproven
    return value


# Both read with the standard library's C scanner, which hands every float to
# _unproven_number. For orjson's serialiser the integers are read as they are and its
# STRICT_INTEGER refuses one beyond ±(2^53 − 1); for the standard library's, `_safe_int`
# refuses it while reading. (orjson's own reader would take floats, and looking for them
# in what it read cost more than this whole read: docs/performance.md.)
_SCAN_ANY_INT = json.JSONDecoder(
    parse_float=_unproven_number, parse_constant=_unproven_number
).scan_once  # type: ignore[attr-defined]
_SCAN_SAFE_INT = json.JSONDecoder(
    parse_float=_unproven_number, parse_int=_safe_int, parse_constant=_unproven_number
).scan_once  # type: ignore[attr-defined]
_ORJSON_CANONICAL = 0 if orjson is None else orjson.OPT_SORT_KEYS | orjson.OPT_STRICT_INTEGER
_ENCODER = json.JSONEncoder(
    ensure_ascii=False,
    separators=(",", ":"),
    sort_keys=True,
    check_circular=False,
    allow_nan=False,
)


def _loads_proven(raw: bytes, *, use_orjson: bool = True) -> Any:
    """The value `raw` holds if this proves that `raw` is its canonical form, else
    _UNPROVEN (the full check decides: it may still be canonical, or not).

    The proof: parse `raw`; check the value has no float, no integer beyond
    ±(2^53 − 1) and no object key with a character beyond U+FFFF (the reader refuses
    floats, orjson's STRICT_INTEGER or `_safe_int` big integers, `_plain` the keys only
    where `raw` has a four-byte character at all); serialise it again
    with sorted keys, no whitespace and non-ASCII characters literal (orjson, or the
    standard library's json with ensure_ascii=False); equal to `raw`, byte for byte.
    Both serialisers escape every character exactly as JSON.stringify does (tested for
    every code point) and write integers and literals as JCS does. They sort keys by
    code point, JCS by UTF-16 code unit; the two orders are the same for strings of
    characters up to U+FFFF (no surrogate can be in a key: the bytes were valid UTF-8),
    which is why a key beyond U+FFFF is left to the full check. A duplicate key, a
    `-0`, whitespace, an escape written another way (`\\u00e9`, `\\/`), keys out
    of order: the serialised bytes differ from `raw`, so nothing that is not canonical
    is ever proven.
    """
    if type(raw) is not bytes:
        return _UNPROVEN
    # isascii is one fast pass; most entries are ASCII and need no search for lead bytes
    astral = not raw.isascii() and any(lead in raw for lead in _ASTRAL_LEADS)
    try:
        fast = orjson is not None and use_orjson
        text = raw.decode("utf-8")
        value, end = (_SCAN_ANY_INT if fast else _SCAN_SAFE_INT)(text, 0)
        if end != len(text) or (astral and not _plain(value, True)):
            return _UNPROVEN
        if fast:
            return value if orjson.dumps(value, option=_ORJSON_CANONICAL) == raw else _UNPROVEN
        return value if _ENCODER.encode(value) == text else _UNPROVEN
    except Exception:  # not JSON, not UTF-8, too deep, a float, a big int, ...: not proven
        return _UNPROVEN


def _plain(value: Any, astral: bool) -> bool:
    """No float, no integer beyond ±(2^53 − 1) and, if `astral`, no key beyond U+FFFF:
    what the proof cannot take (a float or a big integer must never pass for an integer,
    and the serialisers sort such keys otherwise than JCS)."""
    stack = [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is dict:
            if astral:
                for key in item:
                    if not key.isascii() and max(key) > "\uffff":
                        return False
            stack.extend(item.values())
        elif kind is list:
            stack.extend(item)
        elif kind is int:
            if not -MAX_SAFE_INTEGER <= item <= MAX_SAFE_INTEGER:
                return False
        elif kind is float:
            return False
    return True
