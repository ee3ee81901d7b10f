"""Lane fix33h (review 33e hole 6): the window's row and count read the hold the dose reads, of any medication
(`contexts.open_holds`, `OPEN_HOLD`): held, not due, until a prescriber releases it; then due again."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from keel.patients.models import FlagKind, PatientFlag, local_today
from keel.patients.services.flags import resolve_flag
from keel.treatment.queries.contexts import dose_context, dose_contexts
from keel.treatment.queries.window.listing import dosing_list
from keel.treatment.queries.window.still_due import still_due
from keel.treatment.services.doses.window import record_dose
from tests.conftest import World
from tests.factories import buprenorphine_then_methadone_order


def _held(world: World, medication: str) -> None:
    buprenorphine_then_methadone_order(world, timezone.now() - timedelta(days=2))
    record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, sedated=True, medication=medication)


def _released(world: World) -> None:
    flag = PatientFlag.objects.get(patient=world.alice, kind=FlagKind.DOSE_HELD, resolved_at__isnull=True)
    resolve_flag(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        flag_id=flag.pk,
        note="assessed: fine to dose",
    )


def _status(world: World, medication: str) -> list[str]:
    return [
        r.status for r in dosing_list(world.staff["nurse"], medication=medication, patient_id=world.alice.pk)
    ]


def test_a_methadone_hold_holds_the_buprenorphine_row(world: World) -> None:
    _held(world, "methadone")
    assert _status(world, "buprenorphine") == ["held"]


def test_released_the_methadone_row_is_due_again(world: World) -> None:
    _held(world, "buprenorphine")
    _released(world)
    assert _status(world, "methadone") == ["due"]


def test_released_the_count_counts_it_again(world: World) -> None:
    _held(world, "buprenorphine")
    _released(world)
    counts = [s.due for s in still_due(world.staff["nurse"]) if s.patient_id == world.alice.pk]
    assert counts == [2]  # both rows: the held dose was not given


def test_the_one_person_read_and_the_list_read_agree(world: World) -> None:
    _held(world, "buprenorphine")
    today = local_today(world.alice)
    one = dose_context(world.alice, "methadone", today).other_hold_open
    assert one is dose_contexts([(world.alice, today)], "methadone")[world.alice.pk].other_hold_open is True
