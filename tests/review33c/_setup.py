"""Review 33c set-up: Alice on methadone 80 mg, observed doses on the three days before today (rows: the
history, not the behaviour under test)."""

from __future__ import annotations

from datetime import date, timedelta

from keel.patients.models import local_today
from keel.treatment.models import DoseRecord
from keel.treatment.services.orders import prescribe
from tests.conftest import World
from tests.factories import given_on

WRONG_PERSON = "Charted on the wrong person: she was not at the window that day."


def three_observed_days(world: World) -> tuple[list[DoseRecord], date]:
    """Methadone 80 mg written, then given at the window on each of the three days before today (days -3,
    -2, -1), treatment days 1-3. The three doses, oldest first, and today."""
    alice = world.alice
    order = prescribe(
        by=world.staff["prescriber"],
        patient_id=alice.pk,
        medication="methadone",
        dose_mg="80",
        order_version=0,
    )
    today = local_today(alice)
    doses = [given_on(world, order, today - timedelta(days=n), 80, 4 - n) for n in (3, 2, 1)]
    return doses, today
