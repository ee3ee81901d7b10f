"""Review 33b hole 2: break-the-glass opens the sender of an imported questionnaire (a drug court) through
FHIR Provenance, though the same emergency access is refused her consents (review 19b) and a release to a
recipient no longer names the sender (review 32c H1)."""

from __future__ import annotations

from django.test import Client

from keel.accounts import services
from tests.conftest import PASSWORD, World, sign_in
from tests.review33b._setup import COURT, court_phq9


def _glass_broken(world: World) -> Client:
    """A Riverside nurse on no care team of Alice's opens her record for a medical emergency."""
    nurse, _device = services.create_user(
        username="r-nurse-float", role="nurse", password=PASSWORD, program_slug="riverside"
    )
    client = sign_in(Client(), nurse)
    opened = client.post(
        "/api/v1/emergency-access",
        {"record_number": "RR-0001", "reason": "found unresponsive in the lobby", "password": PASSWORD},
        content_type="application/json",
    )
    assert opened.status_code == 201
    return client


def test_emergency_provenance_names_no_sending_system(world: World) -> None:
    court_phq9(world, sign_in(Client(), world.staff["counselor"]))
    found = _glass_broken(world).get(f"/fhir/R4/Provenance?patient={world.alice.pk}")
    assert found.status_code == 200
    assert COURT not in found.content.decode()


def test_emergency_provenance_names_no_senders_author(world: World) -> None:
    court_phq9(world, sign_in(Client(), world.staff["counselor"]))
    found = _glass_broken(world).get(f"/fhir/R4/Provenance?patient={world.alice.pk}")
    assert "County Drug Court case manager" not in found.content.decode()
