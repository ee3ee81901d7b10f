"""Lane take31: the correction's "already told" of a bottle on the call-back list is matched by (plan, day):
a bottle of a second plan on the same day as one a step told is told and audited all the same
(`corrections._newly_called_back`, `bottles.told`)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from keel.audit.models import AuditEvent
from keel.patients.models import local_today
from keel.treatment.models import DoseRecord, TakeHomePlan
from keel.treatment.services.doses import corrections
from keel.treatment.services.doses.bottles import CORRECTION_CALL_BACK
from keel.treatment.services.doses.bottles.told import note_told, telling
from tests.conftest import World
from tests.factories import handed_out_yesterday, two_bottle_plan

pytestmark = pytest.mark.django_db


def _two_plans_same_day(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> tuple[TakeHomePlan, TakeHomePlan, date]:
    """Plan A (Alice's bottles from today) and plan B (a second plan, bottles from tomorrow): after the
    correction the call-back list names tomorrow's bottle of each, neither named before."""
    first, _dose = handed_out_yesterday(world)
    tomorrow = local_today(world.alice) + timedelta(days=1)
    second = two_bottle_plan(world, timezone.now() - timedelta(hours=1), tomorrow)
    after = {first.pk: {tomorrow: Decimal(80)}, second.pk: {tomorrow: Decimal(80)}}
    monkeypatch.setattr(corrections, "_certain_call_back", lambda _patient, _today: after)
    return first, second, tomorrow


def _told_of_first_only(world: World, first: TakeHomePlan, day: date) -> list[str]:
    """`_newly_called_back` after a step told plan A's bottle of `day`: the days of its own word."""
    dose = DoseRecord.objects.filter(patient=world.alice).latest("id")
    with telling() as told:
        note_told(first.pk, [day.isoformat()])
        said = corrections._newly_called_back(
            world.staff["nurse"], world.alice, dose, {}, local_today(world.alice), told
        )
    return [str(dict(r.params)["days"]) for r in said if r.template == CORRECTION_CALL_BACK]


def test_a_second_plans_bottle_of_a_told_day_is_told(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    first, _second, tomorrow = _two_plans_same_day(world, monkeypatch)
    assert _told_of_first_only(world, first, tomorrow) == [tomorrow.isoformat()]


def test_a_second_plans_bottle_of_a_told_day_is_audited_on_it(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second, tomorrow = _two_plans_same_day(world, monkeypatch)
    _told_of_first_only(world, first, tomorrow)
    audited = AuditEvent.objects.filter(
        target_id=str(second.pk), reason__icontains="called back after a correction"
    )
    assert audited.exists()


def test_the_told_plans_own_bottle_is_not_told_twice(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    first, _second, tomorrow = _two_plans_same_day(world, monkeypatch)
    _told_of_first_only(world, first, tomorrow)
    audited = AuditEvent.objects.filter(
        target_id=str(first.pk), reason__icontains="called back after a correction"
    )
    assert not audited.exists()


def test_nothing_is_noted_outside_a_change() -> None:
    note_told(1, ["2000-01-01"])  # no `telling` block: nothing to fill, nothing raised
    with telling() as told:
        pass
    assert told == set()
