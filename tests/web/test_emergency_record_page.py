"""The record seen through emergency access offers only what emergency access may do (SECURITY.md T12): the
services refuse the rest (`EMERGENCY_MAY_NOT`), so the page does not offer a button that can only be refused
in an emergency. Reading stays: the results of every instrument, the medication and sharing pages."""

from __future__ import annotations

import pytest
from django.test import Client

from keel.sharing.services import emergency_access
from tests.conftest import PASSWORD, World, sign_in

pytestmark = pytest.mark.django_db


def _emergency_page(world: World, role: str = "nurse") -> str:
    user = world.staff[role]
    emergency_access(
        by=user, record_number="RR-0002", reason="collapsed in the lobby, checking", password=PASSWORD
    )
    response = sign_in(Client(), user).get(f"/patients/{world.bob.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def _team_page(world: World) -> str:
    return sign_in(Client(), world.staff["nurse"]).get(f"/patients/{world.alice.pk}/").content.decode()


@pytest.mark.parametrize(
    "offered",
    [
        "/activation-code/",
        "/password-reset-code/",
        "Reset two-step sign-in",
        "Change contact details and language",
        "Add a photo for the dosing window",
        "Code for the person's own Keel account to join this record",
    ],
)
def test_an_action_emergency_access_may_not_take_is_not_offered(world: World, offered: str) -> None:
    assert offered not in _emergency_page(world)


@pytest.mark.parametrize(
    "offered",
    [
        "/password-reset-code/",
        "Reset two-step sign-in",
        "Change contact details and language",
        "Add a photo for the dosing window",
        "Code for the person's own Keel account to join this record",
    ],
)
def test_the_care_team_is_still_offered_it(world: World, offered: str) -> None:
    assert offered in _team_page(world)


def test_the_care_team_is_offered_an_activation_code_for_a_record_without_an_account(world: World) -> None:
    """Alicia has her account: an activation code would be refused (session 20); a record without one is
    offered it (tests/web/test_record_page_offers_what_works.py)."""
    from keel.patients.models import Patient

    assert "/activation-code/" not in _team_page(world)
    patient = Patient.objects.get(pk=world.alice.pk)
    user, patient.user = patient.user, None
    patient.save()
    user.delete()
    assert "/activation-code/" in _team_page(world)


def test_the_emergency_flag_has_no_resolve_form_under_emergency_access(world: World) -> None:
    assert 'name="note"' not in _emergency_page(world)


def test_the_page_says_the_care_team_resolves_the_flag(world: World) -> None:
    assert "The care team resolves this flag." in _emergency_page(world)


@pytest.mark.parametrize("code", ["cows", "sows", "cssrs-screen"])
def test_a_point_of_care_measure_is_offered(world: World, code: str) -> None:
    assert f'href="/patients/{world.bob.pk}/instruments/{code}/"' in _emergency_page(world)


@pytest.mark.parametrize("code", ["phq9", "gad7", "bam", "ort", "dsm5-oud"])
def test_a_measure_of_the_care_team_is_not_offered_to_fill(world: World, code: str) -> None:
    html = _emergency_page(world)
    assert f'href="/patients/{world.bob.pk}/instruments/{code}/"' not in html


@pytest.mark.parametrize("code", ["phq9", "gad7", "bam", "ort", "dsm5-oud"])
def test_its_results_are_still_offered(world: World, code: str) -> None:
    assert f'href="/patients/{world.bob.pk}/flowsheet/{code}/"' in _emergency_page(world)
