"""Checkpoints are signed with an Ed25519 key apart from the chain's HMAC key (SECURITY.md T15): whoever holds
KEEL_AUDIT_KEYS (and can write the database) cannot forge one; the public key verifies them elsewhere; older
HMAC-signed lines are refused by name."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from pytest_django.fixtures import Settings as SettingsWrapper

from keel.audit import chain, signing
from keel.audit import services as audit

pytestmark = pytest.mark.django_db


def _seed(n: int) -> None:
    for i in range(n):
        audit.record(actor=None, action="read", target_type="thing", target_id=str(i))


def _log(tmp_path: Path) -> Path:
    path = tmp_path / "checkpoints.jsonl"
    call_command("audit", "checkpoint", "--output", str(path))
    return path


def _verify(*args: str) -> CommandError:
    with pytest.raises(CommandError) as error:
        call_command("audit", "verify", *args)
    return error.value


def test_a_checkpoint_forged_with_the_chain_key_is_refused(tmp_path: Path) -> None:
    _seed(2)
    path = _log(tmp_path)
    point = json.loads(path.read_text())
    _, chain_key = audit.audit_keys()[0]
    forged = dict(point, rows=99)
    forged["signature"] = chain.sign_checkpoint(forged, chain_key).ljust(128, "0")  # any key but the real one
    path.write_text(json.dumps(forged) + "\n")
    error = _verify("--checkpoints", str(path))
    assert error.returncode == 1
    assert "does not match its signature" in str(error)


def test_an_older_hmac_checkpoint_line_is_refused_by_name(tmp_path: Path) -> None:
    _seed(1)
    path = _log(tmp_path)
    point = json.loads(path.read_text())
    key_id, chain_key = audit.audit_keys()[0]
    legacy = {k: v for k, v in point.items() if k != "alg"} | {"key_id": key_id}
    legacy["signature"] = chain.sign_checkpoint(legacy, chain_key)
    path.write_text(json.dumps(legacy) + "\n")
    error = _verify("--checkpoints", str(path))
    assert error.returncode == 2
    assert "older checkpoint signed with the chain's own HMAC key" in str(error)


def test_a_checkpoint_signed_by_another_ed25519_key_is_refused(
    tmp_path: Path, settings: SettingsWrapper
) -> None:
    _seed(1)
    other = tmp_path / "other.pem"
    signing.generate(other)
    real = settings.KEEL_CHECKPOINT_KEY
    settings.KEEL_CHECKPOINT_KEY = str(other)
    path = _log(tmp_path)
    settings.KEEL_CHECKPOINT_KEY = real
    error = _verify("--checkpoints", str(path))
    assert error.returncode == 2
    assert "not the checkpoint key" in str(error)


def test_the_public_key_verifies_elsewhere(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _seed(2)
    path = _log(tmp_path)
    capsys.readouterr()
    call_command("audit", "checkpoint-key", "public")
    public = tmp_path / "public.pem"
    public.write_text(capsys.readouterr().out)
    assert "PRIVATE" not in public.read_text()
    call_command("audit", "verify", "--checkpoints", str(path), "--public-key", str(public))
    assert "1 checkpoint(s)" in capsys.readouterr().out


def test_a_public_key_file_that_is_not_one_is_exit_2(tmp_path: Path) -> None:
    _seed(1)
    path = _log(tmp_path)
    bad = tmp_path / "bad.pem"
    bad.write_text("not a key")
    error = _verify("--checkpoints", str(path), "--public-key", str(bad))
    assert error.returncode == 2
    assert "--public-key" in str(error)


def test_the_generated_key_is_owner_only(tmp_path: Path) -> None:
    key = tmp_path / "k.pem"
    signing.generate(key)
    assert key.stat().st_mode & 0o077 == 0
