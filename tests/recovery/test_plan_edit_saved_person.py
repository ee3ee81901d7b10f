"""The plan's edit page once a person to call is saved (type32d: typing `plan_from_form` showed the page
spread each saved person, a schema and no mapping, into its row: a 500 whenever the plan names someone)."""

from __future__ import annotations

from django.test import Client

from tests.conftest import World, sign_in


def test_the_edit_page_shows_the_saved_people_to_call(world: World) -> None:
    alice = sign_in(Client(), world.alice.user)
    saved = alice.post(
        "/me/plan/edit/",
        {"version": "0", "reasons": "my daughter", "person_name": ["Sam"], "person_phone": ["555-0100"]},
    )
    assert saved.status_code == 302
    page = alice.get("/me/plan/edit/")
    assert page.status_code == 200
    shown = page.content.decode()
    assert "Sam" in shown and "555-0100" in shown
