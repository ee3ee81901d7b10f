"""Review 26b: the patient's accounting of an emergency disclosure, in Spanish (see HOLES.md, H11)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from keel.sharing.models import Disclosure
from tests.conftest import PASSWORD, World


def _emergency_by_page(world: World, signed_in: Any) -> Any:
    """The prescriber discloses Alice's medication to Mercy Hospital's ED on the page (2.51)."""
    return signed_in("prescriber").post(
        reverse("sharing:disclose", args=[world.alice.pk]),
        {
            "basis": "emergency",
            "recipient_name": "Dr. Ana Ruiz",
            "recipient_role": "physician",
            "recipient_affiliation": "Mercy Hospital",
            "recipient_facility_kind": "",
            "nature": "opioid overdose, unresponsive, naloxone given twice",
            "categories": ["medication"],
            "password": PASSWORD,
        },
    )


def test_h11_set_up_the_emergency_disclosure_is_recorded(world: World, signed_in: Any) -> None:
    """Control for H11: the page records the emergency disclosure."""
    _emergency_by_page(world, signed_in)
    assert Disclosure.objects.filter(patient=world.alice, basis="emergency").count() == 1


def test_h11_the_patients_spanish_accounting_says_what_left_in_english(world: World, signed_in: Any) -> None:
    """H11. What happens: after an emergency disclosure, Alice reads her accounting of disclosures in Spanish
    (/me/sharing/, Accept-Language es) and the "What" column says "Progress report: Medicine and dose ..."
    in English: `Disclosure.description` is an English sentence written when the record left and shown as
    stored. What should: what left is said in the reader's language (the categories are stored: say them
    through the catalogue), like the kind of place of care already is."""
    _emergency_by_page(world, signed_in)
    page = signed_in("patient").get(reverse("sharing:mine"), HTTP_ACCEPT_LANGUAGE="es")
    assert "Progress report" not in page.content.decode()


def test_h12_a_double_submitted_emergency_form_records_two_disclosures(world: World, signed_in: Any) -> None:
    """H12. What happens: the ED is on the phone, the prescriber presses "Disclose" twice; the same emergency
    form posted twice back to back records two disclosures (two accounting rows for Alice, two documents,
    two program-admin reviews), both answered 200. What should: the second identical post of one form is
    recognised as the same request (as the API's idempotent replay and the appointment page's double submit
    are) and records nothing more."""
    _emergency_by_page(world, signed_in)
    _emergency_by_page(world, signed_in)
    assert Disclosure.objects.filter(patient=world.alice, basis="emergency").count() == 1
