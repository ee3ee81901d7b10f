"""Review 25d: a penetration tester with an integration engineer, on the day's token and take-home route
changes (staff tokens no longer read people on the JSON API; bottles brought back; emergency facility words).
Each test fails while its hole (tests/review25d/HOLES.md) is open."""

from __future__ import annotations

import contextlib
import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from tests.conftest import World

pytestmark = pytest.mark.django_db


def _token(user: Any, recipient: str = "") -> str:
    from keel.accounts import services

    return services.create_token(user=user, name="ehr", recipient_name=recipient).secret


def _bearer(secret: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


# --- H1: the dosing window lists the caller's patients to an unbound staff token


def test_h1_staff_token_reads_no_one_on_the_dosing_list(world: World) -> None:
    """Review 25b H1 made a staff token's read of people on the JSON API a 403 (it is another system
    receiving Part 2 records: a release under a consent, in the accounting). GET /api/v1/dosing/today names
    every person on the window (name, medication, dose, missed days, flags) and carries no `patient_id`
    and no `_PEOPLE` prefix, so an unbound nurse's token reads it with no consent and no Disclosure row."""
    from keel.treatment.services import prescribe

    prescribe(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        medication="methadone",
        dose_mg="40",
        order_version=0,
    )
    response = Client().get("/api/v1/dosing/today", **_bearer(_token(world.staff["nurse"])))
    body = response.content.decode()
    assert world.alice.family_name not in body, body[:300]
    assert response.status_code == 403, response.status_code


# --- H2: registration is a lookup of who is in care here, for a staff token


def test_h2_staff_token_registration_does_not_say_who_is_in_care(world: World) -> None:
    """A staff token's POST /api/v1/patients naming a name and birth date answers "a patient with this name
    and date of birth is already registered in this program" when the person is in care (and a plain
    admission, or another error, when not): another system learns that a named person is a patient of an
    opioid treatment program (42 CFR 2.13: the fact of being a patient is the record) with no consent and no
    accounting row (the denied audit row is no disclosure), for anyone of the program, on the nurse's care
    team or not (Bob is on none). The token reads no person on the list routes (review 25b H1); this write
    answers the same question for any name and birth date it is given."""
    bob = world.bob  # on no nurse's care team
    body = {
        "program": "riverside",
        "given_name": bob.given_name,
        "family_name": bob.family_name,
        "date_of_birth": bob.date_of_birth.isoformat(),
        "birth_sex": "F",
        "episode_kind": "otp",
        "notice_given": True,
        "consented": True,
    }
    response = Client().post(
        "/api/v1/patients",
        data=json.dumps(body),
        content_type="application/json",
        **_bearer(_token(world.staff["nurse"])),
    )
    text = response.content.decode()
    assert "already registered" not in text and "not_a_duplicate" not in text, text[:400]


# --- H3: a staff token takes over a patient's own account


def test_h3_staff_token_cannot_take_a_patients_account(world: World) -> None:
    """An unbound nurse's token reads no person (review 25b H1), but POST
    /api/v1/patients/{id}/password-reset-code {"identity_checked": true} hands it the patient's one-time
    reset code (the token asserts the in-person identity check no system can make), and POST
    /api/v1/auth/reset-with-code (no sign-in) then sets the patient's password: the other system now signs
    in as the patient and reads the whole record as the patient's own access, with no consent and no
    accounting row. The desk's code is for a person standing at the desk (a session), not for a script."""
    response = Client().post(
        f"/api/v1/patients/{world.alice.pk}/password-reset-code",
        data=json.dumps({"identity_checked": True}),
        content_type="application/json",
        **_bearer(_token(world.staff["nurse"])),
    )
    code = response.json().get("code") if response.status_code == 201 else None
    if code:
        taken = Client().post(
            "/api/v1/auth/reset-with-code",
            data=json.dumps(
                {
                    "code": code,
                    "password": "a script chose this one 77",
                    "password_again": "a script chose this one 77",
                }
            ),
            content_type="application/json",
        )
        assert taken.status_code != 200, f"Alice's password set by the nurse's token: {taken.content[:200]!r}"
    assert response.status_code == 403, response.content[:300]


# --- H4: a write's conflict answer is a read of the person's orders


def test_h4_staff_token_conflict_does_not_read_the_orders(world: World) -> None:
    """`orders_version` is "opaque" but written `<person>-<version of each medication>`, so a script forges
    the oldest one ("<id>-0-0-0") with no read; POST /api/v1/patients/{id}/orders then writes nothing and
    answers 409 with `changed.newest_order` (medication, dose, start, status, who wrote it and when) and the
    same in words: the prescriber's unbound token, refused GET .../medication (review 25b H1), reads the
    person's current methadone order with no consent and no accounting row, for every medication."""
    from keel.treatment.models import Medication
    from keel.treatment.services import prescribe

    prescribe(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        medication="methadone",
        dose_mg="40",
        order_version=0,
    )
    forged = "-".join([str(world.alice.pk)] + ["0"] * len(Medication.values))
    response = Client().post(
        f"/api/v1/patients/{world.alice.pk}/orders",
        data=json.dumps({"medication": "methadone", "dose_mg": "45", "orders_version": forged}),
        content_type="application/json",
        **_bearer(_token(world.staff["prescriber"])),
    )
    text = response.content.decode()
    assert "newest_order" not in text and "40 mg" not in text, text[:400]


# --- H5: "brought back, never an end" ends a running plan


def test_h5_bottles_brought_back_never_ends_a_running_plan(world: World) -> None:
    """`POST .../take-homes/{plan}/brought-back` is "never an end" (its summary, and
    `record_bottles_brought_back`'s docstring: the end unchanged). On a plan still running (not ended, not
    kept back), `_end_plan(ending=False)` skips `_record_brought_back` (it runs only when `ended`) and falls
    through to the end: the plan is ended from today, the "how they came back" note as the prescriber's end
    reason, and the page says "Bottles brought back recorded". A stale call-back form (the plan's end since
    undone) or a script posting to the wrong URL ends a person's take-homes."""
    from keel.treatment.models import TakeHomePlan
    from keel.treatment.services import record_bottles_brought_back
    from tests.factories import methadone_with_take_home_plan

    plan, first = methadone_with_take_home_plan(world, timezone.now() - timedelta(minutes=5))
    with contextlib.suppress(Exception):  # a refusal is a fine answer; an end is not
        record_bottles_brought_back(
            by=world.staff["prescriber"],
            patient_id=world.alice.pk,
            plan_id=plan.pk,
            reason="her partner brought tomorrow's bottle back unopened at the window",
            returned_days=[first.isoformat()],
        )
    assert TakeHomePlan.objects.get(pk=plan.pk).ended_on is None


# --- H6 and H7: the emergency facility test


def _emergency(affiliation: str) -> dict[str, object]:
    return {
        "recipient_name": "Dr. Maria Lopez",
        "recipient_role": "physician",
        "recipient_affiliation": affiliation,
        "nature": "unresponsive after a suspected overdose, naloxone given twice",
        "categories": ["medication"],
    }


def _refused(affiliation: str) -> bool:
    from keel.core import sharing
    from keel.core.rules.inputs import InvalidInput

    try:
        sharing.parse_emergency(_emergency(affiliation))
    except InvalidInput:
        return True
    return False


def test_h6_real_receiving_facilities_are_not_refused() -> None:
    """Ordinary names of places that receive a person in a medical emergency, refused as "name the place of
    care": a British/Canadian spelling ("Centre"), Mexico's main ambulance service (Cruz Roja), the largest
    US integrated care system by its name, a fire department (most US 911 ambulances), a health system."""
    names = [
        "St Thomas' Medical Centre",
        "Cruz Roja Mexicana",
        "Kaiser Permanente",
        "Springfield Fire Department",
        "Mount Sinai Health System",
    ]
    assert [n for n in names if _refused(n)] == []


def test_h7_agencies_are_not_places_of_care() -> None:
    """Agencies that give no care, accepted as a place of care by a care word they carry: the US Social
    Security Administration by its Spanish name ("seguro social" is a care word since review 22s), Spain's
    social security benefits institute, a state licensing board ("pharmacy"), ICE (only "ice health" and
    "ihsc" are refused)."""
    names = [
        "Administración del Seguro Social",
        "Instituto Nacional de la Seguridad Social",
        "State Pharmacy Board",
        "ICE Processing Center Clinic",
    ]
    assert [n for n in names if not _refused(n)] == []
