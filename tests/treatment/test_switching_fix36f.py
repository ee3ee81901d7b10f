"""Lane fix36f (review 36f, switching medicines): the routes and edges the reviewer's hole tests do not cover.

Hole 1: a use at a time not known (an intake without a time, or a prescriber's strike) stays unknown until a
program record later than it (`readiness._later`). Hole 2: buprenorphine in hand from a fill, or reported, is
a second agonist for methadone within the switch hours (its words, the API's 409). Hole 3: methadone or
buprenorphine inside an XR-naltrexone injection's blockade needs a prescriber's switch override (the
refusal and the allowed verdict name the injection; the API's 409, the page, the order's warning, Spanish).
Relative dates only."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone, translation

from keel.core.rules.agonists import BLOCKADE, naltrexone_blockade
from keel.patients.models import local_today
from keel.treatment.errors import TreatmentInvalid
from keel.treatment.models import DoseOverride
from keel.treatment.readiness import read_last_uses
from keel.treatment.services.common import DoseBlocked
from keel.treatment.services.doses.window import record_dose
from keel.treatment.services.fills import record_fill
from keel.treatment.services.last_use import correct_last_use
from keel.treatment.services.overrides import add_override
from tests.conftest import World, sign_in
from tests.factories import given_on, pinned_at_last_five_pm_utc
from tests.review36f._setup import injected, intake_with, order, reported

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    """Pinned at noon in New York (the last 17:00 UTC): an override recorded five minutes before a dose, or a
    dose given hours before it was recorded, must fall on the dose's day whatever the hour the suite runs
    (session 37: the CI at 05:01 UTC, one minute past midnight there, failed these)."""
    yield from pinned_at_last_five_pm_utc()


REASON = "Relapsed on naltrexone, wants methadone back; discussed blockade and overdose risk with her today"


def _methadone(world: World, now: datetime) -> object:
    return record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="30", now=now)


def _switch(world: World, medication: str, now: datetime) -> DoseOverride:
    return add_override(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        medication=medication,
        kind="switch",
        reason=REASON,
        now=now - timedelta(minutes=5),
    )


# --- Hole 1 -------------------------------------------------------------------------------------------------


def test_a_struck_methadone_time_is_not_answered_by_an_older_clinic_dose(world: World) -> None:
    now = timezone.now()
    methadone = order(world, "methadone", "30", now - timedelta(days=40))
    given_on(world, methadone, local_today(world.alice, now) - timedelta(days=8), 30, 1)
    used = now - timedelta(days=1)
    reported(world, "methadone", used, now - timedelta(hours=2))
    correct_last_use(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        opioid="methadone",
        struck_at=used,
        reason="She said the street methadone was not yesterday; she cannot say when",
        now=now - timedelta(hours=1),
    )
    assert read_last_uses(world.alice, now).uses["methadone"].at is None


def test_a_clinic_dose_after_the_intake_answers_its_unknown_time(world: World) -> None:
    now = timezone.now()
    intake_with(world, [{"opioid": "methadone"}], now - timedelta(hours=3))
    methadone = order(world, "methadone", "30", now - timedelta(hours=2))
    dose = given_on(world, methadone, local_today(world.alice, now), 30, 1, at=now - timedelta(hours=1))
    assert read_last_uses(world.alice, now).uses["methadone"].at == dose.recorded_at


# --- Hole 2 -------------------------------------------------------------------------------------------------


def _filled(world: World, now: datetime, days_ago: int, supply: int) -> None:
    bup = order(world, "buprenorphine", "16", now - timedelta(days=days_ago + 1), days_before=days_ago + 1)
    record_fill(
        by=world.staff["nurse"],
        patient_id=world.alice.pk,
        order_id=bup.pk,
        filled_on=(local_today(world.alice, now) - timedelta(days=days_ago)).isoformat(),
        days_supply=supply,
        source="pharmacy",
        now=now - timedelta(hours=2),
    )


def test_the_block_on_a_fill_says_the_buprenorphine_is_in_hand(world: World) -> None:
    now = timezone.now()
    _filled(world, now, 1, 7)
    order(world, "methadone", "30", now - timedelta(hours=1))
    with pytest.raises(DoseBlocked) as exc:
        _methadone(world, now)
    assert "in hand from a pharmacy fill" in str(exc.value)


def test_a_fill_whose_supply_ended_days_ago_does_not_stop_methadone(world: World) -> None:
    now = timezone.now()
    _filled(world, now, 20, 7)
    order(world, "methadone", "30", now - timedelta(hours=1))
    assert _methadone(world, now).dose.amount_mg == 30  # type: ignore[attr-defined]


def test_methadone_after_a_fill_is_a_409_on_the_api(world: World) -> None:
    now = timezone.now()
    _filled(world, now, 1, 7)
    order(world, "methadone", "30", now - timedelta(hours=1))
    response = sign_in(Client(), world.staff["nurse"]).post(
        f"/api/v1/patients/{world.alice.pk}/doses",
        json.dumps({"amount_mg": "30", "sequence": 1}),
        "application/json",
    )
    assert response.status_code == 409, response.content[:300]


def test_a_switch_override_lets_methadone_through_after_a_fill(world: World) -> None:
    now = timezone.now()
    _filled(world, now, 1, 7)
    order(world, "methadone", "30", now - timedelta(hours=1))
    _switch(world, "methadone", now)
    assert _methadone(world, now).dose.amount_mg == 30  # type: ignore[attr-defined]


# --- Hole 3 -------------------------------------------------------------------------------------------------


def _on_naltrexone(world: World, now: datetime, days: int = 6) -> None:
    injected(world, now - timedelta(days=days))
    order(world, "methadone", "30", now - timedelta(hours=1))


def test_methadone_in_the_blockade_is_refused_naming_the_injection_day(world: World) -> None:
    now = timezone.now()
    _on_naltrexone(world, now)
    with pytest.raises(DoseBlocked) as exc:
        _methadone(world, now)
    day = (local_today(world.alice, now) - timedelta(days=6)).isoformat()
    assert f"XR-naltrexone was injected on {day}" in str(exc.value)


def test_the_refusal_says_tolerance_is_lower_afterwards(world: World) -> None:
    now = timezone.now()
    _on_naltrexone(world, now)
    with pytest.raises(DoseBlocked) as exc:
        _methadone(world, now)
    assert "tolerance is lower" in str(exc.value)


def test_the_refusal_cites_the_label(world: World) -> None:
    now = timezone.now()
    _on_naltrexone(world, now)
    with pytest.raises(DoseBlocked) as exc:
        _methadone(world, now)
    sources = {s for r in exc.value.decision.reasons for s in r.sources}
    assert {"vivitrol-label", "vivitrol-label-switching"} <= sources


def test_with_the_switch_override_methadone_is_given_naming_the_injection(world: World) -> None:
    now = timezone.now()
    _on_naltrexone(world, now)
    _switch(world, "methadone", now)
    outcome = _methadone(world, now)
    said = " ".join(r.text for r in outcome.decision.reasons)  # type: ignore[attr-defined]
    assert "XR-naltrexone was injected on" in said


def test_a_buprenorphine_switch_override_is_written_in_the_blockade(world: World) -> None:
    now = timezone.now()
    injected(world, now - timedelta(days=6))
    assert _switch(world, "buprenorphine", now).kind == "switch"


def test_a_buprenorphine_switch_override_outside_a_blockade_is_refused(world: World) -> None:
    now = timezone.now()
    injected(world, now - timedelta(days=40))
    with pytest.raises(TreatmentInvalid):
        _switch(world, "buprenorphine", now)


def test_the_blockade_ends_on_the_injections_due_day(world: World) -> None:
    today = timezone.now().date()
    assert naltrexone_blockade(today - timedelta(days=28), today, documented=False) is None


def test_the_day_before_the_due_day_is_still_in_the_blockade(world: World) -> None:
    today = timezone.now().date()
    assert naltrexone_blockade(today - timedelta(days=27), today, documented=False) is not None


def test_methadone_in_the_blockade_is_a_409_on_the_api(world: World) -> None:
    now = timezone.now()
    _on_naltrexone(world, now)
    response = sign_in(Client(), world.staff["nurse"]).post(
        f"/api/v1/patients/{world.alice.pk}/doses",
        json.dumps({"amount_mg": "30", "sequence": 1}),
        "application/json",
    )
    assert response.status_code == 409, response.content[:300]


def test_the_apis_refusal_names_the_injection(world: World) -> None:
    now = timezone.now()
    _on_naltrexone(world, now)
    response = sign_in(Client(), world.staff["nurse"]).post(
        f"/api/v1/patients/{world.alice.pk}/doses",
        json.dumps({"amount_mg": "30", "sequence": 1}),
        "application/json",
    )
    assert "XR-naltrexone was injected on" in response.content.decode()


def test_the_window_page_says_the_blockade(world: World) -> None:
    now = timezone.now()
    _on_naltrexone(world, now)
    response = sign_in(Client(), world.staff["nurse"]).post(
        f"/dosing/{world.alice.pk}/", {"amount_mg": "30", "medication": "methadone"}, follow=True
    )
    assert "XR-naltrexone was injected on" in response.content.decode()


def test_an_order_written_in_the_blockade_warns_of_it(world: World) -> None:
    now = timezone.now()
    injected(world, now - timedelta(days=6))
    written = order(world, "buprenorphine", "8", now)
    said = " ".join(r.text for r in written.warnings)  # type: ignore[attr-defined]
    assert "XR-naltrexone was injected on" in said


def test_the_blockade_is_said_in_spanish(world: World) -> None:
    with translation.override("es"):
        assert translation.gettext(BLOCKADE) != BLOCKADE
