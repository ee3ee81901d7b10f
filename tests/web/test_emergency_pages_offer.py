"""Under emergency access a page reachable from the record offers only what emergency access may do, and says
why once; the care team sees the same page with its forms (review 19d)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import PASSWORD, sign_in

pytestmark = pytest.mark.django_db

NOTE = "You are viewing this record through emergency access: the care team makes changes."


def _through_grant(world: Any, role: str) -> Client:
    from keel.sharing.services.emergency import emergency_access

    who = world.staff[role]  # on Alicia's care team, not on Roberto's
    emergency_access(
        by=who, record_number="RR-0002", reason="found unresponsive in the lobby", password=PASSWORD
    )
    return sign_in(Client(), who)


def _page(client: Client, name: str, pk: int) -> str:
    page = client.get(reverse(name, args=[pk]))
    assert page.status_code == 200
    return page.content.decode()


def test_episodes_under_a_grant_offer_no_discharge(world: Any) -> None:
    html = _page(_through_grant(world, "prescriber"), "patients:episodes", world.bob.pk)
    assert reverse("patients:discharge", args=[world.bob.pk]) not in html


def test_episodes_under_a_grant_offer_no_readmission(world: Any) -> None:
    html = _page(_through_grant(world, "prescriber"), "patients:episodes", world.bob.pk)
    assert reverse("patients:readmit", args=[world.bob.pk]) not in html


def test_episodes_under_a_grant_say_why_once(world: Any) -> None:
    html = _page(_through_grant(world, "prescriber"), "patients:episodes", world.bob.pk)
    assert html.count(NOTE) == 1


def test_episodes_for_the_care_team_offer_discharge(world: Any) -> None:
    html = _page(sign_in(Client(), world.staff["prescriber"]), "patients:episodes", world.alice.pk)
    assert reverse("patients:discharge", args=[world.alice.pk]) in html


def test_episodes_for_the_care_team_say_no_emergency(world: Any) -> None:
    html = _page(sign_in(Client(), world.staff["prescriber"]), "patients:episodes", world.alice.pk)
    assert NOTE not in html


@pytest.mark.parametrize(
    "action", ["treatment:start_goal", "treatment:start_order", "treatment:start_override"]
)
def test_start_under_a_grant_offers_none_of_the_care_teams_forms(world: Any, action: str) -> None:
    html = _page(_through_grant(world, "prescriber"), "treatment:start", world.bob.pk)
    assert reverse(action, args=[world.bob.pk]) not in html


def test_start_under_a_grant_offers_no_questionnaire_but_the_point_of_care_ones(world: Any) -> None:
    html = _page(_through_grant(world, "prescriber"), "treatment:start", world.bob.pk)
    assert reverse("assessments:fill", args=[world.bob.pk, "phq9"]) not in html


def test_start_under_a_grant_says_why_once(world: Any) -> None:
    html = _page(_through_grant(world, "prescriber"), "treatment:start", world.bob.pk)
    assert html.count(NOTE) == 1


def test_start_for_the_care_team_offers_the_care_plan(world: Any) -> None:
    html = _page(sign_in(Client(), world.staff["prescriber"]), "treatment:start", world.alice.pk)
    assert reverse("treatment:start_goal", args=[world.alice.pk]) in html


@pytest.mark.parametrize("action", ["treatment:create_order", "treatment:override", "treatment:take_home"])
def test_medication_under_a_grant_offers_no_prescribing(world: Any, action: str) -> None:
    html = _page(_through_grant(world, "prescriber"), "treatment:medication", world.bob.pk)
    assert reverse(action, args=[world.bob.pk]) not in html


def test_medication_under_a_grant_offers_no_dose_correction(world: Any) -> None:
    html = _page(_through_grant(world, "nurse"), "treatment:medication", world.bob.pk)
    assert "/amend" not in html and 'name="corrected_mg"' not in html


def test_medication_under_a_grant_says_why_once(world: Any) -> None:
    html = _page(_through_grant(world, "prescriber"), "treatment:medication", world.bob.pk)
    assert html.count(NOTE) == 1


@pytest.mark.parametrize("action", ["treatment:create_order", "treatment:override", "treatment:take_home"])
def test_medication_for_the_care_team_offers_prescribing(world: Any, action: str) -> None:
    html = _page(sign_in(Client(), world.staff["prescriber"]), "treatment:medication", world.alice.pk)
    assert reverse(action, args=[world.alice.pk]) in html


def test_appointments_under_a_grant_offer_no_booking(world: Any) -> None:
    html = _page(_through_grant(world, "nurse"), "appointments:patient", world.bob.pk)
    assert 'name="kind"' not in html


def test_appointments_under_a_grant_say_why_once(world: Any) -> None:
    html = _page(_through_grant(world, "nurse"), "appointments:patient", world.bob.pk)
    assert html.count(NOTE) == 1


def test_appointments_for_the_care_team_offer_booking(world: Any) -> None:
    html = _page(sign_in(Client(), world.staff["nurse"]), "appointments:patient", world.alice.pk)
    assert 'name="kind"' in html


def _flowsheet(client: Client, pk: int, code: str) -> str:
    page = client.get(reverse("assessments:flowsheet", args=[pk, code]))
    assert page.status_code == 200
    return page.content.decode()


def test_flowsheet_under_a_grant_offers_no_questionnaire_the_grant_may_not_fill(world: Any) -> None:
    html = _flowsheet(_through_grant(world, "nurse"), world.bob.pk, "phq9")
    assert reverse("assessments:fill", args=[world.bob.pk, "phq9"]) not in html


def test_flowsheet_under_a_grant_says_why_once(world: Any) -> None:
    html = _flowsheet(_through_grant(world, "nurse"), world.bob.pk, "phq9")
    assert html.count(NOTE) == 1


def test_flowsheet_under_a_grant_offers_a_point_of_care_measure(world: Any) -> None:
    html = _flowsheet(_through_grant(world, "nurse"), world.bob.pk, "sows")
    assert reverse("assessments:fill", args=[world.bob.pk, "sows"]) in html


def test_flowsheet_for_the_care_team_offers_the_questionnaire(world: Any) -> None:
    html = _flowsheet(sign_in(Client(), world.staff["nurse"]), world.alice.pk, "phq9")
    assert reverse("assessments:fill", args=[world.alice.pk, "phq9"]) in html
