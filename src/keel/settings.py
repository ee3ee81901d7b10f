"""Keel's one settings module. Every KEEL_* variable is read here, typed, and listed in README.md."""

from __future__ import annotations

import base64
import os
import secrets
import sys
from datetime import timedelta
from pathlib import Path

from keel.env import (
    ConfigError,
    env_bool,
    env_choice_or_path,
    env_int,
    env_list,
    env_path,
    env_rate,
    env_str,
    env_time_zone,
    parse_database_url,
    parse_email_url,
    parse_public_url,
    require_public_host_allowed,
)

PACKAGE_DIR = Path(__file__).resolve().parent

# --- Environment -----------------------------------------------------------------------------
PRODUCTION = env_bool("KEEL_PRODUCTION", default=False)
DEBUG = env_bool("KEEL_DEBUG", default=False)
if PRODUCTION and DEBUG:
    raise ConfigError("KEEL_DEBUG=1 is not allowed together with KEEL_PRODUCTION=1")
TESTING = "pytest" in sys.modules or env_bool("KEEL_TESTING", default=False)

DATA_DIR = env_path("KEEL_DATA_DIR", Path.cwd() / "var")


def _secret_key() -> str:
    key = env_str("KEEL_SECRET_KEY")
    if key:
        if PRODUCTION and len(key) < 50:
            raise ConfigError("KEEL_SECRET_KEY must be at least 50 characters in production")
        return key
    if PRODUCTION:
        raise ConfigError("KEEL_SECRET_KEY is required when KEEL_PRODUCTION=1")
    # Development: generate once into the data dir so sessions survive restarts.
    DATA_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)  # owner-only (issue #14)
    path = DATA_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(64))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()


def _data_keys() -> str:
    """AEAD keys for the most sensitive free text (SECURITY.md): `id:base64key,...`, the first encrypts.

    Kept outside the database: the environment in production, a generated file in the data dir otherwise.
    """
    keys = env_str("KEEL_DATA_KEYS")
    if keys:
        for entry in keys.split(","):
            key_id, _, b64 = entry.strip().partition(":")
            try:
                raw = base64.urlsafe_b64decode(b64.encode())
            except ValueError:
                raw = b""
            if not key_id or len(raw) != 32:
                raise ConfigError(
                    "KEEL_DATA_KEYS: each entry is id:base64-of-32-bytes (keel data_key new ID)"
                )
        return keys
    if PRODUCTION:
        raise ConfigError(
            "KEEL_DATA_KEYS is required when KEEL_PRODUCTION=1 (make one: keel data_key new ID)"
        )
    DATA_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)  # owner-only (issue #14)
    path = DATA_DIR / "data_keys"
    if not path.exists():
        path.write_text("dev1:" + base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())
        path.chmod(0o600)
    return path.read_text().strip()


KEEL_DATA_KEYS = _data_keys()


def _audit_keys() -> str:
    """HMAC keys of the audit chain (SECURITY.md T15): `id:base64key,...`, the first seals new rows, every key
    verifies the rows that name it. Kept outside the database and its backups, like KEEL_DATA_KEYS."""
    from keel.audit.chain import AuditKeyError, parse_keys

    keys = env_str("KEEL_AUDIT_KEYS")
    if not keys:
        if PRODUCTION:
            raise ConfigError(
                "KEEL_AUDIT_KEYS is required when KEEL_PRODUCTION=1 (make one: keel audit key new ID)"
            )
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        path = DATA_DIR / "audit_keys"
        if not path.exists():  # written whole, then linked in: processes starting together share one key
            fresh = DATA_DIR / f".audit_keys.{os.getpid()}"
            fd = os.open(fresh, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # owner-only from the start
            with os.fdopen(fd, "w") as out:
                out.write("dev1:" + base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())
            try:
                os.link(fresh, path)
            except FileExistsError:
                pass
            finally:
                fresh.unlink()
        keys = path.read_text().strip()
    try:
        parse_keys(keys)
    except AuditKeyError as error:
        raise ConfigError(str(error)) from None
    return keys


KEEL_AUDIT_KEYS = _audit_keys()


def _checkpoint_key() -> str:
    """The Ed25519 private key that signs audit checkpoints (SECURITY.md T15), a PEM file apart from the
    chain's HMAC keys, so their holder cannot forge a checkpoint. Required in production; generated owner-only
    in the data dir otherwise."""
    from keel.audit.signing import CheckpointKeyError, generate, load_private

    path = env_str("KEEL_CHECKPOINT_KEY")
    if not path:
        if PRODUCTION:
            raise ConfigError(
                "KEEL_CHECKPOINT_KEY is required when KEEL_PRODUCTION=1: the path of an Ed25519 private key "
                "(openssl genpkey -algorithm ed25519 -out checkpoint.pem), kept apart from KEEL_AUDIT_KEYS"
            )
        DATA_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
        target = DATA_DIR / "checkpoint_key.pem"
        if not target.exists():
            generate(target)
        path = str(target)
    try:
        load_private(path)
    except CheckpointKeyError as error:
        raise ConfigError(str(error)) from None
    return path


KEEL_CHECKPOINT_KEY = _checkpoint_key()
ALLOWED_HOSTS = env_list("KEEL_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])

# --- Database --------------------------------------------------------------------------------
_db_url = env_str("KEEL_DATABASE_URL")
if _db_url:
    _database: dict[str, object] = parse_database_url(_db_url)
else:
    DATA_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)  # owner-only (issue #14)
    _database = {"ENGINE": "keel.db.sqlite3", "NAME": str(DATA_DIR / "keel.sqlite3")}

if _database["ENGINE"] == "keel.db.sqlite3":
    # Durability promises of SECURITY.md: WAL, fsync on commit, FK checks, writers queue instead of failing.
    _database["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # Tests run on an in-memory database (what Django does for its own sqlite3 engine name).
    _database["TEST"] = {"NAME": ":memory:"}
# Keep connections between requests: otherwise every request reconnects (and, on SQLite, re-runs the pragmas).
_database["CONN_MAX_AGE"] = 60
_database["CONN_HEALTH_CHECKS"] = True
DATABASES = {"default": _database}
# PostgreSQL: the check-in's hot statements are prepared once per connection (`keel.db.prepared`, #21).
# Off behind a transaction pooler that does not keep protocol-level prepared statements (PgBouncer before
# 1.21, or without `max_prepared_statements`): there a transaction may reach a server session that never saw
# the statement, and inside a transaction that cannot be retried. Off, they are sent as every other is.
KEEL_DATABASE_PREPARED = env_bool("KEEL_DATABASE_PREPARED", default=True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Applications ----------------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "csp",
    "keel.accounts",
    "keel.audit",
    "keel.patients",
    "keel.assessments",
    "keel.directory",
    "keel.treatment",
    "keel.measures",
    "keel.careteam",
    "keel.sharing",
    "keel.interop",
    "keel.recovery",
    "keel.selfguided",
    "keel.public",
    "keel.jobs",
    "keel.reminders",
    "keel.appointments",
    "keel.web",
    "django_tasks",
    "django_tasks_db",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "keel.web.middleware.RequestContextMiddleware",
    "keel.web.logs.RequestLogMiddleware",  # inside the request id, outside everything that answers
    # The response headers, outside every middleware that can answer by itself (the session limits' and the
    # second factor's sign-outs, the append-slash and language redirects, Axes, RejectNul): each of those
    # answers passes back through these three (review 14b, tests/web/test_self_answering_middleware.py).
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "keel.web.middleware.CachedCSPMiddleware",  # django-csp, its header built once (issue #21)
    "keel.web.middleware.NoStoreMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "keel.web.middleware.LocaleMiddleware",  # Django's, each request's language worked out once (issue #21)
    "keel.web.middleware.CommonMiddleware",  # Django's, Content-Length written plainly (issue #21)
    "django.middleware.csrf.CsrfViewMiddleware",
    "keel.accounts.authentication.AuthenticationMiddleware",  # Django's, its user read hand-written (#21)
    "keel.accounts.middleware.OTPMiddleware",  # django-otp's, the device read hand-written (issue #21)
    "keel.accounts.middleware.SessionLimitsMiddleware",
    "keel.accounts.middleware.RequireMFAMiddleware",
    "keel.web.middleware.MessageMiddleware",  # Django's, its storage built when first used (issue #21)
    "axes.middleware.AxesMiddleware",
    "keel.web.middleware.StaffPagesMiddleware",  # a staff page refused to her own account (lane fixpriv39)
    # Innermost: its page needs the user and language, and its answer gets every header above.
    "keel.web.middleware.RejectNulMiddleware",
]

ROOT_URLCONF = "keel.urls"
WSGI_APPLICATION = "keel.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "keel.web.context.keel",
            ],
        },
    },
]

# --- Accounts and authentication -------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PRODUCTION_PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",  # Argon2id
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
PASSWORD_HASHERS = PRODUCTION_PASSWORD_HASHERS
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "web:home"

# Lockout per username + IP after 5 failures, cooling off after 15 minutes (SECURITY.md T4).
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "keel.accounts.views.locked_out"
AXES_VERBOSE = False
AXES_ENABLE_ACCESS_FAILURE_LOG = False
# The client's address (keel.web.client_address): behind the trusted proxy, the one it forwards, so the
# lockout is per person's address, not the proxy's (review 21p), and an IPv6 client's /64 is one client
# (review 22p). The audit trail keeps the address itself (client_ip); the scores' limit counts the network.
AXES_CLIENT_IP_CALLABLE = "keel.web.client_address.client_network"
# The proxies whose X-Forwarded-For is believed (docs/deploy.md: Caddy on the same machine).
KEEL_TRUSTED_PROXIES = env_list("KEEL_TRUSTED_PROXIES", ["127.0.0.1", "::1"])

OTP_TOTP_ISSUER = "Keel"
OTP_TOTP_THROTTLE_FACTOR = 1

# Session limits (SECURITY.md T5). Server-side sessions in the database.
SESSION_ENGINE = "keel.accounts.sessions"  # Django's database store, its read hand-written (issue #21)
SESSION_COOKIE_AGE = int(timedelta(hours=12).total_seconds())
# A page's one-time message ("Not saved: ...", a dose's answer) can name treatment details: it waits in the
# server-side session, never in a cookie (Django's default tries a signed, unencrypted cookie first; review
# 21). Every view that adds one is signed in, so no anonymous visitor gets a session row for it.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
KEEL_IDLE_TIMEOUT_STAFF = timedelta(minutes=15)
KEEL_IDLE_TIMEOUT_PATIENT = timedelta(minutes=30)
# Emergency (break-the-glass) access lasts this long, then the record is out of scope again (SECURITY.md
# T12). Keel's choice: one clinical shift's worth of a crisis, not a regulatory figure.
KEEL_EMERGENCY_ACCESS_MINUTES = 240
KEEL_SESSION_ABSOLUTE = timedelta(hours=12)
KEEL_TOKEN_DEFAULT_DAYS = 30
KEEL_TOKEN_MAX_DAYS = 90

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
LANGUAGE_COOKIE_SECURE = PRODUCTION
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"

# --- Security headers ------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("KEEL_SSL_REDIRECT", default=True)
    # The proxy's health checks (docs/deploy.md) reach /healthz over plain HTTP on the loopback; every other
    # address redirects, so a proxy that stopped sending X-Forwarded-Proto shows at once as a redirect loop.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = 31_536_000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# --- Shared state and background work (issue #19) -------------------------------------------------
# Nothing a request relies on lives in one process's memory: the cache (rate limits such as KEEL_SCORE_RATE)
# is a table in the database, shared by every web process; sessions are in the database too.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "keel_cache",
        "OPTIONS": {"MAX_ENTRIES": 50_000},
    }
}
# Queued and scheduled work: Django's task framework (django-tasks) stored in the database
# (django-tasks-db); `keel worker` runs it (keel/jobs).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
# Scheduled backups: where, and how many to keep (the newest N; older ones are deleted).
KEEL_BACKUP_DIR = env_path("KEEL_BACKUP_DIR", DATA_DIR / "backups")
KEEL_BACKUP_KEEP = env_int("KEEL_BACKUP_KEEP", 7, floor=1, ceiling=365)
# The daily signed audit checkpoints (`keel audit checkpoint`), appended as JSON lines outside the database.
KEEL_AUDIT_CHECKPOINT_FILE = env_path("KEEL_AUDIT_CHECKPOINT_FILE", DATA_DIR / "audit-checkpoints.jsonl")
# /healthz calls the worker alive when one beat within this many seconds (a worker beats every few seconds,
# and between two tasks; a long backup can hold it up, hence the margin).
KEEL_WORKER_STALE_SECONDS = env_int("KEEL_WORKER_STALE_SECONDS", 300, floor=30, ceiling=86_400)
# Each web worker loads and warms the app before it takes a request (keel.wsgi, keel.web.warmup); off: 0.
KEEL_WARM_WORKERS = env_bool("KEEL_WARM_WORKERS", True)
# A scheduled run still "running" this long after its attempt started, whose worker no longer beats, was lost
# with that worker (killed mid-job) and counts as a failed attempt (retried, then reported). A worker does not
# beat while it runs a job, so keep this above the longest backup. Floor: five minutes; ceiling: a day, so a
# lost daily run is retried before its next slot.
KEEL_JOB_LEASE_SECONDS = env_int("KEEL_JOB_LEASE_SECONDS", 3600, floor=300, ceiling=86_400)

# Reminders (keel/reminders): the address people reach Keel at, for the links in messages; the text-message
# adapter (a dotted path to a class with send(message); unset: text messages off) and the file the test
# adapter keel.reminders.channels.FileSms writes to. Email uses Django's mail settings (the first-day issue).
# KEEL_PUBLIC_URL: read below, beside KEEL_EMAIL_URL (the links in every message Keel sends).
# KEEL_SMS_BACKEND: `twilio` (keel.reminders.channels.TwilioSms, Twilio's Messages API), `file` (FileSms), or
# a dotted path to a class; unset: text messages off.
SMS_BACKENDS = {
    "twilio": "keel.reminders.channels.TwilioSms",
    "file": "keel.reminders.channels.FileSms",
}
KEEL_SMS_BACKEND = env_choice_or_path("KEEL_SMS_BACKEND", SMS_BACKENDS)
KEEL_SMS_FILE = env_path("KEEL_SMS_FILE", DATA_DIR / "sms.jsonl")
# Twilio (KEEL_SMS_BACKEND=twilio): the account, its auth token, the sending number (E.164) or messaging
# service, and the API's address (tests point it at a local server). Each is required with `twilio`.
KEEL_TWILIO_ACCOUNT_SID = env_str("KEEL_TWILIO_ACCOUNT_SID", "") or ""
KEEL_TWILIO_AUTH_TOKEN = env_str("KEEL_TWILIO_AUTH_TOKEN", "") or ""
KEEL_SMS_FROM = env_str("KEEL_SMS_FROM", "") or ""
KEEL_TWILIO_BASE_URL = (env_str("KEEL_TWILIO_BASE_URL", "") or "https://api.twilio.com").rstrip("/")
if SMS_BACKENDS["twilio"] == KEEL_SMS_BACKEND:
    _missing = [
        name
        for name, value in (
            ("KEEL_TWILIO_ACCOUNT_SID", KEEL_TWILIO_ACCOUNT_SID),
            ("KEEL_TWILIO_AUTH_TOKEN", KEEL_TWILIO_AUTH_TOKEN),
            ("KEEL_SMS_FROM", KEEL_SMS_FROM),
        )
        if not value
    ]
    if _missing:
        raise ConfigError(f"KEEL_SMS_BACKEND=twilio requires {', '.join(_missing)}")
    if PRODUCTION and not KEEL_TWILIO_BASE_URL.startswith("https://"):
        raise ConfigError("KEEL_TWILIO_BASE_URL must start with https:// when KEEL_PRODUCTION=1")
    if not KEEL_TWILIO_BASE_URL.startswith(("https://", "http://")):
        raise ConfigError("KEEL_TWILIO_BASE_URL must start with https://")
# How long a text-message provider may take, in seconds: to connect (1 to 30) and to answer (1 to 60). A
# timeout is a failed attempt, tried again like any other (KEEL_REMINDER_MAX_ATTEMPTS).
KEEL_SMS_CONNECT_TIMEOUT = env_int("KEEL_SMS_CONNECT_TIMEOUT", 5, floor=1, ceiling=30)
KEEL_SMS_READ_TIMEOUT = env_int("KEEL_SMS_READ_TIMEOUT", 15, floor=1, ceiling=60)
# Attempts at one reminder send (the first included) before it is marked failed and counted by /healthz;
# between attempts, the delays of keel.jobs.schedule (1 minute, then 10). Floor 1 (no retry); ceiling 6,
# so the last attempt (1 + 4 x 10 minutes) still falls inside the reminder's late window (2 hours).
KEEL_REMINDER_MAX_ATTEMPTS = env_int("KEEL_REMINDER_MAX_ATTEMPTS", 3, floor=1, ceiling=6)
# A reminder send still "sending" this long after its attempt was claimed was lost with its worker (stopped
# mid-send) and counts as a failed attempt, tried again like any other. An attempt takes at most the
# providers' timeouts (seconds); floor two minutes, ceiling 30 minutes, inside the late window (2 hours).
KEEL_REMINDER_SEND_LEASE_SECONDS = env_int("KEEL_REMINDER_SEND_LEASE_SECONDS", 600, floor=120, ceiling=1800)

# --- Internationalisation --------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("es", "Español")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = env_time_zone("KEEL_TIME_ZONE", "America/New_York")
USE_TZ = True

# --- Static files ----------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
if not PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise serves from finders in development
WHITENOISE_USE_FINDERS = not PRODUCTION
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# --- Logging: no patient data, ever. Request ids only. ---------------------------------------
# KEEL_LOG_FORMAT: `json` (one object per line; the default in production) or `plain`. KEEL_REQUEST_LOG=1 adds
# one `keel.request` line per request (method, path without query, route, status, duration).
_LOG_FORMAT = env_str("KEEL_LOG_FORMAT", "json" if PRODUCTION else "plain") or "plain"
if _LOG_FORMAT not in ("json", "plain"):
    raise ConfigError("KEEL_LOG_FORMAT must be json or plain")
KEEL_REQUEST_LOG = env_bool("KEEL_REQUEST_LOG", default=PRODUCTION)
# Django's and the server's loggers that write a path keep only its shape (review 20b: keel.web.logs).
LOGGING_CONFIG = "keel.web.logs.configure_logging"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "keel.web.middleware.RequestIdLogFilter"}},
    "formatters": {
        "plain": {
            "()": "keel.web.middleware.PhiSafeFormatter",  # tracebacks without exception messages
            "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s",
        },
        "json": {"()": "keel.web.logs.JsonFormatter"},  # one object per line (issue #19)
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": _LOG_FORMAT, "filters": ["request_id"]},
    },
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        # django.request logs the path (its shape only: configure_logging) and the exception; the formatter
        # leaves exception messages out (they could carry PHI); our own handler500 shows nothing.
        "django.request": {"level": "ERROR"},
        "axes": {"level": "WARNING"},
        "keel.request": {"level": "INFO" if KEEL_REQUEST_LOG else "WARNING"},
    },
}

if TESTING:
    # Argon2 is deliberately slow; tests use a fast hasher. Production uses the list above.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CSRF_FAILURE_VIEW = "keel.web.views.csrf_failure"

# Stateless scoring (POST /api/v1/instruments/{code}/score) is open to anonymous callers: rate-limited per IP.
KEEL_SCORE_RATE = env_rate("KEEL_SCORE_RATE", "120/m")
# Email (issue #18): invitations and patient activations. One setting, KEEL_EMAIL_URL
# (keel.env.parse_email_url); required in production; elsewhere messages are printed to standard output.
_email_url = env_str("KEEL_EMAIL_URL")
if _email_url is None and PRODUCTION:
    raise ConfigError(
        "KEEL_EMAIL_URL is required when KEEL_PRODUCTION=1 (e.g. smtp+tls://user:pass@host:587?from=keel@clinic.example)"
    )
globals().update(parse_email_url(_email_url or "console://", production=PRODUCTION))
# The address people reach Keel at, for the links in messages (reminders, invitations, activation codes).
# Production: required, an https:// address with a host that is not the loopback (keel.env.parse_public_url).
_public_url = env_str("KEEL_PUBLIC_URL")
if _public_url is None and PRODUCTION:
    raise ConfigError(
        "KEEL_PUBLIC_URL is required when KEEL_PRODUCTION=1: the https:// address staff and patients reach "
        "Keel at, written on every link Keel sends (e.g. https://keel.clinic.example)"
    )
KEEL_PUBLIC_URL = parse_public_url(_public_url or "http://127.0.0.1:8000", production=PRODUCTION)
if PRODUCTION:  # its host in ALLOWED_HOSTS, or every link Keel sends opens "Bad Request" (re-attack 38s)
    require_public_host_allowed(KEEL_PUBLIC_URL, ALLOWED_HOSTS)


# Who is a minor for a Part 2 consent (42 CFR 2.14 defers to state law): program policy with the bounds of
# keel.core.rules.policy.LIMITS[("consent", "age_of_majority")] (floor 18, ceiling 21; cfr-2-14-2024).
def _age_of_majority() -> int:
    from keel.core.sharing import AGE_OF_MAJORITY_DEFAULT, age_of_majority_limit

    limit = age_of_majority_limit()
    assert limit.floor is not None and limit.ceiling is not None
    return env_int(
        "KEEL_AGE_OF_MAJORITY", AGE_OF_MAJORITY_DEFAULT, floor=int(limit.floor), ceiling=int(limit.ceiling)
    )


KEEL_AGE_OF_MAJORITY = _age_of_majority()


# How far ahead of Keel's clock another system may stamp a FHIR QuestionnaireResponse's `authored` (its clock
# runs fast) and still have it filed, at Keel's time, with a note; beyond it: 422 `authored`. Seconds, with
# the floor, default and ceiling of keel.core.instruments.fhir_import.CLOCK_LEEWAY_LIMIT, which says why.
def _clock_leeway() -> int:
    from keel.core.instruments.fhir_import import CLOCK_LEEWAY_LIMIT

    floor, default, ceiling = CLOCK_LEEWAY_LIMIT
    return env_int("KEEL_FHIR_CLOCK_LEEWAY_SECONDS", default, floor=floor, ceiling=ceiling)


KEEL_FHIR_CLOCK_LEEWAY_SECONDS = _clock_leeway()
# How long an invitation link works, in hours (floor 1, ceiling 14 days).
KEEL_INVITATION_HOURS = env_int("KEEL_INVITATION_HOURS", 72, floor=1, ceiling=336)
# A password-reset link works once, for this many minutes (Django's token generator reads the seconds).
KEEL_PASSWORD_RESET_MINUTES = env_int("KEEL_PASSWORD_RESET_MINUTES", 60, floor=5, ceiling=1440)
PASSWORD_RESET_TIMEOUT = KEEL_PASSWORD_RESET_MINUTES * 60
# Reset requests per hour, counted in the shared cache (keel.ratelimit): per email address asked about,
# and per client address asking (a clinic behind one network address shares the second).
KEEL_PASSWORD_RESET_PER_ADDRESS = env_int("KEEL_PASSWORD_RESET_PER_ADDRESS", 3, floor=1, ceiling=20)
KEEL_PASSWORD_RESET_PER_CLIENT = env_int("KEEL_PASSWORD_RESET_PER_CLIENT", 30, floor=1, ceiling=1000)
# How long a staff member's second-factor set-up code works, in hours (lane acct35: shown once to whoever
# reset it, handed over in person or by phone). Default 24: a reset in the morning is handed over the same
# day, a night shift's the next morning. Floor 1: time to reach the person by phone. Ceiling 72: an
# invitation's default life (KEEL_INVITATION_HOURS), a weekend; a code living longer waits for a finder.
KEEL_MFA_SETUP_CODE_HOURS = env_int("KEEL_MFA_SETUP_CODE_HOURS", 24, floor=1, ceiling=72)
# How long a patient's activation code works, in days (floor 1, ceiling 30).
KEEL_ACTIVATION_DAYS = env_int("KEEL_ACTIVATION_DAYS", 14, floor=1, ceiling=30)
# How long a password reset code given at the desk works, in hours (session 38, review 37d): it takes over an
# existing account (her record, her consents), so it lives like the staff's set-up code, not like an
# activation code. Default 24: given in the morning, used that evening at home. Floor 1: time to get home
# or to a phone. Ceiling 72: a weekend (KEEL_MFA_SETUP_CODE_HOURS's bounds); an emailed reset lives 60 min.
KEEL_RESET_CODE_HOURS = env_int("KEEL_RESET_CODE_HOURS", 24, floor=1, ceiling=72)
# How many days after a death was recorded a program admin may still undo it as a mistake (the wrong person
# picked, a mis-click: `patients.services.deaths.undo_death`); after that only the operator corrects it. A
# setting of the deployment, not a program's policy value: Keel's program policy holds the values of its
# clinical rules, and this one is a safety limit on correcting the record (floor 1, ceiling 90). 30: a
# mistake is found at the next visit, call or bill missed, well within a month.
KEEL_DEATH_UNDO_DAYS = env_int("KEEL_DEATH_UNDO_DAYS", 30, floor=1, ceiling=90)
# Self-guided sign-ups per visitor (address), counted in the database so every process shares the count.
KEEL_SIGNUP_RATE = env_rate("KEEL_SIGNUP_RATE", "5/h")
