"""re37f finding 1: a self-check filled while a clinician's "not met" stands was never sent as a Condition
(the clinician's result outranks it), yet lane fix37a's last resort (`outranked`) now sends it, refuted: an
OUD Condition (ICD-10 F11.x) appears in a record that never held one."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from keel.accounts.models import User
from keel.assessments.models import Assessment
from keel.assessments.services import submit_assessment
from tests.conftest import World
from tests.review36g._setup import consent, fhir, token

pytestmark = pytest.mark.django_db


def _dsm5(world: World, criteria: int, days_ago: int, by: User | None = None) -> Assessment:
    at = timezone.now() - timedelta(days=days_ago)
    own = by is not None and by == world.alice.user
    a, _ = submit_assessment(
        by=by or world.staff["counselor"],
        patient_id=None if own else world.alice.pk,
        instrument="dsm5-oud",
        answers={f"dsm5_{n}": int(n <= criteria) for n in range(1, 12)},
        filled_at=at,
    )
    Assessment.objects.filter(pk=a.pk).update(created_at=at)
    a.refresh_from_db()
    return a


def _searched(world: World) -> list[dict[str, Any]]:
    bundle = fhir("/fhir/R4/Condition", token(world), consent(world, ["record"]).pk, patient=world.alice.pk)
    assert bundle.status_code == 200
    return [e["resource"] for e in bundle.json().get("entry", [])]


def test_a_self_check_after_a_clinicians_not_met_sends_no_condition(world: World) -> None:
    _dsm5(world, 0, days_ago=3)  # the counselor: criteria not met; no Condition
    assert _searched(world) == []
    _dsm5(world, 6, days_ago=1, by=world.alice.user)  # her own self-check says 6: outranked, never shown
    # nothing was ever sent, so nothing has to stay: no refuted OUD Condition out of nowhere
    assert _searched(world) == []
