"""Typed readers for KEEL_* environment variables. Each fails fast with the variable's name."""

from __future__ import annotations

import os
from pathlib import Path


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
    from urllib.parse import parse_qs, unquote, urlsplit

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
