"""re37f: what held (read, search and $everything agree; `_lastUpdated` refused, not ignored; one id after
a refuted Condition is diagnosed again)."""

from __future__ import annotations

import pytest

from tests.conftest import World
from tests.re37f.test_finding_1 import _dsm5, _searched
from tests.review36g._setup import consent, everything, fhir, token

pytestmark = pytest.mark.django_db


def test_read_search_and_everything_agree_after_a_rediagnosis(world: World) -> None:
    first = _dsm5(world, 6, days_ago=5)
    _dsm5(world, 0, days_ago=3)
    assert [c["verificationStatus"]["coding"][0]["code"] for c in _searched(world)] == ["refuted"]
    _dsm5(world, 8, days_ago=1)
    (found,) = _searched(world)
    assert (
        found["id"] == f"oud-{first.pk}" and found["verificationStatus"]["coding"][0]["code"] == "confirmed"
    )
    c = consent(world, ["record"]).pk
    read = fhir(f"/fhir/R4/Condition/oud-{first.pk}", token(world), c).json()
    every = everything(world, token(world), c, count=200).json()
    conds = [e["resource"] for e in every["entry"] if e["resource"]["resourceType"] == "Condition"]

    def bare(res: dict) -> dict:  # a read carries its consent's scope as a tag; the rest is one resource
        return {**res, "meta": {k: v for k, v in res["meta"].items() if k != "tag"}}

    assert bare(read) == bare(found) == bare(conds[0]) and len(conds) == 1


def test_last_updated_search_on_condition_is_refused(world: World) -> None:
    _dsm5(world, 6, days_ago=1)
    r = fhir("/fhir/R4/Condition", token(world), consent(world, ["record"]).pk, _lastUpdated="gt2026-01-01")
    assert r.status_code == 400
