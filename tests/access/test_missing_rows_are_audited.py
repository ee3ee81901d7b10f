"""Brief ops22 item 5: three lookups of a row of a record answered 404 for a missing row (or another
person's) without the denial row every other such probe leaves: resolving a flag
(`patients.services.flags._resolve`), choosing a reminder's channel (`reminders.services.choose_channel`),
marking one's reminder done or deleting it (`recovery.services.reminders._own_reminder`). Each now goes
through `policy.row_not_theirs`: the same 404, and a denial row naming the patient and the program."""

from __future__ import annotations

from datetime import time
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from keel.access.policy import PatientNotFound
from keel.audit.models import AuditEvent
from keel.patients.models import FlagKind, PatientFlag
from keel.patients.services.flags import resolve_flag
from keel.recovery.models import Reminder
from keel.recovery.services.reminders import delete_reminder, mark_reminder_done
from keel.reminders.services import choose_channel
from tests.conftest import World, sign_in

pytestmark = pytest.mark.django_db

MISSING = 999_999
NOTE = "called her, she is fine and will come in tomorrow"


def _denials(target_type: str, target_id: int) -> list[tuple[Any, ...]]:
    rows = AuditEvent.objects.filter(action="denied", target_type=target_type, target_id=str(target_id))
    return list(rows.values_list("patient_id", "program_id", "outcome", "reason"))


def _flag_of(patient: Any) -> PatientFlag:
    return PatientFlag.objects.create(
        patient=patient,
        kind=FlagKind.CONTACT_REQUEST,
        source_type="test",
        source_id=patient.pk,
        raised_at=timezone.now(),
    )


def _reminder_of(patient: Any) -> Reminder:
    return Reminder.objects.create(
        patient=patient, kind="medication", at=time(8, 0), created_at=timezone.now()
    )


@pytest.mark.parametrize("whose", ["missing", "another patient's"])
def test_resolving_a_flag_not_of_this_record_leaves_a_denial_row(world: World, whose: str) -> None:
    flag_id = MISSING if whose == "missing" else _flag_of(world.bob).pk
    with pytest.raises(PatientNotFound):
        resolve_flag(by=world.staff["nurse"], patient_id=world.alice.pk, flag_id=flag_id, note=NOTE)
    assert _denials("patient_flag", flag_id) == [
        (world.alice.pk, world.riverside.pk, "denied", "not this patient's or missing")
    ]


def test_a_flag_of_this_record_is_still_resolved(world: World) -> None:
    flag = _flag_of(world.alice)
    resolve_flag(by=world.staff["nurse"], patient_id=world.alice.pk, flag_id=flag.pk, note=NOTE)
    flag.refresh_from_db()
    assert flag.resolved_at is not None
    assert _denials("patient_flag", flag.pk) == []


def test_the_api_answers_the_same_404_and_the_row_is_kept(world: World) -> None:
    client = sign_in(Client(), world.staff["nurse"])
    response = client.post(
        f"/api/v1/patients/{world.alice.pk}/flags/{MISSING}/resolve",
        {"note": NOTE},
        content_type="application/json",
    )
    assert response.status_code == 404
    assert len(_denials("patient_flag", MISSING)) == 1


@pytest.mark.parametrize("whose", ["missing", "another patient's"])
def test_choosing_a_channel_for_a_reminder_not_hers_leaves_a_denial_row(world: World, whose: str) -> None:
    reminder_id = MISSING if whose == "missing" else _reminder_of(world.bob).pk
    with pytest.raises(PatientNotFound):
        choose_channel(world.alice.user, reminder_id=reminder_id, channel="email")
    assert _denials("reminder", reminder_id) == [
        (world.alice.pk, world.riverside.pk, "denied", "not this patient's or missing")
    ]


@pytest.mark.parametrize("step", [mark_reminder_done, delete_reminder])
@pytest.mark.parametrize("whose", ["missing", "another patient's"])
def test_marking_done_or_deleting_a_reminder_not_hers_leaves_a_denial_row(
    world: World, step: Any, whose: str
) -> None:
    theirs = None if whose == "missing" else _reminder_of(world.bob)
    reminder_id = MISSING if theirs is None else theirs.pk
    with pytest.raises(PatientNotFound):
        step(by=world.alice.user, reminder_id=reminder_id)
    assert _denials("reminder", reminder_id) == [
        (world.alice.pk, world.riverside.pk, "denied", "not this patient's or missing")
    ]
    if theirs is not None:  # and bob's reminder is untouched
        theirs.refresh_from_db()
        assert theirs.done_on is None


def test_the_pages_answer_the_same_404_and_the_row_is_kept(world: World) -> None:
    alice = sign_in(Client(), world.alice.user)
    assert alice.post(f"/me/reminders/{MISSING}/done/").status_code == 404
    assert alice.post(f"/me/reminders/{MISSING}/delete/").status_code == 404
    assert len(_denials("reminder", MISSING)) == 2


def test_her_own_reminder_is_still_marked_done_and_deleted(world: World) -> None:
    mine = _reminder_of(world.alice)
    mark_reminder_done(by=world.alice.user, reminder_id=mine.pk)
    mine.refresh_from_db()
    assert mine.done_on is not None
    delete_reminder(by=world.alice.user, reminder_id=mine.pk)
    assert not Reminder.objects.filter(pk=mine.pk).exists()
    assert _denials("reminder", mine.pk) == []
