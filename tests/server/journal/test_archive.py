"""`kassa journal archive` and `kassa journal verify ARCHIVE.zip`: a month of a till's
journal written to a zip that verifies on its own, offline, without Django; each kind of
damage to the zip fails with a message that names it. Real database (SQLite and
PostgreSQL), real files, real keys; the command run through its entry function and as a
process without Django."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from kassa.cli import main
from kassa.jcs import GENESIS_HASH, canonicalize
from kassa.server.journal.archive import MAX_LINE_BYTES, SCHEMA_PATH
from kassa.server.journal.keys import key_id, signature_make, spki_of
from kassa.server.journal.models import ServerEntry
from kassa.server.journal.services import IngestStatus

from .conftest import TERMINAL, Till, ingest, sql, triggers_lifted

pytestmark = pytest.mark.django_db(transaction=True)

DOCS = Path(__file__).resolve().parents[3] / "docs" / "journal.md"
FILES = {
    "entries.jsonl",
    "keys.json",
    "schema.json",
    "manifest.json",
    "manifest.sig",
    "server_key.json",
}


class DatedTill(Till):
    """A till whose clock says what the test says."""

    clock = "2026-11-01T09:00:00.000+01:00"

    def at(self, clock: str) -> DatedTill:
        self.clock = clock
        return self

    def body(self, type_: str, payload: dict[str, Any], **fields: Any) -> dict[str, Any]:
        return {**super().body(type_, payload, **fields), "at": self.clock}


@pytest.fixture
def till(db: None) -> DatedTill:
    till = DatedTill()
    till.register()
    return till


@pytest.fixture
def chain(till: DatedTill) -> list[dict[str, Any]]:
    # given a till's journal from October to December, by its own clock (UTC+1):
    wires = [
        till.at("2026-10-31T23:50:00.000+01:00").entry(
            "JOURNAL_INIT", {"software": "0.1.0", "key": base64.b64encode(till.spki).decode()}
        ),
        till.at("2026-11-01T09:00:00.000+01:00").sale("10.00"),
        till.at("2026-11-02T09:00:00.000+01:00").sale("-2.50"),  # a refund
        till.at("2026-11-15T09:00:00.000+01:00").sale("10.00"),
        till.at("2026-11-30T23:59:59.999+01:00").sale("10.00"),
        # December by the till's clock, still November in UTC
        till.at("2026-12-01T00:30:00.000+01:00").sale("10.00"),
        # the clock set back across the month's end: this entry says November again
        till.at("2026-11-30T23:58:00.000+01:00").entry(
            "CLOCK_JUMP",
            {"from": "2026-12-01T00:30:00.000+01:00", "to": "2026-11-30T23:58:00.000+01:00"},
        ),
        till.at("2026-12-01T00:31:00.000+01:00").sale("5.00"),
    ]
    assert ingest(wires[:4]).status is IngestStatus.OK
    assert ingest(wires[4:]).status is IngestStatus.OK
    return wires


def kassa(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["journal", *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def out(tmp_path: Path) -> Path:
    return tmp_path / "archives"


def archive(capsys: pytest.CaptureFixture[str], out: Path, period: str) -> Path:
    code, stdout, err = kassa(
        capsys, "archive", "--terminal", TERMINAL, "--period", period, "--out", str(out)
    )
    assert (code, err) == (0, ""), err
    path = out / f"journal-{TERMINAL}-{period}.zip"
    assert stdout.startswith(f"archive written: {path} ({TERMINAL} {period}, seq ")
    return path


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zipped:
        return {name: zipped.read(name) for name in zipped.namelist()}


def test_a_month_round_trips_and_verifies_offline(
    chain: list[dict[str, Any]],
    till: DatedTill,
    out: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # when November is archived
    path = archive(capsys, out, "2026-11")
    files = members(path)
    # then the zip holds the six files
    assert set(files) == FILES
    # and entries.jsonl holds seqs 2..7 verbatim, one a line: from the month's first entry
    # to its last, with the one whose clock said December between them
    lines = files["entries.jsonl"].decode().splitlines()
    assert [json.loads(line) for line in lines] == chain[1:7]
    # and the manifest says where the chain stood before, what the entries are, the files
    manifest = json.loads(files["manifest.json"])
    assert files["manifest.json"] == canonicalize(manifest)
    server_key = manifest["server_key"]
    assert manifest == {
        "format": "kassa-journal-archive",
        "version": 1,
        "terminal": TERMINAL,
        "period": "2026-11",
        "before": {
            "seq": 1,
            "hash": chain[0]["hash"],
            "key": till.key,
            "gt_after": "0",
            "gt_abs_after": "0",
        },
        "entries": 6,
        "first": {"seq": 2, "hash": chain[1]["hash"], "at": "2026-11-01T09:00:00.000+01:00"},
        "last": {"seq": 7, "hash": chain[6]["hash"], "at": "2026-11-30T23:58:00.000+01:00"},
        "counts": {"CLOCK_JUMP": 1, "SALE": 5},
        "sales": {"count": 5, "gross": "37.50", "gt_after": "37.50", "gt_abs_after": "42.50"},
        "files": {
            name: {"bytes": len(files[name]), "sha256": hashlib.sha256(files[name]).hexdigest()}
            for name in ("entries.jsonl", "keys.json", "schema.json")
        },
        "server_key": server_key,
        "exported_at": manifest["exported_at"],
        "software": manifest["software"],
    }
    # and the keys are the till's, the schema the app's, the server key the one that signed
    keys = json.loads(files["keys.json"])
    assert [key["key"] for key in keys["keys"]] == [till.key]
    assert files["schema.json"] == SCHEMA_PATH.read_bytes()
    assert json.loads(files["server_key.json"])["key"] == server_key
    # and the export is on the server chain, naming the manifest by its hash
    export = json.loads(bytes(ServerEntry.objects.get(type="EXPORT").canonical))["payload"]
    assert export == {
        "v": 1,
        "terminal": TERMINAL,
        "period": "2026-11",
        "first_seq": 2,
        "last_seq": 7,
        "entries": 6,
        "file": path.name,
        "manifest_sha256": hashlib.sha256(files["manifest.json"]).hexdigest(),
    }
    # and the archive verifies on its own
    code, out, err = kassa(capsys, "verify", str(path))
    assert (code, err) == (0, "")
    assert out == (
        f"archive verified: {TERMINAL} 2026-11, seq 2–7, 6 entries, 5 SALEs, gross 37.50; "
        f"signed by server key {server_key}\n"
    )
    # and with the server key named, as an auditor who knows it would
    assert kassa(capsys, "verify", str(path), "--server-key", server_key)[0] == 0


def test_each_month_verifies_on_its_own(
    chain: list[dict[str, Any]], out: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # December starts at its first entry (seq 6) and takes the one set back to November
    december = archive(capsys, out, "2026-12")
    manifest = json.loads(members(december)["manifest.json"])
    assert (manifest["first"]["seq"], manifest["last"]["seq"]) == (6, 8)
    assert manifest["before"]["gt_after"] == "27.50"  # after seq 5: the sums carry on
    # October is the chain's first entry, from the genesis hash
    october = archive(capsys, out, "2026-10")
    before = json.loads(members(october)["manifest.json"])["before"]
    assert before == {
        "seq": 0,
        "hash": GENESIS_HASH,
        "key": "",
        "gt_after": "0",
        "gt_abs_after": "0",
    }
    for path in (december, october):
        code, out, err = kassa(capsys, "verify", str(path))
        assert (code, err) == (0, "")
        assert out.startswith("archive verified: ")


def test_verifying_an_archive_needs_no_django(
    chain: list[dict[str, Any]], out: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = archive(capsys, out, "2026-11")
    env = {
        key: value for key, value in os.environ.items() if not key.startswith(("DJANGO", "KASSA"))
    }
    script = (
        "import sys\n"
        "from kassa.cli import main\n"
        f"code = main(['journal', 'verify', {str(path)!r}])\n"
        "assert 'django' not in sys.modules, 'the offline verifier imported Django'\n"
        "sys.exit(code)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        cwd=out,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.startswith(f"archive verified: {TERMINAL} 2026-11, seq 2–7, ")


def test_what_cannot_be_archived(
    chain: list[dict[str, Any]], out: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def refused(period: str) -> str:
        code, stdout, err = kassa(
            capsys, "archive", "--terminal", TERMINAL, "--period", period, "--out", str(out)
        )
        assert (code, stdout) == (1, "")
        return err

    assert refused("2026-09") == "kassa journal archive: POS1 has no journal entry in 2026-09\n"
    assert refused("2026-13") == (
        "kassa journal archive: the period '2026-13' is not a month written YYYY-MM\n"
    )
    path = archive(capsys, out, "2026-11")
    assert refused("2026-11") == (
        f"kassa journal archive: {path} exists; an archive is never overwritten\n"
    )
    assert ServerEntry.objects.filter(type="EXPORT").count() == 1


def test_a_range_that_does_not_verify_is_not_archived(
    chain: list[dict[str, Any]], out: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # given entry 3 changed behind the triggers' back
    with triggers_lifted():
        sql(
            "UPDATE journal_terminalentry SET canonical = %s WHERE seq = 3",
            [chain[2]["canonical"].replace('"-2.50"', '"-9.50"').encode()],
        )
    # when November is archived
    code, stdout, err = kassa(
        capsys, "archive", "--terminal", TERMINAL, "--period", "2026-11", "--out", str(out)
    )
    # then nothing is written, nothing recorded, and the message names the entry
    assert (code, stdout) == (1, "")
    assert err.startswith("kassa journal archive: POS1 seq 3: the hash is ")
    assert err.endswith("(bad_hash); the range does not verify, nothing was written\n")
    assert list(out.iterdir()) == []
    assert not ServerEntry.objects.filter(type="EXPORT").exists()


def rewrite(source: Path, target: Path, **changes: bytes | None) -> Path:
    """A copy of the zip `source` with members replaced (bytes) or removed (None); a
    member name's dots are written as `__` in the keyword."""
    changed = {name.replace("__", "."): data for name, data in changes.items()}
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for name in old.namelist():
            data = changed.pop(name, old.read(name))
            if data is not None:
                new.writestr(name, data)
        for name, data in changed.items():
            if data is not None:
                new.writestr(name, data)
    return target


@pytest.fixture
def november(chain: list[dict[str, Any]], out: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    return archive(capsys, out, "2026-11")


def verify_fails(capsys: pytest.CaptureFixture[str], path: Path, *options: str) -> str:
    code, out, err = kassa(capsys, "verify", str(path), *options)
    assert (code, out) == (1, "")
    prefix = f"kassa journal verify: {path}: "
    assert err.startswith(prefix) and err.endswith("\n") and err.count("\n") == 1
    return err[len(prefix) : -1]


def test_a_byte_changed_in_the_entries(
    november: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # when one byte of the first sale (seq 2) is changed: 10.00 becomes 90.00
    entries = members(november)["entries.jsonl"]
    tampered = rewrite(
        november, tmp_path / "t.zip", entries__jsonl=entries.replace(b"10.00", b"90.00", 1)
    )
    # then the file is not what the manifest signed, and the entry is named
    problem = verify_fails(capsys, tampered)
    assert re.fullmatch(
        r"entries\.jsonl: its SHA-256 is [0-9a-f]{16}…, the manifest says [0-9a-f]{16}…; "
        r"the first entry that fails: entries\.jsonl line 1: POS1 seq 2: the hash is "
        r"[0-9a-f]{16}…, the bytes hash to [0-9a-f]{16}… \(bad_hash\)",
        problem,
    ), problem


def test_an_edited_manifest(
    november: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = members(november)
    manifest = files["manifest.json"].replace(b'"SALE":5', b'"SALE":4')
    tampered = rewrite(november, tmp_path / "t.zip", manifest__json=manifest)
    server_key = json.loads(files["server_key.json"])["key"]
    assert verify_fails(capsys, tampered) == (
        f"manifest.json: the signature in manifest.sig does not verify with server key {server_key}"
    )


@pytest.mark.parametrize("name", ["keys.json", "entries.jsonl", "schema.json"])
def test_a_file_removed(
    november: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    tampered = rewrite(november, tmp_path / "t.zip", **{name.replace(".", "__"): None})
    assert verify_fails(capsys, tampered) == f"{name} is missing; the manifest lists it"


@pytest.mark.parametrize("name", ["manifest.json", "manifest.sig", "server_key.json"])
def test_the_signature_removed(
    november: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    tampered = rewrite(november, tmp_path / "t.zip", **{name.replace(".", "__"): None})
    assert verify_fails(capsys, tampered) == f"{name} is missing"


def test_a_file_added(november: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tampered = rewrite(november, tmp_path / "t.zip", notes__txt=b"nothing to see")
    assert verify_fails(capsys, tampered) == "notes.txt is not in the manifest"


def test_an_entry_removed_and_the_manifest_signed_again_by_a_forger(
    november: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # when someone drops the refund (seq 3), and writes and signs a new manifest with a
    # key of their own, shipped as the archive's server key
    files = members(november)
    lines = files["entries.jsonl"].splitlines(keepends=True)
    entries = b"".join(lines[:1] + lines[2:])
    manifest = json.loads(files["manifest.json"])
    manifest["files"]["entries.jsonl"] = {
        "bytes": len(entries),
        "sha256": hashlib.sha256(entries).hexdigest(),
    }
    forger = ec.generate_private_key(ec.SECP256R1())
    spki = spki_of(forger.public_key())
    manifest["server_key"] = key_id(spki)
    signed = canonicalize(manifest)
    tampered = rewrite(
        november,
        tmp_path / "t.zip",
        entries__jsonl=entries,
        manifest__json=signed,
        manifest__sig=signature_make(forger, signed).encode(),
        server_key__json=json.dumps(
            {"key": key_id(spki), "public_key": base64.b64encode(spki).decode()}
        ).encode(),
    )
    # then the till's chain gives it away: its entries cannot be re-signed
    assert verify_fails(capsys, tampered) == (
        "entries.jsonl line 2: POS1 seq 3: no entry at seq 3; the next is seq 4 (missing_entry)"
    )
    # and an auditor who names the server's key refuses the signature at once
    real = json.loads(files["server_key.json"])["key"]
    assert verify_fails(capsys, tampered, "--server-key", real) == (
        f"server_key.json: the archive is signed by server key {key_id(spki)}, not {real}"
    )


def test_a_line_longer_than_any_entry(
    november: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    entries = members(november)["entries.jsonl"]
    long_line = b'{"seq":2,"canonical":"' + b"x" * MAX_LINE_BYTES + b'"}\n'
    tampered = rewrite(november, tmp_path / "t.zip", entries__jsonl=long_line + entries)
    assert verify_fails(capsys, tampered) == "entries.jsonl line 1 is longer than an entry can be"


def test_not_an_archive(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "journal.zip"
    path.write_bytes(b"PK\x03\x04 but not really")
    assert verify_fails(capsys, path).startswith("not a readable zip archive: ")


def test_the_schema_covers_every_payload_in_the_docs(chain: list[dict[str, Any]]) -> None:
    schema = json.loads(SCHEMA_PATH.read_bytes())
    # every type in docs/journal.md's table of payloads has its payload's schema
    table = DOCS.read_text().split("### Types and payloads", 1)[1].split("**Grand totals.**")[0]
    documented = {
        kind
        for row in table.splitlines()
        if row.startswith("| `")
        for kind in re.findall(r"`([A-Z_]+)`", row.split("|")[1])
    }
    assert documented == set(schema["$defs"]["payload"]) == set(schema["$defs"]["is"])
    # every reference in the schema names a definition it has
    text = json.dumps(schema)
    for reference in set(re.findall(r'"\$ref": "#/([^"]+)"', text)):
        node: Any = schema
        for part in reference.split("/"):
            node = node[part]
    # and the entries a till writes have what the schema requires of them
    for wire in chain:
        entry = json.loads(wire["canonical"])
        assert set(schema["$defs"]["entry"]["required"]) == set(entry)
        payload_schema = schema["$defs"]["payload"][entry["type"]]
        required = payload_schema.get("required") or schema["$defs"]["empty"]["required"]
        assert set(required) <= set(entry["payload"]), entry["type"]
