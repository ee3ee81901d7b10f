"""Lane words25: the medication page's take-home plan as a nurse reads it. Its days as a person reads them
(never ISO), the call-back form's bottles to tick (no dates to type), its own question (not "why end this
plan early" of a plan already ended), its own message, and bottles brought back said in the reader's
language (the stored English "Brought back (2026-12-05): ..." kept the end's own words from being
translated). Fixture: review 24b's three bottles from yesterday taken back by a correction down."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from keel.patients.models import local_today
from keel.treatment.end_words import day_words
from keel.treatment.models import TakeHomePlan
from tests.conftest import World, sign_in
from tests.review24b.test_holes import _correct, _three_bottles_from_yesterday

pytestmark = pytest.mark.django_db

NOTE = "Her sister brought the bottle to the clinic this morning at nine"
ISO = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _taken_back(world: World) -> TakeHomePlan:
    plan, today = _three_bottles_from_yesterday(world)
    _correct(world, today - timedelta(days=2), "40")
    return plan


def _take_homes(world: World, language: str = "en", role: str = "prescriber") -> str:
    """The take-home section of the medication page, as `role` reads it in `language`."""
    client = sign_in(Client(), world.staff[role])
    page = client.get(reverse("treatment:medication", args=[world.alice.pk]), HTTP_ACCEPT_LANGUAGE=language)
    body = page.content.decode()
    return body.split('aria-labelledby="th-h"', 1)[1].split("</section>", 1)[0]


def _visible(section: str) -> str:
    """The section's text a person reads (no tags, no form values)."""
    return re.sub(r"<[^>]+>", " ", section)


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("role", ["nurse", "prescriber"])
def test_the_plan_says_no_iso_day(world: World, language: str, role: str) -> None:
    _taken_back(world)
    said = _visible(_take_homes(world, language, role))
    assert ISO.search(said) is None, ISO.findall(said)


def test_the_plan_says_the_day_it_was_decided(world: World) -> None:
    _taken_back(world)
    today = local_today(world.alice)
    decided = day_words(today - timedelta(days=3), today)  # the fixture's plan: decided on T-3
    assert f"Decided {decided}: up to 3 days of take-home doses" in _take_homes(world)


def test_the_call_back_form_offers_each_bottle_at_home_to_tick(world: World) -> None:
    _taken_back(world)
    today = local_today(world.alice)
    section = _take_homes(world)
    ticks = re.findall(r'<input type="checkbox" name="returned_days" value="([0-9-]+)">', section)
    assert ticks == [today.isoformat(), (today + timedelta(days=1)).isoformat()]


def test_the_call_back_form_asks_how_the_bottles_came_back(world: World) -> None:
    _taken_back(world)
    section = _take_homes(world)
    form = section.split("Record bottles brought back", 1)[1]
    assert "How they came back: who brought them, and when (required)" in form
    assert "Why end this plan early" not in form.split("</form>", 1)[0]


def test_a_ticked_bottle_is_recorded_brought_back_with_its_own_message(world: World) -> None:
    plan = _taken_back(world)
    today = local_today(world.alice)
    client = sign_in(Client(), world.staff["prescriber"])
    url = reverse("treatment:end_take_home", args=[world.alice.pk, plan.pk])
    page = client.post(url, {"returned_days": [today.isoformat()], "reason": NOTE}, follow=True)
    plan.refresh_from_db()
    assert today.isoformat() in plan.returned_days
    assert "Bottles brought back recorded. The plan stays in the record with your note." in (
        page.content.decode()
    )


@pytest.mark.parametrize("language", ["en", "es"])
def test_bottles_brought_back_are_said_in_the_readers_words(world: World, language: str) -> None:
    plan = _taken_back(world)
    today = local_today(world.alice)
    client = sign_in(Client(), world.staff["prescriber"])
    url = reverse("treatment:end_take_home", args=[world.alice.pk, plan.pk])
    client.post(url, {"returned_days": [today.isoformat()], "reason": NOTE})
    said = _visible(_take_homes(world, language))
    assert "Brought back (" not in said and ISO.search(said) is None, said
    back = {"en": "Brought back unopened: ", "es": "Devueltos sin abrir: "}[language]
    assert f"{back}{day_words(today, today)}. " in said and NOTE in said


def test_the_end_reason_is_still_translated_after_bottles_came_back(world: World) -> None:
    plan = _taken_back(world)
    today = local_today(world.alice)
    client = sign_in(Client(), world.staff["prescriber"])
    url = reverse("treatment:end_take_home", args=[world.alice.pk, plan.pk])
    client.post(url, {"returned_days": [today.isoformat()], "reason": NOTE})
    said = _visible(_take_homes(world, "es"))
    assert "were handed over" not in said and "siguen en casa" in said, said
