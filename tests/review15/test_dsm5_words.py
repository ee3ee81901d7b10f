"""Review 15: the DSM-5 result's reasons in the reader's language, its sources in words, the prior severity
never silently ignored, and the "on maintenance therapy" reading stated with DSM-5 as its source."""

from __future__ import annotations

import re
from typing import Any

import pytest

from keel.core import diagnosis
from tests.review15.test_dsm5_records import post_dsm

pytestmark = pytest.mark.django_db


def _result_page(client: Any, response: Any, lang: str = "en") -> str:
    if lang != "en":
        client.cookies["django_language"] = lang
    body = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE=lang).content.decode()
    return re.sub(r"\s+", " ", body)


def test_dsm5_reasons_are_in_spanish_on_a_spanish_result_page(world: Any, signed_in: Any) -> None:
    c = signed_in("prescriber")
    page = _result_page(c, post_dsm(c, world.alice.pk, yes=(1, 2, 3, 5)), "es")
    assert "4 de 11 criterios cumplidos en los últimos 12 meses." in page
    assert "criteria met in the last 12 months" not in page


def test_the_result_page_names_its_sources_in_words(world: Any, signed_in: Any) -> None:
    c = signed_in("prescriber")
    page = _result_page(c, post_dsm(c, world.alice.pk, yes=(1, 2, 3, 5)))
    assert "DSM-5-TR (2022)" in page
    assert "apa-dsm5-tr" not in page
    assert "bccsu-appendix-2" not in page


def test_a_prior_severity_with_two_or_more_criteria_is_not_silently_ignored() -> None:
    f = diagnosis.Findings(met=frozenset({1, 2, 3}), prior_oud=True, prior_severity="severe")
    d = diagnosis.diagnose(f)
    assert d.severity == "mild"
    assert any("(severe) is not used" in r for r in d.reasons)


def test_the_prior_severity_note_shows_on_the_result_page(world: Any, signed_in: Any) -> None:
    c = signed_in("prescriber")
    r = post_dsm(c, world.alice.pk, yes=(1, 2, 3), prior_oud="on", prior_severity="severe")
    assert "is not used" in _result_page(c, r)


def test_on_maintenance_therapy_states_keels_reading_with_dsm5_as_the_source() -> None:
    f = diagnosis.Findings(
        met=frozenset({10, 11}), prior_oud=True, on_maintenance_therapy=True, prior_severity="moderate"
    )
    d = diagnosis.diagnose(f)
    note = next(r for r in d.said if "clinicians disagree" in r.text)
    assert "apa-dsm5-tr" in note.sources
    assert "solely under appropriate medical supervision" in note.text


def test_no_maintenance_note_without_maintenance_therapy() -> None:
    f = diagnosis.Findings(met=frozenset({1, 2, 10}), medical_supervision=True)
    assert not any("clinicians disagree" in r for r in diagnosis.diagnose(f).reasons)


def test_an_unknown_prior_severity_is_a_422_in_plain_words() -> None:
    import json

    from django.test import Client

    answers = {f"dsm5_{i}": 0 for i in range(1, 12)}
    body = {"answers": answers, "extras": {"prior_oud": True, "prior_severity": "extreme"}}
    response = Client().post(
        "/api/v1/instruments/dsm5-oud/score", json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 422
    (error,) = response.json()["errors"]
    assert error["field"] == "extras.prior_severity"
    assert error["reason"] == "must be mild, moderate or severe"


def test_an_unknown_prior_severity_is_named_in_plain_words_by_the_core() -> None:
    f = diagnosis.Findings(met=frozenset(), prior_oud=True, prior_severity="extreme")
    (problem,) = diagnosis.problems(f)
    assert (problem.field, problem.reason) == ("prior_severity", "must be mild, moderate or severe")
