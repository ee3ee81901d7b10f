"""Review 15: a flag says what it is about, in the reader's language; its resolution note stays visible."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client

from keel.patients.models import PatientFlag
from keel.patients.services import resolve_flag
from keel.recovery import services
from keel.recovery.schemas import CheckInIn
from tests.conftest import World, sign_in
from tests.recovery.conftest import TYPICAL

pytestmark = pytest.mark.django_db
NOON = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)
NOTE = "Called; safe at home"


def _use(world: World, days_ago: int = 0, **answers: Any) -> PatientFlag:
    with time_machine.travel(NOON - timedelta(days=days_ago), tick=False):
        services.record_checkin(
            by=world.alice.user,
            data=CheckInIn.posted({**TYPICAL, "used": True, **answers}),
            key=f"u{days_ago}{answers}",
        )
    return PatientFlag.objects.filter(patient=world.alice, kind="reported_use").latest("raised_at")


def _page(world: World, role: str, lang: str = "en") -> str:
    with time_machine.travel(NOON + timedelta(minutes=5), tick=False):
        client = sign_in(Client(), world.staff[role])
        if lang != "en":
            client.cookies["django_language"] = lang
        body = client.get(f"/patients/{world.alice.pk}/", HTTP_ACCEPT_LANGUAGE=lang).content.decode()
    return re.sub(r"\s+", " ", body)


def test_a_reported_use_flag_says_what_and_how(world: World) -> None:
    flag = _use(world, used_what=["fentanyl", "heroin"], used_how=["smoke"])
    assert "Fentanyl, Heroin" in flag.reasons[1]
    assert "Smoked" in flag.reasons[1]


def test_the_patient_page_shows_what_and_how(world: World) -> None:
    _use(world, used_what=["fentanyl"], used_how=["smoke"])
    page = _page(world, "counselor")
    assert "What they said they used: Fentanyl. How: Smoked." in page


def test_a_reported_use_without_what_or_how_says_so(world: World) -> None:
    flag = _use(world)
    assert flag.reasons[1] == "What they used and how: not said."


def test_flag_reasons_are_in_spanish_on_a_spanish_page(world: World) -> None:
    _use(world, used_what=["fentanyl"], used_how=["smoke"])
    page = _page(world, "counselor", "es")
    assert "Fentanilo" in page
    assert "Fumada" in page
    assert "never blame" not in page
    assert "Consumo indicado en el registro" in page


def test_the_api_keeps_the_english_reasons(world: World) -> None:
    flag = _use(world, used_what=["fentanyl"], used_how=["smoke"])
    assert flag.reasons[0].startswith("Use reported in the check-in of 2026-11-25")


def test_a_resolved_flags_note_shows_on_the_patient_page(world: World) -> None:
    flag = _use(world, days_ago=1)
    with time_machine.travel(NOON, tick=False):
        resolve_flag(
            by=world.staff["counselor"],
            patient_id=world.alice.pk,
            flag_id=flag.pk,
            note="Called; safe at home",
        )
    page = _page(world, "counselor")
    assert "Resolved flags" in page
    assert "Called; safe at home" in page


def test_a_resolved_flags_note_is_for_clinical_roles_only(world: World) -> None:
    flag = _use(world, days_ago=1)
    with time_machine.travel(NOON, tick=False):
        resolve_flag(
            by=world.staff["counselor"],
            patient_id=world.alice.pk,
            flag_id=flag.pk,
            note="Called; safe at home",
        )
    page = _page(world, "peer_specialist")
    assert "Called; safe at home" not in page
