"""Journey 3's records: intake (structured, validated, append-only) with the overdose-risk summary and the
naloxone prompt, buprenorphine readiness from the intake and the latest COWS with the program policy,
buprenorphine doses against the day-1/day-2 limits with overrides, the care plan, and XR-naltrexone."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.test import Client

from keel.assessments.services import submit_assessment
from keel.core import intake as core_intake
from keel.core.rules.inputs import InvalidInput
from keel.treatment import queries, services
from keel.treatment.models import Intake
from keel.treatment.schemas import IntakeIn
from tests.conftest import World, sign_in

pytestmark = pytest.mark.django_db
NOON = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)
COWS_15 = {
    "pulse": 2,
    "sweating": 1,
    "restlessness": 3,
    "pupils": 1,
    "aches": 2,
    "nose_eyes": 2,
    "gi_upset": 0,
    "tremor": 1,
    "yawning": 1,
    "anxiety": 2,
    "gooseflesh": 0,
}


def intake_body(hours_ago: float, opioid: str = "heroin", **extra: Any) -> dict[str, Any]:
    last = (NOON - timedelta(hours=hours_ago)).isoformat()
    return {
        "opioids": [{"opioid": opioid, "routes": ["inject"], "last_use_at": last}],
        "pregnant": "no",
        **extra,
    }


def test_the_core_names_every_bad_intake_field() -> None:
    with pytest.raises(InvalidInput) as exc:
        core_intake.parse_intake(
            {
                "opioids": [
                    {"opioid": "kratom"},
                    {"opioid": "heroin", "last_use_at": "yesterday"},
                    {"opioid": "fentanyl", "last_use_at": "2026-11-25T06:00"},
                ],
                "pregnant": "maybe",
                "prior_overdoses": -1,
            },
            NOON,
        )
    fields = {e.field for e in exc.value.errors}
    assert fields == {
        "opioids[0].opioid",
        "opioids[1].last_use_at",
        "opioids[2].last_use_at",
        "pregnant",
        "prior_overdoses",
    }


def test_every_opioid_on_an_intake_keeps_its_own_time_of_last_use() -> None:
    same = NOON.isoformat()
    intake = {
        "opioids": [
            {"opioid": "heroin", "last_use_at": same},
            {"opioid": "methadone", "last_use_at": (NOON - timedelta(days=2)).isoformat()},
            {"opioid": "fentanyl"},
        ]
    }
    assert core_intake.last_use_times(intake) == {
        "heroin": NOON,
        "methadone": NOON - timedelta(days=2),
        "fentanyl": None,
    }


def record_intake(world: World, body: dict[str, Any]) -> Any:
    client = sign_in(Client(), world.staff["counselor"])
    return client.post(
        f"/api/v1/patients/{world.alice.pk}/intakes", json.dumps(body), content_type="application/json"
    )


def test_an_intake_is_stored_append_only_with_its_overdose_risk(world: World) -> None:
    first = record_intake(world, intake_body(14, prior_overdoses=1, other_substances=["benzodiazepines"]))
    assert first.status_code == 201
    risk = first.json()["overdose_risk"]
    assert risk["decision"] == "offer_naloxone"
    assert risk["details"]["factors_present"] >= 3
    record_intake(world, intake_body(10))
    assert Intake.objects.filter(patient=world.alice).count() == 2  # a new row, the old one kept
    bad = record_intake(world, {"pregnant": "maybe"})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "pregnant"
    peer = sign_in(Client(), world.staff["peer_specialist"])
    assert (
        peer.post(
            f"/api/v1/patients/{world.alice.pk}/intakes", "{}", content_type="application/json"
        ).status_code
        == 404
    )


def cows(world: World, when: datetime) -> None:
    with time_machine.travel(when, tick=False):
        submit_assessment(
            by=world.staff["nurse"], patient_id=world.alice.pk, instrument="cows", answers=COWS_15
        )


@pytest.mark.parametrize(
    ("opioid", "hours", "expected"),
    [("heroin", 14, "ready"), ("heroin", 12, "ready"), ("heroin", 11.9, "wait"), ("methadone", 48, "wait")],
)
def test_readiness_from_the_intake_and_the_latest_cows(
    world: World, opioid: str, hours: float, expected: str
) -> None:
    with time_machine.travel(NOON - timedelta(hours=1), tick=False):
        services.record_intake(
            by=world.staff["counselor"],
            patient_id=world.alice.pk,
            data=IntakeIn.posted(intake_body(hours, opioid)),
        )
    cows(world, NOON)
    with time_machine.travel(NOON, tick=False):
        view = queries.start_view(world.staff["prescriber"], patient_id=world.alice.pk)
    assert view.readiness is not None, view.readiness.as_dict()
    assert view.readiness.decision == expected, view.readiness.as_dict()
    assert view.overdose is not None
    assert view.overdose.decision == "offer_naloxone"


def test_readiness_says_what_it_still_needs(world: World) -> None:
    view = queries.start_view(world.staff["prescriber"], patient_id=world.alice.pk)
    assert view.readiness is None
    assert view.missing == ("last_use", "cows")


def test_a_stricter_program_cows_threshold_changes_the_verdict(world: World) -> None:
    from keel.treatment.services.policy import set_value

    with time_machine.travel(NOON, tick=False):
        services.record_intake(
            by=world.staff["counselor"], patient_id=world.alice.pk, data=IntakeIn.posted(intake_body(14))
        )
    cows(world, NOON)
    set_value(
        by=world.staff["program_admin"],
        program_slug="riverside",
        rule="buprenorphine-readiness",
        field="cows_threshold",
        value=16,
        reason="fentanyl in our supply",
    )
    with time_machine.travel(NOON, tick=False):
        assert (
            queries.start_view(world.staff["prescriber"], patient_id=world.alice.pk).readiness.decision
            == "wait"
        )  # type: ignore[union-attr]


def bup(world: World, mg: str, day: int = 0, role: str = "nurse", hours: int = 0) -> services.DoseOutcome:
    with time_machine.travel(NOON + timedelta(days=day, hours=hours), tick=False):
        return services.record_dose(
            by=world.staff[role], patient_id=world.alice.pk, medication="buprenorphine", amount_mg=mg
        )


def rx(world: World, mg: str, day: int = 0) -> None:
    """A new buprenorphine order of `mg` (the dose given follows the active order)."""
    with time_machine.travel(NOON + timedelta(days=day, hours=-1), tick=False):
        services.prescribe(
            by=world.staff["prescriber"], patient_id=world.alice.pk, medication="buprenorphine", dose_mg=mg
        )


def test_buprenorphine_day_limits_and_a_prescribers_override(world: World) -> None:
    services.prescribe(
        by=world.staff["prescriber"], patient_id=world.alice.pk, medication="buprenorphine", dose_mg=4
    )
    with time_machine.travel(NOON, tick=False):  # the first day waits for "ready" or a start override
        services.add_override(  # covering the day's total (lane fix34c: every dose of the first day)
            by=world.staff["prescriber"],
            patient_id=world.alice.pk,
            medication="buprenorphine",
            kind="start",
            max_total_mg=12,
            reason="transfer from another clinic, on 8 mg daily",
        )
    # doses 2 h apart: the re-dose interval (issue #13) stops a second dose sooner
    assert bup(world, "4").decision.decision == "allowed"
    assert bup(world, "4", hours=2).decision.decision == "allowed"  # 8 mg: at the day-1 limit
    with pytest.raises(services.DoseBlocked) as exc:
        bup(world, "4", hours=4)  # 12 mg on day 1
    assert "8 mg limit" in str(exc.value)
    with time_machine.travel(NOON, tick=False):
        services.add_override(
            by=world.staff["prescriber"],
            patient_id=world.alice.pk,
            medication="buprenorphine",
            max_total_mg=12,
            reason="ongoing withdrawal, COWS 14 at 2 h",
        )
    assert bup(world, "4", hours=4).decision.decision == "allowed_with_rationale"
    rx(world, "16", day=1)  # the dose given follows the order: the prescriber writes 16 mg first
    assert bup(world, "16", day=1).decision.decision == "allowed"  # day 2: 16 mg limit
    with pytest.raises(services.DoseBlocked):
        bup(world, "2", day=1, hours=2)
    rx(world, "32", day=2)
    assert bup(world, "32", day=2).decision.decision == "allowed"  # maintenance: no ceiling (correction 1)


def test_naloxone_kits_and_the_patients_care_plan(world: World) -> None:
    with time_machine.travel(NOON, tick=False):
        nurse = sign_in(Client(), world.staff["nurse"])
        kit = nurse.post(
            f"/api/v1/patients/{world.alice.pk}/naloxone-kits",
            json.dumps({"product": "nasal_4mg"}),
            content_type="application/json",
        )
        assert kit.status_code == 201
        bad = nurse.post(
            f"/api/v1/patients/{world.alice.pk}/naloxone-kits",
            json.dumps({"product": "x", "quantity": 0}),
            content_type="application/json",
        )
        assert bad.status_code == 422
        assert {e["field"] for e in bad.json()["errors"]} == {
            "product",
            "quantity",
        }
        goal = {
            "area": "counseling",
            "goal": "Weekly CBT session to plan for Friday nights",
            "responsible_id": world.staff["counselor"].pk,
            "review_on": "2026-12-20",
        }
        counselor = sign_in(Client(), world.staff["counselor"])
        assert (
            counselor.post(
                f"/api/v1/patients/{world.alice.pk}/care-goals",
                json.dumps(goal),
                content_type="application/json",
            ).status_code
            == 201
        )
        outsider = {**goal, "responsible_id": world.lakeside_nurse.pk, "review_on": "2020-01-01"}
        bad = counselor.post(
            f"/api/v1/patients/{world.alice.pk}/care-goals",
            json.dumps(outsider),
            content_type="application/json",
        )
        assert bad.status_code == 422
        assert {e["field"] for e in bad.json()["errors"]} == {
            "responsible",
            "review_on",
        }
        alice = sign_in(Client(), world.alice.user)
        page = alice.get("/me/care-plan/").content.decode()
        plan = alice.get("/api/v1/me/care-plan").json()
    assert "Weekly CBT session" in page
    assert "naloxone kit on" in page
    assert plan["goals"][0]["area"] == "counseling"


@pytest.mark.parametrize("responsible", ["", "abc", "1.5", "99999999999999999999999"])
def test_a_goal_form_naming_nobody_says_so_instead_of_failing(world: World, responsible: str) -> None:
    """Found by the form fuzz test: the page's goal form sends the responsible person as text."""
    counselor = sign_in(Client(), world.staff["counselor"])
    form = {"area": "counseling", "goal": "Plan for Fridays", "review_on": "2099-01-01"}
    path = f"/patients/{world.alice.pk}/start/goals/"
    response = counselor.post(path, {**form, "responsible": responsible})
    assert response.status_code == 422  # the page again, with what was typed and the reason
    assert "choose someone on the care team" in response.content.decode()
    assert 'value="Plan for Fridays"' in response.content.decode()


def test_xr_naltrexone_needs_the_opioid_free_interval_and_alternates_sites(world: World) -> None:
    services.prescribe(
        by=world.staff["prescriber"], patient_id=world.alice.pk, medication="naltrexone_xr", dose_mg=380
    )
    # Heroin 8 days before noon: 5 days ago when the intake is typed (blocked), 8 days at noon (given). Every
    # reported use counts (review 13c), so a second intake contradicting the first is not how time passes.
    with time_machine.travel(NOON - timedelta(days=3), tick=False):
        services.record_intake(
            by=world.staff["counselor"], patient_id=world.alice.pk, data=IntakeIn.posted(intake_body(24 * 8))
        )
        with pytest.raises(services.DoseBlocked) as exc:
            services.record_injection(by=world.staff["nurse"], patient_id=world.alice.pk, site="left_gluteal")
        assert exc.value.decision.decision != "eligible"
    with time_machine.travel(NOON, tick=False):
        first = services.record_injection(
            by=world.staff["nurse"], patient_id=world.alice.pk, site="left_gluteal"
        )
    assert first.decision.details["next_due_on"] == "2026-12-23"
    assert any("tolerance" in r.text for r in first.decision.reasons)
    with time_machine.travel(NOON + timedelta(days=28), tick=False):
        with pytest.raises(InvalidInput) as same_side:
            services.record_injection(by=world.staff["nurse"], patient_id=world.alice.pk, site="left_gluteal")
        assert "alternate" in same_side.value.errors[0].reason
        assert (
            services.record_injection(
                by=world.staff["nurse"], patient_id=world.alice.pk, site="right_gluteal"
            ).dose.site
            == "right_gluteal"
        )


def test_the_start_page_shows_the_journey(world: World) -> None:
    with time_machine.travel(NOON, tick=False):
        services.record_intake(
            by=world.staff["counselor"],
            patient_id=world.alice.pk,
            data=IntakeIn.posted(intake_body(14, prior_overdoses=2)),
        )
        cows(world, NOON)
        client = sign_in(Client(), world.staff["prescriber"])
        page = client.get(f"/patients/{world.alice.pk}/start/").content.decode()
    assert "Buprenorphine readiness" in page
    assert "ready" in page
    assert "No naloxone kit on record: offer one." in page


SOWS = {f"sows_{i}": 1 for i in range(1, 17)}  # total 16


def test_home_start_follows_the_persons_sows_and_the_program_policy(world: World) -> None:
    services.prescribe(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        medication="buprenorphine",
        dose_mg=4,
        home_start=True,
    )
    alice = sign_in(Client(), world.alice.user)
    assert alice.get("/api/v1/me/home-start").json()["needs"] == ["last_use", "sows"]
    last = (datetime.now(UTC) - timedelta(hours=14)).isoformat()
    told = alice.post(
        "/api/v1/me/last-use",
        json.dumps({"opioids": [{"opioid": "heroin", "last_use_at": last}]}),
        content_type="application/json",
    )
    assert told.status_code == 201
    assert alice.get("/api/v1/me/home-start").json()["decision"] is None  # no SOWS yet
    submit_assessment(by=world.alice.user, patient_id=None, instrument="sows", answers=SOWS)
    data = alice.get("/api/v1/me/home-start").json()
    assert data["decision"]["decision"] == "wait"
    assert data["decision"]["policy"]["home_sows_threshold"] == 17
    submit_assessment(by=world.alice.user, patient_id=None, instrument="sows", answers={**SOWS, "sows_16": 2})
    data = alice.get("/api/v1/me/home-start").json()
    assert data["decision"]["decision"] == "start"
    assert data["day1_max_mg"] == 8
    assert data["redose_interval_hours"] == 2
    page = alice.get("/me/home-start/").content.decode()
    assert "You can take your first dose now." in page
    assert "more than 8 mg on your first day of doses" in page


def test_a_low_dose_start_is_the_clinicians_schedule(world: World) -> None:
    steps = [{"day": 1, "mg": 0.5}, {"day": 2, "mg": 1}, {"day": 3, "mg": 2}]
    with time_machine.travel(NOON, tick=False):
        order = services.prescribe(
            by=world.staff["prescriber"],
            patient_id=world.alice.pk,
            medication="buprenorphine",
            dose_mg="0.5",
            schedule=steps,
        )
        bup(world, "0.5")
    bup(world, "1", day=1)
    rows = queries.schedule_rows(order)
    assert [(r["day"], r["planned_mg"], r["given_mg"]) for r in rows] == [
        (1, 0.5, Decimal("0.50")),
        (2, 1.0, Decimal("1.00")),
        (3, 2.0, None),
    ]
    with pytest.raises(InvalidInput) as exc:
        services.prescribe(
            by=world.staff["prescriber"],
            patient_id=world.alice.pk,
            medication="buprenorphine",
            dose_mg=1,
            schedule=[{"day": 2, "mg": 1}, {"day": 1, "mg": 99}],
        )
    assert {e.field for e in exc.value.errors} == {"schedule[1].day"}
    with pytest.raises(InvalidInput):
        services.prescribe(
            by=world.staff["prescriber"],
            patient_id=world.alice.pk,
            medication="methadone",
            dose_mg=30,
            home_start=True,
        )


def test_each_start_page_form_posts_to_its_own_url(world: World) -> None:
    """Issue #17: no hidden field picks the action; the page itself answers only GET (a POST: 405)."""
    with time_machine.travel(NOON, tick=False):
        services.prescribe(
            by=world.staff["prescriber"], patient_id=world.alice.pk, medication="buprenorphine", dose_mg=4
        )
        client = sign_in(Client(), world.staff["prescriber"])
        page = client.get(f"/patients/{world.alice.pk}/start/").content.decode()
        refused = client.post(f"/patients/{world.alice.pk}/start/", {"form": "goal"})
    assert 'name="form"' not in page
    assert refused.status_code == 405
    for part in ("last-use", "doses", "dose-overrides", "goals"):  # naloxone: offered when none is on record
        assert f'action="/patients/{world.alice.pk}/start/{part}/"' in page
