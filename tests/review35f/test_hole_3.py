"""Hole 3: an early re-dose override is saved for a discharged person. The program admin discharges Alice
at 08:00; at 09:00 the prescriber (a stale medication page) saves "A dose sooner than the re-dose interval"
with a reason. What happens: saved (a DoseOverride, not ended). Discharge ends the episode's overrides
(`services.overrides` at discharge) so none carries into a readmission; this one, written after, stands
open and lifts the re-dose interval for that day if she is readmitted. What should happen: refused
(TreatmentInvalid naming the person not in care), as a dose for a discharged person is. Cause:
`services.overrides.add_override` checks the role and the scope (`_scoped_for`) and the kind, never that
the person has an active episode."""

from __future__ import annotations

import pytest

from keel.treatment.errors import TreatmentInvalid
from tests.conftest import World
from tests.review35f._setup import a_day, at, discharge, override

pytestmark = pytest.mark.django_db


def test_no_early_redose_override_for_a_discharged_person(world: World) -> None:
    today = a_day(world, 0)
    discharge(world, at(today, 8))
    with pytest.raises(TreatmentInvalid):
        override(world, at(today, 9), medication="methadone", kind="redose")
