"""KEEL_AUDIT_KEYS and KEEL_CHECKPOINT_KEY: required in production, malformed values stop Keel at start
(exit 2, naming the variable), and development generates owner-only key files outside the database."""

from __future__ import annotations

import base64
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest


def _key(key_id: str) -> str:
    return f"{key_id}:" + base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def _keel(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "keel.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def _checkpoint_key(tmp_path: Path) -> str:
    from keel.audit.signing import generate

    generate(tmp_path / "checkpoint.pem")
    return str(tmp_path / "checkpoint.pem")


def _production(tmp_path: Path, audit_keys: str | None) -> dict[str, str]:
    env = dict(
        os.environ,
        KEEL_PRODUCTION="1",
        KEEL_DATA_DIR=str(tmp_path),
        KEEL_SECRET_KEY=secrets.token_urlsafe(60),
        KEEL_DATA_KEYS=_key("d1"),
        KEEL_ALLOWED_HOSTS="keel.example.org",
        KEEL_PUBLIC_URL="https://keel.example.org",
        KEEL_EMAIL_URL="smtp+tls://keel:secret@mail.example.org:587?from=keel@example.org",
        KEEL_CHECKPOINT_KEY=_checkpoint_key(tmp_path),
    )
    env.pop("KEEL_AUDIT_KEYS", None)
    if audit_keys is not None:
        env["KEEL_AUDIT_KEYS"] = audit_keys
    return env


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (None, "KEEL_AUDIT_KEYS is required"),
        ("k1:short", "must be base64 of 32 bytes"),
        ("no-colon", "each entry is id:base64-of-32-bytes"),
        ("bad id!:" + "A" * 44, "each entry is id:base64-of-32-bytes"),
        # fixed keys: a random value in a test id makes xdist's workers collect different tests
        ("k1:" + "A" * 43 + "=,k1:" + "B" * 43 + "=", "appears twice"),
    ],
    ids=["missing", "short", "no-colon", "bad-id", "twice"],
)
def test_production_requires_well_formed_audit_keys(tmp_path: Path, value: str | None, message: str) -> None:
    result = _keel(["check"], _production(tmp_path, value))
    assert result.returncode == 2
    assert message in result.stderr


def test_production_takes_a_rotated_key_list(tmp_path: Path) -> None:
    result = _keel(["check"], _production(tmp_path, f"{_key('2026-12')},{_key('2026-11')}"))
    assert result.returncode == 0, result.stderr


def test_production_without_a_checkpoint_key_stops_at_start_naming_it(tmp_path: Path) -> None:
    env = _production(tmp_path, _key("k1"))
    env.pop("KEEL_CHECKPOINT_KEY")
    result = _keel(["check"], env)
    assert result.returncode == 2
    assert "KEEL_CHECKPOINT_KEY is required" in result.stderr


def test_production_with_an_empty_checkpoint_key_stops_at_start_naming_it(tmp_path: Path) -> None:
    result = _keel(["check"], {**_production(tmp_path, _key("k1")), "KEEL_CHECKPOINT_KEY": ""})
    assert result.returncode == 2
    assert "KEEL_CHECKPOINT_KEY is required" in result.stderr


def test_production_with_a_checkpoint_key_that_is_not_a_key_stops_at_start(tmp_path: Path) -> None:
    (tmp_path / "not-a-key.pem").write_text("hello")
    env = {**_production(tmp_path, _key("k1")), "KEEL_CHECKPOINT_KEY": str(tmp_path / "not-a-key.pem")}
    result = _keel(["check"], env)
    assert result.returncode == 2
    assert "KEEL_CHECKPOINT_KEY" in result.stderr
    assert "hello" not in result.stderr


def test_production_never_generates_a_checkpoint_key(tmp_path: Path) -> None:
    env = _production(tmp_path, _key("k1"))
    env.pop("KEEL_CHECKPOINT_KEY")
    _keel(["check"], env)
    assert not (tmp_path / "checkpoint_key.pem").exists()


def test_development_generates_an_owner_only_key_file(tmp_path: Path) -> None:
    env = dict(os.environ, KEEL_DATA_DIR=str(tmp_path))
    env.pop("KEEL_AUDIT_KEYS", None)
    env.pop("KEEL_PRODUCTION", None)
    assert _keel(["check"], env).returncode == 0
    assert (tmp_path / "audit_keys").stat().st_mode & 0o077 == 0


def test_development_generates_an_owner_only_checkpoint_key(tmp_path: Path) -> None:
    env = dict(os.environ, KEEL_DATA_DIR=str(tmp_path))
    for name in ("KEEL_CHECKPOINT_KEY", "KEEL_PRODUCTION"):
        env.pop(name, None)
    assert _keel(["check"], env).returncode == 0
    assert (tmp_path / "checkpoint_key.pem").stat().st_mode & 0o077 == 0


def test_the_real_command_exits_2_on_a_missing_checkpoint_file(tmp_path: Path) -> None:
    env = dict(os.environ, KEEL_DATA_DIR=str(tmp_path))
    result = _keel(["audit", "verify", "--checkpoints", str(tmp_path / "nowhere.jsonl")], env)
    assert result.returncode == 2
    assert "nowhere.jsonl does not exist" in result.stderr


def test_the_real_command_exits_2_without_a_subcommand(tmp_path: Path) -> None:
    result = _keel(["audit"], dict(os.environ, KEEL_DATA_DIR=str(tmp_path)))
    assert result.returncode == 2
    assert "subcommand" in result.stderr
