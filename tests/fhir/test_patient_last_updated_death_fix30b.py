"""Lane fix30b (review 30b H1): a FHIR Patient's `meta.lastUpdated` is at or after the latest change of what
it is made of (session 24): the row's own `updated_at`, and the death recorded (`active` false, `deceased[x]`)
or undone (`active` true again). One definition (`patients.models.death_changed`, asked by a search in its
own statement: `with_death_day`), so the read, the searches (`_id`, `name`, `identifier`) and `$everything`
say the same instant. A discharge that is not a death and a readmission change nothing of the Patient (the
EpisodeOfCare changes): its `meta.lastUpdated` stays."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

import time_machine
from django.test import Client
from django.utils import timezone

from keel.access.policy import Area
from keel.interop.fhir.base import Base
from keel.interop.fhir.record import Record
from keel.patients.models import Patient
from tests.conftest import World, sign_in

R4 = "/fhir/R4"
BASE = Base("https://keel.example/fhir/R4/")


def _post(client: Client, path: str, body: dict[str, Any]) -> None:
    answer = client.post(path, json.dumps(body), content_type="application/json")
    assert answer.status_code < 300, answer.content


def _at(resource: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(resource["meta"]["lastUpdated"])


def _read(client: Client, pk: int) -> dict[str, Any]:
    answer = client.get(f"{R4}/Patient/{pk}")
    assert answer.status_code == 200, answer.content
    return answer.json()


def _searched(client: Client, query: str) -> dict[str, Any]:
    answer = client.get(f"{R4}/Patient?{query}")
    assert answer.status_code == 200, answer.content
    [entry] = answer.json()["entry"]
    return entry["resource"]


def _everything_patient(pk: int) -> dict[str, Any]:
    """The Patient of `$everything` (its builder `Record.everything`: the route needs a token, a basis)."""
    found = Record(Patient.objects.get(pk=pk), frozenset(Area), BASE, timezone.now()).everything()
    return next(r for r in found if r["resourceType"] == "Patient")


def _every_path(client: Client, world: World) -> list[str]:
    """`meta.lastUpdated` of Alice's Patient by each path that builds it."""
    alice = world.alice
    number = quote(alice.record_number)
    found = [
        _read(client, alice.pk),
        _searched(client, f"_id={alice.pk}"),
        _searched(client, f"name={quote(alice.family_name)}"),
        _searched(client, f"identifier={number}"),
        _everything_patient(alice.pk),
    ]
    return [r["meta"]["lastUpdated"] for r in found]


def test_every_path_says_the_same_last_updated_after_the_death_and_after_its_undo(world: World) -> None:
    later = timezone.now() + timedelta(minutes=10)
    with time_machine.travel(later, tick=True):
        _post(
            sign_in(Client(), world.staff["prescriber"]),
            f"/api/v1/patients/{world.alice.pk}/discharge",
            {"reason": "deceased"},
        )
        dead = _every_path(sign_in(Client(), world.staff["nurse"]), world)
    with time_machine.travel(later + timedelta(minutes=10), tick=True):
        _post(
            sign_in(Client(), world.staff["program_admin"]),
            f"/api/v1/patients/{world.alice.pk}/undo-death",
            {"reason": "the wrong person was picked at the desk"},
        )
        alive = _every_path(sign_in(Client(), world.staff["nurse"]), world)
    assert len(set(dead)) == 1 and len(set(alive)) == 1, (dead, alive)
    assert datetime.fromisoformat(dead[0]) >= later.replace(microsecond=0)
    assert datetime.fromisoformat(alive[0]) >= (later + timedelta(minutes=10)).replace(microsecond=0)


def test_a_discharge_that_is_not_a_death_leaves_the_patient_last_updated(world: World) -> None:
    nurse = sign_in(Client(), world.staff["nurse"])
    before = _read(nurse, world.alice.pk)
    with time_machine.travel(timezone.now() + timedelta(minutes=10), tick=True):
        _post(nurse, f"/api/v1/patients/{world.alice.pk}/discharge", {"reason": "completed"})
        after = _read(nurse, world.alice.pk)
    assert after["active"] is True and "deceasedDateTime" not in after  # nothing of the Patient changed...
    assert _at(after) == _at(before)  # ...so neither did its lastUpdated
    assert after == before


def test_a_readmission_leaves_the_patient_last_updated_and_moves_the_episode(world: World) -> None:
    nurse = sign_in(Client(), world.staff["nurse"])
    before = _read(nurse, world.alice.pk)
    later = timezone.now() + timedelta(minutes=10)
    with time_machine.travel(later, tick=True):
        _post(nurse, f"/api/v1/patients/{world.alice.pk}/discharge", {"reason": "completed"})
        _post(nurse, f"/api/v1/patients/{world.alice.pk}/readmit", {"notice_given": True, "consented": True})
        after = _read(nurse, world.alice.pk)
        episodes = nurse.get(f"{R4}/EpisodeOfCare?patient={world.alice.pk}").json()["entry"]
    assert _at(after) == _at(before)
    newest = max(_at(e["resource"]) for e in episodes)
    assert newest >= later.replace(microsecond=0)  # the readmission is the EpisodeOfCare's change


def test_a_death_recorded_again_after_an_undo_moves_it_again(world: World) -> None:
    prescriber = sign_in(Client(), world.staff["prescriber"])
    path = f"/api/v1/patients/{world.alice.pk}"
    start = timezone.now() + timedelta(minutes=10)
    with time_machine.travel(start, tick=True):
        _post(prescriber, f"{path}/discharge", {"reason": "deceased"})
    with time_machine.travel(start + timedelta(minutes=10), tick=True):
        _post(
            sign_in(Client(), world.staff["program_admin"]),
            f"{path}/undo-death",
            {"reason": "the wrong person was picked at the desk"},
        )
    again = start + timedelta(minutes=20)
    with time_machine.travel(again, tick=True):
        _post(sign_in(Client(), world.staff["prescriber"]), f"{path}/discharge", {"reason": "deceased"})
        dead = _read(sign_in(Client(), world.staff["nurse"]), world.alice.pk)
    assert dead["active"] is False
    assert _at(dead) >= again.replace(microsecond=0)
