"""Lane dead27: recording a death (a discharge `deceased`, by the page or by the API) turns the person's own
Keel account off in the same transaction, through the one service that turns accounts off
(`accounts.services.deactivate_user`): her sessions end, her API tokens are revoked, she cannot sign in, and
nothing is written in her name by her account; audited as done by the staff member who recorded the death,
who is told on the page (English and Spanish) and in the API's answer. A discharge for any other reason
leaves the account on; a person with no account of her own is discharged as before. Keel has no guardian's
or personal representative's account: the only other accounts are staff's and other people's, which stay on.
And a death that landed by another path (the episode ended `deceased` without the service) still lets her
account read and write nothing of her record (`policy.own_patient_or_404`, refused and audited)."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from keel.accounts.models import ApiToken, User
from keel.accounts.services import create_token
from keel.audit.models import AuditEvent
from keel.patients.models import EndReason, Enrollment, EnrollmentStatus, Patient, local_today
from keel.recovery.models import CheckIn
from tests.conftest import PASSWORD, World, sign_in

pytestmark = pytest.mark.django_db
R4 = "/fhir/R4"
CHECKIN = {"craving": 3, "mood": 4, "used": False, "medication": "taken"}
ROUTES = ("page", "api")
TURNED_OFF = "own Keel account was turned off"


def _bearer(secret: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def _secret(world: World) -> str:
    return create_token(user=world.alice.user, name="phone").secret


def _record(
    world: World, route: str, reason: str = EndReason.DECEASED, patient: Any = None, **kw: Any
) -> Any:
    """The nurse records the end of the episode by the page or by the API; returns the answer."""
    patient = patient or world.alice
    nurse = sign_in(Client(), world.staff["nurse"])
    body = {"reason": str(reason), **kw}
    if route == "page":
        return nurse.post(f"/patients/{patient.pk}/discharge/", body)
    return nurse.post(
        f"/api/v1/patients/{patient.pk}/discharge", json.dumps(body), content_type="application/json"
    )


def _checkin(client: Client, **headers: Any) -> Any:
    return client.post(
        "/api/v1/me/checkins",
        data=json.dumps(CHECKIN),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=f"k-{len(headers)}-{CheckIn.objects.count()}",
        **headers,
    )


def _active(user: Any) -> bool:
    return bool(User.objects.get(pk=user.pk).is_active)


# --- a death recorded: her account is off, by the page and by the API ----------------------------------


@pytest.mark.parametrize("route", ROUTES)
def test_the_death_is_recorded_and_her_account_is_off(world: World, route: str) -> None:
    answer = _record(world, route)
    assert answer.status_code == (302 if route == "page" else 200)
    episode = Enrollment.objects.get(patient=world.alice)
    assert (episode.status, episode.end_reason) == (EnrollmentStatus.ENDED, EndReason.DECEASED)
    assert not _active(world.alice.user)


@pytest.mark.parametrize("route", ROUTES)
def test_her_sessions_next_request_is_signed_out(world: World, route: str) -> None:
    session = sign_in(Client(), world.alice.user)
    assert session.get("/api/v1/me").status_code == 200
    _record(world, route)
    assert session.get("/api/v1/me").status_code == 401
    page = session.get("/me/")
    assert page.status_code == 302 and "/accounts/login/" in page["Location"]


@pytest.mark.parametrize("route", ROUTES)
def test_her_token_answers_401_on_me_and_fhir(world: World, route: str) -> None:
    secret = _secret(world)
    assert Client().get("/api/v1/me", **_bearer(secret)).status_code == 200
    _record(world, route)
    assert Client().get("/api/v1/me", **_bearer(secret)).status_code == 401
    assert Client().get(f"{R4}/Patient/{world.alice.pk}", **_bearer(secret)).status_code == 401
    assert Client().get(f"{R4}/Patient/{world.alice.pk}/$everything", **_bearer(secret)).status_code == 401
    assert not ApiToken.objects.filter(user=world.alice.user, revoked_at__isnull=True).exists()


@pytest.mark.parametrize("route", ROUTES)
def test_a_check_in_by_token_or_by_session_writes_nothing(world: World, route: str) -> None:
    secret = _secret(world)
    session = sign_in(Client(), world.alice.user)
    _record(world, route)
    before = CheckIn.objects.count()
    assert _checkin(Client(), **_bearer(secret)).status_code in (401, 403)
    assert _checkin(session).status_code in (401, 403)
    assert CheckIn.objects.count() == before


@pytest.mark.parametrize("route", ROUTES)
def test_she_cannot_sign_in(world: World, route: str) -> None:
    _record(world, route)
    client = Client()
    client.post("/accounts/login/", {"username": world.alice.user.username, "password": PASSWORD})
    assert "_auth_user_id" not in client.session
    assert client.get("/api/v1/me").status_code == 401
    token = Client().post(
        "/api/v1/auth/tokens",
        json.dumps({"username": world.alice.user.username, "password": PASSWORD, "name": "phone"}),
        content_type="application/json",
    )
    assert token.status_code in (400, 401, 403, 422)


@pytest.mark.parametrize("route", ROUTES)
def test_the_audit_trail_has_her_account_turned_off_by_the_staff_member(world: World, route: str) -> None:
    _record(world, route)
    row = AuditEvent.objects.get(target_type="user", target_id=str(world.alice.user.pk), reason="deactivated")
    assert row.actor_id == world.staff["nurse"].pk
    discharged = AuditEvent.objects.get(reason="discharged", patient_id=world.alice.pk)
    assert discharged.actor_id == world.staff["nurse"].pk


@pytest.mark.parametrize("route", ROUTES)
def test_only_her_account_is_turned_off(world: World, route: str) -> None:
    _record(world, route)
    assert _active(world.bob.user) and _active(world.staff["nurse"])
    assert sign_in(Client(), world.bob.user).get("/api/v1/me").status_code == 200


def test_nothing_of_it_stays_when_the_discharge_is_refused(world: World) -> None:
    """One transaction: a discharge refused (a date before the episode began) leaves her account on."""
    secret = _secret(world)
    started = Enrollment.objects.get(patient=world.alice).started_on
    answer = _record(world, "api", ended_on=(started - timedelta(days=1)).isoformat())
    assert answer.status_code == 422
    assert _active(world.alice.user)
    assert Client().get("/api/v1/me", **_bearer(secret)).status_code == 200


# --- any other reason: the account stays on -----------------------------------------------------------


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("reason", [EndReason.COMPLETED, EndReason.LEFT, EndReason.ADMINISTRATIVE])
def test_a_discharge_for_another_reason_leaves_her_account_on(world: World, route: str, reason: str) -> None:
    secret = _secret(world)
    session = sign_in(Client(), world.alice.user)
    answer = _record(world, route, reason)
    assert answer.status_code == (302 if route == "page" else 200)
    assert _active(world.alice.user)
    assert Client().get("/api/v1/me", **_bearer(secret)).status_code == 200
    assert session.get("/api/v1/me").status_code == 200
    assert not AuditEvent.objects.filter(target_type="user", reason="deactivated").exists()
    if route == "api":
        assert answer.json()["own_account_turned_off"] is False


def test_a_transfer_leaves_her_account_on(world: World) -> None:
    today = local_today(world.alice)
    consent = sign_in(Client(), world.alice.user).post(
        "/api/v1/me/consents",
        json.dumps(
            {
                "recipient_name": "Lakeside Health Center",
                "purpose": "treatment",
                "categories": ["record"],
                "expires_on": (today + timedelta(days=200)).isoformat(),
                "signature": "Alicia Zamorano",
                "understood": True,
            }
        ),
        content_type="application/json",
    )
    assert consent.status_code == 201, consent.content
    answer = _record(
        world,
        "api",
        EndReason.TRANSFERRED,
        recipient_name="Lakeside Health Center",
        password=PASSWORD,
        consent=consent.json()["id"],
    )
    assert answer.status_code == 200, answer.content
    assert answer.json()["own_account_turned_off"] is False
    assert _active(world.alice.user)


# --- a person with no account of her own -------------------------------------------------------------


@pytest.mark.parametrize("route", ROUTES)
def test_a_person_with_no_account_of_her_own_is_discharged_as_before(world: World, route: str) -> None:
    program = world.alice.program
    person = Patient.objects.create(
        program=program, record_number="R-NOACC", given_name="Nadia", family_name="Ortiz"
    )
    Enrollment.objects.create(
        patient=person, program=program, started_on=local_today(world.alice) - timedelta(days=30)
    )
    from keel.patients.models import CareTeamMember

    CareTeamMember.objects.create(patient=person, user=world.staff["nurse"])
    answer = _record(world, route, patient=person)
    assert answer.status_code == (302 if route == "page" else 200), answer.content
    assert Enrollment.objects.get(patient=person).end_reason == EndReason.DECEASED
    assert not AuditEvent.objects.filter(target_type="user", reason="deactivated").exists()
    if route == "api":
        assert answer.json()["own_account_turned_off"] is False


# --- what the staff member sees ----------------------------------------------------------------------


def test_the_api_answer_says_her_account_was_turned_off(world: World) -> None:
    assert _record(world, "api").json()["own_account_turned_off"] is True


@pytest.mark.parametrize(
    ("language", "words"),
    [("en", TURNED_OFF), ("es", "se desactivó: sus sesiones terminaron")],
)
def test_the_page_says_her_account_was_turned_off(world: World, language: str, words: str) -> None:
    nurse = sign_in(Client(), world.staff["nurse"])
    answer = nurse.post(
        f"/patients/{world.alice.pk}/discharge/",
        {"reason": "deceased"},
        follow=True,
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert answer.status_code == 200
    assert words in answer.content.decode()


def test_the_page_says_nothing_of_an_account_for_another_reason(world: World) -> None:
    nurse = sign_in(Client(), world.staff["nurse"])
    answer = nurse.post(f"/patients/{world.alice.pk}/discharge/", {"reason": "completed"}, follow=True)
    assert TURNED_OFF not in answer.content.decode()


# --- a death that landed by another path ------------------------------------------------------------


def _death_by_hand(world: World) -> None:
    Enrollment.objects.filter(patient=world.alice, status=EnrollmentStatus.ACTIVE).update(
        status=EnrollmentStatus.ENDED, ended_on=local_today(world.alice), end_reason=EndReason.DECEASED
    )


@pytest.mark.parametrize("by", ["token", "session"])
def test_a_death_by_another_path_still_lets_her_account_read_and_write_nothing(world: World, by: str) -> None:
    client, headers = (
        (Client(), _bearer(_secret(world))) if by == "token" else (sign_in(Client(), world.alice.user), {})
    )
    _death_by_hand(world)
    before = CheckIn.objects.count()
    assert client.get("/api/v1/me", **headers).status_code == 403
    assert client.get("/api/v1/me/checkins", **headers).status_code == 403
    assert _checkin(client, **headers).status_code == 403
    assert CheckIn.objects.count() == before
    refused = AuditEvent.objects.filter(
        actor_id=world.alice.user.pk, action="denied", reason="own account after a death was recorded"
    )
    assert refused.exists() and refused.first().patient_id == world.alice.pk  # type: ignore[union-attr]


def test_her_own_page_refuses_after_a_death_by_another_path(world: World) -> None:
    session = sign_in(Client(), world.alice.user)
    _death_by_hand(world)
    assert session.get("/me/").status_code == 403


# --- the command line, through the same service --------------------------------------------------------


@pytest.mark.parametrize(("reason", "off"), [("deceased", True), ("completed", False)])
def test_the_command_line_turns_the_account_off_for_a_death_only(
    world: World, reason: str, off: bool
) -> None:
    out = io.StringIO()
    args = ("--by", "r-nurse", "--patient-id", str(world.alice.pk), "--reason", reason)
    call_command("episode", "discharge", *args, stdout=out, stderr=io.StringIO())
    assert _active(world.alice.user) is not off
    assert ("own Keel account was turned off" in out.getvalue()) is off
