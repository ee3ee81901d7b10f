"""Review 2 of #14: audit checkpoints signed with Ed25519 (SECURITY.md T15)."""

import json
import os
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command


def _rows() -> None:
    from keel.audit import services as audit
    from keel.audit.models import Action

    for i in range(3):
        audit.record(actor=None, action=Action.READ, target_type="review", target_id=str(i))


def _checkpoint(path: Path) -> dict[str, Any]:
    call_command("audit", "checkpoint", "--output", str(path))
    return json.loads(path.read_text().splitlines()[-1])


def _verify(path: Path, *extra: str) -> int:
    try:
        call_command("audit", "verify", "--checkpoints", str(path), *extra)
    except CommandError as error:
        return int(error.returncode)
    return 0


@pytest.mark.django_db
def test_checkpoint_key_file_readable_by_others_is_refused(tmp_path: Path) -> None:
    """Harm: a group/world-readable Ed25519 private key (e.g. deployed 0644) lets any local account forge
    checkpoints; Keel loads it without complaint (ssh refuses such keys)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from keel.audit import signing

    key = tmp_path / "checkpoint.pem"
    key.write_bytes(
        Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    os.chmod(key, 0o644)
    with pytest.raises(signing.CheckpointKeyError):
        signing.load_private(key)


# --- held ----------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_checkpoint_forged_with_chain_hmac_key_refused(tmp_path: Path) -> None:
    """Harm: the holder of KEEL_AUDIT_KEYS moving the head and writing a matching checkpoint."""
    from keel.audit import chain
    from keel.audit import services as audit

    _rows()
    log = tmp_path / "points.jsonl"
    head = _checkpoint(log)
    _key_id, key = audit.audit_keys()[0]
    forged = {k: head[k] for k in chain.CHECKPOINT_FIELDS}
    forged["rows"] = head["rows"] + 5
    forged["signature"] = chain.sign_checkpoint(forged, key)
    forged["alg"] = "ed25519"
    log.write_text(json.dumps(forged) + "\n")
    assert _verify(log) != 0


@pytest.mark.django_db
def test_checkpoint_from_attackers_own_key_refused(tmp_path: Path) -> None:
    """Harm: an attacker signing with a fresh Ed25519 key of their own."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from keel.audit import signing

    _rows()
    log = tmp_path / "points.jsonl"
    head = _checkpoint(log)
    mine = Ed25519PrivateKey.generate()
    head["key_id"] = signing.key_id(mine)
    head["signature"] = signing.sign(head, mine)
    log.write_text(json.dumps(head) + "\n")
    assert _verify(log) == 2


@pytest.mark.django_db
def test_swapped_public_key_refuses_installation_checkpoints(tmp_path: Path) -> None:
    """Harm: verifying against the wrong key and still reporting OK."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from keel.audit import signing

    _rows()
    log = tmp_path / "points.jsonl"
    _checkpoint(log)
    other = tmp_path / "other.pub"
    other.write_text(signing.public_pem(Ed25519PrivateKey.generate()))
    assert _verify(log, "--public-key", str(other)) == 2


@pytest.mark.parametrize("field,value", [("rows", 1), ("event_id", 1), ("at", "2020-01-01T00:00:00Z")])
@pytest.mark.django_db
def test_edited_checkpoint_field_detected(tmp_path: Path, field: str, value: Any) -> None:
    """Harm: a checkpoint edited to fit a cut chain."""
    _rows()
    log = tmp_path / "points.jsonl"
    head = _checkpoint(log)
    head[field] = value
    log.write_text(json.dumps(head) + "\n")
    assert _verify(log) == 1


@pytest.mark.django_db
def test_cut_tail_after_checkpoint_detected(tmp_path: Path) -> None:
    """Harm: the newest audit rows deleted."""
    from django.db import connection

    from keel.audit.models import AuditEvent

    _rows()
    log = tmp_path / "points.jsonl"
    head = _checkpoint(log)
    with connection.cursor() as c:
        if connection.vendor == "postgresql":  # as the owner, inside the test's transaction
            c.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER USER")
        else:
            c.execute("DROP TRIGGER IF EXISTS audit_auditevent_no_delete")
        c.execute("DELETE FROM audit_auditevent WHERE id = %s", [head["event_id"]])
    assert not AuditEvent.objects.filter(pk=head["event_id"]).exists()
    assert _verify(log) == 1


@pytest.mark.django_db
def test_checkpoint_key_generated_owner_only(tmp_path: Path) -> None:
    """Harm: a dev key created world-readable."""
    from keel.audit import signing

    path = tmp_path / "k.pem"
    signing.generate(path)
    assert path.stat().st_mode & 0o077 == 0
