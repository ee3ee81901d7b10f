"""One way to raise a flag (issue #17): `keel.patients.flags.raise_flag` writes the flag and its audit row;
no app creates a flag by hand, so none can forget the audit row (the emergency access's flag had none)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from keel.audit.models import AuditEvent
from keel.patients.flags import raise_flag
from keel.patients.models import FlagKind, PatientFlag
from tests.conftest import World

SRC = Path(__file__).resolve().parents[2] / "src" / "keel"
NOW = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)


def _raise(world: World) -> PatientFlag:
    return raise_flag(
        by=world.staff["nurse"],
        patient=world.alice,
        kind=FlagKind.DOSE_HELD,
        priority=1,
        reasons=("held",),
        said=({"template": "held", "params": {}},),
        sources=("src-1",),
        source_type="dose",
        source_id=7,
        now=NOW,
        audit_reason="dose held: prescriber to assess",
    )


@pytest.mark.django_db
def test_the_flag_is_written(world: World) -> None:
    flag = _raise(world)
    assert PatientFlag.objects.get(pk=flag.pk).reasons == ["held"]


@pytest.mark.django_db
def test_the_flag_keeps_its_words_for_the_reader(world: World) -> None:
    assert PatientFlag.objects.get(pk=_raise(world).pk).said == [{"template": "held", "params": {}}]


@pytest.mark.django_db
def test_the_flag_has_its_audit_row(world: World) -> None:
    flag = _raise(world)
    row = AuditEvent.objects.filter(target_type="patient_flag", target_id=str(flag.pk)).get()
    assert (row.patient_id, row.program_id, row.reason) == (
        world.alice.pk,
        world.alice.program_id,
        "dose held: prescriber to assess",
    )


def test_no_app_creates_a_flag_by_hand() -> None:
    by_hand = [
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if path.name != "flags.py" or path.parent.name != "patients"
        if re.search(r"PatientFlag\.objects\.(create|bulk_create|get_or_create)\(", path.read_text())
    ]
    assert by_hand == []


@pytest.mark.django_db
def test_an_emergency_access_flag_has_its_audit_row(world: World) -> None:
    from keel.sharing.services import emergency_access
    from tests.conftest import PASSWORD

    patient, _grant = emergency_access(
        by=world.staff["nurse"],
        record_number=world.bob.record_number,
        reason="Found unresponsive in the lobby; need medication list for EMS",
        password=PASSWORD,
    )
    flag = PatientFlag.objects.get(patient=patient, kind=FlagKind.EMERGENCY_ACCESS)
    assert AuditEvent.objects.filter(target_type="patient_flag", target_id=str(flag.pk)).count() == 1
