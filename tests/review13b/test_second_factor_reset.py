"""Review 13b: a second factor reset while its owner is signed in, read through the hand-written session
and device reads: the staff member's or patient's session ends at once, on the API and the pages; the new
password-only session gets no data until a new authenticator is added; and the language links of the pages."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from keel.accounts import staff
from keel.patients.schemas import SecondFactorResetIn
from keel.patients.services.second_factor import reset_second_factor
from keel.recovery.models import CheckIn
from tests.conftest import PASSWORD, World, sign_in

pytestmark = pytest.mark.django_db

CHECKIN = {"craving": 2, "mood": 3, "used": False, "medication": "taken"}


def test_a_staff_members_session_ends_when_an_admin_resets_their_second_factor(world: World) -> None:
    nurse = world.staff["nurse"]
    c = sign_in(Client(), nurse)
    assert c.get("/api/v1/me").status_code == 200
    staff.reset_second_factor(
        by=world.staff["program_admin"], program_slug="riverside", user_id=nurse.pk, password=PASSWORD
    )
    assert c.get("/api/v1/me").status_code == 401


def test_after_the_reset_a_password_only_staff_session_reads_no_patient(world: World) -> None:
    nurse = world.staff["nurse"]
    staff.reset_second_factor(
        by=world.staff["program_admin"], program_slug="riverside", user_id=nurse.pk, password=PASSWORD
    )
    c = Client()
    c.force_login(nurse, backend="django.contrib.auth.backends.ModelBackend")
    r = c.get(f"/api/v1/patients/{world.alice.pk}")
    assert (r.status_code in (401, 403), b"Zamorano" in r.content) == (True, False)


def test_a_patients_session_ends_when_the_care_team_resets_their_second_factor(world: World) -> None:
    user = world.alice.user
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    c = sign_in(Client(), user)
    assert c.get("/api/v1/me").status_code == 200
    reset_second_factor(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        data=SecondFactorResetIn.posted(
            {"reason": "lost the phone", "identity_checked": True, "password": PASSWORD}
        ),
    )
    r = c.post(
        "/api/v1/me/checkins", json.dumps(CHECKIN), content_type="application/json", HTTP_IDEMPOTENCY_KEY="k"
    )
    assert (r.status_code, CheckIn.objects.count()) == (401, 0)


def test_a_patient_whose_device_was_unconfirmed_meanwhile_is_not_held_to_it(world: World) -> None:
    """Alice's only device stops being confirmed (re-enrolment started): she needs no code now, so her
    password session stands (the rule: anyone but staff gives a code once they have a confirmed one)."""
    user = world.alice.user
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    c = sign_in(Client(), user)
    TOTPDevice.objects.filter(user=user).update(confirmed=False)
    assert c.get("/api/v1/me").status_code == 200


def test_an_anonymous_visitor_gets_the_plain_language_link(world: World) -> None:
    r = Client().get("/en/")
    assert b'hreflang="es"' in r.content


def test_a_signed_in_nurse_gets_the_language_form_not_links(world: World) -> None:
    r = sign_in(Client(), world.staff["nurse"]).get("/dosing/")
    assert (r.status_code, b'hreflang="es"' in r.content, b'name="language"' in r.content) == (
        200,
        False,
        True,
    )
