"""The journal's tables (docs/journal.md, "On the server").

Entries are stored exactly as received: the canonical bytes, the hash and the signature,
with the fields read from them beside, for lookups. They are never rebuilt, and triggers
(migration 0001) refuse UPDATE and DELETE on the entry and key tables on SQLite and
PostgreSQL; an alert may be acknowledged once and is otherwise kept as written. Only the
chain heads and the held entries (not yet in a chain) change.

No foreign key leaves this app: it sits just above `common`, so terminals are named by
their code and device tokens by their id.
"""

from __future__ import annotations

from django.db import models

from .errors import JournalProblem

SERVER_CHAIN = "server"
"""The `terminal` of the server's own entries (they live in ServerEntry, not beside the
tills', so a till whose code is "server" can never be mistaken for it)."""

SERVER_HEAD = "@server"
"""The ChainHead row of the server's chain: "@" is never in a terminal code (a slug)."""


class EntryFields(models.Model):
    """An entry as the wire carries it (seq, canonical, hash, sig) and the fields read from
    its canonical bytes."""

    seq = models.PositiveBigIntegerField()
    type = models.CharField(max_length=32)
    at_text = models.CharField("at, as written", max_length=64)
    at = models.DateTimeField()
    key_id = models.CharField("key", max_length=16)
    canonical = models.BinaryField()
    hash = models.CharField(max_length=64)
    sig = models.CharField("signature", max_length=86)
    received_at = models.DateTimeField()

    class Meta:
        abstract = True

    @property
    def canonical_text(self) -> str:
        return bytes(self.canonical).decode("utf-8", "replace")

    @property
    def short_hash(self) -> str:
        return self.hash[:12]


class TerminalEntry(EntryFields):
    """An entry of a till's chain, accepted on ingest."""

    terminal_code = models.CharField("terminal", max_length=16)

    class Meta:
        verbose_name = "terminal entry"
        verbose_name_plural = "terminal entries"
        ordering = ["terminal_code", "seq"]
        constraints = [
            models.UniqueConstraint(
                fields=["terminal_code", "seq"], name="journal_terminal_entry_seq"
            )
        ]

    def __str__(self) -> str:
        return f"{self.terminal_code} #{self.seq} {self.type}"


class ServerEntry(EntryFields):
    """An entry of the server's own chain (`terminal` = "server"), signed with its key."""

    # The terminal an ANCHOR or INTEGRITY_FAILURE is about, read from its payload, so a
    # terminal's anchors are found without parsing the whole chain.
    subject = models.CharField(max_length=16, blank=True, db_index=True)

    class Meta:
        verbose_name = "server chain entry"
        verbose_name_plural = "server chain"
        ordering = ["seq"]
        constraints = [models.UniqueConstraint(fields=["seq"], name="journal_server_entry_seq")]

    def __str__(self) -> str:
        return f"server #{self.seq} {self.type}"


class HeldEntry(models.Model):
    """An entry that checked out on its own but cannot be placed yet: it came after a gap,
    or while its terminal has a quarantined entry nobody has acknowledged. Applied (and
    removed from here) when its turn comes."""

    terminal_code = models.CharField("terminal", max_length=16)
    seq = models.PositiveBigIntegerField()
    canonical = models.BinaryField()
    hash = models.CharField(max_length=64)
    sig = models.CharField("signature", max_length=86)
    received_at = models.DateTimeField()

    class Meta:
        verbose_name = "held entry"
        verbose_name_plural = "held entries"
        ordering = ["terminal_code", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["terminal_code", "seq"], name="journal_held_entry_seq")
        ]

    def __str__(self) -> str:
        return f"{self.terminal_code} #{self.seq} (held)"


class TerminalKey(models.Model):
    """A till's public key, registered by one pairing (device token). Every key a terminal
    ever registered stays valid for the entries it signed."""

    terminal_code = models.CharField("terminal", max_length=16)
    device_token_id = models.PositiveBigIntegerField(unique=True)
    key_id = models.CharField("key", max_length=16, unique=True)
    spki = models.BinaryField("public key (SPKI DER)")
    registered_at = models.DateTimeField()

    class Meta:
        ordering = ["terminal_code", "pk"]

    def __str__(self) -> str:
        return f"{self.terminal_code} key {self.key_id}"


class ServerKey(models.Model):
    """A public key the server has signed its chain with (its private key is a file in
    the data folder)."""

    key_id = models.CharField("key", max_length=16, unique=True)
    spki = models.BinaryField("public key (SPKI DER)")
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"server key {self.key_id}"


class ChainHead(models.Model):
    """The last accepted entry of one chain, and the row its writers lock.

    A cache of the chain's end, not evidence: journal_verify reads the entries. `chain`
    is a terminal code, or SERVER_HEAD for the server's own chain.
    """

    chain = models.CharField(max_length=16, unique=True)
    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64)
    # The key of the last accepted entry: an older pairing's key may not sign after it.
    key_id = models.CharField(max_length=16, blank=True)
    # The last SALE's perpetual grand totals, as written ("0" before the first); empty
    # after a declared INTEGRITY_FAILURE: the next SALE starts them again.
    gt_after = models.CharField(max_length=40, blank=True, default="0")
    gt_abs_after = models.CharField(max_length=40, blank=True, default="0")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.chain} at #{self.seq}"


class IntegrityAlert(models.Model):
    """Something in a till's journal a person must look at.

    `quarantined`: the entry was kept out of its chain and is held here verbatim (a bad
    hash or signature, an unknown key, a prev_hash that is not the head's hash, a fork);
    the terminal's later entries wait until a person acknowledges the alert. Otherwise the
    entry is in its chain and flagged (a SALE whose grand totals do not add up).
    Acknowledging records who and when, once; nothing else of an alert ever changes.
    """

    terminal_code = models.CharField("terminal", max_length=16)
    seq = models.BigIntegerField(null=True, blank=True)
    reason = models.CharField(max_length=32, choices=[(p.value, p.value) for p in JournalProblem])
    detail = models.TextField()
    quarantined = models.BooleanField()
    # The entry as received (quarantined alerts only): wire seq, canonical text, hash, sig.
    canonical = models.BinaryField(null=True, blank=True)
    hash = models.TextField(blank=True)
    sig = models.TextField("signature", blank=True)
    detected_at = models.DateTimeField()
    # The back-office user, by name: who acknowledged must outlive a renamed or removed user.
    acknowledged_by = models.CharField(max_length=150, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-detected_at", "-pk"]
        indexes = [models.Index(fields=["terminal_code", "seq"], name="journal_alert_seq")]

    def __str__(self) -> str:
        where = f" #{self.seq}" if self.seq is not None else ""
        return f"{self.terminal_code}{where}: {self.reason}"
