"""Review 39a hole 1: a closure-day take-home bottle walks around the first bottle's ceiling.

A take-home decision's first bottle is at most `first_bottle_within_days` after the decision (program
policy, default 14 days, review 25a hole 1: the decision rests on the criteria documented the day it is
made). A closure day's one dose (42 CFR 8.12(i), clinical reference correction 9) is a take-home decision
too, made for a person who is NOT otherwise eligible; yet the closure day itself is never measured against
that ceiling: a prescriber can decide today a bottle for a closure day two months away."""

from __future__ import annotations

from datetime import timedelta

import pytest

from keel.accounts.models import Program
from keel.patients.models import Patient, local_today
from keel.treatment.errors import TreatmentInvalid
from keel.treatment.models import TakeHomePlan
from keel.treatment.services.orders import prescribe
from keel.treatment.services.take_homes import decide_take_home
from tests.conftest import World
from tests.factories import given_daily, pinned_at_last_five_pm_utc


@pytest.fixture(autouse=True)
def _clock():
    yield from pinned_at_last_five_pm_utc()


def test_a_closure_day_bottle_two_months_ahead_is_refused(world: World) -> None:
    alice = world.alice
    today = local_today(alice)
    order = prescribe(by=world.staff["prescriber"], patient_id=alice.pk, medication="methadone", dose_mg="40")
    given_daily(world, order, [today - timedelta(days=n) for n in range(5, 0, -1)], 40)
    far = today + timedelta(days=60)  # a configured closure day (a holiday), beyond the 14-day ceiling
    Program.objects.filter(pk=world.riverside.pk).update(closure_days=[far.isoformat()])
    world.alice = Patient.objects.select_related("program").get(pk=alice.pk)

    with pytest.raises(TreatmentInvalid) as refused:
        decide_take_home(
            by=world.staff["prescriber"], patient_id=alice.pk, criteria={}, closure_day=far.isoformat()
        )
    assert "closure_day" in {e.field for e in refused.value.errors}
    assert not TakeHomePlan.objects.filter(patient=alice).exists()
