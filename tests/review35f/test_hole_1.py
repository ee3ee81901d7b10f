"""Hole 1: with an early re-dose override for the day, the same dose entered twice a minute apart is given.
A maintenance person on 30 mg a day split 15 + 15; at 08:00 the prescriber writes an early re-dose override
("a split dose") for the evening half. 09:00: the nurse records 15 mg; 09:01 the same 15 mg is sent again (an
API client's retry with no `sequence`, a second nurse's entry). What happens: given, "allowed_with_rationale",
"The last dose was 1 minutes ago ... a prescriber documented a reason (split dose or re-dose after
reassessment)": the person got the whole day's dose at once and the override is spent on a double entry.
What should happen: the re-dose interval's first job, "check this is not the same dose entered twice"
(`core.rules.window.redose`'s own words), stands: an early re-dose override is for a split dose or a re-dose
after reassessment, never a dose a minute after the last; refused (DoseBlocked). Cause: `window.redose`
returns "allowed_with_rationale" for any `hours_since_last` below the interval once `early_redose` is true,
with no floor (decision to ask: the least minutes an early re-dose may follow the last dose)."""

from __future__ import annotations

import pytest

from keel.treatment.services.common import DoseBlocked
from tests.conftest import World
from tests.review35f._setup import at, dose, override, steady_on_30

pytestmark = pytest.mark.django_db


def test_the_same_dose_a_minute_later_is_not_passed_by_an_early_redose_override(world: World) -> None:
    day = steady_on_30(world)
    override(world, at(day, 8), medication="methadone", kind="redose")
    dose(world, "15", at(day, 9))
    with pytest.raises(DoseBlocked):
        dose(world, "15", at(day, 9, 1))
