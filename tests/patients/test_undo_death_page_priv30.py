"""Lane priv30, item 3: the undo-death page (a program admin) keeps the typed reason when it is refused, so
the admin can fix it (escaped), and names the field by the form's own label, translated: "Why the death was
recorded by mistake", never "Reason"."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from keel.patients.models import death_recorded
from tests.conftest import World, sign_in
from tests.patients.test_undo_death_dead29b import _record_death

pytestmark = pytest.mark.django_db
SHORT = "oops <b>x</b>"


def _post_undo(world: World, language: str = "en", **body: str) -> Any:
    return sign_in(Client(), world.staff["program_admin"]).post(
        f"/patients/{world.alice.pk}/undo-death/", body, HTTP_ACCEPT_LANGUAGE=language
    )


def test_a_refused_reason_is_kept_in_the_textarea_escaped(world: World) -> None:
    _record_death(world)
    page = _post_undo(world, reason=SHORT, undo_confirmed="on")
    body = page.content.decode()
    assert page.status_code == 422
    assert "oops &lt;b&gt;x&lt;/b&gt;</textarea>" in body
    assert "<b>x</b>" not in body
    assert death_recorded(world.alice.pk) is True


def test_an_unconfirmed_undo_keeps_the_reason_too(world: World) -> None:
    _record_death(world)
    why = "Recorded for the wrong person: she was at her visit today"
    page = _post_undo(world, reason=why)
    assert page.status_code == 422
    assert f">{why}</textarea>" in page.content.decode()


@pytest.mark.parametrize(
    ("language", "label", "not_said"),
    [
        ("en", "Why the death was recorded by mistake: ", "Reason: "),
        ("es", "Por qué se registró la muerte por error: ", "Razón: "),
    ],
)
def test_the_refusal_names_the_field_by_the_forms_own_label(
    world: World, language: str, label: str, not_said: str
) -> None:
    _record_death(world)
    page = _post_undo(world, language, reason=SHORT, undo_confirmed="on")
    body = page.content.decode()
    assert page.status_code == 422
    assert label in body
    assert not_said not in body


def test_the_page_opens_with_an_empty_reason(world: World) -> None:
    _record_death(world)
    page = sign_in(Client(), world.staff["program_admin"]).get(f"/patients/{world.alice.pk}/episodes/")
    assert 'name="reason" maxlength="500" required></textarea>' in page.content.decode()
