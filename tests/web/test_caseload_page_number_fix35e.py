"""Lane fix35e (review 35e H4): the caseload's `page` is never silently replaced: not a whole number from 1
(negative, zero, letters, other digits, a decimal, spaces) is a 422 naming the field over the first page;
a page past the end (the list grew shorter) is the last page with a line that says so; a page that is
there is shown as before; a status kept alongside; Spanish words."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from keel.web.views import CASELOAD_PAGE_SIZE
from tests.review35e._setup import on_team

pytestmark = pytest.mark.django_db

URL = reverse("web:patient_list")


@pytest.mark.parametrize("raw", ["-1", "0", "abc", "٣", "1.5", " 2", "+1", "1e3", "00"])
def test_a_page_that_is_not_a_page_is_a_422(signed_in: Any, raw: str) -> None:
    assert signed_in("nurse").get(URL, {"page": raw}).status_code == 422


def test_the_422_names_the_field(signed_in: Any) -> None:
    page = signed_in("nurse").get(URL, {"page": "-1"}).content.decode()
    assert "Page: choose a whole number from 1; showing page 1." in page


def test_the_422_still_lists_the_first_page(world: Any, signed_in: Any) -> None:
    page = signed_in("nurse").get(URL, {"page": "abc"}).content.decode()
    assert world.alice.display_name in page


def test_the_422_is_said_in_spanish(signed_in: Any) -> None:
    page = signed_in("nurse").get(URL, {"page": "-1"}, HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Página: elija un número entero desde 1" in page


@pytest.mark.parametrize("raw", ["2", "99", "99999999999999999999"])
def test_a_page_past_the_end_is_the_last_with_a_line(signed_in: Any, raw: str) -> None:
    response = signed_in("nurse").get(URL, {"page": raw})
    assert "The list is shorter now: it has 1 page; showing page 1." in response.content.decode()


def test_a_page_past_the_end_is_not_an_error(signed_in: Any) -> None:
    assert signed_in("nurse").get(URL, {"page": "2"}).status_code == 200


def test_a_page_that_is_there_says_nothing_more(world: Any, signed_in: Any) -> None:
    for n in range(CASELOAD_PAGE_SIZE):
        on_team(world, "Many", f"Person{n:03d}", f"R35E-P{n}")
    response = signed_in("nurse").get(URL, {"page": "2"})
    assert "shorter now" not in response.content.decode()


def test_no_page_is_the_first(signed_in: Any) -> None:
    assert signed_in("nurse").get(URL).status_code == 200


def test_a_bad_page_with_a_status_is_a_422_too(signed_in: Any) -> None:
    assert signed_in("nurse").get(URL, {"page": "x", "status": "all"}).status_code == 422


def test_the_peer_gets_the_same_answer(signed_in: Any) -> None:
    assert signed_in("peer_specialist").get(URL, {"page": "0"}).status_code == 422
