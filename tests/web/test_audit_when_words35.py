"""Lane words35: the audit trail says when each event happened as its program's day and time in the house
style ("Nov. 25, 2026, 18:30 EST"; "25 de noviembre de 2026, 18:30 EST"), the zone named, whatever the
deployment's zone; the exact instant, in UTC, stays in the page as the `<time datetime>` a machine reads.
A row of no program (a sign-in) is said on the clock of the reader's program."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client, override_settings
from django.utils import translation

from keel.accounts.models import Program
from keel.audit import services as audit
from keel.audit.models import Action, Outcome
from keel.web.dates import shown_date
from tests.conftest import World, sign_in

pytestmark = pytest.mark.django_db
# late in a UTC evening, yesterday: the day before in the Americas, the next morning in Tokyo
AT = (datetime.now(UTC) - timedelta(days=1)).replace(hour=23, minute=30, second=5, microsecond=0)


def visible(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S | re.I)
    return " ".join(re.sub(r"<[^>]*>", " ", html).split())


def _event(world: World) -> None:
    with time_machine.travel(AT, tick=False):
        audit.record_for_patient(
            world.staff["nurse"], world.alice, Action.DENIED, "disclosure", outcome=Outcome.DENIED, reason="x"
        )


def _expected(zone: str, lang: str) -> str:
    local = AT.astimezone(ZoneInfo(zone))
    with translation.override(lang):
        return f"{shown_date(local.date())}, {local:%H:%M} {local.tzname()}"


def _trail(world: World, lang: str = "en") -> str:
    response = sign_in(Client(), world.staff["auditor"]).get("/audit/", HTTP_ACCEPT_LANGUAGE=lang)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("lang", ["en", "es"])
def test_an_event_is_said_as_the_programs_day_and_time_with_its_zone(world: World, lang: str) -> None:
    _event(world)
    assert _expected("America/New_York", lang) in visible(_trail(world, lang))


@pytest.mark.parametrize("deployment", ["Pacific/Honolulu", "Asia/Tokyo", "UTC"])
def test_the_deployments_zone_changes_nothing(world: World, deployment: str) -> None:
    _event(world)
    with override_settings(TIME_ZONE=deployment):
        page = visible(_trail(world))
    assert _expected("America/New_York", "en") in page


def test_a_program_in_another_zone_says_its_own_clock(world: World) -> None:
    Program.objects.filter(pk=world.riverside.pk).update(time_zone="Asia/Tokyo")
    _event(world)
    assert _expected("Asia/Tokyo", "en") in visible(_trail(world))


def test_the_exact_instant_stays_in_utc_for_a_machine(world: World) -> None:
    _event(world)
    assert f'<time datetime="{AT.isoformat()}">' in _trail(world)


def test_no_iso_instant_is_shown(world: World) -> None:
    _event(world)
    assert AT.strftime("%Y-%m-%d %H:%M") not in visible(_trail(world))


def test_the_heading_no_longer_says_utc(world: World) -> None:
    _event(world)
    assert "When (UTC)" not in _trail(world)


def test_a_sign_in_is_said_on_the_clock_of_the_readers_program(world: World) -> None:
    with time_machine.travel(AT, tick=False):
        audit.record(actor=world.staff["nurse"], action=Action.LOGIN, target_type="session")
    with override_settings(TIME_ZONE="Asia/Tokyo"):
        page = visible(_trail(world))
    assert _expected("America/New_York", "en") in page
