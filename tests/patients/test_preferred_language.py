"""The patient's language for messages (issue #18): set at registration on the page, the API and the CLI
(default: the program's), and reminders and activation-code texts are written in it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.test import Client

from keel.patients import services as patients
from keel.patients.models import Patient
from keel.recovery.models import Reminder
from keel.reminders import services as reminders
from tests.conftest import World

pytestmark = pytest.mark.django_db
WINTER_EIGHT = datetime(2026, 3, 6, 13, 0, tzinfo=UTC)  # 08:00 EST in New York (the program's zone)
BODY = {
    "given_name": "Rosa",
    "family_name": "Diaz",
    "date_of_birth": "1990-01-02",
    "episode_kind": "obot",
    "notice_given": True,
    "consented": True,
}


def _post(client: Client, body: dict[str, Any]) -> Any:
    return client.post("/api/v1/patients", json.dumps(body), content_type="application/json")


def test_the_api_records_spanish(world: World, signed_in: Any) -> None:
    response = _post(signed_in("program_admin"), {**BODY, "preferred_language": "es"})
    assert Patient.objects.get(pk=response.json()["id"]).preferred_language == "es"


def test_without_a_choice_it_is_the_program_s_language(world: World, signed_in: Any) -> None:
    response = _post(signed_in("program_admin"), BODY)
    assert response.json()["preferred_language"] == "en"


def test_the_program_s_language_follows_the_setting(world: World, signed_in: Any, settings: Any) -> None:
    settings.LANGUAGE_CODE = "es"
    response = _post(signed_in("program_admin"), BODY)
    assert Patient.objects.get(pk=response.json()["id"]).preferred_language == "es"


def test_an_unknown_language_names_the_field(world: World, signed_in: Any) -> None:
    response = _post(signed_in("program_admin"), {**BODY, "preferred_language": "fr"})
    assert [e["field"] for e in response.json()["errors"]] == ["preferred_language"]


def test_an_unknown_language_writes_nothing(world: World, signed_in: Any) -> None:
    before = Patient.objects.count()
    _post(signed_in("program_admin"), {**BODY, "preferred_language": "fr"})
    assert Patient.objects.count() == before


def test_the_page_records_spanish(world: World, signed_in: Any) -> None:
    signed_in("program_admin").post("/patients/new/", {**BODY, "preferred_language": "es"})
    assert Patient.objects.get(family_name="Diaz").preferred_language == "es"


def test_the_page_offers_the_choice(world: World, signed_in: Any) -> None:
    assert 'name="preferred_language"' in signed_in("program_admin").get("/patients/new/").content.decode()


def test_the_cli_records_spanish(world: World) -> None:
    admin = world.staff["program_admin"]
    call_command(
        "register_patient", "--by", admin.username, "--data", json.dumps({**BODY, "preferred_language": "es"})
    )
    assert Patient.objects.get(family_name="Diaz").preferred_language == "es"


def test_the_cli_names_a_bad_language(world: World) -> None:
    admin = world.staff["program_admin"]
    with pytest.raises(CommandError, match="preferred_language"):
        call_command(
            "register_patient",
            "--by",
            admin.username,
            "--data",
            json.dumps({**BODY, "preferred_language": "x"}),
        )


def _spanish_reminder(world: World) -> Reminder:
    world.alice.user.email = "alice@example.org"
    world.alice.user.save()
    world.alice.preferred_language = "es"
    world.alice.save()
    reminder = Reminder.objects.create(
        patient=world.alice, kind="medication", at=time(8, 0), created_at=WINTER_EIGHT
    )
    reminders.choose_channel(world.alice.user, reminder_id=reminder.pk, channel="email")
    return reminder


def test_a_reminder_goes_out_in_spanish(world: World) -> None:
    _spanish_reminder(world)
    reminders.send_due(now=WINTER_EIGHT)
    assert mail.outbox[0].subject == "Su recordatorio"


def test_the_spanish_reminder_body_is_spanish(world: World) -> None:
    _spanish_reminder(world)
    reminders.send_due(now=WINTER_EIGHT)
    assert "Hello" not in mail.outbox[0].body


def test_an_english_patient_still_gets_english(world: World) -> None:
    _spanish_reminder(world)
    world.alice.preferred_language = "en"
    world.alice.save()
    reminders.send_due(now=WINTER_EIGHT)
    assert mail.outbox[0].subject == "Your reminder"


def test_the_activation_code_text_is_in_spanish(world: World, settings: Any, tmp_path: Path) -> None:
    settings.KEEL_SMS_BACKEND = "keel.reminders.channels.FileSms"
    settings.KEEL_SMS_FILE = tmp_path / "sms.jsonl"
    patient = Patient.objects.create(
        program=world.alice.program,
        record_number="RR-9001",
        given_name="Rosa",
        family_name="Diaz",
        phone="+15555550199",
        preferred_language="es",
    )
    patients.issue_activation_code(
        by=world.staff["program_admin"], patient_id=patient.pk, send_by_text=True, activate_url="https://k/a"
    )
    body = json.loads((tmp_path / "sms.jsonl").read_text().splitlines()[0])["body"]
    assert body.startswith("Su código de Keel es")
