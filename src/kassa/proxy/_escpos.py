"""The one place that imports python-escpos, after neutralising its import-time side effects.

python-escpos 3.1 makes a temporary directory on every import unless
`ESCPOS_CAPABILITIES_PICKLE_DIR` is set, and calls `logging.basicConfig()` from
`escpos.capabilities`, which would configure the root logger behind our back.
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path


def _pickle_dir() -> str:
    configured = os.environ.get("ESCPOS_CAPABILITIES_PICKLE_DIR")
    if configured:
        return configured
    candidates = []
    if os.environ.get("CACHE_DIRECTORY"):  # systemd's CacheDirectory=
        candidates.append(Path(os.environ["CACHE_DIRECTORY"].split(":")[0]) / "escpos")
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    candidates.append(Path(xdg) / "kassa-proxy" / "escpos")
    candidates.append(Path(tempfile.gettempdir()) / f"kassa-proxy-escpos-{os.getuid()}")
    for candidate in candidates:
        try:
            candidate.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError:
            continue
        if os.access(candidate, os.W_OK):
            return str(candidate)
    return tempfile.gettempdir()


os.environ["ESCPOS_CAPABILITIES_PICKLE_DIR"] = _pickle_dir()

_root = logging.getLogger()
_guard = logging.NullHandler()
_had_handlers = bool(_root.handlers)
if not _had_handlers:
    # basicConfig() is a no-op while the root logger has a handler.
    _root.addHandler(_guard)
try:
    from escpos.image import EscposImage
    from escpos.printer import Dummy
finally:
    if not _had_handlers:
        _root.removeHandler(_guard)

__all__ = ["Dummy", "EscposImage"]
