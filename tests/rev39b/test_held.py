"""rev39b: attacks Keel resisted (kept so they stay held)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from tests.conftest import sign_in
from tests.factories import pinned_at_last_five_pm_utc
from tests.rev39b.test_hole_1 import _struck_screen


@pytest.fixture(autouse=True)
def _clock() -> Any:
    yield from pinned_at_last_five_pm_utc()


def _struck_answers(resources: list[dict[str, Any]], pk: int) -> list[Any]:
    return [
        r.get("item")
        for r in resources
        if r["resourceType"] == "QuestionnaireResponse" and r["id"] == f"assessment-{pk}"
    ]


def test_her_own_record_file_withholds_a_struck_results_answers(world: Any) -> None:
    struck = _struck_screen(world)
    response = sign_in(Client(), world.alice.user).get("/me/record.fhir.json")
    # Session 39 (lane ownapi39): the care team's view is refused to her own account (403, nothing sent);
    # her own copy is /api/v1/me/fhir. A 200 would have to carry none of the struck answers.
    entries = json.loads(response.content)["entry"] if response.status_code == 200 else []
    assert response.status_code in (200, 403)
    resources = [e["resource"] for e in entries]
    assert all(not items for items in _struck_answers(resources, struck.pk))
    totals = [r for r in resources if r["id"] == f"assessment-{struck.pk}-total"]
    assert totals == []


def test_her_one_assessment_bundle_by_her_own_id_withholds_its_answers(world: Any) -> None:
    struck = _struck_screen(world)
    response = sign_in(Client(), world.alice.user).get(
        f"/api/v1/patients/{world.alice.pk}/assessments/{struck.pk}/fhir"
    )
    # Session 39 (lane ownapi39): the care team's view is refused to her own account (403, nothing sent);
    # her own copy is /api/v1/me/fhir. A 200 would have to carry none of the struck answers.
    entries = json.loads(response.content)["entry"] if response.status_code == 200 else []
    assert response.status_code in (200, 403)
    resources = [e["resource"] for e in entries]
    assert all(not items for items in _struck_answers(resources, struck.pk))


def test_a_progress_report_leaves_without_a_struck_screen(world: Any) -> None:
    from django.utils import timezone

    from keel.access import policy
    from keel.sharing.services import report

    _struck_screen(world)
    built = report(
        world.alice, ("screenings",), timezone.now(), areas=policy.areas_of(world.staff["prescriber"])
    )
    lines = " ".join(built["sections"][0]["lines"])
    assert "27" not in lines
    assert "PHQ-9: none on record." in lines


@pytest.mark.parametrize(
    "path",
    [
        "/en/help/check-my-use/",
        "/en/help/worried-about-someone/",
        "/en/find/meetings/",
        "/en/find/treatment/",
    ],
)
def test_the_anonymous_tools_set_no_cookie(world: Any, path: str) -> None:
    response = Client().get(path)
    assert response.status_code == 200
    assert dict(response.cookies) == {}
