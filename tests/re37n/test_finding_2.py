"""re37n finding 2 (clinical): with the blockade now read on the bottle's own day (lane fix37h), the decision
sends an 80 mg methadone bottle home, unobserved, for the very day the XR-naltrexone dosing interval ends:
the day the label warns of (vulnerability to a fatal overdose at the end of a dosing interval; methadone
taken daily through a waning block), the day the blockade's own staff reason and the person's words
(fix37h) call the lower tolerance. The window would observe that dose; a take-home bottle should not leave
for the blockade's end (and the days just after it) until a prescriber has seen her dosed past it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.utils import timezone

from keel.core.rules.naltrexone import INTERVAL_DAYS
from keel.patients.models import local_today
from keel.treatment import services
from keel.treatment.errors import TreatmentInvalid
from keel.treatment.services.orders import prescribe
from tests.conftest import World
from tests.factories import given_on, pinned_at_last_five_pm_utc
from tests.treatment.test_switching_fix37c import _injection, _switch

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    yield from pinned_at_last_five_pm_utc()


def test_no_unobserved_bottle_for_the_day_the_naltrexone_interval_ends(world: World) -> None:
    now = timezone.now()
    methadone = prescribe(
        by=world.staff["prescriber"], patient_id=world.alice.pk, medication="methadone", dose_mg="80"
    )
    today = local_today(world.alice, now)
    for n in range(8, 0, -1):
        given_on(world, methadone, today - timedelta(days=n), 80, 9 - n)
    _injection(world, now, days_ago=INTERVAL_DAYS - 1)  # today is the blockade's last day
    _switch(world, now)
    given_on(world, methadone, today, 80, 9, at=now - timedelta(minutes=1))
    tomorrow = today + timedelta(days=1)
    try:
        plan = services.decide_take_home(
            by=world.staff["prescriber"],
            patient_id=world.alice.pk,
            criteria=dict.fromkeys(services.CRITERIA_KEYS, True),
            bottle_days=[tomorrow.isoformat()],
        )
    except TreatmentInvalid:
        return
    assert tomorrow.isoformat() not in (plan.bottle_mg or {}), (
        "80 mg methadone went home unobserved for the day the naltrexone dosing interval ends"
    )
