"""Re-attack 38b, finding 1 (severity: medium): after a death is recorded on her record (by a path that
left her account on, as lane fix38b's own tests do), her own account still reads, by id, the FHIR
Organization (her program: its name says she was treated for a substance use disorder there, 42 CFR 2.11/2.12)
and the FHIR Practitioner records of its staff: `GET /fhir/R4/Organization/<her program>` and
`GET /fhir/R4/Practitioner/<a nurse of it>` answer 200, audited as successful reads in her name.

What the user does: whoever holds her phone (a signed-in session or her token) after she died opens the FHIR
reads any SMART app makes first. What goes wrong: `interop.rest.reads._read` sends Organization and
Practitioner to `_shared_read`, which reads `Patient.objects.filter(user=user)` and never asks
`policy.refuse_own_after_death`; every other own read (the caseload, /me/, every FHIR search and the
record's reads by id) is refused 403. What should hold: the one refusal for every read in her name after a
death (lane dead27: "nothing is read or written in the person's name by her own account"): a 403
OperationOutcome, audited as "own account after a death was recorded"."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from keel.patients.models import Enrollment
from tests.conftest import World, sign_in

pytestmark = pytest.mark.django_db


def _death_recorded_by_another_path(world: World) -> None:
    Enrollment.objects.filter(patient=world.alice).update(
        ended_on=timezone.localdate() - timedelta(days=1), end_reason="deceased", status="ended"
    )


def test_her_program_as_a_fhir_organization_is_refused_after_a_death(world: World) -> None:
    client = sign_in(Client(), world.alice.user)
    _death_recorded_by_another_path(world)
    assert client.get(f"/fhir/R4/Organization/{world.alice.program_id}").status_code == 403


def test_her_programs_staff_as_a_fhir_practitioner_is_refused_after_a_death(world: World) -> None:
    client = sign_in(Client(), world.alice.user)
    _death_recorded_by_another_path(world)
    assert client.get(f"/fhir/R4/Practitioner/{world.staff['nurse'].pk}").status_code == 403
