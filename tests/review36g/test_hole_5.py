"""Review 36g hole 5: a hospital's system that POSTs to /fhir/R4/ with its Bearer token (a FHIR search by
POST, `POST Observation/_search`, which FHIR clients fall back to for long queries; or a create, `POST
Observation`) gets Django's HTML "Not allowed" page (403, text/html, the CSRF refusal), never an
OperationOutcome: its FHIR client cannot read why. FHIR R4 http: errors are OperationOutcome in the
requested format; Keel's own rule answers a write to this read-only API with a 405 OperationOutcome
("read-only: GET only", `params._check_request`), which is never reached. Cause: the read and search views
(`interop.rest.reads.read`, `searches.search`) are not `csrf_exempt` as `$everything` is, so
`CsrfViewMiddleware` answers a token's POST before them (a token carries no CSRF cookie; a session's POST
would still be refused by the method check)."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.conftest import World
from tests.review36g._setup import consent, token

pytestmark = pytest.mark.django_db


def _post(world: World, path: str) -> tuple[int, str]:
    """The status and Content-Type of the token's POST of `patient=<alice>` to `path`."""
    whole = consent(world, ["record"])
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        path,
        f"patient={world.alice.pk}",
        content_type="application/x-www-form-urlencoded",
        HTTP_AUTHORIZATION=f"Bearer {token(world)}",
        HTTP_KEEL_CONSENT=str(whole.pk),
    )
    return response.status_code, response["Content-Type"]


def test_a_search_by_post_is_answered_in_fhir(world: World) -> None:
    assert _post(world, "/fhir/R4/Observation/_search")[1] == "application/fhir+json"


def test_a_create_is_a_405_operation_outcome(world: World) -> None:
    assert _post(world, "/fhir/R4/Observation")[0] == 405
