"""rev39b hole 1: a result struck as entered in error (most often another person's screen filed on the wrong
record) is withheld from the person herself (lane fix38d: `withheld_from_her`), and no longer stands in the
progress report (`assessments.queries.latest` reads only results that stand), yet the whole-record release to
an outside recipient (`interop.services.export_record`, the FHIR Bundle that leaves the program under her
consent) carries its answers, its total and its band: the wrong person's depression screen (item 9, thoughts
of self-harm) leaves the program with Alice's name on it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.conftest import PASSWORD
from tests.factories import pinned_at_last_five_pm_utc


@pytest.fixture(autouse=True)
def _clock() -> Any:
    yield from pinned_at_last_five_pm_utc()


RECIPIENT = "Dr. Rosa Example, County Health Clinic"
ANSWERS = {f"phq9_{i}": 3 for i in range(1, 10)}  # 27: severe, item 9 "nearly every day"


def _consent_to_whole_record(world: Any) -> Any:
    from django.utils import timezone

    from keel.patients.models import local_today
    from keel.sharing.services import sign_consent

    today = local_today(world.alice, timezone.now())
    return sign_consent(
        by=world.alice.user,
        raw={
            "recipient_name": RECIPIENT,
            "purpose": "treatment",
            "purpose_text": "",
            "categories": ["record"],
            "expires_on": (today + timedelta(days=90)).isoformat(),
            "signature": "Alicia Zamorano",
            "understood": True,
        },
    )


def _struck_screen(world: Any) -> Any:
    from keel.assessments import services

    nurse = world.staff["nurse"]
    assessment, _ = services.submit_assessment(
        by=nurse, patient_id=world.alice.pk, instrument="phq9", answers=ANSWERS
    )
    services.correct_assessment(
        by=nurse,
        patient_id=world.alice.pk,
        assessment_id=assessment.pk,
        entered_in_error=True,
        reason="filed on the wrong person's record",
    )
    return assessment


def _released_bundle(world: Any, consent: Any) -> dict[str, Any]:
    from keel.interop.api import Base
    from keel.interop.services import export_record

    return export_record(
        world.staff["prescriber"],
        world.alice.pk,
        raw={
            "basis": "consent",
            "consent": consent.pk,
            "recipient_name": RECIPIENT,
            "purpose": "treatment",
            "password": PASSWORD,
        },
        base=Base("https://keel.example.org/fhir/R4"),
    )


def test_a_struck_result_leaves_in_a_whole_record_release_without_its_answers_or_score(world: Any) -> None:
    consent = _consent_to_whole_record(world)
    struck = _struck_screen(world)
    bundle = _released_bundle(world, consent)
    resources = [e["resource"] for e in bundle["entry"]]
    mine = f"assessment-{struck.pk}"
    responses = [r for r in resources if r["resourceType"] == "QuestionnaireResponse" and r["id"] == mine]
    assert responses, "the struck response is kept, marked entered in error (the record keeps it)"
    for r in responses:
        assert r["status"] == "entered-in-error"
        assert not r.get("item"), "the wrong person's answers left the program under Alice's consent"
    scores = [
        r["id"]
        for r in resources
        if r["resourceType"] == "Observation"
        and r["id"].startswith(mine + "-")
        and any(key.startswith(("value", "interpretation")) for key in r)
    ]
    assert not scores, "the wrong person's PHQ-9 total and band left the program under Alice's consent"
