"""Lane discharge39: a discharge keeps its moment (`Enrollment.ended_at`), the one definition of "after the
discharge". A dose given on the discharge day before that moment and recorded afterwards (a late entry, with
its real time) is accepted against the order the discharge stopped; one given after it is refused, 422
naming `given_at`, the message saying the discharge's time on the program's clock. The same on the API,
for a program in Los Angeles with the server's clock in UTC, and on PostgreSQL (run this module with
KEEL_TEST_POSTGRES_URL)."""

from __future__ import annotations

import importlib
import io
import json
from collections.abc import Callable, Iterator
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client

from keel.patients import services as patients
from keel.patients.models import Enrollment, EnrollmentStatus
from keel.patients.schemas import DischargeIn, UndoDeathIn
from keel.treatment.errors import TreatmentInvalid
from keel.treatment.models import DoseRecord, DoseStatus, TakeHomePlan
from keel.treatment.services.doses.window import record_dose
from tests.conftest import World, sign_in
from tests.factories import last_five_pm_utc, methadone_with_take_home_plan

pytestmark = pytest.mark.django_db


_DAY: list[date] = []  # the discharge day, fixed by `_clock` (a pin inside a test never moves it)


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    """The clock pinned three days after the discharge day, a day fixed in the past (any date)."""
    discharge_day = (last_five_pm_utc() - timedelta(days=5)).date()
    _DAY[:] = [discharge_day]
    with time_machine.travel(last_five_pm_utc() - timedelta(days=2), tick=False):
        yield


def _day(world: World) -> date:
    """The discharge day (the program's calendar)."""
    return _DAY[0]


def _at(world: World, hour: int, minute: int = 0) -> datetime:
    """`hour`:`minute` on the discharge day on the program's clock."""
    zone = ZoneInfo(world.alice.program.time_zone)
    return datetime.combine(_day(world), time(hour, minute), tzinfo=zone)


def _discharged_at_two(world: World) -> TakeHomePlan:
    """Alice on methadone 80 mg (given on the eight days before the discharge day, a take-home plan for the
    next two days), discharged at 14:00 on the program's clock; nothing recorded that day yet."""
    with time_machine.travel(_at(world, 8), tick=False):
        plan, _first = methadone_with_take_home_plan(world, _at(world, 7))
    with time_machine.travel(_at(world, 14), tick=False):
        patients.discharge(
            by=world.staff["counselor"],
            patient_id=world.alice.pk,
            data=DischargeIn.posted({"reason": "left"}),
        )
    return plan


def _late_entry(world: World, given: datetime) -> DoseRecord:
    """The nurse records at 16:00 a dose given at `given`."""
    with time_machine.travel(_at(world, 16), tick=False):
        return record_dose(
            by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="80", given_at=given.isoformat()
        ).dose


def test_the_discharge_keeps_its_moment(world: World) -> None:
    _discharged_at_two(world)
    episode = Enrollment.objects.get(patient=world.alice)
    assert episode.ended_at == _at(world, 14)


def test_a_late_entry_of_a_nine_oclock_dose_after_a_two_oclock_discharge_is_accepted(world: World) -> None:
    plan = _discharged_at_two(world)
    dose = _late_entry(world, _at(world, 9))
    assert dose.status == DoseStatus.GIVEN and dose.given_at == _at(world, 9)
    assert dose.local_date == _day(world) and dose.treatment_day == 9  # the episode's count goes on
    plan.refresh_from_db()
    assert not plan.bottle_mg  # no take-home bottle leaves after the discharge


def test_a_late_entry_of_a_three_oclock_dose_is_refused_naming_given_at_and_the_time(world: World) -> None:
    _discharged_at_two(world)
    with pytest.raises(TreatmentInvalid) as exc:
        _late_entry(world, _at(world, 15))
    assert [e.field for e in exc.value.errors] == ["given_at"]
    assert "14:00" in exc.value.errors[0].reason
    assert not DoseRecord.objects.filter(patient=world.alice, local_date=_day(world)).exists()


def test_a_window_dose_after_the_discharge_still_refused(world: World) -> None:
    _discharged_at_two(world)
    with pytest.raises(TreatmentInvalid), time_machine.travel(_at(world, 16), tick=False):
        record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="80")


def test_in_los_angeles_with_the_server_in_utc(world: World, settings: object) -> None:
    settings.TIME_ZONE = "UTC"  # type: ignore[attr-defined]
    world.riverside.time_zone = "America/Los_Angeles"
    world.riverside.save(update_fields=["time_zone"])
    world.alice.program.time_zone = "America/Los_Angeles"
    _discharged_at_two(world)
    assert Enrollment.objects.get(patient=world.alice).ended_at == _at(world, 14)
    with pytest.raises(TreatmentInvalid) as exc:
        _late_entry(world, _at(world, 15))
    assert "14:00" in exc.value.errors[0].reason
    assert _late_entry(world, _at(world, 9)).status == DoseStatus.GIVEN


def _api(world: World, given: datetime) -> tuple[int, dict[str, object]]:
    with time_machine.travel(_at(world, 16), tick=False):
        client = sign_in(Client(), world.staff["nurse"])
        response = client.post(
            f"/api/v1/patients/{world.alice.pk}/doses",
            json.dumps({"amount_mg": 80, "sequence": 1, "given_at": given.isoformat()}),
            content_type="application/json",
        )
    return response.status_code, response.json()


def test_the_api_takes_the_nine_oclock_dose_and_refuses_the_three_oclock_one(world: World) -> None:
    _discharged_at_two(world)
    status, body = _api(world, _at(world, 15))
    assert status == 422, body
    assert "given_at" in json.dumps(body) and "14:00" in json.dumps(body)
    status, body = _api(world, _at(world, 9))
    assert status == 201, body


def test_a_readmission_the_same_day_doses_again(world: World) -> None:
    from keel.patients.schemas import ReadmissionIn
    from keel.treatment.queries.orders import order_version
    from keel.treatment.services import prescribe

    _discharged_at_two(world)
    with time_machine.travel(_at(world, 15), tick=False):
        patients.readmit(
            by=world.staff["counselor"],
            patient_id=world.alice.pk,
            data=ReadmissionIn.posted({"notice_given": "on", "consented": "on"}),
        )
        prescribe(
            by=world.staff["prescriber"],
            patient_id=world.alice.pk,
            medication="methadone",
            dose_mg="30",
            order_version=order_version(world.alice, "methadone"),
        )
    with time_machine.travel(_at(world, 16), tick=False):
        outcome = record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="30")
    assert outcome.dose.status == DoseStatus.GIVEN


def test_undoing_a_death_clears_its_moment(world: World) -> None:
    with time_machine.travel(_at(world, 14), tick=False):
        patients.discharge(
            by=world.staff["nurse"],
            patient_id=world.alice.pk,
            data=DischargeIn.posted({"reason": "deceased"}),
        )
        assert Enrollment.objects.get(patient=world.alice).ended_at == _at(world, 14)
        patients.undo_death(
            by=world.staff["program_admin"],
            patient_id=world.alice.pk,
            data=UndoDeathIn.posted({"reason": "Recorded for the wrong person: she was at her visit today"}),
        )
    episode = Enrollment.objects.get(patient=world.alice)
    assert episode.status == EnrollmentStatus.ACTIVE and episode.ended_at is None


def test_a_backdated_discharge_ends_at_the_end_of_its_day(world: World) -> None:
    with time_machine.travel(_at(world, 14), tick=False):
        earlier = _day(world) - timedelta(days=1)
        patients.discharge(
            by=world.staff["counselor"],
            patient_id=world.alice.pk,
            data=DischargeIn.posted({"reason": "left", "ended_on": earlier.isoformat()}),
        )
    assert Enrollment.objects.get(patient=world.alice).ended_at == _at(world, 0)


def test_old_rows_take_the_start_of_their_discharge_day(world: World) -> None:
    """The migration's fill: an episode ended before this lane refuses what it refused (every dose of its
    discharge day recorded after it), so its moment is the start of that day on its program's clock."""
    migration = importlib.import_module("keel.patients.migrations.0020_enrollment_ended_at_discharge39")
    episode = Enrollment.objects.get(patient=world.alice)
    Enrollment.objects.filter(pk=episode.pk).update(
        status=EnrollmentStatus.ENDED, ended_on=_day(world), end_reason="left", ended_at=None
    )
    from django.apps import apps

    migration.fill_ended_at(apps, None)
    assert Enrollment.objects.get(pk=episode.pk).ended_at == _at(world, 0)


def _by_page(world: World) -> None:
    client = sign_in(Client(), world.staff["counselor"])
    client.post(f"/patients/{world.alice.pk}/discharge/", {"reason": "left"})


def _by_api(world: World) -> None:
    client = sign_in(Client(), world.staff["counselor"])
    client.post(
        f"/api/v1/patients/{world.alice.pk}/discharge",
        json.dumps({"reason": "left"}),
        content_type="application/json",
    )


def _by_command(world: World) -> None:
    args = ["discharge", "--by", "r-counselor", "--patient-id", str(world.alice.pk), "--reason", "left"]
    call_command("episode", *args, stdout=io.StringIO(), stderr=io.StringIO())


@pytest.mark.parametrize("route", [_by_page, _by_api, _by_command])
def test_every_discharge_route_keeps_the_moment(world: World, route: Callable[[World], None]) -> None:
    with time_machine.travel(_at(world, 14, 5), tick=False):
        route(world)
    episode = Enrollment.objects.get(patient=world.alice)
    assert episode.status == EnrollmentStatus.ENDED and episode.ended_at == _at(world, 14, 5)


def test_a_staff_token_does_not_hear_the_discharge(world: World) -> None:
    """A dispensing system's token reads no one (review 27b): its refusal does not say she was discharged."""
    from keel.accounts import services as accounts

    _discharged_at_two(world)
    with time_machine.travel(_at(world, 16), tick=False):
        secret = accounts.create_token(user=world.staff["nurse"]).secret
        response = Client().post(
            f"/api/v1/patients/{world.alice.pk}/doses",
            json.dumps({"amount_mg": 80, "sequence": 1, "given_at": _at(world, 15).isoformat()}),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {secret}",
        )
    assert response.status_code in (409, 422)
    assert "discharged" not in response.content.decode() and "14:00" not in response.content.decode()
