"""Session 21, item 3: the demo's data obeys the invariants the services enforce, for every person it makes.
Before, the demo wrote an active methadone order and two weeks of doses up to yesterday for people whose
episode of care had ended months ago (it writes rows directly, past the services): the dosing window and the
record showed an order in force for someone discharged, which `discharge` never leaves and `prescribe`
refuses (review 20a)."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from keel import demo
from keel.appointments.models import Appointment
from keel.patients.models import EnrollmentStatus, Patient, local_today
from keel.treatment.models import DoseRecord, MedicationOrder, OrderStatus, in_force_q
from keel.treatment.queries.orders import episode_open

pytestmark = pytest.mark.django_db
# 17:00 UTC today (relative to the run: the suite also runs with the clock a year ahead)
NOW = datetime.combine(datetime.now(UTC).date(), time(17), tzinfo=UTC)


def _problems(patient: Patient) -> list[str]:
    """What of this person's record breaks an invariant of the services, each in words."""
    found = []
    episodes = list(patient.enrollments.all())
    in_care = episode_open(patient)  # the services' own definition (prescribe reads it)
    orders = list(MedicationOrder.objects.filter(patient=patient))
    today = local_today(patient)
    in_force = MedicationOrder.objects.filter(in_force_q(today), patient=patient)
    if not in_care and in_force.exists():
        found.append("an order in force without an open episode of care")
    if not in_care and any(o.status == OrderStatus.ACTIVE for o in orders):
        found.append("an active order without an open episode of care (discharge stops them)")
    ended = [e for e in episodes if e.status == EnrollmentStatus.ENDED and e.ended_on is not None]
    for episode in ended:
        assert episode.ended_on is not None
        later = [e.started_on for e in episodes if e.started_on > episode.ended_on]
        until = min(later, default=None)
        doses = DoseRecord.objects.filter(patient=patient, local_date__gt=episode.ended_on)
        if until is not None:
            doses = doses.filter(local_date__lt=until)
        if doses.exists():
            found.append(f"a dose after the episode ended on {episode.ended_on}, before any readmission")
        written = [o for o in orders if episode.started_on <= o.starts_on <= episode.ended_on]
        if any(o.status == OrderStatus.ACTIVE for o in written) and until is None:
            found.append(f"an order of the episode ended on {episode.ended_on} still active")
    if not in_care and Appointment.objects.filter(patient=patient, starts_at__gt=timezone.now()).exists():
        found.append("a coming visit after the episode ended (discharge cancels them)")
    return found


@time_machine.travel(NOW, tick=False)
def test_every_demo_person_meets_the_episode_invariants(db: Any) -> None:
    demo.load(patients_per_program=12, seed=7)
    problems = {
        p.record_number: said
        for p in Patient.objects.prefetch_related("enrollments")
        if (said := _problems(p))
    }
    assert problems == {}


@time_machine.travel(NOW, tick=False)
def test_the_demo_still_has_someone_discharged_with_a_medication_history(db: Any) -> None:
    """The check above is about someone: a discharged person whose stopped order and doses the demo keeps."""
    demo.load(patients_per_program=12, seed=7)
    discharged = [p for p in Patient.objects.all() if not episode_open(p)]
    assert discharged
    assert MedicationOrder.objects.filter(patient__in=discharged, status=OrderStatus.STOPPED).exists()
    assert DoseRecord.objects.filter(patient__in=discharged).exists()
