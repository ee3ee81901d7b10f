"""Instrument pages: fill without JavaScript, errors next to the question, plain-words result, crisis
resources on a positive suicide screen, the flowsheet with its trend, COWS at the bedside."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from keel.assessments.models import Assessment
from keel.core.instruments import registry
from keel.patients.models import PatientFlag
from tests.conftest import World, sign_in

pytestmark = pytest.mark.django_db
COWS_9 = {
    "pulse": 1,
    "sweating": 1,
    "restlessness": 1,
    "pupils": 1,
    "aches": 1,
    "nose_eyes": 1,
    "gi_upset": 1,
    "tremor": 0,
    "yawning": 1,
    "anxiety": 1,
    "gooseflesh": 0,
}


def test_a_patient_fills_phq9_and_sees_a_plain_result(world: World) -> None:
    client = sign_in(Client(), world.alice.user)
    form = client.get("/me/instruments/phq9/").content.decode()
    assert 'type="radio"' in form
    assert "Little interest or pleasure" in form
    assert "<script" not in form
    answers = {f"phq9_{i}": "1" for i in range(1, 9)} | {"phq9_9": "0"}
    response = client.post("/me/instruments/phq9/", answers)
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "Score: 8" in page
    assert "Mild depression symptoms" in page
    assert "not a diagnosis" in page
    assert "Help is here" not in page


def test_a_missing_answer_is_shown_next_to_its_question_and_nothing_is_stored(world: World) -> None:
    client = sign_in(Client(), world.alice.user)
    answers = {f"phq9_{i}": "1" for i in range(1, 9)}  # question 9 left out
    response = client.post("/me/instruments/phq9/", answers)
    assert response.status_code == 422
    page = response.content.decode()
    assert 'id="err-phq9_9"' in page
    assert "Please choose an answer." in page
    assert 'value="1" checked' in page  # the other answers are kept
    assert Assessment.objects.count() == 0


def test_a_positive_item_nine_shows_crisis_resources_and_flags_the_record(world: World) -> None:
    client = sign_in(Client(), world.alice.user)
    answers = {f"phq9_{i}": "0" for i in range(1, 9)} | {"phq9_9": "1"}
    page = client.get(client.post("/me/instruments/phq9/", answers)["Location"]).content.decode()
    assert "Help is here" in page
    assert 'href="tel:988"' in page
    assert 'href="sms:988"' in page
    assert 'href="tel:911"' in page
    assert "care team will see" in page
    assert PatientFlag.objects.filter(patient=world.alice, kind="suicide_risk").count() == 1


def test_the_cssrs_page_skips_questions_3_to_5_after_a_no_without_javascript(world: World) -> None:
    client = sign_in(Client(), world.alice.user)
    form = client.get("/me/instruments/cssrs-screen/").content.decode()
    assert "Not asked" in form
    assert "Answer only if you answered “Yes” to question 2." in form
    ok = client.post(
        "/me/instruments/cssrs-screen/",
        {"cssrs_1": "0", "cssrs_2": "0", "cssrs_3": "", "cssrs_4": "", "cssrs_5": "", "cssrs_6": "0"},
    )
    assert ok.status_code == 302
    bad = client.post(
        "/me/instruments/cssrs-screen/", {"cssrs_1": "0", "cssrs_2": "0", "cssrs_3": "1", "cssrs_6": "0"}
    )
    assert bad.status_code == 422
    assert "Leave this one as" in bad.content.decode()


def test_a_patient_cannot_open_a_clinician_instrument(world: World) -> None:
    client = sign_in(Client(), world.alice.user)
    assert client.get("/me/instruments/cows/").status_code == 404
    assert client.get("/me/instruments/nope/").status_code == 404


def test_a_patient_sees_only_their_own_results(world: World) -> None:
    alice, bob = sign_in(Client(), world.alice.user), sign_in(Client(), world.bob.user)
    answers = {f"phq9_{i}": "0" for i in range(1, 10)}
    location = alice.post("/me/instruments/phq9/", answers)["Location"]
    assert alice.get(location).status_code == 200
    response = bob.get(location)
    assert response.status_code == 404
    assert "Zamorano" not in response.content.decode()


def test_a_nurse_scores_cows_at_the_bedside_three_times_and_sees_the_series(world: World) -> None:
    client = sign_in(Client(), world.staff["nurse"])
    path = f"/patients/{world.alice.pk}/cows/"
    start = timezone.localtime() - timedelta(hours=3)
    for i, bump in enumerate([0, 4, 8]):
        answers = {k: str(v) for k, v in COWS_9.items()} | {"gi_upset": str(min(1 + bump // 4, 3))}
        when = (start + timedelta(hours=i)).strftime("%Y-%m-%dT%H:%M")
        response = client.post(path, {**answers, "filled_at": when})
        assert response.status_code == 302 and response["Location"].endswith("#series")
    page = client.get(path).content.decode()
    assert page.count("<circle") == 3
    assert "<polyline" in page
    assert "COWS totals over time: 3 scores" in page
    totals = list(
        Assessment.objects.filter(instrument="cows").order_by("filled_at").values_list("total", flat=True)
    )
    assert totals == [9, 10, 11]
    flowsheet = client.get(f"/patients/{world.alice.pk}/flowsheet/cows/").content.decode()
    assert flowsheet.count("<tr>") == 4  # header + 3 rows


def test_bedside_rejects_a_future_time_and_a_bad_value_without_storing(world: World) -> None:
    client = sign_in(Client(), world.staff["nurse"])
    path = f"/patients/{world.alice.pk}/cows/"
    future = (timezone.localtime() + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(path, {**{k: str(v) for k, v in COWS_9.items()}, "filled_at": future})
    assert response.status_code == 422
    assert "cannot be in the future" in response.content.decode()
    response = client.post(path, {**{k: str(v) for k, v in COWS_9.items()}, "restlessness": "2"})
    assert response.status_code == 422
    assert "Please choose one of the answers shown." in response.content.decode()
    assert Assessment.objects.count() == 0


def test_the_counselor_sees_the_flag_and_the_flowsheet_on_the_patient_page(world: World) -> None:
    sign_in(Client(), world.alice.user).post(
        "/me/instruments/phq9/", {f"phq9_{i}": "0" for i in range(1, 9)} | {"phq9_9": "2"}
    )
    page = sign_in(Client(), world.staff["counselor"]).get(f"/patients/{world.alice.pk}/").content.decode()
    assert "Positive suicide screen" in page
    assert "same-day suicide risk assessment" in page
    assert f"/patients/{world.alice.pk}/flowsheet/phq9/" in page
    peer_page = sign_in(Client(), world.staff["peer_specialist"]).get(f"/patients/{world.alice.pk}/")
    assert "suicide risk assessment" not in peer_page.content.decode()


def test_a_clinician_fills_ort_with_the_sex_input(world: World) -> None:
    client = sign_in(Client(), world.staff["prescriber"])
    path = f"/patients/{world.alice.pk}/instruments/ort/"
    assert "Sex (selects the item weights)" in client.get(path).content.decode()
    answers: dict[str, Any] = {item.link_id: "0" for item in registry.get("ort").items}
    missing = client.post(path, answers)
    assert missing.status_code == 422
    assert "Please choose an answer." in missing.content.decode()
    answers["ort_personal_rx"] = "1"
    done = client.post(path, {**answers, "extra_sex": "female"})
    assert done.status_code == 302
    assert "Score: 5" in client.get(done["Location"]).content.decode()


def test_a_patient_fills_phq9_in_spanish_and_reads_the_result_in_spanish(world: World) -> None:
    client = sign_in(Client(), world.alice.user)
    client.post("/i18n/setlang/", {"language": "es", "next": "/me/"})
    form = client.get("/me/instruments/phq9/").content.decode()
    assert "Poco interés o placer en hacer cosas" in form
    assert "Casi todos los días" in form
    answers = {f"phq9_{i}": "2" for i in range(1, 8)} | {"phq9_8": "0", "phq9_9": "0"}
    page = client.get(client.post("/me/instruments/phq9/", answers)["Location"]).content.decode()
    assert "Puntaje: 14" in page
    assert "Síntomas moderados de depresión" in page
    assert "no un diagnóstico" in page


def test_each_question_shows_where_you_are(world: World) -> None:
    form = sign_in(Client(), world.alice.user).get("/me/instruments/gad7/").content.decode()
    assert "Question 1 of 7" in form
    assert "Question 7 of 7" in form
