"""Lane fix38f (review 38f H2): every next link a search by type writes is one Keel answers. Past MAX_OFFSET
the link carries an opaque keyset cursor (`_cursor`: where the next page starts, by patient id), so a client
that follows `next` reads every match once; a paging without cursors (Questionnaire, `$everything`, a
release) ends at the last page `_offset` reaches with no next link and an OperationOutcome entry saying to
narrow the search. The cap is lowered here (the reviewer's test builds 10,300 patients)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from keel.assessments.services import submit_assessment
from keel.interop.rest import params
from keel.patients.models import CareTeamMember, Patient
from tests.conftest import World, sign_in
from tests.factories import pinned_at_last_five_pm_utc
from tests.fhir_r4 import assert_valid_r4

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock() -> Any:
    yield from pinned_at_last_five_pm_utc()


@pytest.fixture(autouse=True)
def _cap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(params, "MAX_OFFSET", 2)


def _many(world: World) -> None:
    Patient.objects.bulk_create(
        Patient(
            program=world.riverside,
            record_number=f"BULK-{n:02d}",
            given_name="Pat",
            family_name=f"Many{n:02d}",
            date_of_birth=date(1980, 1, 1),
        )
        for n in range(5)
    )


def _follow(client: Client, url: str) -> tuple[list[str], list[Any]]:
    """Every entry's id from `url` on, following each next link, and each page."""
    ids: list[str] = []
    pages: list[Any] = []
    while url:
        page = client.get(url.replace("http://testserver", ""))
        pages.append(page)
        body = page.json()
        ids += [e["resource"]["id"] for e in body.get("entry", [])]
        url = next((x["url"] for x in body["link"] if x["relation"] == "next"), "")
    return ids, pages


def _admin(world: World) -> Client:
    return sign_in(Client(), world.user("program_admin"))


def test_following_every_next_link_of_a_patient_search_reads_every_patient_once(world: World) -> None:
    _many(world)
    client = _admin(world)
    ids, _ = _follow(client, "/fhir/R4/Patient?_count=2")
    every = [e["resource"]["id"] for e in client.get("/fhir/R4/Patient?_count=200").json()["entry"]]
    assert ids == every


def test_every_next_link_of_a_patient_search_is_answered(world: World) -> None:
    _many(world)
    _, pages = _follow(_admin(world), "/fhir/R4/Patient?_count=2")
    assert {p.status_code for p in pages} == {200}


def test_a_next_link_past_the_cap_carries_a_cursor(world: World) -> None:
    _many(world)
    body = _admin(world).get("/fhir/R4/Patient?_count=2&_offset=2").json()
    nxt = next(x["url"] for x in body["link"] if x["relation"] == "next")
    assert "_cursor=" in nxt and "_offset=" not in nxt


def test_a_page_read_by_cursor_is_valid_r4(world: World) -> None:
    _many(world)
    client = _admin(world)
    body = client.get("/fhir/R4/Patient?_count=2&_offset=2").json()
    nxt = next(x["url"] for x in body["link"] if x["relation"] == "next")
    assert_valid_r4(client.get(nxt.replace("http://testserver", "")).json())


def test_the_last_page_by_cursor_says_the_total(world: World) -> None:
    _many(world)
    client = _admin(world)
    _, pages = _follow(client, "/fhir/R4/Patient?_count=2")
    every = client.get("/fhir/R4/Patient?_count=0").json()["total"]
    assert pages[-1].json()["total"] == every


def test_a_cursor_not_of_this_server_is_a_400_naming_it(world: World) -> None:
    found = _admin(world).get("/fhir/R4/Patient?_cursor=WzEsMiwzXQ")
    assert (found.status_code, found.json()["issue"][0]["expression"]) == (400, ["_cursor"])


def test_a_cursor_beside_an_offset_is_a_400(world: World) -> None:
    client = _admin(world)
    _many(world)
    body = client.get("/fhir/R4/Patient?_count=2&_offset=2").json()
    nxt = next(x["url"] for x in body["link"] if x["relation"] == "next")
    assert client.get(nxt.replace("http://testserver", "") + "&_offset=0").status_code == 400


def _assessments(world: World) -> None:
    prescriber = world.user("prescriber")
    for patient in (world.alice, world.bob):
        CareTeamMember.objects.get_or_create(patient=patient, user=prescriber)
        for hours in (2, 3):
            submit_assessment(
                by=prescriber,
                patient_id=patient.pk,
                instrument="phq9",
                answers={f"phq9_{i}": 1 for i in range(1, 10)},
                filled_at=timezone.now() - timedelta(hours=hours),
            )


@pytest.mark.parametrize("kind", ["Observation", "QuestionnaireResponse"])
def test_following_every_next_link_of_a_search_reads_every_match_once(world: World, kind: str) -> None:
    _assessments(world)
    client = sign_in(Client(), world.user("prescriber"))
    ids, _ = _follow(client, f"/fhir/R4/{kind}?_count=1")
    every = [e["resource"]["id"] for e in client.get(f"/fhir/R4/{kind}?_count=200").json()["entry"]]
    assert ids == every


def test_a_paging_without_cursors_ends_with_no_next_link(world: World) -> None:
    body = Client().get("/fhir/R4/Questionnaire?_count=1&_offset=2").json()
    assert [x["relation"] for x in body["link"] if x["relation"] == "next"] == []


def test_a_paging_without_cursors_says_to_narrow_the_search(world: World) -> None:
    body = Client().get("/fhir/R4/Questionnaire?_count=1&_offset=2").json()
    outcome = [e["resource"] for e in body["entry"] if e["search"]["mode"] == "outcome"]
    assert "narrow" in outcome[0]["issue"][0]["diagnostics"]


def test_the_page_that_says_to_narrow_is_valid_r4(world: World) -> None:
    assert_valid_r4(Client().get("/fhir/R4/Questionnaire?_count=1&_offset=2").json())


def test_the_capability_statement_says_how_paging_ends(world: World) -> None:
    documentation = Client().get("/fhir/R4/metadata").json()["rest"][0]["documentation"]
    assert "_cursor" in documentation and "narrow the search" in documentation
