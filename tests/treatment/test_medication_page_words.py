"""The prescriber's medication page in the reader's language, with no code on it (session 20's look): which
order is in force today and which is written to start later, the frequency, the take-home criteria, and the
stored decisions' reasons (a take-home decision, a QTc) read back in Spanish; a refused override names no
field by its code."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import translation

from keel.core.decision import Reason
from keel.core.rules import methadone, qtc
from keel.treatment import services
from keel.treatment.models import QtcRecord, TakeHomePlan
from keel.treatment.words import reason_text, stored_reason_text, stored_reasons
from keel.web.dates import shown_date
from tests.conftest import World, sign_in
from tests.treatment.test_take_home_safety import NOON, TODAY, decide, observed, order

pytestmark = pytest.mark.django_db
LATER = TODAY + timedelta(days=3)


@pytest.fixture
def record(world: World) -> TakeHomePlan:
    """Methadone 60 mg in force, take-home bottles from tomorrow, a QTc of 480 ms, and a raise to 70 mg
    written today to start in three days."""
    order(world)
    observed(world, range(-40, 1))
    plan = decide(world)
    with time_machine.travel(NOON, tick=False):
        services.record_qtc(by=world.staff["nurse"], patient_id=world.alice.pk, qtc_ms=480)
        services.prescribe(
            by=world.staff["prescriber"],
            patient_id=world.alice.pk,
            medication="methadone",
            dose_mg="70",
            starts_on=LATER,
        )
    return plan


def _page(world: World, lang: str) -> str:
    with time_machine.travel(NOON + timedelta(hours=1), tick=False):
        client = sign_in(Client(), world.staff["prescriber"])
        response = client.get(f"/patients/{world.alice.pk}/medication/", HTTP_ACCEPT_LANGUAGE=lang)
    assert response.status_code == 200
    return response.content.decode()


def _order_line(body: str, mg: str) -> str:
    return next(
        line for line in body.split("<li>") if f"Methadone {mg} mg" in line or f"Metadona {mg} mg" in line
    )


def test_the_order_in_force_and_the_one_to_start_later_are_told_apart(world: World, record: Any) -> None:
    body = _page(world, "en")
    current, later = _order_line(body, "60"), _order_line(body, "70")
    with translation.override("en"):
        later_day = shown_date(LATER)  # the day in words (lane words32; was ISO)
    assert f"in force today; the newer order starts on {later_day}" in current
    assert "Replaced by a newer order" not in current  # it is the one that governs today's dose
    assert f"written to start on {later_day}: not in force yet" in later
    assert "Active" not in later


def test_in_spanish_the_orders_frequency_and_criteria_are_spanish(world: World, record: Any) -> None:
    body = _page(world, "es")
    with translation.override("es"):
        later_day = shown_date(LATER)  # the day in words (lane words32; was ISO)
    assert f"en vigor hoy; la orden más nueva empieza el {later_day}" in _order_line(body, "60")
    assert "una vez al día" in body and "once daily" not in body
    assert "asistencia regular a las dosis supervisadas" in body
    assert "regular attendance for supervised dosing" not in body


def test_in_spanish_the_stored_reasons_are_spanish(world: World, record: TakeHomePlan) -> None:
    body = _page(world, "es")
    qtc_record = QtcRecord.objects.get(patient=world.alice)
    for stored in [*record.decision["reasons"], *qtc_record.decision["reasons"]]:
        assert stored["text"] not in body  # the English the decision was stored with
    with translation.override("es"):
        shown = stored_reasons(record.decision) + stored_reasons(qtc_record.decision)
    assert shown and all(text in body for text in shown)


def test_a_refused_override_names_no_field_by_its_code(world: World, record: Any) -> None:
    with time_machine.travel(NOON + timedelta(hours=1), tick=False):
        client = sign_in(Client(), world.staff["prescriber"])
        response = client.post(
            f"/patients/{world.alice.pk}/medication/dose-overrides/",
            {"kind": "switch", "medication": "buprenorphine", "reason": "Moving to buprenorphine"},
            HTTP_ACCEPT_LANGUAGE="es",
            follow=True,
        )
    body = response.content.decode()
    assert "No guardado:" in body
    assert "kind:" not in body and "medication:" not in body


@pytest.mark.parametrize(
    "reason",
    [
        qtc.qtc_warning(480)[0],
        qtc.qtc_warning(520)[0],
        *methadone.TAKE_HOME.run(
            {"days_in_treatment": 40, **{key: True for key, _text in methadone.CRITERIA}}, {}
        ).reasons,
    ],
)
def test_a_stored_reason_reads_as_the_live_one(reason: Reason) -> None:
    """A reason stored as English text only reads in Spanish as the rule's own reason does."""
    with translation.override("es"):
        assert stored_reason_text({"text": reason.text, "sources": []}) == reason_text(reason)
        assert reason_text(reason) != reason.text
    with translation.override("en"):
        assert stored_reason_text({"text": reason.text}) == reason.text


def test_a_reason_the_catalogue_does_not_know_is_shown_as_stored() -> None:
    with translation.override("es"):
        assert stored_reason_text({"text": "typed by a prescriber"}) == "typed by a prescriber"
        assert stored_reason_text({"code": "x"}) == ""
        assert stored_reasons({"reasons": "not a list"}) == []
