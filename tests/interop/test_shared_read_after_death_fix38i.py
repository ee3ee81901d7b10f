"""Lane fix38i (re38b finding 1): after a death is recorded on her record, her own account's reads of what
her record references (FHIR Organization: her program; Practitioner: its staff) are refused as every other
own read is (`policy.refuse_own_search_after_death`), audited as a death's refusal; staff still read them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from keel.audit.models import AuditEvent
from keel.patients.models import Enrollment
from tests.conftest import World, sign_in

pytestmark = pytest.mark.django_db

REFUSED = "own account after a death was recorded"


def _death_recorded_by_another_path(world: World) -> None:
    Enrollment.objects.filter(patient=world.alice).update(
        ended_on=timezone.localdate() - timedelta(days=1), end_reason="deceased", status="ended"
    )


def test_her_programs_read_after_a_death_is_audited_as_refused(world: World) -> None:
    client = sign_in(Client(), world.alice.user)
    _death_recorded_by_another_path(world)
    client.get(f"/fhir/R4/Organization/{world.alice.program_id}")
    assert AuditEvent.objects.filter(actor_id=world.alice.user.pk, reason=REFUSED).exists()


def test_her_program_is_still_read_before_a_death(world: World) -> None:
    client = sign_in(Client(), world.alice.user)
    assert client.get(f"/fhir/R4/Organization/{world.alice.program_id}").status_code == 200


def test_staff_still_read_the_program_after_her_death(world: World) -> None:
    client = sign_in(Client(), world.staff["nurse"])
    _death_recorded_by_another_path(world)
    assert client.get(f"/fhir/R4/Organization/{world.alice.program_id}").status_code == 200
