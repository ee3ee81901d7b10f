"""Review 33e set-up: a PHQ-9 filed for Alice by the nurse, the result page's correction URL, and a signed-in
client that answers a server error with its status (as a browser sees it) instead of raising it."""

from __future__ import annotations

from typing import Any

from django.test import Client

from keel.assessments.models import Assessment
from keel.assessments.services import submit_assessment
from tests.conftest import World, sign_in

PHQ9_ITEMS = [f"phq9_{n}" for n in range(1, 10)]


def phq9_for_alice(world: World, item9: int, others: int = 1) -> tuple[Assessment, dict[str, int]]:
    """A PHQ-9 the nurse files for Alice: every item `others`, item 9 (thoughts of self-harm) `item9`. The
    assessment and its answers."""
    answers = dict.fromkeys(PHQ9_ITEMS, others)
    answers["phq9_9"] = item9
    assessment, _ = submit_assessment(
        by=world.staff["nurse"], patient_id=world.alice.pk, instrument="phq9", answers=answers
    )
    return assessment, answers


def correction_url(world: World, assessment: Assessment) -> str:
    return f"/patients/{world.alice.pk}/assessments/{assessment.pk}/corrections/"


def result_url(world: World, assessment: Assessment) -> str:
    return f"/patients/{world.alice.pk}/assessments/{assessment.pk}/"


def browser(world: World, role: str) -> Client:
    """A signed-in client whose server errors come back as a status (500), as a browser sees them."""
    return sign_in(Client(raise_request_exception=False), world.user(role))


def form_of(answers: dict[str, int], reason: str, **changed: int) -> dict[str, Any]:
    """The result page's correction form as posted: every answer (`changed` ones changed) and the reason."""
    fields = {k: str(v) for k, v in {**answers, **changed}.items()}
    return {**fields, "kind": "answers", "reason": reason}
