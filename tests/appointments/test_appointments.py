"""Appointments (issue #19): the care team schedules them through the access policy (local date and times
in the program's zone), each bad field named; patients see their own coming appointments; every read and
write leaves its audit row."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time
from typing import Any

import pytest
import time_machine
from django.test import Client

from keel.access.policy import ActionNotAllowed, PatientNotFound
from keel.appointments import queries, services
from keel.appointments.models import Appointment, Status
from keel.audit.models import AuditEvent
from keel.core.appointments import LocalTimeMissing, local_instant
from tests.conftest import World

pytestmark = pytest.mark.django_db

NOW = datetime(2027, 3, 1, 15, 0, tzinfo=UTC)  # 10:00 EST in New York, the programs' zone
GOOD = {"date": "2027-03-15", "start": "09:00", "end": "10:00", "kind": "counseling"}
SCHEDULERS = ["counselor", "nurse", "prescriber", "program_admin"]


def _post(client: Client, path: str, body: dict[str, Any]) -> Any:
    return client.post(path, json.dumps(body), content_type="application/json")


def _book(world: World, role: str = "counselor", **changes: Any) -> Appointment:
    body = {**GOOD, **changes}
    return services.schedule(
        by=world.user(role),
        patient_id=world.alice.pk,
        day=body["date"],
        start=body["start"],
        end=body["end"],
        kind=body["kind"],
        with_id=body.get("with_id"),
        now=NOW,
    )


def _fields(world: World, **changes: Any) -> list[str]:
    with pytest.raises(services.AppointmentInvalid) as caught:
        _book(world, **changes)
    return [e.field for e in caught.value.errors]


# --- Who may schedule ---------------------------------------------------------------------------------


@pytest.mark.parametrize("role", SCHEDULERS)
@time_machine.travel(NOW, tick=False)
def test_the_care_team_and_the_front_desk_schedule_for_alice(world: World, signed_in: Any, role: str) -> None:
    response = _post(signed_in(role), f"/api/v1/patients/{world.alice.pk}/appointments", GOOD)
    assert response.status_code == 201


@time_machine.travel(NOW, tick=False)
def test_the_start_is_the_local_time_in_the_program_s_zone(world: World, signed_in: Any) -> None:
    response = _post(signed_in("nurse"), f"/api/v1/patients/{world.alice.pk}/appointments", GOOD)
    assert response.json()["starts_at"] == "2027-03-15T09:00:00-04:00"  # after the spring change: EDT


@pytest.mark.parametrize(("role", "status"), [("patient", 403), ("peer_specialist", 404), ("auditor", 404)])
@time_machine.travel(NOW, tick=False)
def test_others_cannot_schedule_for_alice(world: World, signed_in: Any, role: str, status: int) -> None:
    response = _post(signed_in(role), f"/api/v1/patients/{world.alice.pk}/appointments", GOOD)
    assert response.status_code == status


@time_machine.travel(NOW, tick=False)
def test_a_counselor_cannot_schedule_for_bob_who_is_not_on_their_team(world: World, signed_in: Any) -> None:
    response = _post(signed_in("counselor"), f"/api/v1/patients/{world.bob.pk}/appointments", GOOD)
    assert response.status_code == 404


@time_machine.travel(NOW, tick=False)
def test_the_front_desk_schedules_for_bob_in_its_program(world: World, signed_in: Any) -> None:
    response = _post(signed_in("program_admin"), f"/api/v1/patients/{world.bob.pk}/appointments", GOOD)
    assert response.status_code == 201


@time_machine.travel(NOW, tick=False)
def test_the_front_desk_cannot_schedule_for_charlie_in_another_program(world: World, signed_in: Any) -> None:
    response = _post(signed_in("program_admin"), f"/api/v1/patients/{world.charlie.pk}/appointments", GOOD)
    assert response.status_code == 404


def test_a_refused_schedule_writes_nothing(world: World) -> None:
    with pytest.raises(ActionNotAllowed):
        _book(world, role="patient")
    assert not Appointment.objects.exists()


def test_scheduling_is_audited_against_the_patient(world: World) -> None:
    row = _book(world)
    event = AuditEvent.objects.filter(action="create", target_type="appointment").get()
    assert (event.patient_id, event.target_id) == (world.alice.pk, str(row.pk))


# --- Bad input, each field named ------------------------------------------------------------------------


def test_a_time_in_the_past_is_refused_naming_the_start(world: World) -> None:
    assert _fields(world, date="2027-03-01", start="09:00") == ["start"]


def test_an_end_before_the_start_is_refused_naming_the_end(world: World) -> None:
    assert _fields(world, start="10:00", end="09:30") == ["end"]


def test_a_time_the_clocks_skip_is_refused_naming_the_start(world: World) -> None:
    assert _fields(world, date="2027-03-14", start="02:30", end="03:30") == ["start"]


def test_an_unknown_staff_member_is_refused(world: World) -> None:
    assert _fields(world, with_id=999999) == ["with_id"]


def test_a_staff_member_of_another_program_is_refused(world: World) -> None:
    assert _fields(world, with_id=world.lakeside_nurse.pk) == ["with_id"]


def test_an_auditor_is_not_someone_to_see(world: World) -> None:
    assert _fields(world, with_id=world.staff["auditor"].pk) == ["with_id"]


def test_an_unknown_kind_is_refused(world: World) -> None:
    assert _fields(world, kind="surgery") == ["kind"]


def test_an_empty_date_is_refused(world: World) -> None:
    assert _fields(world, date="") == ["date"]


def test_a_staff_member_of_the_program_is_kept(world: World) -> None:
    assert _book(world, with_id=world.staff["prescriber"].pk).with_user == world.staff["prescriber"]


@time_machine.travel(NOW, tick=False)
def test_the_api_names_the_field_of_a_dst_gap(world: World, signed_in: Any) -> None:
    body = {**GOOD, "date": "2027-03-14", "start": "02:15", "end": "04:00"}
    response = _post(signed_in("counselor"), f"/api/v1/patients/{world.alice.pk}/appointments", body)
    assert [e["field"] for e in response.json()["errors"]] == ["start"]


@time_machine.travel(NOW, tick=False)
def test_the_api_names_the_staff_member_outside_the_program(world: World, signed_in: Any) -> None:
    body = {**GOOD, "with_id": world.lakeside_nurse.pk}
    response = _post(signed_in("counselor"), f"/api/v1/patients/{world.alice.pk}/appointments", body)
    assert (response.status_code, response.json()["errors"][0]["field"]) == (422, "with_id")


@time_machine.travel(NOW, tick=False)
def test_the_page_names_the_field(world: World, signed_in: Any) -> None:
    body = {**GOOD, "start": "10:00", "end": "09:00"}
    response = signed_in("counselor").post(f"/patients/{world.alice.pk}/appointments/", body)
    assert response.status_code == 422
    assert "End: pick a time after the start" in response.content.decode()


@time_machine.travel(NOW, tick=False)
def test_the_page_schedules_and_shows_it(world: World, signed_in: Any) -> None:
    client = signed_in("program_admin")
    client.post(f"/patients/{world.alice.pk}/appointments/", GOOD)
    assert "Counseling" in client.get(f"/patients/{world.alice.pk}/appointments/").content.decode()


def test_the_fall_back_hour_means_its_first_time() -> None:
    from zoneinfo import ZoneInfo

    first = local_instant(datetime(2027, 11, 7).date(), time(1, 30), ZoneInfo("America/New_York"))
    assert first == datetime(2027, 11, 7, 5, 30, tzinfo=UTC)  # 01:30 EDT


def test_a_skipped_time_does_not_exist() -> None:
    from zoneinfo import ZoneInfo

    with pytest.raises(LocalTimeMissing):
        local_instant(datetime(2027, 3, 14).date(), time(2, 0), ZoneInfo("America/New_York"))


# --- Status and moving ---------------------------------------------------------------------------------


def test_a_nurse_cancels_an_appointment(world: World) -> None:
    row = _book(world)
    services.set_status(
        by=world.staff["nurse"], patient_id=world.alice.pk, appointment_id=row.pk, status="cancelled", now=NOW
    )
    assert Appointment.objects.get().status == Status.CANCELLED


def test_an_appointment_of_another_patient_is_not_found(world: World) -> None:
    row = _book(world, role="program_admin")
    with pytest.raises(PatientNotFound):
        services.set_status(
            by=world.staff["program_admin"], patient_id=world.bob.pk, appointment_id=row.pk, status="missed"
        )


def test_an_unknown_status_is_refused(world: World) -> None:
    row = _book(world)
    with pytest.raises(services.AppointmentInvalid):
        services.set_status(
            by=world.staff["nurse"], patient_id=world.alice.pk, appointment_id=row.pk, status="gone"
        )


def test_a_cancelled_appointment_cannot_be_moved(world: World) -> None:
    row = _book(world)
    services.set_status(
        by=world.staff["nurse"], patient_id=world.alice.pk, appointment_id=row.pk, status="cancelled", now=NOW
    )
    with pytest.raises(services.AppointmentInvalid):
        services.reschedule(
            by=world.staff["nurse"],
            patient_id=world.alice.pk,
            appointment_id=row.pk,
            day="2027-03-16",
            start="09:00",
            end="10:00",
            now=NOW,
        )


def test_moving_keeps_the_local_time_across_the_change(world: World) -> None:
    row = _book(world, date="2027-03-10")  # EST
    moved = services.reschedule(
        by=world.staff["nurse"],
        patient_id=world.alice.pk,
        appointment_id=row.pk,
        day="2027-03-17",
        start="09:00",
        end="10:00",
        now=NOW,
    )  # EDT
    assert moved.starts_at == datetime(2027, 3, 17, 13, 0, tzinfo=UTC)


# --- Reading -------------------------------------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_alice_sees_her_coming_appointment(world: World, signed_in: Any) -> None:
    _book(world)
    response = signed_in("patient").get("/api/v1/me/appointments")
    assert [a["date"] for a in response.json()["appointments"]] == ["2027-03-15"]


@time_machine.travel(NOW, tick=False)
def test_alice_does_not_see_a_cancelled_appointment(world: World, signed_in: Any) -> None:
    row = _book(world)
    services.set_status(
        by=world.staff["nurse"], patient_id=world.alice.pk, appointment_id=row.pk, status="cancelled", now=NOW
    )
    assert signed_in("patient").get("/api/v1/me/appointments").json()["appointments"] == []


@time_machine.travel(NOW, tick=False)
def test_alice_s_page_shows_her_appointment(world: World, signed_in: Any) -> None:
    _book(world)
    assert "Counseling" in signed_in("patient").get("/me/appointments/").content.decode()


@time_machine.travel(NOW, tick=False)
def test_bob_does_not_see_alice_s_appointment(world: World) -> None:
    from tests.conftest import sign_in

    _book(world)
    response = sign_in(Client(), world.bob.user).get("/api/v1/me/appointments")
    assert response.json()["appointments"] == []


@time_machine.travel(NOW, tick=False)
def test_a_peer_specialist_does_not_see_alice_s_appointments(world: World, signed_in: Any) -> None:
    _book(world)
    assert (
        signed_in("peer_specialist").get(f"/api/v1/patients/{world.alice.pk}/appointments").status_code == 404
    )


@time_machine.travel(NOW, tick=False)
def test_the_care_team_sees_who_the_visit_is_with(world: World, signed_in: Any) -> None:
    _book(world, with_id=world.staff["prescriber"].pk)
    rows = signed_in("counselor").get(f"/api/v1/patients/{world.alice.pk}/appointments").json()
    assert rows[0]["with_id"] == world.staff["prescriber"].pk


def test_reading_a_patient_s_appointments_is_audited(world: World) -> None:
    queries.patient_appointments(world.staff["nurse"], world.alice.pk)
    assert AuditEvent.objects.filter(action="read", target_type="appointment_list").count() == 1


def test_a_self_guided_account_has_no_appointments_page(world: World) -> None:
    with pytest.raises(PatientNotFound):
        queries.my_appointments(world.dana, now=NOW)


# --- The command line ------------------------------------------------------------------------------------


def _cli(*args: str) -> tuple[int, str]:
    import io

    from django.core.management import CommandError, call_command

    out = io.StringIO()
    try:
        call_command("appointment", *args, stdout=out, stderr=io.StringIO())
    except CommandError as exc:
        return exc.returncode, str(exc)
    return 0, out.getvalue()


@time_machine.travel(NOW, tick=False)
def test_the_cli_schedules_through_the_same_service(world: World) -> None:
    code, out = _cli("--by", "r-nurse", "--patient", str(world.alice.pk), "--date", "2027-03-15",
                     "--start", "09:00", "--end", "10:00", "--kind", "group")  # fmt: skip
    assert (code, json.loads(out)["kind"]) == (0, "group")


@time_machine.travel(NOW, tick=False)
def test_the_cli_names_a_dst_gap_and_exits_2(world: World) -> None:
    code, message = _cli("--by", "r-nurse", "--patient", str(world.alice.pk), "--date", "2027-03-14",
                         "--start", "02:30", "--end", "03:30", "--kind", "group")  # fmt: skip
    assert (code, message.split(":")[0]) == (2, "--start")


def test_the_cli_does_not_reach_another_program(world: World) -> None:
    code, _message = _cli("--by", "r-nurse", "--patient", str(world.charlie.pk), "--list")
    assert code == 2


def test_the_demo_gives_its_patients_with_logins_appointments(db: Any) -> None:
    import io

    from django.core.management import call_command

    with time_machine.travel(NOW, tick=False):
        call_command("demo", "--patients", "2", "--seed", "5", stdout=io.StringIO())
        assert Appointment.objects.filter(starts_at__gt=NOW).count() == 6  # 2 + 1 in each of two programs


def test_a_date_too_far_ahead_is_refused_naming_the_date(world: World) -> None:
    assert _fields(world, date="9999-12-31", start="23:30", end="23:45") == ["date"]


def test_a_date_long_past_is_refused_naming_the_date(world: World) -> None:
    assert _fields(world, date="0001-01-01") == ["date"]


def test_a_double_submit_makes_one_appointment_and_names_the_start(world: World) -> None:
    _book(world)
    assert _fields(world) == ["start"]


def test_a_double_submit_through_the_api_is_a_422_not_a_500(world: World, signed_in: Any) -> None:
    with time_machine.travel(NOW, tick=False):
        client = signed_in("counselor")
        _post(client, f"/api/v1/patients/{world.alice.pk}/appointments", GOOD)
        second = _post(client, f"/api/v1/patients/{world.alice.pk}/appointments", GOOD)
    assert (second.status_code, Appointment.objects.count()) == (422, 1)


def test_a_cancelled_slot_can_be_booked_again(world: World) -> None:
    row = _book(world)
    services.set_status(by=world.staff["nurse"], patient_id=world.alice.pk, appointment_id=row.pk,
                        status="cancelled", now=NOW)  # fmt: skip
    assert _book(world).status == Status.SCHEDULED


def test_restoring_a_cancelled_visit_over_a_new_one_names_the_status(world: World) -> None:
    row = _book(world)
    services.set_status(by=world.staff["nurse"], patient_id=world.alice.pk, appointment_id=row.pk,
                        status="cancelled", now=NOW)  # fmt: skip
    _book(world)
    with pytest.raises(services.AppointmentInvalid) as caught:
        services.set_status(by=world.staff["nurse"], patient_id=world.alice.pk, appointment_id=row.pk,
                            status="scheduled", now=NOW)  # fmt: skip
    assert [e.field for e in caught.value.errors] == ["status"]


@time_machine.travel(NOW, tick=False)
def test_the_list_costs_the_same_queries_for_one_or_five_appointments(world: World, signed_in: Any) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = signed_in("nurse")
    path = f"/api/v1/patients/{world.alice.pk}/appointments"
    _book(world)
    client.get(path)  # the session's first request does its own work
    with CaptureQueriesContext(connection) as one:
        client.get(path)
    for day in range(16, 20):
        _book(world, date=f"2027-03-{day}")
    with CaptureQueriesContext(connection) as five:
        client.get(path)
    assert len(five.captured_queries) == len(one.captured_queries)
