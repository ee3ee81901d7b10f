"""Hole 5: the call-back list names today's bottle as maybe at home, the dosing window does not, and doses.

Yesterday Alice took 80 mg and her bottles for today and tomorrow went home with it. The nurse corrects
yesterday's dose to 0 mg (it was entered on the wrong chart, or she spat it out): the record takes the
bottles back and tells the nurse "if they left the clinic call the person back". The call-back list (the
medication page, the API) now names today's and tomorrow's bottles (`call_back`, `maybe`). Today Alice comes
to the window: her row is due with no "today's bottle returned unopened" (`bottle_held` False: the window
reads only bottles surely at home), and an 80 mg observed dose is given with no word about today's bottle,
which the call-back list still names after it. Two readers disagree about the same bottle, and a bottle the
record says may be at home stands beside a window dose on the same day without the nurse at the window
being told. (With a correction to 40 mg instead, the bottle surely at home, the window asks for it back.)
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from keel.patients.models import local_today
from keel.treatment.queries.take_home_plans import call_back
from keel.treatment.queries.window import dosing_list
from tests.conftest import World
from tests.factories import corrected, handed_out_yesterday, pinned_at_last_five_pm_utc


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    """Noon in the program's zone, the clock pinned."""
    yield from pinned_at_last_five_pm_utc()


def test_window_row_asks_for_todays_bottle_the_call_back_list_names(world: World) -> None:
    plan, dose = handed_out_yesterday(world)
    alice, nurse = world.alice, world.staff["nurse"]
    today = local_today(alice)
    corrected(world, dose, corrected_mg="0")
    named = today in call_back(alice, today).get(plan.pk, {})
    row = next(r for r in dosing_list(nurse) if r.patient.pk == alice.pk)
    assert row.bottle_held == named
