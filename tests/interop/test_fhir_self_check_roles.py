"""One definition of a self-check (`keel.assessments.queries.SELF_CHECK_ROLES`, the patient's and a
self-guided account's): the Condition's `verificationStatus` reads it as `record._diagnosing` does (lane
fix37a noticed that a self-guided author's DSM-5 result was sent as `confirmed`)."""

from __future__ import annotations

import pytest

from keel.accounts.models import User
from keel.assessments.models import Assessment
from keel.assessments.services import submit_assessment
from keel.interop.fhir.condition import condition
from tests.conftest import World

pytestmark = pytest.mark.django_db
MODERATE = {f"dsm5_{i}": int(i <= 4) for i in range(1, 12)}


def _own_result(world: World, role: str) -> Assessment:
    submit_assessment(by=world.alice.user, patient_id=world.alice.pk, instrument="dsm5-oud", answers=MODERATE)
    User.objects.filter(pk=world.alice.user.pk).update(role=role)
    return Assessment.objects.select_related("filled_by").get(patient=world.alice, instrument="dsm5-oud")


@pytest.mark.parametrize("role", ["patient", "self_guided"])
def test_her_own_result_is_provisional_whatever_her_accounts_role(world: World, role: str) -> None:
    status = condition(_own_result(world, role))["verificationStatus"]["coding"][0]["code"]
    assert status == "provisional"


def test_a_clinicians_result_is_confirmed(world: World) -> None:
    submit_assessment(
        by=world.staff["prescriber"], patient_id=world.alice.pk, instrument="dsm5-oud", answers=MODERATE
    )
    a = Assessment.objects.select_related("filled_by").get(patient=world.alice, instrument="dsm5-oud")
    assert condition(a)["verificationStatus"]["coding"][0]["code"] == "confirmed"
