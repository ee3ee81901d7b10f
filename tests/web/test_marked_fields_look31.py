"""Lane look31: a page that says "check the parts marked below" marks them; an error says what it is about.

1. The recovery plan page said "Check the parts marked below" and marked nothing: each refused box and each
   refused person's name or phone carries its problem beside it (aria-invalid, linked by aria-describedby).
2. The program admin's reviews page listed a refused attest's error without saying which review it was about:
   it names the review (its kind and the person), marks the note beside it and keeps what was typed.
3. The measures form showed a refused value in a number (or date) input, which a browser shows as empty: the
   refused value comes back as typed, in a text input marked with its problem."""

from __future__ import annotations

import pytest
from django.test import Client

from keel.sharing.models import EmergencyReview
from keel.sharing.services import emergency_access
from tests.conftest import PASSWORD, World, sign_in
from tests.patients.test_undo_death_dead29b import _record_death

pytestmark = pytest.mark.django_db


def _plan(world: World, language: str, post: dict[str, object]) -> str:
    page = sign_in(Client(HTTP_ACCEPT_LANGUAGE=language), world.alice.user).post(
        "/me/plan/edit/", {"version": "0", **post}
    )
    assert page.status_code == 422
    return page.content.decode()


def test_a_bad_phone_is_marked_beside_its_field(world: World) -> None:
    page = _plan(world, "en", {"person_name": ["Sam", "Rosa"], "person_phone": ["555-0100", "call me"]})
    assert (
        '<p class="error" id="pp2-error">use digits, spaces, + - ( ) only</p><input type="tel" id="pp2" '
        'name="person_phone" maxlength="40" value="call me" aria-invalid="true" aria-describedby="pp2-error">'
    ) in page


def test_a_good_phone_is_not_marked(world: World) -> None:
    page = _plan(world, "en", {"person_name": ["Sam", "Rosa"], "person_phone": ["555-0100", "call me"]})
    assert 'id="pp1" name="person_phone" maxlength="40" value="555-0100">' in page


def test_a_number_with_no_name_marks_the_name(world: World) -> None:
    page = _plan(world, "en", {"person_name": [""], "person_phone": ["555-0199"]})
    assert 'value="" aria-invalid="true" aria-describedby="pn1-error">' in page


def test_a_too_long_line_marks_its_box_in_spanish(world: World) -> None:
    page = _plan(world, "es", {"triggers": "ok\n" + "x" * 301})
    assert 'aria-describedby="triggers-hint triggers-error" aria-invalid="true">' in page


def test_the_marked_box_keeps_what_was_typed(world: World) -> None:
    page = _plan(world, "en", {"triggers": "the bar on 5th\n" + "x" * 301})
    assert "the bar on 5th" in page


def _broke_the_glass(world: World) -> EmergencyReview:
    emergency_access(
        by=world.staff["nurse"],
        record_number="RR-0002",
        reason="collapsed in the waiting room",
        password=PASSWORD,
    )
    return EmergencyReview.objects.get()


def _attest(world: World, language: str, note: str) -> tuple[EmergencyReview, str]:
    review = _broke_the_glass(world)
    admin = sign_in(Client(HTTP_ACCEPT_LANGUAGE=language), world.staff["program_admin"])
    page = admin.post(f"/program/emergency-reviews/{review.pk}/attest/", {"note": note})
    assert page.status_code == 422
    return review, page.content.decode()


def test_a_refused_attest_names_the_review_it_is_about(world: World) -> None:
    review, page = _attest(world, "en", "ok")
    kind = "Emergency access (break the glass)"
    assert f"The review of {review.patient.display_name} ({kind}) was not attested." in page


def test_a_refused_attest_names_the_review_in_spanish(world: World) -> None:
    review, page = _attest(world, "es", "ok")
    kind = "Acceso de emergencia (romper el cristal)"
    assert f"No se certificó la revisión de {review.patient.display_name} ({kind})." in page


def test_a_refused_note_is_kept_and_marked(world: World) -> None:
    review, page = _attest(world, "en", "ok")
    assert f'aria-invalid="true" aria-describedby="note-{review.pk}-error">ok</textarea>' in page


def _measures(world: World, query: str) -> str:
    admin = sign_in(Client(HTTP_ACCEPT_LANGUAGE="en"), world.staff["program_admin"])
    page = admin.get(f"/program/measures/?{query}")
    assert page.status_code == 422
    return page.content.decode()


def test_a_refused_gap_comes_back_as_typed(world: World) -> None:
    page = _measures(world, "max_gap=seven")
    assert '<input type="text" id="m-gap" name="max_gap" min="0" max="60" value="seven"' in page


def test_a_refused_gap_is_marked_with_its_problem(world: World) -> None:
    page = _measures(world, "max_gap=seven")
    assert '<span class="error" id="m-gap-error">must be a whole number of days from 0 to 60</span>' in page


def test_a_refused_gap_is_named_by_its_label(world: World) -> None:
    page = _measures(world, "max_gap=99")
    assert "<strong>Longest gap allowed (days)</strong>: must be a whole number of days from 0 to 60" in page


def test_a_refused_day_comes_back_as_typed(world: World) -> None:
    page = _measures(world, "start=2026-02-30")
    assert '<input type="text" id="m-start" name="start" value="2026-02-30" aria-invalid="true"' in page


def test_a_refused_undo_reason_is_marked_beside_its_field(world: World) -> None:
    _record_death(world)
    admin = sign_in(Client(HTTP_ACCEPT_LANGUAGE="en"), world.staff["program_admin"])
    page = admin.post(f"/patients/{world.alice.pk}/undo-death/", {"reason": "oops", "undo_confirmed": "on"})
    assert 'aria-invalid="true" aria-describedby="undo-reason-error">oops</textarea>' in page.content.decode()
