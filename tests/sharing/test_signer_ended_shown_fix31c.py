"""Lane fix31c (review 31c H2, H3): a consent whose signer's authority ended at the death (a guardian's,
health-care agent's or parent's, signed for her with no signature of her own) is shown as a release treats
it: "signer_ended" on the sharing API, "Its signer can no longer consent" on the staff page (Spanish too),
FHIR `Consent.status` `inactive`; one she signed herself, alone or next to her representative, stays
"active" and keeps releasing (42 CFR 2.14(b); lane dead29a). One rule, `Consent.signer_authority_ended`."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from keel.core import sharing as core
from keel.sharing.models import Consent
from tests.conftest import World
from tests.patients.test_undo_death_dead29b import _record_death, _undo
from tests.review31b._setup import consent_for_alice
from tests.review31c._setup import disclose_enrollment

pytestmark = pytest.mark.django_db
GUARDIAN = {
    "representative_name": "Gina Guard",
    "representative_relationship": "guardian",
    "representative_authority": "Letters of guardianship, county probate court",
}


def _guardians(world: World, **also: str) -> Consent:
    return consent_for_alice(world, "Harbor Clinic", ["enrollment"], **{**GUARDIAN, **also})


def _status(client: Client, world: World, consent: Consent) -> str:
    shown = client.get(f"/api/v1/patients/{world.alice.pk}/sharing").json()["consents"]
    return str(next(c["status"] for c in shown if c["id"] == consent.pk))


def _fhir_status(client: Client, consent: Consent) -> Any:
    return client.get(f"/fhir/R4/Consent/consent-{consent.pk}").json().get("status")


# --- the pure rule ------------------------------------------------------------------------------------


@pytest.mark.parametrize("signed_by", ["parent", "guardian", "health_care_agent"])
def test_her_own_signature_beside_her_representatives_holds_after_the_death(signed_by: str) -> None:
    assert not core.signer_authority_ended(signed_by, deceased=True, patient_signed=True)


def test_an_active_consent_whose_signer_lost_authority_is_shown_signer_ended() -> None:
    assert core.shown_status("active", authority_ended=True) == core.SIGNER_ENDED


@pytest.mark.parametrize("state", ["revoked", "expired"])
def test_a_revocation_or_an_end_is_shown_as_before(state: str) -> None:
    assert core.shown_status(state, authority_ended=True) == state


def test_an_active_consent_with_its_signer_is_shown_active() -> None:
    assert core.shown_status("active", authority_ended=False) == "active"


# --- the sharing API and page -------------------------------------------------------------------------


def test_the_guardians_consent_is_active_while_she_lives(world: World, signed_in: Any) -> None:
    consent = _guardians(world)
    assert _status(signed_in("nurse"), world, consent) == "active"


def test_the_guardians_consent_is_shown_signer_ended_after_the_death(world: World, signed_in: Any) -> None:
    consent = _guardians(world)
    _record_death(world)
    assert _status(signed_in("nurse"), world, consent) == core.SIGNER_ENDED


def test_the_guardians_consent_is_active_again_once_the_death_is_undone(world: World, signed_in: Any) -> None:
    consent = _guardians(world)
    _record_death(world)
    _undo(world)
    assert _status(signed_in("nurse"), world, consent) == "active"


def test_a_consent_she_cosigned_stays_active_after_the_death(world: World, signed_in: Any) -> None:
    consent = _guardians(world, patient_signature="Alicia Zamorano")
    _record_death(world)
    assert _status(signed_in("nurse"), world, consent) == "active"


def test_a_consent_she_cosigned_with_her_guardian_releases_after_the_death(
    world: World, signed_in: Any
) -> None:
    consent = _guardians(world, patient_signature="Alicia Zamorano")
    _record_death(world)
    assert disclose_enrollment(signed_in("nurse"), world, consent.pk, "Harbor Clinic").status_code == 201


def test_the_guardians_consent_alone_is_still_refused_after_the_death(world: World, signed_in: Any) -> None:
    consent = _guardians(world)
    _record_death(world)
    assert disclose_enrollment(signed_in("nurse"), world, consent.pk, "Harbor Clinic").status_code == 422


@pytest.mark.parametrize(
    ("language", "words"),
    [("en", "Its signer can no longer consent"), ("es", "Quien lo firmó ya no puede dar su consentimiento")],
)
def test_the_page_says_its_signer_can_no_longer_consent(
    world: World, signed_in: Any, language: str, words: str
) -> None:
    _guardians(world)
    _record_death(world)
    page = signed_in("nurse").get(f"/patients/{world.alice.pk}/sharing/", HTTP_ACCEPT_LANGUAGE=language)
    assert words in page.content.decode()


def test_the_page_offers_no_disclosure_under_it(world: World, signed_in: Any) -> None:
    consent = _guardians(world)
    _record_death(world)
    page = signed_in("nurse").get(f"/patients/{world.alice.pk}/sharing/").content.decode()
    assert f'name="consent" value="{consent.pk}"' not in page


# --- the FHIR Consent ---------------------------------------------------------------------------------


def test_the_fhir_consent_of_the_guardian_is_active_while_she_lives(world: World, signed_in: Any) -> None:
    consent = consent_for_alice(world, "Harbor Clinic", [core.RECORD], **GUARDIAN)
    assert _fhir_status(signed_in("nurse"), consent) == "active"


def test_the_fhir_consent_of_the_guardian_is_inactive_after_the_death(world: World, signed_in: Any) -> None:
    consent = consent_for_alice(world, "Harbor Clinic", [core.RECORD], **GUARDIAN)
    _record_death(world)
    assert _fhir_status(signed_in("nurse"), consent) == "inactive"


def test_the_fhir_consent_she_signed_herself_stays_active_after_the_death(
    world: World, signed_in: Any
) -> None:
    consent = consent_for_alice(world, "Harbor Clinic", [core.RECORD])
    _record_death(world)
    assert _fhir_status(signed_in("nurse"), consent) == "active"
