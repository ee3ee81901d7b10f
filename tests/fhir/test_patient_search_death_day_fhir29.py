"""Lane fhir29, item 2: a FHIR Patient search asked `death_recorded` and `death_day` once per person (two
statements a person: an N+1). The search's statement now carries the death day (`patients.models.
with_death_day`, built from the one definition `death_day` reads), so a search of 20 people costs the same
statements as a search of one, and says the same `active` / `deceasedDateTime` of each."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from keel.patients.models import CareTeamMember, EndReason, Enrollment, EnrollmentStatus, Patient, local_today
from tests.conftest import World, sign_in

pytestmark = pytest.mark.django_db


def _people(world: World, n: int) -> list[Patient]:
    """`n` more people on the nurse's care team, every other one dead (an episode ended `deceased`, `n - i`
    days ago), the rest in care."""
    today = local_today(world.alice)
    made = []
    for i in range(n):
        p = Patient.objects.create(
            program=world.riverside,
            record_number=f"RR-9{i:03d}",
            given_name=f"Given{i}",
            family_name=f"Family{i}",
            date_of_birth=date(1980, 1, 1) + timedelta(days=i),
        )
        started = today - timedelta(days=90)
        if i % 2:
            Enrollment.objects.create(
                patient=p,
                program=world.riverside,
                started_on=started,
                status=EnrollmentStatus.ENDED,
                ended_on=today - timedelta(days=n - i),
                end_reason=EndReason.DECEASED,
            )
        else:
            Enrollment.objects.create(patient=p, program=world.riverside, started_on=started)
        CareTeamMember.objects.create(patient=p, user=world.staff["nurse"])
        made.append(p)
    return made


def _search(client: Client) -> tuple[dict[str, Any], int]:
    with CaptureQueriesContext(connection) as ctx:
        answer = client.get("/fhir/R4/Patient?_count=100")
    assert answer.status_code == 200
    return answer.json(), len(ctx.captured_queries)


def test_a_patient_search_of_twenty_people_costs_the_statements_of_one(world: World) -> None:
    client = sign_in(Client(), world.staff["nurse"])
    _search(client)  # warm: the session, the caches
    _, one = _search(client)  # alice alone on the nurse's team
    _people(world, 20)
    _, twenty = _search(client)
    assert twenty == one, (one, twenty)


def _resources(client: Client) -> dict[int, dict[str, Any]]:
    bundle, _ = _search(client)
    return {int(e["resource"]["id"]): e["resource"] for e in bundle.get("entry", [])}


def test_each_dead_person_in_a_search_says_the_day_of_her_death(world: World) -> None:
    people = _people(world, 6)
    found = _resources(sign_in(Client(), world.staff["nurse"]))
    said = {p.pk: found[p.pk].get("deceasedDateTime") for p in people[1::2]}
    days = {
        p.pk: Enrollment.objects.get(patient=p, end_reason=EndReason.DECEASED).ended_on.isoformat()
        for p in people[1::2]
    }
    assert said == days


def test_each_dead_person_in_a_search_is_not_active(world: World) -> None:
    people = _people(world, 6)
    found = _resources(sign_in(Client(), world.staff["nurse"]))
    assert [found[p.pk]["active"] for p in people[1::2]] == [False, False, False]


def test_each_living_person_in_a_search_is_active_with_no_deceased_element(world: World) -> None:
    people = _people(world, 6)
    found = _resources(sign_in(Client(), world.staff["nurse"]))
    living = [found[p.pk] for p in [world.alice, *people[0::2]]]
    assert [(r["active"], "deceasedDateTime" in r, "deceasedBoolean" in r) for r in living] == [
        (True, False, False)
    ] * 4


def test_the_search_and_the_read_of_one_record_say_the_same_of_a_dead_person(world: World) -> None:
    people = _people(world, 2)
    client = sign_in(Client(), world.staff["nurse"])
    found = _resources(client)
    read = client.get(f"/fhir/R4/Patient/{people[1].pk}").json()
    keys = ("active", "deceasedDateTime", "deceasedBoolean")
    assert {k: found[people[1].pk].get(k) for k in keys} == {k: read.get(k) for k in keys}
