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
