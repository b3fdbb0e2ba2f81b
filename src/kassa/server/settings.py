"""Django settings for the Kassa main server, configured by KASSA_* environment variables."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url
import django_stubs_ext

# Lets admin and form classes take type arguments (ModelAdmin[Product]) at run time.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent
# The terminal's static files, served at /pos/. KASSA_TERMINAL_DIR serves another copy of
# them instead: a test and development aid (tests/browser/test_upgrade.py serves the
# previous release's terminal, then this one, to the same till), not a deployment setting.
TERMINAL_DIR = Path(os.environ.get("KASSA_TERMINAL_DIR") or BASE_DIR.parent / "terminal")


def _env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def _secret_key(data_dir: Path) -> str:
    """KASSA_SECRET_KEY, else the file KASSA_SECRET_KEY_FILE names, else a random key kept
    in the data folder (created on first use: one server alone).

    Several instances behind a load balancer must share one key (sessions, CSRF and the
    admin's signed values are checked against it): give each the same KASSA_SECRET_KEY or
    KASSA_SECRET_KEY_FILE (docs/install.md, "A chain: several servers")."""
    key = os.environ.get("KASSA_SECRET_KEY", "").strip()
    if key:
        return key
    named = os.environ.get("KASSA_SECRET_KEY_FILE")
    if named:
        key = Path(named).read_text().strip()
        if not key:
            raise ValueError(f"KASSA_SECRET_KEY_FILE {named} is empty")
        return key
    path = data_dir / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(50)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(key)
        return key


DATA_DIR = Path(os.environ.get("KASSA_DATA_DIR", "kassa-data")).resolve()
DEBUG = _env_bool("KASSA_DEBUG")
SECRET_KEY = _secret_key(DATA_DIR)
ALLOWED_HOSTS = _env_list("KASSA_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")
CSRF_TRUSTED_ORIGINS = _env_list("KASSA_CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    # Django's admin with Kassa's site: titled Kassa, the dashboard as its index.
    "kassa.server.reports.apps.KassaAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "kassa.server.journal",
    "kassa.server.catalog",
    "kassa.server.staff",
    "kassa.server.terminals",
    "kassa.server.cash",
    "kassa.server.orders",
    "kassa.server.reports",
    # The project itself, for the commands that span every app (management/commands).
    "kassa.server",
]

MIDDLEWARE = [
    # First: it refuses a Host not allowed under /api/ in JSON before any other asks.
    "kassa.server.api.ApiJsonErrorsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The back office in the user's language (the browser's Accept-Language): en or de.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "kassa.server.urls"
WSGI_APPLICATION = "kassa.server.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("KASSA_DATABASE_URL") or f"sqlite:///{DATA_DIR / 'kassa.sqlite3'}",
        conn_max_age=600,
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    # WAL lets the terminal API read while an order batch is written; IMMEDIATE makes
    # writers queue for the lock instead of failing with "database is locked" on upgrade.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # Tests use a file, not memory, so that live servers and threads get connections of
    # their own and contend for the database as they would in a shop.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test-kassa.sqlite3")}
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = False


def cache_settings(url: str, data_dir: Path) -> dict[str, dict[str, object]]:
    """The catalog page cache from KASSA_CACHE_URL.

    - "" (default): files in the data folder, shared by this instance's worker processes;
      several instances each keep their own, which is correct because a page's key carries
      the catalog's version and the database's identity (catalog/selectors.py): an instance
      never serves a page another one made stale;
    - `redis://host:6379/0` (or `rediss://`): one cache for every instance (needs the
      `redis` package: pip install redis);
    - `file:///shared/folder`: files in that folder (a disk the instances share).
    """
    url = url.strip()
    if not url:
        location = os.environ.get("KASSA_CACHE_DIR", str(data_dir / "cache"))
        return {
            "default": {
                "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                "LOCATION": location,
                "OPTIONS": {"MAX_ENTRIES": 2000},
            }
        }
    scheme = url.split(":", 1)[0].lower()
    if scheme in {"redis", "rediss"}:
        return {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": url,
                "KEY_PREFIX": "kassa",
            }
        }
    if scheme == "file":
        folder = url.removeprefix("file://")
        if not folder.startswith("/"):
            raise ValueError(f"KASSA_CACHE_URL {url!r}: a file:// URL names an absolute folder")
        return {
            "default": {
                "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                "LOCATION": folder,
                "OPTIONS": {"MAX_ENTRIES": 2000},
            }
        }
    raise ValueError(f"KASSA_CACHE_URL {url!r}: use redis://, rediss:// or file://")


# Catalog pages, keyed by catalog version (see cache_settings).
CACHES = cache_settings(os.environ.get("KASSA_CACHE_URL", ""), DATA_DIR)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en"
# The languages Kassa ships (back office and terminal); a till's own is Terminal.language.
LANGUAGES = [("en", "English"), ("de", "Deutsch")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("KASSA_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
# Unset unless collectstatic is wanted: WhiteNoise serves from the finders (see below).
STATIC_ROOT = os.environ.get("KASSA_STATIC_ROOT") or None
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# The admin's static files are served by WhiteNoise straight from the installed packages,
# so `kassa server` needs no collectstatic step.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

DATA_UPLOAD_MAX_MEMORY_SIZE = 16 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 64 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000

SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"

# Behind TLS (docs/security.md, "Behind TLS"). KASSA_HTTPS=1 marks the session and CSRF
# cookies Secure (never sent over plain HTTP) and sends HSTS, a year by default
# (KASSA_HSTS_SECONDS; 0 sends none). KASSA_PROXY_SSL_HEADER=1 trusts the reverse proxy's
# X-Forwarded-Proto: set it only when a proxy that sets that header is the sole way in.
# KASSA_SSL_REDIRECT=1 sends plain-HTTP requests to HTTPS.
KASSA_HTTPS = _env_bool("KASSA_HTTPS")
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = KASSA_HTTPS
SECURE_HSTS_SECONDS = int(os.environ.get("KASSA_HSTS_SECONDS", "31536000" if KASSA_HTTPS else "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = _env_bool("KASSA_HSTS_INCLUDE_SUBDOMAINS")
SECURE_HSTS_PRELOAD = False
SECURE_SSL_REDIRECT = _env_bool("KASSA_SSL_REDIRECT")
if _env_bool("KASSA_PROXY_SSL_HEADER"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

NINJA_PAGINATION_PER_PAGE = 100

# Order sync: the most orders one request may carry.
KASSA_SYNC_MAX_BATCH = int(os.environ.get("KASSA_SYNC_MAX_BATCH", "200"))
# PIN verifier for offline login: PBKDF2-SHA256 iterations the terminal repeats per try.
KASSA_PIN_VERIFIER_ITERATIONS = int(os.environ.get("KASSA_PIN_VERIFIER_ITERATIONS", "100000"))
KASSA_PAIRING_CODE_TTL_MINUTES = 30
# Throttles (docs/security.md): failures allowed in the window, then a lock, in seconds.
# Pairing: per client address, and per pairing code (each failed attempt, from anywhere,
# counts against every code waiting to be used). PINs: per cashier and per client.
KASSA_PAIRING_CLIENT_FAILURES = int(os.environ.get("KASSA_PAIRING_CLIENT_FAILURES", "10"))
KASSA_PAIRING_CODE_FAILURES = int(os.environ.get("KASSA_PAIRING_CODE_FAILURES", "20"))
KASSA_PIN_FAILURES = int(os.environ.get("KASSA_PIN_FAILURES", "5"))
KASSA_PIN_CLIENT_FAILURES = int(os.environ.get("KASSA_PIN_CLIENT_FAILURES", "20"))
KASSA_THROTTLE_WINDOW_SECONDS = int(os.environ.get("KASSA_THROTTLE_WINDOW_SECONDS", "900"))
KASSA_THROTTLE_LOCK_SECONDS = int(os.environ.get("KASSA_THROTTLE_LOCK_SECONDS", "900"))
# The private key that signs the server's own journal chain: made on first use, kept in
# the data folder beside the secret key (docs/journal.md). Back it up with the database.
KASSA_JOURNAL_KEY_FILE = Path(
    os.environ.get("KASSA_JOURNAL_KEY_FILE") or DATA_DIR / "journal_key.pem"
).resolve()

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("KASSA_LOG_LEVEL", "WARNING")},
}
