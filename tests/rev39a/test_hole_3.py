"""Review 39a hole 3: a program that allows no take-home doses still sends a closure-day bottle home.

The take-home policy `program_max_days` lets a program be stricter than the federal ladder, "down to none"
(its Limit in `keel.core.rules.policy`: floor 0; clinical reference, how Keel uses it: "a policy may
tighten a federal limit, never loosen one"; 10.2: state and program rules can only tighten). The
closure-day dose (42 CFR 8.12(i), correction 9) is a take-home dose too, yet its path never reads the
program's limit: with `program_max_days` 0, a prescriber still decides a bottle for a closure day."""

from __future__ import annotations

from datetime import timedelta

import pytest

from keel.accounts.models import Program
from keel.patients.models import Patient, local_today
from keel.treatment.errors import TreatmentInvalid
from keel.treatment.models import TakeHomePlan
from keel.treatment.services.orders import prescribe
from keel.treatment.services.policy import set_value
from keel.treatment.services.take_homes import decide_take_home
from tests.conftest import World
from tests.factories import given_daily, pinned_at_last_five_pm_utc


@pytest.fixture(autouse=True)
def _clock():
    yield from pinned_at_last_five_pm_utc()


def test_no_closure_day_bottle_where_the_program_allows_no_take_homes(world: World) -> None:
    alice = world.alice
    today = local_today(alice)
    tomorrow = today + timedelta(days=1)
    order = prescribe(by=world.staff["prescriber"], patient_id=alice.pk, medication="methadone", dose_mg="40")
    given_daily(world, order, [today - timedelta(days=n) for n in range(5, 0, -1)], 40)
    set_value(
        by=world.staff["program_admin"],
        program_slug="riverside",
        rule="take-home-eligibility",
        field="program_max_days",
        value=0,
        reason="Our state licence allows no take-home methadone at this clinic.",
    )
    Program.objects.filter(pk=world.riverside.pk).update(closure_days=[tomorrow.isoformat()])
    world.alice = Patient.objects.select_related("program").get(pk=alice.pk)

    with pytest.raises(TreatmentInvalid) as refused:
        decide_take_home(
            by=world.staff["prescriber"], patient_id=alice.pk, criteria={}, closure_day=tomorrow.isoformat()
        )
    assert "closure_day" in {e.field for e in refused.value.errors}
    assert not TakeHomePlan.objects.filter(patient=alice).exists()
