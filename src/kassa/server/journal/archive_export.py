"""`kassa journal archive`: one till's entries of one month written to a zip that verifies
on its own (the format: kassa.server.journal.archive), recorded on the server chain as an
EXPORT.

The month is the till's own: an entry belongs to the month its `at` says, as written,
with its UTC offset. The archive holds the seqs from the first entry of the month to the
last, so the range has no gap; an entry between them whose clock said another month (a
clock set back across the month's end) is in it too. The manifest gives the chain just
before the first entry (seq, hash, key, grand totals), so the archive verifies without
the month before it. Only a range that verifies is written.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Min
from django.utils import timezone

from kassa.jcs import canonicalize

from .archive import (
    ENTRIES,
    FORMAT,
    FORMAT_VERSION,
    KEYS,
    MANIFEST,
    MANIFEST_SIG,
    PERIOD,
    SCHEMA,
    SCHEMA_PATH,
    SERVER_KEY,
    Tally,
    archive_name,
    before_manifest,
    file_digest,
    public_key_text,
    wire_line,
)
from .chain import ChainProblem
from .keys import key_id, server_private_key, signature_make, spki_of
from .models import TerminalEntry, TerminalKey
from .selectors import _anchors, range_start, stored_walk
from .services import _software, server_chain_append


class ArchiveError(Exception):
    """An archive that cannot be written, in a sentence."""


@dataclass(frozen=True)
class ArchiveWritten:
    path: Path
    manifest: dict[str, Any]
    recorded_seq: int  # the EXPORT entry on the server chain

    def summary(self) -> str:
        first, last = self.manifest["first"], self.manifest["last"]
        return (
            f"archive written: {self.path} ({self.manifest['terminal']} "
            f"{self.manifest['period']}, seq {first['seq']}–{last['seq']}, "
            f"{self.manifest['entries']:,} entries); recorded at server seq {self.recorded_seq}"
        )


def journal_archive_export(*, terminal_code: str, period: str, out_dir: Path) -> ArchiveWritten:
    """Write `terminal_code`'s entries of `period` (YYYY-MM) to
    `out_dir/journal-<terminal>-<period>.zip`, never over an existing file, and record it
    on the server chain (EXPORT). ArchiveError if the month has no entry, if its range
    does not verify, or if the file exists."""
    if not PERIOD.fullmatch(period):
        raise ArchiveError(f"the period {period!r} is not a month written YYYY-MM")
    span = TerminalEntry.objects.filter(
        terminal_code=terminal_code, at_text__startswith=f"{period}-"
    ).aggregate(first=Min("seq"), last=Max("seq"))
    first, last = span["first"], span["last"]
    if first is None or last is None:
        raise ArchiveError(f"{terminal_code} has no journal entry in {period}")
    path = out_dir / archive_name(terminal_code, period)
    if path.exists():
        raise ArchiveError(f"{path} exists; an archive is never overwritten")
    out_dir.mkdir(parents=True, exist_ok=True)
    draft = out_dir / f".{path.name}.{os.getpid()}.part"
    try:
        with transaction.atomic():  # one snapshot, and a streaming cursor on PostgreSQL
            manifest = _write(draft, terminal_code, period, first, last)
        os.link(draft, path)  # fails if another run was first: never overwritten
    except FileExistsError:
        raise ArchiveError(f"{path} exists; an archive is never overwritten") from None
    except ChainProblem as problem:
        raise ArchiveError(
            f"{problem.finding.line(terminal_code)}; the range does not verify, nothing was written"
        ) from None
    finally:
        draft.unlink(missing_ok=True)
    try:
        with transaction.atomic():
            recorded = server_chain_append(
                type="EXPORT",
                payload={
                    "terminal": terminal_code,
                    "period": period,
                    "first_seq": manifest["first"]["seq"],
                    "last_seq": manifest["last"]["seq"],
                    "entries": manifest["entries"],
                    "file": path.name,
                    "manifest_sha256": hashlib.sha256(canonicalize(manifest)).hexdigest(),
                },
            )
    except BaseException:
        # No archive that the server chain does not record.
        with contextlib.suppress(OSError):
            path.unlink()
        raise
    return ArchiveWritten(path, manifest, recorded.seq)


def _write(draft: Path, terminal: str, period: str, first: int, last: int) -> dict[str, Any]:
    start = range_start(terminal, first)
    tally = Tally()
    digest = hashlib.sha256()
    size = 0
    signers = {start.key_id} - {""}
    with zipfile.ZipFile(draft, "x", compression=zipfile.ZIP_DEFLATED) as archive:
        with archive.open(ENTRIES, "w", force_zip64=True) as entries:
            for entry in stored_walk(
                terminal=terminal, start=start, last=last, anchors=_anchors(terminal, first)
            ):
                line = wire_line(entry)
                entries.write(line)
                digest.update(line)
                size += len(line)
                tally.add(entry)
                signers.add(entry.key_id)
        keys = _keys_file(terminal, signers)
        schema = SCHEMA_PATH.read_bytes()
        private = server_private_key(settings.KASSA_JOURNAL_KEY_FILE)
        spki = spki_of(private.public_key())
        manifest = {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "terminal": terminal,
            "period": period,
            "before": before_manifest(start),
            **tally.as_manifest(),
            "files": {
                ENTRIES: {"bytes": size, "sha256": digest.hexdigest()},
                KEYS: file_digest(keys),
                SCHEMA: file_digest(schema),
            },
            "server_key": key_id(spki),
            "exported_at": timezone.now().isoformat(timespec="milliseconds"),
            "software": _software(),
        }
        manifest_bytes = canonicalize(manifest)
        archive.writestr(KEYS, keys)
        archive.writestr(SCHEMA, schema)
        archive.writestr(
            SERVER_KEY,
            json.dumps({"key": key_id(spki), "public_key": public_key_text(spki)}, indent=2) + "\n",
        )
        archive.writestr(MANIFEST, manifest_bytes)
        archive.writestr(MANIFEST_SIG, signature_make(private, manifest_bytes))
    with draft.open("rb") as handle:
        os.fsync(handle.fileno())
    return manifest


def _keys_file(terminal: str, key_ids: set[str]) -> bytes:
    rows = (
        TerminalKey.objects.filter(terminal_code=terminal, key_id__in=key_ids)
        .order_by("pk")
        .values_list("key_id", "spki", "registered_at")
    )
    keys = [
        {
            "key": kid,
            "public_key": public_key_text(bytes(spki)),
            "registered_at": registered_at.isoformat(timespec="milliseconds"),
        }
        for kid, spki, registered_at in rows
    ]
    return (json.dumps({"terminal": terminal, "keys": keys}, indent=2) + "\n").encode()
