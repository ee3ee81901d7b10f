"""Review 29b H3: a page that lists its field problems above the form names each field by the form's label,
in the reader's language (`field_words.labelled`, `web/_error_list.html`), never by its internal key: the
emergency access page, the sharing page's forms, the emergency reviews, a person's recovery plan and the
program measures."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client

from keel.core.rules.inputs import FieldError
from keel.patients.models import local_today
from keel.web import field_words
from tests.conftest import PASSWORD, World, sign_in
from tests.review27b.test_death_and_activation import _record_death

pytestmark = pytest.mark.django_db
KEY_IN_BOLD = re.compile(r"<strong>[a-z]+(_[a-z]+)*(\[\d+\])?(\.[a-z_]+)?</strong>")


def test_a_field_the_form_names_is_said_under_its_label() -> None:
    listed = field_words.labelled(
        [FieldError("record_number", "no patient")], {"record_number": "Record number"}
    )
    assert listed[0][0] == "Record number"


def test_a_field_the_form_does_not_name_is_said_alone() -> None:
    assert field_words.labelled([FieldError("basis", "no basis")], {})[0][0] == ""


def test_an_items_problem_is_said_under_its_lists_label() -> None:
    listed = field_words.labelled([FieldError("people[0].phone", "digits")], {"people": "People I can call"})
    assert listed[0][0] == "People I can call"


def _emergency(world: World, language: str, password: str = PASSWORD) -> str:
    nurse = sign_in(Client(HTTP_ACCEPT_LANGUAGE=language), world.staff["nurse"])
    page = nurse.post(
        "/emergency-access/",
        {
            "record_number": "RR-0002",
            "reason": "overdose in the waiting room right now",
            "password": password,
        },
    )
    assert page.status_code == 422
    return page.content.decode()


def test_the_emergency_page_names_the_record_number_by_its_spanish_label(world: World) -> None:
    _record_death(world, world.bob)
    assert "<strong>Número de expediente</strong>" in _emergency(world, "es")


def test_the_emergency_page_names_the_password_by_its_label(world: World) -> None:
    assert "<strong>Your password, to confirm</strong>" in _emergency(world, "en", password="not it")


def test_the_emergency_page_shows_no_field_key(world: World) -> None:
    assert not KEY_IN_BOLD.search(_emergency(world, "en", password="not it"))


def _paper(world: World) -> str:
    counselor = sign_in(Client(), world.staff["counselor"])
    page = counselor.post(
        f"/patients/{world.alice.pk}/sharing/paper-consent/",
        {
            "recipient_name": "Dr. Ana Ortiz, Hillcrest Family Clinic",
            "purpose": "treatment",
            "categories": ["record"],
            "expires_on": (local_today(world.alice) + timedelta(days=30)).isoformat(),
            "signature": "",
            "understood": "on",
        },
    )
    assert page.status_code == 422
    return page.content.decode()


def test_the_paper_consent_form_names_the_signature_by_its_label(world: World) -> None:
    assert "<strong>The name as signed</strong>" in _paper(world)


def test_the_paper_consent_form_shows_no_field_key(world: World) -> None:
    assert not KEY_IN_BOLD.search(_paper(world))


def _plan(world: World) -> str:
    page = sign_in(Client(), world.alice.user).post(
        "/me/plan/edit/", {"version": "0", "person_name": "Rosa", "person_phone": "call me maybe"}
    )
    assert page.status_code == 422
    return page.content.decode()


def test_the_recovery_plan_names_a_phone_problem_by_the_persons_row(world: World) -> None:
    # lane look30: the row's own words ("Phone for Rosa"), not only the list's ("People I can call")
    assert "<strong>Phone for Rosa</strong>" in _plan(world)


def test_the_recovery_plan_shows_no_item_key(world: World) -> None:
    assert "people[0]" not in _plan(world)


def test_the_program_measures_name_a_bad_day_by_its_label(world: World) -> None:
    page = sign_in(Client(), world.staff["program_admin"]).get("/program/measures/", {"start": "soon"})
    assert "<strong>From</strong>" in page.content.decode()
