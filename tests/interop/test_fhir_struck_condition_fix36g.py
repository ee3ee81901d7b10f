"""Lane fix36g (review 36g holes 3-5): a struck diagnosis is sent as entered in error on every route (read,
search, `$everything`), valid R4 (con-5: no clinicalStatus); its `meta.lastUpdated` is the strike; and the
GET-only FHIR views, exempt from CSRF for a token, still write nothing for a session's POST without CSRF."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from keel.assessments.models import Assessment, AssessmentCorrection
from keel.assessments.services import correct_assessment, submit_assessment
from keel.audit.models import AuditEvent
from tests.conftest import World, sign_in
from tests.fhir_r4 import assert_valid_r4
from tests.review36g._setup import consent, everything, fhir, token

pytestmark = pytest.mark.django_db


def _dsm5(world: World, criteria: int, days_ago: int) -> Assessment:
    at = timezone.now() - timedelta(days=days_ago)
    a, _ = submit_assessment(
        by=world.staff["counselor"],
        patient_id=world.alice.pk,
        instrument="dsm5-oud",
        answers={f"dsm5_{n}": int(n <= criteria) for n in range(1, 12)},
        filled_at=at,
    )
    Assessment.objects.filter(pk=a.pk).update(created_at=at)
    return a


def _strike(world: World, a: Assessment) -> None:
    correct_assessment(
        by=world.staff["counselor"],
        patient_id=world.alice.pk,
        assessment_id=a.pk,
        entered_in_error=True,
        reason="Filed on the wrong person's record",
    )


def _conditions(world: World) -> list[dict[str, Any]]:
    bundle = fhir("/fhir/R4/Condition", token(world), consent(world, ["record"]).pk, patient=world.alice.pk)
    return [e["resource"] for e in bundle.json().get("entry", [])]


def _struck_only(world: World) -> Assessment:
    a = _dsm5(world, 11, days_ago=1)
    _strike(world, a)
    return a


def test_a_search_lists_the_struck_condition_as_entered_in_error(world: World) -> None:
    _struck_only(world)
    found = _conditions(world)
    assert [c["verificationStatus"]["coding"][0]["code"] for c in found] == ["entered-in-error"]


def test_the_struck_condition_has_no_clinical_status(world: World) -> None:
    _struck_only(world)
    assert "clinicalStatus" not in _conditions(world)[0]


def test_the_struck_condition_is_valid_r4(world: World) -> None:
    _struck_only(world)
    assert_valid_r4(_conditions(world)[0])


def test_the_struck_condition_is_last_updated_at_its_strike(world: World) -> None:
    a = _struck_only(world)
    struck_at = AssessmentCorrection.objects.get(assessment=a).corrected_at
    updated = datetime.fromisoformat(_conditions(world)[0]["meta"]["lastUpdated"])
    assert updated == struck_at.replace(microsecond=0)


def test_everything_sends_the_struck_condition_as_entered_in_error(world: World) -> None:
    a = _struck_only(world)
    whole = consent(world, ["record"])
    bundle = everything(world, token(world), whole.pk, count=50).json()
    found = [e["resource"] for e in bundle["entry"] if e["resource"]["id"] == f"oud-{a.pk}"]
    assert [c["verificationStatus"]["coding"][0]["code"] for c in found] == ["entered-in-error"]


def test_the_earlier_diagnosis_stands_again_after_the_later_is_struck(world: World) -> None:
    first = _dsm5(world, 2, days_ago=3)
    _strike(world, _dsm5(world, 11, days_ago=1))
    found = _conditions(world)
    assert [(c["id"], c["verificationStatus"]["coding"][0]["code"]) for c in found] == [
        (f"oud-{first.pk}", "confirmed")
    ]


def test_a_struck_earlier_result_leaves_the_later_diagnosis_as_it_was(world: World) -> None:
    """A strike of a result already superseded changes nothing the Condition says: not its time either."""
    first = _dsm5(world, 2, days_ago=3)
    _dsm5(world, 11, days_ago=1)
    before = _conditions(world)[0]["meta"]["lastUpdated"]
    _strike(world, first)
    assert _conditions(world)[0]["meta"]["lastUpdated"] == before


def test_a_sessions_post_without_csrf_writes_nothing(world: World) -> None:
    """csrf_exempt is for the token (no cookie); a signed-in session's POST meets the read-only 405 before
    anything is read or written: no audit row, no Disclosure, nothing."""
    client = sign_in(Client(enforce_csrf_checks=True), world.staff["nurse"])
    rows = AuditEvent.objects.count()
    found = client.post(
        "/fhir/R4/Observation", f"patient={world.alice.pk}", "application/x-www-form-urlencoded"
    )
    assert (found.status_code, found["Content-Type"], AuditEvent.objects.count()) == (
        405,
        "application/fhir+json",
        rows,
    )
