"""Issue #14, "A record that leaves is a disclosure": program admins cannot export clinical content, and a
staff export needs a basis. The FHIR read API's Patient/$everything is another route to the same Bundle."""

from typing import Any

import pytest

CLINICAL = {
    "EpisodeOfCare",
    "Condition",
    "MedicationRequest",
    "MedicationAdministration",
    "QuestionnaireResponse",
    "Observation",
    "Consent",
    "Provenance",
}


@pytest.mark.django_db
def test_program_admin_cannot_pull_clinical_record_through_fhir_everything(
    world: Any, signed_in: Any
) -> None:
    client = signed_in("program_admin")
    response = client.get(
        f"/fhir/R4/Patient/{world.alice.pk}/$everything", HTTP_ACCEPT="application/fhir+json"
    )
    if response.status_code != 200:
        return  # refused: fine
    types = {e["resource"]["resourceType"] for e in response.json().get("entry", [])}
    assert not (types & CLINICAL), f"program admin got clinical content via $everything: {sorted(types)}"
