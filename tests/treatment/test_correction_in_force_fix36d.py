"""Lane fix36d (fix35a's item 5a): the correction in force of a recorded dose is its latest amendment in the
order written (the highest id: every correction of a dose is written under the dose's row lock, fix34a), never
the app server's clock (`amended_at`): two corrections in the same second, or one written after another with
an EARLIER `amended_at` (a clock stepped back), are read alike by every read: the ORM's related set and its
subqueries, the hand-written statements (the window's context and count), readiness, the caseload, the
measures, the FHIR export, the API, the day's dose history."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine
from django.db.models import OuterRef, Value
from django.test import Client

from keel.access.policy import Area
from keel.careteam.queries.reads import _dosed_on
from keel.core.dose_history import day_totals
from keel.interop.fhir.base import Base
from keel.interop.fhir.record import record_bundle
from keel.measures.queries import _amended_and_taken
from keel.patients.models import Patient
from keel.treatment.models import DoseAmendment, DoseRecord
from keel.treatment.queries import dose_context, dose_contexts, dosing_list, still_due
from keel.treatment.queries.doses import (
    correction_version,
    day_steps,
    effective_mg,
    newest_dosed_day,
    taken_doses,
)
from keel.treatment.readiness import read_last_uses
from keel.treatment.services.doses.corrections import amend_dose
from tests.conftest import World, sign_in
from tests.review34c._setup import REASON, a_day, at, dose, order

pytestmark = pytest.mark.django_db
BASE = Base("https://keel.example/fhir/R4/")
METHADONE = "methadone"


@dataclass(frozen=True)
class Corrected:
    """A dose of today and its two corrections: `first` written first, `second` written after it (its
    `amended_at` the same, or earlier: a clock stepped back). `in_force`: the amount `second` leaves."""

    dose: DoseRecord
    first: DoseAmendment
    second: DoseAmendment
    in_force: Decimal
    day: date
    read_at: datetime


def _correct(world: World, given: DoseRecord, mg: str, when: datetime) -> DoseAmendment:
    with time_machine.travel(when, tick=False):
        return amend_dose(
            by=world.staff["nurse"],
            patient_id=world.alice.pk,
            dose_id=given.pk,
            corrected_mg=mg,
            reason=REASON,
            now=when,
        )


def _history(first_mg: str, second_mg: str, second_minutes: int) -> Callable[[World], Corrected]:
    """Methadone 30 mg ordered, 30 mg given at 09:00 today, corrected to `first_mg` at 09:20, then (written
    after it) to `second_mg` with its clock at 09:`second_minutes`."""

    def build(world: World) -> Corrected:
        day = a_day(world, 0)
        t = at(day, 9)
        order(world, METHADONE, "30", t - timedelta(hours=3))
        given = dose(world, "30", t).dose
        first = _correct(world, given, first_mg, t + timedelta(minutes=20))
        second = _correct(world, given, second_mg, t + timedelta(minutes=second_minutes))
        return Corrected(given, first, second, Decimal(second_mg), day, t + timedelta(hours=1))

    return build


HISTORIES = {
    # to 0, then back to 30 mg in the same second: 30 mg taken
    "back up, same second": _history("0", "30", 20),
    # to 0, then back to 30 mg by a server whose clock says 09:10: still 30 mg taken
    "back up, clock stepped back": _history("0", "30", 10),
    # down to 20, then to 0 mg in the same second: nothing taken
    "to 0, same second": _history("20", "0", 20),
    # down to 20, then to 0 mg with an earlier clock: nothing taken
    "to 0, clock stepped back": _history("20", "0", 10),
}


@pytest.fixture(params=list(HISTORIES))
def corrected(request: pytest.FixtureRequest, world: World) -> Corrected:
    return HISTORIES[request.param](world)


def _taken(c: Corrected) -> bool:
    return c.in_force > 0


def test_the_written_order_is_the_ids_order(corrected: Corrected) -> None:
    assert corrected.second.pk > corrected.first.pk


def test_the_doses_related_set_ends_with_the_correction_written_last(corrected: Corrected) -> None:
    fresh = DoseRecord.objects.get(pk=corrected.dose.pk)
    assert [a.pk for a in fresh.amendments.all()][-1] == corrected.second.pk


def test_effective_mg_is_the_correction_written_last(corrected: Corrected) -> None:
    assert effective_mg(DoseRecord.objects.get(pk=corrected.dose.pk)) == corrected.in_force


def test_the_correction_version_is_the_correction_written_last(corrected: Corrected) -> None:
    assert correction_version(DoseRecord.objects.get(pk=corrected.dose.pk)) == corrected.second.pk


def test_taken_doses_reads_the_correction_written_last(corrected: Corrected) -> None:
    assert taken_doses(DoseRecord.objects.filter(pk=corrected.dose.pk)).exists() is _taken(corrected)


def test_the_newest_dosed_day_reads_the_correction_written_last(corrected: Corrected) -> None:
    newest = newest_dosed_day(
        METHADONE,
        patient=OuterRef("pk"),
        since=Value(corrected.day),
        before=Value(corrected.day + timedelta(days=1)),
    )
    found = Patient.objects.filter(pk=corrected.dose.patient_id).annotate(d=newest).get().d
    assert (found is not None) is _taken(corrected)


def test_the_windows_context_in_sql_reads_the_correction_written_last(
    world: World, corrected: Corrected
) -> None:
    with time_machine.travel(corrected.read_at, tick=False):
        ctx = dose_context(world.alice, METHADONE, corrected.day)
    assert ctx.given_today_mg == corrected.in_force


def test_the_windows_context_in_the_orm_reads_the_correction_written_last(
    world: World, corrected: Corrected
) -> None:
    with time_machine.travel(corrected.read_at, tick=False):
        ctx = dose_contexts([(world.alice, corrected.day)], METHADONE)[world.alice.pk]
    assert ctx.given_today_mg == corrected.in_force


def test_the_episodes_first_dose_in_sql_reads_the_correction_written_last(
    world: World, corrected: Corrected
) -> None:
    with time_machine.travel(corrected.read_at, tick=False):
        ctx = dose_context(world.alice, METHADONE, corrected.day)
    assert (ctx.first_dose_on == corrected.day) is _taken(corrected)


def test_the_episodes_first_dose_in_the_orm_reads_the_correction_written_last(
    world: World, corrected: Corrected
) -> None:
    with time_machine.travel(corrected.read_at, tick=False):
        ctx = dose_contexts([(world.alice, corrected.day)], METHADONE)[world.alice.pk]
    assert (ctx.first_dose_on == corrected.day) is _taken(corrected)


def test_the_windows_count_reads_the_correction_written_last(world: World, corrected: Corrected) -> None:
    with time_machine.travel(corrected.read_at, tick=False):
        due = {d.patient_id: d.due for d in still_due(world.staff["nurse"], now=corrected.read_at)}
    assert (due.get(world.alice.pk, 0) == 0) is _taken(corrected)


def test_the_windows_list_reads_the_correction_written_last(world: World, corrected: Corrected) -> None:
    with time_machine.travel(corrected.read_at, tick=False):
        rows = dosing_list(world.staff["nurse"], medication=METHADONE, now=corrected.read_at)
    row = next(r for r in rows if r.patient.pk == world.alice.pk)
    assert row.due is not _taken(corrected)


def test_readiness_reads_the_correction_written_last(world: World, corrected: Corrected) -> None:
    uses = read_last_uses(world.alice, corrected.read_at).uses
    assert (METHADONE in uses) is _taken(corrected)


def test_the_caseload_reads_the_correction_written_last(corrected: Corrected) -> None:
    dosed = Patient.objects.filter(_dosed_on(corrected.day), pk=corrected.dose.patient_id).exists()
    assert dosed is _taken(corrected)


def test_the_measures_read_the_correction_written_last(corrected: Corrected) -> None:
    taken = _amended_and_taken(DoseRecord.objects.filter(pk=corrected.dose.pk))
    assert bool(taken) is _taken(corrected)


def test_the_fhir_export_reads_the_correction_written_last(world: World, corrected: Corrected) -> None:
    bundle = record_bundle(world.alice, frozenset(Area), corrected.read_at, BASE)
    given = next(
        e["resource"]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "MedicationAdministration"
        and e["resource"]["id"] == f"dose-{corrected.dose.pk}"
    )
    assert Decimal(str(given["dosage"]["dose"]["value"])) == corrected.in_force


def test_the_api_reads_the_correction_written_last(world: World, corrected: Corrected) -> None:
    with time_machine.travel(corrected.read_at, tick=False):
        response = sign_in(Client(), world.staff["nurse"]).get(
            f"/api/v1/patients/{world.alice.pk}/medication"
        )
    assert response.status_code == 200
    listed = next(d for d in response.json()["doses"] if d["id"] == corrected.dose.pk)
    assert (Decimal(listed["effective_mg"]), listed["correction_version"]) == (
        corrected.in_force,
        corrected.second.pk,
    )


def test_the_days_dose_history_ends_at_the_correction_written_last(corrected: Corrected) -> None:
    steps = day_steps(corrected.dose.patient_id, corrected.day)
    assert day_totals(steps)[-1][0] == corrected.in_force


# --- one definition: no read orders a dose's corrections by the clock ---

_SRC = Path(__file__).resolve().parents[2] / "src" / "keel"
_BY_THE_CLOCK = ('order_by("amended_at"', 'order_by("-amended_at"', 'amended_at" DESC', '"amended_at", ')


def test_no_read_orders_the_corrections_by_amended_at() -> None:
    found = [
        f"{path.relative_to(_SRC)}: {needle}"
        for path in sorted(_SRC.rglob("*.py"))
        if "migrations" not in path.parts
        for needle in _BY_THE_CLOCK
        if needle in path.read_text(encoding="utf-8")
    ]
    assert found == []
