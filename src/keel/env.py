"""Typed readers for KEEL_* environment variables. Each fails fast with the variable's name."""

from __future__ import annotations

import ipaddress
import os
import re
import socket
from pathlib import Path
from urllib.parse import SplitResult, urlsplit
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


EMAIL_URL_OPTIONS = frozenset({"from", "tls"})


def _email_options(parts: SplitResult) -> dict[str, str]:
    """KEEL_EMAIL_URL's ?options, each named at most once and known (console:// takes from= only)."""
    from urllib.parse import parse_qsl

    known = EMAIL_URL_OPTIONS if parts.scheme != "console" else frozenset({"from"})
    options: dict[str, str] = {}
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key not in known:
            raise ConfigError(f"KEEL_EMAIL_URL: unknown option {key} (known: {', '.join(sorted(known))})")
        if key in options:
            raise ConfigError(f"KEEL_EMAIL_URL: option {key} is given more than once")
        options[key] = value
    return options


def _email_tls(scheme: str, raw: str | None) -> bool:
    """STARTTLS: smtp+tls://, or smtp:// with tls= a boolean (smtps:// is TLS from the first byte)."""
    if raw is None:
        return scheme == "smtp+tls"
    value = raw.strip().lower()
    if value not in _TRUE | _FALSE - {""}:
        raise ConfigError(f"KEEL_EMAIL_URL: tls= must be one of 1/0, true/false, yes/no, on/off; got {raw!r}")
    tls = value in _TRUE
    if (scheme == "smtps" and tls) or (scheme == "smtp+tls" and not tls):
        raise ConfigError(f"KEEL_EMAIL_URL: tls={raw} contradicts {scheme}:// (leave tls= out)")
    return tls


# A sender with a display name: `Riverside Clinic <keel@clinic.example>` (no quotes, commas or brackets in
# the name: one address, written as mail servers read it)
_NAMED_SENDER = re.compile(r"([^<>\",@]*)<([^<>]+)>")


def email_sender(raw: str, *, production: bool) -> str:
    """KEEL_EMAIL_URL's from=: one address Django's `validate_email` takes, a display name allowed. Required
    in production, at a domain other than the loopback's (lane zones39: mail from `keel@localhost` or
    Django's `webmaster@localhost` is refused or filed as spam, so no invitation or password reset
    arrives); elsewhere left out it is `keel@localhost`."""
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    example = "e.g. ?from=keel@clinic.example"
    if not raw.strip():
        if production:
            raise ConfigError(
                f"KEEL_EMAIL_URL: in production from= is required, the address mail is sent from "
                f"({example}); without it mail goes out from a localhost address that mail servers refuse"
            )
        return "keel@localhost"
    named = _NAMED_SENDER.fullmatch(raw.strip())
    address = named[2].strip() if named else raw.strip()
    try:
        validate_email(address)
    except ValidationError:
        raise ConfigError(f"KEEL_EMAIL_URL: from= must be one email address ({example})") from None
    domain = address.rpartition("@")[2].lower().rstrip(".")
    if production and (domain == "localhost" or domain.endswith(".localhost")):
        raise ConfigError(
            f"KEEL_EMAIL_URL: in production from= is an address mail servers accept ({example})"
        )
    return f"{named[1].strip()} <{address}>" if named and named[1].strip() else address


def parse_email_url(url: str, *, production: bool = False) -> dict[str, object]:
    """Turn KEEL_EMAIL_URL into Django's email settings (issue #18).

    smtp://user:pass@host:587?from=keel@clinic.example  plain SMTP (add tls=1 for STARTTLS)
    smtp+tls://...                                       STARTTLS
    smtps://...                                          SMTP over TLS (implicit, usually port 465)
    console://?from=...                                  print messages to standard output (development only)

    An unknown or repeated option and a tls= that is not a boolean are refused (re-attack 38s finding 2); in
    production a password goes over plain SMTP only when the URL says tls=0 outright.
    """
    from urllib.parse import unquote

    parts = urlsplit(url)
    if parts.scheme not in {"smtp", "smtp+tls", "smtps", "console"}:
        raise ConfigError(
            f"KEEL_EMAIL_URL: unsupported scheme {parts.scheme!r} (use smtp, smtp+tls, smtps or console)"
        )
    query = _email_options(parts)
    sender = email_sender(query.get("from", ""), production=production)
    common: dict[str, object] = {"DEFAULT_FROM_EMAIL": sender, "EMAIL_TIMEOUT": 20}
    if parts.scheme == "console":
        return {**common, "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    if not parts.hostname:
        raise ConfigError("KEEL_EMAIL_URL: an smtp URL needs a host, e.g. smtp://mail.example.org:587")
    try:
        port = parts.port
    except ValueError:
        raise ConfigError("KEEL_EMAIL_URL: the port must be a number from 1 to 65535") from None
    tls = _email_tls(parts.scheme, query.get("tls"))
    ssl = parts.scheme == "smtps"
    if production and parts.password and not (tls or ssl) and "tls" not in query:
        raise ConfigError(
            "KEEL_EMAIL_URL: in production the mail password goes over TLS: use smtp+tls:// or smtps://, "
            "or add tls=0 to send it in the clear on purpose"
        )
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
_DNS_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")
# WHATWG URL: a host whose last label is a number (decimal, or 0x hex) is an IPv4 address to a browser, read
# as inet_aton reads it (127.1, 2130706433, 0x7f.1, 0177.0.0.1 all open 127.0.0.1).
_NUMERIC_LABEL = re.compile(r"[0-9]+|0x[0-9a-f]*")

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def _address_as_browsers_read(name: str) -> Address | None:
    """The IP address a browser opens for host `name` (lowercase, no brackets, no trailing dot), an
    IPv4-mapped IPv6 address as its IPv4; None for a DNS name; ValueError for a number no browser reads."""
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        if not _NUMERIC_LABEL.fullmatch(name.rsplit(".", 1)[-1]):
            return None
        try:
            return ipaddress.IPv4Address(socket.inet_aton(name))
        except OSError:
            raise ValueError(name) from None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def _idna(name: str) -> str:
    """A host name in the form browsers send it (IDNA/punycode, as Django's own `punycode`)."""
    try:
        return name.encode("idna").decode("ascii")
    except UnicodeError:
        return ""  # empty or over-long label: not a name


def _public_host_problem(hostname: str) -> str | None:
    """Why a production KEEL_PUBLIC_URL's host is not one staff and patients reach Keel at, or None."""
    name = hostname.lower().rstrip(".")
    try:
        address = _address_as_browsers_read(name)
    except ValueError:
        return f"its host {hostname!r} is not a host name or an IP address"
    if name in _LOOPBACK_NAMES or name.endswith(".localhost"):
        address = ipaddress.IPv4Address("127.0.0.1")
    if address is not None and (address.is_loopback or address.is_unspecified):
        return (
            f"names this machine ({hostname}); in production it is the address staff and patients reach "
            "Keel at"
        )
    if isinstance(address, ipaddress.IPv4Address) and ":" not in name and name != str(address):
        return f"write its IPv4 address as four numbers ({address}, not {hostname})"
    ascii_name = _idna(name)
    if address is None and not (
        len(ascii_name) <= 253 and all(_DNS_LABEL.fullmatch(label) for label in ascii_name.split("."))
    ):
        return f"its host {hostname!r} is not a host name or an IP address"
    return None


def parse_public_url(url: str, *, production: bool) -> str:
    """KEEL_PUBLIC_URL, the address every link Keel sends is written on, without its trailing slash. In
    production: an https:// origin (a host, an optional port 1-65535; no user, path, query or fragment) whose
    host is a DNS name or an IP address and not this machine's loopback however written, since staff and
    patients open the links from their own devices (review 38g hole 1, re-attack 38s findings 3 and 4).
    Elsewhere: any http:// or https:// address."""
    if not production:
        if not url.startswith(("https://", "http://")):
            raise ConfigError("KEEL_PUBLIC_URL must start with https:// (or http:// in development)")
        return url.rstrip("/")
    example = "e.g. https://keel.clinic.example"
    try:
        parts = urlsplit(url)
        port = parts.port  # a port that is not a number, or over 65535, raises here
    except ValueError:
        raise ConfigError(
            f"KEEL_PUBLIC_URL: the port must be a number from 1 to 65535 ({example}:8443)"
        ) from None
    if port == 0:
        raise ConfigError(f"KEEL_PUBLIC_URL: the port must be a number from 1 to 65535 ({example}:8443)")
    if parts.scheme != "https" or not parts.hostname:
        raise ConfigError(
            f"KEEL_PUBLIC_URL must be an https:// address with a host when KEEL_PRODUCTION=1 ({example})"
        )
    if parts.path not in ("", "/") or parts.query or parts.fragment or "@" in parts.netloc:
        raise ConfigError(
            f"KEEL_PUBLIC_URL must be the site's address alone, no user, path or query ({example})"
        )
    problem = _public_host_problem(parts.hostname)
    if problem:
        raise ConfigError(f"KEEL_PUBLIC_URL: {problem} ({example})")
    return f"https://{parts.netloc}"


def require_public_host_allowed(public_url: str, allowed_hosts: list[str]) -> None:
    """Production: Django answers 400 to a request whose Host ALLOWED_HOSTS does not allow, so a
    KEEL_PUBLIC_URL whose host it does not allow would open "Bad Request" from every link Keel sends
    (re-attack 38s finding 1).
    Compared as Django compares a request's host: the IDNA form a browser sends, through Django's own
    split_domain_port and validate_host (".clinic.example", "*")."""
    from django.http.request import split_domain_port, validate_host

    parts = urlsplit(public_url)
    host = _idna(parts.hostname or "")
    if ":" in host:
        host = f"[{host}]"
    domain, _ = split_domain_port(host)
    if not domain or not validate_host(domain, allowed_hosts):
        raise ConfigError(
            f"KEEL_ALLOWED_HOSTS does not allow KEEL_PUBLIC_URL's host ({host}): every request to it would "
            f"be refused with 400 Bad Request; add it to KEEL_ALLOWED_HOSTS (e.g. KEEL_ALLOWED_HOSTS={host})"
        )


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
