"""A FHIR read refused keeps the id in its audit row only when it has a shape Keel writes (digits, or
`dose-12`, `assessment-7-total`…): a name typed where an id goes passes FHIR's id check ("Quintanilla" is
a valid FHIR id) but is never copied into the row (review 19d, the case left open by its fix)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from keel.audit.models import AuditEvent
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db


def _denied_target(world: Any, path: str) -> str:
    client = sign_in(Client(), world.staff["nurse"])
    answer = client.get(path, HTTP_ACCEPT="application/fhir+json")
    assert answer.status_code == 404
    return AuditEvent.objects.filter(target_type="fhir", outcome="denied").latest("id").target_id


@pytest.mark.parametrize(
    "path",
    [
        "/fhir/R4/Patient/Quintanilla",
        "/fhir/R4/MedicationAdministration/Quintanilla-relapsed",
        "/fhir/R4/Observation/maria.lopez",
        "/fhir/R4/Organization/Quintanilla",
    ],
)
def test_a_name_where_an_id_goes_is_not_kept(world: Any, path: str) -> None:
    target = _denied_target(world, path)
    assert path.rsplit("/", 1)[1] not in target


@pytest.mark.parametrize(
    "path",
    ["/fhir/R4/Patient/987654", "/fhir/R4/MedicationAdministration/dose-987654"],
)
def test_an_id_keel_writes_is_kept(world: Any, path: str) -> None:
    assert _denied_target(world, path).endswith(path.split("/R4/", 1)[1])
