"""Issue #21: one audit chain per program, so that audited writes of different programs never wait for each
other, with the tamper evidence of SECURITY.md T2b/T15 intact in every chain.

The attacker can run any SQL around the append-only trigger (as the owner could) and move any chain head; they
hold neither KEEL_AUDIT_KEYS nor the checkpoint log.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as conf
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from pytest_django.fixtures import Settings as SettingsWrapper

from keel.audit import chain, signing
from keel.audit import services as audit
from keel.audit.models import AuditChainHead, AuditEvent

pytestmark = pytest.mark.django_db

RIVERSIDE, LAKESIDE = 101, 202  # two programs' ids (the trail stores plain integers, not foreign keys)


@pytest.fixture(autouse=True)
def _empty_trail(settings: SettingsWrapper) -> None:
    """Each test starts from no rows and no chain heads, under key k1 only."""
    settings.KEEL_AUDIT_KEYS = chain.new_key_spec("k1")
    _tamper("DELETE FROM audit_auditevent", [])
    AuditChainHead.objects.all().delete()


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


def _event(program_id: int | None, n: int = 0) -> AuditEvent:
    return audit.record(actor=None, action="read", program_id=program_id, target_type="thing", target_id=n)


def _interleaved(rounds: int = 3) -> dict[int, list[AuditEvent]]:
    """Rows of Riverside, Lakeside and no program, written turn about."""
    written: dict[int, list[AuditEvent]] = {RIVERSIDE: [], LAKESIDE: [], 0: []}
    for n in range(rounds):
        for program in (RIVERSIDE, LAKESIDE, None):
            written[program or 0].append(_event(program, n))
    return written


def _checkpoint(tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    path = tmp_path / "checkpoints.jsonl"
    call_command("audit", "checkpoint", "--output", str(path))
    return path, json.loads(path.read_text().splitlines()[-1])


def _verify_exit(path: Path) -> int:
    try:
        call_command("audit", "verify", "--checkpoints", str(path))
    except CommandError as error:
        return int(error.returncode)
    return 0


# --- Each program has its own chain -------------------------------------------------------------------------


def test_each_event_is_in_its_programs_chain() -> None:
    written = _interleaved(1)
    assert [written[c][0].chain for c in (RIVERSIDE, LAKESIDE, 0)] == [RIVERSIDE, LAKESIDE, 0]


def test_each_row_links_to_the_row_before_it_in_its_own_chain() -> None:
    riverside = _interleaved()[RIVERSIDE]
    assert [e.prev_hash for e in riverside[1:]] == [e.hash for e in riverside[:-1]]


def test_a_programs_chain_starts_from_its_own_genesis() -> None:
    assert _interleaved(1)[LAKESIDE][0].prev_hash == chain.genesis(LAKESIDE)


def test_two_programs_do_not_share_a_genesis() -> None:
    assert chain.genesis(RIVERSIDE) != chain.genesis(LAKESIDE)


def test_events_of_no_program_continue_the_legacy_chain_from_its_genesis() -> None:
    assert _interleaved(1)[0][0].prev_hash == chain.GENESIS_HASH


def test_each_chain_has_its_own_head_row() -> None:
    written = _interleaved()
    heads = dict(AuditChainHead.objects.values_list("id", "last_event_id"))
    assert heads == {c: written[c][-1].pk for c in (RIVERSIDE, LAKESIDE, 0)}


def test_interleaved_chains_verify() -> None:
    _interleaved()
    report = audit.verify_chain()
    assert report.ok
    assert report.checked == 9


def test_the_report_names_every_chains_head() -> None:
    written = _interleaved()
    heads = audit.verify_chain().heads
    assert {name: head["event_id"] for name, head in heads.items()} == {
        str(c): written[c][-1].pk for c in (RIVERSIDE, LAKESIDE, 0)
    }


def test_the_chain_id_is_sealed_into_the_mac() -> None:
    event = _interleaved(1)[RIVERSIDE][0]
    moved = dict(audit._fields_of(event), chain=LAKESIDE)
    assert audit.compute_hash(moved, event.prev_hash) != event.hash


# --- Tampering in one chain is named with that chain --------------------------------------------------------


def test_a_changed_row_is_named_with_its_chain() -> None:
    target = _interleaved()[LAKESIDE][1]
    _tamper("UPDATE audit_auditevent SET reason = 'edited' WHERE id = %s", [target.pk])
    report = audit.verify_chain()
    assert (report.ok, report.first_broken_id, report.chain) == (False, target.pk, LAKESIDE)


def test_the_problem_names_the_program_of_the_broken_chain() -> None:
    target = _interleaved()[LAKESIDE][1]
    _tamper("UPDATE audit_auditevent SET reason = 'edited' WHERE id = %s", [target.pk])
    assert f"program {LAKESIDE}" in audit.verify_chain().problem


def test_a_deleted_row_in_one_chain_is_found_at_its_next_row_in_that_chain() -> None:
    riverside = _interleaved()[RIVERSIDE]
    _tamper("DELETE FROM audit_auditevent WHERE id = %s", [riverside[1].pk])
    report = audit.verify_chain()
    assert (report.first_broken_id, report.chain) == (riverside[2].pk, RIVERSIDE)


def test_a_deleted_first_row_of_a_chain_breaks_the_link_to_its_genesis() -> None:
    lakeside = _interleaved()[LAKESIDE]
    _tamper("DELETE FROM audit_auditevent WHERE id = %s", [lakeside[0].pk])
    assert audit.verify_chain().first_broken_id == lakeside[1].pk


def test_a_cut_tail_of_one_chain_is_found_through_its_head() -> None:
    lakeside = _interleaved()[LAKESIDE]
    _tamper("DELETE FROM audit_auditevent WHERE id = %s", [lakeside[-1].pk])
    report = audit.verify_chain()
    assert (report.first_broken_id, report.chain) == (lakeside[-1].pk, LAKESIDE)


def test_a_deleted_head_row_while_its_rows_exist_is_named() -> None:
    _interleaved()
    AuditChainHead.objects.filter(id=RIVERSIDE).delete()
    report = audit.verify_chain()
    assert (report.ok, report.chain) == (False, RIVERSIDE)
    assert "head is gone" in report.problem


def test_a_reset_head_of_one_chain_is_named() -> None:
    _interleaved()
    AuditChainHead.objects.filter(id=LAKESIDE).update(last_event_id=0)
    report = audit.verify_chain()
    assert (report.ok, report.chain) == (False, LAKESIDE)
    assert "reset" in report.problem


def test_a_head_naming_rows_of_a_deleted_chain_is_named() -> None:
    written = _interleaved()
    _tamper("DELETE FROM audit_auditevent WHERE chain = %s", [RIVERSIDE])
    report = audit.verify_chain()
    assert (report.first_broken_id, report.chain) == (written[RIVERSIDE][-1].pk, RIVERSIDE)


# --- An event cannot be moved from one chain into another --------------------------------------------------


def test_an_event_moved_into_another_programs_chain_is_caught() -> None:
    target = _interleaved()[RIVERSIDE][-1]
    _tamper("UPDATE audit_auditevent SET chain = %s WHERE id = %s", [LAKESIDE, target.pk])
    assert audit.verify_chain().first_broken_id == target.pk


def test_an_event_moved_into_the_chain_of_no_program_is_caught() -> None:
    target = _interleaved()[RIVERSIDE][-1]
    _tamper("UPDATE audit_auditevent SET chain = 0 WHERE id = %s", [target.pk])
    assert audit.verify_chain().first_broken_id == target.pk


def test_an_event_moved_with_its_program_id_is_caught() -> None:
    target = _interleaved()[RIVERSIDE][-1]
    _tamper(
        "UPDATE audit_auditevent SET chain = %s, program_id = %s WHERE id = %s",
        [LAKESIDE, LAKESIDE, target.pk],
    )
    assert audit.verify_chain().ok is False


def test_the_database_refuses_to_change_an_events_chain() -> None:
    target = _interleaved(1)[RIVERSIDE][0]
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET chain = %s WHERE id = %s", [LAKESIDE, target.pk])


# --- Checkpoints sign every chain's head ------------------------------------------------------------------


def test_a_checkpoint_records_every_chains_head(tmp_path: Path) -> None:
    written = _interleaved()
    _path, point = _checkpoint(tmp_path)
    assert {name: head["event_id"] for name, head in point["chains"].items()} == {
        str(c): written[c][-1].pk for c in (RIVERSIDE, LAKESIDE, 0)
    }


def test_a_checkpoint_verifies_after_more_rows_in_every_chain(tmp_path: Path) -> None:
    _interleaved()
    path, _point = _checkpoint(tmp_path)
    _interleaved()
    assert _verify_exit(path) == 0


def test_a_cut_tail_of_one_chain_with_its_head_moved_back_is_caught_by_the_checkpoint(tmp_path: Path) -> None:
    lakeside = _interleaved()[LAKESIDE]
    path, _point = _checkpoint(tmp_path)
    _tamper("DELETE FROM audit_auditevent WHERE id = %s", [lakeside[-1].pk])
    AuditChainHead.objects.filter(id=LAKESIDE).update(
        last_event_id=lakeside[-2].pk, last_hash=lakeside[-2].hash
    )
    assert audit.verify_chain().ok  # consistent without the checkpoint
    assert _verify_exit(path) == 1


def test_the_checkpoint_names_the_chain_whose_tail_was_cut(tmp_path: Path) -> None:
    lakeside = _interleaved()[LAKESIDE]
    _path, point = _checkpoint(tmp_path)
    _tamper("DELETE FROM audit_auditevent WHERE id = %s", [lakeside[-1].pk])
    AuditChainHead.objects.filter(id=LAKESIDE).update(
        last_event_id=lakeside[-2].pk, last_hash=lakeside[-2].hash
    )
    report = audit.verify_checkpoints([(1, point)])
    assert report.chain == LAKESIDE
    assert "tail was cut" in report.problem


def test_a_whole_chain_deleted_with_its_head_is_caught_by_the_checkpoint(tmp_path: Path) -> None:
    _interleaved()
    _path, point = _checkpoint(tmp_path)
    _tamper("DELETE FROM audit_auditevent WHERE chain = %s", [RIVERSIDE])
    AuditChainHead.objects.filter(id=RIVERSIDE).delete()
    assert audit.verify_chain().ok  # the other chains are whole
    report = audit.verify_checkpoints([(1, point)])
    assert (report.ok, report.chain) == (False, RIVERSIDE)
    assert "chain was deleted" in report.problem


def test_a_checkpoint_stripped_of_its_chains_does_not_match_its_signature(tmp_path: Path) -> None:
    _interleaved()
    path, point = _checkpoint(tmp_path)
    del point["chains"]
    path.write_text(json.dumps(point) + "\n")
    assert _verify_exit(path) == 1


def test_a_checkpoint_with_one_chain_edited_does_not_match_its_signature(tmp_path: Path) -> None:
    _interleaved()
    path, point = _checkpoint(tmp_path)
    point["chains"][str(LAKESIDE)]["rows"] -= 1
    path.write_text(json.dumps(point) + "\n")
    assert _verify_exit(path) == 1


def test_a_malformed_chains_entry_is_bad_input(tmp_path: Path) -> None:
    _interleaved(1)
    path, point = _checkpoint(tmp_path)
    point["chains"][str(LAKESIDE)] = {"event_id": "x"}
    path.write_text(json.dumps(point) + "\n")
    assert _verify_exit(path) == 2


def test_a_checkpoint_from_before_per_program_chains_still_verifies(tmp_path: Path) -> None:
    events = [_event(None, n) for n in range(3)]
    older = {
        "event_id": events[-1].pk,
        "hash": events[-1].hash,
        "rows": 3,
        "at": "2026-12-01T18:00:00Z",
        "alg": signing.ALG,
    }
    key = signing.load_private(conf.KEEL_CHECKPOINT_KEY)
    older["key_id"] = signing.key_id(key)
    older["signature"] = signing.sign(older, key)
    _interleaved()
    assert audit.verify_checkpoints([(1, older)]).ok


# --- Concurrency: one program's writers do not wait for another's ----------------------------------------


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has one writer by design")
@pytest.mark.django_db(transaction=True)
def test_a_write_of_another_program_completes_while_one_programs_head_is_locked() -> None:
    import threading

    from django.db import connections

    held, release = threading.Event(), threading.Event()
    outcome: dict[str, Any] = {}

    def holder() -> None:
        try:
            with transaction.atomic():
                _event(RIVERSIDE)  # Riverside's head stays locked until this commits
                held.set()
                release.wait(30)
        finally:
            connections.close_all()

    def writer(name: str, program: int) -> None:
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '2s'")
                outcome[name] = _event(program).pk
        except DatabaseError as error:
            outcome[name] = error.__class__.__name__
        finally:
            connections.close_all()

    _event(RIVERSIDE)  # both heads exist before the race
    _event(LAKESIDE)
    thread = threading.Thread(target=holder)
    thread.start()
    assert held.wait(30)
    try:
        for name, program in (("lakeside", LAKESIDE), ("riverside", RIVERSIDE)):
            other = threading.Thread(target=writer, args=(name, program))
            other.start()
            other.join(30)
    finally:
        release.set()
        thread.join(30)
    assert isinstance(outcome["lakeside"], int)  # not blocked by Riverside's lock
    assert outcome["riverside"] == "OperationalError"  # Riverside's own writers do wait (the lock is real)
    assert audit.verify_chain().ok


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has one writer by design")
@pytest.mark.django_db(transaction=True)
def test_writers_racing_to_begin_a_programs_chain_all_land_in_one_chain() -> None:
    import threading

    from django.db import connections

    start = threading.Barrier(6)
    written: list[Any] = []

    def writer() -> None:
        try:
            start.wait(30)
            with transaction.atomic():
                written.append(_event(LAKESIDE).pk)
        except DatabaseError as error:
            written.append(error.__class__.__name__)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert all(isinstance(pk, int) for pk in written)
    assert len(written) == 6
    assert AuditChainHead.objects.filter(id=LAKESIDE).count() == 1
    assert audit.verify_chain().ok
