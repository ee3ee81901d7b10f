"""Lane fix38j item 1 (Condition): a diagnosis struck as entered in error reaches her through /fhir/R4 and her
own copy (/api/v1/me/fhir) saying only that it was struck: no severity and no code, each of which carries the
struck result's band (`queries.withheld_from_her`: no band of a struck result reaches her); the care team's
reads keep them. Valid R4 still (Condition.code is 0..1)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from keel.accounts.services.tokens import create_token
from keel.assessments.models import Assessment
from keel.assessments.services import correct_assessment, submit_assessment
from tests.conftest import World, sign_in
from tests.factories import pinned_at_last_five_pm_utc
from tests.fhir_r4 import assert_valid_r4

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock():
    yield from pinned_at_last_five_pm_utc()


def _struck_diagnosis(world: World) -> Assessment:
    a, _ = submit_assessment(
        by=world.staff["counselor"],
        patient_id=world.alice.pk,
        instrument="dsm5-oud",
        answers={f"dsm5_{n}": 1 for n in range(1, 12)},
        filled_at=timezone.now() - timedelta(hours=2),
    )
    correct_assessment(
        by=world.staff["counselor"],
        patient_id=world.alice.pk,
        assessment_id=a.pk,
        entered_in_error=True,
        reason="Filed on the wrong person's record",
    )
    return a


def _her_token(world: World) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {create_token(user=world.alice.user, name='my app').secret}")


def _conditions(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [e["resource"] for e in body.get("entry", []) if e["resource"]["resourceType"] == "Condition"]


def _her_read(world: World, a: Assessment) -> dict[str, Any]:
    body: dict[str, Any] = _her_token(world).get(f"/fhir/R4/Condition/oud-{a.pk}").json()
    return body


def test_her_read_of_a_struck_diagnosis_says_entered_in_error(world: World) -> None:
    a = _struck_diagnosis(world)
    assert _her_read(world, a)["verificationStatus"]["coding"][0]["code"] == "entered-in-error"


def test_her_read_of_a_struck_diagnosis_carries_no_severity(world: World) -> None:
    a = _struck_diagnosis(world)
    assert "severity" not in _her_read(world, a)


def test_her_read_of_a_struck_diagnosis_carries_no_code(world: World) -> None:
    a = _struck_diagnosis(world)
    assert "code" not in _her_read(world, a)


def test_her_read_of_a_struck_diagnosis_is_valid_r4(world: World) -> None:
    a = _struck_diagnosis(world)
    assert_valid_r4(_her_read(world, a))


def test_her_search_of_a_struck_diagnosis_carries_no_severity(world: World) -> None:
    _struck_diagnosis(world)
    [found] = _conditions(sign_in(Client(), world.alice.user).get("/fhir/R4/Condition").json())
    assert "severity" not in found


def test_her_everything_carries_no_code_of_a_struck_diagnosis(world: World) -> None:
    _struck_diagnosis(world)
    body = _her_token(world).get(f"/fhir/R4/Patient/{world.alice.pk}/$everything").json()
    assert [c for c in _conditions(body) if "code" in c] == []


def test_her_own_copy_carries_no_severity_of_a_struck_diagnosis(world: World) -> None:
    _struck_diagnosis(world)
    [found] = _conditions(sign_in(Client(), world.alice.user).get("/api/v1/me/fhir").json())
    assert "severity" not in found


def test_the_care_teams_read_keeps_the_struck_severity(world: World) -> None:
    a = _struck_diagnosis(world)
    body = sign_in(Client(), world.staff["counselor"]).get(f"/fhir/R4/Condition/oud-{a.pk}").json()
    assert "severity" in body
