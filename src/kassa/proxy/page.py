"""The status page at `/`: every device, its state, the last receipts, the display frame.

Same-origin only; it carries the local admin token, so it may not be framed by another
page (clickjacking the *Open drawer* button) and forbids scripts other than its own.
"""

from __future__ import annotations

import html
import json
import secrets
from importlib import resources
from typing import TYPE_CHECKING

from fastapi.responses import HTMLResponse

if TYPE_CHECKING:
    from kassa.proxy.hardware import Hardware
    from kassa.proxy.security import Security

TEMPLATE = (resources.files("kassa.proxy") / "status_page.html").read_text(encoding="utf-8")


def status_page(security: Security, hardware: Hardware) -> HTMLResponse:
    nonce = secrets.token_urlsafe(16)
    origins = sorted(security.configured_origins or security.store.origins())
    body = (
        TEMPLATE.replace("__NONCE__", nonce)
        .replace("__CODE__", html.escape(security.pairing_code))
        .replace("__ORIGINS__", html.escape(", ".join(origins) or "none yet (pair a terminal)"))
        .replace("__SERVER__", html.escape(security.settings.server_url or "none (devices only)"))
        .replace("__TOKEN__", json.dumps(security.admin_token))
    )
    headers = {
        "Cache-Control": "no-store",
        "Content-Security-Policy": (
            f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}';"
            " connect-src 'self'; img-src 'self' blob:; frame-ancestors 'none'; base-uri 'none';"
            " form-action 'none'"
        ),
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
    }
    return HTMLResponse(body, headers=headers)
