"""Lane fix38j item 3: a resolved suicide-risk flag put back before the care team by a correction that raises
item 9 (lane fix38d, `patients.flags.follow_result`) is an open flag again wherever the care team looks: her
page and the flags API, the caseload page and the caseload API."""

from __future__ import annotations

import pytest
from django.test import Client

from keel.assessments.models import Assessment
from keel.assessments.services import correct_assessment, correction_version, submit_assessment
from keel.patients.models import FlagKind, PatientFlag
from keel.patients.services.flags import resolve_flag
from tests.conftest import World, sign_in
from tests.factories import pinned_at_last_five_pm_utc

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock():
    yield from pinned_at_last_five_pm_utc()


def _phq9(item9: int) -> dict[str, int]:
    return {f"phq9_{i}": 1 for i in range(1, 9)} | {"phq9_9": item9}


def _reopened(world: World) -> PatientFlag:
    """Item 9 of 1, the flag resolved after the visit, then item 9 corrected to 3: the flag open again."""
    screen, _ = submit_assessment(
        by=world.staff["nurse"], patient_id=world.alice.pk, instrument="phq9", answers=_phq9(1)
    )
    flag = PatientFlag.objects.get(kind=FlagKind.SUICIDE_RISK, source_type="assessment", source_id=screen.pk)
    resolve_flag(by=world.staff["prescriber"], patient_id=world.alice.pk, flag_id=flag.pk, note="Seen today")
    correct_assessment(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        assessment_id=screen.pk,
        answers=_phq9(3),
        reason="Item 9 on the paper form was keyed wrong",
        read_version=correction_version(Assessment.objects.get(pk=screen.pk)),
    )
    flag.refresh_from_db()
    assert flag.resolved_at is None  # the set-up: reopened (lane fix38d)
    return flag


def test_her_page_shows_the_reopened_flag_to_the_care_team(world: World) -> None:
    flag = _reopened(world)
    page = sign_in(Client(), world.staff["nurse"]).get(f"/patients/{world.alice.pk}/").content.decode()
    assert f'id="flag-{flag.pk}"' in page


def test_the_flags_api_lists_the_reopened_flag_as_open(world: World) -> None:
    flag = _reopened(world)
    rows = sign_in(Client(), world.staff["nurse"]).get(f"/api/v1/patients/{world.alice.pk}/flags").json()
    assert next(r for r in rows if r["id"] == flag.pk)["resolved_at"] is None


def test_the_caseload_page_names_the_reopened_flag(world: World) -> None:
    _reopened(world)
    page = sign_in(Client(), world.staff["nurse"]).get("/patients/").content.decode()
    assert "Positive suicide screen (open flag)" in page


def test_the_caseload_api_puts_her_first_for_the_reopened_flag(world: World) -> None:
    _reopened(world)
    rows = sign_in(Client(), world.staff["nurse"]).get("/api/v1/caseload").json()
    assert next(r for r in rows if r["id"] == world.alice.pk)["tier"] == "now"
