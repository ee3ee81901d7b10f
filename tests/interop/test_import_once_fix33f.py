"""Lane fix33f (review 33d H1, H2): a QuestionnaireResponse from another system is its sender's system and id,
filed once. Sent again alike: 200 with the first filing; sent again otherwise (amended, another time, another
person, `entered-in-error`): 409 naming `identifier`, nothing filed; the database holds it too."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils import timezone

from keel.assessments.models import Assessment
from keel.interop import services
from keel.interop.models import ImportedResponse
from tests.conftest import World, sign_in
from tests.review33d._setup import EHR, post_qr, qr

AMENDED = [2, 2, 2, 2, 2, 2, 2, 2, 0]


def _at(hours: int = 1) -> str:
    return (timezone.now() - timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _phq9s(world: World) -> int:
    return Assessment.objects.filter(patient=world.alice, instrument="phq9").count()


@pytest.fixture
def nurse(world: World) -> Client:
    return sign_in(Client(), world.staff["nurse"])


def test_an_amended_response_is_a_409_naming_identifier(world: World, nurse: Client) -> None:
    when = _at()
    post_qr(nurse, world, qr(world, authored=when))
    sent = post_qr(nurse, world, qr(world, authored=when, answers=AMENDED, status="amended"))
    assert (sent.status_code, [e["field"] for e in sent.json()["errors"]]) == (409, ["identifier"])


def test_an_amended_response_files_nothing(world: World, nurse: Client) -> None:
    when = _at()
    post_qr(nurse, world, qr(world, authored=when))
    post_qr(nurse, world, qr(world, authored=when, answers=AMENDED, status="amended"))
    assert _phq9s(world) == 1


def test_the_same_id_at_another_time_is_a_409(world: World, nurse: Client) -> None:
    post_qr(nurse, world, qr(world, authored=_at(2)))
    sent = post_qr(nurse, world, qr(world, authored=_at(1)))
    assert sent.status_code == 409


def test_the_same_answers_marked_amended_answer_with_the_first(world: World, nurse: Client) -> None:
    when = _at()
    first = post_qr(nurse, world, qr(world, authored=when)).json()
    again = post_qr(nurse, world, qr(world, authored=when, status="amended"))
    assert (again.status_code, again.json()["id"]) == (200, first["id"])


def test_entered_in_error_of_a_filed_response_is_a_409(world: World, nurse: Client) -> None:
    when = _at()
    post_qr(nurse, world, qr(world, authored=when))
    sent = post_qr(nurse, world, qr(world, authored=when, status="entered-in-error"))
    assert sent.status_code == 409


def test_entered_in_error_of_nothing_filed_is_a_422_naming_status(world: World, nurse: Client) -> None:
    sent = post_qr(nurse, world, qr(world, status="entered-in-error"))
    assert (sent.status_code, [e["field"] for e in sent.json()["errors"]]) == (422, ["status"])


def test_the_sender_named_by_the_identifier_system_is_the_same_sender(world: World, nurse: Client) -> None:
    when = _at()
    doc = qr(world, authored=when)
    del doc["meta"], doc["id"]
    doc["identifier"] = {"system": EHR, "value": "qr-9"}
    post_qr(nurse, world, doc)
    doc["item"][0]["answer"][0]["valueInteger"] = 3
    assert post_qr(nurse, world, doc).status_code == 409


def test_an_id_without_a_system_is_held_within_the_persons_responses(world: World, nurse: Client) -> None:
    when = _at()
    doc = qr(world, authored=when)
    del doc["meta"]
    post_qr(nurse, world, doc)
    sent = post_qr(nurse, world, {**doc, "item": qr(world, answers=AMENDED)["item"]})
    assert sent.status_code == 409


def test_a_resend_in_a_bundle_answers_with_the_first(world: World, nurse: Client) -> None:
    when = _at()
    first = post_qr(nurse, world, qr(world, authored=when)).json()
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": qr(world, authored=when)}],
    }
    assert post_qr(nurse, world, bundle).json()["id"] == first["id"]


def _charlie_qr(world: World, when: str) -> dict[str, Any]:
    subject = {
        "identifier": {
            "system": f"https://keel.invalid/fhir/record-number/{world.lakeside.slug}",
            "value": world.charlie.record_number,
        }
    }
    return qr(world, authored=when, subject=subject)


def test_the_same_sender_id_in_another_program_is_that_programs_own_filing(
    world: World, nurse: Client
) -> None:
    """Review 34b H5 (lane fix34b): once per sender id is per program; another program files its own copy
    and is told nothing of the first (was 409 here, lane fix33f)."""
    when = _at()
    post_qr(nurse, world, qr(world, authored=when))
    lakeside = sign_in(Client(), world.lakeside_nurse)
    sent = lakeside.post(
        f"/api/v1/patients/{world.charlie.pk}/fhir/questionnaire-responses",
        _charlie_qr(world, when),
        content_type="application/fhir+json",
    )
    assert sent.status_code == 201
    assert "already filed" not in sent.content.decode()


def test_the_database_refuses_a_second_row_for_one_sender_id(world: World, nurse: Client) -> None:
    post_qr(nurse, world, qr(world, rid="qr-1", authored=_at(2)))
    second = post_qr(nurse, world, qr(world, rid="qr-2", authored=_at(1))).json()
    with pytest.raises(IntegrityError), transaction.atomic():
        ImportedResponse.objects.filter(assessment_id=second["id"]).update(sender_id="qr-1")


@pytest.mark.parametrize("answers, status", [(None, 200), (AMENDED, 409)])
def test_a_filing_that_lost_the_race_answers_the_winners_way(
    world: World, nurse: Client, monkeypatch: pytest.MonkeyPatch, answers: list[int] | None, status: int
) -> None:
    """The other request filed between this one's look and its write: the unique key refuses the second
    row, and the answer is the resend's (200) or the amendment's (409), never a 500."""
    when = _at()
    post_qr(nurse, world, qr(world, authored=when))
    looked = services._filed_before
    calls: list[int] = []

    def first_look_misses(*args: Any) -> Any:
        calls.append(1)
        return None if len(calls) == 1 else looked(*args)

    monkeypatch.setattr(services, "_filed_before", first_look_misses)
    sent = post_qr(nurse, world, qr(world, authored=when, answers=answers))
    assert (sent.status_code, _phq9s(world)) == (status, 1)


on_postgres = pytest.mark.skipif(
    "not __import__('django.db', fromlist=['connection']).connection.vendor == 'postgresql'",
    reason="threads with separate connections: PostgreSQL",
)


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_two_filings_at_the_same_moment_leave_one_row(world: World) -> None:
    """An engine's retry while the first POST still runs: both look, find nothing, and write; the unique
    key lets one through and the other answers 200 (the same) or 409 (an amendment), never a 500."""
    import threading

    from django.db import connection

    when = _at()
    docs = [qr(world, authored=when), qr(world, authored=when, answers=AMENDED, status="amended")]
    barrier = threading.Barrier(len(docs))
    codes: list[int] = []

    def run(doc: dict[str, Any]) -> None:
        try:
            client = sign_in(Client(), world.staff["nurse"])
            barrier.wait()
            codes.append(post_qr(client, world, doc).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(d,)) for d in docs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert (sorted(codes), _phq9s(world)) == ([201, 409], 1)


def test_the_409_says_so_in_spanish(world: World, nurse: Client) -> None:
    when = _at()
    post_qr(nurse, world, qr(world, authored=when))
    sent = post_qr(
        nurse, world, qr(world, authored=when, answers=AMENDED, status="amended"), HTTP_ACCEPT_LANGUAGE="es"
    )
    assert sent.json()["message"].startswith("Esta respuesta ya se archivó")
