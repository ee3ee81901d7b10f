"""Lane dead29a (item 3): the duplicate warning at registration says when the record it found shows a death
(a death recorded by mistake, to be corrected on that record, or a different person with the same name and
birth date), in English and Spanish, with no day of death and no ISO date. It searches only the program the
person is registered into, one of the registrar's own (`policy.registering_programs`): another program's
patients are never named, counted or said to have died (42 CFR Part 2)."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from keel.patients.models import Enrollment, Patient, local_today
from tests.conftest import World, sign_in
from tests.review27b.test_death_and_activation import _record_death

pytestmark = pytest.mark.django_db
DIED = "that record shows the person died"


def _body(patient: Patient, **more: Any) -> dict[str, Any]:
    return {
        "given_name": patient.given_name,
        "family_name": patient.family_name,
        "date_of_birth": patient.date_of_birth.isoformat(),
        "episode_kind": "otp",
        "notice_given": True,
        "consented": True,
        **more,
    }


def _register(world: World, patient: Patient, role: str = "program_admin", **more: Any) -> Any:
    return sign_in(Client(), world.staff[role]).post(
        "/api/v1/patients", json.dumps(_body(patient, **more)), content_type="application/json"
    )


def _said(answer: Any) -> str:
    return str(answer.json()["errors"][0]["reason"])


def test_the_api_names_the_duplicate_question(world: World) -> None:
    _record_death(world, world.alice)
    answer = _register(world, world.alice)
    assert answer.status_code == 422
    assert [e["field"] for e in answer.json()["errors"]] == ["not_a_duplicate"]


def test_the_warning_says_the_record_found_shows_a_death(world: World) -> None:
    _record_death(world, world.alice)
    assert DIED in _said(_register(world, world.alice))


def test_the_warning_says_a_death_recorded_by_mistake_is_undone_on_that_record(world: World) -> None:
    """Review 29b H4: the warning sends the desk to the program admin's undo of a death (lane dead29b)."""
    _record_death(world, world.alice)
    said = _said(_register(world, world.alice))
    assert "a program admin can undo the death on that person's record" in said


def test_a_clinician_registering_hears_it_too(world: World) -> None:
    _record_death(world, world.alice)
    assert DIED in _said(_register(world, world.alice, role="counselor"))


def test_the_warning_holds_no_date(world: World) -> None:
    _record_death(world, world.alice)
    assert not re.search(r"\d", _said(_register(world, world.alice)))


def test_a_living_persons_duplicate_says_no_death(world: World) -> None:
    answer = _register(world, world.alice)
    assert "died" not in _said(answer)


def test_a_living_persons_duplicate_keeps_its_question(world: World) -> None:
    assert "check it is not the same person" in _said(_register(world, world.alice))


def test_a_death_recorded_in_another_programs_episode_is_said(world: World) -> None:
    today = local_today(world.alice)
    Enrollment.objects.create(
        patient=world.alice,
        program=world.lakeside,
        started_on=today - timedelta(days=400),
        ended_on=today - timedelta(days=2),
        end_reason="deceased",
        status="ended",
    )
    assert DIED in _said(_register(world, world.alice))


def test_confirmed_a_different_person_is_registered(world: World) -> None:
    _record_death(world, world.alice)
    assert _register(world, world.alice, not_a_duplicate=True).status_code == 201


def test_another_programs_dead_patient_is_never_found(world: World) -> None:
    """Charlie is Lakeside's; Riverside's admin registers her name and birth date: no warning at all."""
    _record_death_at_lakeside(world)
    assert _register(world, world.charlie).status_code == 201


def test_the_audit_row_of_the_refusal_is_about_the_person_found(world: World) -> None:
    from keel.audit.models import AuditEvent

    _record_death(world, world.alice)
    _register(world, world.alice)
    said = "registration: this person is already registered; the death was said"  # review 29b
    row = AuditEvent.objects.filter(reason=said).get()
    assert row.patient_id == world.alice.pk


def _record_death_at_lakeside(world: World) -> None:
    from keel.patients.schemas import DischargeIn
    from keel.patients.services import discharge

    discharge(
        by=world.lakeside_nurse,
        patient_id=world.charlie.pk,
        data=DischargeIn.posted({"reason": "deceased"}),
    )


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", "that record shows the person died. If the death was recorded by mistake"),
        ("es", "ese expediente registra que la persona falleció. Si la muerte se registró por error"),
    ],
)
def test_the_page_says_it(world: World, language: str, words: str) -> None:
    _record_death(world, world.alice)
    body = {**_body(world.alice), "notice_given": "on", "consented": "on"}
    page = sign_in(Client(), world.staff["program_admin"]).post(
        "/patients/new/", body, HTTP_ACCEPT_LANGUAGE=language
    )
    assert page.status_code == 422
    assert words in page.content.decode()
