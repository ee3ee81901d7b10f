"""Lane look30: pages of session 29 looked at as their users see them (headless Chromium), and what they
showed that no reader should read:

1. A patient on a phone with several people to call and one bad phone read "People I can call: use digits,
   spaces, + - ( ) only" and had to guess which of the rows it meant (none is marked): the problem names the
   row by what was typed in it ("Phone for Rosa"; "Name for the phone 555-0100" for a number with no name).
2. The staff sharing page said a consent's status by its internal code ("active", in English on a Spanish
   page): it says it in words, as the patient's own page does.
3. The emergency reviews page named each review's kind in English on a Spanish page ("Emergency access
   (break the glass)"): the kinds are translated, as the disclosures' bases are (lane emg27).
4. A review attested in another tab answered the second attest with a bare "was already attested" ("ya se
   dio fe"): the list names what was already attested, in the page's own verb."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client

from keel.patients.models import local_today
from keel.sharing.models import EmergencyReview
from keel.sharing.services import emergency_access
from keel.sharing.services.consents import sign_consent
from keel.sharing.services.reviews import attest_review
from tests.conftest import PASSWORD, World, sign_in

pytestmark = pytest.mark.django_db


def _plan(world: World, language: str, names: list[str], phones: list[str]) -> str:
    page = sign_in(Client(HTTP_ACCEPT_LANGUAGE=language), world.alice.user).post(
        "/me/plan/edit/", {"version": "0", "person_name": names, "person_phone": phones}
    )
    assert page.status_code == 422
    return page.content.decode()


def test_a_bad_phone_is_named_by_the_persons_name(world: World) -> None:
    page = _plan(world, "en", ["Sam", "Rosa", ""], ["555-0100", "call me", ""])
    assert "<strong>Phone for Rosa</strong>: use digits, spaces, + - ( ) only" in page


def test_a_bad_phone_is_named_by_the_persons_name_in_spanish(world: World) -> None:
    page = _plan(world, "es", ["Sam", "Rosa"], ["llámame", "555-0101"])
    assert "<strong>Teléfono de Sam</strong>: use solo dígitos, espacios y + - ( )" in page


def test_a_number_with_no_name_is_named_by_the_number(world: World) -> None:
    page = _plan(world, "en", ["Sam", ""], ["555-0100", "555-0199"])
    assert "<strong>Name for the phone 555-0199</strong>" in page


def _consented(world: World) -> None:
    sign_consent(
        by=world.alice.user,
        raw={
            "recipient_name": "Valley Primary Care",
            "purpose": "treatment",
            "categories": ["record"],
            "expires_on": (local_today(world.alice) + timedelta(days=90)).isoformat(),
            "signature": "Alicia Zamorano",
            "understood": True,
        },
    )


@pytest.mark.parametrize(("language", "word"), [("en", "Active"), ("es", "Activo")])
def test_the_staff_sharing_page_says_a_consents_status_in_words(
    world: World, language: str, word: str
) -> None:
    _consented(world)
    counselor = sign_in(Client(HTTP_ACCEPT_LANGUAGE=language), world.staff["counselor"])
    page = counselor.get(f"/patients/{world.alice.pk}/sharing/").content.decode()
    assert f'<span class="tag">{word}</span>' in page
    assert '<span class="tag">active</span>' not in page


def _broke_the_glass(world: World) -> EmergencyReview:
    emergency_access(
        by=world.staff["nurse"],
        record_number="RR-0002",
        reason="collapsed in the waiting room",
        password=PASSWORD,
    )
    return EmergencyReview.objects.get()


def test_the_reviews_page_names_the_kind_in_spanish(world: World) -> None:
    _broke_the_glass(world)
    admin = sign_in(Client(HTTP_ACCEPT_LANGUAGE="es"), world.staff["program_admin"])
    page = admin.get("/program/emergency-reviews/").content.decode()
    assert "Acceso de emergencia (romper el cristal)" in page
    assert "break the glass" not in page


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("en", "<strong>This use of emergency powers</strong>: was already attested"),
        ("es", "<strong>Este uso de los permisos de emergencia</strong>: ya fue certificado"),
    ],
)
def test_a_second_attest_names_what_was_attested(world: World, language: str, said: str) -> None:
    review = _broke_the_glass(world)
    admin = sign_in(Client(HTTP_ACCEPT_LANGUAGE=language), world.staff["program_admin"])
    attest_review(by=world.staff["program_admin"], review_id=review.pk, note="checked the chart")  # other tab
    page = admin.post(f"/program/emergency-reviews/{review.pk}/attest/", {"note": "checked it too"})
    assert page.status_code == 422
    assert said in page.content.decode()
