"""Journey 6, the care team's morning: the caseload in risk order with reasons (page and API), what each
role's signals may draw on, one audit row per read, set-based reads; the patient timeline."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from keel.assessments.models import Assessment
from keel.audit.models import AuditEvent
from keel.careteam import queries
from keel.patients.models import CareTeamMember, Patient, PatientFlag
from keel.recovery.models import CheckIn, ThoughtRecord
from keel.treatment.models import DoseRecord, MedicationOrder
from tests.conftest import World, _make_patient, sign_in

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 25, 14, 0, tzinfo=UTC)  # 09:00 in New York
TODAY = date(2026, 11, 25)


def _team(
    world: World, patient: Patient, roles: tuple[str, ...] = ("nurse", "counselor", "peer_specialist")
) -> Patient:
    for role in roles:
        CareTeamMember.objects.get_or_create(patient=patient, user=world.staff[role])
    return patient


def _methadone(patient: Patient, nurse: Any, days: list[date]) -> None:
    order = MedicationOrder.objects.create(
        patient=patient,
        medication="methadone",
        rxnorm="6813",
        dose_mg=Decimal(60),
        starts_on=min(days),
        prescriber=nurse,
        created_at=NOW,
    )
    for n, d in enumerate(sorted(days)):
        DoseRecord.objects.create(
            patient=patient,
            order=order,
            medication="methadone",
            local_date=d,
            sequence=1,
            status="given",
            amount_mg=Decimal(60),
            treatment_day=n + 1,
            decision={},
            recorded_by=nurse,
            recorded_at=NOW,
        )


def _checkin(patient: Patient, day: date, **kw: Any) -> CheckIn:
    fields = {"craving": 3, "mood": 4, "used": False, "medication": "taken", **kw}
    return CheckIn.objects.create(patient=patient, local_date=day, created_at=NOW, updated_at=NOW, **fields)


def _flag(patient: Patient, kind: str, priority: int, raised: datetime = NOW) -> PatientFlag:
    return PatientFlag.objects.create(
        patient=patient,
        kind=kind,
        priority=priority,
        reasons=["test"],
        source_type="test",
        source_id=PatientFlag.objects.count() + 1,
        raised_at=raised,
    )


@pytest.fixture
def morning(world: World) -> dict[str, Patient]:
    """Alice: a positive suicide screen. Missed: on methadone, last dose 3 days ago. Silent: last check-in
    10 days ago. Steady: checked in yesterday, dosed yesterday. Craving: a rising-craving flag and silent."""
    nurse = world.staff["nurse"]
    people = {"alice": world.alice}
    for key, mrn in (
        ("missed", "RR-0101"),
        ("silent", "RR-0102"),
        ("steady", "RR-0103"),
        ("craving", "RR-0104"),
    ):
        people[key] = _team(
            world, _make_patient(world.riverside, mrn, key.capitalize(), "Example", f"u-{key}")
        )
    _flag(world.alice, "suicide_risk", 0)
    _methadone(people["missed"], nurse, [TODAY - timedelta(days=n) for n in range(3, 10)])
    _checkin(people["silent"], TODAY - timedelta(days=10))
    _methadone(people["steady"], nurse, [TODAY - timedelta(days=n) for n in range(1, 6)])
    _checkin(people["steady"], TODAY - timedelta(days=1))
    _flag(people["craving"], "rising_craving", 2)
    _checkin(people["craving"], TODAY - timedelta(days=8))
    return people


@time_machine.travel(NOW, tick=False)
def test_the_nurse_sees_the_most_urgent_first_with_reasons(world: World, morning: dict[str, Patient]) -> None:
    client = sign_in(Client(), world.staff["nurse"])
    rows = client.get("/api/v1/caseload").json()
    names = [r["display_name"] for r in rows]
    assert names == [
        world.alice.display_name,  # now: suicide screen
        "Craving Example",  # soon: flag + a week of silence (two signals)
        "Missed Example",  # soon: 3 days without an observed dose
        "Silent Example",  # this week: 10 days without a check-in
        "Steady Example",  # nothing new
    ]
    by_name = {r["display_name"]: r for r in rows}
    assert [r["tier"] for r in rows] == ["now", "soon", "soon", "this_week", "none"]
    assert (
        by_name["Missed Example"]["missed_dose_days"] == 2
    )  # yesterday and the day before; today is still open
    assert by_name["Missed Example"]["reasons"] == [
        {"text": "No observed dose for 2 days in a row", "sources": ["keel-caseload"]}
    ]
    assert by_name["Craving Example"]["reasons"][1]["text"] == "No check-in for 8 days"
    assert by_name["Steady Example"]["reasons"] == []
    assert by_name["Steady Example"]["missed_dose_days"] == 0
    page = client.get("/patients/").content.decode()
    assert page.index(world.alice.display_name) < page.index("Missed Example") < page.index("Steady Example")
    assert "No observed dose for 2 days in a row" in page
    assert "tag-now" in page


@time_machine.travel(NOW, tick=False)
def test_a_peer_specialist_sees_silence_but_no_clinical_signal(
    world: World, morning: dict[str, Patient]
) -> None:
    rows = sign_in(Client(), world.staff["peer_specialist"]).get("/api/v1/caseload").json()
    by_name = {r["display_name"]: r for r in rows}
    assert by_name["Silent Example"]["tier"] == "this_week"
    # lane fix35e (review 35e H6): a flag born of her check-ins ranks her for the peer too
    assert by_name["Craving Example"]["reasons"] == [
        {"text": "Rising craving (open flag)", "sources": ["keel-caseload"]},
        {"text": "No check-in for 8 days", "sources": ["keel-caseload"]},
    ]
    assert by_name["Missed Example"]["tier"] == "none"
    assert by_name["Missed Example"]["missed_dose_days"] is None
    assert all(r["record_number"] is None for r in rows)
    assert by_name[world.alice.display_name]["reasons"] == []  # her suicide-screen flag is clinical


@time_machine.travel(NOW, tick=False)
def test_the_caseload_is_one_audited_read_naming_who_was_shown(
    world: World, morning: dict[str, Patient]
) -> None:
    before = AuditEvent.objects.order_by("-id").first()
    sign_in(Client(), world.staff["nurse"]).get("/patients/")
    rows = list(AuditEvent.objects.filter(id__gt=before.pk if before else 0))
    assert [(r.action, r.target_type) for r in rows] == [("read", "patient_list")]
    assert sorted(rows[0].detail["patient_ids"]) == sorted(p.pk for p in morning.values())


@time_machine.travel(NOW, tick=False)
def test_the_caseload_reads_are_set_based(world: World, morning: dict[str, Patient]) -> None:
    nurse = world.staff["nurse"]

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            queries.caseload(nurse)
        return len(ctx.captured_queries)

    def add(first: int) -> None:
        for i in range(first, first + 15):
            p = _team(world, _make_patient(world.riverside, f"RR-8{i:03d}", "More", f"People{i}", f"more{i}"))
            _methadone(p, nurse, [TODAY - timedelta(days=4)])
            _checkin(p, TODAY - timedelta(days=i))
            _flag(p, "reported_use", 1)

    few = count()
    add(0)
    more = count()
    add(15)
    # The people not dosed in the last days add two reads once (their newest dose and first dose, each one
    # statement for all of them: `missed_days`), then nothing whatever their number.
    assert count() == more <= few + 2


# --- The timeline ------------------------------------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_the_timeline_shows_the_record_newest_first(world: World, morning: dict[str, Patient]) -> None:
    patient = morning["steady"]
    given = Assessment.objects.create(
        patient=patient,
        program_id=patient.program_id,
        instrument="phq9",
        instrument_version="1",
        answers={},
        total=6,
        band="mild",
        result={},
        filled_by=world.staff["nurse"],
        filled_at=NOW - timedelta(days=2),
    )
    # entered when given: a row stamped today with a time typed two days back is a late entry, which the
    # timeline says (`Assessment.entered_late`, lane fixrec39)
    Assessment.objects.filter(pk=given.pk).update(created_at=NOW - timedelta(days=2))
    ThoughtRecord.objects.create(
        patient=patient, content=b"secret", intensity_before=8, created_at=NOW - timedelta(days=1)
    )
    _checkin(patient, TODAY, used=True, meeting=True)
    client = sign_in(Client(), world.staff["nurse"])
    body = client.get(f"/api/v1/patients/{patient.pk}/timeline?days=30").json()
    assert (body["since"], body["until"]) == ("2026-10-27", "2026-11-25")
    seen = [(e["day"], e["kind"], e["title"], e["detail"]) for e in body["events"]]
    assert seen[0] == (
        "2026-11-25",
        "checkin",
        "Check-in",
        "craving 3/10, mood 4/5, reported use, went to a meeting",
    )
    assert ("2026-11-24", "dose", "Methadone: 5 observed doses", "2026-11-20 to 2026-11-24") in seen
    assert ("2026-11-23", "assessment", "PHQ-9", "score 6, Mild depression symptoms") in seen
    assert ("2026-11-24", "thought_record", "Thought record written", "") in seen
    assert [e["day"] for e in body["events"]] == sorted((e["day"] for e in body["events"]), reverse=True)
    assert "secret" not in str(body)
    last = AuditEvent.objects.order_by("-id").first()
    assert last is not None
    assert (last.target_type, last.patient_id) == ("patient_timeline", patient.pk)
    page = client.get(f"/patients/{patient.pk}/timeline/?days=30").content.decode()
    assert "Methadone: 5 observed doses" in page
    assert "Thought record written" in page


@time_machine.travel(NOW, tick=False)
def test_the_timeline_keeps_to_what_the_role_may_see(world: World, morning: dict[str, Patient]) -> None:
    patient = morning["steady"]
    body = (
        sign_in(Client(), world.staff["peer_specialist"])
        .get(f"/api/v1/patients/{patient.pk}/timeline")
        .json()
    )
    assert {e["area"] for e in body["events"]} == {"recovery"}
    assert {e["kind"] for e in body["events"]} == {"checkin"}
    outsider = sign_in(Client(), world.lakeside_nurse)
    assert outsider.get(f"/api/v1/patients/{patient.pk}/timeline").status_code == 404
    assert outsider.get(f"/patients/{patient.pk}/timeline/").status_code == 404
    last = AuditEvent.objects.order_by("-id").first()
    assert last is not None
    assert (last.outcome, last.target_type) == ("denied", "patient_timeline")


@time_machine.travel(NOW, tick=False)
def test_the_timeline_window_is_checked(world: World, morning: dict[str, Patient]) -> None:
    client = sign_in(Client(), world.staff["nurse"])
    response = client.get(f"/api/v1/patients/{world.alice.pk}/timeline?days=7")
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "days", "reason": "must be one of 30, 90, 365"}]
    assert client.get(f"/api/v1/patients/{world.alice.pk}/timeline?days=x").status_code == 422


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize("days", ["abc", "7", "-30", "30.0", "٣٠"])
def test_the_timeline_page_refuses_a_window_that_is_not_a_choice(
    world: World, morning: dict[str, Patient], days: str
) -> None:
    client = sign_in(Client(), world.staff["nurse"])
    assert client.get(f"/patients/{world.alice.pk}/timeline/?days={days}").status_code == 422


@time_machine.travel(NOW, tick=False)
def test_the_timeline_page_says_which_windows_it_takes(world: World, morning: dict[str, Patient]) -> None:
    client = sign_in(Client(), world.staff["nurse"])
    page = client.get(f"/patients/{world.alice.pk}/timeline/?days=abc").content.decode()
    assert "Choose 30, 90, 365 days; showing 90." in page


@time_machine.travel(NOW, tick=False)
def test_the_timeline_page_without_a_window_shows_90_days(world: World, morning: dict[str, Patient]) -> None:
    client = sign_in(Client(), world.staff["nurse"])
    assert client.get(f"/patients/{world.alice.pk}/timeline/").status_code == 200


# --- Monthly BAM trends ------------------------------------------------------------------------------------


def test_the_bam_flowsheet_draws_its_three_composites_by_month(world: World) -> None:
    from keel.assessments.services import submit_assessment

    counselor = world.staff["counselor"]
    months = [datetime(2026, m, 10, 15, 0, tzinfo=UTC) for m in (8, 9, 10, 11)]
    for i, when in enumerate(months):
        answers = {f"bam_{n}": 0 for n in range(1, 18) if n != 7}
        answers |= {
            "bam_4": max(0, 3 - i),
            "bam_1": 2,
            "bam_9": i,
            "bam_14": 4,
        }  # use falls, protection grows
        with time_machine.travel(when + timedelta(hours=1), tick=False):
            submit_assessment(
                by=counselor, patient_id=world.alice.pk, instrument="bam", answers=answers, filled_at=when
            )
    html = sign_in(Client(), counselor).get(f"/patients/{world.alice.pk}/flowsheet/bam/").content.decode()
    assert html.count('class="line bam-use"') == html.count('class="line bam-risk"') == 1
    assert html.count('class="dot bam-protective"') == 4
    assert "4 results from Aug. 10, 2026 to Nov. 10, 2026; latest Use 0, Risk 2, Protective 7." in html
    assert "Use 3 · Risk 2 · Protective 4" in html  # the first month, in the table
    assert '<span class="swatch bam-risk" aria-hidden="true"></span>Risk factors' in html


@time_machine.travel(NOW, tick=False)
def test_history_stored_without_the_rules_gets_its_flags_once(world: World) -> None:
    from keel.recovery.services import review_history

    for n in range(12, 0, -1):
        _checkin(world.bob, TODAY - timedelta(days=n + 4), used=n == 1)  # daily, then quiet for 5 days
    assert review_history(world.bob) == 2
    kinds = set(PatientFlag.objects.filter(patient=world.bob).values_list("kind", flat=True))
    assert kinds == {"reported_use", "silence"}
    assert review_history(world.bob) == 0  # once
    assert review_history(world.charlie) == 0  # no check-ins: nothing to review


@time_machine.travel(NOW, tick=False)
def test_the_timeline_shows_what_a_flag_is_about_and_its_resolution_note(world: World) -> None:
    flag = _flag(world.alice, "reported_use", 1, raised=NOW - timedelta(days=2))
    flag.reasons = ["Use reported in the check-in of 2026-11-23"]
    flag.save()
    client = sign_in(Client(), world.staff["counselor"])
    resolved = client.post(
        f"/api/v1/patients/{world.alice.pk}/flags/{flag.pk}/resolve",
        json.dumps({"note": "Called; naloxone kit offered"}),
        content_type="application/json",
    )
    assert resolved.status_code == 200
    body = client.get(f"/api/v1/patients/{world.alice.pk}/timeline?days=30").json()
    details = {e["title"]: e["detail"] for e in body["events"] if e["kind"] == "flag"}
    assert details["Flag: Reported use"] == "Use reported in the check-in of 2026-11-23"
    assert details["Flag resolved: Reported use"].startswith("Called; naloxone kit offered (by ")
    peer = sign_in(Client(), world.staff["peer_specialist"]).get(
        f"/api/v1/patients/{world.alice.pk}/timeline?days=30"
    )
    assert "naloxone kit offered" not in peer.content.decode()


# --- The caseload page, paginated (issue #21) ----------------------------------------------------------


def _names_on(client: Client, page: int) -> list[str]:
    import re

    html = client.get(f"/patients/?page={page}").content.decode()
    return re.findall(r'<a href="/patients/\d+/">([^<]+)</a>', html)


@time_machine.travel(NOW, tick=False)
def test_the_caseload_page_shows_fifty_people_a_page_in_the_caseload_order(world: World) -> None:
    nurse = world.staff["nurse"]
    for i in range(119):
        p = _team(world, _make_patient(world.riverside, f"RR-9{i:03d}", "Page", f"Person{i:03d}", f"page{i}"))
        if i % 7 == 0:
            _flag(p, "reported_use", 1)
        if i % 5 == 0:
            _checkin(p, TODAY - timedelta(days=10))
    CareTeamMember.objects.get_or_create(patient=world.alice, user=nurse)
    expected = [row.display_name for row in queries.caseload(nurse, now=NOW)]
    client = sign_in(Client(), nurse)
    pages = [_names_on(client, n) for n in (1, 2, 3)]
    assert len(expected) == 120
    assert [len(p) for p in pages] == [50, 50, 20]
    assert pages[0] + pages[1] + pages[2] == expected


@time_machine.travel(NOW, tick=False)
def test_each_caseload_page_links_to_the_others(world: World) -> None:
    nurse = world.staff["nurse"]
    for i in range(60):
        _team(world, _make_patient(world.riverside, f"RR-7{i:03d}", "Link", f"Person{i:03d}", f"link{i}"))
    html = sign_in(Client(), nurse).get("/patients/?page=2").content.decode()
    assert 'href="?page=1"' in html
    assert 'aria-current="page">2<' in html


@time_machine.travel(NOW, tick=False)
def test_each_caseload_page_costs_the_same_queries(world: World) -> None:
    nurse = world.staff["nurse"]
    for i in range(120):
        _team(world, _make_patient(world.riverside, f"RR-6{i:03d}", "Cost", f"Person{i:03d}", f"cost{i}"))
    client = sign_in(Client(), nurse)
    client.get("/patients/?page=1")

    def count(page: int) -> int:
        with CaptureQueriesContext(connection) as ctx:
            client.get(f"/patients/?page={page}")
        return len(ctx.captured_queries)

    assert count(1) == count(2) == count(3)
