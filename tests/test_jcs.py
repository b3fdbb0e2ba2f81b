"""The journal's canonical form: the vectors shared with the terminal, the refusals, and
random values checked against an independent serialisation and against the terminal's
own code run by node."""

from __future__ import annotations

import enum
import hashlib
import json
import random
import shutil
import subprocess
from collections import OrderedDict
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from kassa.jcs import (
    GENESIS_HASH,
    MAX_SAFE_INTEGER,
    CanonicalFormError,
    CanonicalTypeError,
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
