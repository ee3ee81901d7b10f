"""Lane fix36h (review 36h hole 3): an instrument's form sent twice files one result. The form carries a
one-time token; a form sent again with it lands on the first result; without a token, the same answers by the
same hand within `keel.core.resend.SAME_FORM_WINDOW` are the same result (the API as the pages)."""

from __future__ import annotations

import json
import re

from django.test import Client

from keel.assessments.models import Assessment
from keel.audit.models import Action, AuditEvent
from keel.patients.models import PatientFlag
from tests.conftest import World, sign_in

PHQ9 = {f"phq9_{i}": "1" for i in range(1, 10)}
HIGH = {"cssrs_1": 1, "cssrs_2": 1, "cssrs_3": 1, "cssrs_4": 1, "cssrs_5": 0, "cssrs_6": 0}


def _token(page: str) -> str:
    found = re.search(r'name="form_token" value="([0-9a-f]+)"', page)
    assert found is not None
    return found.group(1)


def test_the_form_sent_twice_with_its_token_lands_on_the_first_result(world: World) -> None:
    nurse = sign_in(Client(), world.staff["nurse"])
    url = f"/patients/{world.alice.pk}/instruments/phq9/"
    token = _token(nurse.get(url).content.decode())
    first = nurse.post(url, {**PHQ9, "form_token": token})
    second = nurse.post(url, {**PHQ9, "form_token": token})
    assert second["Location"] == first["Location"]
    assert Assessment.objects.filter(patient=world.alice).count() == 1


def test_the_form_sent_twice_writes_one_create_audit_row(world: World) -> None:
    nurse = sign_in(Client(), world.staff["nurse"])
    url = f"/patients/{world.alice.pk}/instruments/phq9/"
    token = _token(nurse.get(url).content.decode())
    nurse.post(url, {**PHQ9, "form_token": token})
    nurse.post(url, {**PHQ9, "form_token": token})
    assert AuditEvent.objects.filter(action=Action.CREATE, target_type="assessment").count() == 1


def test_a_used_token_with_other_answers_is_refused_naming_it(world: World) -> None:
    nurse = sign_in(Client(), world.staff["nurse"])
    url = f"/patients/{world.alice.pk}/instruments/phq9/"
    token = _token(nurse.get(url).content.decode())
    nurse.post(url, {**PHQ9, "form_token": token})
    again = nurse.post(url, {**PHQ9, "phq9_1": "2", "form_token": token})
    assert again.status_code == 422
    assert "already saved" in again.content.decode()


def test_two_new_forms_with_the_same_answers_file_two_results(world: World) -> None:
    nurse = sign_in(Client(), world.staff["nurse"])
    url = f"/patients/{world.alice.pk}/instruments/phq9/"
    for _ in range(2):
        nurse.post(url, {**PHQ9, "form_token": _token(nurse.get(url).content.decode())})
    assert Assessment.objects.filter(patient=world.alice).count() == 2


def test_a_positive_cssrs_sent_twice_through_the_api_raises_one_flag(world: World) -> None:
    client = sign_in(Client(), world.staff["counselor"])
    path = f"/api/v1/patients/{world.alice.pk}/assessments"
    body = json.dumps({"instrument": "cssrs-screen", "answers": HIGH})
    first = client.post(path, body, content_type="application/json").json()
    second = client.post(path, body, content_type="application/json").json()
    assert second["id"] == first["id"]
    assert PatientFlag.objects.filter(patient=world.alice, kind="suicide_risk").count() == 1


def _api(client: Client, path: str, answers: dict[str, int], key: str) -> tuple[int, str]:
    body = json.dumps({"instrument": "cssrs-screen", "answers": answers})
    sent = client.post(path, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY=key)
    return sent.status_code, sent.content.decode()


def test_the_api_with_the_same_idempotency_key_files_once(world: World) -> None:
    client = sign_in(Client(), world.staff["counselor"])
    path = f"/api/v1/patients/{world.alice.pk}/assessments"
    _api(client, path, HIGH, "k-1")
    _api(client, path, HIGH, "k-1")
    assert Assessment.objects.filter(patient=world.alice).count() == 1


def test_the_api_key_with_other_answers_is_refused_naming_the_header(world: World) -> None:
    client = sign_in(Client(), world.staff["counselor"])
    path = f"/api/v1/patients/{world.alice.pk}/assessments"
    _api(client, path, HIGH, "k-1")
    status, said = _api(client, path, {**HIGH, "cssrs_5": 1}, "k-1")
    assert status == 422
    assert "Idempotency-Key" in said
