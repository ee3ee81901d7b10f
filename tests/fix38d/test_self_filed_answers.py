"""Lane fix38d item 2 (review 38d hole 3): a result the person filed about herself is not rewritten by staff
(she fills it in again); staff may strike it (entered in error) with a reason. One check
(`policy.filed_by_the_person`, through `services.correct_assessment`) for the page and the API; the FHIR
author is the role stored when it was filed, not the author's role today."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import translation

from keel.access.policy import filed_by_the_person
from keel.accounts.models import User
from keel.assessments.errors import AssessmentInvalid
from keel.assessments.fhir import author_ref
from keel.assessments.models import AssessmentCorrection
from keel.assessments.queries import get_assessment
from keel.assessments.services import SELF_FILED, correct_assessment, submit_assessment
from tests.factories import pinned_at_last_five_pm_utc
from tests.review33e._setup import browser, form_of


@pytest.fixture(autouse=True)
def _clock():
    yield from pinned_at_last_five_pm_utc()


WHY = "She told me in session she meant never, not more than half the days"


def _phq9(item9: int) -> dict[str, int]:
    return {f"phq9_{i}": 1 for i in range(1, 9)} | {"phq9_9": item9}


def _her_own(world):
    screen, _ = submit_assessment(by=world.alice.user, patient_id=None, instrument="phq9", answers=_phq9(2))
    return screen


def _rewrite(world, screen, **kw: Any):
    return correct_assessment(
        by=world.staff["counselor"],
        patient_id=world.alice.pk,
        assessment_id=screen.pk,
        reason=WHY,
        read_version=0,
        **({"answers": _phq9(0)} | kw),
    )


def _api(world, signed_in, screen, body: dict[str, Any]) -> Any:
    url = f"/api/v1/patients/{world.alice.pk}/assessments/{screen.pk}/corrections"
    return signed_in("counselor").post(url, body, content_type="application/json")


def test_the_policy_says_a_patients_filing_is_hers():
    assert filed_by_the_person("patient")


def test_the_policy_says_a_nurses_filing_is_not_hers():
    assert not filed_by_the_person("nurse")


def test_rewriting_her_answers_is_refused_naming_the_answers(world):
    screen = _her_own(world)
    with pytest.raises(AssessmentInvalid) as refused:
        _rewrite(world, screen)
    assert [e.field for e in refused.value.errors] == ["answers"]


def test_nothing_is_written_when_her_answers_are_refused(world):
    screen = _her_own(world)
    with pytest.raises(AssessmentInvalid):
        _rewrite(world, screen)
    assert not AssessmentCorrection.objects.filter(assessment=screen).exists()


def test_her_own_filing_may_be_struck_with_a_reason(world):
    screen = _her_own(world)
    _rewrite(world, screen, answers=None, entered_in_error=True)
    assert AssessmentCorrection.objects.filter(assessment=screen, entered_in_error=True).exists()


def test_the_refusal_says_she_can_fill_it_in_again():
    assert "fill it in again" in SELF_FILED


def test_the_refusal_speaks_spanish():
    with translation.override("es"):
        said = translation.gettext(SELF_FILED)
    assert "llenarla de nuevo" in said


def test_the_api_refuses_rewriting_her_answers_with_422(world, signed_in):
    screen = _her_own(world)
    response = _api(world, signed_in, screen, {"answers": _phq9(0), "reason": WHY, "correction_version": 0})
    assert response.status_code == 422


def test_the_api_names_the_answers(world, signed_in):
    screen = _her_own(world)
    response = _api(world, signed_in, screen, {"answers": _phq9(0), "reason": WHY, "correction_version": 0})
    assert "answers" in [e.get("field") for e in response.json().get("errors", [])], response.json()


def test_the_api_strikes_her_own_filing(world, signed_in):
    screen = _her_own(world)
    response = _api(
        world, signed_in, screen, {"entered_in_error": True, "reason": WHY, "correction_version": 0}
    )
    assert response.status_code == 201


def test_the_page_refuses_rewriting_her_answers_with_422(world):
    screen = _her_own(world)
    form = {**form_of(_phq9(0), WHY), "correction_version": "0"}
    page = browser(world, "counselor").post(
        f"/patients/{world.alice.pk}/assessments/{screen.pk}/corrections/", form
    )
    assert (page.status_code, "fill it in again" in page.content.decode()) == (422, True)


def test_the_page_offers_no_answers_to_change_on_her_own_filing(world):
    screen = _her_own(world)
    page = browser(world, "counselor").get(f"/patients/{world.alice.pk}/assessments/{screen.pk}/")
    assert 'value="answers"' not in page.content.decode()


def test_the_page_still_offers_to_strike_her_own_filing(world):
    screen = _her_own(world)
    page = browser(world, "counselor").get(f"/patients/{world.alice.pk}/assessments/{screen.pk}/")
    assert 'name="kind" value="error"' in page.content.decode()


def test_the_fhir_author_is_the_role_stored_when_filed(world):
    screen, _ = submit_assessment(
        by=world.staff["nurse"], patient_id=world.alice.pk, instrument="phq9", answers=_phq9(0)
    )
    User.objects.filter(pk=world.staff["nurse"].pk).update(role="patient")  # her role today, changed
    row = get_assessment(world.staff["counselor"], patient_id=world.alice.pk, assessment_id=screen.pk)
    assert author_ref(row) == {"reference": f"Practitioner/{world.staff['nurse'].pk}"}
