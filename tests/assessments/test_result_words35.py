"""Lane words35: a result's reasons ("PHQ-9 total 9 of 27: mild depression symptoms.") are catalogue
entries with parts, said in the reader's language on the result page (a clinician's: the person's own shows
none) and in the suicide-risk flag they raise; the API keeps the English. A row stored before (its reasons
in English, no templates) is read back through the catalogue's template its English was written from."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest
from django.test import Client

from keel.assessments import services
from keel.assessments.models import Assessment
from keel.core.instruments import registry
from tests.conftest import World, sign_in

pytestmark = pytest.mark.django_db


def visible(html: str) -> str:
    """What a reader sees of a page: no script, no style, no tag; spaces as one."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S | re.I)
    return " ".join(unescape(re.sub(r"<[^>]*>", " ", html)).split())


def _answers(code: str, **chosen: int) -> dict[str, int]:
    """Every item of `code` answered 0 but those `chosen`."""
    return {item.link_id: chosen.get(item.link_id, 0) for item in registry.get(code).items}


def _result(world: World, code: str, answers: dict[str, int], extras: dict[str, Any] | None = None) -> int:
    assessment, _ = services.submit_assessment(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        instrument=code,
        answers=answers,
        extras=extras,
    )
    return assessment.pk


def _page(world: World, assessment_id: int, lang: str) -> str:
    client = sign_in(Client(), world.staff["prescriber"])
    response = client.get(
        f"/patients/{world.alice.pk}/assessments/{assessment_id}/", HTTP_ACCEPT_LANGUAGE=lang
    )
    assert response.status_code == 200
    return visible(response.content.decode())


PHQ9_9 = {"phq9_1": 3, "phq9_2": 3, "phq9_3": 3, "phq9_4": 1}  # total 10: moderate, a positive screen


def test_a_phq9_total_is_said_in_english(world: World) -> None:
    page = _page(world, _result(world, "phq9", _answers("phq9", **PHQ9_9)), "en")
    assert "PHQ-9 total 10 of 27: moderate depression symptoms." in page


def test_a_phq9_total_is_said_in_spanish(world: World) -> None:
    page = _page(world, _result(world, "phq9", _answers("phq9", **PHQ9_9)), "es")
    assert "Total del PHQ-9: 10 de 27: síntomas moderados de depresión." in page


def test_a_phq9_positive_screen_is_said_in_spanish(world: World) -> None:
    page = _page(world, _result(world, "phq9", _answers("phq9", **PHQ9_9)), "es")
    assert "Un total de 10 o más es un cribado positivo de depresión." in page


def test_no_phq9_reason_is_left_in_english_on_the_spanish_page(world: World) -> None:
    page = _page(world, _result(world, "phq9", _answers("phq9", **PHQ9_9)), "es")
    assert "positive screen" not in page


def test_a_gad7_total_is_said_in_spanish(world: World) -> None:
    page = _page(world, _result(world, "gad7", _answers("gad7", gad7_1=3, gad7_2=3)), "es")
    assert "Total del GAD-7: 6 de 21: síntomas leves de ansiedad." in page


def test_a_cows_total_is_said_in_spanish(world: World) -> None:
    page = _page(world, _result(world, "cows", _answers("cows", pulse=2, sweating=4)), "es")
    assert "Total de la COWS: 6 de 48: abstinencia leve." in page


def test_a_sows_total_is_said_in_spanish(world: World) -> None:
    page = _page(world, _result(world, "sows", _answers("sows", sows_1=3)), "es")
    assert "Total de la SOWS: 3 de 64. La SOWS no tiene niveles de gravedad publicados" in page


def test_the_bam_composites_are_said_in_spanish(world: World) -> None:
    page = _page(world, _result(world, "bam", _answers("bam", bam_1=4, bam_17=2)), "es")
    assert "Consumo 0 de 12, factores de riesgo 4 de 24, factores de protección 0 de 24." in page


def test_the_bam_cut_offs_are_said_in_spanish(world: World) -> None:
    page = _page(world, _result(world, "bam", _answers("bam", bam_17=2)), "es")
    assert "(consumo >= 1, riesgo >= 12, protección <= 12), no el manual del VA" in page


def test_the_bam_satisfaction_is_said_in_spanish(world: World) -> None:
    page = _page(world, _result(world, "bam", _answers("bam", bam_17=2)), "es")
    assert "Satisfacción con el progreso (pregunta 17): 2 de 4" in page


def test_an_ort_total_is_said_in_spanish(world: World) -> None:
    answers = _answers("ort", ort_personal_rx=1)
    page = _page(world, _result(world, "ort", answers, {"sex": "female"}), "es")
    assert (
        "Total del ORT: 5 de 26 con los pesos para mujeres: riesgo moderado de conductas aberrantes" in page
    )


def test_an_ort_total_with_male_weights_keeps_its_english(world: World) -> None:
    answers = _answers("ort", ort_personal_rx=1)
    page = _page(world, _result(world, "ort", answers, {"sex": "male"}), "en")
    assert "ORT total 5 of 26 with male weights: moderate risk of aberrant drug-related behaviour" in page


def test_the_persons_own_spanish_page_reads_no_english_reason(world: World) -> None:
    """Her own page shows the band and what it means, not the reasons (a clinician's): none in English."""
    assessment, _ = services.submit_assessment(
        by=world.alice.user, patient_id=None, instrument="phq9", answers=_answers("phq9", **PHQ9_9)
    )
    client = sign_in(Client(), world.alice.user)
    response = client.get(f"/me/assessments/{assessment.pk}/", HTTP_ACCEPT_LANGUAGE="es")
    assert "PHQ-9 total" not in visible(response.content.decode())


def test_the_suicide_risk_flag_says_the_phq9_total_in_spanish(world: World) -> None:
    _result(world, "phq9", _answers("phq9", phq9_1=3, phq9_9=1))
    client = sign_in(Client(), world.staff["prescriber"])
    page = visible(client.get(f"/patients/{world.alice.pk}/", HTTP_ACCEPT_LANGUAGE="es").content.decode())
    assert "Total del PHQ-9: 4 de 27: síntomas de depresión mínimos o ninguno." in page


def test_a_row_stored_before_its_reasons_were_templates_is_read_in_spanish(world: World) -> None:
    pk = _result(world, "phq9", _answers("phq9", **PHQ9_9))
    stored = Assessment.objects.get(pk=pk).result
    stored.pop("said")
    Assessment.objects.filter(pk=pk).update(result=stored)
    assert "Total del PHQ-9: 10 de 27: síntomas moderados de depresión." in _page(world, pk, "es")


def test_the_stored_result_keeps_the_english_reasons_the_api_sends(world: World) -> None:
    pk = _result(world, "phq9", _answers("phq9", **PHQ9_9))
    assert Assessment.objects.get(pk=pk).result["reasons"][:2] == [
        "PHQ-9 total 10 of 27: moderate depression symptoms.",
        "A total of 10 or more is a positive screen for depression.",
    ]


def test_a_flag_raised_before_its_reasons_were_templates_is_read_in_spanish(world: World) -> None:
    from keel.patients.models import PatientFlag

    _result(world, "phq9", _answers("phq9", phq9_1=3, phq9_9=1))
    PatientFlag.objects.filter(patient=world.alice).update(said=[])  # as an older row stored it
    client = sign_in(Client(), world.staff["prescriber"])
    page = visible(client.get(f"/patients/{world.alice.pk}/", HTTP_ACCEPT_LANGUAGE="es").content.decode())
    assert "Total del PHQ-9: 4 de 27: síntomas de depresión mínimos o ninguno." in page
