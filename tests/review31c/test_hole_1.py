"""Hole 1: a FHIR read by a token issued for no recipient tells whether a consent id exists in its staff
member's scope (403 "issued for no recipient" for a real consent, 422 "no such consent" for an id nobody
has); the JSON API refuses such a token before any consent is looked up (`token_first`)."""

from __future__ import annotations

from keel.core import sharing as core
from tests.conftest import World
from tests.review31b._setup import consent_for_alice
from tests.review31c._setup import counselor_token, fhir_get


def test_unbound_token_hears_the_same_for_a_real_consent_and_an_id_nobody_has(world: World) -> None:
    court = consent_for_alice(world, "County Drug Court", [core.RECORD])
    secret = counselor_token(world, "")
    real = fhir_get(f"/fhir/R4/Patient/{world.alice.pk}", secret, str(court.pk))
    nobody = fhir_get(f"/fhir/R4/Patient/{world.alice.pk}", secret, str(court.pk + 1000))
    assert (real.status_code, real.content) == (nobody.status_code, nobody.content)
