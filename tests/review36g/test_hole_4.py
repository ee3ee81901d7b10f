"""Review 36g hole 4: when the latest diagnosis is struck as entered in error, the Condition another system
holds goes back to the earlier diagnosis under the same id (`oud-<first>`) with a `meta.lastUpdated` older
than the one it was sent before. A hospital's system that keeps the newer of two versions of a resource
(by `meta.lastUpdated`: Keel declares `versioning: no-version`, so it is the only sign of a change) keeps
the struck "severe" diagnosis for good. FHIR R4 Meta.lastUpdated: "when the resource last changed"; the
Condition changed when the strike was written. Cause: `interop.fhir.condition.condition` stamps
`changed_at` of the assessment it is built from (`_diagnosing` dropped the struck one), never the strike
that changed what the resource says."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from keel.assessments.models import Assessment
from keel.assessments.services import correct_assessment, submit_assessment
from tests.conftest import World
from tests.review36g._setup import consent, fhir, token

pytestmark = pytest.mark.django_db


def _dsm5(world: World, criteria: int, days_ago: int) -> Assessment:
    """A DSM-5 by the counselor `days_ago` days ago meeting `criteria` of the 11, stored then (its row's
    time set back as history: the clock is not pinned)."""
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


def test_the_condition_after_a_strike_is_newer_than_the_one_sent_before(world: World) -> None:
    first = _dsm5(world, 2, days_ago=3)  # mild
    second = _dsm5(world, 11, days_ago=1)  # severe
    whole = consent(world, ["record"])
    secret = token(world)
    sent = fhir(f"/fhir/R4/Condition/oud-{first.pk}", secret, whole.pk).json()
    assert "severe" in sent["code"]["text"].lower()  # the hospital holds "severe"
    correct_assessment(
        by=world.staff["counselor"],
        patient_id=world.alice.pk,
        assessment_id=second.pk,
        entered_in_error=True,
        reason="Filed on the wrong person's record",
    )
    now = fhir(f"/fhir/R4/Condition/oud-{first.pk}", secret, whole.pk).json()
    before = datetime.fromisoformat(sent["meta"]["lastUpdated"])
    assert datetime.fromisoformat(now["meta"]["lastUpdated"]) > before
