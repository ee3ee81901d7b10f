"""Review 21b: attacks on the #21 performance branches that held (the swapped dosing row, token sign-in, the
check-in's conditional write, the audit chain's one-statement append on PostgreSQL). Each test's docstring
says the scenario and what should happen."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from keel.audit.models import AuditEvent
from keel.patients.models import PatientFlag
from keel.patients.schemas import DischargeIn, ReadmissionIn
from keel.recovery.schemas import CheckInIn
from keel.treatment import queries, services
from tests.conftest import World, sign_in
from tests.review21b.dosing_kit import (
    NOON,
    TODAY,
    TOLD,
    history,
    meanwhile,
    on_methadone_long,
    swap_and_fresh,
)

pytestmark = pytest.mark.django_db


def prescribe(world: World, medication: str = "methadone", mg: int = 30, days_ago: int = 20) -> None:
    with time_machine.travel(NOON - timedelta(days=days_ago), tick=False):
        services.prescribe(
            by=world.staff["prescriber"], patient_id=world.alice.pk, medication=medication, dose_mg=mg
        )


def on_methadone(world: World) -> None:
    prescribe(world)
    history(world, list(range(-10, 0)))


# --- 4. The dosing page's row swapped in after a dose --------------------------------------------------


def test_row_after_a_given_dose_is_the_fresh_row(world: World) -> None:
    """Alice on methadone 10 days; the nurse gives 30 mg at noon. The swapped row must equal the list's row
    (given 30 mg, day 11, last dose today, 'Record another dose', next slot 2)."""
    on_methadone(world)
    response, swapped, fresh, audits = swap_and_fresh(world, {"amount_mg": "30", "medication": "methadone"})
    assert response.status_code == 200
    assert "given 30 mg" in swapped
    assert swapped == fresh
    assert TOLD == [True], TOLD  # told from the dose, not read again
    assert len(audits) == 1 and audits[0].detail["patient_ids"] == [world.alice.pk]


def test_row_after_a_held_dose_is_the_fresh_row(world: World) -> None:
    """A sedated person: the dose is held, a flag is raised. The swapped row must say held and show the new
    flag, as the fresh list does."""
    on_methadone(world)
    _response, swapped, fresh, _ = swap_and_fresh(world, {"sedated": "on", "medication": "methadone"})
    assert "held: prescriber to assess" in swapped
    assert "1 flag" in swapped
    assert swapped == fresh
    assert TOLD == [True], TOLD  # told from the dose, not read again


def test_row_after_a_second_dose_of_the_day_is_the_fresh_row(world: World) -> None:
    """A split dose: 20 mg this morning, then a prescriber's override and 10 mg more at noon. The row must
    show the day's total (30 mg) and the next slot (3), as the fresh list does."""
    on_methadone(world)
    history(world, [0], mg="20", hours=-5)
    with time_machine.travel(NOON - timedelta(hours=1), tick=False):
        services.add_override(
            by=world.staff["prescriber"],
            patient_id=world.alice.pk,
            max_total_mg=30,
            reason="split dose assessed: rapid metabolizer, 20 then 10",
        )
    _response, swapped, fresh, _ = swap_and_fresh(
        world, {"amount_mg": "10", "medication": "methadone", "sequence": "2"}
    )
    assert "given 30 mg" in swapped, swapped
    assert 'name="sequence" value="3"' in swapped
    assert swapped == fresh
    assert TOLD == [True], TOLD  # told from the dose, not read again


def test_row_after_a_refused_dose_is_unchanged(world: World) -> None:
    """A second dose a minute after the first, no override: refused by the interval guard. The swapped row
    must still show 30 mg given, the same as the fresh list (nothing recorded)."""
    on_methadone(world)
    history(world, [0], hours=-0.02)
    _response, swapped, fresh, _ = swap_and_fresh(
        world, {"amount_mg": "10", "medication": "methadone", "sequence": "2"}
    )
    assert "given 30 mg" in swapped
    assert swapped == fresh
    assert TOLD == []  # nothing saved: the row is read


def test_row_after_a_dose_on_a_take_home_day_is_the_fresh_row(world: World) -> None:
    """A take-home day; the bottle came back unopened and the dose is observed. The row shows the dose given
    and the take-home plan, as the fresh list does."""
    prescribe(world, mg=60, days_ago=60)
    history(world, list(range(-40, -1)), mg="60")
    with time_machine.travel(NOON - timedelta(days=1), tick=False):
        services.decide_take_home(
            by=world.staff["prescriber"],
            patient_id=world.alice.pk,
            criteria={key: True for key in services.CRITERIA_KEYS},
            start_on=TODAY - timedelta(days=1),
        )
    _response, swapped, fresh, _ = swap_and_fresh(
        world,
        {"amount_mg": "60", "medication": "methadone", "bottle_returned": "on"},
        at=NOON + timedelta(hours=1),
    )
    assert "given 60 mg" in swapped, swapped
    assert swapped == fresh
    assert TOLD == [True], TOLD  # told from the dose, not read again


def test_row_after_a_buprenorphine_dose_is_the_fresh_row(world: World) -> None:
    """Buprenorphine at the window: its own row (p<id>-buprenorphine). Swapped equals fresh."""
    prescribe(world, medication="buprenorphine", mg=8)
    history(world, list(range(-5, 0)), medication="buprenorphine", mg="8")
    _response, swapped, fresh, _ = swap_and_fresh(world, {"amount_mg": "8", "medication": "buprenorphine"})
    assert "given 8 mg" in swapped, swapped
    assert swapped == fresh
    assert TOLD == [True], TOLD  # told from the dose, not read again


@pytest.mark.parametrize("MISSED", [0, 1, 2])
def test_row_with_open_flags_and_missed_days_is_the_fresh_row(world: World, MISSED: int) -> None:
    """Two open flags and 0-2 missed days before today's dose: the row shows the flags; the missed tag goes
    away once the dose is given (as the fresh list)."""
    on_methadone(world)
    PatientFlag.objects.filter(patient=world.alice).delete()
    history(world, [-10 - i for i in range(1, 5)])
    from keel.treatment.models import DoseRecord

    DoseRecord.objects.filter(patient=world.alice, local_date__gte=TODAY - timedelta(days=MISSED)).delete()
    for kind in ("missed_doses", "held_dose"):
        PatientFlag.objects.create(
            patient=world.alice, kind=kind, reasons=["x"], source_type="test", source_id=1, raised_at=NOON
        )
    _response, swapped, fresh, _ = swap_and_fresh(world, {"amount_mg": "30", "medication": "methadone"})
    assert "2 flags" in swapped
    assert swapped == fresh
    assert TOLD == [True], TOLD  # told from the dose, not read again


def test_row_in_spanish_is_the_fresh_row(world: World) -> None:
    """The same given dose, the page in Spanish: the swapped row equals the fresh Spanish row."""
    on_methadone(world)
    _response, swapped, fresh, _ = swap_and_fresh(
        world, {"amount_mg": "30", "medication": "methadone"}, language="es"
    )
    assert "Registrar otra dosis" in swapped or "administr" in swapped, swapped
    assert swapped == fresh
    assert TOLD == [True], TOLD  # told from the dose, not read again


def test_row_after_the_first_dose_ever_is_the_fresh_row(world: World) -> None:
    """The episode's first dose (day 1): the row is read again (the first-dose rule); equals fresh."""
    prescribe(world)
    _response, swapped, fresh, _ = swap_and_fresh(world, {"amount_mg": "30", "medication": "methadone"})
    assert "given 30 mg" in swapped, swapped
    assert swapped == fresh
    assert TOLD == [False]  # may start the episode: read again


def test_row_after_a_dose_at_local_2359_is_the_fresh_row(world: World) -> None:
    """A dose with a prescriber's hours override at 23:59 New York: the row of that day, as the fresh list."""
    on_methadone(world)
    late = NOON + timedelta(hours=11, minutes=59)
    with time_machine.travel(late - timedelta(minutes=5), tick=False):
        services.add_override(
            by=world.staff["prescriber"],
            patient_id=world.alice.pk,
            kind="hours",
            reason="late arrival assessed after the bus strike, fine to dose",
        )
    _response, swapped, fresh, _ = swap_and_fresh(
        world, {"amount_mg": "30", "medication": "methadone"}, at=late
    )
    assert swapped == fresh
    assert TOLD == [True], TOLD  # told from the dose, not read again


@pytest.mark.parametrize("change", ["void", "corrected"])
def test_row_after_a_dose_following_an_amended_dose_today_is_the_fresh_row(world: World, change: str) -> None:
    """This morning's 30 mg was recorded wrongly and amended (voided, or corrected to 20 mg); at noon the
    nurse records a new dose. The row must total the day from the effective amounts, as the fresh list."""
    from keel.treatment.models import DoseRecord

    on_methadone(world)
    history(world, [0], hours=-5)
    morning = DoseRecord.objects.get(patient=world.alice, local_date=TODAY)
    with time_machine.travel(NOON - timedelta(hours=4), tick=False):
        services.amend_dose(
            by=world.staff["nurse"],
            patient_id=world.alice.pk,
            dose_id=morning.pk,
            void=change == "void",
            corrected_mg="20" if change == "corrected" else None,
            reason="entered on the wrong person by mistake, checked the log",
        )
        if change == "corrected":
            services.add_override(
                by=world.staff["prescriber"],
                patient_id=world.alice.pk,
                max_total_mg=30,
                reason="split dose assessed: rapid metabolizer, 20 then 10",
            )
    mg = "30" if change == "void" else "10"
    _response, swapped, fresh, _ = swap_and_fresh(
        world, {"amount_mg": mg, "medication": "methadone", "sequence": "2"}
    )
    assert "given 30 mg" in (swapped or ""), swapped
    assert swapped == fresh
    assert TOLD == [True], TOLD


def test_row_after_a_dose_given_earlier_than_recorded_is_the_fresh_row(world: World) -> None:
    """The nurse records at noon a dose given at 11:00 (given_at). The page's row has no such field: it
    dropped it without a word and recorded the dose as given now. Since review 16a the page refuses a field
    its form never sends (422, nothing recorded, no row swapped); the API's given_at is the way."""
    from keel.treatment.models import DoseRecord

    on_methadone(world)
    before = DoseRecord.objects.filter(patient=world.alice).count()
    response, swapped, _fresh, _ = swap_and_fresh(
        world,
        {"amount_mg": "30", "medication": "methadone", "given_at": (NOON - timedelta(hours=1)).isoformat()},
    )
    assert response.status_code == 422
    assert swapped is None
    assert DoseRecord.objects.filter(patient=world.alice).count() == before


# --- 3. Token sign-in: the patient's own record read with the token ---------------------------------------

ME_ROUTES = ["/api/v1/me", "/api/v1/me/checkins", "/api/v1/me/progress", "/api/v1/me/care-plan"]


def bearer(user: object, days: int = 30) -> Client:
    from keel.accounts import services as accounts

    secret = accounts.create_token(user=user, days=days).secret  # type: ignore[arg-type]
    return Client(headers={"Authorization": f"Bearer {secret}"})


def answers(client: Client) -> list[tuple[int, object]]:
    out = []
    for route in ME_ROUTES:
        response = client.get(route)
        out.append((response.status_code, response.json() if response.status_code == 200 else None))
    return out


@pytest.mark.parametrize("state", ["as_is", "discharged", "transferred", "self_guided"])
def test_a_token_reads_what_the_session_reads(world: World, state: str) -> None:
    """The same /me reads by a bearer token and by a signed-in session give the same answers, for a patient
    as is, discharged, moved to another program, and a self-guided account (the record comes from the token's
    row now, from its own read before)."""
    from keel.patients import services as patient_services
    from keel.patients.models import Patient

    user = world.dana if state == "self_guided" else world.alice.user
    if state == "discharged":
        patient_services.discharge(
            by=world.staff["prescriber"],
            patient_id=world.alice.pk,
            data=DischargeIn.posted({"reason": "left"}),
        )
    if state == "transferred":
        Patient.objects.filter(pk=world.alice.pk).update(program=world.lakeside)
    token = answers(bearer(user))
    session = answers(sign_in(Client(), user))
    assert token == session
    if state == "transferred":
        assert token[0][1]["patient"]["program"] == "lakeside"  # type: ignore[index]


@pytest.mark.parametrize("state", ["revoked", "expired", "deactivated"])
def test_a_dead_token_reads_nothing(world: World, state: str) -> None:
    """A revoked or expired token, or one of a deactivated user: 401 on every /me route, no record shown."""
    from keel.accounts.models import ApiToken

    if state == "expired":
        with time_machine.travel(timezone.now() - timedelta(days=2)):
            client = bearer(world.alice.user, days=1)
    else:
        client = bearer(world.alice.user)
    if state == "revoked":
        ApiToken.objects.filter(user=world.alice.user).update(revoked_at=timezone.now())
    elif state == "deactivated":
        type(world.alice.user).objects.filter(pk=world.alice.user.pk).update(is_active=False)
    assert [status for status, _ in answers(client)] == [401] * len(ME_ROUTES)


def test_a_staff_token_on_me_routes_reads_no_patient(world: World) -> None:
    """A nurse's token on /me routes: the nurse is described, no patient record (the patient-only routes
    answer 403/404 as by session)."""
    token = answers(bearer(world.staff["nurse"]))
    session = answers(sign_in(Client(), world.staff["nurse"]))
    assert token == session
    assert (token[0][1] or {}).get("patient") is None


def test_a_patients_token_after_the_record_is_unlinked_reads_nothing(world: World) -> None:
    """Alice's record is detached from her login (a merge moved it elsewhere): her token reads no record."""
    from keel.patients.models import Patient

    client = bearer(world.alice.user)
    Patient.objects.filter(pk=world.alice.pk).update(user=None)
    statuses = [status for status, _ in answers(client)]
    assert all(status in (403, 404) for status in statuses[1:]), statuses


def test_a_patient_with_two_step_and_no_second_factor_session_is_refused_on_the_api(world: World) -> None:
    """Alice enrolled in 2-step sign-in; a session that passed only the password reaches no /me route."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.create(user=world.alice.user, name="phone", confirmed=True)
    client = Client()
    client.force_login(world.alice.user, backend="django.contrib.auth.backends.ModelBackend")
    assert all(status in (401, 403) for status, _ in answers(client))


def test_a_patients_token_in_one_request_does_not_carry_into_the_next(world: World) -> None:
    """Two requests on one token, the record moved program between them: the second reads the new program."""
    from keel.patients.models import Patient

    client = bearer(world.alice.user)
    assert client.get("/api/v1/me").json()["patient"]["program"] == "riverside"
    Patient.objects.filter(pk=world.alice.pk).update(program=world.lakeside)
    assert client.get("/api/v1/me").json()["patient"]["program"] == "lakeside"


# --- 1. Check-in: the conditional write ---------------------------------------------------------------------

TYPICAL = {"craving": 3, "mood": 4, "used": False, "medication": "taken"}


def post_checkin(client: Client, body: dict[str, object], key: str) -> Any:
    return client.post(
        "/api/v1/me/checkins",
        json.dumps(body),
        content_type="application/json",
        headers={"Idempotency-Key": key},
    )


def test_a_retry_with_another_body_is_refused_and_writes_nothing(world: World) -> None:
    """The same key with a different check-in: 422 naming the key; today's row keeps the first answer."""
    from keel.recovery.models import CheckIn

    client = bearer(world.alice.user)
    assert post_checkin(client, TYPICAL, "k1").status_code == 201
    events = AuditEvent.objects.count()
    refused = post_checkin(client, {**TYPICAL, "craving": 9}, "k1")
    assert refused.status_code == 422
    assert "Idempotency-Key" in refused.content.decode()
    assert CheckIn.objects.get(patient=world.alice).craving == 3
    assert AuditEvent.objects.count() == events


def test_another_patients_same_key_never_replays_alices_answer(world: World) -> None:
    """Bob sends Alice's key: his own check-in is saved (201, his record), never Alice's answer."""
    from keel.recovery.models import CheckIn

    first = post_checkin(bearer(world.alice.user), TYPICAL, "shared-key")
    second = post_checkin(bearer(world.bob.user), {**TYPICAL, "mood": 2}, "shared-key")
    assert (first.status_code, second.status_code) == (201, 201)
    assert second.json()["checkin"]["id"] != first.json()["checkin"]["id"]
    assert CheckIn.objects.get(pk=second.json()["checkin"]["id"]).patient_id == world.bob.pk


def test_a_second_checkin_of_the_day_edits_and_audits_the_right_patient(world: World) -> None:
    """Two check-ins of one day with different keys: 201 then 200, one row, version 2; the audit rows name
    Alice's record and Riverside's chain; the chain verifies."""
    from keel.audit.services import verify_chain
    from keel.recovery.models import CheckIn

    client = bearer(world.alice.user)
    a = post_checkin(client, TYPICAL, "a")
    b = post_checkin(client, {**TYPICAL, "mood": 5}, "b")
    assert (a.status_code, b.status_code) == (201, 200)
    row = CheckIn.objects.get(patient=world.alice)
    assert (row.version, row.mood) == (2, 5)
    audits = list(AuditEvent.objects.filter(target_type="checkin", target_id=str(row.pk)).order_by("id"))
    assert [e.action for e in audits] == ["create", "update"]
    assert {(e.patient_id, e.program_id) for e in audits} == {(world.alice.pk, world.riverside.pk)}
    assert verify_chain().ok


def test_a_checkin_either_side_of_local_midnight_is_two_days(world: World) -> None:
    """23:59 and 00:01 in New York (04:59 and 05:01 UTC): two rows, two local days, both 201."""
    from keel.recovery.models import CheckIn

    for moment, key in (
        (datetime(2026, 11, 26, 4, 59, tzinfo=UTC), "late"),
        (datetime(2026, 11, 26, 5, 1, tzinfo=UTC), "early"),
    ):
        with time_machine.travel(moment, tick=False):
            assert post_checkin(bearer(world.alice.user), TYPICAL, key).status_code == 201
    assert sorted(CheckIn.objects.filter(patient=world.alice).values_list("local_date", flat=True)) == [
        date(2026, 11, 25),
        date(2026, 11, 26),
    ]


def test_a_self_guided_checkin_is_saved_and_audited_on_its_own_record(world: World) -> None:
    """Dana (self-guided, Chicago): her check-in is hers; one audit row (naming no one, by design); the chain
    verifies."""
    from keel.audit.services import verify_chain
    from keel.patients.models import Patient
    from keel.recovery.models import CheckIn

    response = post_checkin(bearer(world.dana), TYPICAL, "d")
    assert response.status_code == 201
    own = Patient.objects.get(user=world.dana)
    row = CheckIn.objects.get(pk=response.json()["checkin"]["id"])
    assert row.patient_id == own.pk
    # A self-guided account's events name no one and no record (by design, audit.record): one create row.
    assert (
        AuditEvent.objects.filter(target_type="checkin", action="create", actor_role="self_guided").count()
        == 1
    )
    assert verify_chain().ok


def test_a_refused_checkin_writes_nothing(world: World) -> None:
    """A craving of 99: 422; no check-in, no key, no audit row of a check-in."""
    from keel.recovery.models import CheckIn, IdempotencyKey

    response = post_checkin(bearer(world.alice.user), {**TYPICAL, "craving": 99}, "bad")
    assert response.status_code == 422
    assert not CheckIn.objects.exists() and not IdempotencyKey.objects.exists()
    assert not AuditEvent.objects.filter(target_type="checkin", action__in=["create", "update"]).exists()


def test_a_checkin_whose_row_changed_after_the_read_is_decided_again(world: World) -> None:
    """Today's row is edited by another request between this check-in's read and its write (simulated by
    editing it right after `_read_for_checkin`): this check-in must not overwrite a version it did not read
    blindly; it is decided again (200, version 3, its own values), and the audit rows are two updates."""
    from keel.recovery.models import CheckIn
    from keel.recovery.services import checkins

    client = bearer(world.alice.user)
    assert post_checkin(client, TYPICAL, "first").status_code == 201
    real = checkins._read_for_checkin
    sneaked: list[int] = []

    def read_then_sneak(asked: Any) -> Any:
        read = real(asked)
        if not sneaked:
            sneaked.append(1)
            assert post_checkin(bearer(world.alice.user), {**TYPICAL, "mood": 1}, "sneak").status_code == 200
        return read

    checkins._read_for_checkin = read_then_sneak
    try:
        response = post_checkin(client, {**TYPICAL, "mood": 5}, "mine")
    finally:
        checkins._read_for_checkin = real
    assert response.status_code == 200
    row = CheckIn.objects.get(patient=world.alice)
    assert (row.version, row.mood) == (3, 5)


# --- 1 and 2 under concurrency (PostgreSQL: threads with their own connections) ---------------------------

on_postgres = pytest.mark.skipif(
    "not __import__('django.db', fromlist=['connection']).connection.vendor == 'postgresql'",
    reason="threads with separate connections: PostgreSQL",
)


def threaded(work: list[Any]) -> list[str]:
    """Run each callable in its own thread at once (a barrier); returns the errors, as repr."""
    import threading

    from django.db import connection

    barrier = threading.Barrier(len(work))
    errors: list[str] = []

    def run(fn: Any) -> None:
        try:
            barrier.wait()
            fn()
        except Exception as exc:  # reported to the test
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(fn,)) for fn in work]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def chain_heads_match() -> bool:
    from django.db.models import Max

    from keel.audit.models import AuditChainHead

    last = dict(AuditEvent.objects.values("chain").annotate(m=Max("id")).values_list("chain", "m"))
    return all(last.get(h.pk) == h.last_event_id for h in AuditChainHead.objects.all())


@on_postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("keys", [("same", "same", "other-a", "other-b"), tuple(f"k{i}" for i in range(6))])
def test_concurrent_checkins_leave_one_row_and_a_whole_chain(world: World, keys: tuple[str, ...]) -> None:
    """Several check-ins of Alice's at the same moment (two with one key and two of their own; or six of
    their own): no error, one row for the day, its version counting every write that was not a replay, the
    replays answering the first's row, and the audit chain whole (heads on the last rows)."""
    from keel.audit.services import verify_chain
    from keel.recovery import services
    from keel.recovery.models import CheckIn, IdempotencyKey

    results: list[Any] = []
    user = world.alice.user
    errors = threaded(
        [
            (
                lambda k=k: results.append(
                    services.record_checkin(
                        by=user, data=CheckInIn.posted({**TYPICAL, "mood": sum(map(ord, k)) % 5 + 1}), key=k
                    )
                )
            )
            for k in keys
        ]
    )
    assert errors == []
    rows = list(CheckIn.objects.filter(patient=world.alice))
    assert len(rows) == 1
    assert rows[0].version == sum(1 for r in results if not r.replay)
    assert {r.body["checkin"]["id"] for r in results} == {rows[0].pk}
    assert IdempotencyKey.objects.filter(user=user).count() == len(set(keys))
    assert sorted(r.status_code for r in results if not r.replay) == [200] * (len(set(keys)) - 1) + [201]
    assert verify_chain().ok and chain_heads_match()


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_audited_writes_in_one_and_many_programs_keep_every_chain(world: World) -> None:
    """Six threads append 15 audit rows each, two per chain (Riverside, Lakeside, no program), each in its own
    transaction: every chain verifies and each head points at its chain's last row."""
    from django.db import transaction

    from keel.audit import services as audit
    from keel.audit.services import verify_chain

    def appender(program_id: int | None) -> Any:
        def go() -> None:
            for i in range(15):
                with transaction.atomic():
                    audit.record(
                        actor=None, action="read", target_type="probe", target_id=i, program_id=program_id
                    )

        return go

    programs = [world.riverside.pk, world.riverside.pk, world.lakeside.pk, world.lakeside.pk, None, None]
    assert threaded([appender(p) for p in programs]) == []
    report = verify_chain()
    assert report.ok, report
    assert AuditEvent.objects.filter(target_type="probe").count() == 90
    assert chain_heads_match()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("how", ["raise_after", "bad_row", "savepoint"])
def test_an_audited_write_that_fails_does_not_move_the_head(world: World, how: str) -> None:
    """An audit append whose transaction fails (the caller raises after it; the row itself is refused by the
    database, a target type past its length; or it is in a savepoint rolled back while the outer transaction
    commits): no row, the head where it was; the next append chains on; the chain verifies."""
    from django.db import DatabaseError, transaction

    from keel.audit import services as audit
    from keel.audit.models import AuditChainHead
    from keel.audit.services import verify_chain

    pid = world.riverside.pk
    audit.record(actor=None, action="read", target_type="probe", program_id=pid)
    head = AuditChainHead.objects.get(pk=pid)
    before = (head.last_event_id, head.last_hash, AuditEvent.objects.count())

    class Boom(Exception):
        pass

    if how == "raise_after":
        with pytest.raises(Boom), transaction.atomic():
            audit.record(actor=None, action="read", target_type="probe", program_id=pid)
            raise Boom
    elif how == "bad_row":
        from django.db import connection

        if connection.vendor == "sqlite":
            pytest.skip("SQLite does not enforce varchar lengths")
        with pytest.raises(DatabaseError), transaction.atomic():
            audit.record(actor=None, action="read", target_type="x" * 500, program_id=pid)
    else:
        with transaction.atomic():
            try:
                with transaction.atomic():
                    audit.record(actor=None, action="read", target_type="probe", program_id=pid)
                    raise Boom
            except Boom:
                pass
    head.refresh_from_db()
    assert (head.last_event_id, head.last_hash, AuditEvent.objects.count()) == before
    after = audit.record(actor=None, action="read", target_type="probe", program_id=pid)
    assert after.prev_hash == before[1]
    assert verify_chain().ok and chain_heads_match()


@pytest.mark.parametrize("medication", ["methadone", "buprenorphine"])
def test_row_after_a_held_first_dose_is_the_fresh_row(world: World, medication: str) -> None:
    """The person's very first visit at the window ends in a hold (sedated): no episode yet. The swapped row
    (told from the dose's reads: a hold does not start the episode) must equal the fresh row."""
    prescribe(world, medication=medication, mg=30 if medication == "methadone" else 8)
    _response, swapped, fresh, _ = swap_and_fresh(world, {"sedated": "on", "medication": medication})
    assert "held" in (swapped or ""), swapped
    assert swapped == fresh


def test_row_after_a_held_dose_after_a_readmission_is_the_fresh_row(world: World) -> None:
    """An earlier episode's doses, a discharge, a readmission and a new order; the first visit of the new
    episode is held. The swapped row (day, last dose, missed tag) must equal the fresh row."""
    from keel.patients import services as patient_services

    prescribe(world, days_ago=40)
    history(world, list(range(-30, -20)))
    with time_machine.travel(NOON - timedelta(days=15), tick=False):
        patient_services.discharge(
            by=world.staff["prescriber"],
            patient_id=world.alice.pk,
            data=DischargeIn.posted({"reason": "left"}),
        )
    with time_machine.travel(NOON - timedelta(days=2), tick=False):
        patient_services.readmit(
            by=world.staff["prescriber"],
            patient_id=world.alice.pk,
            data=ReadmissionIn.posted({"notice_given": True, "consented": True}),
        )
    prescribe(world, days_ago=1)
    _response, swapped, fresh, _ = swap_and_fresh(world, {"sedated": "on", "medication": "methadone"})
    assert "held" in (swapped or ""), swapped
    assert swapped == fresh


@pytest.mark.parametrize("missed", [1, 2, 3])
def test_row_after_a_held_dose_after_missed_days_is_the_fresh_row(world: World, missed: int) -> None:
    """Missed days, then today's visit is held (sedated). The row's missed tag, flags and status must be the
    fresh row's."""
    from keel.treatment.models import DoseRecord

    on_methadone(world)
    DoseRecord.objects.filter(patient=world.alice, local_date__gte=TODAY - timedelta(days=missed)).delete()
    response, swapped, fresh, _ = swap_and_fresh(world, {"sedated": "on", "medication": "methadone"})
    assert response.status_code == 200
    assert swapped == fresh


@pytest.mark.parametrize("which", ["order", "discharge", "take_home"])
def test_control_the_row_read_again_tells_the_change(
    world: World, monkeypatch: pytest.MonkeyPatch, which: str
) -> None:
    """Control for the three holes in test_holes.py: with the row read again after the dose, as before #21
    (`row_after_dose` answering None, the view's fallback `dosing_row`), the swapped answer equals the fresh
    list in the same three races. So the difference is the row told from the dose's reads."""
    from keel.patients import services as patient_services

    on_methadone_long(world)
    changes = {
        "order": lambda: services.prescribe(
            by=world.staff["prescriber"], patient_id=world.alice.pk, medication="methadone", dose_mg=40
        ),
        "discharge": lambda: patient_services.discharge(
            by=world.staff["prescriber"],
            patient_id=world.alice.pk,
            data=DischargeIn.posted({"reason": "left"}),
        ),
        "take_home": lambda: services.decide_take_home(
            by=world.staff["prescriber"],
            patient_id=world.alice.pk,
            criteria={key: True for key in services.CRITERIA_KEYS},
            start_on=TODAY + timedelta(days=1),
        ),
    }
    meanwhile(monkeypatch, changes[which])
    monkeypatch.setattr(queries, "row_after_dose", lambda *a, **k: None)
    _response, swapped, fresh, _ = swap_and_fresh(world, {"amount_mg": "30", "medication": "methadone"})
    assert swapped == fresh


def test_a_checkin_after_a_transfer_is_audited_in_the_new_programs_chain(world: World) -> None:
    """Alice's record moved to Lakeside: her token's check-in is audited with Lakeside's program (its chain),
    naming her record; the chains verify."""
    from keel.audit.services import verify_chain
    from keel.patients.models import Patient

    client = bearer(world.alice.user)
    Patient.objects.filter(pk=world.alice.pk).update(program=world.lakeside)
    response = post_checkin(client, TYPICAL, "moved")
    assert response.status_code == 201
    event = AuditEvent.objects.filter(target_type="checkin", action="create").get()
    assert (event.patient_id, event.program_id, event.chain) == (
        world.alice.pk,
        world.lakeside.pk,
        world.lakeside.pk,
    )
    assert verify_chain().ok


def test_a_discharged_patients_checkin_answers_the_same_by_token_and_session(world: World) -> None:
    """A discharged patient checks in by token and by session (two keys): the same statuses (the record read
    with the token is the one the session reads)."""
    from keel.patients import services as patient_services

    patient_services.discharge(
        by=world.staff["prescriber"], patient_id=world.alice.pk, data=DischargeIn.posted({"reason": "left"})
    )
    by_token = post_checkin(bearer(world.alice.user), TYPICAL, "t")
    by_session = post_checkin(sign_in(Client(), world.alice.user), TYPICAL, "s")
    assert (by_token.status_code, by_session.status_code) in {(201, 200), (404, 404), (403, 403)}


def test_the_checkin_page_sent_twice_with_one_key_saves_once(world: World) -> None:
    """The check-in form submitted twice (a double tap: the same hidden key): one row, version 1, one create
    audit row; both answers go on to the done page."""
    from keel.recovery.models import CheckIn

    client = sign_in(Client(), world.alice.user)
    form = {"craving": "3", "mood": "4", "used": "no", "medication": "taken", "idempotency_key": "form-key"}
    first = client.post("/me/checkin/", form)
    second = client.post("/me/checkin/", form)
    assert (first.status_code, second.status_code) == (302, 302), (first.status_code, second.status_code)
    row = CheckIn.objects.get(patient=world.alice)
    assert row.version == 1
    assert AuditEvent.objects.filter(target_type="checkin", action="create").count() == 1


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_first_events_of_a_new_program_make_one_chain(world: World) -> None:
    """A program with no audit event yet; four threads append its first events at once: one head, every row
    chained, the chain verifies."""
    from django.db import transaction

    from keel.accounts.models import Program
    from keel.audit import services as audit
    from keel.audit.models import AuditChainHead
    from keel.audit.services import verify_chain

    fresh = Program.objects.create(slug="brandnew", name="Brand New")
    AuditChainHead.objects.filter(pk=fresh.pk).delete()

    def go() -> None:
        for i in range(5):
            with transaction.atomic():
                audit.record(actor=None, action="read", target_type="probe", target_id=i, program_id=fresh.pk)

    assert threaded([go, go, go, go]) == []
    assert AuditEvent.objects.filter(chain=fresh.pk, target_type="probe").count() == 20
    assert verify_chain().ok and chain_heads_match()


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_control_checkin_storm_with_the_patient_lock_first_never_deadlocks(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Control for test_holes.py's deadlock: the same storm with the fast path taking the patient lock first
    (as before #21, `_lock_patient` then the write): no error in twelve rounds."""
    from keel.recovery.services import checkins
    from tests.review21b.test_holes import checkin_storm

    real = checkins._write_checkin

    def locked_first(asked: Any, read: Any) -> Any:
        if read.key_seen:
            return None
        checkins._lock_patient(asked.patient)
        return real(asked, read)

    monkeypatch.setattr(checkins, "_write_checkin", locked_first)
    assert checkin_storm(world) == []


# --- 4. The row after a hold that suspends the person's take-homes ------------------------------------------


@pytest.mark.parametrize("start", [1, 0])
def test_row_after_a_hold_shows_the_take_homes_it_suspended(world: World, start: int) -> None:
    """Alice has take-homes decided yesterday, bottles from tomorrow (or from today, the bottle returned); at
    today's visit she is sedated and the dose is held: the hold ends the plan's later bottles
    (`suspend_take_home_plans`, in the dose's transaction). The swapped row must show the plan as the fresh
    list does after the hold, not as the dose read it before (held: the same)."""
    on_methadone_long(world)
    with time_machine.travel(NOON - timedelta(days=1), tick=False):
        services.decide_take_home(
            by=world.staff["prescriber"],
            patient_id=world.alice.pk,
            criteria={key: True for key in services.CRITERIA_KEYS},
            start_on=TODAY + timedelta(days=start),
        )
    body = {"sedated": "on", "medication": "methadone"}
    if start == 0:
        body["bottle_returned"] = "on"
    _response, swapped, fresh, _ = swap_and_fresh(world, body)
    assert "held" in (swapped or ""), swapped
    assert swapped == fresh, TOLD


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_control_checkin_with_the_patient_lock_first_meets_a_staff_write(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Control for test_holes.py's check-in vs clinician deadlock: with the check-in taking the patient lock
    first (as before #21) the two are saved one after the other, no error."""
    from keel.recovery.services import checkins
    from tests.review21b.test_holes import checkin_meets_a_staff_write

    real = checkins._write_checkin

    def locked_first(asked: Any, read: Any) -> Any:
        if read.key_seen:
            return None
        checkins._lock_patient(asked.patient)
        return real(asked, read)

    monkeypatch.setattr(checkins, "_write_checkin", locked_first)
    assert checkin_meets_a_staff_write(world, monkeypatch) == []


def test_a_patients_token_reads_only_their_own_record(world: World) -> None:
    """Alice's token: /me names Alice's record; Bob's and Charlie's records by id are refused (403/404); her
    /me/checkins lists only her check-ins (Bob's check-in of today is not in it)."""
    post_checkin(bearer(world.bob.user), TYPICAL, "bob")
    client = bearer(world.alice.user)
    assert client.get("/api/v1/me").json()["patient"]["id"] == world.alice.pk
    for other in (world.bob, world.charlie):
        for route in (f"/api/v1/patients/{other.pk}", f"/api/v1/patients/{other.pk}/checkins"):
            assert client.get(route).status_code in (403, 404), route
    assert client.get("/api/v1/me/checkins").json() == []
