"""Review 18a: a dose held at the window today (sedated or intoxicated) does not stop the home-start page
from telling the person to take their first buprenorphine dose at home."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from keel.assessments.services import submit_assessment
from keel.core.rules.buprenorphine import HOME_READY
from keel.treatment import readiness
from keel.treatment.models import DoseStatus, Medication
from keel.treatment.services import last_use
from keel.treatment.services.doses.window import record_dose
from keel.treatment.services.orders import prescribe

pytestmark = pytest.mark.django_db


def test_home_start_does_not_say_start_after_a_hold_today(world: Any) -> None:
    """Scenario: Alice has an active buprenorphine order for a home start (a prescriber wrote it). She last
    used heroin 30 hours ago and reports it. This morning she comes to the window and the nurse finds her
    sedated (she took a benzodiazepine and alcohol): the nurse records the buprenorphine dose as held, which
    raises a flag for a prescriber to assess "before any dose". At home an hour later she rates her SOWS at
    32 on her own page; the home-start page (`readiness.home_start`, the page and the API share it) reads
    her last use and SOWS only, and says "start": take the first dose now.

    Impact: the clinic's hold (a person sedated or intoxicated must not be dosed until a prescriber
    assesses) is walked around by the self-administered route. Buprenorphine on top of sedatives and
    alcohol is the respiratory-depression combination the hold exists to prevent; the window, the
    injections and the take-home decision all honour an open hold, the home-start verdict does not.

    Safe outcome: while a dose held today is not released by a prescriber, the home-start verdict is not
    "start" (it tells the person to call the clinic / wait for the prescriber).
    """
    zone = ZoneInfo("America/New_York")
    morning = datetime(2026, 11, 18, 9, 0, tzinfo=zone)
    used = morning - timedelta(hours=30)
    prescriber, nurse, alice = world.staff["prescriber"], world.staff["nurse"], world.alice
    with time_machine.travel(morning - timedelta(hours=2), tick=False):
        prescribe(
            by=prescriber,
            patient_id=alice.pk,
            medication=Medication.BUPRENORPHINE,
            dose_mg="4",
            home_start=True,
        )
        last_use.record_last_use(
            by=alice.user,
            patient_id=None,
            raw={"opioids": [{"opioid": "heroin", "last_use_at": used.isoformat()}]},
        )
    with time_machine.travel(morning, tick=False):
        held = record_dose(
            by=nurse,
            patient_id=alice.pk,
            medication=Medication.BUPRENORPHINE,
            sedated=True,
        )
    assert held.dose.status == DoseStatus.HELD
    later = morning + timedelta(hours=1)
    with time_machine.travel(later, tick=False):
        submit_assessment(
            by=alice.user,
            patient_id=None,
            instrument="sows",
            answers={f"sows_{i}": 2 for i in range(1, 17)},
        )
        home = readiness.home_start(alice.user)

    assert home.decision is not None
    assert home.decision.decision != HOME_READY, "the home-start page says 'take the first dose' after a hold"
