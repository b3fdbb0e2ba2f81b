"""The journal's canonical form: the vectors shared with the terminal, the refusals, and
random values checked against an independent serialisation and against the terminal's
own code run by node. And its reading: canonical_loads, whose fast path must give the
full check's verdict on the vectors, on other spellings of them and on random entries."""

from __future__ import annotations

import contextlib
import enum
import hashlib
import json
import random
import re
import shutil
import subprocess
from collections import OrderedDict
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from kassa import jcs
from kassa.jcs import (
    GENESIS_HASH,
    MAX_SAFE_INTEGER,
    CanonicalFormError,
    CanonicalTypeError,
    canonical_loads,
    canonical_loads_full,
    canonicalize,
    chain_hash,
)

SHARED = json.loads((Path(__file__).parent / "shared" / "jcs_cases.json").read_text("utf-8"))
CASES = SHARED["cases"]
ERRORS = SHARED["errors"]
CHAINS = SHARED["chains"]
TERMINAL_JCS = Path(__file__).parents[1] / "src" / "kassa" / "terminal" / "domain" / "jcs.js"


def _native(value: Any) -> Any:
    """The shared file's value with each {"$float": "1.5"} made a Python float."""
    if isinstance(value, dict):
        if list(value) == ["$float"]:
            return float(value["$float"])
        return {key: _native(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_native(item) for item in value]
    return value


def test_the_shared_file_has_vectors() -> None:
    assert len(CASES) >= 20
    assert len(ERRORS) >= 12
    assert [len(chain["entries"]) for chain in CHAINS] == [3]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_vector(case: dict[str, Any]) -> None:
    # when the case's value is canonicalised
    canonical = canonicalize(case["value"])
    # then the bytes are the hand-written form, whose SHA-256 sha256sum computed
    assert canonical == case["canonical"].encode("utf-8")
    assert hashlib.sha256(canonical).hexdigest() == case["sha256"]
    # and they read back as the same value, and canonicalise to themselves
    assert json.loads(canonical) == case["value"]
    assert canonicalize(json.loads(canonical)) == canonical


@pytest.mark.parametrize("case", ERRORS, ids=[c["name"] for c in ERRORS])
def test_refused(case: dict[str, Any]) -> None:
    with pytest.raises(CanonicalFormError) as refused:
        canonicalize(_native(case["value"]))
    assert refused.value.path == case["path"]
    assert str(refused.value).startswith(f"{case['path'] or '(root)'}: ")


@pytest.mark.parametrize("chain", CHAINS, ids=[c["name"] for c in CHAINS])
def test_chain(chain: dict[str, Any]) -> None:
    # given the genesis hash, when each entry's hash is chained onto the previous one
    prev = GENESIS_HASH
    for entry, canonical, expected in zip(
        chain["entries"], chain["canonical"], chain["hashes"], strict=True
    ):
        assert canonicalize(entry) == canonical.encode("utf-8")
        prev = chain_hash(prev, canonicalize(entry))
        # then each hash is the one sha256sum computed
        assert prev == expected


def test_a_changed_entry_changes_every_later_hash() -> None:
    entries = CHAINS[0]["entries"]
    tampered = json.loads(json.dumps(entries))
    tampered[1]["payload"]["total"] = "8.49"

    def hashes(chain: list[Any]) -> list[str]:
        prev, out = GENESIS_HASH, []
        for entry in chain:
            prev = chain_hash(prev, canonicalize(entry))
            out.append(prev)
        return out

    honest, forged = hashes(entries), hashes(tampered)
    assert honest[0] == forged[0]
    assert all(a != b for a, b in zip(honest[1:], forged[1:], strict=True))


def test_genesis_hash_is_32_zero_bytes() -> None:
    assert GENESIS_HASH == "0" * 64
    assert chain_hash(GENESIS_HASH, b"{}") == hashlib.sha256(bytes(32) + b"{}").hexdigest()


@pytest.mark.parametrize(
    "prev",
    ["0" * 63, "0" * 65, "A" * 64, " " + "0" * 63, "0" * 62 + " 0", "g" * 64, ""],
)
def test_chain_hash_takes_one_spelling_of_a_hash(prev: str) -> None:
    with pytest.raises(ValueError, match="64 lowercase hex digits"):
        chain_hash(prev, b"{}")


def test_chain_hash_takes_bytes_only() -> None:
    with pytest.raises(TypeError, match="must be bytes"):
        chain_hash(GENESIS_HASH, "{}")  # type: ignore[arg-type]


def test_booleans_are_written_as_booleans_not_numbers() -> None:
    assert canonicalize([True, False, 1, 0]) == b"[true,false,1,0]"
    assert canonicalize({"paid": True, "count": 1}) == b'{"count":1,"paid":true}'


class _Colour(enum.IntEnum):
    RED = 1


class _Unknown:
    pass


@pytest.mark.parametrize(
    ("value", "path", "message"),
    [
        (1.0, "", "1.0 is a float; the journal takes integers only"),
        (-0.0, "", "-0.0 is a float"),
        ({"amount": Decimal("2.50")}, "amount", "a Decimal is not a journal value"),
        ([(1, 2)], "[0]", "a tuple is not a journal value"),
        ({"tags": {"a"}}, "tags", "a set is not a journal value"),
        ({"raw": b"x"}, "raw", "a bytes is not a journal value"),
        ({"colour": _Colour.RED}, "colour", "a _Colour is not a journal value"),
        ({"x": _Unknown()}, "x", "a _Unknown is not a journal value"),
        ({1: "one"}, "", "key 1 is a int; object keys must be strings"),
        ({"a": {None: 1}}, "a", "key None is a NoneType"),
        ({"a": {True: 1}}, "a", "key True is a bool"),
    ],
)
def test_refused_python_types(value: object, path: str, message: str) -> None:
    with pytest.raises(CanonicalTypeError, match=message) as refused:
        canonicalize(value)
    assert isinstance(refused.value, TypeError)
    assert refused.value.path == path


def test_a_value_out_of_range_is_a_value_error_not_a_type_error() -> None:
    assert (
        canonicalize([MAX_SAFE_INTEGER, -MAX_SAFE_INTEGER])
        == b"[9007199254740991,-9007199254740991]"
    )
    with pytest.raises(CanonicalFormError, match=r"beyond ±\(2\^53 − 1\)") as refused:
        canonicalize({"n": 2**64})
    assert not isinstance(refused.value, TypeError)
    assert refused.value.path == "n"


def test_surrogate_halves_as_code_points_are_refused() -> None:
    # Python can hold a pair as two code points (JSON decoding never makes one)
    with pytest.raises(CanonicalFormError, match=r"lone surrogate U\+D83D"):
        canonicalize("\ud83d\ude00")
    assert canonicalize("\U0001f600") == '"\U0001f600"'.encode()


def test_a_value_inside_itself_is_refused() -> None:
    looped: list[Any] = [1]
    looped.append(looped)
    with pytest.raises(CanonicalFormError, match="contains itself") as refused:
        canonicalize({"a": looped})
    assert refused.value.path == "a[1]"
    shared = [1]
    assert canonicalize([shared, shared]) == b"[[1],[1]]"  # the same list twice is fine


def test_dict_and_str_subclasses_are_their_plain_values() -> None:
    assert canonicalize(OrderedDict([("b", 1), ("a", 2)])) == b'{"a":2,"b":1}'


# Characters picked for the rules they exercise: escapes, U+007F and U+0080 at the edge of
# the escaped range, the line separators, private use and astral characters whose UTF-16
# order differs from their code point order.
_ALPHABET = [
    *"aZ0 /'<&",
    '"',
    "\\",
    *"\b\t\n\f\r\x00\x01\x1f\x7f\x80",
    *"éß€字\u2028\u2029\ue000\ufb33\uffff",
    "\U0001f600",
    "\U00010000",
    "\U0010ffff",
]


def _random_string(rng: random.Random) -> str:
    chars = []
    for _ in range(rng.randrange(0, 8)):
        if rng.random() < 0.8:
            chars.append(rng.choice(_ALPHABET))
        else:
            code = rng.randrange(0x20, 0x110000 - 0x800)
            chars.append(chr(code + 0x800 if code >= 0xD800 else code))  # skip surrogates
    return "".join(chars)


def _random_value(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.randrange(7 if depth < 4 else 4)
    if kind == 0:
        return rng.choice([None, True, False])
    if kind == 1:
        edges = [0, 1, -1, MAX_SAFE_INTEGER, -MAX_SAFE_INTEGER]
        small = rng.randrange(-1000, 1000)
        large = rng.randrange(-MAX_SAFE_INTEGER, MAX_SAFE_INTEGER + 1)
        return rng.choice([*edges, small, large])
    if kind in (2, 3):
        return _random_string(rng)
    if kind == 4:
        return [_random_value(rng, depth + 1) for _ in range(rng.randrange(0, 5))]
    keys = [_random_string(rng) for _ in range(rng.randrange(0, 6))]
    if rng.random() < 0.05:
        keys.append("__proto__")
    return {key: _random_value(rng, depth + 1) for key in keys}


def _utf16_units(text: str) -> list[int]:
    units = []
    for char in text:
        code = ord(char)
        if code > 0xFFFF:
            code -= 0x10000
            units += [0xD800 + (code >> 10), 0xDC00 + (code & 0x3FF)]
        else:
            units.append(code)
    return units


def _in_utf16_key_order(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _in_utf16_key_order(value[k]) for k in sorted(value, key=_utf16_units)}
    if isinstance(value, list):
        return [_in_utf16_key_order(item) for item in value]
    return value


def test_random_values_agree_with_an_independent_serialisation() -> None:
    rng = random.Random(8785)
    for _ in range(2_000):
        value = _random_value(rng)
        canonical = canonicalize(value)
        # the stdlib writer escapes exactly as JCS does with ensure_ascii=False; only the
        # key order is JCS's own, computed here from UTF-16 units counted by hand
        expected = json.dumps(_in_utf16_key_order(value), ensure_ascii=False, separators=(",", ":"))
        assert canonical == expected.encode("utf-8"), value
        assert json.loads(canonical) == value
        assert canonicalize(json.loads(canonical)) == canonical


_NODE_SCRIPT = """
import { readFileSync } from "node:fs";
import { canonicalBytes, chainHash, GENESIS_HASH } from MODULE_URL;
const values = JSON.parse(readFileSync(0, "utf8"));
const hex = (bytes) => Buffer.from(bytes).toString("hex");
const canonical = [];
const hashes = [];
let prev = GENESIS_HASH;
for (const value of values) {
  const bytes = canonicalBytes(value);
  canonical.push(hex(bytes));
  prev = await chainHash(prev, bytes);
  hashes.push(prev);
}
process.stdout.write(JSON.stringify({ canonical, hashes }));
"""


@pytest.mark.skipif(
    shutil.which("node") is None,
    reason="node is not installed, so the terminal's jcs.js cannot be run to compare bytes",
)
def test_the_terminal_writes_the_same_bytes_and_hashes() -> None:
    # given 500 random values, sent to node as JSON (astral characters as \\u pairs)
    rng = random.Random(20261130)
    values = [_random_value(rng) for _ in range(500)]
    script = _NODE_SCRIPT.replace("MODULE_URL", json.dumps(TERMINAL_JCS.as_uri()))
    # when the terminal's module canonicalises and chains them
    done = subprocess.run(
        ["node", "--input-type=module", "-e", script],
        input=json.dumps(values),
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        check=True,
    )
    answer = json.loads(done.stdout)
    # then every value's bytes and every hash of the chain are Python's
    prev = GENESIS_HASH
    for value, their_bytes, their_hash in zip(
        values, answer["canonical"], answer["hashes"], strict=True
    ):
        canonical = canonicalize(value)
        assert bytes.fromhex(their_bytes) == canonical, value
        prev = chain_hash(prev, canonical)
        assert their_hash == prev


# --- reading canonical bytes: canonical_loads, its fast path and the full check ------

# The fast path with orjson (the server) and with the standard library alone (the proxy,
# the offline archive verifier): both must only ever prove what the full check accepts.
FAST_PATHS = [
    pytest.param(True, id="orjson", marks=pytest.mark.skipif(jcs.orjson is None, reason="")),
    pytest.param(False, id="stdlib"),
]


def _full_verdict(raw: bytes) -> tuple[str, Any]:
    try:
        value = canonical_loads_full(raw)
    except CanonicalFormError as exc:
        return "refused", str(exc)
    return "canonical", canonicalize(value)


def _verdicts_agree(raw: bytes) -> tuple[str, Any]:
    """canonical_loads and the full check say the same of `raw` (message included), and
    where either fast path proves `raw`, the full check accepts it with the same value."""
    full = _full_verdict(raw)
    try:
        value = canonical_loads(raw)
        verdict: tuple[str, Any] = ("canonical", canonicalize(value))
    except CanonicalFormError as exc:
        verdict = ("refused", str(exc))
    assert verdict == full, raw
    for use_orjson in (True, False):
        proven = jcs._loads_proven(raw, use_orjson=use_orjson)
        if proven is not jcs._UNPROVEN:
            assert full[0] == "canonical", (use_orjson, raw)
            assert canonicalize(proven) == full[1] == raw
            assert proven == canonical_loads_full(raw)
    return full


def _has_astral_key(value: Any) -> bool:
    if isinstance(value, dict):
        return any(max(k, default="") > "\uffff" or _has_astral_key(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_astral_key(item) for item in value)
    return False


@pytest.mark.parametrize("use_orjson", FAST_PATHS)
@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_every_vector_reads_back_through_the_fast_path_and_the_full_check(
    case: dict[str, Any], use_orjson: bool
) -> None:
    raw = case["canonical"].encode("utf-8")
    assert _verdicts_agree(raw) == ("canonical", raw)
    assert canonical_loads(raw) == case["value"]
    proven = jcs._loads_proven(raw, use_orjson=use_orjson)
    if _has_astral_key(case["value"]):
        # UTF-16 order is not code point order there: the full check decides
        assert proven is jcs._UNPROVEN
    else:
        assert proven == case["value"]


def _error_texts(value: Any) -> list[bytes]:
    """How a writer could spell a value the journal refuses: floats as JSON numbers
    (1.5, 1E30, NaN), lone surrogates as escapes and as their (invalid) UTF-8 bytes."""
    texts = []
    for ascii_only in (False, True):
        text = json.dumps(value, ensure_ascii=ascii_only, separators=(",", ":"), sort_keys=True)
        texts.append(text.encode("utf-8", "surrogatepass"))
    return texts


@pytest.mark.parametrize("case", ERRORS, ids=[c["name"] for c in ERRORS])
def test_every_refused_vector_is_refused_by_the_fast_path_and_the_full_check(
    case: dict[str, Any],
) -> None:
    for raw in _error_texts(_native(case["value"])):
        assert _verdicts_agree(raw)[0] == "refused", raw
        for use_orjson in (True, False):
            assert jcs._loads_proven(raw, use_orjson=use_orjson) is jcs._UNPROVEN


def _respellings(raw: bytes) -> list[bytes]:
    """Other spellings of the same value: none of them is canonical."""
    text = raw.decode("utf-8")
    value = json.loads(text)
    out = [
        b" " + raw,
        raw + b"\n",
        json.dumps(value, ensure_ascii=False).encode(),  # ", " and ": "
        json.dumps(value, ensure_ascii=True, separators=(",", ":")).encode(),  # \u escapes
        text.replace("/", "\\/").encode(),
    ]
    if isinstance(value, dict) and len(value) > 1:
        reverse = dict(reversed(list(value.items())))
        out.append(json.dumps(reverse, ensure_ascii=False, separators=(",", ":")).encode())
        first = next(iter(value))
        dup = json.dumps(value[first], ensure_ascii=False, separators=(",", ":"))
        key = json.dumps(first, ensure_ascii=False)
        out.append(raw[:-1] + f",{key}:{dup}}}".encode())  # a key twice
    return [spelling for spelling in out if spelling != raw]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_other_spellings_of_a_vector_are_refused_by_both(case: dict[str, Any]) -> None:
    for raw in _respellings(case["canonical"].encode("utf-8")):
        assert _verdicts_agree(raw)[0] == "refused", raw


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b'{"a":1,"a":1}', "the key 'a' appears twice"),
        (b'{"a":1,"a":2}', "the key 'a' appears twice"),
        (b'["\\ud800"]', "[0]: a string with a lone surrogate U+D800"),
        (b'{"k\\udfff":1}', "a key with a lone surrogate U+DFFF"),
        (b'"\\ud83d\\ude00"', "not the canonical form"),  # a pair, escaped: write it as UTF-8
        (b'"\xed\xa0\x80"', "not UTF-8"),  # a surrogate's would-be UTF-8 bytes
        (b"9007199254740992", "beyond"),
        (b"-9007199254740992", "beyond"),
        (b"18446744073709551616", "beyond"),  # orjson reads this as a float
        (b"1" * 5000, "not JSON"),  # past Python's int digit limit
        (b"1.0", "the number 1.0 has a fraction"),
        (b"1e2", "the number 1e2 has a fraction"),
        (b"NaN", "NaN is not JSON"),
        (b"-Infinity", "-Infinity is not JSON"),
        (b"-0", "not the canonical form"),
        (b"01", "not JSON"),
        (b"\xef\xbb\xbf{}", "not JSON"),  # a byte order mark
        (b"{}\x00", "not JSON"),
        (b"", "not JSON"),
        (b'"\\u00e9"', "not the canonical form"),
        (b'"\\/"', "not the canonical form"),
        (b'"\\u001F"', "not the canonical form"),
        (b'"\\u000a"', "not the canonical form"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    ],
)
def test_what_canonical_loads_refuses(raw: bytes, message: str) -> None:
    assert _verdicts_agree(raw)[0] == "refused"
    with pytest.raises(CanonicalFormError, match=re.escape(message)):
        canonical_loads(raw)


@pytest.mark.parametrize(
    "raw",
    [
        b'{"a":1.5}',
        b'{"a":-1.5}',
        b'{"a":1.0}',
        b'{"a":1e+16}',
        b'{"a":1e16}',
        b'{"a":[1.5]}',
        b'{"a":[1,2.5]}',
        b'{"a":{"b":[{"c":0.1}]}}',
        b'{"a":-0.0}',
        b'{"a":9007199254740992}',
        b'{"a":[-9007199254740992]}',
        b'{"a":18446744073709551616}',
    ],
)
def test_an_object_with_a_float_or_a_big_integer_is_never_proven(raw: bytes) -> None:
    # Wherever a float or an integer beyond ±(2^53 − 1) stands in an object, the fast
    # path does not prove it (orjson would write the same bytes back).
    assert jcs._loads_proven(raw) is jcs._UNPROVEN
    assert _verdicts_agree(raw)[0] == "refused"


@pytest.mark.parametrize(
    "raw",
    [
        b'{"a":"x\\":1.5","b":",2e3","c":"[3.0"}',
        b'{"a":[1,2],"b":{"c":-3}}',
        b'{"at":"2026-11-01T08:00:00.000+01:00"}',
    ],
)
def test_a_float_look_alike_in_a_string_is_still_proven(raw: bytes) -> None:
    assert jcs._loads_proven(raw) == canonical_loads_full(raw)


def test_canonical_loads_takes_bytes_only() -> None:
    with pytest.raises(CanonicalTypeError, match="must be bytes"):
        canonical_loads("{}")  # type: ignore[arg-type]


@pytest.mark.parametrize("use_orjson", FAST_PATHS)
def test_the_fast_serialisers_escape_every_character_as_jcs_does(use_orjson: bool) -> None:
    # every code point but the surrogates, each a string of its own in one array: the
    # array's elements are delimited (a quote inside one is escaped), so equal arrays
    # mean every character is written alike
    chars = [chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    expected = canonicalize(chars)
    if use_orjson:
        assert jcs.orjson.dumps(chars) == expected
    else:
        assert jcs._ENCODER.encode(chars).encode("utf-8") == expected
    assert jcs._loads_proven(expected, use_orjson=use_orjson) == chars


_NASTY = [
    *_ALPHABET,
    "\u2028",
    "\u2029",
    "\x7f",
    "\U0001f600",
    "\U00010000",
    "\ud800",  # a lone surrogate: refused wherever it lands
]


def _random_entry(rng: random.Random) -> Any:
    """An entry-like object with what the fast path must not be fooled by: astral and
    control characters in keys and values, U+2028, integers at and past ±(2^53 − 1),
    floats, lone surrogates, now and then."""

    def text() -> str:
        return "".join(rng.choice(_NASTY) for _ in range(rng.randrange(0, 5)))

    def number() -> Any:
        return rng.choice(
            [
                0,
                -1,
                rng.randrange(-1000, 1000),
                MAX_SAFE_INTEGER,
                -MAX_SAFE_INTEGER,
                MAX_SAFE_INTEGER + 1,
                -MAX_SAFE_INTEGER - 1,
                2**64,
                1.5,
                1.0,
                True,
            ]
        )

    lines = [
        {
            "name": text() if rng.random() < 0.3 else f"Product {n}",
            "qty": number() if rng.random() < 0.1 else "1",
            **({text(): text()} if rng.random() < 0.2 else {}),
        }
        for n in range(rng.randrange(0, 4))
    ]
    entry: dict[str, Any] = {
        "v": 1,
        "terminal": "POS1",
        "seq": number() if rng.random() < 0.2 else rng.randrange(1, 10**6),
        "type": "SALE",
        "at": "2026-11-30T10:15:00.123+01:00",
        "cashier": rng.choice([None, {"id": 3, "name": text()}]),
        "key": "9f86d081884c7d65",
        "prev_hash": GENESIS_HASH,
        "payload": {"v": 1, "lines": lines, "note": text()},
    }
    if rng.random() < 0.3:
        entry["payload"][text()] = rng.choice([text(), number(), None, [text()]])
    return entry


def test_random_entries_get_the_same_verdict_from_the_fast_path_as_from_the_full_check() -> None:
    rng = random.Random(20261201)
    verdicts = {"canonical": 0, "refused": 0}
    proven = 0
    for _ in range(3_000):
        value = _random_entry(rng)
        spellings = []
        with contextlib.suppress(CanonicalFormError):
            spellings.append(canonicalize(value))
        # what a careless writer would send: code point key order, \u escapes, floats
        for ascii_only in (False, True):
            text = json.dumps(value, ensure_ascii=ascii_only, separators=(",", ":"), sort_keys=True)
            spellings.append(text.encode("utf-8", "surrogatepass"))
        if spellings and rng.random() < 0.2:  # a byte changed
            raw = bytearray(spellings[0])
            raw[rng.randrange(len(raw))] = rng.randrange(256)
            spellings.append(bytes(raw))
        for raw in spellings:
            verdicts[_verdicts_agree(raw)[0]] += 1
            proven += jcs._loads_proven(raw) is not jcs._UNPROVEN
    # both outcomes were exercised, and the fast path proved most canonical entries
    assert verdicts["canonical"] > 1000 and verdicts["refused"] > 1000, verdicts
    assert proven > verdicts["canonical"] * 0.5, (proven, verdicts)


def test_the_fast_path_works_without_orjson(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jcs, "orjson", None)
    raw = CHAINS[0]["canonical"][0].encode("utf-8")
    assert jcs._loads_proven(raw) == CHAINS[0]["entries"][0]
    assert canonical_loads(raw) == CHAINS[0]["entries"][0]
    with pytest.raises(CanonicalFormError, match="fraction"):
        canonical_loads(b'{"a":1.5}')
