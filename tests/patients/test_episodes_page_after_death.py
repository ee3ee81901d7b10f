"""The episodes page after a death is recorded (the lead, session 27): a readmission is refused after a death
(`episodes.readmit`), so its form is not offered; the page says why, in English and Spanish."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.conftest import World, sign_in

pytestmark = pytest.mark.django_db


def _page_after(world: World, reason: str, language: str = "en") -> str:
    nurse = sign_in(Client(), world.staff["nurse"])
    answer = nurse.post(
        f"/patients/{world.alice.pk}/discharge/",
        {"reason": reason},
        follow=True,
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert answer.status_code == 200
    return answer.content.decode()


def test_no_readmission_form_after_a_death(world: World) -> None:
    assert f"patients/{world.alice.pk}/readmit/" not in _page_after(world, "deceased")


def test_the_page_says_why_after_a_death(world: World) -> None:
    assert "a readmission is not possible" in _page_after(world, "deceased")


def test_the_page_says_why_in_spanish(world: World) -> None:
    assert "no es posible readmitirla" in _page_after(world, "deceased", "es")


def test_the_readmission_form_after_another_reason(world: World) -> None:
    assert f"patients/{world.alice.pk}/readmit/" in _page_after(world, "completed")
