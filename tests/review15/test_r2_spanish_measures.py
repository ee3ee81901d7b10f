"""Review 15, round 2: the measures page in Spanish (issue #15: no reason shown raw or untranslated)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import time_machine
from django.test import Client

from tests.conftest import sign_in


def _page(world: Any) -> str:
    from keel.patients.models import Enrollment

    Enrollment.objects.filter(patient=world.bob).update(
        ended_on=date(2026, 2, 1), status="ended", end_reason="other"
    )  # left before a dose
    with time_machine.travel(datetime(2026, 3, 1, 17, tzinfo=UTC), tick=False):
        client = sign_in(Client(), world.staff["program_admin"])
        client.cookies["django_language"] = "es"
        response = client.get("/program/measures/")
    assert response.status_code == 200
    return response.content.decode()


def test_spanish_page_translates_the_left_out_reason(world: Any) -> None:
    """Harm: a Spanish-reading director sees the English core string "never started: care ended before a
    first dose" in the "left out" line -- the reason is not in the catalogue."""
    assert "never started: care ended" not in _page(world)


def test_spanish_page_translates_the_retention_title(world: Any) -> None:
    """Harm: the measure title is an f-string in the core ("Retention at 30 days"), shown in English."""
    assert "Retention at 30 days" not in _page(world)
