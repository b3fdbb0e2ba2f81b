"""Terminal writes: pairing codes, pairing, device tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from .errors import TerminalError, TerminalErrorCode
from .models import DeviceToken, PairingCode, Terminal

# Unambiguous characters: no 0/O, 1/I/L, so a code read off a screen is typed right.
PAIRING_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
PAIRING_CODE_LENGTH = 8


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _normalise_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def pairing_code_create(*, terminal: Terminal) -> str:
    """A new one-time pairing code for `terminal`; only its hash is stored."""
    code = "".join(secrets.choice(PAIRING_ALPHABET) for _ in range(PAIRING_CODE_LENGTH))
    PairingCode.objects.create(
        terminal=terminal,
        code_hash=_digest(code),
        expires_at=timezone.now() + timedelta(minutes=settings.KASSA_PAIRING_CODE_TTL_MINUTES),
    )
    return f"{code[:4]}-{code[4:]}"


@transaction.atomic
def terminal_pair(*, code: str, label: str = "") -> tuple[DeviceToken, str]:
    """Exchange a pairing code for a device token. Returns the token row and the secret."""
    now = timezone.now()
    pairing = (
        PairingCode.objects.select_for_update()
        .select_related("terminal")
        .filter(code_hash=_digest(_normalise_code(code)))
        .first()
    )
    if pairing is None or pairing.used_at is not None or pairing.expires_at <= now:
        raise TerminalError(
            TerminalErrorCode.PAIRING_CODE_INVALID,
            "This pairing code is unknown, used or expired. Ask for a new one in the back office.",
        )
    terminal = pairing.terminal
    if not terminal.active:
        raise TerminalError(
            TerminalErrorCode.TERMINAL_INACTIVE, f"Terminal {terminal.name} is disabled."
        )
    pairing.used_at = now
    pairing.save(update_fields=["used_at"])
    secret = secrets.token_urlsafe(32)
    pairing_number = DeviceToken.objects.filter(terminal=terminal).count() + 1
    while True:
        try:
            with transaction.atomic():
                token = DeviceToken.objects.create(
                    terminal=terminal,
                    token_hash=_digest(secret),
                    receipt_prefix=f"{terminal.code}-{pairing_number}-",
                    label=label[:200],
                )
            return token, secret
        except IntegrityError:
            pairing_number += 1


def device_token_authenticate(secret: str) -> DeviceToken | None:
    """The live token with this secret, or None. A service, not a selector: it records
    when the token was last seen."""
    token = (
        DeviceToken.objects.select_related("terminal")
        .filter(token_hash=_digest(secret), revoked_at__isnull=True, terminal__active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    # Write last_seen at most once a minute: it must not cost a write per request.
    if token.last_seen_at is None or now - token.last_seen_at > timedelta(minutes=1):
        DeviceToken.objects.filter(pk=token.pk).update(last_seen_at=now)
        token.last_seen_at = now
    return token


def device_token_revoke(*, token: DeviceToken) -> None:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
