"""Review 28c: lane end28's corrected-back end after a void (not a correction to 0 mg)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine
from django.utils import timezone

from keel.patients.models import local_today
from keel.treatment.models import DoseRecord
from keel.treatment.services.doses.window import record_dose
from tests.conftest import World
from tests.factories import corrected, methadone_with_take_home_plan

pytestmark = pytest.mark.django_db


def test_voided_then_corrected_back_words_say_voided(world: World) -> None:
    """The nurse: yesterday Alice took 80 mg at the window and her bottles for today and tomorrow went home;
    later yesterday the dose was voided ("nothing given" end). Today the pump log shows it was hers: the
    voided dose is corrected back to 80 mg. What went wrong: the nurse's warning and the plan's end (the
    medication page, the API) both say the dose "was corrected to 0 mg", which never happened: it was
    voided (the amendment trail says so; an auditor comparing them finds the record contradicting
    itself). What is right: the words say what was done (voided, or "voided or corrected to 0 mg" as the
    "nothing given" end itself says)."""
    alice = world.alice
    today = local_today(alice)
    yesterday = today - timedelta(days=1)
    plan, _first = methadone_with_take_home_plan(world, timezone.now() - timedelta(days=2), days_earlier=1)
    with time_machine.travel(datetime.combine(yesterday, time(17), tzinfo=UTC), tick=False):
        record_dose(by=world.staff["nurse"], patient_id=alice.pk, amount_mg="80")
        dose = DoseRecord.objects.filter(patient=alice, local_date=yesterday).latest("id")
        corrected(world, dose, void=True)

    amendment = corrected(world, dose, corrected_mg="80")

    plan.refresh_from_db()
    told = " ".join(w.text for w in amendment.warnings)
    assert told, "the nurse is told nothing"
    assert "corrected to 0 mg and" not in told, told
    assert "corrected to 0 mg and" not in plan.end_reason, plan.end_reason
