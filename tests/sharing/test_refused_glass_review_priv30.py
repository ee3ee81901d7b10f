"""Lane priv30, item 1: a break-the-glass refused because the record shows a death goes to the program
admin's review queue (kind `refused_after_death`), as every granted emergency access does, so a probe of who
has died is seen by a person. The refusal itself is unchanged (422 naming `record_number`, audited denied,
nothing granted)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from keel.patients.models import EmergencyAccess
from keel.sharing.models import EmergencyReview
from tests.conftest import PASSWORD, World, sign_in
from tests.review27b.test_death_and_activation import _record_death

pytestmark = pytest.mark.django_db
WHY = "found unresponsive in the lobby, needs current medication"


def _glass(world: World, password: str = PASSWORD) -> dict[str, Any]:
    return {"record_number": world.bob.record_number, "reason": WHY, "password": password}


def _api(world: World, body: dict[str, Any]) -> Any:
    return sign_in(Client(), world.staff["nurse"]).post(
        "/api/v1/emergency-access", json.dumps(body), content_type="application/json"
    )


def _queued(world: World) -> list[EmergencyReview]:
    return list(EmergencyReview.objects.filter(patient=world.bob, kind="refused_after_death"))


def test_the_api_refusal_after_a_death_is_queued_for_review(world: World) -> None:
    _record_death(world, world.bob)
    answer = _api(world, _glass(world))
    assert answer.status_code == 422
    [review] = _queued(world)
    assert (review.program_id, review.used_by_id, review.reason) == (
        world.bob.program_id,
        world.staff["nurse"].pk,
        WHY,
    )
    assert review.emergency_access_id is None and review.attested_at is None
    assert not EmergencyAccess.objects.filter(patient=world.bob).exists()


def test_the_page_refusal_after_a_death_is_queued_for_review(world: World) -> None:
    _record_death(world, world.bob)
    page = sign_in(Client(), world.staff["nurse"]).post("/emergency-access/", _glass(world))
    assert page.status_code == 422
    assert len(_queued(world)) == 1


def test_a_wrong_password_after_a_death_queues_nothing(world: World) -> None:
    """No record is looked up before the password (review 21p): nothing about her to review."""
    _record_death(world, world.bob)
    assert _api(world, _glass(world, "not the password")).status_code == 422
    assert _queued(world) == []


def test_the_program_admin_sees_it_in_the_review_list_api(world: World) -> None:
    _record_death(world, world.bob)
    _api(world, _glass(world))
    listed = sign_in(Client(), world.staff["program_admin"]).get("/api/v1/emergency-reviews")
    assert listed.status_code == 200
    kinds = [(r["kind"], r["patient"], r["emergency_access"]) for r in listed.json()["reviews"]]
    assert ("refused_after_death", world.bob.pk, None) in kinds


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", "Emergency access refused: the record shows a death"),
        ("es", "Acceso de emergencia rechazado: el expediente registra un fallecimiento"),
    ],
)
def test_the_review_page_marks_it_as_refused_after_a_death(world: World, language: str, words: str) -> None:
    _record_death(world, world.bob)
    _api(world, _glass(world))
    page = sign_in(Client(), world.staff["program_admin"]).get(
        "/program/emergency-reviews/", HTTP_ACCEPT_LANGUAGE=language
    )
    assert page.status_code == 200
    assert words in page.content.decode()


def test_the_program_admin_attests_the_refused_attempt(world: World) -> None:
    _record_death(world, world.bob)
    _api(world, _glass(world))
    [review] = _queued(world)
    answer = sign_in(Client(), world.staff["program_admin"]).post(
        f"/api/v1/emergency-reviews/{review.pk}/attest",
        json.dumps({"note": "asked the nurse: wrong record number typed"}),
        content_type="application/json",
    )
    assert answer.status_code == 200, answer.content[:300]
    review.refresh_from_db()
    assert review.attested_by_id == world.staff["program_admin"].pk


def test_the_nurse_who_was_refused_cannot_attest_it(world: World) -> None:
    _record_death(world, world.bob)
    _api(world, _glass(world))
    [review] = _queued(world)
    answer = sign_in(Client(), world.staff["nurse"]).post(
        f"/api/v1/emergency-reviews/{review.pk}/attest",
        json.dumps({"note": "it was me, all fine"}),
        content_type="application/json",
    )
    assert answer.status_code in (403, 404)
    review.refresh_from_db()
    assert review.attested_at is None


def test_a_granted_access_is_still_queued_as_emergency_access(world: World) -> None:
    assert _api(world, _glass(world)).status_code == 201
    kinds = list(EmergencyReview.objects.filter(patient=world.bob).values_list("kind", flat=True))
    assert kinds == ["emergency_access"]
