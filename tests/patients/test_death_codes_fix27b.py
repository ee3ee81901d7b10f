"""Lane fix27b (review 27b H1-H4, H8): after a death is recorded, no code for the person's own account is
given (an activation code, a self-guided link code, a desk password reset code) and none given before it
works: nothing is made, nothing joined. One answer to "a death is recorded for this person"
(`patients.models.death_recorded`), asked on every path; each refusal audited (`common.death_refused`). The
desk reads why (English and Spanish); whoever holds a code gets the answer of a code that does not work."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from keel.accounts.models import User
from keel.audit.models import AuditEvent
from keel.core.rules.inputs import FieldsInvalid
from keel.patients.models import ActivationCode, Patient, death_recorded, lock_for_account_change
from keel.patients.services import activation
from keel.selfguided import services as selfguided
from keel.selfguided.errors import SelfGuidedInvalid
from keel.selfguided.models import LinkCode
from tests.conftest import World, sign_in
from tests.review27b.test_death_and_activation import _no_account_yet, _record_death

pytestmark = pytest.mark.django_db
REASON = "a death is recorded for this person"


def _refusals(patient: Patient, target_type: str) -> int:
    return AuditEvent.objects.filter(
        patient_id=patient.pk, target_type=target_type, outcome="denied", reason=REASON
    ).count()


def test_the_one_answer_follows_the_episodes(world: World) -> None:
    patient = _no_account_yet(world)
    assert not death_recorded(patient.pk)
    assert lock_for_account_change(patient.pk) is None
    _record_death(world, patient)
    assert death_recorded(patient.pk)
    assert lock_for_account_change(world.alice.pk) == world.alice.user_id
    assert not death_recorded(world.alice.pk)


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", "A death is recorded for this person: no code is given"),
        ("es", "Hay un fallecimiento registrado para esta persona: no se da ningún código"),
    ],
)
def test_the_desk_reads_why_no_activation_code_is_given(world: World, language: str, words: str) -> None:
    patient = _no_account_yet(world)
    _record_death(world, patient)
    page = sign_in(Client(), world.staff["program_admin"]).post(
        f"/patients/{patient.pk}/activation-code/", {"send_by_text": "on"}, HTTP_ACCEPT_LANGUAGE=language
    )
    assert page.status_code == 422
    assert words.lower() in page.content.decode().lower()
    assert not ActivationCode.objects.filter(patient=patient).exists()
    assert _refusals(patient, "activation_code") == 1


def test_a_code_from_before_the_death_is_refused_as_any_code_that_does_not_work(world: World) -> None:
    patient = _no_account_yet(world)
    issued = activation.issue_activation_code(by=world.staff["program_admin"], patient_id=patient.pk)
    _record_death(world, patient)
    page = Client().post(
        "/accounts/activate/",
        {
            "code": issued.code,
            "username": "d-after",
            "password": "a long enough passphrase 927",
            "password_again": "a long enough passphrase 927",
        },
    )
    assert page.status_code == 422
    assert "this code does not work" in page.content.decode()
    assert "death" not in page.content.decode()  # whoever holds the paper learns nothing of her
    assert not User.objects.filter(username="d-after").exists()
    assert Patient.objects.get(pk=patient.pk).user_id is None
    assert _refusals(patient, "activation_code") == 1
    assert ActivationCode.objects.get(patient=patient).used_at is None


def test_no_reset_code_after_the_death_the_desk_reads_the_account_is_closed(world: World) -> None:
    _record_death(world, world.alice)
    page = sign_in(Client(), world.staff["program_admin"]).post(
        f"/patients/{world.alice.pk}/password-reset-code/",
        {"identity_checked": "on"},
        HTTP_ACCEPT_LANGUAGE="es",
    )
    assert page.status_code == 422
    assert "la cuenta está cerrada" in page.content.decode()
    assert not ActivationCode.objects.filter(patient=world.alice, purpose="reset").exists()
    assert _refusals(world.alice, "password_reset") == 1


def test_no_link_code_after_the_death_the_desk_reads_why(world: World) -> None:
    patient = _no_account_yet(world)
    _record_death(world, patient)
    page = sign_in(Client(), world.staff["program_admin"]).post(f"/patients/{patient.pk}/link-code/")
    assert page.status_code == 422
    assert "A death is recorded for this person: no code is given." in page.content.decode()
    assert not LinkCode.objects.filter(patient=patient).exists()
    assert _refusals(patient, "link_code") == 1


def test_a_link_code_from_before_the_death_shows_no_name_and_joins_nothing(world: World) -> None:
    patient = _no_account_yet(world)
    issued = selfguided.issue_link_code(by=world.staff["program_admin"], patient_id=patient.pk)
    _record_death(world, patient)
    with pytest.raises(SelfGuidedInvalid) as refused:
        selfguided.preview_join(user=world.dana, code=issued.code)
    assert [e.field for e in refused.value.errors] == ["code"]
    assert _refusals(patient, "link_code") == 1
    assert Patient.objects.get(pk=patient.pk).user_id is None


def test_a_link_code_still_works_for_a_living_person(world: World) -> None:
    patient = _no_account_yet(world)
    issued = selfguided.issue_link_code(by=world.staff["program_admin"], patient_id=patient.pk)
    assert selfguided.preview_join(user=world.dana, code=issued.code).record_name == "Delfina Arbuckle"


def test_the_operators_createuser_makes_no_account_for_her(world: World, monkeypatch: Any) -> None:
    patient = _no_account_yet(world)
    _record_death(world, patient)
    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough passphrase 927\n"))
    with pytest.raises(CommandError, match="a death is recorded"):
        call_command(
            "createuser",
            "--username=d-cli",
            "--role=patient",
            "--program=riverside",
            f"--patient-id={patient.pk}",
            "--password-stdin",
        )
    assert not User.objects.filter(username="d-cli").exists()
    assert _refusals(patient, "user") == 1


def test_an_activation_code_is_still_given_to_a_living_person(world: World) -> None:
    patient = _no_account_yet(world)
    issued = activation.issue_activation_code(by=world.staff["program_admin"], patient_id=patient.pk)
    user = activation.activate(
        code=issued.code,
        username="d-alive",
        password="a long enough passphrase 927",
        password_again="a long enough passphrase 927",
    )
    assert Patient.objects.get(pk=patient.pk).user_id == user.pk
    with pytest.raises(FieldsInvalid):
        activation.issue_activation_code(by=world.staff["program_admin"], patient_id=patient.pk)
