"""A journal archive: one till's entries of one month, in a zip that verifies on its own,
offline, without the database and without Django (docs/journal.md, "Verifying and
archiving").

    entries.jsonl    the wire entries verbatim, one JSON object a line, in seq order
    keys.json        the till's public keys that signed them, oldest first
    schema.json      the JSON Schema of an entry and of each payload type
    manifest.json    what the archive holds: first and last seq and hash, the chain
                     before the first entry, counts per type, SALE totals, each
                     file's SHA-256 (canonical JSON)
    manifest.sig     the server's signature of manifest.json's bytes
    server_key.json  the server's public key that made it

`archive_verify` checks all of it and raises ArchiveProblem at the first thing wrong.
The writer (archive_export, which needs the database) builds its manifest with the same
Tally, so what one counts the other counts the same way.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import zipfile
import zlib
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Any

from cryptography.hazmat.primitives.asymmetric import ec

from kassa.jcs import GENESIS_HASH
from kassa.money import DECIMAL_PATTERN

from .chain import ChainPosition, ChainProblem, ChainWalk
from .entries import GRAND_TOTAL_TYPES, MAX_CANONICAL_BYTES, Entry, EntryProblem, sale_totals
from .errors import JournalProblem
from .keys import PublicKeyError, key_id, public_key_load, signature_valid

FORMAT = "kassa-journal-archive"
FORMAT_VERSION = 1
ENTRIES = "entries.jsonl"
KEYS = "keys.json"
SCHEMA = "schema.json"
MANIFEST = "manifest.json"
MANIFEST_SIG = "manifest.sig"
SERVER_KEY = "server_key.json"
SIGNED_FILES = (ENTRIES, KEYS, SCHEMA)
"""The files the manifest names with their SHA-256 (the other three are its own)."""

SCHEMA_PATH = Path(__file__).with_name("schema.json")
PERIOD = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")
WIRE_FIELDS = frozenset({"seq", "canonical", "hash", "sig"})
DECIMAL = re.compile(DECIMAL_PATTERN)
MAX_FILE_BYTES = 16 * 1024 * 1024
"""The most any file but entries.jsonl may hold (a manifest, the keys, the schema)."""
MAX_LINE_BYTES = 4 * MAX_CANONICAL_BYTES
"""Longer than any line of entries.jsonl can be: an entry's canonical text, escaped again
as a JSON string (at most twice as long), with its seq, hash and signature."""


class ArchiveProblem(Exception):
    """The first thing wrong with an archive, in a sentence that names where."""


def archive_name(terminal: str, period: str) -> str:
    return f"journal-{terminal}-{period}.zip"


def in_period(at_text: str, period: str) -> bool:
    """Whether an entry's `at` falls in the month `period` (YYYY-MM) of the till's own
    clock: the date as written, with its UTC offset, never converted."""
    return at_text[:8] == f"{period}-"


def wire_line(entry: Entry) -> bytes:
    """An entry's line in entries.jsonl: its wire form, canonical text verbatim."""
    return (
        json.dumps(
            {
                "seq": entry.seq,
                "canonical": entry.canonical.decode("utf-8"),
                "hash": entry.hash,
                "sig": entry.sig,
            },
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode("utf-8")
        + b"\n"
    )


@dataclass
class Tally:
    """What the manifest says of the entries: counted on writing and again on reading."""

    entries: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    first: dict[str, Any] | None = None
    last: dict[str, Any] | None = None
    sales_gross: Decimal = Decimal(0)
    gt_after: str | None = None
    gt_abs_after: str | None = None

    def add(self, entry: Entry) -> None:
        mark = {"seq": entry.seq, "hash": entry.hash, "at": entry.at_text}
        if self.first is None:
            self.first = mark
        self.last = mark
        self.entries += 1
        self.counts[entry.type] += 1
        if entry.type in GRAND_TOTAL_TYPES:
            totals = sale_totals(entry.payload)  # the walk has checked them already
            self.sales_gross += totals.gross
            self.gt_after, self.gt_abs_after = totals.gt_after_text, totals.gt_abs_after_text

    def as_manifest(self) -> dict[str, Any]:
        return {
            "entries": self.entries,
            "first": self.first,
            "last": self.last,
            "counts": dict(sorted(self.counts.items())),
            "sales": {
                "count": self.counts["SALE"],
                "gross": str(self.sales_gross),
                "gt_after": self.gt_after,
                "gt_abs_after": self.gt_abs_after,
            },
        }


def before_manifest(position: ChainPosition) -> dict[str, Any]:
    """The chain just before the archive's first entry, as the manifest gives it."""
    return {
        "seq": position.seq,
        "hash": position.hash,
        "key": position.key_id,
        "gt_after": position.gt[0],
        "gt_abs_after": position.gt[1],
    }


def file_digest(data: bytes) -> dict[str, Any]:
    return {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def public_key_text(spki: bytes) -> str:
    return base64.b64encode(spki).decode("ascii")


# --- reading ------------------------------------------------------------------------


@dataclass
class ArchiveReport:
    terminal: str
    period: str
    tally: Tally
    server_key: str

    def summary(self) -> str:
        first, last = self.tally.first or {}, self.tally.last or {}
        return (
            f"archive verified: {self.terminal} {self.period}, seq {first.get('seq')}–"
            f"{last.get('seq')}, {self.tally.entries:,} entries, {self.tally.counts['SALE']:,} "
            f"SALEs, gross {self.tally.sales_gross}; signed by server key {self.server_key}"
        )


def archive_verify(path: Path, *, server_key: str | None = None) -> ArchiveReport:
    """Verify an archive on its own: the manifest's signature (by `server_key`, a key id,
    if given), each file's SHA-256, then every entry (canonical form, hash chain from the
    manifest's previous hash, signatures with keys.json, grand totals) and what the
    manifest says of them (first and last, counts, SALE totals, the month)."""
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise ArchiveProblem(f"not a readable zip archive: {exc}") from None
    with archive:
        names = set(archive.namelist())
        for name in (MANIFEST, MANIFEST_SIG, SERVER_KEY):
            if name not in names:
                raise ArchiveProblem(f"{name} is missing")
        signer, signer_id = _server_key(_read(archive, SERVER_KEY))
        if server_key is not None and signer_id != server_key:
            raise ArchiveProblem(
                f"{SERVER_KEY}: the archive is signed by server key {signer_id}, not {server_key}"
            )
        manifest_bytes = _read(archive, MANIFEST)
        signature = _read(archive, MANIFEST_SIG).decode("ascii", "replace").strip()
        if not signature_valid(signer, signature, manifest_bytes):
            raise ArchiveProblem(
                f"{MANIFEST}: the signature in {MANIFEST_SIG} does not verify with server key "
                f"{signer_id}"
            )
        manifest = _manifest(manifest_bytes, signer_id)
        files: Mapping[str, Any] = manifest["files"]
        for name in SIGNED_FILES:
            if name not in files:
                raise ArchiveProblem(f"{MANIFEST} does not list {name}")
        for name in sorted(files):
            if name not in names:
                raise ArchiveProblem(f"{name} is missing; the manifest lists it")
        for name in sorted(names - set(files) - {MANIFEST, MANIFEST_SIG, SERVER_KEY}):
            raise ArchiveProblem(f"{name} is not in the manifest")
        for name in sorted(set(files) - {ENTRIES}):
            _digest_check(name, file_digest(_read(archive, name)), files[name])
        keys, key_order = _keys(_read(archive, KEYS))
        _json(_read(archive, SCHEMA), SCHEMA)
        tally = _entries_check(archive, manifest, keys, key_order)
    return ArchiveReport(manifest["terminal"], manifest["period"], tally, signer_id)


def _read(archive: zipfile.ZipFile, name: str) -> bytes:
    # A member is read up to the size its header declares: refuse a large one before.
    if archive.getinfo(name).file_size > MAX_FILE_BYTES:
        raise ArchiveProblem(f"{name} is larger than {MAX_FILE_BYTES:,} bytes")
    try:
        return archive.read(name)
    except (zipfile.BadZipFile, zlib.error, OSError) as exc:
        raise ArchiveProblem(f"{name}: the zip is damaged: {exc}") from None


def _json(data: bytes, name: str) -> Any:
    try:
        return json.loads(data)
    except ValueError as exc:
        raise ArchiveProblem(f"{name}: not JSON: {exc}") from None


def _public_key(text: object, where: str) -> tuple[ec.EllipticCurvePublicKey, str]:
    try:
        spki = base64.b64decode(str(text), validate=True)
        return public_key_load(spki), key_id(spki)
    except (binascii.Error, PublicKeyError) as exc:
        raise ArchiveProblem(f"{where}: the public key is unusable: {exc}") from None


def _server_key(data: bytes) -> tuple[ec.EllipticCurvePublicKey, str]:
    value = _json(data, SERVER_KEY)
    if not isinstance(value, dict):
        raise ArchiveProblem(f"{SERVER_KEY}: not an object with key and public_key")
    key, kid = _public_key(value.get("public_key"), SERVER_KEY)
    if value.get("key") != kid:
        raise ArchiveProblem(f"{SERVER_KEY}: the public key's id is {kid}, not {value.get('key')}")
    return key, kid


def _manifest(data: bytes, signer_id: str) -> dict[str, Any]:
    manifest = _json(data, MANIFEST)
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ArchiveProblem(f"{MANIFEST}: not a {FORMAT} manifest")
    if manifest.get("version") != FORMAT_VERSION:
        raise ArchiveProblem(
            f"{MANIFEST}: format version {manifest.get('version')!r}; this verifier reads "
            f"{FORMAT_VERSION}"
        )
    if manifest.get("server_key") != signer_id:
        raise ArchiveProblem(
            f"{MANIFEST}: names server key {manifest.get('server_key')}, signed by {signer_id}"
        )
    for name, kind in (("terminal", str), ("period", str), ("before", dict), ("files", dict)):
        if not isinstance(manifest.get(name), kind):
            raise ArchiveProblem(f"{MANIFEST}: {name} is missing or of the wrong type")
    if not PERIOD.fullmatch(manifest["period"]):
        raise ArchiveProblem(f"{MANIFEST}: period {manifest['period']!r} is not YYYY-MM")
    return manifest


def _digest_check(name: str, actual: Mapping[str, Any], listed: object) -> None:
    if not isinstance(listed, dict) or listed.get("sha256") != actual["sha256"]:
        expected = listed.get("sha256") if isinstance(listed, dict) else None
        raise ArchiveProblem(
            f"{name}: its SHA-256 is {actual['sha256'][:16]}…, the manifest says "
            f"{str(expected)[:16]}…"
        )
    if listed.get("bytes") != actual["bytes"]:
        raise ArchiveProblem(
            f"{name}: {actual['bytes']} bytes, the manifest says {listed.get('bytes')}"
        )


def _keys(data: bytes) -> tuple[dict[str, ec.EllipticCurvePublicKey], list[str]]:
    value = _json(data, KEYS)
    items = value.get("keys") if isinstance(value, dict) else None
    if not isinstance(items, list):
        raise ArchiveProblem(f"{KEYS}: not an object with a list of keys")
    keys: dict[str, ec.EllipticCurvePublicKey] = {}
    for item in items:
        if not isinstance(item, dict):
            raise ArchiveProblem(f"{KEYS}: a key is not an object")
        key, kid = _public_key(item.get("public_key"), f"{KEYS} key {item.get('key')}")
        if item.get("key") != kid:
            raise ArchiveProblem(f"{KEYS}: the public key listed as {item.get('key')} is {kid}")
        keys[kid] = key
    return keys, list(keys)


def _lines(archive: zipfile.ZipFile, digest: Any) -> Iterator[bytes]:
    """entries.jsonl's lines, each added to `digest` as it is read."""
    try:
        with archive.open(ENTRIES) as raw:
            stream: IO[bytes] = raw
            for number, line in enumerate(iter(lambda: stream.readline(MAX_LINE_BYTES), b"")):
                if len(line) == MAX_LINE_BYTES and not line.endswith(b"\n"):
                    raise ArchiveProblem(
                        f"{ENTRIES} line {number + 1} is longer than an entry can be"
                    )
                digest.update(line)
                yield line
    except (zipfile.BadZipFile, zlib.error, OSError) as exc:
        raise ArchiveProblem(f"{ENTRIES}: the zip is damaged: {exc}") from None


def _entries_check(
    archive: zipfile.ZipFile,
    manifest: dict[str, Any],
    keys: dict[str, ec.EllipticCurvePublicKey],
    key_order: list[str],
) -> Tally:
    terminal, period, before = manifest["terminal"], manifest["period"], manifest["before"]
    fields = [before.get(name) for name in ("seq", "hash", "key", "gt_after", "gt_abs_after")]
    seq, hash_, key, gt, gt_abs = fields
    if not (
        type(seq) is int
        and isinstance(hash_, str)
        and isinstance(key, str)
        and all(
            total is None or (isinstance(total, str) and DECIMAL.fullmatch(total))
            for total in (gt, gt_abs)
        )
    ):
        raise ArchiveProblem(f"{MANIFEST}: before is not a seq, a hash, a key and two grand totals")
    start = ChainPosition(seq, hash_, key, (gt, gt_abs))
    if start.seq == 0 and start.hash != GENESIS_HASH:
        raise ArchiveProblem(f"{MANIFEST}: the chain starts at seq 1 from {GENESIS_HASH[:16]}…")
    walk = ChainWalk(terminal=terminal, keys=keys, key_order=key_order, start=start)
    tally = Tally()
    digest = hashlib.sha256()
    size = 0
    problem: str | None = None
    for number, line in enumerate(_lines(archive, digest), start=1):
        size += len(line)
        if problem is not None:
            continue  # read on, for the file's SHA-256
        try:
            seq, canonical, hash_, sig = _wire(line)
            entry = walk.step(seq=seq, canonical=canonical, hash=hash_, sig=sig)
        except (ChainProblem, EntryProblem) as exc:
            why = exc.finding.line(terminal) if isinstance(exc, ChainProblem) else str(exc)
            problem = f"{ENTRIES} line {number}: {why}"
            continue
        tally.add(entry)
    listed = manifest["files"][ENTRIES]
    actual = {"bytes": size, "sha256": digest.hexdigest()}
    try:
        _digest_check(ENTRIES, actual, listed)
    except ArchiveProblem as exc:
        if problem is None:
            raise
        raise ArchiveProblem(f"{exc}; the first entry that fails: {problem}") from None
    if problem is not None:
        raise ArchiveProblem(problem)
    _tally_check(tally, manifest, period)
    return tally


def _wire(line: bytes) -> tuple[int, bytes, str, str]:
    """A line's wire entry: seq, the canonical bytes, hash, sig."""
    try:
        wire = json.loads(line)
    except ValueError as exc:
        raise EntryProblem(JournalProblem.INVALID_ENTRY, f"the line is not JSON: {exc}") from None
    if not isinstance(wire, dict) or set(wire) != WIRE_FIELDS:
        raise EntryProblem(
            JournalProblem.INVALID_ENTRY, "the line is not a wire entry (seq, canonical, hash, sig)"
        )
    seq, canonical, hash_, sig = wire["seq"], wire["canonical"], wire["hash"], wire["sig"]
    if type(seq) is not int or not all(isinstance(v, str) for v in (canonical, hash_, sig)):
        raise EntryProblem(
            JournalProblem.INVALID_ENTRY, "the wire entry's fields are of the wrong type"
        )
    try:
        return seq, canonical.encode("utf-8"), hash_, sig
    except UnicodeEncodeError:
        raise EntryProblem(
            JournalProblem.NOT_CANONICAL, "the canonical text has a lone surrogate"
        ) from None


def _tally_check(tally: Tally, manifest: dict[str, Any], period: str) -> None:
    if tally.entries == 0:
        raise ArchiveProblem(f"{ENTRIES} holds no entry")
    expected = {name: manifest.get(name) for name in ("entries", "first", "last", "counts")}
    found = tally.as_manifest()
    for name, value in expected.items():
        if found[name] != value:
            raise ArchiveProblem(f"{MANIFEST}: {name} is {value}, the entries make {found[name]}")
    sales = manifest.get("sales")
    if not isinstance(sales, dict):
        raise ArchiveProblem(f"{MANIFEST}: sales is missing")
    for name, value in found["sales"].items():
        listed = sales.get(name)
        if not _same_amount(listed, value):
            raise ArchiveProblem(f"{MANIFEST}: sales.{name} is {listed}, the entries make {value}")
    for mark in ("first", "last"):
        at = found[mark]["at"]
        if not in_period(at, period):
            raise ArchiveProblem(f"{MANIFEST}: the {mark} entry's at {at} is not in {period}")


def _same_amount(listed: object, value: object) -> bool:
    if isinstance(listed, str) and isinstance(value, str):
        try:
            return Decimal(listed) == Decimal(value)
        except InvalidOperation:
            return False
    return listed == value
