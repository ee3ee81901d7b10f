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


def env_int(name: str, default: int, *, low: int, high: int) -> int:
    raw = env_str(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number; got {raw!r}") from None
    if not low <= value <= high:
        raise ConfigError(f"{name} must be from {low} to {high}; got {value}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = env_str(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_path(name: str, default: Path) -> Path:
    raw = env_str(name)
    return Path(raw).expanduser().resolve() if raw else default.resolve()


def parse_database_url(url: str) -> dict[str, object]:
    """Turn a sqlite:///path or postgresql://user:pass@host:port/name URL into a DATABASES entry."""
    from urllib.parse import unquote, urlsplit

    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        # sqlite:///relative/path or sqlite:////absolute/path (the dj-database-url convention)
        path = unquote(parts.path)[1:]
        if not path:
            raise ConfigError(
                "KEEL_DATABASE_URL: a sqlite URL needs a file path, e.g. sqlite:////srv/keel.sqlite3"
            )
        return {"ENGINE": "keel.db.sqlite3", "NAME": path}
    if parts.scheme in {"postgres", "postgresql"}:
        name = unquote(parts.path.lstrip("/"))
        if not name:
            raise ConfigError("KEEL_DATABASE_URL: a postgresql URL needs a database name")
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": name,
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(parts.port or ""),
        }
    raise ConfigError(f"KEEL_DATABASE_URL: unsupported scheme {parts.scheme!r} (use sqlite or postgresql)")


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
