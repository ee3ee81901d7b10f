"""Lane perf28 (noticed while measuring dead27's check, bench/death_check.py): after a death that landed by
another path than the discharge service (an episode ended `deceased` by hand, her account left on), her own
`/api/v1/me` and check-ins are refused (`policy.own_patient_or_404`), but her own FHIR read of her Patient
resource, by token or by session, still answers 200: `/fhir/R4/` takes a patient's record through
`policy.get_patient_or_404` (the ORM's `patients_visible_to`), which does not ask `death_recorded`. Closed:
`get_patient_or_404` asks `death_recorded` for a patient's or self-guided account's own record."""

from __future__ import annotations

import pytest
from django.test import Client

from keel.accounts.services import create_token
from keel.patients.models import EndReason, Enrollment, EnrollmentStatus, local_today
from tests.conftest import World, sign_in

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("what", ["", "/$everything"])
@pytest.mark.parametrize("by", ["token", "session"])
def test_her_own_fhir_read_refuses_after_a_death_by_another_path(world: World, by: str, what: str) -> None:
    if by == "token":
        client = Client()
        headers = {"HTTP_AUTHORIZATION": f"Bearer {create_token(user=world.alice.user, name='phone').secret}"}
    else:
        client, headers = sign_in(Client(), world.alice.user), {}
    assert client.get(f"/fhir/R4/Patient/{world.alice.pk}{what}", **headers).status_code == 200
    Enrollment.objects.filter(patient=world.alice, status=EnrollmentStatus.ACTIVE).update(
        status=EnrollmentStatus.ENDED, ended_on=local_today(world.alice), end_reason=EndReason.DECEASED
    )
    assert client.get(f"/fhir/R4/Patient/{world.alice.pk}{what}", **headers).status_code in (403, 404)
