"""The dosing window's "N people still due today" after an htmx row action (session 18): the row alone is
swapped in, and the count was left as the page was loaded until a reload. Every swapped answer now tells
the page (`HX-Trigger: keel-dosed`) and the count element fetches itself again from the count's own URL,
made by the same read and the same sum as the whole page (one definition of "still due"). Without
JavaScript nothing changes: POST, redirect, the whole page with its count. In English and in Spanish."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client

from keel.treatment import services
from keel.treatment.models import MedicationOrder
from tests.conftest import World, sign_in

pytestmark = pytest.mark.django_db
NOON = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)  # noon in New York
COUNT = re.compile(r'<span id="due-count"[^>]*>(.*?)</span>', re.S)


@pytest.fixture
def orders(world: World) -> list[MedicationOrder]:
    """Alice and Bob (on the nurse's care team) each have a methadone order: two people due."""
    from keel.patients.models import CareTeamMember

    for role in ("nurse", "prescriber"):
        CareTeamMember.objects.get_or_create(patient=world.bob, user=world.staff[role])
    with time_machine.travel(NOON - timedelta(days=3), tick=False):
        return [
            services.prescribe(
                by=world.staff["prescriber"], patient_id=p.pk, medication="methadone", dose_mg=30
            )
            for p in (world.alice, world.bob)
        ]


def _nurse(world: World, language: str) -> Client:
    client = sign_in(Client(), world.staff["nurse"])
    client.cookies["django_language"] = language
    return client


def _count(html: str) -> str:
    """The count's words: in the page's `#due-count`, or the count's own answer (the words alone)."""
    found = COUNT.search(html)
    assert found or "<" not in html, html
    return " ".join((found.group(1) if found else html).split())


WORDS = {
    "en": ("2 people still due today.", "1 person still due today."),
    "es": ("Faltan 2 personas hoy.", "Falta 1 persona hoy."),
}


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("kind", ["given", "held"])
def test_the_count_drops_after_an_htmx_dose_or_hold(
    world: World, orders: list[MedicationOrder], language: str, kind: str
) -> None:
    before, after = WORDS[language]
    with time_machine.travel(NOON, tick=False):
        nurse = _nurse(world, language)
        page = nurse.get("/dosing/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
        assert _count(page) == before
        body = {"sequence": "1", "medication": "methadone"} | (
            {"sedated": "on"} if kind == "held" else {"amount_mg": "30"}
        )
        response = nurse.post(
            f"/dosing/{world.alice.pk}/", body, HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE=language
        )
        assert response.status_code == 200
        assert response.content.decode().lstrip().startswith("<tr")  # the row alone, as before
        assert response["HX-Trigger"] == "keel-dosed"  # the count is told to fetch itself
        url = re.search(r'<span id="due-count"[^>]*hx-get="([^"]+)"', page)
        assert url, page
        count = nurse.get(
            url.group(1).replace("&amp;", "&"), HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE=language
        )
        assert count.status_code == 200
        assert _count(count.content.decode()) == after
        # the count's own answer is the element the page shows, the same as the whole page reloaded
        assert _count(nurse.get("/dosing/", HTTP_ACCEPT_LANGUAGE=language).content.decode()) == after


def test_a_blocked_row_action_also_refreshes_the_count(world: World, orders: list[MedicationOrder]) -> None:
    """Any swapped answer (here an empty amount, nothing given): the count is fetched again (another
    nurse may have dosed someone meanwhile)."""
    with time_machine.travel(NOON, tick=False):
        nurse = _nurse(world, "en")
        response = nurse.post(
            f"/dosing/{world.alice.pk}/", {"sequence": "1", "medication": "methadone"}, HTTP_HX_REQUEST="true"
        )
        assert "type the amount given" in response.content.decode()
        assert response["HX-Trigger"] == "keel-dosed"
        assert _count(nurse.get("/dosing/due/", HTTP_HX_REQUEST="true").content.decode()) == WORDS["en"][0]


def test_the_count_keeps_the_find_field(world: World, orders: list[MedicationOrder]) -> None:
    """A list narrowed by the find field counts its own rows, and so does its count after a dose."""
    with time_machine.travel(NOON, tick=False):
        nurse = _nurse(world, "en")
        page = nurse.post("/dosing/", {"q": world.alice.given_name}).content.decode()
        assert _count(page) == "1 person still due today."
        span = re.search(r'<span id="due-count"[^>]*>', page)
        assert span
        url = re.search(r'hx-post="([^"]+)"', span.group(0))
        vals = re.search(r"hx-vals='([^']+)'", span.group(0))
        assert url and vals and "?" not in url.group(1)  # the name is posted, never in the URL (review 21p)
        posted = json.loads(vals.group(1))
        assert posted["q"] == world.alice.given_name
        nurse.post(f"/dosing/{world.alice.pk}/", {"sequence": "1", "amount_mg": "30"}, HTTP_HX_REQUEST="true")
        count = nurse.post(url.group(1), posted, HTTP_HX_REQUEST="true").content.decode()
        assert _count(count) == "0 people still due today."


def test_the_plain_post_still_redirects_to_the_whole_page(
    world: World, orders: list[MedicationOrder]
) -> None:
    with time_machine.travel(NOON, tick=False):
        nurse = _nurse(world, "en")
        response = nurse.post(f"/dosing/{world.alice.pk}/", {"sequence": "1", "amount_mg": "30"})
        assert response.status_code == 302
        assert "HX-Trigger" not in response
        assert _count(nurse.get(response["Location"]).content.decode()) == "1 person still due today."


def test_the_count_is_for_those_who_see_the_list(world: World, orders: list[MedicationOrder]) -> None:
    with time_machine.travel(NOON, tick=False):
        assert sign_in(Client(), world.staff["counselor"]).get("/dosing/due/").status_code == 403
        assert Client().get("/dosing/due/").status_code == 302  # sign in first
