"""Lane fix37a (re-attack 36m-2, 36m-3): an OUD Condition once sent never becomes a 404 while the person's
record is readable. A later result that does "not meet the criteria", or the result corrected below two
criteria, sends it `refuted` (FHIR R4: ruled out by clinical evidence); a struck result, even under a later
"not meet", sends it `entered-in-error`. Its `meta.lastUpdated` is the moment that changed it, also when a
clinician's struck result hands it over to the person's own self-check."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from keel.accounts.models import User
from keel.assessments.models import Assessment, AssessmentCorrection
from keel.assessments.services import correct_assessment, submit_assessment
from tests.conftest import World
from tests.fhir_r4 import assert_valid_r4
from tests.review36g._setup import consent, fhir, token

pytestmark = pytest.mark.django_db


def _dsm5(world: World, criteria: int, days_ago: int, by: User | None = None) -> Assessment:
    """A DSM-5 meeting `criteria` of the 11, `days_ago` days ago (its row's time set back as history)."""
    at = timezone.now() - timedelta(days=days_ago)
    a, _ = submit_assessment(
        by=by or world.staff["counselor"],
        patient_id=world.alice.pk,
        instrument="dsm5-oud",
        answers={f"dsm5_{n}": int(n <= criteria) for n in range(1, 12)},
        filled_at=at,
    )
    Assessment.objects.filter(pk=a.pk).update(created_at=at)
    a.refresh_from_db()
    return a


def _strike(world: World, a: Assessment) -> AssessmentCorrection:
    return correct_assessment(
        by=world.staff["counselor"],
        patient_id=world.alice.pk,
        assessment_id=a.pk,
        entered_in_error=True,
        reason="Filed on the wrong person's record",
    )


def _read(world: World, first: Assessment) -> Any:
    return fhir(f"/fhir/R4/Condition/oud-{first.pk}", token(world), consent(world, ["record"]).pk)


def _sent(world: World, first: Assessment) -> None:
    """The hospital's system reads the Condition while the diagnosis stands."""
    assert _read(world, first).status_code == 200


def _status(found: dict[str, Any]) -> str:
    return str(found["verificationStatus"]["coding"][0]["code"])


def _updated(found: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(found["meta"]["lastUpdated"])


def _searched(world: World) -> list[dict[str, Any]]:
    bundle = fhir("/fhir/R4/Condition", token(world), consent(world, ["record"]).pk, patient=world.alice.pk)
    return [e["resource"] for e in bundle.json().get("entry", [])]


def _refuted_by_a_later_none(world: World) -> tuple[Assessment, Assessment]:
    first = _dsm5(world, 6, days_ago=3)
    _sent(world, first)
    return first, _dsm5(world, 0, days_ago=1)


def test_a_later_not_met_leaves_the_condition_readable(world: World) -> None:
    first, _ = _refuted_by_a_later_none(world)
    assert _read(world, first).status_code == 200


def test_a_later_not_met_sends_the_condition_refuted(world: World) -> None:
    first, _ = _refuted_by_a_later_none(world)
    assert _status(_read(world, first).json()) == "refuted"


def test_the_refuted_condition_is_no_longer_active(world: World) -> None:
    """R4 con-3: a problem-list Condition not entered in error keeps a clinicalStatus: inactive."""
    first, _ = _refuted_by_a_later_none(world)
    assert _read(world, first).json()["clinicalStatus"]["coding"][0]["code"] == "inactive"


def test_the_refuted_condition_is_valid_r4(world: World) -> None:
    first, _ = _refuted_by_a_later_none(world)
    assert_valid_r4(_read(world, first).json())


def test_the_refuted_condition_is_last_updated_when_the_later_result_was_entered(world: World) -> None:
    first, later = _refuted_by_a_later_none(world)
    assert _updated(_read(world, first).json()) == later.created_at.replace(microsecond=0)


def test_a_search_lists_the_refuted_condition(world: World) -> None:
    _refuted_by_a_later_none(world)
    assert [_status(c) for c in _searched(world)] == ["refuted"]


def test_struck_then_a_later_not_met_stays_entered_in_error(world: World) -> None:
    first = _dsm5(world, 11, days_ago=3)
    _sent(world, first)
    _strike(world, first)
    _dsm5(world, 0, days_ago=1)
    assert [_status(c) for c in _searched(world)] == ["entered-in-error"]


def test_struck_then_a_later_not_met_is_still_read(world: World) -> None:
    first = _dsm5(world, 11, days_ago=3)
    _strike(world, first)
    _dsm5(world, 0, days_ago=1)
    assert _read(world, first).status_code == 200


def _corrected_below_two(world: World) -> tuple[Assessment, AssessmentCorrection]:
    first = _dsm5(world, 4, days_ago=2)
    _sent(world, first)
    fix = correct_assessment(
        by=world.staff["counselor"],
        patient_id=world.alice.pk,
        assessment_id=first.pk,
        answers={f"dsm5_{n}": int(n <= 1) for n in range(1, 12)},
        reason="Two answers were ticked on the wrong line",
    )
    return first, fix


def test_a_result_corrected_below_two_criteria_sends_the_condition_refuted(world: World) -> None:
    first, _ = _corrected_below_two(world)
    assert _status(_read(world, first).json()) == "refuted"


def test_the_condition_corrected_below_two_criteria_keeps_the_code_it_was_sent_with(world: World) -> None:
    """The hospital matches what it holds by the code: the moderate F11.20 it was sent, now refuted."""
    first, _ = _corrected_below_two(world)
    codes = [c["code"] for c in _read(world, first).json()["code"]["coding"]]
    assert "F11.20" in codes


def test_the_condition_corrected_below_two_criteria_is_last_updated_at_the_correction(world: World) -> None:
    first, fix = _corrected_below_two(world)
    assert _updated(_read(world, first).json()) == fix.corrected_at.replace(microsecond=0)


def test_a_clinicians_not_met_after_her_own_self_check_leaves_it_refuted(world: World) -> None:
    """Her own self-check's provisional diagnosis was sent; a clinician's later "not met" outranks it."""
    own = _dsm5(world, 6, days_ago=3, by=world.alice.user)
    _sent(world, own)
    _dsm5(world, 0, days_ago=1)
    assert _status(_read(world, own).json()) == "refuted"


def _handed_over(world: World) -> tuple[Assessment, AssessmentCorrection]:
    """A clinician's diagnosis three days ago, her own self-check yesterday; the clinician's struck today:
    the Condition is the self-check's from the strike on."""
    first = _dsm5(world, 11, days_ago=3)
    _dsm5(world, 4, days_ago=1, by=world.alice.user)
    _sent(world, first)
    return first, _strike(world, first)


def test_a_strike_handing_over_to_her_self_check_sends_the_self_check(world: World) -> None:
    first, _ = _handed_over(world)
    assert _status(_read(world, first).json()) == "provisional"


def test_a_strike_handing_over_to_her_self_check_is_last_updated_at_the_strike(world: World) -> None:
    first, fix = _handed_over(world)
    assert _updated(_read(world, first).json()) == fix.corrected_at.replace(microsecond=0)


def test_the_earlier_diagnosis_struck_last_is_when_the_condition_changed(world: World) -> None:
    """The later diagnosis struck first (the earlier stands again), then the earlier: the Condition is the
    later one entered in error from the second strike on."""
    first = _dsm5(world, 2, days_ago=3)
    earlier = _strike(world, _dsm5(world, 11, days_ago=1))
    an_hour_ago = timezone.now() - timedelta(hours=1)  # the first strike set back as history
    AssessmentCorrection.objects.filter(pk=earlier.pk).update(corrected_at=an_hour_ago)
    _dsm5(world, 0, days_ago=0)
    fix = _strike(world, first)
    assert _updated(_read(world, first).json()) == fix.corrected_at.replace(microsecond=0)
