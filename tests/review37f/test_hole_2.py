"""Review 37f hole 2: a FHIR read the access policy refuses with ActionNotAllowed (her own account after a
death was recorded) answers Django's HTML 403 page instead of an OperationOutcome: every FHIR error is an
OperationOutcome (review 22f; `interop.rest.outcomes._handle` catches PatientNotFound, not
ActionNotAllowed)."""

from datetime import timedelta

from django.test import Client
from django.utils import timezone

from keel.accounts.services.tokens import create_token
from keel.patients.models import Enrollment
from tests.conftest import World


def test_a_refused_fhir_read_answers_an_operation_outcome(world: World) -> None:
    secret = create_token(user=world.alice.user).secret
    Enrollment.objects.filter(patient=world.alice).update(
        ended_on=timezone.localdate() - timedelta(days=1), end_reason="deceased", status="ended"
    )
    response = Client().get(f"/fhir/R4/Patient/{world.alice.pk}", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response["Content-Type"].startswith("application/fhir+json")
