"""The dosing page's "N people still due today" counted by the database (`still_due`, issue #21: the count is
fetched again after every htmx dose answer) is the whole list's sum (`sum(row.due for row in dosing_list)`,
the page's own count and its spec), person by person, with the same list audit row: over the dose-context
histories (held today, released, dosed, voided and corrected doses, take-home days, discharged, readmitted),
split doses partly given, both window medications, a person with no order, another program's people, the
care team's scope (emergency access open), programs in two zones, the program's day near midnight (a dose at
23:30 local) and on the days the clocks change. Its statements do not grow with the list. Run on SQLite and
PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from keel.accounts.models import ProgramMembership
from keel.patients.models import CareTeamMember, EmergencyAccess, Enrollment, EnrollmentStatus, Patient
from keel.treatment import services
from keel.treatment.models import MedicationOrder
from keel.treatment.queries import dosing_list, still_due
from tests.conftest import World, sign_in
from tests.treatment.test_dose_context_sql import HISTORIES, NOON, TODAY, _order, dose
from tests.treatment.test_dosing_row_sql import _audit_of

pytestmark = pytest.mark.django_db
NEW_YORK = ZoneInfo("America/New_York")


def _order_for(world: World, patient: Any, medication: str = "methadone") -> MedicationOrder:
    found = MedicationOrder.objects.filter(patient=patient, medication=medication).first()
    return found or MedicationOrder.objects.create(
        patient=patient,
        medication=medication,
        rxnorm="6813" if medication == "methadone" else "1819",
        dose_mg=Decimal(30),
        starts_on=date(2026, 1, 5),
        prescriber=world.staff["prescriber"],
        created_at=datetime(2026, 1, 5, tzinfo=UTC),
    )


def _same(user: Any, now: datetime, why: Any) -> int:
    """The count's people and audit row are the list's; returns the count."""
    with time_machine.travel(now, tick=False):
        rows, list_audit = _audit_of(lambda: dosing_list(user))
        people, count_audit = _audit_of(lambda: still_due(user))
    by_person: dict[int, int] = {}
    for row in rows:
        by_person[row.patient.pk] = by_person.get(row.patient.pk, 0) + row.due
    assert [(p.patient_id, p.due) for p in people] == list(by_person.items()), why
    assert sum(p.due for p in people) == sum(1 for r in rows if r.due), why
    names = {r.patient.pk: (r.patient.display_name, r.patient.record_number) for r in rows}
    assert {p.patient_id: (p.display_name, p.record_number) for p in people} == names, why
    assert count_audit == list_audit, why
    return sum(p.due for p in people)


@pytest.mark.parametrize("history", list(HISTORIES))
def test_the_count_is_the_lists_sum_over_the_histories(world: World, history: str) -> None:
    HISTORIES[history](world)
    _order(world, "methadone"), _order(world, "buprenorphine")
    CareTeamMember.objects.get_or_create(patient=world.bob, user=world.staff["nurse"])
    _order_for(world, world.bob)  # someone due beside the history
    for role in ("nurse", "prescriber"):
        for now in (NOON, NOON - timedelta(days=1), NOON + timedelta(days=1)):
            _same(world.staff[role], now, (history, role, now))


def test_the_histories_give_every_status(world: World) -> None:
    """The equivalence means something only if the rows it compares are held, given, take-home and due."""
    seen = set()
    for history in HISTORIES:
        sid = connection.savepoint()
        HISTORIES[history](world)
        _order(world, "methadone"), _order(world, "buprenorphine")
        with time_machine.travel(NOON, tick=False):
            seen |= {row.status for row in dosing_list(world.staff["nurse"])}
        connection.savepoint_rollback(sid)
    assert seen == {"held", "given", "take_home", "due"}


@pytest.mark.parametrize("parts", [(Decimal(15), None), (Decimal(0), Decimal(15)), (None, Decimal(15))])
def test_split_doses_partly_given(world: World, parts: tuple[Decimal | None, Decimal | None]) -> None:
    """A split dose's parts (slots 1 and 2): one part given, a part of 0 mg, a part not yet given."""
    _order(world)
    for seq, mg in enumerate(parts, start=1):
        if mg is not None:
            dose(world, 0, seq, amount_mg=mg)
    _same(world.staff["nurse"], NOON, parts)


def test_a_voided_part_leaves_the_person_due(world: World) -> None:
    from tests.treatment.test_dose_context_sql import amend

    _order(world)
    amend(world, dose(world, 0, 1, amount_mg=Decimal(15)), 0, voided=True)
    assert _same(world.staff["nurse"], NOON, "voided") == 1


def test_people_not_on_the_list_are_not_counted(world: World) -> None:
    """No order, an ended episode, another program's person, someone off the care team: none counted; the
    other program's nurse counts her own."""
    nurse = world.staff["nurse"]
    _order_for(world, world.bob)  # bob: not on the nurse's care team
    _order_for(world, world.charlie)  # another program's
    assert _same(nurse, NOON, "alice has no order") == 0
    _order(world)
    assert _same(nurse, NOON, "alice has an order") == 1
    Enrollment.objects.filter(patient=world.alice).update(
        status=EnrollmentStatus.ENDED, ended_on=TODAY, end_reason="left"
    )
    assert _same(nurse, NOON, "alice discharged") == 0
    assert _same(world.lakeside_nurse, NOON, "charlie") == 1


def test_emergency_access_counts_and_is_named(world: World) -> None:
    nurse = world.staff["nurse"]
    _order(world)
    _order_for(world, world.bob)
    EmergencyAccess.objects.create(
        user=nurse,
        patient=world.bob,
        reason="covering the window",
        started_at=NOON - timedelta(hours=1),
        expires_at=NOON + timedelta(hours=1),
    )
    assert _same(nurse, NOON, "emergency") == 2
    with time_machine.travel(NOON, tick=False):
        _, audit = _audit_of(lambda: still_due(nurse))
    assert audit[0][6]["emergency_patient_ids"] == [world.bob.pk]
    assert _same(nurse, NOON + timedelta(hours=2), "expired") == 1


def _two_programs(world: World, far_zone: str) -> Any:
    """The nurse works at both programs; Lakeside's clock is `far_zone`'s."""
    nurse = world.staff["nurse"]
    ProgramMembership.objects.create(user=nurse, program=world.lakeside)
    CareTeamMember.objects.create(patient=world.charlie, user=nurse)
    world.lakeside.time_zone = far_zone
    world.lakeside.save()
    _order(world)
    _order_for(world, world.charlie)
    return nurse


def _local(day: date, hour: int, minute: int, zone: ZoneInfo = NEW_YORK, fold: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone, fold=fold).astimezone(UTC)


@pytest.mark.parametrize(
    "day", [TODAY, date(2026, 11, 1), date(2026, 3, 8)], ids=["plain day", "clocks back", "clocks forward"]
)
def test_a_dose_at_half_past_eleven_local_counts_on_its_own_day(world: World, day: date) -> None:
    """Alice dosed at 23:30 New York time (the next UTC day): given until midnight local, due after it; at
    the same instants Lakeside (Auckland, the next day already) counts its own day. On the days the clocks
    move too."""
    nurse = _two_programs(world, "Pacific/Auckland")
    at = _local(day, 23, 30)
    with time_machine.travel(at, tick=False):
        services.record_dose(by=nurse, patient_id=world.alice.pk, amount_mg=Decimal(30), now=at)
    assert _same(nurse, at + timedelta(minutes=15), (day, "23:45")) == 1  # charlie only
    assert _same(nurse, _local(day + timedelta(days=1), 0, 15), (day, "00:15")) == 2
    # the same day's early hours (the repeated 01:30 when the clocks go back): the day's dose is on record
    assert _same(nurse, _local(day, 1, 30, fold=1), (day, "01:30 again")) == 1
    assert _same(nurse, _local(day, 23, 59), (day, "23:59")) == 1


def test_a_take_home_day_near_midnight_in_two_zones(world: World) -> None:
    from keel.treatment.models import TakeHomePlan

    nurse = _two_programs(world, "Asia/Kolkata")
    TakeHomePlan.objects.create(
        patient=world.alice,
        decided_by=world.staff["prescriber"],
        decided_at=NOON - timedelta(days=1),
        days_in_treatment=100,
        criteria={},
        decision={},
        max_supply_days=1,
        bottles=[TODAY.isoformat()],
        bottle_mg={TODAY.isoformat(): "30"},  # handed out (session 24: else today is no take-home day)
    )
    for now in (_local(TODAY, 0, 5), _local(TODAY, 23, 55), _local(TODAY + timedelta(days=1), 0, 5)):
        _same(nurse, now, now)
    assert _same(nurse, _local(TODAY, 12, 0), "noon") == 1  # charlie; alice's bottle covers today


def test_the_find_field_and_the_count_route_agree_with_the_page(world: World) -> None:
    """The count's route (narrowed by the find field or not) says the page's own count."""
    import re

    _order(world), _order(world, "buprenorphine")
    CareTeamMember.objects.get_or_create(patient=world.bob, user=world.staff["nurse"])
    _order_for(world, world.bob)
    count = re.compile(r"(\d+) (?:person|people) still due")
    with time_machine.travel(NOON, tick=False):
        client = sign_in(Client(), world.staff["nurse"])
        for q in ("", "alicia", "RR-0002", "zzz", "ROBERTO quin"):
            page = count.search(client.post("/dosing/", {"q": q}).content.decode())
            alone = count.search(
                client.post("/dosing/due/", {"q": q}, HTTP_HX_REQUEST="true").content.decode()
            )
            assert page and alone, q
            assert alone.group(1) == page.group(1), q


@pytest.mark.parametrize("people", [2, 20])
def test_the_counts_statements_do_not_grow_with_the_list(world: World, people: int) -> None:
    """Two reads (the programs' zones, the count) and the audit row's, whatever the list's length."""
    nurse = world.staff["nurse"]
    _order(world)
    for i in range(people - 1):
        p = Patient.objects.create(
            program=world.riverside, record_number=f"RR-9{i:03}", given_name=f"P{i}", family_name="Test"
        )
        Enrollment.objects.create(patient=p, program=world.riverside, started_on=date(2026, 1, 5))
        CareTeamMember.objects.create(patient=p, user=nurse)
        _order_for(world, p)
        if i % 3 == 0:
            dose(world, 0, patient=p, order=_order_for(world, p))
    with time_machine.travel(NOON, tick=False):
        still_due(nurse)  # warm
        with CaptureQueriesContext(connection) as counted:
            still_due(nurse)
    reads = [q for q in counted.captured_queries if q["sql"].lstrip().upper().startswith("SELECT")]
    assert len(reads) <= 4, [q["sql"][:80] for q in reads]
    assert len(counted.captured_queries) <= 9, [q["sql"][:80] for q in counted.captured_queries]


def _deferred(world: World, patient: Any, starts_on: date, mg: int = 50) -> MedicationOrder:
    """An order written today to start later (review 19a); the order it supersedes stays in force until."""
    MedicationOrder.objects.filter(patient=patient, medication="methadone").update(status="superseded")
    return MedicationOrder.objects.create(
        patient=patient,
        medication="methadone",
        rxnorm="6813",
        dose_mg=Decimal(mg),
        starts_on=starts_on,
        deferred=True,
        prescriber=world.staff["prescriber"],
        created_at=NOON - timedelta(hours=1),
    )


def test_a_first_order_that_starts_next_week_puts_no_one_on_the_count(world: World) -> None:
    nurse = world.staff["nurse"]
    _deferred(world, world.alice, TODAY + timedelta(days=5))
    assert _same(nurse, NOON, "alice's only order starts next week") == 0


def test_an_order_in_force_until_a_deferred_one_starts_is_counted(world: World) -> None:
    nurse = world.staff["nurse"]
    _order_for(world, world.alice)
    _deferred(world, world.alice, TODAY + timedelta(days=5))
    assert _same(nurse, NOON, "alice's 30 mg is in force until next week") == 1


@pytest.mark.parametrize(("hour", "minute", "day"), [(23, 30, 0), (0, 30, 1)])
def test_a_deferred_first_order_near_midnight_counts_from_its_own_day(
    world: World, hour: int, minute: int, day: int
) -> None:
    """It starts tomorrow in New York: at 23:30 there (already tomorrow in UTC) nothing is in force; at 00:30
    it is."""
    nurse = world.staff["nurse"]
    _deferred(world, world.alice, TODAY + timedelta(days=1))
    assert _same(nurse, _local(TODAY + timedelta(days=day), hour, minute), (hour, day)) == day
