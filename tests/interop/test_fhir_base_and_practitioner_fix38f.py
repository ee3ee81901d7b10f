"""Lane fix38f (review 38f, low): `GET /fhir/R4` (no slash) is answered as `/fhir/R4/` is, a 404
OperationOutcome (no resource type; `metadata` is the CapabilityStatement), never Django's HTML 301; a
patient's own sign-in reads only the Practitioners her record references."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from keel.accounts import services
from keel.assessments.services import submit_assessment
from keel.patients.models import CareTeamMember
from tests.conftest import PASSWORD, World, sign_in
from tests.factories import pinned_at_last_five_pm_utc

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock() -> Any:
    yield from pinned_at_last_five_pm_utc()


def test_the_base_without_a_slash_is_a_404() -> None:
    assert Client().get("/fhir/R4").status_code == 404


def test_the_base_without_a_slash_answers_fhir_json() -> None:
    assert Client().get("/fhir/R4")["Content-Type"].startswith("application/fhir+json")


def test_the_base_without_a_slash_is_an_operation_outcome() -> None:
    assert Client().get("/fhir/R4").json()["resourceType"] == "OperationOutcome"


# A patient's own sign-in reads the staff her record references (her care team, the authors of her
# resources), never any staff member of her program (review 38f, privacy).


def test_her_care_team_member_is_read(world: World) -> None:
    found = sign_in(Client(), world.alice.user).get(f"/fhir/R4/Practitioner/{world.staff['counselor'].pk}")
    assert found.status_code == 200


def test_staff_her_record_does_not_reference_is_a_404(world: World) -> None:
    client = sign_in(Client(), world.alice.user)
    found = client.get(f"/fhir/R4/Practitioner/{world.staff['program_admin'].pk}")
    assert found.status_code == 404


def test_staff_her_record_does_not_reference_is_an_operation_outcome(world: World) -> None:
    client = sign_in(Client(), world.alice.user)
    found = client.get(f"/fhir/R4/Practitioner/{world.staff['program_admin'].pk}")
    assert found.json()["resourceType"] == "OperationOutcome"


def test_the_author_of_her_resource_off_her_care_team_is_read(world: World) -> None:
    author, _device = services.create_user(
        username="r-nurse-fix38f", role="nurse", password=PASSWORD, program_slug="riverside"
    )
    CareTeamMember.objects.create(patient=world.alice, user=author)
    submit_assessment(
        by=author,
        patient_id=world.alice.pk,
        instrument="phq9",
        answers={f"phq9_{i}": 1 for i in range(1, 10)},
        filled_at=timezone.now() - timedelta(hours=2),
    )
    CareTeamMember.objects.filter(patient=world.alice, user=author).delete()
    found = sign_in(Client(), world.alice.user).get(f"/fhir/R4/Practitioner/{author.pk}")
    assert found.status_code == 200


def test_staff_reads_any_staff_member_of_the_program(world: World) -> None:
    client = sign_in(Client(), world.staff["counselor"])
    assert client.get(f"/fhir/R4/Practitioner/{world.staff['program_admin'].pk}").status_code == 200
