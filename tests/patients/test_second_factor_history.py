"""A person's past second-factor resets (when, by whom, the typed reason) on the reset page: shown to the
staff who may reset (a counselor, nurse or prescriber on the care team), read through the policy with one
audit row; every other role, and a clinician under emergency access, sees nothing of it (session 20)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from keel.accounts import services as accounts
from keel.accounts.names import staff_name
from keel.audit.models import AuditEvent
from keel.patients.schemas import SecondFactorResetIn
from keel.patients.services.second_factor import reset_second_factor
from tests.conftest import PASSWORD, World, sign_in

pytestmark = pytest.mark.django_db
REASON = "Lost her phone on the bus, ID card checked at the desk"


@pytest.fixture
def reset_once(world: World) -> None:
    """Alicia's app was reset once, by the riverside nurse, with a typed reason."""
    accounts.enroll_totp(user=world.alice.user)
    reset_second_factor(
        by=world.staff["nurse"],
        patient_id=world.alice.pk,
        data=SecondFactorResetIn.posted({"reason": REASON, "identity_checked": "on", "password": PASSWORD}),
    )


def _page(client: Client, patient: Any, lang: str = "en") -> Any:
    return client.get(reverse("patients:reset_second_factor", args=[patient.pk]), HTTP_ACCEPT_LANGUAGE=lang)


@pytest.mark.parametrize("role", ["counselor", "nurse", "prescriber"])
def test_the_care_team_sees_when_who_and_why(
    world: World, signed_in: Any, reset_once: None, role: str
) -> None:
    page = _page(signed_in(role), world.alice)
    body = page.content.decode()
    assert page.status_code == 200
    assert "Past resets" in body
    assert REASON in body
    nurse = world.staff["nurse"]
    assert staff_name(nurse) in body  # never a username (lane words32)
    assert "(Nurse)" in body


def test_the_list_is_read_with_one_audit_row(world: World, signed_in: Any, reset_once: None) -> None:
    before = AuditEvent.objects.count()
    _page(signed_in("counselor"), world.alice)
    rows = list(AuditEvent.objects.order_by("id")[before:])
    assert [(r.action, r.target_type, r.patient_id) for r in rows] == [
        ("read", "second_factor_resets", world.alice.pk)
    ]
    # the typed reason is never copied into an audit row (review 19d)
    assert not AuditEvent.objects.filter(reason__contains="bus").exists()
    assert not [r for r in AuditEvent.objects.all() if "bus" in str(r.detail)]


def test_none_yet_is_said(world: World, signed_in: Any) -> None:
    body = _page(signed_in("nurse"), world.alice).content.decode()
    assert "No one has reset this person" in body


def test_a_reset_shows_in_the_list_at_once(world: World, signed_in: Any) -> None:
    accounts.enroll_totp(user=world.alice.user)
    response = signed_in("prescriber").post(
        reverse("patients:reset_second_factor", args=[world.alice.pk]),
        {
            "reason": "Phone stolen, identity checked in person",
            "identity_checked": "on",
            "password": PASSWORD,
        },
    )
    assert response.status_code == 200
    assert "Phone stolen, identity checked in person" in response.content.decode()


def test_in_spanish(world: World, signed_in: Any, reset_once: None) -> None:
    body = _page(signed_in("nurse"), world.alice, "es").content.decode()
    assert "Restablecimientos anteriores" in body
    assert "Motivo:" in body
    assert "Past resets" not in body and "Why:" not in body


@pytest.mark.parametrize(
    ("role", "status"),
    [("program_admin", 403), ("peer_specialist", 403), ("auditor", 404), ("patient", 403)],
)
def test_other_roles_see_nothing_of_it(
    world: World, signed_in: Any, reset_once: None, role: str, status: int
) -> None:
    page = _page(signed_in(role), world.alice)
    assert page.status_code == status
    assert REASON not in page.content.decode()


@pytest.mark.parametrize("role", ["program_admin", "peer_specialist", "patient", "counselor"])
def test_no_other_page_of_the_record_shows_it(
    world: World, signed_in: Any, reset_once: None, role: str
) -> None:
    client = signed_in(role)
    url = (
        reverse("web:my_record")
        if role == "patient"
        else reverse("web:patient_detail", args=[world.alice.pk])
    )
    body = client.get(url).content.decode()
    assert REASON not in body


def test_a_clinician_off_the_team_gets_the_same_404(world: World, signed_in: Any) -> None:
    accounts.enroll_totp(user=world.bob.user)
    page = _page(signed_in("nurse"), world.bob)
    assert page.status_code == 404


def test_under_emergency_access_nothing_of_it_is_offered(world: World) -> None:
    """A nurse under break-the-glass on Roberto's record: no link to the reset page on the record, and the
    page itself refused (403, audited) with none of Roberto's resets in it."""
    from keel.sharing.services.emergency import emergency_access

    accounts.enroll_totp(user=world.bob.user)
    reset_second_factor(
        by=_teammate(world),
        patient_id=world.bob.pk,
        data=SecondFactorResetIn.posted({"reason": REASON, "identity_checked": "on", "password": PASSWORD}),
    )
    nurse = world.staff["nurse"]
    emergency_access(
        by=nurse,
        record_number=world.bob.record_number,
        reason="found unresponsive in the waiting room",
        password=PASSWORD,
    )
    client = sign_in(Client(), nurse)
    record = client.get(reverse("web:patient_detail", args=[world.bob.pk])).content.decode()
    assert reverse("patients:reset_second_factor", args=[world.bob.pk]) not in record
    page = _page(client, world.bob)
    assert page.status_code == 403
    assert REASON not in page.content.decode()
    assert AuditEvent.objects.filter(
        actor_id=nurse.pk, patient_id=world.bob.pk, target_type="mfa", action="denied"
    ).exists()


def _teammate(world: World) -> Any:
    """A clinician put on Roberto's care team to reset his app (no riverside persona is on it)."""
    from keel.accounts.models import Role
    from keel.patients.models import CareTeamMember

    user, _ = accounts.create_user(
        username="riverside.nurse9", role=Role.NURSE, password=PASSWORD, program_slug="riverside"
    )
    CareTeamMember.objects.create(patient=world.bob, user=user)
    return user
