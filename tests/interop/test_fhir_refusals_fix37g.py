"""Lane fix37g (review 37f hole 2): every refusal on /fhir/ is an OperationOutcome with its status. A read
the access policy refuses (`ActionNotAllowed`, her own account after a death) answered Django's HTML 403 page:
`outcomes._handle` caught `PatientNotFound` only. Now any refusal (the access policy's `NotAllowed` family,
Django's `PermissionDenied`, a 404) is a FHIR answer."""

import json
from datetime import timedelta

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.test import Client
from django.utils import timezone

from keel.access.errors import NotAllowed
from keel.accounts.services.tokens import create_token
from keel.interop.rest.outcomes import _handle
from keel.patients.models import Enrollment
from tests.conftest import World


def _after_a_death(world: World) -> str:
    secret = create_token(user=world.alice.user).secret
    Enrollment.objects.filter(patient=world.alice).update(
        ended_on=timezone.localdate() - timedelta(days=1), end_reason="deceased", status="ended"
    )
    return secret


def _issue_code(response: HttpResponse) -> str:
    return str(json.loads(response.content)["issue"][0]["code"])


def _raising(error: Exception) -> HttpResponse:
    def work() -> HttpResponse:
        raise error

    return _handle(HttpRequest(), work)


def test_a_refused_patient_read_is_a_403(world: World) -> None:
    secret = _after_a_death(world)
    response = Client().get(f"/fhir/R4/Patient/{world.alice.pk}", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 403


def test_a_refused_patient_read_is_fhir_json(world: World) -> None:
    secret = _after_a_death(world)
    response = Client().get(f"/fhir/R4/Patient/{world.alice.pk}", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response["Content-Type"].startswith("application/fhir+json")


def test_a_refused_patient_read_says_forbidden(world: World) -> None:
    secret = _after_a_death(world)
    response = Client().get(f"/fhir/R4/Patient/{world.alice.pk}", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert _issue_code(response) == "forbidden"


def test_a_refused_everything_is_a_403_operation_outcome(world: World) -> None:
    secret = _after_a_death(world)
    response = Client().get(
        f"/fhir/R4/Patient/{world.alice.pk}/$everything", HTTP_AUTHORIZATION=f"Bearer {secret}"
    )
    assert (response.status_code, _issue_code(response)) == (403, "forbidden")


def test_djangos_permission_denied_is_a_403_operation_outcome() -> None:
    response = _raising(PermissionDenied())
    assert (response.status_code, _issue_code(response)) == (403, "forbidden")


def test_an_access_refusal_not_a_permission_denied_is_a_403_operation_outcome() -> None:
    response = _raising(NotAllowed("no"))
    assert (response.status_code, _issue_code(response)) == (403, "forbidden")


def test_djangos_404_is_a_404_operation_outcome() -> None:
    response = _raising(Http404())
    assert (response.status_code, _issue_code(response)) == (404, "not-found")
