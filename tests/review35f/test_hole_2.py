"""Hole 2: an early re-dose override written at 23:50 does not cover the re-dose 20 minutes later, at 00:10.
A maintenance person (30 mg a day) gets 15 mg at 23:00 (a late split half). At 23:50 the prescriber assesses
her (withdrawal persists) and writes an early re-dose override with a reason; the nurse gives 15 mg at 00:10.
What happens: refused, "The last dose was 70 minutes ago ... needs a prescriber's early re-dose override for
today": the override of a few minutes ago is of yesterday, the dose is of today. The re-dose interval is
counted whatever the day ("23:59 and 00:01 are two minutes apart", `core.rules.window.redose`), the only
cover of it by the calendar day. What should happen: the early re-dose override covers the re-dose it was
written for, within the re-dose interval after it, whatever the day: given ("allowed_with_rationale").
Cause: `services.doses.guards.verdict.prescriber_cover` reads `day.overrides` (this medication's overrides of
the dose's local day only, `order_and_overrides`); the REDOSE kind is ended by the day like a day's limit."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.conftest import World
from tests.review35f._setup import at, dose, override, steady_on_30

pytestmark = pytest.mark.django_db


def test_an_early_redose_override_at_2350_covers_the_dose_at_0010(world: World) -> None:
    day = steady_on_30(world)
    dose(world, "15", at(day, 23))
    override(world, at(day, 23, 50), medication="methadone", kind="redose")
    given = dose(world, "15", at(day + timedelta(days=1), 0, 10))
    assert given.decision.decision == "allowed_with_rationale"
