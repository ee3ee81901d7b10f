"""Lane fix36i: what fix36f left of review 36f hole 3 (an XR-naltrexone injection's blockade). The person's
own buprenorphine home start (`readiness.home_start`: the page and the API read it) and a held dose
corrected into a given one (`limits.amendment_ceilings`) ask the blockade as the window does
(`agonists.blockade_verdict`); a prescriber's switch override for the day lets each
through, as at the window."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from keel.treatment.errors import TreatmentInvalid
from keel.treatment.models import DoseRecord
from keel.treatment.readiness import home_start
from keel.treatment.services.doses.corrections import amend_dose
from keel.treatment.services.doses.window import record_dose
from keel.treatment.services.orders import prescribe
from keel.treatment.services.overrides import add_override
from tests.conftest import World, sign_in
from tests.factories import pinned_at_last_five_pm_utc
from tests.review36f._setup import injected

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    """Pinned at noon in New York (the last 17:00 UTC): an override recorded five minutes before a dose, or a
    dose given hours before it was recorded, must fall on the dose's day whatever the hour the suite runs
    (session 37: the CI at 05:01 UTC, one minute past midnight there, failed these)."""
    yield from pinned_at_last_five_pm_utc()


REASON = "Wants to stop naltrexone and start buprenorphine; discussed blockade and overdose risk today"


def _switch(world: World, medication: str, now: datetime) -> None:
    add_override(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        medication=medication,
        kind="switch",
        reason=REASON,
        now=now - timedelta(minutes=5),
    )


def _home_order(world: World, now: datetime) -> None:
    prescribe(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        medication="buprenorphine",
        dose_mg="8",
        home_start=True,
        now=now - timedelta(hours=1),
    )


def _home_in_blockade(world: World, now: datetime) -> None:
    injected(world, now - timedelta(days=6))
    _home_order(world, now)


# --- Item 1: the home start --------------------------------------------------------------------------------


def test_a_home_start_in_the_blockade_is_refused(world: World) -> None:
    now = timezone.now()
    _home_in_blockade(world, now)
    h = home_start(world.alice.user, now)
    assert h.decision is not None and h.decision.decision == "needs_override"


def test_the_home_starts_refusal_names_the_injection(world: World) -> None:
    now = timezone.now()
    _home_in_blockade(world, now)
    h = home_start(world.alice.user, now)
    said = " ".join(r.text for r in h.decision.reasons) if h.decision else ""
    assert "XR-naltrexone was injected on" in said


def test_the_home_starts_refusal_cites_the_label(world: World) -> None:
    now = timezone.now()
    _home_in_blockade(world, now)
    h = home_start(world.alice.user, now)
    sources = {s for r in h.decision.reasons for s in r.sources} if h.decision else set()
    assert {"vivitrol-label", "vivitrol-label-switching"} <= sources


def test_the_home_start_api_answers_the_refusal(world: World) -> None:
    now = timezone.now()
    _home_in_blockade(world, now)
    client = sign_in(Client(), world.alice.user)
    body = json.loads(client.get("/api/v1/me/home-start").content)
    assert body["decision"]["decision"] == "needs_override"


def test_the_home_start_page_shows_no_first_dose_steps_in_the_blockade(world: World) -> None:
    now = timezone.now()
    _home_in_blockade(world, now)
    client = sign_in(Client(), world.alice.user)
    body = client.get("/me/home-start/").content.decode()
    assert "Rate my withdrawal now" not in body


def test_the_home_start_page_says_why_in_the_blockade(world: World) -> None:
    now = timezone.now()
    _home_in_blockade(world, now)
    client = sign_in(Client(), world.alice.user)
    body = client.get("/me/home-start/").content.decode()
    assert "naltrexone shot" in body  # her plain words since session 37 (was the staff's "XR-naltrexone")


def test_with_the_switch_override_the_home_start_is_not_refused(world: World) -> None:
    now = timezone.now()
    _home_in_blockade(world, now)
    _switch(world, "buprenorphine", now)
    h = home_start(world.alice.user, now)
    assert h.decision is None or h.decision.decision != "needs_override"


def test_a_home_start_after_the_blockade_is_not_refused(world: World) -> None:
    now = timezone.now()
    injected(world, now - timedelta(days=40))
    _home_order(world, now)
    h = home_start(world.alice.user, now)
    assert h.decision is None or h.decision.decision != "needs_override"


# --- Item 2: a held dose corrected into a given one ------------------------------------------------------


def _held_methadone_in_blockade(world: World, now: datetime) -> DoseRecord:
    injected(world, now - timedelta(days=6))
    prescribe(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        medication="methadone",
        dose_mg="30",
        now=now - timedelta(hours=1),
    )
    return record_dose(
        by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg=None, sedated=True, now=now
    ).dose


def _given(world: World, dose: DoseRecord, now: datetime) -> None:
    amend_dose(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        dose_id=dose.pk,
        corrected_mg="30",
        reason="She was not sedated; the 30 mg was given",
        now=now + timedelta(minutes=30),
    )


def test_a_held_dose_corrected_to_given_in_the_blockade_is_refused(world: World) -> None:
    now = timezone.now()
    dose = _held_methadone_in_blockade(world, now)
    with pytest.raises(TreatmentInvalid) as exc:
        _given(world, dose, now)
    assert "XR-naltrexone was injected on" in str(exc.value)


def test_with_the_switch_override_the_held_dose_is_corrected_to_given(world: World) -> None:
    now = timezone.now()
    dose = _held_methadone_in_blockade(world, now)
    _switch(world, "methadone", now)
    _given(world, dose, now)
    dose.refresh_from_db()
    assert dose.amendments.count() == 1
