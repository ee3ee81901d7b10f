"""Review 35b holes 2 and 5, their walk-arounds (lane fix35b): the download holds every row the account owns
(a new model keyed by an account or its record fails here until it is in the download or named as left out),
and the signed history consent is in it, on the person's own page and (that it was brought, and when) on the
care team's view of the record."""

from __future__ import annotations

import json
from datetime import time, timedelta
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.db import models
from django.test import Client
from django.utils import timezone

from keel.accounts.models import User
from keel.accounts.services.tokens import create_token, revoke_token
from keel.patients.models import Patient
from keel.recovery.models import Reminder
from keel.reminders.models import Delivery
from keel.selfguided.own_data import SECTIONS
from tests.conftest import sign_in
from tests.review35b._setup import link_code_for, record_without_account, sign_up_on_the_page

pytestmark = pytest.mark.django_db

_CLINICAL = "the program's clinical record: the patient downloads it as FHIR (interop's my record file)"
LEFT_OUT = {
    "recovery.IdempotencyKey": "a replay cache of answers already in the download",
    "selfguided.LinkCode": "the care team's one-time code (a digest), not the person's",
    "accounts.ProgramMembership": "staff's programs: a person's account has none",
    "accounts.OperatorSecondFactorReset": "an operator's reset of a staff member's second factor",
    "accounts.SecondFactorSetupCode": "a second-factor reset's one-time set-up code (a digest): a secret",
    "patients.ActivationCode": "the care team's activation code (a digest)",
    "patients.SecondFactorReset": "the care team's reset of the second factor",
    "patients.CareTeamMember": _CLINICAL,
    "patients.DeathUndone": _CLINICAL,
    "patients.EmergencyAccess": _CLINICAL,
    "patients.Enrollment": _CLINICAL,
    "patients.PatientFlag": _CLINICAL,
    "patients.PatientPhoto": _CLINICAL,
    "appointments.Appointment": _CLINICAL,
    "appointments.AppointmentSend": _CLINICAL,
    "appointments.ReminderChoice": _CLINICAL,
    "assessments.Assessment": _CLINICAL,
    "sharing.Consent": _CLINICAL,
    "sharing.Disclosure": _CLINICAL,
    "sharing.EmergencyReview": _CLINICAL,
    **{
        f"treatment.{name}": _CLINICAL
        for name in [
            "CareGoal",
            "DoseOverride",
            "DoseRecord",
            "Intake",
            "LastUseCorrection",
            "LastUseReport",
            "MedicationFill",
            "MedicationOrder",
            "NaloxoneKit",
            "PatientPolicyOverride",
            "QtcRecord",
            "TakeHomePlan",
        ]
    },
}


def _keyed_by_an_account() -> set[str]:
    """Every model whose rows belong to an account or its record: a key to the record, the account's own
    `user`, or a cascading key to such a row (a reminder's delivery, a token)."""
    owned: set[type[models.Model]] = {User, Patient}
    grew = True
    while grew:
        grew = False
        for model in apps.get_models():
            if model in owned:
                continue
            for f in model._meta.concrete_fields:
                target = f.related_model if f.is_relation else None
                if target is None or target not in owned:
                    continue
                cascade = f.remote_field.on_delete is models.CASCADE
                if target is Patient or cascade or (target is User and f.name == "user"):
                    owned.add(model)
                    grew = True
                    break
    return {m._meta.label for m in owned}


def test_every_model_keyed_by_an_account_is_in_the_download_or_left_out_with_a_reason() -> None:
    assert _keyed_by_an_account() - set(SECTIONS) - set(LEFT_OUT) == set()


def test_nothing_is_both_in_the_download_and_left_out() -> None:
    assert set(SECTIONS) & set(LEFT_OUT) == set()


def _download(client: Client) -> dict[str, Any]:
    return json.loads(client.get("/me/account/my-data.json").content)


def test_a_revoked_token_is_in_the_download_with_when_it_was_revoked(world: Any) -> None:
    client, user = sign_up_on_the_page("tok-35b")
    issued = create_token(user=user, name="old phone")
    revoke_token(user=user, token_id=issued.token.pk)
    assert _download(client)["tokens"][0]["revoked_at"] is not None


def test_the_download_never_holds_a_tokens_secret_or_digest(world: Any) -> None:
    client, user = sign_up_on_the_page("sec-35b")
    issued = create_token(user=user, name="phone")
    text = client.get("/me/account/my-data.json").content.decode()
    assert issued.secret not in text and issued.token.digest not in text


def test_a_reminders_channel_and_last_day_done_are_in_the_download(world: Any) -> None:
    client, user = sign_up_on_the_page("rem-35b")
    patient = Patient.objects.get(user=user)
    today = timezone.localdate()
    reminder = Reminder.objects.create(
        patient=patient, kind="checkin", at=time(8, 30), created_at=timezone.now(), done_on=today
    )
    Delivery.objects.create(reminder=reminder, channel="sms")
    shown = _download(client)["reminders"][0]
    assert (shown["also_by"], shown["done_on"]) == ("sms", today.isoformat())


def test_a_check_ins_creation_time_is_in_the_download(world: Any) -> None:
    client, _user = sign_up_on_the_page("chk-35b")
    import uuid

    client.post(
        "/api/v1/me/checkins",
        json.dumps({"craving": 2, "mood": 4, "used": False, "medication": "not_on_medication"}),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
    )
    assert _download(client)["checkins"][0]["created_at"]


def _joined(world: Any, *, bring: str = "yes", language: str = "en") -> tuple[Client, User, Patient]:
    patient = record_without_account(world)
    code = link_code_for(world, patient)
    client, user = sign_up_on_the_page(f"join-{language}-35b")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language  # the language she reads the pages in
    client.post(
        "/me/account/join/sign/",
        {"code": code, "bring_history": bring, "signature": "Marisol Etxeberria"},
    )
    return client, user, patient


def test_the_consent_words_say_the_history_cannot_be_taken_back(world: Any) -> None:
    client, _user, _patient = _joined(world)
    consent = _download(client)["history_consents"][0]
    assert "cannot take it back" in consent["words"]


def test_a_consent_not_to_bring_the_history_is_in_the_download_too(world: Any) -> None:
    client, _user, _patient = _joined(world, bring="no")
    assert _download(client)["history_consents"][0]["bring_history"] is False


def test_the_signed_consent_is_on_the_persons_own_page(world: Any) -> None:
    client, _user, _patient = _joined(world)
    page = client.get("/me/").content.decode()
    assert "I want my account to join Riverside Recovery" in page


def test_the_care_teams_view_says_a_history_was_brought_with_consent(world: Any) -> None:
    _joined(world)
    patient = Patient.objects.get(record_number="RR-3535")
    staff = Client()
    sign_in(staff, world.staff["counselor"])
    page = staff.get(f"/patients/{patient.pk}/").content.decode()
    assert "brought their history from their own account, with signed consent" in page


def test_the_care_teams_view_says_nothing_when_the_history_stayed_behind(world: Any) -> None:
    _joined(world, bring="no")
    patient = Patient.objects.get(record_number="RR-3535")
    staff = Client()
    sign_in(staff, world.staff["counselor"])
    page = staff.get(f"/patients/{patient.pk}/").content.decode()
    assert "brought their history" not in page


def test_a_spanish_reader_signs_and_keeps_the_spanish_words(world: Any) -> None:
    client, _user, _patient = _joined(world, language="es")
    consent = _download(client)["history_consents"][0]
    assert "no lo puedo recuperar ni borrar" in consent["words"]


def _check_in_on(patient: Patient, day: Any) -> None:
    from keel.recovery.models import CheckIn

    now = timezone.now()
    CheckIn.objects.create(
        patient=patient,
        local_date=day,
        craving=3,
        mood=3,
        used=False,
        medication="not_on_medication",
        created_at=now,
        updated_at=now,
    )


def _preview_with_a_day_held(world: Any, *, held: bool) -> str:
    patient = record_without_account(world)
    code = link_code_for(world, patient)
    client, user = sign_up_on_the_page("preview-35b")
    day = timezone.localdate() - timedelta(days=2)
    _check_in_on(Patient.objects.get(user=user), day)
    _check_in_on(patient, day if held else day - timedelta(days=1))
    return client.post("/me/account/join/", {"code": code}).content.decode()


def test_the_preview_lists_a_check_in_the_program_already_has_for_that_day(world: Any) -> None:
    page = _preview_with_a_day_held(world, held=True)
    assert (
        "yours will not move and will be deleted" in page
    )  # review 35g (fix36b): said alike for every record


def test_the_preview_lists_nothing_when_every_day_moves(world: Any) -> None:
    page = _preview_with_a_day_held(world, held=False)
    assert "these will not move" not in page
