"""Lane fix38c item 2: a DSM-5 result another system sent us (filed through FHIR, `ImportedResponse`) is
theirs, not Keel's diagnosis. It goes out as its QuestionnaireResponse with a Provenance naming the sender;
it is never re-sent as Keel's Condition (whose `recorder` and `verificationStatus` are Keel's own statement:
R4 Condition.asserter/recorder), nor does it change that Condition's id or `meta.lastUpdated`."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from keel.assessments.models import Assessment
from keel.assessments.services import correct_assessment
from keel.interop.models import ImportedResponse
from tests.conftest import World
from tests.re37f.test_finding_1 import _dsm5, _searched
from tests.review36g._setup import consent, fhir, token

pytestmark = pytest.mark.django_db


def _imported(world: World, criteria: int, days_ago: int) -> Assessment:
    """A DSM-5 result filed as received from another system."""
    a = _dsm5(world, criteria, days_ago)
    ImportedResponse.objects.create(
        assessment=a,
        program=world.riverside,
        sender_system="https://hospital.example/fhir",
        sender_id=f"qr-{a.pk}",
        subject={"reference": "Patient/elsewhere"},
        authored=a.filled_at.isoformat(),
        matched_by="identifier",
        received_by=world.staff["counselor"],
        received_at=timezone.now(),
    )
    return a


def _ids(found: list[dict[str, Any]]) -> list[str]:
    return [c["id"] for c in found]


def test_an_imported_diagnosis_alone_sends_no_condition(world: World) -> None:
    _imported(world, 6, days_ago=2)
    assert _searched(world) == []


def test_an_imported_result_filed_first_does_not_become_the_conditions_id(world: World) -> None:
    _imported(world, 6, days_ago=5)
    own = _dsm5(world, 4, days_ago=2)
    assert _ids(_searched(world)) == [f"oud-{own.pk}"]


def test_an_imported_result_after_ours_leaves_the_conditions_id(world: World) -> None:
    own = _dsm5(world, 4, days_ago=5)
    _imported(world, 0, days_ago=1)
    assert _ids(_searched(world)) == [f"oud-{own.pk}"]


def test_an_imported_not_met_after_ours_does_not_refute_it(world: World) -> None:
    _dsm5(world, 4, days_ago=5)
    _imported(world, 0, days_ago=1)
    assert _searched(world)[0]["verificationStatus"]["coding"][0]["code"] == "confirmed"


def test_an_imported_result_after_ours_leaves_last_updated(world: World) -> None:
    _dsm5(world, 4, days_ago=5)
    before = _searched(world)[0]["meta"]["lastUpdated"]
    _imported(world, 8, days_ago=1)
    assert _searched(world)[0]["meta"]["lastUpdated"] == before


def test_an_imported_result_struck_leaves_last_updated(world: World) -> None:
    _dsm5(world, 4, days_ago=5)
    theirs = _imported(world, 8, days_ago=1)
    before = _searched(world)[0]["meta"]["lastUpdated"]
    correct_assessment(
        by=world.staff["counselor"],
        patient_id=world.alice.pk,
        assessment_id=theirs.pk,
        entered_in_error=True,
        reason="Filed on the wrong person's record",
    )
    assert _searched(world)[0]["meta"]["lastUpdated"] == before


def test_an_imported_result_filed_first_and_struck_leaves_the_conditions_id(world: World) -> None:
    theirs = _imported(world, 6, days_ago=5)
    own = _dsm5(world, 4, days_ago=2)
    correct_assessment(
        by=world.staff["counselor"],
        patient_id=world.alice.pk,
        assessment_id=theirs.pk,
        entered_in_error=True,
        reason="Filed on the wrong person's record",
    )
    assert _ids(_searched(world)) == [f"oud-{own.pk}"]


def test_the_condition_read_under_an_imported_results_id_is_not_found(world: World) -> None:
    theirs = _imported(world, 6, days_ago=5)
    _dsm5(world, 4, days_ago=2)
    found = fhir(f"/fhir/R4/Condition/oud-{theirs.pk}", token(world), consent(world, ["record"]).pk)
    assert found.status_code == 404
