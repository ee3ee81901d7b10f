"""Lane words33: a day inside a stored sentence (a flag's reason on the record's page, a plan's end typed by a
prescriber) is shown as the reader's day, never ISO; and a chart says its times on the program's clock, never
the server's."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.utils import timezone, translation

from keel.assessments.models import Assessment
from keel.patients.flags import raise_flag
from keel.patients.models import local_today
from keel.web.dates import shown_date, shown_datetime, shown_days_in, shown_near_day
from tests.conftest import World
from tests.factories import methadone_with_take_home_plan, prescriber_ends

pytestmark = pytest.mark.django_db
LANGS = ["en", "es"]
FAR = "Pacific/Auckland"  # never the server's zone (America/New_York): a day and an hour apart from it


def _said(day: date, lang: str) -> str:
    with translation.override(lang):
        return shown_date(day)


def _page(signed_in: Any, role: str, url: str, lang: str) -> str:
    response = signed_in(role).get(url, HTTP_ACCEPT_LANGUAGE=lang)
    assert response.status_code == 200
    return response.content.decode()


def _phq9_an_hour_ago(world: World) -> datetime:
    program = world.alice.program
    program.time_zone = FAR
    program.save(update_fields=["time_zone"])
    filled = timezone.now() - timedelta(hours=1)
    Assessment.objects.create(
        patient=world.alice,
        program_id=world.alice.program_id,
        instrument="phq9",
        instrument_version="1",
        answers={},
        total=5,
        band="mild",
        result={},
        filled_by=world.staff["nurse"],
        filled_at=filled,
    )
    return filled


def _at(instant: datetime, zone: str, lang: str) -> str:
    with translation.override(lang):
        return shown_datetime(instant.astimezone(ZoneInfo(zone)))


@pytest.mark.parametrize("lang", LANGS)
def test_a_flowsheets_chart_says_its_times_on_the_programs_clock(
    world: World, signed_in: Any, lang: str
) -> None:
    filled = _phq9_an_hour_ago(world)
    text = _page(signed_in, "nurse", f"/patients/{world.alice.pk}/flowsheet/phq9/", lang)
    assert _at(filled, FAR, lang) in text


@pytest.mark.parametrize("lang", LANGS)
def test_a_flowsheet_never_says_a_time_on_the_servers_clock(world: World, signed_in: Any, lang: str) -> None:
    filled = _phq9_an_hour_ago(world)
    text = _page(signed_in, "nurse", f"/patients/{world.alice.pk}/flowsheet/phq9/", lang)
    assert _at(filled, settings.TIME_ZONE, lang) not in text


def _flag_with_a_day(world: World) -> date:
    day = local_today(world.alice) - timedelta(days=17)
    raise_flag(
        by=world.staff["nurse"],
        patient=world.alice,
        kind="missed_medication",
        priority=2,
        reasons=[f"No dose taken since {day.isoformat()}: call the person."],
        sources=[],
        source_type="test",
        source_id=1,
        now=timezone.now(),
        audit_reason="test flag",
    )
    return day


@pytest.mark.parametrize("lang", LANGS)
def test_a_flags_stored_reason_says_its_day_in_words(world: World, signed_in: Any, lang: str) -> None:
    day = _flag_with_a_day(world)
    text = _page(signed_in, "nurse", f"/patients/{world.alice.pk}/", lang)
    assert _said(day, lang) in text


@pytest.mark.parametrize("lang", LANGS)
def test_a_flags_stored_reason_never_shows_an_iso_day(world: World, signed_in: Any, lang: str) -> None:
    day = _flag_with_a_day(world)
    text = _page(signed_in, "nurse", f"/patients/{world.alice.pk}/", lang)
    assert day.isoformat() not in text


def _ended_with_a_typed_day(world: World) -> date:
    plan, _first = methadone_with_take_home_plan(world, timezone.now() - timedelta(days=1))
    day = local_today(world.alice) - timedelta(days=40)
    prescriber_ends(world, plan, f"She told us she used again on {day.isoformat()}, so we stop the plan now.")
    return day


@pytest.mark.parametrize("lang", LANGS)
def test_a_plans_typed_end_reason_says_its_day_in_words(world: World, signed_in: Any, lang: str) -> None:
    day = _ended_with_a_typed_day(world)
    text = _page(signed_in, "prescriber", f"/patients/{world.alice.pk}/medication/", lang)
    with translation.override(lang):  # lane words34: in the take-home plan's own day style ("Sun, Dec 6")
        assert shown_near_day(day, local_today(world.alice)) in text


@pytest.mark.parametrize("lang", LANGS)
def test_a_plans_typed_end_reason_never_shows_an_iso_day(world: World, signed_in: Any, lang: str) -> None:
    day = _ended_with_a_typed_day(world)
    text = _page(signed_in, "prescriber", f"/patients/{world.alice.pk}/medication/", lang)
    assert day.isoformat() not in text


@pytest.mark.parametrize(
    "kept", ["2026-02-30", "12026-12-01", "2026-12-06T10:00", "record 2026-12-061", "RR-2026-12-06"]
)
def test_what_is_not_an_iso_day_standing_alone_is_kept_as_written(kept: str) -> None:
    assert shown_days_in(kept) == kept
