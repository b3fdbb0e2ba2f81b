"""ECDSA P-256 verification of many signatures by one key, for `kassa journal verify`.

A verification computes R = u1·G + u2·Q (G the curve's generator, Q the public key) and
compares R's x with r. OpenSSL multiplies G from a table of its multiples made once; Q,
different for every key, it multiplies by doublings and additions, which is two thirds
of a verification. A till's journal is hundreds of thousands of signatures by one key,
so here Q gets a table too: OpenSSL's own (`EC_GROUP_precompute_mult` on a copy of the
P-256 group whose generator is Q), reached through ctypes in the libcrypto that Python's
hashlib uses. And s⁻¹ mod n, which OpenSSL computes for each signature, is computed for
a whole batch of signatures at once (Montgomery's trick: one inversion and three
multiplications each). A verification then takes about half of what `cryptography`'s
takes: 35 µs against 71 on the project's machine (docs/performance.md).

It only ever says yes. A signature it does not accept, a key it has no table for, or a
libcrypto without these functions: `keys.signature_valid` (cryptography) decides.
Everything it accepts satisfies the verification equation itself, on the curve OpenSSL
checks Q is on, with 0 < r, s < n and s·s⁻¹ ≡ 1 (mod n) checked for every signature.
Only signatures are checked here, never made: nothing secret passes through, so nothing
needs constant time.

Importing this module must not import Django: the offline archive verifier uses it.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import hashlib
import os
import sys
import threading
from collections.abc import Iterable
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from .keys import signature_bytes

N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
"""The order of P-256's group: r and s are numbers modulo N."""

_NID_P256 = 415  # NID_X9_62_prime256v1


class _Libcrypto:
    """The few libcrypto functions used, with their C signatures; a BN_CTX per process
    and thread."""

    def __init__(self, lib: ctypes.CDLL) -> None:
        p, i, s = ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p

        def fn(name: str, restype: Any, *argtypes: Any) -> Any:
            function = getattr(lib, name)  # AttributeError if this libcrypto lacks it
            function.restype = restype
            function.argtypes = list(argtypes)
            return function

        self.group_by_curve = fn("EC_GROUP_new_by_curve_name", p, i)
        self.group_dup = fn("EC_GROUP_dup", p, p)
        self.group_order = fn("EC_GROUP_get0_order", p, p)
        self.group_cofactor = fn("EC_GROUP_get0_cofactor", p, p)
        self.group_set_generator = fn("EC_GROUP_set_generator", i, p, p, p, p)
        self.group_precompute = fn("EC_GROUP_precompute_mult", i, p, p)
        self.point_new = fn("EC_POINT_new", p, p)
        self.point_from_bytes = fn("EC_POINT_oct2point", i, p, p, s, ctypes.c_size_t, p)
        self.point_mul = fn("EC_POINT_mul", i, p, p, p, p, p, p)
        self.point_add = fn("EC_POINT_add", i, p, p, p, p, p)
        self.point_at_infinity = fn("EC_POINT_is_at_infinity", i, p, p)
        self.point_affine = fn("EC_POINT_get_affine_coordinates", i, p, p, p, p, p)
        self.bn_new = fn("BN_new", p)
        self.bn_from_bytes = fn("BN_bin2bn", p, s, i, p)
        self.bn_to_bytes = fn("BN_bn2binpad", i, p, s, i)
        self.ctx_new = fn("BN_CTX_new", p)
        self.p256 = self.group_by_curve(_NID_P256)
        if not self.p256:
            raise OSError("libcrypto has no P-256")
        self._ctx: dict[tuple[int, int], int] = {}

    def ctx(self) -> int:
        """A BN_CTX for this process and thread (a fork does not share its parent's, and
        a BN_CTX is not for two threads at once)."""
        owner = (os.getpid(), threading.get_ident())
        ctx = self._ctx.get(owner)
        if ctx is None:
            ctx = self._ctx[owner] = self.ctx_new()
        return ctx


_lib: _Libcrypto | None = None
_lib_tried = False
_lock = threading.Lock()


def _libcrypto() -> _Libcrypto | None:
    global _lib, _lib_tried
    with _lock:
        if not _lib_tried:
            _lib_tried = True
            try:
                # Linux only: macOS answers with a libcrypto stub that aborts the process
                # when it is loaded, and Windows has none to find
                name = ctypes.util.find_library("crypto") if sys.platform == "linux" else None
                _lib = _Libcrypto(ctypes.CDLL(name)) if name else None
            except (OSError, AttributeError):
                _lib = None
    return _lib


class KeyTable:
    """One public key with its table of multiples: `verify` for its signatures.

    One per process and thread (`key_table`): it reuses its own scratch numbers and
    points."""

    def __init__(self, lib: _Libcrypto, point: bytes) -> None:
        """`point`: the key's uncompressed point (X9.62)."""
        self._lib = lib
        ctx = lib.ctx()
        self._group = lib.group_dup(lib.p256)
        q = lib.point_new(self._group)
        if not (
            self._group
            and q
            and lib.point_from_bytes(self._group, q, point, len(point), ctx) == 1
            and lib.group_set_generator(
                self._group, q, lib.group_order(lib.p256), lib.group_cofactor(lib.p256)
            )
            == 1
            and lib.group_precompute(self._group, ctx) == 1
        ):
            raise OSError("libcrypto could not make the key's table")
        self._u1, self._u2, self._x = lib.bn_new(), lib.bn_new(), lib.bn_new()
        self._r1, self._r2 = lib.point_new(lib.p256), lib.point_new(self._group)
        self._out = ctypes.create_string_buffer(32)
        self._ctx = ctx

    def verify(self, r: int, s: int, s_inverse: int, data: bytes) -> bool:
        """Whether (r, s) is this key's ECDSA signature of SHA-256(`data`), given
        s_inverse = s⁻¹ mod N; False also when this cannot tell."""
        if not (0 < r < N and 0 < s < N) or s * s_inverse % N != 1:
            return False
        lib, ctx = self._lib, self._ctx
        e = int.from_bytes(hashlib.sha256(data).digest(), "big")  # 256 bits: no truncation
        u1 = (e * s_inverse % N).to_bytes(32, "big")
        u2 = (r * s_inverse % N).to_bytes(32, "big")
        r1, r2 = self._r1, self._r2
        if (
            not lib.bn_from_bytes(u1, 32, self._u1)  # NULL: the last signature's u1 is left
            or not lib.bn_from_bytes(u2, 32, self._u2)
            or lib.point_mul(lib.p256, r1, self._u1, None, None, ctx) != 1  # u1·G, G's table
            or lib.point_mul(self._group, r2, self._u2, None, None, ctx) != 1  # u2·Q, Q's
            or lib.point_add(lib.p256, r1, r1, r2, ctx) != 1
            or lib.point_at_infinity(lib.p256, r1)
            or lib.point_affine(lib.p256, r1, self._x, None, ctx) != 1
            or lib.bn_to_bytes(self._x, self._out, 32) != 32
        ):
            return False
        return int.from_bytes(self._out.raw, "big") % N == r


_tables: dict[tuple[bytes, int, int], KeyTable | None] = {}


def key_table(key: ec.EllipticCurvePublicKey) -> KeyTable | None:
    """The key's table, made once per process and thread (about 20 ms); None without
    libcrypto's functions, and then keys.signature_valid is the only verifier."""
    lib = _libcrypto()
    if lib is None:
        return None
    point = key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    cache_key = (point, os.getpid(), threading.get_ident())
    if cache_key not in _tables:
        try:
            _tables[cache_key] = KeyTable(lib, point)
        except OSError:
            _tables[cache_key] = None
    return _tables[cache_key]


def signature_numbers(sigs: Iterable[str]) -> dict[str, tuple[int, int, int]]:
    """(r, s, s⁻¹ mod N) of each well-spelled signature (P1363 r ‖ s, base64url, 86
    characters) whose r and s are in 1..N-1, by the signature: s⁻¹ for all of them with
    one modular inversion (Montgomery's trick). A signature left out is verified by
    keys.signature_valid alone."""
    numbers: list[tuple[str, int, int]] = []
    for sig in sigs:
        raw = signature_bytes(sig)
        if raw is None:
            continue
        r, s = int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")
        if 0 < r < N and 0 < s < N:
            numbers.append((sig, r, s))
    if not numbers:
        return {}
    # prefix[i] = s_0 · … · s_(i-1); one inversion of the product of all; then back down
    prefix = [1] * (len(numbers) + 1)
    for index, (_, _, s) in enumerate(numbers):
        prefix[index + 1] = prefix[index] * s % N
    inverse = pow(prefix[-1], -1, N)  # N is prime and no s is 0 mod N: it exists
    found: dict[str, tuple[int, int, int]] = {}
    for index in range(len(numbers) - 1, -1, -1):
        sig, r, s = numbers[index]
        found[sig] = (r, s, inverse * prefix[index] % N)
        inverse = inverse * s % N
    return found
