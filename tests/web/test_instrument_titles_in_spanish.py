"""A clinician reading in Spanish sees each instrument's Spanish title (its definition's FHIR translation).

Seen at 390 px in Spanish (session 14): the patient page listed "Brief Addiction Monitor (BAM), past 30 days"
and every other instrument in English, and the bedside COWS page its English texts.
"""

from __future__ import annotations

import pytest
from django.test import Client

from keel.core.instruments import registry
from tests.conftest import World, sign_in

pytestmark = pytest.mark.django_db


def _spanish(world: World, path: str) -> str:
    client = sign_in(Client(), world.staff["counselor"])
    client.cookies["django_language"] = "es"
    return client.get(path, HTTP_ACCEPT_LANGUAGE="es").content.decode()


@pytest.mark.parametrize("code", registry.codes())
def test_the_patient_page_lists_the_instrument_by_its_spanish_title(world: World, code: str) -> None:
    assert registry.get(code, "es").title in _spanish(world, f"/patients/{world.alice.pk}/")


def test_the_patient_page_does_not_list_an_english_title_in_spanish(world: World) -> None:
    assert registry.get("bam").title not in _spanish(world, f"/patients/{world.alice.pk}/")


def test_the_bedside_cows_page_asks_its_items_in_spanish(world: World) -> None:
    assert registry.get("cows", "es").items[0].text in _spanish(world, f"/patients/{world.alice.pk}/cows/")


def test_the_patient_page_still_lists_english_titles_in_english(world: World) -> None:
    client = sign_in(Client(), world.staff["counselor"])
    page = client.get(f"/patients/{world.alice.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert registry.get("bam").title in page
