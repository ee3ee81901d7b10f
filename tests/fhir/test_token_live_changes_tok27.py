"""Lane tok27 (review 26a's ideas, never probed): what changes while a token is live. A token is a credential
of its holder as they are now: each request reads the holder, their role, their programs and the consent it
releases under again, so a change between two requests (a role, a program left, an account turned off, a
consent revoked or ended between two pages of a paged FHIR answer, a person discharged or dead) is what the
next request meets, never what the token was issued with."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from keel.accounts import services as accounts
from keel.accounts import staff
from keel.accounts.models import ProgramMembership, User
from keel.audit.models import AuditEvent, Outcome
from keel.core import sharing
from keel.patients.models import EndReason, Enrollment, EnrollmentStatus, local_today, zone_of
from keel.sharing.models import Consent, ConsentRevocation, Disclosure
from keel.treatment.models import DoseRecord
from keel.treatment.services.orders import prescribe
from keel.treatment.services.qtc import record_qtc
from tests.conftest import World, sign_in
from tests.factories import methadone_with_qtc

pytestmark = pytest.mark.django_db
RECIPIENT = "Valley Primary Care"
R4 = "/fhir/R4"


def _token(user: Any, recipient: str = "") -> str:
    return accounts.create_token(user=user, name="integration", recipient_name=recipient).secret


def _bearer(secret: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def _dose(world: World, secret: str, sequence: int = 1) -> Any:
    return Client().post(
        f"/api/v1/patients/{world.alice.pk}/doses",
        data=json.dumps({"amount_mg": 80, "sequence": sequence}),
        content_type="application/json",
        **_bearer(secret),
    )


# --- a staff member's role or programs change after the token was issued ----


def test_a_nurses_token_records_a_dose_before_anything_changes(world: World) -> None:
    methadone_with_qtc(world, None, taken=True)
    assert _dose(world, _token(world.staff["nurse"])).status_code == 201


def test_a_nurse_made_a_counselor_has_a_counselors_powers_at_the_next_request(world: World) -> None:
    methadone_with_qtc(world, None, taken=True)
    nurse = world.staff["nurse"]
    secret = _token(nurse)
    staff.change_role(
        by=world.staff["program_admin"], program_slug="riverside", user_id=nurse.pk, role="counselor"
    )
    before = DoseRecord.objects.count()
    answer = _dose(world, secret)
    assert (answer.status_code, DoseRecord.objects.count()) == (403, before)


def test_a_program_admin_made_a_nurse_no_longer_reads_the_admins_counts(world: World) -> None:
    admin = world.staff["program_admin"]
    secret = _token(admin)
    path = "/api/v1/programs/riverside/measures"
    assert Client().get(path, **_bearer(secret)).status_code == 200
    other = User.objects.create_user(username="second-admin", password="x" * 20, role="program_admin")
    ProgramMembership.objects.create(user=other, program=world.riverside)
    staff.change_role(by=other, program_slug="riverside", user_id=admin.pk, role="nurse")
    assert Client().get(path, **_bearer(secret)).status_code == 403


def _in_two_programs(world: World) -> Any:
    nurse = world.staff["nurse"]
    ProgramMembership.objects.create(user=nurse, program=world.lakeside)
    return nurse


def test_a_nurse_removed_from_the_program_records_no_dose_there(world: World) -> None:
    methadone_with_qtc(world, None, taken=True)
    nurse = _in_two_programs(world)
    secret = _token(nurse)
    staff.deactivate(by=world.staff["program_admin"], program_slug="riverside", user_id=nurse.pk)
    assert User.objects.get(pk=nurse.pk).is_active  # their account stays, for their other program
    before = DoseRecord.objects.count()
    answer = _dose(world, secret)
    assert answer.status_code in (403, 404)
    assert DoseRecord.objects.count() == before
    assert "decision" not in answer.json()


def test_a_nurse_removed_from_the_program_reads_none_of_its_settings(world: World) -> None:
    nurse = _in_two_programs(world)
    secret = _token(nurse)
    path = "/api/v1/programs/riverside/policy"
    first = Client().get(path, **_bearer(secret)).status_code
    staff.deactivate(by=world.staff["program_admin"], program_slug="riverside", user_id=nurse.pk)
    after = Client().get(path, **_bearer(secret))
    assert (first, after.status_code in (403, 404, 422)) == (200, True)  # 422: "not one of your programs"
    assert "values" not in after.json()


def test_a_nurse_turned_off_has_no_token(world: World) -> None:
    methadone_with_qtc(world, None, taken=True)
    nurse = world.staff["nurse"]
    secret = _token(nurse)
    staff.deactivate(by=world.staff["program_admin"], program_slug="riverside", user_id=nurse.pk)
    assert _dose(world, secret).status_code == 401
    assert Client().get("/api/v1/me", **_bearer(secret)).status_code == 401


def test_an_account_turned_off_by_hand_has_no_token_even_unrevoked(world: World) -> None:
    """The account's flag alone ends the token (an admin site or a script that revokes nothing)."""
    nurse = world.staff["nurse"]
    secret = _token(nurse)
    User.objects.filter(pk=nurse.pk).update(is_active=False)
    assert Client().get("/api/v1/me", **_bearer(secret)).status_code == 401


def test_a_role_change_is_what_the_token_reads_in_me(world: World) -> None:
    nurse = world.staff["nurse"]
    secret = _token(nurse)
    staff.change_role(
        by=world.staff["program_admin"], program_slug="riverside", user_id=nurse.pk, role="counselor"
    )
    assert Client().get("/api/v1/me", **_bearer(secret)).json()["role"] == "counselor"


# --- a consent revoked or ended between two pages of a paged FHIR answer ----


def _consent(world: World, expires_on: date | None = None) -> Consent:
    today = local_today(world.alice)
    return Consent.objects.create(
        patient=world.alice,
        program=world.riverside,
        recipient_name=RECIPIENT,
        purpose="treatment",
        categories=[sharing.RECORD],
        expires_on=expires_on or today + timedelta(days=300),
        signature="Alicia Zamorano",
        form_version="keel-part2-consent-1",
        statements=[],
        signed_by=world.alice.user,
        signed_at=timezone.now() - timedelta(days=1),
    )


def _basis(consent: Consent) -> str:
    params = {
        "basis": "consent",
        "consent": str(consent.pk),
        "recipient_name": RECIPIENT,
        "purpose": "treatment",
    }
    return json.dumps(
        {
            "resourceType": "Parameters",
            "parameter": [{"name": k, "valueString": v} for k, v in params.items()],
        }
    )


def _record(world: World) -> None:
    """Enough of a record for two pages of one resource each."""
    prescribe(by=world.staff["prescriber"], patient_id=world.alice.pk, medication="methadone", dose_mg="60")


def _first_page(world: World, consent: Consent) -> tuple[Client, str]:
    client = Client(**_bearer(_token(world.staff["nurse"], RECIPIENT)))  # type: ignore[arg-type]
    first = client.post(
        f"{R4}/Patient/{world.alice.pk}/$everything?_count=1",
        _basis(consent),
        content_type="application/fhir+json",
    )
    assert first.status_code == 200, first.content[:300]
    following = next(x["url"] for x in first.json()["link"] if x["relation"] == "next")
    return client, following.removeprefix("http://testserver")


def _refused_without_the_record(world: World, answer: Any) -> None:
    assert 400 <= answer.status_code < 500, answer.content[:300]
    body = answer.content.decode()
    assert answer.json()["resourceType"] == "OperationOutcome"
    assert "entry" not in answer.json()
    for said in (world.alice.family_name, world.alice.given_name, "methadone", "Medication"):
        assert said not in body


def _denied_rows(world: World) -> int:
    return AuditEvent.objects.filter(patient_id=world.alice.pk, outcome=Outcome.DENIED).count()


def test_the_second_page_after_a_revocation_leaves_nothing(world: World) -> None:
    _record(world)
    consent = _consent(world)
    client, following = _first_page(world, consent)
    ConsentRevocation.objects.create(consent=consent, revoked_by=world.alice.user, revoked_at=timezone.now())
    before = _denied_rows(world)
    answer = client.get(following)
    _refused_without_the_record(world, answer)
    assert _denied_rows(world) == before + 1
    assert Disclosure.objects.count() == 1


def test_the_second_page_after_a_revocation_answers_as_a_first_pull_would(world: World) -> None:
    """The same refusal as the basis POSTed again under the revoked consent (`consent`, 422; review 20c)."""
    _record(world)
    consent = _consent(world)
    client, following = _first_page(world, consent)
    ConsentRevocation.objects.create(consent=consent, revoked_by=world.alice.user, revoked_at=timezone.now())
    again = client.post(
        f"{R4}/Patient/{world.alice.pk}/$everything?_count=1",
        _basis(consent),
        content_type="application/fhir+json",
    )
    answer = client.get(following)
    assert (answer.status_code, answer.json()["issue"][0]["expression"]) == (
        again.status_code,
        again.json()["issue"][0]["expression"],
    )


def test_the_second_page_after_the_nurse_became_a_peer_specialist_leaves_nothing(world: World) -> None:
    """A role that may not take the whole record: the next link is refused before the person is read."""
    _record(world)
    client, following = _first_page(world, _consent(world))
    nurse = world.staff["nurse"]
    staff.change_role(
        by=world.staff["program_admin"], program_slug="riverside", user_id=nurse.pk, role="peer_specialist"
    )
    _refused_without_the_record(world, client.get(following))


def test_the_second_page_after_the_nurse_left_the_program_leaves_nothing(world: World) -> None:
    _record(world)
    nurse = _in_two_programs(world)
    client, following = _first_page(world, _consent(world))
    staff.deactivate(by=world.staff["program_admin"], program_slug="riverside", user_id=nurse.pk)
    _refused_without_the_record(world, client.get(following))


def test_the_second_page_after_the_token_was_revoked_leaves_nothing(world: World) -> None:
    _record(world)
    client, following = _first_page(world, _consent(world))
    accounts.revoke_tokens(world.staff["nurse"])
    answer = client.get(following)
    assert answer.status_code == 401
    assert world.alice.family_name not in answer.content.decode()


def _last_evening(world: World, consent_days: int = 10) -> tuple[date, datetime]:
    """The consent's last day (relative to today) and 23:40 that evening in the program's zone."""
    last = local_today(world.alice) + timedelta(days=consent_days)
    return last, datetime.combine(last, time(23, 40), tzinfo=zone_of(world.alice)).astimezone(UTC)


def test_the_second_page_after_the_consent_ended_leaves_nothing(world: World) -> None:
    last, evening = _last_evening(world)
    with time_machine.travel(evening, tick=False) as clock:
        _record(world)
        consent = _consent(world, expires_on=last)
        client, following = _first_page(world, consent)
        clock.move_to(evening + timedelta(minutes=40))  # past midnight: the consent ended, the link is fresh
        before = _denied_rows(world)
        answer = client.get(following)
        _refused_without_the_record(world, answer)
        assert _denied_rows(world) == before + 1
        assert Disclosure.objects.count() == 1


def _two_qtcs(world: World) -> None:
    methadone_with_qtc(world, 430, measured_on=local_today(world.alice) - timedelta(days=3))
    record_qtc(by=world.staff["nurse"], patient_id=world.alice.pk, qtc_ms=440)


def _search_first_page(world: World, consent: Consent) -> tuple[Client, str]:
    client = Client(**_bearer(_token(world.staff["nurse"], RECIPIENT)))  # type: ignore[arg-type]
    headers = {"HTTP_KEEL_CONSENT": str(consent.pk)}
    first = client.get(f"{R4}/Observation", {"patient": world.alice.pk, "_count": 1}, **headers)
    assert first.status_code == 200, first.content[:300]
    following = next(x["url"] for x in first.json()["link"] if x["relation"] == "next")
    return client, following.removeprefix("http://testserver")


def test_a_searchs_next_page_after_a_revocation_leaves_nothing(world: World) -> None:
    _two_qtcs(world)
    consent = _consent(world)
    client, following = _search_first_page(world, consent)
    ConsentRevocation.objects.create(consent=consent, revoked_by=world.alice.user, revoked_at=timezone.now())
    before = _denied_rows(world) + AuditEvent.objects.filter(outcome=Outcome.DENIED, patient_id=None).count()
    answer = client.get(following, HTTP_KEEL_CONSENT=str(consent.pk))
    _refused_without_the_record(world, answer)
    assert "440" not in answer.content.decode() and "430" not in answer.content.decode()
    after = _denied_rows(world) + AuditEvent.objects.filter(outcome=Outcome.DENIED, patient_id=None).count()
    assert after == before + 1


def test_a_searchs_next_page_after_the_consent_ended_leaves_nothing(world: World) -> None:
    last, evening = _last_evening(world)
    with time_machine.travel(evening, tick=False) as clock:
        _two_qtcs(world)
        consent = _consent(world, expires_on=last)
        client, following = _search_first_page(world, consent)
        clock.move_to(evening + timedelta(minutes=40))
        answer = client.get(following, HTTP_KEEL_CONSENT=str(consent.pk))
        _refused_without_the_record(world, answer)
        assert "440" not in answer.content.decode()


def test_a_searchs_next_page_under_a_live_consent_still_answers(world: World) -> None:
    _two_qtcs(world)
    consent = _consent(world)
    client, following = _search_first_page(world, consent)
    assert client.get(following, HTTP_KEEL_CONSENT=str(consent.pk)).status_code == 200


# --- the patient's own token after a discharge, a death, an account turned off ----

CHECKIN = {"craving": 3, "mood": 4, "used": False, "medication": "taken"}
OWN_READS = ("/api/v1/me", "/api/v1/me/checkins", "/api/v1/me/plan", "/api/v1/me/care-plan")


def _end_episode(world: World, reason: str) -> None:
    Enrollment.objects.filter(patient=world.alice, status=EnrollmentStatus.ACTIVE).update(
        status=EnrollmentStatus.ENDED, ended_on=local_today(world.alice), end_reason=reason
    )


def _answers(client: Client, pk: int, **headers: Any) -> list[int]:
    got = [client.get(path, **headers).status_code for path in OWN_READS]
    got.append(client.get(f"{R4}/Patient/{pk}/$everything", **headers).status_code)
    checkin = client.post(
        "/api/v1/me/checkins", data=json.dumps(CHECKIN), content_type="application/json", **headers
    )
    return [*got, checkin.status_code]


def _token_and_session(world: World) -> tuple[list[int], list[int]]:
    secret = _token(world.alice.user)
    session = sign_in(Client(), world.alice.user)
    return _answers(Client(), world.alice.pk, **_bearer(secret)), _answers(session, world.alice.pk)


@pytest.mark.parametrize("reason", [EndReason.COMPLETED, EndReason.DECEASED])
def test_the_patients_own_token_after_the_episode_ended_has_what_her_session_has(
    world: World, reason: str
) -> None:
    _end_episode(world, reason)
    by_token, by_session = _token_and_session(world)
    assert by_token == by_session


def test_the_patients_own_token_ends_with_her_account(world: World) -> None:
    secret = _token(world.alice.user)
    accounts.deactivate_user(user=world.alice.user, by=world.staff["program_admin"])
    assert Client().get("/api/v1/me", **_bearer(secret)).status_code == 401
    assert Client().get(f"{R4}/Patient/{world.alice.pk}", **_bearer(secret)).status_code == 401


def test_the_patients_own_token_ends_with_her_account_turned_off_by_hand(world: World) -> None:
    secret = _token(world.alice.user)
    User.objects.filter(pk=world.alice.user.pk).update(is_active=False)
    assert Client().get("/api/v1/me", **_bearer(secret)).status_code == 401


def test_a_deceased_persons_token_records_no_new_check_in(world: World) -> None:
    """After a death is recorded nothing is written in the person's name by a system holding their token."""
    secret = _token(world.alice.user)
    _end_episode(world, EndReason.DECEASED)
    answer = Client().post(
        "/api/v1/me/checkins", data=json.dumps(CHECKIN), content_type="application/json", **_bearer(secret)
    )
    assert answer.status_code in (401, 403)


def test_a_consent_of_a_discharged_person_still_governs_the_staff_tokens_next_page(world: World) -> None:
    """A discharge between two pages: the record as released (never more), or the link refused."""
    _record(world)
    consent = _consent(world)
    client, following = _first_page(world, consent)
    _end_episode(world, EndReason.COMPLETED)
    answer = client.get(following)
    if answer.status_code == 200:  # the record as released, never more
        assert len(answer.json().get("entry", [])) <= 1
    else:
        _refused_without_the_record(world, answer)
