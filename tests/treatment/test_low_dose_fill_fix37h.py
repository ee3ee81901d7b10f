"""Lane fix37h (re-attack 37m): the low-dose pharmacy fill's planned overlap covers the fill only.

1. Every buprenorphine source within the switch hours is read, not only the latest: a use the person told
   (a report, an intake's time, an intake's "time not known" recorded within the hours) beside a fill of
   the low-dose order still needs the switch override; so does one hidden behind a dose given here.
2. The fill's schedule day is counted from the schedule's first step (given here or filled): a fill after
   the steps given here, once the schedule's days are over, needs the switch override again.
3. The person's plain blockade words keep the lower tolerance as the blockade wears off (EN+ES).
4. A take-home bottle's blockade is read on the bottle's own day; a bottle kept back for the blockade says
   the blockade's remedy, not the QTc's.
Relative dates only; the clock pinned."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from django.utils import timezone, translation

from keel.core.decision import Reason
from keel.core.rules.agonists import BLOCKADE, LABEL_SOURCES, LOW_DOSE_FILL
from keel.core.rules.naltrexone import INTERVAL_DAYS
from keel.patients.models import local_today
from keel.treatment import services
from keel.treatment.errors import TreatmentInvalid
from keel.treatment.models import Intake, MedicationOrder, TakeHomePlan
from keel.treatment.services.common import DoseBlocked
from keel.treatment.services.fills import record_fill
from keel.treatment.services.last_use import record_last_use
from keel.treatment.services.orders import prescribe
from keel.treatment.words import reason_for_person
from tests.conftest import World
from tests.factories import given_on, methadone_with_take_home_plan, pinned_at_last_five_pm_utc
from tests.review36f._setup import order
from tests.treatment.test_switching_fix37c import STEPS, _filled, _injection, _methadone, _switch

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    yield from pinned_at_last_five_pm_utc()


def _told(world: World, now: datetime, hours_ago: float) -> None:
    record_last_use(
        by=world.staff["nurse"],
        patient_id=world.alice.pk,
        raw={
            "opioids": [
                {"opioid": "buprenorphine", "last_use_at": (now - timedelta(hours=hours_ago)).isoformat()}
            ]
        },
        now=now - timedelta(minutes=30),
    )


def _intake(world: World, now: datetime, last_use_at: str | None) -> None:
    Intake.objects.create(
        patient=world.alice,
        values={"opioids": [{"opioid": "buprenorphine", "last_use_at": last_use_at}]},
        overdose_risk={},
        recorded_by=world.staff["counselor"],
        recorded_at=now - timedelta(hours=1),
    )


# --- 1. every buprenorphine source within the hours -------------------------------------------------------


def test_an_intakes_time_within_the_hours_beside_the_fill_needs_the_override(world: World) -> None:
    now = timezone.now()
    _filled(world, now, days_ago=1, low_dose=True)
    _intake(world, now, (now - timedelta(hours=4)).isoformat())
    with pytest.raises(DoseBlocked):
        _methadone(world, now)


def test_an_intake_listing_it_without_a_time_beside_the_fill_needs_the_override(world: World) -> None:
    now = timezone.now()
    _filled(world, now, days_ago=1, low_dose=True)
    _intake(world, now, None)  # recorded an hour ago: the use may be within the hours
    with pytest.raises(DoseBlocked):
        _methadone(world, now)


def test_a_told_use_beside_the_fill_passes_on_the_switch_override(world: World) -> None:
    now = timezone.now()
    _filled(world, now, days_ago=1, low_dose=True)
    _told(world, now, hours_ago=3)
    _switch(world, now)
    assert _methadone(world, now).dose.amount_mg == 30


def test_a_told_use_beside_the_fill_is_not_called_the_planned_overlap(world: World) -> None:
    now = timezone.now()
    _filled(world, now, days_ago=1, low_dose=True)
    _told(world, now, hours_ago=3)
    _switch(world, now)
    assert LOW_DOSE_FILL not in [r.template for r in _methadone(world, now).decision.reasons]


def test_a_told_use_before_the_hours_leaves_the_fill_the_planned_overlap(world: World) -> None:
    now = timezone.now()
    _filled(world, now, days_ago=3, low_dose=True)
    _told(world, now, hours_ago=24 * 3)  # before the fill, days outside the switch hours
    assert LOW_DOSE_FILL in [r.template for r in _methadone(world, now).decision.reasons]


def test_a_told_use_hidden_behind_a_low_dose_step_given_here_needs_the_override(world: World) -> None:
    now = timezone.now()
    today = local_today(world.alice, now)
    bup = prescribe(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        medication="buprenorphine",
        dose_mg="8",
        schedule=STEPS,
        now=now - timedelta(hours=6),
        starts_on=today,
    )
    given_on(world, bup, today, STEPS[0]["mg"], 1, at=now - timedelta(hours=2))  # step 1, street use before
    _told(world, now, hours_ago=3)
    order(world, "methadone", "30", now - timedelta(hours=1))
    with pytest.raises(DoseBlocked):
        _methadone(world, now)


# --- 2. the fill's schedule day counted from the schedule's first step ------------------------------------


def _steps_then_fill(
    world: World, now: datetime, *, first_ago: int, steps: int, fill_ago: int
) -> MedicationOrder:
    """The low-dose order begun `first_ago` days ago, its first `steps` steps given here one a day, then
    filled at a pharmacy `fill_ago` days ago; methadone written an hour ago."""
    today = local_today(world.alice, now)
    first = today - timedelta(days=first_ago)
    bup = prescribe(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        medication="buprenorphine",
        dose_mg="8",
        schedule=STEPS,
        now=now - timedelta(days=first_ago, hours=1),
        starts_on=first,
    )
    for i in range(steps):
        given_on(world, bup, first + timedelta(days=i), STEPS[i]["mg"], i + 1)
    record_fill(
        by=world.staff["nurse"],
        patient_id=world.alice.pk,
        order_id=bup.pk,
        filled_on=(today - timedelta(days=fill_ago)).isoformat(),
        days_supply=30,
        source="pharmacy",
        now=now - timedelta(hours=2),
    )
    order(world, "methadone", "30", now - timedelta(hours=1))
    return bup


def test_a_fill_after_three_steps_here_past_the_schedules_last_day_needs_the_override(world: World) -> None:
    now = timezone.now()
    _steps_then_fill(world, now, first_ago=8, steps=3, fill_ago=5)  # today is day 9 of the 7
    with pytest.raises(DoseBlocked):
        _methadone(world, now)


def test_a_fill_after_steps_here_inside_the_schedule_is_the_planned_overlap(world: World) -> None:
    now = timezone.now()
    _steps_then_fill(world, now, first_ago=4, steps=3, fill_ago=1)  # today is day 5 of the 7
    assert LOW_DOSE_FILL in [r.template for r in _methadone(world, now).decision.reasons]


def test_the_planned_overlap_names_the_day_counted_from_the_first_step_here(world: World) -> None:
    now = timezone.now()
    _steps_then_fill(world, now, first_ago=4, steps=3, fill_ago=1)
    said = next(r for r in _methadone(world, now).decision.reasons if r.template == LOW_DOSE_FILL)
    assert dict(said.params)["day"] == 5


# --- 3. the person's blockade words keep the lower tolerance ----------------------------------------------


def _blockade_words(language: str) -> str:
    said = Reason.said(BLOCKADE, LABEL_SOURCES, day="2026-12-01", days=6, until="2026-12-29")
    with translation.override(language):
        return reason_for_person(said)


def test_her_blockade_words_say_the_overdose_can_kill() -> None:
    assert "overdose that kills" in _blockade_words("en")


def test_her_blockade_words_say_her_tolerance_is_lower_as_the_shot_wears_off() -> None:
    assert "As the shot wears off, your tolerance is lower" in _blockade_words("en")


def test_her_blockade_words_in_spanish_say_her_tolerance_is_lower() -> None:
    assert "su tolerancia es más baja" in _blockade_words("es")


def test_her_blockade_words_in_spanish_say_the_overdose_can_kill() -> None:
    assert "sobredosis mortal" in _blockade_words("es")


# --- 4. a take-home bottle's blockade read on the bottle's own day ----------------------------------------


def _on_methadone_injected(world: World, now: datetime, days_ago: int) -> None:
    """Alice on methadone 80 mg, eight days at the window up to yesterday, injected `days_ago` days ago."""
    methadone = prescribe(
        by=world.staff["prescriber"], patient_id=world.alice.pk, medication="methadone", dose_mg="80"
    )
    today = local_today(world.alice, now)
    for n in range(8, 0, -1):
        given_on(world, methadone, today - timedelta(days=n), 80, 9 - n)
    _injection(world, now, days_ago=days_ago)


def _decide_tomorrow(world: World, now: datetime) -> TakeHomePlan:
    return services.decide_take_home(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        criteria=dict.fromkeys(services.CRITERIA_KEYS, True),
        bottle_days=[(local_today(world.alice, now) + timedelta(days=1)).isoformat()],
    )


def _refusal(world: World, now: datetime) -> str:
    with pytest.raises(TreatmentInvalid) as refused:
        _decide_tomorrow(world, now)
    return str(refused.value)


def test_a_bottle_for_the_day_after_the_blockade_goes_home_without_a_switch_override(world: World) -> None:
    now = timezone.now()
    _on_methadone_injected(world, now, days_ago=INTERVAL_DAYS - 1)  # today is the blockade's last day
    plan = _decide_tomorrow(world, now)
    assert (local_today(world.alice, now) + timedelta(days=1)).isoformat() in plan.bottles


def test_the_bottle_after_the_blockade_goes_home_at_todays_dose_under_the_switch_override(
    world: World,
) -> None:
    now = timezone.now()
    plan, _first = methadone_with_take_home_plan(world, now - timedelta(days=1))  # for tomorrow and after
    _injection(world, now, days_ago=INTERVAL_DAYS - 1)  # today is the blockade's last day
    _switch(world, now)
    _methadone(world, now, "80")
    plan.refresh_from_db()
    assert (local_today(world.alice, now) + timedelta(days=1)).isoformat() in (plan.bottle_mg or {})


def test_a_bottle_inside_the_blockade_is_refused_with_the_blockades_remedy(world: World) -> None:
    now = timezone.now()
    _on_methadone_injected(world, now, days_ago=6)
    assert "after the blockade ends" in _refusal(world, now)


def test_a_bottle_inside_the_blockade_is_not_told_to_wait_for_a_qtc_reason(world: World) -> None:
    now = timezone.now()
    _on_methadone_injected(world, now, days_ago=6)
    assert "QTc" not in _refusal(world, now)


def test_a_later_bottle_under_todays_switch_override_is_refused_with_the_blockades_remedy(
    world: World,
) -> None:
    now = timezone.now()
    _on_methadone_injected(world, now, days_ago=6)
    _switch(world, now)
    assert "after the blockade ends" in _refusal(world, now)


def test_the_blockades_remedy_is_said_in_spanish(world: World) -> None:
    now = timezone.now()
    _on_methadone_injected(world, now, days_ago=6)
    with translation.override("es"):
        assert "después de que termine el bloqueo" in _refusal(world, now)
