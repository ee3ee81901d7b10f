"""Review 30c, hole 2: a token learns a death no release gave it. A staff member's API token bound to a
recipient only releases under a consent naming that recipient (`policy.bound_token_may`) and never declares a
medical emergency (review 22g, `refuse_token_emergency`). On `/disclosures` the death check
(`refuse_after_death`, review 28a H8) runs before the token's refusal, so the same request is answered
"a token never declares an emergency" (403) for a living person and "the record shows the patient died"
(422, naming `basis`) once a death is recorded: the recipient's system, with no consent of hers, learns she
died (42 CFR 2.13(a), HIPAA 164.502(b)). The token's refusal should come first, the same for both."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def _emergency() -> dict[str, object]:
    return {
        "basis": "emergency",
        "categories": ["medication"],
        "recipient_name": "Dr. Lena Ortega",
        "recipient_role": "physician",
        "recipient_affiliation": "Eastside General Hospital emergency department",
        "nature": "unresponsive after an overdose, the treating physician needs the current methadone dose",
        "password": PASSWORD,
    }


def _ask(client, patient_id: int, secret: str):
    return client.post(
        f"/api/v1/patients/{patient_id}/disclosures",
        _emergency(),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )


def test_a_token_is_not_told_a_death_by_an_emergency_it_may_not_declare(world, client):
    from keel.accounts import services as accounts
    from keel.patients.models import EndReason, Enrollment, EnrollmentStatus, death_recorded

    nurse, alice = world.staff["nurse"], world.alice
    secret = accounts.create_token(user=nurse, name="eastside", recipient_name="Eastside Clinic").secret
    living = _ask(client, alice.pk, secret)
    assert living.status_code == 403, living.content  # a token never declares an emergency
    Enrollment.objects.filter(patient=alice).update(
        status=EnrollmentStatus.ENDED,
        ended_on=timezone.localdate() - timedelta(days=1),
        end_reason=EndReason.DECEASED,
    )
    assert death_recorded(alice.pk)
    dead = _ask(client, alice.pk, secret)
    assert (dead.status_code, dead.content) == (living.status_code, living.content), (
        f"the token learned her death: {dead.status_code} {dead.content!r}"
    )
