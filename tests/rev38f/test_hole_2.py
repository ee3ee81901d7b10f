"""Hole 2: a searchset's `next` link that the server itself refuses to follow.

What the user does: an HIE pulls every Patient of a large program (a program admin's token or session),
following each Bundle's `next` link as FHIR says to, `_count=200` (the documented maximum).
What goes wrong: paging is by `_offset`, refused above MAX_OFFSET (10,000), but `_searchset` writes a
`next` link whatever its offset: at `_offset=10000` the Bundle still says `next` -> `_offset=10200`, and
following it is a 400 OperationOutcome ("_offset must be a whole number from 0 to 10000"). A conformant
client either stops with an error or (most HIE pullers) treats the 400 as the end, silently missing
every resource past 10,200; the Bundle gave no `total` to tell it (a page with more has none).
Severity: medium (interoperability: a program past ~10,000 resources of one type, e.g. doses, can never be
fully read; the truncation is not announced).
What should hold: every `next` link the server writes is one it answers with 200 (or the last reachable
page says, as an OperationOutcome/issue in the Bundle, that the search must be narrowed).
"""

from __future__ import annotations

import json
from datetime import date

import pytest
from django.test import Client

from keel.patients.models import Patient
from tests.conftest import sign_in
from tests.factories import pinned_at_last_five_pm_utc


@pytest.fixture(autouse=True)
def _clock():
    yield from pinned_at_last_five_pm_utc()


def test_every_next_link_of_a_patient_search_is_one_the_server_answers(world):
    Patient.objects.bulk_create(
        Patient(
            program=world.riverside,
            record_number=f"BULK-{n:05d}",
            given_name="Pat",
            family_name=f"Many{n:05d}",
            date_of_birth=date(1980, 1, 1),
        )
        for n in range(10_300)
    )
    client = sign_in(Client(), world.user("program_admin"))
    page = client.get("/fhir/R4/Patient?_count=200&_offset=10000")
    assert page.status_code == 200
    nxt = [link["url"] for link in json.loads(page.content)["link"] if link["relation"] == "next"]
    assert nxt, "there are more than 10,200 patients: the page has a next link"
    followed = client.get(nxt[0].replace("http://testserver", ""))
    assert followed.status_code == 200, followed.content[:300]
