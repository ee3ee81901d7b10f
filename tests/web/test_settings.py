"""Settings: typed env helpers fail fast; production settings pass `check --deploy`."""

from __future__ import annotations

import base64
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from keel.env import ConfigError, env_bool, parse_database_url


def test_argon2_is_the_first_production_hasher() -> None:
    from django.conf import settings

    assert settings.PRODUCTION_PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


@pytest.mark.parametrize(
    ("url", "engine", "name"),
    [
        ("sqlite:////srv/keel/db.sqlite3", "keel.db.sqlite3", "/srv/keel/db.sqlite3"),
        ("sqlite:///var/db.sqlite3", "keel.db.sqlite3", "var/db.sqlite3"),
        ("postgresql://postgres@127.0.0.1:5432/test", "django.db.backends.postgresql", "test"),
    ],
)
def test_database_urls_parse(url: str, engine: str, name: str) -> None:
    parsed = parse_database_url(url)
    assert parsed["ENGINE"] == engine
    assert parsed["NAME"] == name


@pytest.mark.parametrize("url", ["mysql://x/y", "postgresql://host:5432/", "sqlite://"])
def test_bad_database_urls_fail_fast(url: str) -> None:
    with pytest.raises(ConfigError, match="KEEL_DATABASE_URL"):
        parse_database_url(url)


def test_a_malformed_boolean_names_its_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEEL_DEBUG", "maybe")
    with pytest.raises(ConfigError, match="KEEL_DEBUG"):
        env_bool("KEEL_DEBUG", default=False)


def _keel(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    keel = Path(sys.executable).parent / "keel"
    return subprocess.run(
        [str(keel), *args], env=env, capture_output=True, text=True, check=False, timeout=120
    )


def _checkpoint_key(tmp_path: Path) -> str:
    from keel.audit.signing import generate

    generate(tmp_path / "checkpoint.pem")
    return str(tmp_path / "checkpoint.pem")


def test_production_requires_a_secret_key(tmp_path: Path) -> None:
    env = dict(os.environ, KEEL_PRODUCTION="1", KEEL_DATA_DIR=str(tmp_path))
    env.pop("KEEL_SECRET_KEY", None)
    result = _keel(["check"], env)
    assert result.returncode == 2
    assert "KEEL_SECRET_KEY is required" in result.stderr


@pytest.mark.parametrize(
    ("value", "message"), [(None, "KEEL_DATA_KEYS is required"), ("k1:short", "base64-of-32-bytes")]
)
def test_production_requires_well_formed_data_keys(tmp_path: Path, value: str | None, message: str) -> None:
    env = dict(
        os.environ,
        KEEL_PRODUCTION="1",
        KEEL_DATA_DIR=str(tmp_path),
        KEEL_SECRET_KEY=secrets.token_urlsafe(60),
    )
    env.pop("KEEL_DATA_KEYS", None)
    if value:
        env["KEEL_DATA_KEYS"] = value
    result = _keel(["check"], env)
    assert result.returncode == 2
    assert message in result.stderr


def test_production_settings_pass_the_deploy_check(tmp_path: Path) -> None:
    env = dict(
        os.environ,
        KEEL_PRODUCTION="1",
        KEEL_DATA_DIR=str(tmp_path),
        KEEL_SECRET_KEY=secrets.token_urlsafe(60),
        KEEL_ALLOWED_HOSTS="keel.example.org",
        KEEL_PUBLIC_URL="https://keel.example.org",
        KEEL_DATA_KEYS="2026-11:" + base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        KEEL_AUDIT_KEYS="2026-12:" + base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        KEEL_EMAIL_URL="smtp+tls://keel:secret@mail.example.org:587?from=keel@example.org",
        KEEL_CHECKPOINT_KEY=_checkpoint_key(tmp_path),
    )
    env.pop("KEEL_TESTING", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set by the browser tests in this process
    result = _keel(["check", "--deploy", "--fail-level", "WARNING"], env)
    assert result.returncode == 0, result.stdout + result.stderr


def test_sqlite_writers_take_the_lock_up_front_and_wait_instead_of_failing() -> None:
    from django.conf import settings
    from django.db import connection

    options = settings.DATABASES["default"].get("OPTIONS", {})
    if connection.vendor != "sqlite":
        pytest.skip("SQLite-only options")
    assert options["transaction_mode"] == "IMMEDIATE"
    assert options["timeout"] >= 5
    assert "journal_mode=WAL" in options["init_command"]
    assert "synchronous=FULL" in options["init_command"]


def test_production_requires_an_email_url(tmp_path: Path) -> None:
    env = dict(
        os.environ,
        KEEL_PRODUCTION="1",
        KEEL_DATA_DIR=str(tmp_path),
        KEEL_SECRET_KEY=secrets.token_urlsafe(60),
        KEEL_DATA_KEYS="2026-11:" + base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        KEEL_AUDIT_KEYS="2026-12:" + base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        KEEL_CHECKPOINT_KEY=_checkpoint_key(tmp_path),
    )
    env.pop("KEEL_EMAIL_URL", None)
    result = _keel(["check"], env)
    assert result.returncode == 2
    assert "KEEL_EMAIL_URL is required" in result.stderr


# --- KEEL_DATABASE_URL through dj-database-url (issue #19) -------------------------------------------


def test_postgresql_options_are_kept() -> None:
    parsed = parse_database_url(
        "postgresql://keel:s%40cret@db.example:5433/keel?sslmode=require&connect_timeout=5"
    )
    assert parsed["OPTIONS"] == {"sslmode": "require", "connect_timeout": "5"}
    assert parsed["PASSWORD"] == "s@cret"
    assert parsed["PORT"] == "5433"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("postgresql://h/keel?sslmode=sometimes", "sslmode must be one of"),
        ("postgresql://h/keel?sslmod=require", "unknown option sslmod"),
        ("postgresql://h/keel?sslmode=require&sslmode=disable", "sslmode is given more than once"),
        ("sqlite:////srv/keel.sqlite3?timeout=5", "a sqlite URL takes no options"),
        ("sqlite://:memory:", "needs a file path"),
        ("postgresql://h:port/keel", "not a valid URL"),
        ("redis://h/0", "unsupported scheme 'redis'"),
        ("keel.sqlite3", "unsupported scheme ''"),
    ],
)
def test_bad_database_urls_are_refused_clearly(url: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_database_url(url)


def test_a_bad_database_url_stops_keel_naming_the_variable(tmp_path: Path) -> None:
    env = dict(os.environ, KEEL_DATA_DIR=str(tmp_path), KEEL_DATABASE_URL="postgresql://h/k?sslmode=maybe")
    result = _keel(["check"], env)
    assert result.returncode == 2
    assert "KEEL_DATABASE_URL: sslmode must be one of" in result.stderr


@pytest.mark.django_db
def test_a_url_option_takes_effect_on_the_connection(tmp_path: Path) -> None:
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("a libpq option needs PostgreSQL")
    db = connection.settings_dict
    url = f"postgresql://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}?application_name=keel_url_check"
    code = (
        "import django; django.setup()\n"
        "from django.db import connection\n"
        "with connection.cursor() as c:\n"
        "    c.execute(\"SELECT current_setting('application_name')\"); print(c.fetchone()[0])\n"
    )
    env = dict(
        os.environ, KEEL_DATA_DIR=str(tmp_path), KEEL_DATABASE_URL=url, DJANGO_SETTINGS_MODULE="keel.settings"
    )
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "keel_url_check"
