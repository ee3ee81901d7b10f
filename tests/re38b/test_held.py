"""Re-attack 38b: what held (passing). Codes are never kept by a browser or proxy (Cache-Control: no-store on
every page and API answer showing one); a code voided as it is stored is neither shown nor emailed; a
deceased person's own account is refused the writes in her name too; the accounting's first day is the
program's day, three calendar years back, in a zone far from UTC and across 29 February."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from keel.access import policy
from keel.accounts.models import Program
from keel.patients.models import CareTeamMember, Enrollment, Patient
from keel.sharing.models import Disclosure
from keel.sharing.queries import my_sharing
from tests.accounts.test_leaver_codes_fix37e import _record
from tests.conftest import World, sign_in

pytestmark = pytest.mark.django_db

PAGO_PAGO = ZoneInfo("Pacific/Pago_Pago")  # UTC-11
KIRITIMATI = ZoneInfo("Pacific/Kiritimati")  # UTC+14


def _nurse(world: World) -> Client:
    return sign_in(Client(), world.staff["nurse"])


@pytest.mark.parametrize("kind", ["activation-code", "link-code"])
def test_the_page_showing_a_code_is_never_stored_by_the_browser(world: World, kind: str) -> None:
    answer = _nurse(world).post(f"/patients/{_record(world).pk}/{kind}/", {})
    assert answer["Cache-Control"] == "no-store"


def test_the_reset_code_page_is_never_stored_by_the_browser(world: World) -> None:
    path = f"/patients/{world.alice.pk}/password-reset-code/"
    answer = _nurse(world).post(path, {"identity_checked": "on"})
    assert answer["Cache-Control"] == "no-store"


def test_the_api_answer_with_a_code_is_never_stored(world: World) -> None:
    path = f"/api/v1/patients/{_record(world).pk}/activation-code"
    answer = _nurse(world).post(path, "{}", content_type="application/json")
    assert answer["Cache-Control"] == "no-store"


def _email_activation(world: World) -> Any:
    patient = _record(world)
    Patient.objects.filter(pk=patient.pk).update(email="evangelina@example.org")
    path = f"/api/v1/patients/{patient.pk}/activation-code"
    return _nurse(world).post(path, '{"send_by_email": true}', content_type="application/json")


def test_a_code_still_given_is_emailed(world: World) -> None:
    _email_activation(world)
    assert len(mail.outbox) == 1


def test_a_code_voided_as_it_is_stored_is_not_emailed(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    asked = policy.may_still_give_code_for

    def removed_then_asked(user: Any, patient: Patient) -> bool:
        CareTeamMember.objects.filter(user=user).delete()
        return asked(user, patient)

    monkeypatch.setattr(policy, "may_still_give_code_for", removed_then_asked)
    _email_activation(world)
    assert mail.outbox == []


def _death_recorded_by_another_path(world: World) -> None:
    Enrollment.objects.filter(patient=world.alice).update(
        ended_on=timezone.localdate() - timedelta(days=1), end_reason="deceased", status="ended"
    )


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/me/last-use", '{"opioids": []}'),
        (
            "/api/v1/me/consents",
            '{"recipient_name": "Dr X", "purpose": "treatment", "categories": ["enrollment"], '
            '"expires_on": "2099-01-01", "signature": "Alice", "understood": true}',
        ),
    ],
)
def test_her_writes_are_refused_after_a_death(world: World, path: str, body: str) -> None:
    client = sign_in(Client(), world.alice.user)
    _death_recorded_by_another_path(world)
    assert client.post(path, body, content_type="application/json").status_code == 403


def _in_zone(world: World, zone: ZoneInfo) -> None:
    Program.objects.filter(pk=world.alice.program_id).update(time_zone=str(zone))


def _disclosed(world: World, at: datetime) -> None:
    Disclosure.objects.create(
        patient=world.alice,
        basis="patient_request",
        recipient_name="Dr. Outside Clinic",
        categories=["attendance"],
        description="Attendance",
        notice="42 CFR part 2 notice",
        document_sha256="0" * 64,
        disclosed_by=world.staff["nurse"],
        disclosed_at=at,
    )


NOW_29_FEB_IN_PAGO_PAGO = datetime(2028, 3, 1, 8, 0, tzinfo=ZoneInfo("UTC"))  # 2028-02-29 21:00 there


def test_the_accounting_from_29_february_in_pago_pago_starts_28_february(world: World) -> None:
    _in_zone(world, PAGO_PAGO)
    assert my_sharing(world.alice.user, now=NOW_29_FEB_IN_PAGO_PAGO).since == date(2025, 2, 28)


def test_a_disclosure_just_after_the_first_midnight_there_is_listed(world: World) -> None:
    _in_zone(world, PAGO_PAGO)
    _disclosed(world, datetime.combine(date(2025, 2, 28), time(0, 30), tzinfo=PAGO_PAGO))
    assert len(my_sharing(world.alice.user, now=NOW_29_FEB_IN_PAGO_PAGO).disclosures) == 1


def test_a_disclosure_just_before_the_first_midnight_there_is_not_listed(world: World) -> None:
    _in_zone(world, PAGO_PAGO)
    _disclosed(world, datetime.combine(date(2025, 2, 27), time(23, 30), tzinfo=PAGO_PAGO))
    assert my_sharing(world.alice.user, now=NOW_29_FEB_IN_PAGO_PAGO).disclosures == []


def test_the_accounting_on_utcs_29_february_in_kiritimati_starts_1_march(world: World) -> None:
    _in_zone(world, KIRITIMATI)
    now = datetime(2028, 2, 29, 11, 0, tzinfo=ZoneInfo("UTC"))  # 2028-03-01 01:00 there
    assert my_sharing(world.alice.user, now=now).since == date(2025, 3, 1)
