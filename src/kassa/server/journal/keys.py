"""ECDSA P-256 keys and signatures as the journal uses them (docs/journal.md, "Keys").

A till signs with WebCrypto: ECDSA P-256 with SHA-256 over the canonical bytes, the
signature in IEEE P1363 form (r ‖ s, 64 bytes), base64url without padding. `cryptography`
reads and writes DER signatures, so the two 32-byte halves are converted both ways here.
A key is named by its id: the first 16 hex digits of SHA-256 of its SPKI DER bytes.

The server signs its own chain with a key made once into the data folder
(settings.KASSA_JOURNAL_KEY_FILE), the way settings.py makes the secret key.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import os
import re
import secrets
import threading
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

_ECDSA_SHA256 = ec.ECDSA(hashes.SHA256())
_P1363_B64URL = re.compile(r"[A-Za-z0-9_-]{86}")  # 64 bytes, unpadded
_COORDINATE = 32  # bytes of r and of s on P-256


class PublicKeyError(ValueError):
    """A public key the journal cannot take, with a sentence saying why."""


def key_id(spki: bytes) -> str:
    """The id of a public key: the first 16 hex digits of SHA-256 of its SPKI DER bytes."""
    return hashlib.sha256(spki).hexdigest()[:16]


def public_key_load(spki: bytes) -> ec.EllipticCurvePublicKey:
    """The P-256 public key in these SPKI DER bytes; refuses any other key, and any other
    spelling of one (a key has one byte form, so it has one id)."""
    try:
        key = serialization.load_der_public_key(spki)
    except (ValueError, TypeError) as exc:
        raise PublicKeyError(f"The public key is not SPKI DER: {exc}") from None
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        raise PublicKeyError("The public key must be ECDSA P-256.")
    spelled = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    if spelled != spki:
        raise PublicKeyError(
            "The public key must be SPKI DER with an uncompressed point, as WebCrypto exports it."
        )
    return key


def spki_of(key: ec.EllipticCurvePublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


# On the bytes: str.translate looks each character up in a dict (3 µs a signature),
# bytes.translate indexes a table (0.1 µs), and this runs for every entry verified.
_URLSAFE_TO_STD = bytes.maketrans(b"-_", b"+/")


def _der_integer(big_endian: bytes) -> bytes:
    """A non-negative integer's DER encoding (INTEGER, minimal, a 0 byte before a high bit)."""
    digits = big_endian.lstrip(b"\0") or b"\0"
    if digits[0] & 0x80:
        digits = b"\0" + digits
    return b"\x02" + bytes((len(digits),)) + digits


def _p1363_to_der(raw: bytes) -> bytes:
    """r ‖ s (32 bytes each) as the DER SEQUENCE that OpenSSL verifies: what
    `encode_dss_signature(r, s)` writes, without making two Python integers first (half the
    cost of this step, which runs for every entry ingested)."""
    body = _der_integer(raw[:_COORDINATE]) + _der_integer(raw[_COORDINATE:])
    return b"\x30" + bytes((len(body),)) + body


def signature_bytes(sig: object) -> bytes | None:
    """The 64 bytes r ‖ s of `sig` if it is spelled as a till writes it (P1363, base64url,
    unpadded, 86 characters), else None."""
    if not isinstance(sig, str) or not _P1363_B64URL.fullmatch(sig):
        return None
    try:
        return binascii.a2b_base64(sig.encode("ascii").translate(_URLSAFE_TO_STD) + b"==")
    except (binascii.Error, ValueError):  # pragma: no cover - the pattern rules it out
        return None


def signature_valid(key: ec.EllipticCurvePublicKey, sig: str, data: bytes) -> bool:
    """Whether `sig` (P1363 r ‖ s, base64url, unpadded) is `key`'s signature of `data`."""
    raw = signature_bytes(sig)
    if raw is None:
        return False
    try:
        key.verify(_p1363_to_der(raw), data, _ECDSA_SHA256)
    except (InvalidSignature, ValueError):
        return False
    return True


def signature_make(key: ec.EllipticCurvePrivateKey, data: bytes) -> str:
    """`key`'s signature of `data` as a till writes it: P1363 r ‖ s, base64url, unpadded."""
    r, s = decode_dss_signature(key.sign(data, _ECDSA_SHA256))
    raw = r.to_bytes(_COORDINATE, "big") + s.to_bytes(_COORDINATE, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


_server_keys: dict[Path, ec.EllipticCurvePrivateKey] = {}
_server_keys_lock = threading.Lock()


def server_private_key(path: Path) -> ec.EllipticCurvePrivateKey:
    """The server's journal key in `path` (PKCS#8 PEM), made there on first use.

    Made in a file of its own name and linked into place, which fails if another process
    got there first: then that process's key is the one read. Never replaced.
    """
    with _server_keys_lock:
        key = _server_keys.get(path)
        if key is None:
            key = _server_key_read_or_make(path)
            _server_keys[path] = key
        return key


def _server_key_read_or_make(path: Path) -> ec.EllipticCurvePrivateKey:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        draft = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(pem)
                handle.flush()
                os.fsync(handle.fileno())
            with contextlib.suppress(FileExistsError):  # another process was first: use theirs
                os.link(draft, path)
        finally:
            draft.unlink(missing_ok=True)
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        raise ValueError(f"{path} does not hold an ECDSA P-256 private key")
    return key
