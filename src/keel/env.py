"""Typed readers for KEEL_* environment variables. Each fails fast with the variable's name."""

from __future__ import annotations

import ipaddress
import os
import re
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class ConfigError(Exception):
    """A KEEL_* environment variable is missing or malformed."""


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigError(f"{name} must be one of 1/0, true/false, yes/no, on/off; got {raw!r}")


def env_str(name: str, default: str | None = None) -> str | None:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return raw.strip()


def env_list(name: str, default: list[str]) -> list[str]:
    raw = env_str(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_int(name: str, default: int, *, floor: int, ceiling: int) -> int:
    """A whole number between `floor` and `ceiling` (both allowed); anything else names the variable."""
    raw = env_str(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number; got {raw!r}") from None
    if not floor <= value <= ceiling:
        raise ConfigError(f"{name} must be between {floor} and {ceiling}; got {value}")
    return value


def env_path(name: str, default: Path) -> Path:
    raw = env_str(name)
    return Path(raw).expanduser().resolve() if raw else default.resolve()


# libpq's connection parameters that a KEEL_DATABASE_URL may carry (?sslmode=require&connect_timeout=5 ...),
# passed to psycopg as they are; any other name is refused rather than dropped or failing at first connect.
PG_URL_OPTIONS = frozenset(
    {
        "application_name",
        "channel_binding",
        "connect_timeout",
        "gssencmode",
        "keepalives",
        "keepalives_count",
        "keepalives_idle",
        "keepalives_interval",
        "options",
        "passfile",
        "sslcert",
        "sslcrl",
        "sslkey",
        "sslmode",
        "sslrootcert",
        "target_session_attrs",
        "tcp_user_timeout",
    }
)
SSLMODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")


def parse_database_url(url: str) -> dict[str, object]:
    """Turn a sqlite:///path or postgresql://user:pass@host:port/name?option=value URL into a DATABASES
    entry, through dj-database-url. libpq options (sslmode, connect_timeout ...) are kept; an unknown scheme,
    a missing name, an unknown or repeated option and a bad sslmode are refused with the variable named."""
    import dj_database_url

    scheme = url.split(":", 1)[0].lower() if ":" in url else ""
    if scheme not in {"sqlite", "postgres", "postgresql"}:
        raise ConfigError(f"KEEL_DATABASE_URL: unsupported scheme {scheme!r} (use sqlite or postgresql)")
    try:
        parsed = dj_database_url.parse(url)
    except ValueError:
        raise ConfigError(
            "KEEL_DATABASE_URL is not a valid URL (percent-encode special characters in the password)"
        ) from None
    options: dict[str, object] = dict(parsed.get("OPTIONS") or {})
    name = str(parsed.get("NAME") or "")
    if scheme == "sqlite":
        # sqlite:///relative/path or sqlite:////absolute/path (the dj-database-url convention)
        if not name or name == ":memory:":
            raise ConfigError(
                "KEEL_DATABASE_URL: a sqlite URL needs a file path, e.g. sqlite:////srv/keel.sqlite3"
            )
        if options:
            raise ConfigError(
                f"KEEL_DATABASE_URL: a sqlite URL takes no options (got {', '.join(sorted(options))}); "
                "Keel sets SQLite's own"
            )
        return {"ENGINE": "keel.db.sqlite3", "NAME": name}
    if not name:
        raise ConfigError("KEEL_DATABASE_URL: a postgresql URL needs a database name")
    unknown = sorted(set(options) - PG_URL_OPTIONS)
    if unknown:
        raise ConfigError(
            f"KEEL_DATABASE_URL: unknown option {', '.join(unknown)} "
            f"(known: {', '.join(sorted(PG_URL_OPTIONS))})"
        )
    for key, value in options.items():
        if isinstance(value, list):
            raise ConfigError(f"KEEL_DATABASE_URL: option {key} is given more than once")
        options[key] = str(value) if not isinstance(value, bool) else ("1" if value else "0")
    if "sslmode" in options and options["sslmode"] not in SSLMODES:
        raise ConfigError(f"KEEL_DATABASE_URL: sslmode must be one of {', '.join(SSLMODES)}")
    entry: dict[str, object] = {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": name,
        "USER": parsed.get("USER") or "",
        "PASSWORD": parsed.get("PASSWORD") or "",
        "HOST": parsed.get("HOST") or "",
        "PORT": str(parsed.get("PORT") or ""),
    }
    if options:
        entry["OPTIONS"] = options
    return entry


def parse_email_url(url: str) -> dict[str, object]:
    """Turn KEEL_EMAIL_URL into Django's email settings (issue #18).

    smtp://user:pass@host:587?from=keel@clinic.example  plain SMTP (add tls=1 for STARTTLS)
    smtp+tls://...                                       STARTTLS
    smtps://...                                          SMTP over TLS (implicit, usually port 465)
    console://?from=...                                  print messages to standard output (development only)
    """
    from urllib.parse import parse_qs, unquote

    parts = urlsplit(url)
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    sender = query.get("from", "")
    if sender and ("@" not in sender or any(c in sender for c in "\r\n")):
        raise ConfigError("KEEL_EMAIL_URL: from= must be one email address")
    common: dict[str, object] = {"DEFAULT_FROM_EMAIL": sender or "keel@localhost", "EMAIL_TIMEOUT": 20}
    if parts.scheme == "console":
        return {**common, "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    if parts.scheme not in {"smtp", "smtp+tls", "smtps"}:
        raise ConfigError(
            f"KEEL_EMAIL_URL: unsupported scheme {parts.scheme!r} (use smtp, smtp+tls, smtps or console)"
        )
    if not parts.hostname:
        raise ConfigError("KEEL_EMAIL_URL: an smtp URL needs a host, e.g. smtp://mail.example.org:587")
    try:
        port = parts.port
    except ValueError:
        raise ConfigError("KEEL_EMAIL_URL: the port must be a number from 1 to 65535") from None
    tls = parts.scheme == "smtp+tls" or query.get("tls", "").lower() in _TRUE
    ssl = parts.scheme == "smtps"
    return {
        **common,
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": parts.hostname,
        "EMAIL_PORT": port or (465 if ssl else 587 if tls else 25),
        "EMAIL_HOST_USER": unquote(parts.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
        "EMAIL_USE_TLS": tls,
        "EMAIL_USE_SSL": ssl,
    }


_LOOPBACK_NAMES = ("localhost", "localhost.localdomain")


def _is_loopback(host: str) -> bool:
    name = host.strip("[]").lower().rstrip(".")
    if name in _LOOPBACK_NAMES or name.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def parse_public_url(url: str, *, production: bool) -> str:
    """KEEL_PUBLIC_URL, the address every link Keel sends is written on, without its trailing slash. In
    production: an https:// origin (a host, an optional port; no user, path, query or fragment) whose host is
    not this machine's loopback, since staff and patients open the links from their own devices (review 38g
    hole 1). Elsewhere: any http:// or https:// address."""
    if not production:
        if not url.startswith(("https://", "http://")):
            raise ConfigError("KEEL_PUBLIC_URL must start with https:// (or http:// in development)")
        return url.rstrip("/")
    example = "e.g. https://keel.clinic.example"
    parts = urlsplit(url)
    try:
        _ = parts.port  # a port that is not a number raises here
    except ValueError:
        raise ConfigError(f"KEEL_PUBLIC_URL: the port must be a number ({example}:8443)") from None
    if parts.scheme != "https" or not parts.hostname:
        raise ConfigError(
            f"KEEL_PUBLIC_URL must be an https:// address with a host when KEEL_PRODUCTION=1 ({example})"
        )
    if parts.path not in ("", "/") or parts.query or parts.fragment or "@" in parts.netloc:
        raise ConfigError(
            f"KEEL_PUBLIC_URL must be the site's address alone, no user, path or query ({example})"
        )
    if _is_loopback(parts.hostname):
        raise ConfigError(
            f"KEEL_PUBLIC_URL names this machine ({parts.hostname}); in production it is the address "
            f"staff and patients reach Keel at ({example})"
        )
    return f"https://{parts.netloc}"


RATE_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(name: str, raw: str) -> tuple[int, int]:
    """A rate setting ("5/h": 5 per hour) as (count, seconds), refused naming `name`: read at start by
    settings and on the request path by what counts it (review 38g holes 3 and 5)."""
    match = re.fullmatch(r"\s*(\d+)\s*/\s*([smhd])\s*", raw)
    if not match or int(match[1]) < 1:
        raise ConfigError(f"{name} must be a count per s, m, h or d, such as 5/h; got {raw!r}")
    return int(match[1]), RATE_PERIODS[match[2]]


def env_rate(name: str, default: str) -> str:
    """A rate setting ("N/s", "N/m", "N/h" or "N/d"), checked by `parse_rate` at start."""
    raw = env_str(name, default) or default
    parse_rate(name, raw)
    return raw


def env_time_zone(name: str, default: str) -> str:
    """An IANA time zone name (America/Chicago), checked against the zone database at start."""
    raw = env_str(name, default) or default
    try:
        ZoneInfo(raw)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{name} must be a time zone name such as America/Chicago; got {raw!r}") from None
    return raw


_DOTTED_PATH = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+")


def choices_words(name: str, choices: dict[str, str]) -> str:
    """The sentence that lists a choice setting's values (and says a dotted path to a class is one)."""
    return f"{name} must be one of {', '.join(choices)}, or a dotted path to a class"


def env_choice_or_path(name: str, choices: dict[str, str]) -> str:
    """A named choice (its dotted path returned) or a dotted path to a class; unset: "". A misspelt choice
    ("Twilio", "twillio") is refused listing the choices (review 38g hole 4); whether a path imports is
    checked once Django's apps are loaded (keel.reminders.apps)."""
    raw = env_str(name, "") or ""
    if not raw or raw in choices:
        return choices.get(raw, raw)
    if not _DOTTED_PATH.fullmatch(raw):
        raise ConfigError(f"{choices_words(name, choices)}; got {raw!r}")
    return raw
