"""Review 19d: under emergency access a page offers only what emergency access may do."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import PASSWORD, sign_in

pytestmark = pytest.mark.django_db


def _break_glass(world: Any) -> Client:
    from keel.sharing.services.emergency import emergency_access

    nurse = world.staff["nurse"]  # on Alicia's care team, not on Roberto's
    emergency_access(
        by=nurse, record_number="RR-0002", reason="found unresponsive in the lobby", password=PASSWORD
    )
    return sign_in(Client(), nurse)


def test_episodes_page_under_emergency_access_offers_no_discharge_form(world: Any) -> None:
    client = _break_glass(world)
    page = client.get(reverse("patients:episodes", args=[world.bob.pk]))
    assert page.status_code == 200
    assert reverse("patients:discharge", args=[world.bob.pk]) not in page.content.decode()


def test_treatment_start_page_under_emergency_access_offers_no_care_plan_form(world: Any) -> None:
    client = _break_glass(world)
    page = client.get(reverse("treatment:start", args=[world.bob.pk]))
    assert page.status_code == 200
    assert reverse("treatment:start_goal", args=[world.bob.pk]) not in page.content.decode()


def test_medication_page_under_emergency_access_offers_a_prescriber_no_order_form(world: Any) -> None:
    from keel.sharing.services.emergency import emergency_access

    prescriber = world.staff["prescriber"]  # on Alicia's care team, not on Roberto's
    emergency_access(
        by=prescriber, record_number="RR-0002", reason="found unresponsive in the lobby", password=PASSWORD
    )
    client = sign_in(Client(), prescriber)
    page = client.get(reverse("treatment:medication", args=[world.bob.pk]))
    assert page.status_code == 200
    assert reverse("treatment:create_order", args=[world.bob.pk]) not in page.content.decode()
