"""Journey 7, the director's month: measures from real rows through the page, the CSV export, the API and
the CLI; who may see them; every read audited; bad windows named; the demo gives them something to show."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from keel import demo
from keel.assessments.models import Assessment
from keel.audit.models import AuditEvent
from keel.measures import queries
from keel.patients.models import Patient
from keel.treatment.models import DoseAmendment, DoseRecord, MedicationOrder, NaloxoneKit
from tests.cli.test_cli import _keel
from tests.conftest import World, sign_in

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)  # 12:00 in New York
WINDOW = "start=2026-01-01&end=2026-11-25"


def _doses(
    patient: Patient, nurse: Any, first: date, days: int, *, skip: tuple[int, ...] = ()
) -> list[DoseRecord]:
    order = MedicationOrder.objects.filter(patient=patient).first() or MedicationOrder.objects.create(
        patient=patient,
        medication="methadone",
        rxnorm="6813",
        dose_mg=Decimal(60),
        starts_on=first,
        prescriber=nurse,
        created_at=NOW,
    )
    return DoseRecord.objects.bulk_create(
        DoseRecord(
            patient=patient,
            order=order,
            medication="methadone",
            local_date=first + timedelta(days=n),
            sequence=1,
            status="given",
            amount_mg=Decimal(60),
            treatment_day=n + 1,
            decision={"decision": "allowed", "reasons": []},
            recorded_by=nurse,
            recorded_at=NOW,
        )
        for n in range(days)
        if n not in skip
    )


def _diagnose(patient: Patient, by: Any, band: str) -> None:
    Assessment.objects.create(
        patient=patient,
        program_id=patient.program_id,
        instrument="dsm5-oud",
        instrument_version="1",
        answers={},
        total=7,
        band=band,
        result={},
        filled_by=by,
        filled_at=NOW,
    )


@pytest.fixture
def records(world: World) -> World:
    """Alice: 200 days of methadone from Jan 6 with a 5-day gap (one episode), diagnosed, a naloxone kit.
    Bob: 40 days from Mar 1, then nothing; a voided dose on day 60 must not stretch it; no diagnosis.
    Charlie (Lakeside): a year of doses that must never show in Riverside's figures."""
    nurse = world.staff["nurse"]
    _doses(world.alice, nurse, date(2026, 1, 6), 200, skip=(100, 101, 102, 103, 104))
    _diagnose(world.alice, world.staff["prescriber"], "severe")
    NaloxoneKit.objects.create(
        patient=world.alice,
        product="nasal_4mg",
        dispensed_on=date(2026, 1, 6),
        dispensed_by=nurse,
        recorded_at=NOW,
    )
    _doses(world.bob, nurse, date(2026, 3, 1), 40)
    voided = _doses(world.bob, nurse, date(2026, 4, 15), 1)[0]
    DoseAmendment.objects.create(
        dose=voided, voided=True, reason="entered for the wrong person", amended_by=nurse, amended_at=NOW
    )
    _diagnose(world.bob, world.staff["prescriber"], "none")
    _doses(world.charlie, world.lakeside_nurse, date(2026, 1, 2), 300)
    return world


@time_machine.travel(NOW, tick=False)
def test_a_diagnosis_in_remission_is_an_oud_diagnosis_for_nqf_3175(records: World) -> None:
    # Bob's later DSM-5: moderate, in sustained remission on maintenance therapy (F11.21): still OUD (#15).
    Assessment.objects.filter(patient=records.bob).update(band="moderate_sustained_remission")
    nqf = _measures(_admin(records).get(f"/api/v1/programs/riverside/measures?{WINDOW}&counts=raw").json())[
        "nqf_3175"
    ]
    assert nqf["denominator"] == 2
    assert nqf["excluded"] == {}


def _admin(world: World) -> Client:
    return sign_in(Client(), world.staff["program_admin"])


def _measures(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {m["code"]: m for m in body["measures"]}


@time_machine.travel(NOW, tick=False)
def test_the_director_sees_measures_computed_from_the_records(records: World) -> None:
    client = _admin(records)
    before = AuditEvent.objects.count()
    response = client.get(f"/api/v1/programs/riverside/measures?{WINDOW}&counts=raw")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["program"], body["as_of"], body["people"]) == ("riverside", "2026-11-25", 2)
    m = _measures(body)
    # Retention: both started in the window; Alice lasted 200 days, Bob 40.
    assert (m["retention_30"]["numerator"], m["retention_30"]["denominator"]) == (2, 2)
    assert (m["retention_90"]["numerator"], m["retention_90"]["denominator"]) == (1, 2)
    assert (m["retention_180"]["numerator"], m["retention_180"]["denominator"]) == (1, 2)
    assert m["retention_180"]["value"] == 50.0
    # NQF 3175: Bob has no OUD diagnosis on record (his DSM-5 found none), so only Alice counts.
    nqf = m["nqf_3175"]
    assert (nqf["numerator"], nqf["denominator"], nqf["value"]) == (1, 1, 100.0)
    assert nqf["excluded"] == {"no OUD diagnosis on record": 1}
    assert nqf["params"]["max_gap"] == 7
    assert "3175" in nqf["version"]
    assert nqf["sources"] == ["nqf-3175"]
    # Intake to first dose: both admitted Jan 5; Alice's first dose Jan 6 (1 day), Bob's Mar 1 (55 days).
    assert m["intake_to_first_dose"]["value"] == 28.0
    # Naloxone: both in care today; Alice has a kit.
    assert (m["naloxone_coverage"]["numerator"], m["naloxone_coverage"]["denominator"]) == (1, 2)
    # January's cohort is Alice; March's is Bob.
    series = {p["month"]: p for p in m["retention_90"]["series"]}
    assert (series["2026-01"]["numerator"], series["2026-03"]["denominator"]) == (1, 1)
    # One audit row for the read, naming the program, no patient.
    rows = list(AuditEvent.objects.filter(pk__gt=0).order_by("-id")[: AuditEvent.objects.count() - before])
    assert [(r.action, r.outcome, r.target_type, r.patient_id) for r in rows] == [
        ("read", "success", "program_measures", None)
    ]
    assert rows[0].program_id == records.riverside.pk
    assert rows[0].detail["max_gap"] == 7


@time_machine.travel(NOW, tick=False)
def test_the_gap_is_a_parameter(records: World) -> None:
    """With no gap allowed, Alice's 5 missed days end her first episode at day 100: no longer 180 days."""
    body = _admin(records).get(f"/api/v1/programs/riverside/measures?{WINDOW}&max_gap=0&counts=raw").json()
    m = _measures(body)["retention_180"]
    assert (m["numerator"], m["denominator"], m["params"]["max_gap"]) == (0, 2, 0)
    body = _admin(records).get(f"/api/v1/programs/riverside/measures?{WINDOW}&max_gap=5&counts=raw").json()
    assert _measures(body)["retention_180"]["numerator"] == 1


@time_machine.travel(NOW, tick=False)
def test_the_page_shows_each_measure_with_a_plot_and_a_csv_link(records: World) -> None:
    response = _admin(records).get(f"/program/measures/?{WINDOW}")
    assert response.status_code == 200
    html = response.content.decode()
    for title in (
        "Retention at 30 days",
        "Retention at 180 days",
        "NQF 3175",
        "Days from intake to first dose",
        "Naloxone coverage",
    ):
        assert title in html
    assert html.count("<svg") == 6
    assert html.count('class="bar"') > 0
    assert "50.0%" in html
    assert "28.0 days (median)" in html
    assert "/program/measures/nqf_3175.csv?start=2026-01-01&amp;end=2026-11-25&amp;max_gap=7" in html
    assert "Alicia" not in html and "RR-0001" not in html  # no one is named
    assert 'href="/program/measures/"' in _admin(records).get("/patients/").content.decode()  # in the nav


@time_machine.travel(NOW, tick=False)
def test_the_csv_export_is_the_plotted_series_and_is_audited_as_an_export(records: World) -> None:
    response = _admin(records).get(f"/program/measures/retention_90.csv?{WINDOW}&counts=raw")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert (
        response["Content-Disposition"]
        == 'attachment; filename="riverside-retention_90-2026-01-01-2026-11-25.csv"'
    )
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["month", "numerator", "denominator", "pending", "percent", "median_days"]
    assert [r[0] for r in rows[1:12]] == [f"2026-{m:02d}" for m in range(1, 12)]
    assert rows[1] == ["2026-01", "1", "1", "0", "100.0", ""]
    assert rows[3] == ["2026-03", "0", "1", "0", "0.0", ""]
    last = AuditEvent.objects.order_by("-id").first()
    assert last is not None
    assert (last.action, last.target_type, last.detail["measure"]) == (
        "export",
        "program_measures",
        "retention_90",
    )
    assert last.detail["raw_counts"] is True


@time_machine.travel(NOW, tick=False)
def test_the_csv_suppresses_small_counts_and_carries_the_definition_and_as_of(records: World) -> None:
    response = _admin(records).get(f"/program/measures/retention_90.csv?{WINDOW}")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[1] == ["2026-01", "<11", "<11", "0", "<11", ""]
    assert rows[3] == ["2026-03", "<11", "<11", "0", "<11", ""]  # 0 of 1: the 1 not met is derivable
    facts = {r[0]: r[1] for r in rows[13:] if len(r) == 2}
    assert facts["as_of"] == "2026-11-25"
    assert "max_gap=7" in facts["parameters"]
    assert facts["definition"]
    assert "CMS cell-size suppression" in facts["small_counts"]
    last = AuditEvent.objects.order_by("-id").first()
    assert last is not None
    assert "raw_counts" not in last.detail


def test_suppression_hides_a_small_complement_too() -> None:
    from keel.core.measures.program import Measure, Point

    m = Measure(
        code="x",
        title="x",
        version="v",
        unit="percent",
        numerator=15,
        denominator=20,
        pending=0,
        value=75.0,
        series=(Point("2026-01", 15, 20, 0),),
        excluded={"no OUD diagnosis on record": 3},
        params={},
        sources=(),
        definition="d",
    )
    rows = queries.csv_rows(m)
    assert rows[1] == ["2026-01", "<11", "20", "0", "<11", ""]  # 5 who did not meet: derivable, so hidden
    assert "no OUD diagnosis on record: <11" in dict((r[0], r[1]) for r in rows if len(r) == 2)["left_out"]


@time_machine.travel(NOW, tick=False)
def test_bad_windows_are_named(records: World) -> None:
    client = _admin(records)
    response = client.get("/api/v1/programs/riverside/measures?start=2026-02-30&max_gap=-1")
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"start", "max_gap"}
    response = client.get("/api/v1/programs/riverside/measures?end=2026-12-01")
    assert response.json()["errors"] == [{"field": "end", "reason": "cannot be after today (2026-11-25)"}]
    response = client.get("/api/v1/programs/riverside/measures?start=2026-06-01&end=2026-05-01")
    assert response.json()["errors"][0]["field"] == "start"
    response = client.get("/api/v1/programs/riverside/measures?start=2023-01-01")
    assert "at most 36 months" in response.json()["errors"][0]["reason"]
    page = client.get("/program/measures/?start=yesterday")
    assert page.status_code == 422
    assert "must be a date like 2026-01-31" in page.content.decode()
    assert client.get("/program/measures/nope.csv").status_code == 422
    assert client.get("/api/v1/programs/lakeside/measures").status_code == 422  # not one of theirs


@time_machine.travel(NOW, tick=False)
def test_only_a_program_admin_sees_them_and_a_refusal_is_audited(records: World) -> None:
    for role in ("nurse", "prescriber", "counselor", "auditor"):
        client = sign_in(Client(), records.staff[role])
        assert client.get("/program/measures/").status_code == 403
        assert client.get("/api/v1/programs/riverside/measures").status_code == 403
        last = AuditEvent.objects.order_by("-id").first()
        assert last is not None
        assert (last.outcome, last.target_type) == ("denied", "program_measures")


@time_machine.travel(NOW, tick=False)
def test_reads_are_set_based(records: World) -> None:
    """The same number of queries for 2 people as for 30."""

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            queries.report(records.staff["program_admin"], program_slug=None, raw={})
        return len(ctx.captured_queries)

    few = count()
    for i in range(28):
        from tests.conftest import _make_patient

        p = _make_patient(records.riverside, f"RR-9{i:03d}", "Synthetic", "Person", f"synthetic{i}")
        _doses(p, records.staff["nurse"], date(2026, 2, 1), 30)
    assert count() == few


@time_machine.travel(NOW, tick=False)
def test_the_cli_reports_and_refuses(records: World) -> None:
    code, out, _ = _keel(
        ["measures", "--program", "riverside", "--by", "r-program_admin", "--start", "2026-01-01"]
    )
    assert code == 0 and "Retention at 180 days: <11 (<11 of <11)" in out  # small counts hidden
    code, out, _ = _keel(
        [
            "measures",
            "--program",
            "riverside",
            "--by",
            "r-program_admin",
            "--counts",
            "raw",
            "--start",
            "2026-01-01",
        ]
    )
    assert code == 0
    assert "Retention at 180 days: 50.0% (1 of 2)" in out
    last = AuditEvent.objects.order_by("-id").first()
    assert last is not None
    assert last.detail["raw_counts"] is True
    code, out, _ = _keel(["measures", "--program", "riverside", "--by", "r-program_admin", "--json"])
    assert code == 0
    assert json.loads(out)["program"] == "riverside"
    code, out, _ = _keel(
        ["measures", "--program", "riverside", "--by", "r-program_admin", "--csv", "naloxone_coverage"]
    )
    assert code == 0
    assert out.splitlines()[0].startswith("month,numerator")
    code, _, err = _keel(["measures", "--program", "riverside", "--by", "r-nurse"])
    assert code == 2
    assert "only a program admin" in err
    code, _, err = _keel(["measures", "--program", "riverside", "--by", "r-program_admin", "--max-gap", "x"])
    assert code == 2
    assert "max_gap: must be a whole number" in err


@time_machine.travel(NOW, tick=False)
def test_the_demo_gives_the_director_something_to_read(db: Any) -> None:
    demo.load(patients_per_program=6, seed=11)
    doses = DoseRecord.objects.count()
    demo.load(patients_per_program=6, seed=11)
    assert DoseRecord.objects.count() == doses  # loading again adds nothing
    from keel.accounts.models import User

    result = queries.report(User.objects.get(username="riverside.admin"), program_slug="riverside", raw={})
    by_code = {m.code: m for m in result.measures}
    assert by_code["retention_30"].denominator + by_code["retention_30"].pending > 0
    assert by_code["nqf_3175"].denominator + by_code["nqf_3175"].pending > 0
    assert by_code["naloxone_coverage"].denominator > 0
    # The current methadone orders still start where they did, so the dosing window is unchanged.
    assert MedicationOrder.objects.filter(status="active").exclude(supersedes=None).exists()


# --- review of issue #15: complementary suppression; the API suppresses like the CSV ----------------------


def _intake(*points: Any) -> Any:
    from keel.core.measures.program import NEVER_STARTED, Measure

    never = sum(p.denominator - p.numerator - p.pending for p in points)
    return Measure(
        code="intake_to_first_dose",
        title="x",
        version="v",
        unit="days",
        numerator=sum(p.numerator for p in points),
        denominator=sum(p.denominator for p in points),
        pending=sum(p.pending for p in points),
        value=3.0,
        series=points,
        excluded={NEVER_STARTED: never} if never else {},
        params={},
        sources=(),
        definition="d",
    )


def test_an_intake_row_never_gives_away_a_small_never_started_count() -> None:
    from keel.core.measures.program import Point

    rows = queries.csv_rows(_intake(Point("2026-01", 12, 15, 0, median_days=3.0)))
    month = rows[1]
    # 12 started, 0 waiting, 15 admitted: the 3 who never started would follow; one more cell is hidden
    assert month[1:4].count("<11") >= 1
    known = [int(c) for c in month[1:4] if c != "<11"]
    assert len(known) < 3


def test_the_never_started_total_is_hidden_when_a_month_of_it_is() -> None:
    from keel.core.measures.program import Point

    m = _intake(Point("2026-01", 12, 15, 0, median_days=3.0), Point("2026-02", 20, 40, 0, median_days=2.0))
    left_out = dict((r[0], r[1]) for r in queries.csv_rows(m) if len(r) == 2)["left_out"]
    assert left_out.endswith(": <11")  # 23 in all, 20 of them in February: January's 3 would follow


def test_an_intake_row_with_nothing_small_is_shown_whole() -> None:
    from keel.core.measures.program import Point

    rows = queries.csv_rows(_intake(Point("2026-01", 30, 45, 0, median_days=3.0)))
    assert rows[1] == ["2026-01", "30", "45", "0", "66.7", "3"]


@time_machine.travel(NOW, tick=False)
def test_the_api_suppresses_small_counts(records: World) -> None:
    body = _admin(records).get(f"/api/v1/programs/riverside/measures?{WINDOW}").json()
    m = _measures(body)
    assert m["retention_90"]["numerator"] == "<11"
    assert m["retention_90"]["denominator"] == "<11"
    assert m["retention_90"]["value"] == "<11"
    assert {p["month"]: p["numerator"] for p in m["retention_90"]["series"]}["2026-01"] == "<11"
    assert m["nqf_3175"]["excluded"] == {"no OUD diagnosis on record": "<11"}
    assert body["people"] == "<11"
    last = AuditEvent.objects.order_by("-id").first()
    assert last is not None
    assert "raw_counts" not in last.detail


@time_machine.travel(NOW, tick=False)
def test_the_api_gives_raw_counts_only_when_asked_and_audits_it(records: World) -> None:
    body = _admin(records).get(f"/api/v1/programs/riverside/measures?{WINDOW}&counts=raw").json()
    assert _measures(body)["retention_90"]["numerator"] == 1
    last = AuditEvent.objects.order_by("-id").first()
    assert last is not None
    assert last.detail["raw_counts"] is True


@time_machine.travel(NOW, tick=False)
def test_the_api_names_a_bad_counts_choice_and_refuses_other_roles_raw_counts(records: World) -> None:
    response = _admin(records).get(f"/api/v1/programs/riverside/measures?{WINDOW}&counts=all")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "counts"
    nurse = sign_in(Client(), records.staff["nurse"])
    assert nurse.get("/api/v1/programs/riverside/measures?counts=raw").status_code == 403
