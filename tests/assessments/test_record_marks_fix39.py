"""Lane fixrec39 (review 39c): the flowsheet, the bedside COWS series, the timeline and the API say a result
was corrected, struck or entered late, by the one definition of each (`Assessment.corrected`,
`Assessment.entered_in_error` read through `queries.with_corrections`, `Assessment.entered_late`), in the
reader's language; what the person herself sees of a struck result is unchanged."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone, translation

from keel.assessments import services
from keel.assessments.models import Assessment
from keel.careteam.queries import timeline
from keel.core.instruments import registry
from tests.conftest import World, sign_in
from tests.factories import pinned_at_last_five_pm_utc
from tests.fhir_r4 import assert_valid_r4

pytestmark = pytest.mark.django_db

HIGH = {f"phq9_{i}": 2 for i in range(1, 9)} | {"phq9_9": 0}  # 16
LOW = {f"phq9_{i}": 0 for i in range(1, 10)} | {"phq9_1": 1, "phq9_2": 1, "phq9_3": 1}  # 3


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    yield from pinned_at_last_five_pm_utc()


def _filed(world: World, answers: dict[str, int], hours_ago: int = 3, code: str = "phq9") -> Assessment:
    a, _ = services.submit_assessment(
        by=world.staff["nurse"],
        patient_id=world.alice.pk,
        instrument=code,
        answers=answers,
        filled_at=timezone.now() - timedelta(hours=hours_ago),
    )
    return a


def _fix(world: World, a: Assessment, **how: object) -> None:
    services.correct_assessment(
        by=world.staff["counselor"],
        patient_id=world.alice.pk,
        assessment_id=a.pk,
        reason="Items read from the wrong column of the paper form",
        read_version=0,
        **how,  # type: ignore[arg-type]
    )


def _row(page: str, world: World, a: Assessment) -> str:
    return page.split(f"/patients/{world.alice.pk}/assessments/{a.pk}/", 1)[1].split("</tr>", 1)[0]


def test_the_flowsheet_row_says_corrected_and_the_score_as_entered(world: World) -> None:
    a = _filed(world, HIGH)
    _fix(world, a, answers=LOW)
    client = sign_in(Client(), world.staff["counselor"])
    row = _row(client.get(f"/patients/{world.alice.pk}/flowsheet/phq9/").content.decode(), world, a)
    assert "corrected" in row and "16 as entered" in row


def test_the_struck_row_is_marked_and_its_score_legible_struck_through(world: World) -> None:
    a = _filed(world, HIGH)
    _fix(world, a, entered_in_error=True)
    client = sign_in(Client(), world.staff["counselor"])
    row = _row(client.get(f"/patients/{world.alice.pk}/flowsheet/phq9/").content.decode(), world, a)
    assert "entered in error" in row and "<del>16</del>" in row


def test_her_own_flowsheet_still_lists_no_struck_result(world: World) -> None:
    a = _filed(world, HIGH)
    _fix(world, a, entered_in_error=True)
    page = sign_in(Client(), world.alice.user).get(f"/patients/{world.alice.pk}/flowsheet/phq9/")
    assert f"/assessments/{a.pk}/" not in page.content.decode()


def test_the_flowsheet_marks_in_spanish(world: World) -> None:
    a = _filed(world, HIGH)
    _fix(world, a, answers=LOW)
    client = sign_in(Client(), world.staff["counselor"])
    page = client.get(f"/patients/{world.alice.pk}/flowsheet/phq9/", HTTP_ACCEPT_LANGUAGE="es")
    row = _row(page.content.decode(), world, a)
    assert "corregido" in row and "16 como se registró" in row


def test_the_timeline_says_corrected_with_the_score_as_entered_in_spanish(world: World) -> None:
    a = _filed(world, HIGH)
    _fix(world, a, answers=LOW)
    with translation.override("es"):
        found = timeline(world.staff["counselor"], world.alice.pk, days=30)
    (said,) = [e.detail for e in found.events if e.kind == "assessment"]
    assert "corregido (puntaje 16 como se registró)" in said


def test_a_result_entered_on_time_says_neither(world: World) -> None:
    _filed(world, HIGH, hours_ago=0)
    found = timeline(world.staff["counselor"], world.alice.pk, days=30)
    (said,) = [e.detail for e in found.events if e.kind == "assessment"]
    assert "corrected" not in said and "late" not in said


def test_the_api_says_when_entered_and_not_late_when_on_time(world: World) -> None:
    cows = {item.link_id: 0 for item in registry.get("cows").items}
    _filed(world, cows, hours_ago=6, code="cows")
    client = sign_in(Client(), world.staff["counselor"])
    (row,) = client.get(f"/api/v1/patients/{world.alice.pk}/assessments?instrument=cows").json()
    assert row["entered_late"] is True
    assert row["entered_at"] > row["filled_at"]
    _filed(world, LOW, hours_ago=0)
    (phq,) = client.get(f"/api/v1/patients/{world.alice.pk}/assessments?instrument=phq9").json()
    assert phq["entered_late"] is False


def test_the_fhir_observation_says_when_it_was_entered(world: World) -> None:
    # R4 Observation.issued: when this version was made available; `effectiveDateTime` the time of scoring
    cows = {item.link_id: 0 for item in registry.get("cows").items}
    late = _filed(world, cows, hours_ago=6, code="cows")
    client = sign_in(Client(), world.staff["counselor"])
    bundle = client.get(f"/api/v1/patients/{world.alice.pk}/assessments/{late.pk}/fhir").json()
    assert_valid_r4(bundle)
    (total,) = [e["resource"] for e in bundle["entry"] if e["resource"]["id"].endswith("-total")]
    assert total["issued"] > total["effectiveDateTime"]
