"""Session 21, item 2: the person's home start gives the same decision on its page (`/me/home-start/`) and in
the API (`GET /api/v1/me/home-start`) for the same state: both read `readiness.home_start`'s one decision.
Before, after a dose given (or held) at the clinic today and before the person's inputs were in, the page said
"not today" and the API answered no decision at all (a client app would then ask for a withdrawal rating and
show the first-dose steps)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from keel.core.rules.buprenorphine.verdicts import DOSED_TODAY
from keel.core.rules.window import HOLD_OPEN
from tests.conftest import sign_in
from tests.treatment.home_start_states import (
    home_start_order,
    methadone_this_morning,
    pinned_clock,  # noqa: F401 (the fixture: _clock)
)

pytestmark = pytest.mark.django_db


def _both(world: Any) -> tuple[tuple[str, list[str]], tuple[str, list[str]]]:
    """(verdict code, reasons) as the page shows them and as the API answers them ("needs": no decision)."""
    client = sign_in(Client(), world.alice.user)
    page = client.get("/me/home-start/").content.decode()
    found = re.search(r'class="card verdict-card verdict-([\w-]+)"', page)
    assert found is not None, page
    listed = re.search(r'<p class="big verdict-[\w-]+">.*?</p>\s*<ul>(.*?)</ul>', page, re.DOTALL)
    shown = re.findall(r"<li>(.*?)</li>", listed.group(1), re.DOTALL) if listed else []
    api = client.get("/api/v1/me/home-start").json()
    decision = api["decision"]
    answered = (
        ("needs", [])
        if decision is None
        else (decision["decision"], [r["text"] for r in decision["reasons"]])
    )
    return (found.group(1), [s.replace("&#x27;", "'") for s in shown]), answered


def test_after_a_clinic_dose_before_the_inputs_both_say_not_today(world: Any) -> None:
    home_start_order(world)
    methadone_this_morning(world)
    page, api = _both(world)
    assert api[0] == DOSED_TODAY
    assert page == api


def test_after_a_hold_at_the_clinic_before_the_inputs_both_say_not_today(world: Any) -> None:
    home_start_order(world)
    methadone_this_morning(world, sedated=True)
    page, api = _both(world)
    assert api[0] == HOLD_OPEN
    assert page == api


def test_without_a_clinic_dose_both_still_wait_for_the_inputs(world: Any) -> None:
    home_start_order(world)
    page, api = _both(world)
    assert page == api == ("needs", [])


def test_the_api_still_lists_what_is_missing_after_a_clinic_dose(world: Any) -> None:
    home_start_order(world)
    methadone_this_morning(world)
    client = sign_in(Client(), world.alice.user)
    body = client.get("/api/v1/me/home-start").json()
    assert "sows" in body["needs"]
    assert body["decision"]["rule"] == "buprenorphine-home-start"
