"""Review 17b: break-the-glass lets an off-team prescriber decide take-home (unsupervised) methadone."""

from __future__ import annotations

from typing import Any

import pytest

from keel.assessments.services import NotAllowed
from keel.audit.models import AuditEvent
from keel.sharing.services import emergency_access
from keel.treatment.services.take_homes import decide_take_home
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_emergency_access_does_not_decide_take_home_doses(world: Any) -> None:
    """Scenario: prescriber P of Riverside is not on Bob's care team. P breaks the glass on Bob ("patient
    reports withdrawal, assessing") and, through that emergency access, calls the take-home decision:
    `decide_take_home` reaches the record through `_scoped_for`, which passes `emergency_access=True` for
    every treatment write. The getter lets P through (the call goes on to the episode and order checks).

    Impact: take-home doses are unsupervised methadone, the OTP's main diversion risk (42 CFR 8.12(i)):
    the decision rests on the care team's knowledge of the person (stability, toxicology, storage). No
    emergency is ever met by giving someone days of methadone to carry away; break-the-glass would let any
    prescriber of the program (or a stolen prescriber session with the password) hand bottles to a patient
    they do not treat, with only an after-the-fact flag.

    Safe outcome: refused by the one getter as an emergency-access action (NotAllowed, the denial audited
    "emergency access: may not decide take-home doses"), before any other check.
    """
    prescriber = world.staff["prescriber"]
    emergency_access(
        by=prescriber,
        record_number="RR-0002",
        reason="patient reports withdrawal, assessing",
        password=PASSWORD,
    )

    with pytest.raises(NotAllowed):
        decide_take_home(by=prescriber, patient_id=world.bob.pk, criteria={})

    assert AuditEvent.objects.filter(
        actor_id=prescriber.pk, patient_id=world.bob.pk, reason__startswith="emergency access: may not"
    ).exists()
