"""Review 15: no internal code on the recent results, the timeline's event kinds or the audit page."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client

from keel.audit import services as audit
from keel.audit.models import Action
from keel.recovery import services
from keel.recovery.schemas import CheckInIn
from tests.conftest import World, sign_in
from tests.recovery.conftest import TYPICAL

pytestmark = pytest.mark.django_db
NOON = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)


def _text(body: bytes) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body.decode()))


def _phq9(client: Client) -> None:
    data = {f"phq9_{i}": "0" for i in range(1, 10)}
    data["phq9_10"] = "0"
    client.post("/me/instruments/phq9/", data)


def test_my_recent_results_name_the_instrument(world: World) -> None:
    with time_machine.travel(NOON, tick=False):
        me = sign_in(Client(), world.alice.user)
        _phq9(me)
        page = me.get("/me/instruments/")
    recent = _text(page.content).split("My recent results")[1]
    assert "PHQ-9" in recent
    assert "PHQ9 ·" not in recent


def test_timeline_event_kinds_are_words_in_spanish(world: World) -> None:
    with time_machine.travel(NOON - timedelta(days=1), tick=False):
        services.record_checkin(by=world.alice.user, data=CheckInIn.posted({**TYPICAL}), key="k1")
    with time_machine.travel(NOON, tick=False):
        client = sign_in(Client(), world.staff["counselor"])
        client.cookies["django_language"] = "es"
        body = client.get(f"/patients/{world.alice.pk}/timeline/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert '<span class="tag">registro diario</span>' in body
    assert '<span class="tag">checkin</span>' not in body


def test_timeline_event_kinds_are_words(world: World) -> None:
    with time_machine.travel(NOON - timedelta(days=1), tick=False):
        services.record_checkin(by=world.alice.user, data=CheckInIn.posted({**TYPICAL}), key="k1")
    with time_machine.travel(NOON, tick=False):
        client = sign_in(Client(), world.staff["counselor"])
        body = client.get(f"/patients/{world.alice.pk}/timeline/").content.decode()
    assert '<span class="tag">check-in</span>' in body


def _audit_page(world: World, lang: str = "en") -> str:
    audit.record(
        actor=world.staff["counselor"],
        action=Action.READ,
        program_id=world.riverside.pk,
        patient_id=world.alice.pk,
        target_type="patient_flag",
        target_id=7,
    )
    client = sign_in(Client(), world.staff["auditor"])
    if lang != "en":
        client.cookies["django_language"] = lang
    return client.get("/audit/", HTTP_ACCEPT_LANGUAGE=lang).content.decode()


def test_the_audit_page_shows_roles_actions_and_records_in_words(world: World) -> None:
    page = _audit_page(world)
    assert "Counselor #" in page
    assert ">viewed<" in page
    assert "flag #7" in page
    assert "patient_flag" not in page
    assert ">counselor #" not in page


def test_the_audit_page_in_spanish(world: World) -> None:
    page = _audit_page(world, "es")
    assert ">consultó<" in page
    assert "alerta #7" in page


def test_every_action_has_words() -> None:
    from keel.audit.models import Action, Outcome
    from keel.web.audit_words import ACTIONS, OUTCOMES

    assert set(Action.values) <= set(ACTIONS)
    assert set(Outcome.values) <= set(OUTCOMES)


def test_unknown_codes_fall_back_to_words(world: Any) -> None:
    from keel.web.audit_words import RECORDS, words

    assert words("meetings_nearby", RECORDS) == "meetings nearby"


def test_the_caseload_reasons_are_in_spanish(world: World) -> None:
    with time_machine.travel(NOON, tick=False):
        services.record_checkin(
            by=world.alice.user, data=CheckInIn.posted({**TYPICAL, "used": True}), key="k2"
        )
        client = sign_in(Client(), world.staff["counselor"])
        client.cookies["django_language"] = "es"
        page = _text(client.get("/patients/", HTTP_ACCEPT_LANGUAGE="es").content)
    assert "Consumo informado (alerta abierta)" in page
    assert "(open flag)" not in page
