"""Terminal writes: pairing codes, pairing, device tokens, and the record of a till's or a
store's settings changed in the back office."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Collection, Mapping
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Model
from django.utils import timezone

from kassa.server.common.throttle import Throttle
from kassa.server.journal.services import server_chain_append

from .errors import TerminalError, TerminalErrorCode
from .models import DeviceToken, PairingCode, PrinterLevel, Store, Terminal, TerminalStatus

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


def _pairing_throttles() -> tuple[Throttle, Throttle]:
    """Per client address, and per pairing code (docs/security.md, "Throttles")."""
    window, lock = settings.KASSA_THROTTLE_WINDOW_SECONDS, settings.KASSA_THROTTLE_LOCK_SECONDS
    client = Throttle(
        "pair-client",
        settings.KASSA_PAIRING_CLIENT_FAILURES,
        window,
        lock,
        "Too many wrong pairing codes from this address; try again in {seconds} s.",
    )
    code = Throttle(
        "pair-code",
        settings.KASSA_PAIRING_CODE_FAILURES,
        window,
        lock,
        "Too many wrong pairing codes were tried while this one waited; it is locked for "
        "{seconds} s more. Or make a new code in the back office.",
    )
    return client, code


@transaction.atomic
def terminal_pair(
    *, code: str, label: str = "", client: str | None = None
) -> tuple[DeviceToken, str]:
    """Exchange a pairing code for a device token. Returns the token row and the secret.

    `client` is the address the request came from, for the throttle (None: a call from
    the server itself, not throttled by address). Every failure counts against that
    address and against each code waiting to be used: at their limits, the address, or
    the code, is refused with Throttled (429) until the lock ends, the right code too.
    """
    by_client, by_code = _pairing_throttles()
    if client is not None:
        by_client.check(client)
    now = timezone.now()
    pairing = (
        PairingCode.objects.select_for_update()
        .select_related("terminal")
        .filter(code_hash=_digest(_normalise_code(code)))
        .first()
    )
    if pairing is None or pairing.used_at is not None or pairing.expires_at <= now:
        if client is not None:
            by_client.fail(client)
        waiting = PairingCode.objects.filter(used_at__isnull=True, expires_at__gt=now)
        for pk in waiting.values_list("pk", flat=True):
            by_code.fail(str(pk))
        raise TerminalError(
            TerminalErrorCode.PAIRING_CODE_INVALID,
            "This pairing code is unknown, used or expired. Ask for a new one in the back office.",
        )
    by_code.check(str(pairing.pk))
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


def _journal_value(value: object) -> Any:
    """A setting as the journal holds it: JSON of strings, integers, booleans and null
    (decimals as decimal strings, related rows by name)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    if isinstance(value, Mapping):
        return {str(key): _journal_value(item) for key, item in value.items()}
    if isinstance(value, Collection):
        return [_journal_value(item) for item in value]
    if isinstance(value, Model):
        return str(value)
    return str(value)


def _changes(
    instance: Model, fields: Collection[str], before: Mapping[str, object], created: bool
) -> dict[str, dict[str, Any]]:
    """Each field's value before and after, as the journal holds them; only real changes
    (a form may call a field changed that is not: JSON read back, a time re-typed)."""
    changes = {}
    for name in sorted(fields):
        value = getattr(instance, name)
        if name == "payment_methods":
            value = sorted(method.name for method in instance.payment_methods.all())  # type: ignore[attr-defined]
        elif name == "managers":
            value = sorted(user.get_username() for user in instance.managers.all())  # type: ignore[attr-defined]
        was = None if created else _journal_value(before.get(name))
        if created or was != _journal_value(value):
            changes[name] = {"from": was, "to": _journal_value(value)}
    return changes


@transaction.atomic
def terminal_settings_record(
    *,
    terminal: Terminal,
    fields: Collection[str],
    before: Mapping[str, object],
    by: str,
    created: bool = False,
) -> None:
    """Record on the server's journal chain (TERMINAL_SETTINGS) that a till's settings
    changed in the back office: each field's value before and after (its store by name).
    Call it after the change is saved, in its transaction. No change: nothing recorded."""
    changes = _changes(terminal, fields, before, created)
    if not changes:
        return
    server_chain_append(
        type="TERMINAL_SETTINGS",
        payload={
            "terminal": terminal.code,
            "change": "created" if created else "changed",
            "fields": changes,
            "by": by,
        },
    )


@transaction.atomic
def store_settings_record(
    *,
    store: Store,
    fields: Collection[str],
    before: Mapping[str, object],
    by: str,
    created: bool = False,
) -> None:
    """Record on the server's journal chain (STORE_SETTINGS) that a store's receipt texts,
    address, tax ID, clock or managers changed in the back office, as
    terminal_settings_record does for a till. No change: nothing recorded."""
    changes = _changes(store, fields, before, created)
    if not changes:
        return
    server_chain_append(
        type="STORE_SETTINGS",
        payload={
            "store": store.pk,
            "name": store.name,
            "terminals": sorted(store.terminals.values_list("code", flat=True)),
            "change": "created" if created else "changed",
            "fields": changes,
            "by": by,
        },
    )


@transaction.atomic
def terminal_status_report(
    *,
    terminal: Terminal,
    synced: bool,
    pending: int,
    rejected: int,
    printer: str,
    printer_text: str,
    receipts_owed: int,
) -> TerminalStatus:
    """Keep what a till says of itself after a sync round (`synced`: it had sent its
    whole outbox). Receipts owed are dated by the server from the first report that
    owed any, so the dashboard can say who waits for one, and for how long."""
    now = timezone.now()
    status = TerminalStatus.objects.select_for_update().filter(terminal=terminal).first()
    if status is None:
        status = TerminalStatus(terminal=terminal)
    was_owing = status.receipts_owed > 0 and status.receipts_owed_since is not None
    status.reported_at = now
    if synced:
        status.last_sync_at = now
    status.pending = pending
    status.rejected = rejected
    status.printer = printer if printer in PrinterLevel.values else PrinterLevel.UNKNOWN
    status.printer_text = printer_text[:100]
    status.receipts_owed = receipts_owed
    if receipts_owed == 0:
        status.receipts_owed_since = None
    elif not was_owing:
        status.receipts_owed_since = now
    status.save()
    return status
