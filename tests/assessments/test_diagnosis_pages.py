"""The DSM-5 diagnosis on the pages (issue #15): a clinician records remission with its time frame and
specifiers; the result, the start page and the patient page show the words and the ICD-10-CM code; clinician
wording on clinician-entered results, "Your answers" only on a person's own self-check; contradictions refused
next to the field, in English and Spanish, with nothing stored."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from keel.assessments.models import Assessment
from tests.conftest import World, sign_in

pytestmark = pytest.mark.django_db


def _answers(met: set[int]) -> dict[str, str]:
    return {f"dsm5_{n}": "1" if n in met else "0" for n in range(1, 12)}


def _fill(client: Client, world: World, met: set[int], extras: dict[str, str]) -> Any:
    path = f"/patients/{world.alice.pk}/instruments/dsm5-oud/"
    return client.post(path, {**_answers(met), **{f"extra_{k}": v for k, v in extras.items()}})


EARLY_ON_MAINTENANCE = {"months_without_criteria": "4", "on_maintenance_therapy": "on"}


def test_a_clinician_records_early_remission_on_maintenance_and_reads_it_with_its_code(world: World) -> None:
    client = sign_in(Client(), world.staff["prescriber"])
    done = _fill(client, world, {1, 2, 3, 4, 5, 10, 11}, EARLY_ON_MAINTENANCE)
    assert done.status_code == 302
    page = client.get(done["Location"]).content.decode()
    assert "Moderate opioid use disorder, in early remission" in page
    assert "on maintenance therapy" in page
    assert "ICD-10-CM F11.21" in page
    assert "Your answers" not in page
    assert "not a diagnosis" not in page


def test_the_start_page_and_the_patient_page_show_the_diagnosis_code(world: World) -> None:
    client = sign_in(Client(), world.staff["prescriber"])
    assert _fill(client, world, {1, 2, 3, 4, 5, 10, 11}, EARLY_ON_MAINTENANCE).status_code == 302
    start = client.get(f"/patients/{world.alice.pk}/start/").content.decode()
    assert "ICD-10-CM F11.21" in start
    assert "in early remission" in start
    patient_page = client.get(f"/patients/{world.alice.pk}/").content.decode()
    assert "ICD-10-CM F11.21" in patient_page
    assert "Moderate opioid use disorder, in early remission" in patient_page


def test_prior_oud_and_no_current_criteria_is_sustained_remission_not_does_not_meet(world: World) -> None:
    client = sign_in(Client(), world.staff["prescriber"])
    done = _fill(client, world, set(), {"prior_oud": "on", "prior_severity": "severe"})
    page = client.get(done["Location"]).content.decode()
    assert "Severe opioid use disorder, in sustained remission" in page
    assert "ICD-10-CM F11.21" in page
    assert "Does not meet" not in page


def test_an_active_mild_diagnosis_shows_f11_10_in_clinician_words(world: World) -> None:
    client = sign_in(Client(), world.staff["prescriber"])
    page = client.get(_fill(client, world, {1, 2}, {})["Location"]).content.decode()
    assert "ICD-10-CM F11.10" in page
    assert "2 or 3 of the 11 criteria met in the last 12 months." in page
    assert "Your answers" not in page


def test_a_persons_own_self_check_keeps_your_answers_and_has_no_code_shown_without_a_diagnosis(
    world: World,
) -> None:
    client = sign_in(Client(), world.alice.user)
    done = client.post("/me/instruments/dsm5-oud/", _answers({4}))
    page = client.get(done["Location"]).content.decode()
    assert "Your answers do not meet the criteria" in page
    assert "ICD-10-CM" not in page


@pytest.mark.parametrize(
    ("met", "extras", "message"),
    [
        (
            {4},
            {"prior_oud": "on", "months_without_criteria": "3", "prior_severity": "mild"},
            "No criterion other than craving is marked for the last 12 months",
        ),
        ({1, 2}, {"months_without_criteria": "14"}, "A criterion other than craving is marked"),
        ({4}, {"prior_oud": "on"}, "choose the severity when the criteria were last met"),
        ({1, 2}, {"months_without_criteria": "5000"}, "Enter a whole number in the range shown."),
    ],
)
def test_contradictions_are_refused_next_to_the_field_and_nothing_is_stored(
    world: World, met: set[int], extras: dict[str, str], message: str
) -> None:
    client = sign_in(Client(), world.staff["prescriber"])
    response = _fill(client, world, met, extras)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert Assessment.objects.count() == 0


def test_the_remission_and_its_refusal_read_in_spanish(world: World) -> None:
    client = sign_in(Client(), world.staff["prescriber"])
    client.post("/i18n/setlang/", {"language": "es", "next": "/"})
    refused = _fill(client, world, {4}, {"prior_oud": "on"})
    assert "elija la gravedad" in refused.content.decode()
    done = _fill(client, world, {1, 2, 3, 4, 5, 10, 11}, EARLY_ON_MAINTENANCE)
    page = client.get(done["Location"]).content.decode()
    assert "Trastorno moderado por consumo de opioides, en remisión temprana" in page
    assert "en terapia de mantenimiento" in page
    assert "ICD-10-CM F11.21" in page


def test_the_api_names_the_contradicting_field(world: World) -> None:
    import json

    client = sign_in(Client(), world.staff["prescriber"])
    body = {
        "instrument": "dsm5-oud",
        "answers": {f"dsm5_{n}": int(n in {1, 2}) for n in range(1, 12)},
        "extras": {"months_without_criteria": 14},
    }
    response = client.post(
        f"/api/v1/patients/{world.alice.pk}/assessments", json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 422
    assert "extras.months_without_criteria" in response.content.decode()


# --- Bands on every list, BAM contradictions, no internal codes (issue #15, results and screens) -----------


def _bam(**overrides: int) -> dict[str, str]:
    from keel.core.instruments import registry

    answers = {item.link_id: str(item.allowed[0]) for item in registry.get("bam").items}
    answers.update({f"bam_{k.removeprefix('q')}": str(v) for k, v in overrides.items()})
    return answers


def test_bam_heavy_drinking_above_drinking_days_is_refused_next_to_the_question(world: World) -> None:
    client = sign_in(Client(), world.staff["counselor"])
    response = client.post(f"/patients/{world.alice.pk}/instruments/bam/", _bam(q4=1, q5=3))
    assert response.status_code == 422
    page = response.content.decode()
    assert 'id="err-bam_5"' in page
    assert "cannot be more than the days with any alcohol (question 4)" in page
    assert Assessment.objects.count() == 0


@pytest.mark.parametrize(
    ("code", "answers", "band"),
    [
        ("sows", {f"sows_{n}": "1" for n in range(1, 17)}, "Score only (SOWS has no published bands)"),
        ("bam", _bam(q4=0, q5=0, q6=0), "Few protective factors"),
    ],
)
def test_the_flowsheet_shows_a_band_name_for_instruments_without_bands(
    world: World, code: str, answers: dict[str, str], band: str
) -> None:
    client = sign_in(Client(), world.staff["counselor"])
    assert client.post(f"/patients/{world.alice.pk}/instruments/{code}/", answers).status_code == 302
    page = client.get(f"/patients/{world.alice.pk}/flowsheet/{code}/").content.decode()
    assert band in page
    assert '">—</td>' not in page


def test_the_flowsheet_and_timeline_name_instruments_and_bands_in_words_in_spanish(world: World) -> None:
    client = sign_in(Client(), world.staff["prescriber"])
    assert _fill(client, world, {1, 2, 3, 4, 5, 10, 11}, EARLY_ON_MAINTENANCE).status_code == 302
    client.post("/i18n/setlang/", {"language": "es", "next": "/"})
    timeline = client.get(f"/patients/{world.alice.pk}/timeline/").content.decode()
    assert "DSM5-OUD" not in timeline
    assert "moderate_early_remission" not in timeline
    assert "Trastorno moderado por consumo de opioides, en remisión temprana" in timeline
    flowsheet = client.get(f"/patients/{world.alice.pk}/flowsheet/dsm5-oud/").content.decode()
    assert "DSM5-OUD" not in flowsheet
    assert "Trastorno moderado por consumo de opioides, en remisión temprana" in flowsheet


def test_two_bams_on_one_date_and_an_old_result_without_composites_never_crash_the_flowsheet(
    world: World,
) -> None:
    from django.utils import timezone

    from keel.assessments.services import submit_assessment

    when = timezone.now().replace(microsecond=0)
    for use in (0, 2):
        answers = {k: int(v) for k, v in _bam(q4=use, q5=0, q6=use).items()}
        submit_assessment(
            by=world.staff["counselor"],
            patient_id=world.alice.pk,
            instrument="bam",
            answers=answers,
            filled_at=when,
        )
    Assessment.objects.filter(pk=Assessment.objects.order_by("id").first().pk).update(result={})  # type: ignore[union-attr]
    client = sign_in(Client(), world.staff["counselor"])
    response = client.get(f"/patients/{world.alice.pk}/flowsheet/bam/")
    assert response.status_code == 200
    assert "latest Use 4" in response.content.decode()


def test_bam_result_names_its_composites_in_words_in_spanish(world: World) -> None:
    client = sign_in(Client(), world.staff["counselor"])
    client.post("/i18n/setlang/", {"language": "es", "next": "/"})
    done = client.post(f"/patients/{world.alice.pk}/instruments/bam/", _bam(q4=1, q5=0))
    page = client.get(done["Location"]).content.decode()
    assert "Factores de riesgo" in page
    assert "<dt>Risk</dt>" not in page
