"""Session 21, item 1: a methadone dose refused on a high QTc (a raise, or a start, written before a QTc of
500 ms or more was recorded) says what releases it: the prescriber re-writing the order with a reason for the
QTc, the dose meanwhile staying at the level already given. It never says "needs a prescriber's override": no
override releases it, and a nurse following those words would call for one that cannot work. Every route that
shows it: the dosing page's row (htmx), the JSON API's 409, the audit page's words, and Spanish. (The CLI
records no doses.) A refusal an override does release keeps its override words."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import translation

from keel.audit.models import Action, AuditEvent
from keel.core.rules.qtc import NEEDS_NEW_ORDER
from keel.treatment.services.common import DoseBlocked
from keel.web.audit_words import reason_words
from tests.conftest import sign_in
from tests.review20a_fixes.conftest import Clinic, a_day, clinic, dose, methadone_on, prescribe, qtc

__all__ = ["clinic"]

OVERRIDE_WORDS = ("override", "excepción")


def _raise_then_high_qtc(clinic: Clinic) -> date:
    """80 mg given daily, raised to 100 mg; 90 mg given under the raise; then a QTc of 520 ms recorded."""
    methadone_on(clinic, 80, dosed_until=a_day(clinic, 1))
    prescribe(clinic, 100, written=a_day(clinic, 2), hour=8)
    dose(clinic, 90, a_day(clinic, 2))
    qtc(clinic, 520, measured_on=a_day(clinic, 3), entered_on=a_day(clinic, 3), hour=8)
    return a_day(clinic, 3)


def _client(clinic: Clinic, language: str = "en") -> Client:
    return sign_in(Client(headers={"accept-language": language}), clinic.nurse)


def _refusal_words(text: str) -> None:
    """What releases it is said; no override is called for."""
    assert "re-writes the order with a reason" in text, text
    assert "up to 90 mg" in text, text  # the level already given under the raise, not the 80 it raised from
    assert "needs a prescriber's override" not in text, text


def test_the_service_refuses_it_with_a_verdict_no_override_releases(clinic: Clinic) -> None:
    day = _raise_then_high_qtc(clinic)
    with pytest.raises(DoseBlocked) as caught:
        dose(clinic, 100, day)
    assert caught.value.decision.decision == NEEDS_NEW_ORDER
    _refusal_words(str(caught.value))


def test_the_level_already_given_is_still_given(clinic: Clinic) -> None:
    day = _raise_then_high_qtc(clinic)
    assert dose(clinic, 90, day).amount_mg == 90


def test_the_audit_words_say_the_order_is_rewritten_not_an_override(clinic: Clinic) -> None:
    day = _raise_then_high_qtc(clinic)
    with pytest.raises(DoseBlocked):
        dose(clinic, 100, day)
    denied = AuditEvent.objects.filter(action=Action.DENIED, target_type="dose").latest("id")
    said = reason_words(denied.reason)
    assert "re-write the order with a reason for the QTc" in said, said
    assert not any(w in said for w in OVERRIDE_WORDS), said
    with translation.override("es"):
        said = reason_words(denied.reason)
    assert "vuelva a escribir la orden" in said, said
    assert not any(w in said for w in OVERRIDE_WORDS), said


def _row(clinic: Clinic, day: date, mg: str, language: str = "en") -> str:
    with time_machine.travel(clinic.at(day, 10), tick=False):
        response = _client(clinic, language).post(
            f"/dosing/{clinic.patient.pk}/",
            {"amount_mg": mg, "medication": "methadone", "sequence": "1"},
            headers={"hx-request": "true"},
        )
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_the_dosing_row_says_what_releases_it(clinic: Clinic) -> None:
    text = _row(clinic, _raise_then_high_qtc(clinic), "100")
    _refusal_words(text.replace("&#x27;", "'"))


def test_the_dosing_row_says_it_in_spanish(clinic: Clinic) -> None:
    text = _row(clinic, _raise_then_high_qtc(clinic), "100", "es").replace("&#x27;", "'")
    assert "vuelve a escribir la orden con un motivo" in text, text
    assert "hasta 90 mg" in text, text
    assert "necesita una excepción" not in text, text


def _api(clinic: Clinic, day: date, mg: str) -> Any:
    with time_machine.travel(clinic.at(day, 10), tick=False):
        return _client(clinic).post(
            f"/api/v1/patients/{clinic.patient.pk}/doses",
            json.dumps({"amount_mg": mg, "sequence": 1}),
            content_type="application/json",
        )


def test_the_api_409_says_what_releases_it(clinic: Clinic) -> None:
    response = _api(clinic, _raise_then_high_qtc(clinic), "100")
    assert response.status_code == 409, response.content
    body = response.json()
    assert body["decision"]["decision"] == NEEDS_NEW_ORDER
    _refusal_words(body["message"])
    assert [e["field"] for e in body["errors"]] == ["amount_mg"]


def test_a_start_written_before_a_high_qtc_says_no_methadone_until_rewritten(clinic: Clinic) -> None:
    day = a_day(clinic, 1)
    prescribe(clinic, 30, written=day, hour=8)
    qtc(clinic, 540, measured_on=day, entered_on=day, hour=9)
    with pytest.raises(DoseBlocked) as caught:
        dose(clinic, 30, day)
    assert caught.value.decision.decision == NEEDS_NEW_ORDER
    assert "no methadone until the prescriber re-writes the start with a reason" in str(caught.value)


def test_a_refusal_an_override_releases_keeps_its_override_words(clinic: Clinic) -> None:
    """A dose above the order with no QTc: the rule's own verdict, which a day's override releases."""
    methadone_on(clinic, 40, dosed_until=a_day(clinic, 1))
    with pytest.raises(DoseBlocked) as caught:
        dose(clinic, 45, a_day(clinic, 2))
    assert caught.value.decision.decision == "needs_override", caught.value.decision


def test_the_rules_own_override_words_give_way_to_the_qtc(clinic: Clinic) -> None:
    """The day after a raise the titration wait alone would need a day's override; with the QTc block on
    top, an override cannot give the dose: the refusal says the QTc's words, not the override's."""
    day = _raise_then_high_qtc(clinic)
    with pytest.raises(DoseBlocked) as caught:
        dose(clinic, 100, day)
    assert len(caught.value.decision.reasons) == 1
    assert "Needs a prescriber's override" not in str(caught.value)


def test_a_raise_the_rule_passes_is_refused_in_the_same_words(clinic: Clinic) -> None:
    """Days after the raise (the titration wait met), the QTc alone refuses it, with the same words."""
    _raise_then_high_qtc(clinic)
    for n in (3, 4, 5):
        dose(clinic, 90, a_day(clinic, n))
    with pytest.raises(DoseBlocked) as caught:
        dose(clinic, 100, a_day(clinic, 6))
    assert caught.value.decision.decision == NEEDS_NEW_ORDER
    _refusal_words(str(caught.value))
