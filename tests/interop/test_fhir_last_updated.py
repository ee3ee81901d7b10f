"""Session 24 (lane api24; review 23a: "no resource carries meta.lastUpdated, so a polling EHR must re-pull
everything"): every resource of a person's record Keel exports carries `meta.lastUpdated`, the time the record
last changed read from the rows' own timestamps (the audit trail's where a row keeps none: an episode's
admission and discharge, an order's stop), never the time of the export, as an R4 instant with its time zone.
The one exception is the Questionnaire: Keel's instrument definition, shipped with the code, not a record."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from keel.access.policy import Area
from keel.assessments.services import submit_assessment
from keel.audit.models import AuditEvent
from keel.interop.fhir.base import Base, instant, last_updated
from keel.interop.fhir.record import record_bundle
from keel.patients.schemas import DischargeIn, ReadmissionIn
from keel.patients.services.episodes import discharge, readmit
from keel.sharing.models import Consent
from keel.treatment.models import DoseAmendment, DoseRecord, MedicationOrder
from keel.treatment.services import record_qtc
from tests.conftest import World
from tests.factories import methadone_with_take_home_plan
from tests.fhir_r4 import assert_valid_r4

pytestmark = pytest.mark.django_db
BASE = Base("https://keel.example/fhir/R4/")
# FHIR R4's instant (datatypes: `instant`): seconds always, and a time zone always
R4_INSTANT = re.compile(
    r"([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)-(0[1-9]|1[0-2])-(0[1-9]|[1-2][0-9]|3[0-1])"
    r"T([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?(Z|(\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00))"
)


def _record(world: World) -> datetime:
    """A record with one of each kind of resource: an order, doses (one corrected), a take-home plan, a
    QTc, assessments, a consent, and an episode ended by a discharge (its order stopped) and a new one."""
    now = timezone.now()
    pr, nurse = world.staff["prescriber"], world.staff["nurse"]
    methadone_with_take_home_plan(world, now - timedelta(hours=1))
    record_qtc(by=pr, patient_id=world.alice.pk, qtc_ms=430)
    dose = DoseRecord.objects.filter(patient=world.alice).order_by("local_date").last()
    assert dose is not None
    DoseAmendment.objects.create(
        dose=dose,
        corrected_mg=70,
        reason="typed 80, gave 70",
        amended_by=nurse,
        amended_at=now - timedelta(minutes=30),
    )
    submit_assessment(
        by=pr,
        patient_id=world.alice.pk,
        instrument="dsm5-oud",
        answers={f"dsm5_{i}": int(i <= 6) for i in range(1, 12)},
    )
    submit_assessment(
        by=nurse, patient_id=world.alice.pk, instrument="phq9", answers={f"phq9_{i}": 1 for i in range(1, 10)}
    )
    Consent.objects.create(
        patient=world.alice,
        program=world.riverside,
        recipient_name="Dr. Recipient",
        purpose="treatment",
        categories=["medication"],
        expires_on=timezone.localdate() + timedelta(days=200),
        signature="Alicia Zamorano",
        form_version="keel-part2-consent-1",
        statements=[],
        signed_by=world.alice.user,
        signed_at=now - timedelta(days=3),
    )
    discharge(by=pr, patient_id=world.alice.pk, data=DischargeIn.posted({"reason": "left", "ended_on": None}))
    readmit(
        by=pr,
        patient_id=world.alice.pk,
        data=ReadmissionIn.posted(
            {"started_on": None, "episode_kind": "", "notice_given": True, "consented": True}
        ),
    )
    return now


def _resources(world: World, now: datetime) -> list[dict[str, Any]]:
    bundle = record_bundle(world.alice, frozenset(Area), now, BASE)
    return [e["resource"] for e in bundle["entry"]]


def test_every_exported_resource_carries_last_updated_as_an_r4_instant(world: World) -> None:
    now = _record(world)
    later = timezone.now() + timedelta(seconds=1)
    bundle = record_bundle(world.alice, frozenset(Area), later, BASE)
    types = set()
    for entry in bundle["entry"]:
        res = entry["resource"]
        types.add(res["resourceType"])
        if res["resourceType"] == "Questionnaire":  # Keel's instrument definition, not a record
            continue
        stamp = res["meta"].get("lastUpdated")
        assert stamp and R4_INSTANT.fullmatch(stamp), (res["resourceType"], res["id"], stamp)
        assert datetime.fromisoformat(stamp) <= later, (res["id"], stamp)  # never the export's time
    expected = {
        "Patient",
        "Organization",
        "Practitioner",
        "EpisodeOfCare",
        "Condition",
        "MedicationRequest",
        "MedicationAdministration",
        "MedicationDispense",
        "QuestionnaireResponse",
        "Observation",
        "Consent",
    }
    assert expected <= types, expected - types
    assert_valid_r4(bundle)
    assert now <= later


def test_last_updated_is_the_records_own_time(world: World) -> None:
    _record(world)
    found = {(r["resourceType"], r["id"]): r for r in _resources(world, timezone.now())}
    alice = world.alice
    alice.refresh_from_db()
    assert found[("Patient", str(alice.pk))]["meta"]["lastUpdated"] == instant(alice.updated_at)
    amended = DoseAmendment.objects.get()
    dose = found[("MedicationAdministration", f"dose-{amended.dose_id}")]
    assert dose["meta"]["lastUpdated"] == instant(max(amended.amended_at, amended.dose.recorded_at))
    discharged = AuditEvent.objects.get(target_type="enrollment", reason="discharged")
    order = MedicationOrder.objects.get(patient=alice)
    assert order.status == "stopped"
    stopped = found[("MedicationRequest", str(order.pk))]
    assert stopped["meta"]["lastUpdated"] == instant(discharged.occurred_at)  # the stop, not the writing
    ended = found[("EpisodeOfCare", f"enrollment-{discharged.target_id}")]
    assert ended["meta"]["lastUpdated"] == instant(discharged.occurred_at)


def test_a_record_exported_twice_later_is_identical(world: World) -> None:
    """Never "now": the export a minute later (the Bundle's timestamp aside) is byte for byte the same."""
    now = _record(world)
    once = record_bundle(world.alice, frozenset(Area), now + timedelta(seconds=5), BASE)
    twice = record_bundle(world.alice, frozenset(Area), now + timedelta(seconds=65), BASE)
    assert json.dumps(once["entry"]) == json.dumps(twice["entry"])


def _stamps(world: World) -> dict[tuple[str, str], str]:
    return {
        (r["resourceType"], r["id"]): r["meta"]["lastUpdated"]
        for r in _resources(world, timezone.now())
        if r["resourceType"] != "Questionnaire"
    }


def test_a_record_changed_moves_only_its_own_last_updated(world: World) -> None:
    _record(world)
    before = _stamps(world)
    alice = world.alice
    alice.phone = "555-0123"
    # lastUpdated is said to the second: the change is saved two seconds on, or a save in the same second as
    # the record's writes would move nothing (a flaky run in CI).
    with time_machine.travel(timezone.now() + timedelta(seconds=2), tick=False):
        alice.save()
    after = _stamps(world)
    changed = {rid for rid in before if before[rid] != after.get(rid)}
    assert changed == {("Patient", str(alice.pk))}


# A time zone other than UTC


def test_a_time_in_another_zone_keeps_its_offset_and_its_instant() -> None:
    at = datetime(2026, 7, 1, 23, 30, 15, 123456, tzinfo=ZoneInfo("America/Los_Angeles"))
    out = last_updated({"resourceType": "Basic", "id": "x"}, at)
    stamp = out["meta"]["lastUpdated"]
    assert stamp == "2026-07-01T23:30:15-07:00"
    assert R4_INSTANT.fullmatch(stamp)
    assert datetime.fromisoformat(stamp) == at.replace(microsecond=0)


def test_the_latest_of_times_in_two_zones_is_the_later_instant() -> None:
    tokyo = datetime(2026, 7, 2, 9, 0, tzinfo=ZoneInfo("Asia/Tokyo"))  # 00:00 UTC
    la = datetime(2026, 7, 1, 18, 0, tzinfo=ZoneInfo("America/Los_Angeles"))  # 01:00 UTC: later
    assert last_updated({}, tokyo, la)["meta"]["lastUpdated"] == "2026-07-01T18:00:00-07:00"


def test_a_time_without_a_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        last_updated({}, datetime(2026, 7, 1, 12, 0))
    with pytest.raises(ValueError):
        last_updated({})


def test_the_export_under_another_server_time_zone_is_the_same(world: World, settings: Any) -> None:
    now = _record(world)
    once = _resources(world, now)
    settings.TIME_ZONE = "Pacific/Auckland"
    again = _resources(world, now)
    assert [r["meta"] for r in once] == [r["meta"] for r in again]


def test_a_bottles_last_updated_moves_with_its_plans_audited_change(world: World) -> None:
    """A take-home plan keeps no time of a hand-out, a take-back, a hold or a discharge: the audit trail's
    row of the change is its time; ending the plan moves its bottles' `lastUpdated` to the end."""
    from keel.treatment.services.take_homes import end_take_home_plan

    now = timezone.now()
    plan, _tomorrow = methadone_with_take_home_plan(world, now - timedelta(minutes=5))
    decided = {r["id"]: r["meta"]["lastUpdated"] for r in _dispenses(world)}
    assert set(decided.values()) == {instant(plan.decided_at)}
    end_take_home_plan(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        plan_id=plan.pk,
        reason="relapse on fentanyl confirmed by urine drug screen today",
        now=now - timedelta(minutes=1),
    )
    plan.refresh_from_db()
    ended = AuditEvent.objects.filter(target_type="take_home_plan", target_id=str(plan.pk)).latest("id")
    stamps = {r["id"]: r["meta"]["lastUpdated"] for r in _dispenses(world)}
    assert set(stamps) == set(decided)
    assert set(stamps.values()) == {instant(max(plan.decided_at, plan.ended_at or now, ended.occurred_at))}


def _dispenses(world: World) -> list[dict[str, Any]]:
    return [r for r in _resources(world, timezone.now()) if r["resourceType"] == "MedicationDispense"]
