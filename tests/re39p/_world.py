"""Re-attack re39p: a PHQ-9 of Alice's corrected (18 as entered, 16 corrected) and one struck as entered in
error (total 20 of 27, item 9 above 0: most often another person's screen filed on her record)."""

from typing import Any

from django.test import Client

from tests.conftest import sign_in

PHQ = {f"phq9_{i}": 2 for i in range(1, 10)}
REASON_FIX = "item one was keyed wrong by the nurse"
REASON_STRIKE = "filed on the wrong person by the nurse"


def corrected_and_struck(world: Any) -> None:
    from keel.assessments import services

    nurse = world.staff["nurse"]
    pid = world.alice.pk
    a, _ = services.submit_assessment(by=nurse, patient_id=pid, instrument="phq9", answers=PHQ)
    b, _ = services.submit_assessment(
        by=nurse, patient_id=pid, instrument="phq9", answers={**PHQ, "phq9_1": 3, "phq9_2": 3}
    )
    services.correct_assessment(
        by=nurse, patient_id=pid, assessment_id=a.pk, answers={**PHQ, "phq9_1": 0}, reason=REASON_FIX
    )
    services.correct_assessment(
        by=nurse, patient_id=pid, assessment_id=b.pk, entered_in_error=True, reason=REASON_STRIKE
    )


def her_session(world: Any) -> Client:
    return sign_in(Client(), world.alice.user)
