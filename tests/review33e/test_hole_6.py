"""Review 33e hole 6: a hold on one medication leaves the other medication's row "due" at the window.

Alice in a switch: buprenorphine and methadone both written (buprenorphine given two days ago). This morning
the nurse holds her buprenorphine (sedated). The window's methadone row still says "due" and the count of
rows due says 1 (`queries.window.row_status._row_status` reads `ctx.hold_open`, this medication's hold only:
`dosing_list`'s contexts are read without `with_other_holds`; `still_due._HELD_OPEN` matches
`d."medication" = %s`), while the dose at the window is refused ("no prescriber has released the hold":
`guards.day` reads the hold on any medication). Should: the row and the count read the one hold the dose
reads: the methadone row "held", not due.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from keel.treatment.queries.window.listing import dosing_list
from keel.treatment.queries.window.still_due import still_due
from keel.treatment.services.common import DoseBlocked
from keel.treatment.services.doses.window import record_dose
from tests.conftest import World
from tests.factories import buprenorphine_then_methadone_order


def _held_on_buprenorphine(world: World) -> None:
    buprenorphine_then_methadone_order(world, timezone.now() - timedelta(days=2))
    record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, sedated=True, medication="buprenorphine")


def test_control_the_methadone_dose_is_refused(world: World) -> None:
    _held_on_buprenorphine(world)
    with pytest.raises(DoseBlocked):
        record_dose(
            by=world.staff["nurse"], patient_id=world.alice.pk, medication="methadone", amount_mg="30"
        )


def test_the_methadone_row_says_held(world: World) -> None:
    _held_on_buprenorphine(world)
    rows = dosing_list(world.staff["nurse"], medication="methadone", patient_id=world.alice.pk)
    assert [r.status for r in rows] == ["held"]


def test_the_count_says_nothing_is_due(world: World) -> None:
    _held_on_buprenorphine(world)
    counts = [s.due for s in still_due(world.staff["nurse"]) if s.patient_id == world.alice.pk]
    assert counts == [0]
