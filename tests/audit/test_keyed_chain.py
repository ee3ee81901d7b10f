"""SECURITY.md T15: the audit trail survives someone who can write to the database but holds no audit key.

The attacker here can run any SQL (around the append-only trigger, as the table's owner could), recompute any
unkeyed hash and move the chain head; they cannot read KEEL_AUDIT_KEYS (outside the database and its backups)
nor the checkpoint log (outside the database).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from pytest_django.fixtures import Settings as SettingsWrapper

from keel.audit import chain, signing
from keel.audit import services as audit
from keel.audit.models import AuditChainHead, AuditEvent

pytestmark = pytest.mark.django_db

ATTACKER_KEY = b"\x01" * 32


@pytest.fixture(autouse=True)
def _known_keys(settings: SettingsWrapper) -> None:
    """Each test starts from an empty chain and key k1 only (the test database may hold other rows)."""
    settings.KEEL_AUDIT_KEYS = chain.new_key_spec("k1")
    _tamper("DELETE FROM audit_auditevent", [])
    AuditChainHead.objects.update_or_create(
        id=0, defaults={"last_event_id": 0, "last_hash": chain.GENESIS_HASH}
    )


def _seed(n: int = 6) -> list[AuditEvent]:
    return [audit.record(actor=None, action="read", target_type="thing", target_id=i) for i in range(n)]


def _tamper(sql: str, params: list[Any]) -> None:
    """Raw SQL around the append-only trigger, as someone with the owner's database access could."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER USER")
            cursor.execute(sql, params)
            cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER USER")
        else:
            cursor.execute("DROP TRIGGER IF EXISTS audit_auditevent_no_update")
            cursor.execute(sql, params)
            cursor.execute(
                "CREATE TRIGGER audit_auditevent_no_update BEFORE UPDATE ON audit_auditevent "
                "BEGIN SELECT RAISE(ABORT, 'audit_auditevent is append-only'); END;"
            )


def _rewrite_and_rechain(target: AuditEvent, *, reason: str, key_id: str, hasher: Any) -> None:
    """Change one row, then recompute every hash from it to the end and move the head: a whole, consistent
    chain under whatever the attacker can compute."""
    events = list(AuditEvent.objects.order_by("id"))
    prev = chain.GENESIS_HASH
    for event in events:
        if event.pk < target.pk:
            prev = event.hash
            continue
        fields = audit._fields_of(event)
        if event.pk == target.pk:
            fields["reason"] = reason
        digest = hasher(fields, prev)
        _tamper(
            "UPDATE audit_auditevent SET reason = %s, prev_hash = %s, hash = %s, key_id = %s WHERE id = %s",
            [fields["reason"], prev, digest, key_id, event.pk],
        )
        prev = digest
    AuditChainHead.objects.filter(id=0).update(last_event_id=events[-1].pk, last_hash=prev)


def _checkpoint_file(tmp_path: Path) -> Path:
    path = tmp_path / "checkpoints.jsonl"
    call_command("audit", "checkpoint", "--output", str(path))
    return path


def _verify(*args: str) -> CommandError:
    with pytest.raises(CommandError) as error:
        call_command("audit", "verify", *args)
    return error.value


# --- The keyed chain --------------------------------------------------------------------------------------


def test_every_new_row_names_the_sealing_key() -> None:
    assert {event.key_id for event in _seed(3)} == {"k1"}


def test_a_row_hash_is_an_hmac_under_the_key() -> None:
    event = _seed(1)[0]
    key = dict(chain.parse_keys(settings.KEEL_AUDIT_KEYS))["k1"]
    assert event.hash == chain.seal(audit._fields_of(event), event.prev_hash, "k1", key)


def test_a_row_rewritten_with_every_unkeyed_hash_recomputed_is_named() -> None:
    events = _seed()
    _rewrite_and_rechain(events[2], reason="nothing to see", key_id="", hasher=chain.legacy_hash)
    report = audit.verify_chain()
    assert report.first_broken_id == events[2].pk


def test_an_unkeyed_rewrite_is_called_unsealed() -> None:
    events = _seed()
    _rewrite_and_rechain(events[2], reason="nothing to see", key_id="", hasher=chain.legacy_hash)
    assert "not sealed with a key" in audit.verify_chain().problem


def test_a_row_rewritten_and_rechained_under_a_guessed_key_with_the_real_key_id_is_named() -> None:
    events = _seed()

    def forge(fields: dict[str, Any], prev: str) -> str:
        return chain.seal(fields, prev, "k1", ATTACKER_KEY)

    _rewrite_and_rechain(events[3], reason="forged", key_id="k1", hasher=forge)
    report = audit.verify_chain()
    assert (report.ok, report.first_broken_id) == (False, events[3].pk)
    assert "changed" in report.problem


def test_the_verify_command_names_the_rechained_row(capsys: pytest.CaptureFixture[str]) -> None:
    events = _seed()
    _rewrite_and_rechain(events[1], reason="forged", key_id="", hasher=chain.legacy_hash)
    error = _verify()
    assert error.returncode == 1
    assert f"row {events[1].pk}" in str(error)


def test_a_head_reset_while_rows_exist_is_named() -> None:
    events = _seed(3)
    AuditChainHead.objects.filter(id=0).update(last_event_id=0, last_hash=chain.GENESIS_HASH)
    report = audit.verify_chain()
    assert report.first_broken_id == events[-1].pk
    assert "head was reset" in report.problem


def test_rows_appended_while_the_check_runs_are_checked_past_the_head() -> None:
    events = _seed(3)
    # the head as a verifier that started before the last append read it
    AuditChainHead.objects.filter(id=0).update(last_event_id=events[1].pk, last_hash=events[1].hash)
    report = audit.verify_chain()
    assert (report.ok, report.checked, report.head_id, report.head_rows) == (True, 3, events[1].pk, 2)


def test_a_row_appended_past_the_head_without_the_key_is_named() -> None:
    events = _seed(3)
    AuditChainHead.objects.filter(id=0).update(last_event_id=events[1].pk, last_hash=events[1].hash)
    _rewrite_and_rechain(events[2], reason="forged", key_id="", hasher=chain.legacy_hash)
    AuditChainHead.objects.filter(id=0).update(last_event_id=events[1].pk, last_hash=events[1].hash)
    assert audit.verify_chain().first_broken_id == events[2].pk


def test_a_checkpoint_names_the_head_it_read(capsys: pytest.CaptureFixture[str]) -> None:
    events = _seed(3)
    AuditChainHead.objects.filter(id=0).update(last_event_id=events[1].pk, last_hash=events[1].hash)
    call_command("audit", "checkpoint")
    head = json.loads(capsys.readouterr().out)
    assert (head["event_id"], head["hash"], head["rows"]) == (events[1].pk, events[1].hash, 2)


def test_a_field_added_later_leaves_older_rows_verifying(monkeypatch: pytest.MonkeyPatch) -> None:
    _seed(3)
    monkeypatch.setattr(chain, "LATER_FIELDS", ("emergency_grant_id",))
    assert audit.verify_chain().ok


def test_a_field_added_later_is_sealed_when_it_holds_a_value(monkeypatch: pytest.MonkeyPatch) -> None:
    event = _seed(1)[0]
    fields = audit._fields_of(event)
    monkeypatch.setattr(chain, "LATER_FIELDS", ("emergency_grant_id",))
    key = dict(audit.audit_keys())["k1"]
    assert chain.seal(dict(fields, emergency_grant_id=7), event.prev_hash, "k1", key) != event.hash


# --- Rotation -----------------------------------------------------------------------------------------------


@pytest.fixture
def rotated(settings: SettingsWrapper) -> Iterator[tuple[list[AuditEvent], list[AuditEvent]]]:
    old = _seed(3)
    old_spec = settings.KEEL_AUDIT_KEYS
    settings.KEEL_AUDIT_KEYS = f"{chain.new_key_spec('k2')},{old_spec}"
    yield old, _seed(2)


def test_after_rotation_new_rows_use_the_newest_key(
    rotated: tuple[list[AuditEvent], list[AuditEvent]],
) -> None:
    assert {event.key_id for event in rotated[1]} == {"k2"}


def test_after_rotation_old_rows_keep_their_key(rotated: tuple[list[AuditEvent], list[AuditEvent]]) -> None:
    assert {event.key_id for event in AuditEvent.objects.filter(pk__in=[e.pk for e in rotated[0]])} == {"k1"}


def test_after_rotation_the_whole_chain_verifies(rotated: tuple[list[AuditEvent], list[AuditEvent]]) -> None:
    report = audit.verify_chain()
    assert report.ok
    assert report.checked == 5


def test_dropping_a_key_still_in_use_names_its_first_row(
    rotated: tuple[list[AuditEvent], list[AuditEvent]], settings: SettingsWrapper
) -> None:
    settings.KEEL_AUDIT_KEYS = settings.KEEL_AUDIT_KEYS.split(",")[0]
    report = audit.verify_chain()
    assert report.first_broken_id == rotated[0][0].pk
    assert "'k1'" in report.problem


def test_a_retired_key_cannot_append_after_the_new_one(
    rotated: tuple[list[AuditEvent], list[AuditEvent]], settings: SettingsWrapper
) -> None:
    new_spec, old_spec = settings.KEEL_AUDIT_KEYS.split(",")
    settings.KEEL_AUDIT_KEYS = f"{old_spec},{new_spec}"  # whoever holds only the retired key
    late = audit.record(actor=None, action="read", target_type="thing", target_id="late")
    settings.KEEL_AUDIT_KEYS = f"{new_spec},{old_spec}"
    report = audit.verify_chain()
    assert report.first_broken_id == late.pk
    assert "older key" in report.problem


# --- Checkpoints outside the database -----------------------------------------------------------------------


def test_a_checkpoint_is_the_signed_head(capsys: pytest.CaptureFixture[str]) -> None:
    events = _seed(3)
    call_command("audit", "checkpoint")
    head = json.loads(capsys.readouterr().out)
    assert (head["event_id"], head["hash"], head["rows"], head["key_id"]) == (
        events[-1].pk,
        events[-1].hash,
        3,
        signing.key_id(signing.load_private(settings.KEEL_CHECKPOINT_KEY)),
    )  # signed with the checkpoint key (Ed25519) since p14, no longer the chain's "k1"


def test_a_checkpoint_signature_verifies_with_the_key(capsys: pytest.CaptureFixture[str]) -> None:
    _seed(2)
    call_command("audit", "checkpoint")
    head = json.loads(capsys.readouterr().out)
    public = signing.load_private(settings.KEEL_CHECKPOINT_KEY).public_key()
    assert signing.signature_ok(head, public)  # the checkpoint key, never the chain's HMAC key (p14)


def test_checkpoints_append_to_the_log(tmp_path: Path) -> None:
    _seed(2)
    path = _checkpoint_file(tmp_path)
    _seed(1)
    call_command("audit", "checkpoint", "--output", str(path))
    assert len(path.read_text().splitlines()) == 2


def test_the_checkpoint_log_is_owner_only(tmp_path: Path) -> None:
    _seed(1)
    assert _checkpoint_file(tmp_path).stat().st_mode & 0o077 == 0


def test_no_checkpoint_of_a_broken_chain(tmp_path: Path) -> None:
    events = _seed()
    _tamper("UPDATE audit_auditevent SET reason = 'x' WHERE id = %s", [events[0].pk])
    with pytest.raises(CommandError) as error:
        call_command("audit", "checkpoint", "--output", str(tmp_path / "c.jsonl"))
    assert error.value.returncode == 1
    assert not (tmp_path / "c.jsonl").exists()


def test_an_untouched_chain_verifies_against_its_checkpoints(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _seed(3)
    path = _checkpoint_file(tmp_path)
    _seed(2)
    call_command("audit", "checkpoint", "--output", str(path))
    capsys.readouterr()
    call_command("audit", "verify", "--checkpoints", str(path))
    assert "OK: 5 rows verified and 2 checkpoint(s)" in capsys.readouterr().out


def test_a_cut_tail_with_the_head_moved_is_named(tmp_path: Path) -> None:
    events = _seed()
    path = _checkpoint_file(tmp_path)
    _tamper("DELETE FROM audit_auditevent WHERE id >= %s", [events[4].pk])
    AuditChainHead.objects.filter(id=0).update(last_event_id=events[3].pk, last_hash=events[3].hash)
    assert audit.verify_chain().ok  # the chain alone cannot see it
    error = _verify("--checkpoints", str(path))
    assert error.returncode == 1
    assert f"row {events[-1].pk}" in str(error)
    assert "tail was cut" in str(error)


def test_an_emptied_table_with_the_head_reset_is_named(tmp_path: Path) -> None:
    _seed()
    path = _checkpoint_file(tmp_path)
    _tamper("DELETE FROM audit_auditevent", [])
    AuditChainHead.objects.filter(id=0).update(last_event_id=0, last_hash=chain.GENESIS_HASH)
    assert audit.verify_chain().ok  # the chain alone cannot see it
    error = _verify("--checkpoints", str(path))
    assert error.returncode == 1
    assert "table was emptied" in str(error)


def test_a_truncated_table_is_named(tmp_path: Path) -> None:
    _seed()
    path = _checkpoint_file(tmp_path)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE audit_auditevent")
    else:
        _tamper("DELETE FROM audit_auditevent", [])
    AuditChainHead.objects.filter(id=0).update(last_event_id=0, last_hash=chain.GENESIS_HASH)
    assert "table was emptied" in str(_verify("--checkpoints", str(path)))


def test_a_rewritten_and_rechained_row_is_named_against_the_checkpoint(tmp_path: Path) -> None:
    events = _seed()
    path = _checkpoint_file(tmp_path)
    _rewrite_and_rechain(events[2], reason="forged", key_id="", hasher=chain.legacy_hash)
    error = _verify("--checkpoints", str(path))
    assert error.returncode == 1
    assert f"row {events[2].pk}" in str(error)


def test_an_edited_checkpoint_is_named(tmp_path: Path) -> None:
    events = _seed()
    path = _checkpoint_file(tmp_path)
    head = json.loads(path.read_text())
    _tamper("DELETE FROM audit_auditevent WHERE id = %s", [events[-1].pk])
    AuditChainHead.objects.filter(id=0).update(last_event_id=events[-2].pk, last_hash=events[-2].hash)
    head.update(event_id=events[-2].pk, hash=events[-2].hash, rows=5)  # the log, moved back without the key
    path.write_text(json.dumps(head) + "\n")
    error = _verify("--checkpoints", str(path))
    assert error.returncode == 1
    assert "does not match its signature" in str(error)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "does not exist"),
        ("", "holds no checkpoint"),
        ("not json\n", "line 1 is not JSON"),
        ("[1, 2]\n", "line 1 is not a JSON object"),
        ('{"event_id": "7"}\n', "line 1 has no valid 'event_id'"),
        (b"\xff\xfe\n", "cannot be read"),
    ],
)
def test_a_bad_checkpoint_file_is_exit_2(tmp_path: Path, content: str | bytes | None, message: str) -> None:
    _seed(1)
    path = tmp_path / "checkpoints.jsonl"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    error = _verify("--checkpoints", str(path))
    assert error.returncode == 2
    assert message in str(error)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("at", "\x1b[2J2026-12-01T18:00:00Z", "no valid 'at'"),
        ("at", "yesterday", "no valid 'at'"),
        ("hash", "ZZ" * 32, "no valid 'hash'"),
        ("signature", "abc", "no valid 'signature'"),
        ("key_id", "bad id!", "no valid 'key_id'"),
        ("event_id", True, "no valid 'event_id'"),
        ("rows", -1, "a negative 'event_id' or 'rows'"),
    ],
)
def test_a_checkpoint_with_a_malformed_field_is_exit_2(
    tmp_path: Path, field: str, value: object, message: str
) -> None:
    _seed(1)
    path = _checkpoint_file(tmp_path)
    path.write_text(json.dumps(dict(json.loads(path.read_text()), **{field: value})) + "\n")
    error = _verify("--checkpoints", str(path))
    assert error.returncode == 2
    assert f"line 1 has {message}" in str(error)


def test_a_checkpoint_under_an_unknown_key_is_exit_2(tmp_path: Path, settings: SettingsWrapper) -> None:
    _seed(1)
    path = _checkpoint_file(tmp_path)
    settings.KEEL_AUDIT_KEYS = f"{chain.new_key_spec('k9')},{settings.KEEL_AUDIT_KEYS}"
    head = json.loads(path.read_text())
    path.write_text(json.dumps(dict(head, key_id="k7")) + "\n")
    error = _verify("--checkpoints", str(path))
    assert error.returncode == 2
    assert "'k7'" in str(error)


def test_a_bad_key_id_for_a_new_key_is_exit_2() -> None:
    with pytest.raises(CommandError) as error:
        call_command("audit", "key", "new", "bad id!")
    assert error.value.returncode == 2


def test_a_new_key_is_a_valid_entry(capsys: pytest.CaptureFixture[str]) -> None:
    call_command("audit", "key", "new", "2026-12")
    assert chain.parse_keys(capsys.readouterr().out.strip())[0][0] == "2026-12"


# --- Rows written before the keyed chain (migration 0003 re-seals them) ---------------------------------


def _legacy_rows(n: int, *, broken_at: int | None = None) -> list[int]:
    """Rows as the unkeyed chain wrote them (SHA-256, no key id)."""
    ids = []
    prev = chain.GENESIS_HASH
    for i in range(n):
        event = audit.record(actor=None, action="read", target_type="thing", target_id=f"old{i}")
        fields = audit._fields_of(event)
        digest = chain.legacy_hash(fields, prev)
        if broken_at == i:
            fields["reason"] = "edited before the upgrade"
        _tamper(
            "UPDATE audit_auditevent SET prev_hash = %s, hash = %s, key_id = '', reason = %s WHERE id = %s",
            [prev, digest, fields["reason"], event.pk],
        )
        prev = digest
        ids.append(event.pk)
    AuditChainHead.objects.filter(id=0).update(last_event_id=ids[-1], last_hash=prev)
    return ids


def test_unkeyed_rows_do_not_verify() -> None:
    ids = _legacy_rows(3)
    report = audit.verify_chain()
    assert report.first_broken_id == ids[0]
    assert "not sealed with a key" in report.problem


def test_resealed_unkeyed_rows_verify() -> None:
    _legacy_rows(3)
    assert audit.reseal_unkeyed(AuditEvent, AuditChainHead, connection) == 3
    assert audit.verify_chain().ok


def test_resealing_is_itself_in_the_trail() -> None:
    _legacy_rows(3)
    audit.reseal_unkeyed(AuditEvent, AuditChainHead, connection)
    last = AuditEvent.objects.latest("id")
    assert (last.target_type, last.outcome) == ("audit_chain", "success")


def test_resealing_does_not_launder_earlier_tampering() -> None:
    ids = _legacy_rows(4, broken_at=2)
    audit.reseal_unkeyed(AuditEvent, AuditChainHead, connection)
    last = AuditEvent.objects.latest("id")
    assert last.outcome == "failure"
    assert f"already broken at row {ids[2]}" in last.reason


def test_resealing_keeps_the_rows_append_only() -> None:
    from django.db import DatabaseError, transaction

    ids = _legacy_rows(2)
    audit.reseal_unkeyed(AuditEvent, AuditChainHead, connection)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET reason = 'x' WHERE id = %s", [ids[0]])
