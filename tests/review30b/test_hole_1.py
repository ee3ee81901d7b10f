"""Review 30b, hole 1: a FHIR Patient's `meta.lastUpdated` does not move when a death is recorded or undone.

The Patient resource changes twice (`active` false and `deceasedDateTime` when the death is recorded;
`active` true and no `deceased[x]` when it is undone by mistake), but `meta.lastUpdated` stays the patient
row's `updated_at` (neither the discharge nor `deaths.undo_death` touches that row). FHIR R4
(Meta.lastUpdated: "when the resource last changed") and Keel's own rule (session 24: the latest of the
instants the rows it is made of changed) say it must be at or after the change. A receiving system that
syncs by lastUpdated keeps a living person as dead after an undo, or a dead one as alive.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import time_machine
from django.test import Client
from django.utils import timezone

from tests.conftest import World, sign_in


def _patient(client: Client, pk: int) -> dict:
    response = client.get(f"/fhir/R4/Patient/{pk}")
    assert response.status_code == 200, response.content
    return response.json()


def _at(resource: dict) -> datetime:
    return datetime.fromisoformat(resource["meta"]["lastUpdated"])


def test_patient_last_updated_moves_with_the_death_and_its_undo(world: World) -> None:
    alice = world.alice
    nurse = sign_in(Client(), world.staff["nurse"])
    prescriber = sign_in(Client(), world.staff["prescriber"])
    admin = sign_in(Client(), world.staff["program_admin"])
    later = timezone.now() + timedelta(minutes=10)
    with time_machine.travel(later, tick=True):
        died = prescriber.post(
            f"/api/v1/patients/{alice.pk}/discharge",
            json.dumps({"reason": "deceased"}),
            content_type="application/json",
        )
        assert died.status_code == 200, died.content
        dead = _patient(nurse, alice.pk)
    assert dead["active"] is False and "deceasedDateTime" in dead  # the resource changed...
    even_later = later + timedelta(minutes=10)
    with time_machine.travel(even_later, tick=True):
        undone = admin.post(
            f"/api/v1/patients/{alice.pk}/undo-death",
            json.dumps({"reason": "the wrong person was picked at the desk"}),
            content_type="application/json",
        )
        assert undone.status_code == 200, undone.content
        alive = _patient(nurse, alice.pk)
    assert alive["active"] is True and "deceasedDateTime" not in alive  # ...and changed back
    seen = (_at(dead), _at(alive))
    # ...so its lastUpdated is at or after each change (to the second the instant keeps)
    wanted = (later.replace(microsecond=0), even_later.replace(microsecond=0))
    assert seen[0] >= wanted[0] and seen[1] >= wanted[1], (
        f"Patient.meta.lastUpdated {seen} did not move with the death recorded at {wanted[0]} "
        f"and undone at {wanted[1]}"
    )
