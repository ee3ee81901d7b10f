"""Issue #21, session 33: a program's audit chain in stripes (`KEEL_AUDIT_STRIPES`), so that one program's
writers queue on N chain heads, not one, with the tamper evidence of SECURITY.md T2b/T15 intact in every
stripe: its own genesis, its id sealed in each row, its own head row, every head in the signed checkpoints.

A row is striped only when its head is locked as the last step of its transaction (a row recorded outside
any transaction, or in an outermost `deferred()` block): these tests commit for real (`transaction=True`).
The attacker can run any SQL around the append-only trigger and move any chain head; they hold neither
KEEL_AUDIT_KEYS nor the checkpoint log.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction
from pytest_django.fixtures import Settings as SettingsWrapper

from keel.audit import chain
from keel.audit import services as audit
from keel.audit.models import AuditChainHead, AuditEvent
from tests.audit.test_chain_per_program import _tamper, _verify_exit

pytestmark = pytest.mark.django_db(transaction=True)

RIVERSIDE = 101  # a program's id (the trail stores plain integers, not foreign keys)
STRIPES = 4


@pytest.fixture(autouse=True)
def _striped_trail(settings: SettingsWrapper) -> None:
    """Each test starts from no rows and no chain heads, under key k1, with Riverside's chain in 4 stripes."""
    settings.KEEL_AUDIT_KEYS = chain.new_key_spec("k1")
    settings.KEEL_AUDIT_STRIPES = STRIPES
    _tamper("DELETE FROM audit_auditevent", [])
    AuditChainHead.objects.all().delete()


def _about(patient_id: int | None, n: int = 0, actor_id: int | None = None) -> AuditEvent:
    """An event of Riverside about `patient_id`, committed by itself (no caller's transaction)."""
    return audit.record(
        actor=None,
        action="read",
        program_id=RIVERSIDE,
        patient_id=patient_id,
        actor_id=actor_id,
        target_type="thing",
        target_id=n,
    )


def _people(rounds: int = 3) -> dict[int, list[AuditEvent]]:
    """Rows about patients 1 to 4 (one per stripe), written turn about."""
    written: dict[int, list[AuditEvent]] = {patient: [] for patient in range(1, STRIPES + 1)}
    for n in range(rounds):
        for patient in written:
            written[patient].append(_about(patient, n))
    return written


def _checkpoint(tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    path = tmp_path / "checkpoints.jsonl"
    call_command("audit", "checkpoint", "--output", str(path))
    return path, json.loads(path.read_text().splitlines()[-1])


# --- The stripe an event goes to ------------------------------------------------------------------------


def test_stripe_0_is_the_programs_own_chain() -> None:
    assert chain.chain_of(RIVERSIDE, 8, STRIPES) == RIVERSIDE


def test_another_stripe_is_a_negative_id_naming_program_and_stripe() -> None:
    assert chain.chain_of(RIVERSIDE, 3, STRIPES) == -(RIVERSIDE * chain.STRIPE_SPACE + 3)


def test_a_stripes_id_gives_back_its_program_and_stripe() -> None:
    assert chain.program_and_stripe(chain.chain_of(RIVERSIDE, 7, STRIPES)) == (RIVERSIDE, 3)


def test_an_event_about_no_one_goes_to_stripe_0() -> None:
    assert chain.chain_of(RIVERSIDE, None, STRIPES) == RIVERSIDE


def test_one_stripe_is_the_programs_chain_for_everyone() -> None:
    assert {chain.chain_of(RIVERSIDE, subject, 1) for subject in range(1, 10)} == {RIVERSIDE}


def test_events_of_no_program_are_striped_apart_from_every_program() -> None:
    assert chain.program_and_stripe(chain.chain_of(None, 2, STRIPES)) == (0, 2)


def test_heads_are_locked_programs_own_chains_first_then_stripes() -> None:
    ids = [chain.chain_of(RIVERSIDE, 2, STRIPES), 202, chain.chain_of(RIVERSIDE, 1, STRIPES), RIVERSIDE]
    assert sorted(ids, key=chain.lock_order) == [RIVERSIDE, 202, ids[2], ids[0]]


def test_a_persons_events_all_land_in_one_stripe() -> None:
    events = [_about(6, n) for n in range(3)]
    assert {event.chain for event in events} == {chain.chain_of(RIVERSIDE, 6, STRIPES)}


def test_an_event_about_no_patient_is_striped_by_its_actor() -> None:
    assert _about(None, actor_id=7).chain == chain.chain_of(RIVERSIDE, 7, STRIPES)


def test_an_event_about_no_one_by_no_one_stays_in_stripe_0() -> None:
    assert _about(None).chain == RIVERSIDE


def test_an_event_in_the_middle_of_a_callers_transaction_stays_in_stripe_0() -> None:
    with transaction.atomic():
        event = _about(3)
    assert event.chain == RIVERSIDE


def test_an_outermost_deferred_blocks_events_are_striped() -> None:
    with audit.deferred():
        event = _about(3)
    assert event.chain == chain.chain_of(RIVERSIDE, 3, STRIPES)


def test_a_deferred_block_inside_a_callers_transaction_stays_in_stripe_0() -> None:
    with transaction.atomic(), audit.deferred():
        event = _about(3)
    assert event.chain == RIVERSIDE


# --- Each stripe is a chain of its own -----------------------------------------------------------------


def test_a_stripe_starts_from_its_own_genesis() -> None:
    event = _about(2)
    assert event.prev_hash == chain.genesis(event.chain)


def test_two_stripes_do_not_share_a_genesis() -> None:
    assert chain.genesis(chain.chain_of(RIVERSIDE, 1, STRIPES)) != chain.genesis(
        chain.chain_of(RIVERSIDE, 2, STRIPES)
    )


def test_each_row_links_to_the_row_before_it_in_its_own_stripe() -> None:
    first, second = _people()[2][:2]
    assert second.prev_hash == first.hash


def test_each_stripe_has_its_own_head_row() -> None:
    written = _people()
    heads = dict(AuditChainHead.objects.values_list("id", "last_event_id"))
    assert heads == {rows[-1].chain: rows[-1].pk for rows in written.values()}


def test_interleaved_stripes_verify() -> None:
    _people()
    assert audit.verify_chain().ok


def test_the_report_names_every_stripes_head() -> None:
    written = _people()
    assert set(audit.verify_chain().heads) == {str(rows[-1].chain) for rows in written.values()}


def test_a_stripe_is_named_with_its_program_in_the_report() -> None:
    assert (
        audit.chain_name(chain.chain_of(RIVERSIDE, 3, STRIPES))
        == f"stripe 3 of the chain of program {RIVERSIDE}"
    )


# --- Tampering within and between stripes -------------------------------------------------------------------


def test_a_row_moved_into_another_stripe_is_caught() -> None:
    written = _people()
    target = written[1][-1]
    _tamper("UPDATE audit_auditevent SET chain = %s WHERE id = %s", [written[2][0].chain, target.pk])
    assert audit.verify_chain().first_broken_id == target.pk


def test_a_row_moved_into_stripe_0_is_caught() -> None:
    target = _people()[1][-1]
    _tamper("UPDATE audit_auditevent SET chain = %s WHERE id = %s", [RIVERSIDE, target.pk])
    assert audit.verify_chain().first_broken_id == target.pk


def test_a_cut_tail_of_one_stripe_is_found_through_its_head() -> None:
    stripe = _people()[3]
    _tamper("DELETE FROM audit_auditevent WHERE id = %s", [stripe[-1].pk])
    report = audit.verify_chain()
    assert (report.first_broken_id, report.chain) == (stripe[-1].pk, stripe[-1].chain)


def test_the_broken_stripe_is_named_in_the_problem() -> None:
    stripe = _people()[3]
    _tamper("DELETE FROM audit_auditevent WHERE id = %s", [stripe[-1].pk])
    assert f"stripe 3 of the chain of program {RIVERSIDE}" in audit.verify_chain().problem


def test_a_deleted_head_row_of_one_stripe_is_named() -> None:
    stripe = _people()[1]
    AuditChainHead.objects.filter(id=stripe[0].chain).delete()
    report = audit.verify_chain()
    assert (report.ok, report.chain) == (False, stripe[0].chain)


# --- Checkpoints sign every stripe's head -------------------------------------------------------------------


def test_a_checkpoint_records_every_stripes_head(tmp_path: Path) -> None:
    written = _people()
    _path, point = _checkpoint(tmp_path)
    assert {name: head["event_id"] for name, head in point["chains"].items()} == {
        str(rows[-1].chain): rows[-1].pk for rows in written.values()
    }


def test_a_checkpoint_with_stripes_verifies_after_more_rows(tmp_path: Path) -> None:
    _people()
    path, _point = _checkpoint(tmp_path)
    _people()
    assert _verify_exit(path) == 0


def test_a_cut_tail_of_one_stripe_with_its_head_moved_back_is_caught_by_the_checkpoint(
    tmp_path: Path,
) -> None:
    stripe = _people()[2]
    path, _point = _checkpoint(tmp_path)
    _tamper("DELETE FROM audit_auditevent WHERE id = %s", [stripe[-1].pk])
    AuditChainHead.objects.filter(id=stripe[-1].chain).update(
        last_event_id=stripe[-2].pk, last_hash=stripe[-2].hash
    )
    assert audit.verify_chain().ok  # consistent without the checkpoint
    assert _verify_exit(path) == 1


def test_the_checkpoint_names_the_stripe_whose_tail_was_cut(tmp_path: Path) -> None:
    stripe = _people()[2]
    _path, point = _checkpoint(tmp_path)
    _tamper("DELETE FROM audit_auditevent WHERE id = %s", [stripe[-1].pk])
    AuditChainHead.objects.filter(id=stripe[-1].chain).update(
        last_event_id=stripe[-2].pk, last_hash=stripe[-2].hash
    )
    assert audit.verify_checkpoints([(1, point)]).chain == stripe[-1].chain


def test_a_whole_stripe_deleted_with_its_head_is_caught_by_the_checkpoint(tmp_path: Path) -> None:
    stripe = _people()[1]
    _path, point = _checkpoint(tmp_path)
    _tamper("DELETE FROM audit_auditevent WHERE chain = %s", [stripe[0].chain])
    AuditChainHead.objects.filter(id=stripe[0].chain).delete()
    assert audit.verify_checkpoints([(1, point)]).chain == stripe[0].chain


def test_a_checkpoint_line_with_a_stripes_chain_reads_back() -> None:
    head = {"event_id": 3, "hash": "a" * 64, "rows": 3}
    line = {"event_id": 3, "hash": "a" * 64, "rows": 3, "at": "2026-01-01T00:00:00Z", "key_id": "k"}
    line.update({"alg": "ed25519", "signature": "b" * 128, "chains": {"-6467": head}})
    assert chain.parse_checkpoint(json.dumps(line))["chains"] == {"-6467": head}


# --- Rows written before stripes, and a changed number of stripes ------------------------------------------


def test_rows_written_before_stripes_keep_their_chain_and_mac(settings: SettingsWrapper) -> None:
    settings.KEEL_AUDIT_STRIPES = 1
    before = [_about(patient) for patient in range(1, 5)]
    settings.KEEL_AUDIT_STRIPES = STRIPES
    _people()
    kept = list(AuditEvent.objects.filter(pk__in=[e.pk for e in before]).values_list("chain", "hash"))
    assert kept == [(RIVERSIDE, e.hash) for e in before]


def test_stripes_verify_after_rows_written_before_stripes(settings: SettingsWrapper) -> None:
    settings.KEEL_AUDIT_STRIPES = 1
    _people()
    settings.KEEL_AUDIT_STRIPES = STRIPES
    _people()
    assert audit.verify_chain().ok


def test_fewer_stripes_later_still_verify(settings: SettingsWrapper) -> None:
    _people()
    settings.KEEL_AUDIT_STRIPES = 3
    _people()
    assert audit.verify_chain().ok


def test_a_checkpoint_before_stripes_verifies_after_them(settings: SettingsWrapper, tmp_path: Path) -> None:
    settings.KEEL_AUDIT_STRIPES = 1
    _people()
    path, _point = _checkpoint(tmp_path)
    settings.KEEL_AUDIT_STRIPES = STRIPES
    _people()
    assert _verify_exit(path) == 0
