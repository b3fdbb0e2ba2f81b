"""Terminals (tills), their payment methods, pairing codes and device tokens."""

from __future__ import annotations

import zoneinfo
from datetime import time
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, URLValidator
from django.db import models

from kassa.server.catalog.barcodes import (
    DEFAULT_PATTERNS,
    BarcodePatternError,
    barcode_patterns_check,
)

# ISO 4217 minor units for the currencies whose places differ from 2.
CURRENCY_PLACES = {"JPY": 0, "KRW": 0, "ISK": 0, "CLP": 0, "HUF": 2, "BHD": 3, "KWD": 3, "TND": 3}
# Prices, orders, payments and cash sessions are stored with 2 decimals: a currency with
# 3 would be rounded on its way into the database, so a terminal cannot be set to one.
MAX_CURRENCY_PLACES = 2


def validate_currency(value: str) -> None:
    code = value.upper()
    if len(code) != 3 or not code.isascii() or not code.isalpha():
        raise ValidationError(f"{value!r} is not an ISO 4217 currency code such as EUR.")
    if CURRENCY_PLACES.get(code, 2) > MAX_CURRENCY_PLACES:
        raise ValidationError(
            f"{code} has {CURRENCY_PLACES[code]} decimals; Kassa stores money with at most "
            f"{MAX_CURRENCY_PLACES}, so it cannot sell in {code} yet."
        )


# The terminal's proxy is the origin it was opened from: the till is served by its own
# hardware proxy (http://127.0.0.1:8765/pos/, docs/install.md), whatever port it uses.
PROXY_SAME_ORIGIN = "same-origin"


def validate_proxy_url(value: str) -> None:
    """Blank (no proxy: the browser prints), "same-origin", or the proxy's http(s) URL."""
    if value in {"", PROXY_SAME_ORIGIN}:
        return
    URLValidator(schemes=["http", "https"])(value)


def default_barcode_patterns() -> list[dict[str, object]]:
    """In-store barcodes with an embedded value: 21… weight in grams, 23… price in cents."""
    return [dict(pattern) for pattern in DEFAULT_PATTERNS]


def validate_barcode_patterns(value: object) -> None:
    """The rules the terminal's domain/barcode.js validatePatterns applies, for a currency
    with the most places a terminal may have (MAX_CURRENCY_PLACES)."""
    try:
        barcode_patterns_check(value, places=MAX_CURRENCY_PLACES)
    except BarcodePatternError as exc:
        raise ValidationError(exc.message) from None


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not an IANA time zone such as Europe/Amsterdam.")


def default_time_zone() -> str:
    return str(settings.TIME_ZONE)


class Store(models.Model):
    """A shop: what its receipts print, its clock, and when its business day turns.
    Terminals belong to a store; reports and a back-office user's view are per store."""

    name = models.CharField(max_length=100)
    address = models.TextField(blank=True)
    tax_id = models.CharField("tax ID", max_length=32, blank=True)
    receipt_header = models.TextField(blank=True)
    receipt_footer = models.TextField(blank=True, default="Thank you!")
    time_zone = models.CharField(
        max_length=64,
        default=default_time_zone,
        validators=[validate_time_zone],
        help_text="IANA name, e.g. Europe/Amsterdam: the store's days, hours and receipts.",
    )
    day_start = models.TimeField(
        "business day starts at",
        default=time(4, 0),
        help_text="Sales before this hour count to the day before (a bar open past midnight).",
    )
    opens_at = models.TimeField(
        default=time(8, 0), help_text="Opening hours: a till silent in them is marked."
    )
    closes_at = models.TimeField(default=time(20, 0))
    cash_variance_threshold = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        default=Decimal(5),
        validators=[MinValueValidator(Decimal(0))],
        help_text="A session closed without a Z and counted further off than this is an "
        "alert on the dashboard (a Z's own limit is its terminal's variance setting).",
    )
    managers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="kassa_stores",
        help_text="Back-office users limited to this store (and their other stores). A user "
        "in no store sees every store.",
    )

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name


class PaymentMethod(models.Model):
    name = models.CharField(max_length=64, unique=True)
    is_cash = models.BooleanField(
        default=False, help_text="Cash counts in the drawer, may give change and opens it."
    )
    active = models.BooleanField(default=True)
    sort_order = models.IntegerField(default=0)
    # The day close's variance limits for this method (docs/z-report.md): empty, the
    # terminal's own limits apply.
    variance_amount = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0))],
        help_text="At close, a difference above this amount for this method needs a "
        "manager's approval or a recount. Empty: the terminal's limit.",
    )
    variance_percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
        help_text="The same, as a percentage of the expected amount. Empty: the terminal's.",
    )

    class Meta:
        ordering = ["sort_order", "name"]

    def __str__(self) -> str:
        return self.name


class DrawerPolicy(models.TextChoices):
    CASH = "cash", "when the order has a cash payment"
    ALWAYS = "always", "after every order"
    NEVER = "never", "never automatically"


class Terminal(models.Model):
    name = models.CharField(max_length=64, unique=True)
    code = models.SlugField(
        max_length=16, unique=True, help_text="Short code printed in receipt numbers, e.g. POS1"
    )
    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="terminals")
    language = models.CharField(
        max_length=8,
        choices=settings.LANGUAGES,
        default="en",
        help_text="The language of the till's screens and receipts.",
    )
    proxy_url = models.CharField(
        "hardware proxy URL",
        max_length=200,
        default="http://127.0.0.1:8765",
        blank=True,
        validators=[validate_proxy_url],
        help_text='The hardware proxy on the till\'s PC, e.g. http://127.0.0.1:8765; "same-origin" '
        "when the till is opened from its proxy (http://127.0.0.1:8765/pos/); blank for no "
        "proxy (receipts print through the browser).",
    )
    currency = models.CharField(max_length=3, default="EUR", validators=[validate_currency])
    payment_methods = models.ManyToManyField(PaymentMethod, related_name="terminals")
    refund_payment_methods = models.ManyToManyField(
        PaymentMethod,
        related_name="+",
        blank=True,
        help_text="The tenders a refund may be paid out in (docs/refunds.md); none chosen: "
        "every payment method of the terminal.",
    )
    recent_order_days = models.PositiveSmallIntegerField(
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(366)],
        help_text="How many days of the store's orders the till keeps, to refund them offline.",
    )
    drawer_policy = models.CharField(
        max_length=8, choices=DrawerPolicy.choices, default=DrawerPolicy.CASH
    )
    discount_limit = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal(10),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
        help_text="Discounts above this percentage need a manager's PIN.",
    )
    barcode_patterns = models.JSONField(
        default=default_barcode_patterns,
        validators=[validate_barcode_patterns],
        help_text='In-store barcodes with a weight or price inside, e.g. [{"prefix": "21", '
        '"kind": "weight", "itemDigits": 5, "valueDigits": 5, "decimals": 3}]. The product\'s '
        "own barcode is the code with the value digits zeroed and its check digit.",
    )
    # The day close (docs/z-report.md, "Terminal settings").
    blind_close = models.BooleanField(
        default=False,
        help_text="At close the cashier counts without seeing the expected amounts.",
    )
    cash_move_slip = models.BooleanField(
        default=True,
        help_text="Cash in, cash out and safe drops open the drawer and print a slip.",
    )
    variance_amount = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0))],
        help_text="At close, a difference between counted and expected above this amount "
        "(for a payment method, or in all) needs a manager's approval or a recount. "
        "Empty: no limit.",
    )
    variance_percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
        help_text="The same, as a percentage of the expected amount. Empty: no limit.",
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def currency_places(self) -> int:
        return CURRENCY_PLACES.get(self.currency.upper(), 2)


class PairingCode(models.Model):
    """A one-time code shown in the back office, exchanged by a terminal for a token."""

    terminal = models.ForeignKey(Terminal, on_delete=models.CASCADE, related_name="pairing_codes")
    code_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"pairing code for {self.terminal}"


class DeviceToken(models.Model):
    terminal = models.ForeignKey(Terminal, on_delete=models.CASCADE, related_name="tokens")
    token_hash = models.CharField(max_length=64, unique=True)
    # The receipt number prefix of this pairing, e.g. "POS1-3-": a terminal that is paired
    # again (and so starts counting again) can never repeat an earlier receipt number.
    receipt_prefix = models.CharField(max_length=32, unique=True)
    label = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.terminal} token {self.receipt_prefix}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class PrinterLevel(models.TextChoices):
    GOOD = "good", "ready"
    WARN = "warn", "needs attention soon"
    BAD = "bad", "fault"
    UNKNOWN = "unknown", "unknown"


class TerminalStatus(models.Model):
    """What a till last said of itself (`POST terminal/status`, after each sync round):
    the back office's dashboard reads it. Overwritten by each report: not a record."""

    terminal = models.OneToOneField(
        Terminal, on_delete=models.CASCADE, primary_key=True, related_name="status"
    )
    reported_at = models.DateTimeField(help_text="Server clock")
    last_sync_at = models.DateTimeField(
        null=True, blank=True, help_text="The last report after the till had sent its whole outbox"
    )
    pending = models.PositiveIntegerField(default=0, help_text="Outbox entries waiting to be sent")
    rejected = models.PositiveIntegerField(default=0, help_text="Outbox entries the server refused")
    printer = models.CharField(
        max_length=8, choices=PrinterLevel.choices, default=PrinterLevel.UNKNOWN
    )
    printer_text = models.CharField(max_length=100, blank=True)
    receipts_owed = models.PositiveIntegerField(default=0)
    receipts_owed_since = models.DateTimeField(
        null=True, blank=True, help_text="Server clock: since when the till has owed receipts"
    )

    class Meta:
        verbose_name_plural = "terminal statuses"

    def __str__(self) -> str:
        return f"{self.terminal} at {self.reported_at:%Y-%m-%d %H:%M}"
