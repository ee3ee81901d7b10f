"""Lane words34: no page shows an ISO day ("2026-11-28") inside a rule's reason, a field's refusal, a
measure's words or the timeline's flag reasons; the API keeps ISO, as a machine reads it. Each page's visible
text (tags, scripts and attributes left out) is read in English and Spanish."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import timezone, translation

from keel.core.decision import Reason
from keel.core.rules.inputs import FieldError
from keel.patients.flags import raise_flag
from keel.patients.models import local_today
from keel.treatment import words
from keel.web import field_words
from keel.web.dates import shown_date, shown_near_day
from tests.conftest import World
from tests.factories import methadone_with_take_home_plan, prescriber_ends

pytestmark = pytest.mark.django_db
LANGS = ["en", "es"]
ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
USE = "Use reported in the check-in of %(day)s: offer support, naloxone and a safety plan, never blame."


def visible(html: str) -> str:
    """What a reader sees of a page: no script, no style, no tag (an input's ISO value is the browser's)."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S | re.I)
    return re.sub(r"<[^>]*>", " ", html)


def _said(day: date, lang: str) -> str:
    with translation.override(lang):
        return shown_date(day)


def _page(signed_in: Any, role: str, url: str, lang: str) -> str:
    response = signed_in(role).get(url, HTTP_ACCEPT_LANGUAGE=lang)
    assert response.status_code == 200, url
    return visible(response.content.decode())


def _reported_use(world: World, days_ago: int = 3) -> date:
    """An open "reported use" flag on Alice whose reason names the check-in's day (as the rule writes it)."""
    day = local_today(world.alice) - timedelta(days=days_ago)
    reason = Reason.said(USE, ("keel-test",), day=day.isoformat())
    raise_flag(
        by=world.staff["nurse"],
        patient=world.alice,
        kind="reported_use",
        priority=2,
        reasons=[reason.text],
        sources=[],
        source_type="test",
        source_id=1,
        now=timezone.now(),
        audit_reason="test flag",
        said=[{"template": USE, "params": {"day": day.isoformat()}}],
    )
    return day


@pytest.mark.parametrize("lang", LANGS)
def test_the_timelines_flag_reason_says_its_day_in_words(world: World, signed_in: Any, lang: str) -> None:
    day = _reported_use(world)
    text = _page(signed_in, "nurse", f"/patients/{world.alice.pk}/timeline/?days=30", lang)
    assert _said(day, lang) in text
    assert not ISO_DAY.search(text), ISO_DAY.findall(text)


@pytest.mark.parametrize("lang", LANGS)
def test_the_record_page_shows_no_iso_day(world: World, signed_in: Any, lang: str) -> None:
    day = _reported_use(world)
    text = _page(signed_in, "nurse", f"/patients/{world.alice.pk}/", lang)
    assert _said(day, lang) in text
    assert not ISO_DAY.search(text), ISO_DAY.findall(text)


@pytest.mark.parametrize("lang", LANGS)
def test_the_medication_pages_open_concerns_say_their_day_in_words(
    world: World, signed_in: Any, lang: str
) -> None:
    methadone_with_take_home_plan(world, timezone.now() - timedelta(days=1))
    _reported_use(world)
    text = _page(signed_in, "prescriber", f"/patients/{world.alice.pk}/medication/", lang)
    today = local_today(world.alice)
    with translation.override(lang):  # the day the flag was raised, in the take-home decision's style
        assert f"({shown_near_day(today, today)})" in text
    assert not ISO_DAY.search(text), ISO_DAY.findall(text)


@pytest.mark.parametrize("lang", LANGS)
def test_the_dosing_window_shows_no_iso_day(world: World, signed_in: Any, lang: str) -> None:
    methadone_with_take_home_plan(world, timezone.now() - timedelta(days=1))
    _reported_use(world)
    text = _page(signed_in, "nurse", "/dosing/", lang)
    assert not ISO_DAY.search(text), ISO_DAY.findall(text)


@pytest.mark.parametrize("lang", LANGS)
def test_the_measures_page_shows_no_iso_day(world: World, signed_in: Any, lang: str) -> None:
    text = _page(signed_in, "program_admin", "/program/measures/", lang)
    assert not ISO_DAY.search(text), ISO_DAY.findall(text)


@pytest.mark.parametrize("lang", LANGS)
def test_a_rules_reason_on_a_page_says_its_day_but_the_api_keeps_iso(lang: str) -> None:
    day = date(2026, 11, 28)
    reason = Reason.said(
        "The program is closed on %(day)s: one take-home dose for that day.", (), day=day.isoformat()
    )
    with translation.override(lang):
        assert _said(day, lang) in words.reason_shown(reason)
        assert _said(day, lang) in words.reasons_shown([reason])
        assert day.isoformat() in words.reason_text(reason)  # the API's and the CLI's words
        assert not ISO_DAY.search(words.reason_shown(reason))


@pytest.mark.parametrize("lang", LANGS)
def test_a_fields_refusal_on_a_page_says_a_day_given_as_a_part(lang: str) -> None:
    day = date(2026, 11, 28)
    error = FieldError.said("ended_on", "cannot be before %(day)s", day=day.isoformat())
    with translation.override(lang):
        assert field_words.on_page(error) == f"cannot be before {_said(day, lang)}"
        assert field_words.said(error) == f"cannot be before {day.isoformat()}"  # the API's 422


def test_a_fields_own_example_of_what_to_type_is_kept_as_the_field_reads_it() -> None:
    error = FieldError.said("start", "must be a date like 2026-01-31")
    assert field_words.on_page(error) == "must be a date like 2026-01-31"


@pytest.mark.parametrize("lang", LANGS)
def test_the_take_home_plan_says_every_day_in_one_style(world: World, signed_in: Any, lang: str) -> None:
    """Item 3: a typed end reason's day is said as the plan's other days ("Sun, Dec 6"), never beside them in
    the record lines' style ("Dec. 6, 2026")."""
    plan, _first = methadone_with_take_home_plan(world, timezone.now() - timedelta(days=1))
    today = local_today(world.alice)
    day = today - timedelta(days=9)
    prescriber_ends(world, plan, f"She told us she used again on {day.isoformat()}, so we stop the plan now.")
    text = _page(signed_in, "prescriber", f"/patients/{world.alice.pk}/medication/", lang)
    with translation.override(lang):
        assert shown_near_day(day, today) in text
    assert _said(day, lang) not in text
