"""The record page offers the desk's codes and the two-step sign-in reset only where they can work (session
20's look: a record without an account was offered a password reset code and the two-step reset, a record with
one an activation code, each refused when pressed); the reset page offers its form only to someone who uses
two-step sign-in, and lists the past resets either way."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from keel.accounts import services as accounts
from keel.patients.models import Patient
from tests.conftest import World

pytestmark = pytest.mark.django_db


def _without_account(world: World) -> Patient:
    patient = Patient.objects.get(pk=world.alice.pk)
    user = patient.user
    patient.user = None
    patient.save()
    user.delete()
    return patient


def _record(client: Any, patient: Any) -> str:
    response = client.get(reverse("web:patient_detail", args=[patient.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_a_record_with_an_account_is_offered_no_activation_code(world: World, signed_in: Any) -> None:
    body = _record(signed_in("nurse"), world.alice)
    assert reverse("patients:activation_code", args=[world.alice.pk]) not in body
    assert reverse("patients:reset_code", args=[world.alice.pk]) in body
    assert reverse("patients:reset_second_factor", args=[world.alice.pk]) in body


def test_a_record_without_an_account_is_offered_only_the_activation_code(
    world: World, signed_in: Any
) -> None:
    patient = _without_account(world)
    body = _record(signed_in("nurse"), patient)
    assert reverse("patients:activation_code", args=[patient.pk]) in body
    assert reverse("patients:reset_code", args=[patient.pk]) not in body
    assert reverse("patients:reset_second_factor", args=[patient.pk]) not in body


def test_the_program_admin_sees_the_same_offers(world: World, signed_in: Any) -> None:
    body = _record(signed_in("program_admin"), world.alice)
    assert reverse("patients:activation_code", args=[world.alice.pk]) not in body
    assert reverse("patients:reset_code", args=[world.alice.pk]) in body


def _reset_page(client: Any, patient: Any, lang: str = "en") -> str:
    response = client.get(
        reverse("patients:reset_second_factor", args=[patient.pk]), HTTP_ACCEPT_LANGUAGE=lang
    )
    assert response.status_code == 200
    return response.content.decode()


def test_no_app_no_reset_form(world: World, signed_in: Any) -> None:
    body = _reset_page(signed_in("nurse"), world.alice)
    assert 'name="identity_checked"' not in body
    assert "does not use two-step sign-in now" in body
    assert "Past resets" in body


def test_with_an_app_the_form_is_offered(world: World, signed_in: Any) -> None:
    accounts.enroll_totp(user=world.alice.user)
    body = _reset_page(signed_in("nurse"), world.alice)
    assert 'name="identity_checked"' in body


def test_no_account_said_in_spanish(world: World, signed_in: Any) -> None:
    patient = _without_account(world)
    body = _reset_page(signed_in("nurse"), patient, "es")
    assert "todavía no tiene una cuenta propia" in body
    assert 'name="identity_checked"' not in body
