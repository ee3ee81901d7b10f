"""Lane fix38f (review 38f hole 1): every FHIR read and search builds a person's record from one scope, marked
as `_scoped` marks it (`auth._in_scope`, `policy.marked_off_team`): a clinician who reaches Alice's record
only through emergency access is told no more of an imported questionnaire's sender by a program-wide
search (no `patient=`, or `_id=import-N`) than by the read by id; each search path (one resource per row,
several per row, Patient, `$everything`) hands the record builder rows marked the same way."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from keel.accounts import services
from keel.interop.fhir.record import Record
from tests.conftest import PASSWORD, World, sign_in
from tests.fhir_r4 import assert_valid_r4
from tests.review33b._setup import COURT, court_phq9

pytestmark = pytest.mark.django_db


def _glass_broken(world: World) -> Client:
    """A Riverside nurse on no care team of Alice's opens her record for a medical emergency."""
    nurse, _device = services.create_user(
        username="r-nurse-fix38f", role="nurse", password=PASSWORD, program_slug="riverside"
    )
    client = sign_in(Client(), nurse)
    opened = client.post(
        "/api/v1/emergency-access",
        {"record_number": "RR-0001", "reason": "found unresponsive in the lobby", "password": PASSWORD},
        content_type="application/json",
    )
    assert opened.status_code == 201
    return client


def _filed(world: World) -> str:
    """The court's PHQ-9 filed by the counselor: its Provenance's id."""
    return str(court_phq9(world, sign_in(Client(), world.staff["counselor"])).json()["provenance"]["id"])


@pytest.fixture
def marks(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Each record built for Alice: its row's `keel_off_team` (None: never marked)."""
    seen: list[Any] = []
    original = Record.__init__

    def spy(self: Record, patient: Any, *args: Any, **kwargs: Any) -> None:
        seen.append(getattr(patient, "keel_off_team", None))
        original(self, patient, *args, **kwargs)

    monkeypatch.setattr(Record, "__init__", spy)
    return seen


def test_emergency_program_wide_provenance_search_names_no_sending_system(world: World) -> None:
    _filed(world)
    found = _glass_broken(world).get("/fhir/R4/Provenance")
    assert COURT not in found.content.decode()


def test_emergency_provenance_search_still_finds_her_provenance(world: World) -> None:
    provenance = _filed(world)
    found = _glass_broken(world).get("/fhir/R4/Provenance").json()
    assert [e["resource"]["id"] for e in found["entry"]] == [provenance]


def test_emergency_provenance_search_by_id_names_no_sending_system(world: World) -> None:
    provenance = _filed(world)
    found = _glass_broken(world).get(f"/fhir/R4/Provenance?_id={provenance}")
    assert COURT not in found.content.decode()


def test_emergency_provenance_searchset_is_valid_r4(world: World) -> None:
    _filed(world)
    assert_valid_r4(_glass_broken(world).get("/fhir/R4/Provenance").json())


def test_care_team_provenance_search_still_names_the_sending_system(world: World) -> None:
    _filed(world)
    found = sign_in(Client(), world.staff["counselor"]).get("/fhir/R4/Provenance")
    assert COURT in found.content.decode()


def test_emergency_everything_by_a_session_is_refused(world: World) -> None:
    _filed(world)
    found = _glass_broken(world).get(f"/fhir/R4/Patient/{world.alice.pk}/$everything")
    assert found.status_code == 403


def test_emergency_everything_builds_no_record_of_hers(world: World, marks: list[Any]) -> None:
    _filed(world)
    client = _glass_broken(world)
    marks.clear()
    client.get(f"/fhir/R4/Patient/{world.alice.pk}/$everything")
    assert marks == []


@pytest.mark.parametrize(
    "path",
    ["Provenance", "Observation", "QuestionnaireResponse", "Condition", "Patient", "Patient?_id={pk}"],
)
def test_emergency_search_builds_her_record_marked_off_the_care_team(
    world: World, marks: list[Any], path: str
) -> None:
    _filed(world)
    client = _glass_broken(world)
    marks.clear()
    client.get("/fhir/R4/" + path.format(pk=world.alice.pk))
    assert marks == [True]


def test_care_team_search_builds_her_record_marked_on_the_care_team(world: World, marks: list[Any]) -> None:
    _filed(world)
    client = sign_in(Client(), world.staff["counselor"])
    marks.clear()
    client.get("/fhir/R4/Observation")
    assert set(marks) == {False}


def test_emergency_consent_search_builds_no_record_of_hers(world: World, marks: list[Any]) -> None:
    _filed(world)
    client = _glass_broken(world)
    marks.clear()
    client.get("/fhir/R4/Consent")
    assert marks == []
