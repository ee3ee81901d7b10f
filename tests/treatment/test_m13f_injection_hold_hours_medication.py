"""Lane fix13f (review 13f round 6): a due XR-naltrexone injection after opioid use since the last one is
a first injection again (its readiness, with the switching guidance); a hold today stops the injection; an
hours override opens the window for its own medication only; a dose posted with a medication the window does
not give is refused, nothing recorded (page and API). One fact per test, attacked with another medication,
another day, the API and the page."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.test import Client

from keel.accounts.models import Program
from keel.audit.models import AuditEvent
from keel.patients.models import FlagKind, PatientFlag
from keel.treatment import services
from keel.treatment.models import DoseOverride, DoseRecord, DoseStatus
from tests.conftest import sign_in
from tests.review13d.common import amend, at, dose, intake, order, override, report

pytestmark = pytest.mark.django_db
D = date(2026, 11, 2)  # the first injection
DUE = D + timedelta(days=28)  # the next one, due
NOTE = "Assessed at 10:40: alert, pupils normal, breath alcohol zero, gait steady"


def given_here(world: Any, the_order: Any, day: date, mg: str, hour: int = 9) -> DoseRecord:
    """An observed dose on an earlier day, written as a row (its own guards are not what is tested)."""
    return DoseRecord.objects.create(
        patient=world.alice,
        order=the_order,
        medication=the_order.medication,
        local_date=day,
        sequence=1,
        status=DoseStatus.GIVEN,
        amount_mg=Decimal(mg),
        treatment_day=1,
        decision={},
        recorded_by=world.staff["nurse"],
        recorded_at=at(day, hour),
    )


def inject(world: Any, when: datetime, site: str = "right_gluteal") -> Any:
    with time_machine.travel(when, tick=False):
        return services.record_injection(
            by=world.staff["nurse"], patient_id=world.alice.pk, site=site, now=when
        )


def on_naltrexone(world: Any) -> None:
    """Opioid-free 20 days (heroin), then the first injection on D (left side)."""
    intake(world, at(D, 8), heroin=at(D - timedelta(days=20), 8))
    order(world, "naltrexone_xr", "380", at(D, 8))
    first = inject(world, at(D, 9), site="left_gluteal")
    assert first.decision.decision == "eligible"


def injected_on(day: date) -> bool:
    return DoseRecord.objects.filter(medication="naltrexone_xr", local_date=day).exists()


def client_for(world: Any, role: str) -> Client:
    return sign_in(Client(), world.staff[role])


# --- 1. Opioid use since the last injection: the first injection's readiness again --------------------------


def test_nothing_used_since_the_due_injection_is_the_next_of_the_course(world: Any) -> None:
    on_naltrexone(world)
    assert inject(world, at(DUE, 10)).decision.decision == "repeat"


def test_buprenorphine_given_here_since_the_last_injection_stops_the_due_one(world: Any) -> None:
    on_naltrexone(world)
    bup = order(world, "buprenorphine", "8", at(D + timedelta(days=20), 8))
    for i in range(21, 28):
        given_here(world, bup, D + timedelta(days=i), "8")
    with pytest.raises(services.DoseBlocked) as info:
        inject(world, at(DUE, 10))
    assert info.value.decision.decision == "not_eligible"
    assert info.value.decision.details["switching_from"] == ["buprenorphine"]
    assert not injected_on(DUE)


def test_buprenorphine_filled_since_applies_the_switching_guidance(world: Any) -> None:
    """A pharmacy fill since the last injection whose supply ended 12 days ago: the label's switching
    guidance (a caution, its source named), never a plain 'next injection'."""
    on_naltrexone(world)
    bup = order(world, "buprenorphine", "8", at(D + timedelta(days=8), 8))
    with time_machine.travel(at(D + timedelta(days=10), 10), tick=False):
        services.record_fill(
            by=world.staff["nurse"],
            patient_id=world.alice.pk,
            order_id=bup.pk,
            filled_on=(D + timedelta(days=10)).isoformat(),
            days_supply=6,
            source="pharmacy",
            now=at(D + timedelta(days=10), 10),
        )
    outcome = inject(world, at(DUE, 10))
    assert outcome.decision.decision == "caution"
    assert "vivitrol-label-switching" in outcome.decision.sources


def test_heroin_reported_three_days_ago_stops_the_due_injection(world: Any) -> None:
    on_naltrexone(world)
    report(world, at(DUE, 8), heroin=at(DUE - timedelta(days=3), 22))
    with pytest.raises(services.DoseBlocked) as info:
        inject(world, at(DUE, 10))
    assert info.value.decision.decision == "not_eligible"
    assert not injected_on(DUE)


def test_heroin_used_since_but_opioid_free_ten_days_is_readiness_eligible(world: Any) -> None:
    """Another day: use since the last injection, then 10 days opioid-free: the readiness verdict decides
    (eligible), not the course's 'repeat'."""
    on_naltrexone(world)
    report(world, at(DUE, 8), heroin=at(DUE - timedelta(days=10), 22))
    assert inject(world, at(DUE, 10)).decision.decision == "eligible"


def test_a_use_before_the_last_injection_reported_later_is_not_a_use_since(world: Any) -> None:
    on_naltrexone(world)
    report(world, at(D + timedelta(days=5), 10), heroin=at(D - timedelta(days=20), 8))
    assert inject(world, at(DUE, 10)).decision.decision == "repeat"


def test_a_voided_methadone_dose_since_is_not_a_use(world: Any) -> None:
    on_naltrexone(world)
    methadone = order(world, "methadone", "30", at(D + timedelta(days=10), 8))
    wrong = given_here(world, methadone, D + timedelta(days=11), "30")
    amend(world, wrong.pk, at(D + timedelta(days=11), 10), void=True)
    assert inject(world, at(DUE, 10)).decision.decision == "repeat"


def test_methadone_since_the_last_injection_is_a_409_on_the_api(world: Any) -> None:
    on_naltrexone(world)
    methadone = order(world, "methadone", "40", at(D + timedelta(days=14), 8))
    for i in range(15, 28):
        given_here(world, methadone, D + timedelta(days=i), "40")
    with time_machine.travel(at(DUE, 10), tick=False):
        response = client_for(world, "nurse").post(
            f"/api/v1/patients/{world.alice.pk}/injections",
            json.dumps({"site": "right_gluteal"}),
            "application/json",
        )
    assert response.status_code == 409, response.content[:300]
    assert response.json()["decision"]["decision"] == "not_eligible"
    assert not injected_on(DUE)


def test_methadone_since_the_last_injection_is_said_on_the_page(world: Any) -> None:
    on_naltrexone(world)
    methadone = order(world, "methadone", "40", at(D + timedelta(days=14), 8))
    for i in range(15, 28):
        given_here(world, methadone, D + timedelta(days=i), "40")
    with time_machine.travel(at(DUE, 10), tick=False):
        response = client_for(world, "nurse").post(
            f"/patients/{world.alice.pk}/injections/", {"site": "right_gluteal"}, follow=True
        )
    text = response.content.decode()
    assert "Not given" in text
    assert "Not yet: not opioid-free long enough" in text
    assert not injected_on(DUE)


# --- 2. A hold today stops the injection --------------------------------------------------------------------


def methadone_with_a_hold(world: Any, day: date) -> Any:
    """A methadone order whose last doses were a month before the first injection (a taper), then a dose held
    on `day` at 09:00 (the person arrived intoxicated)."""
    methadone = order(world, "methadone", "40", at(D - timedelta(days=40), 8))
    for i in range(30, 35):
        given_here(world, methadone, D - timedelta(days=i), "40")
    return dose(world, "", at(day, 9), sedated=True).dose


def test_a_methadone_hold_this_morning_stops_the_injection_and_is_audited(world: Any) -> None:
    on_naltrexone(world)
    methadone_with_a_hold(world, DUE)
    with pytest.raises(services.DoseBlocked) as info:
        inject(world, at(DUE, 10))
    assert info.value.decision.decision == "held_earlier"
    assert not injected_on(DUE)
    assert AuditEvent.objects.filter(
        action="denied", target_type="dose", reason="guard rail: held_earlier"
    ).exists()


def test_a_hold_yesterday_not_released_still_stops_todays_injection(world: Any) -> None:
    """Lane fix33d (review 33c hole 2, the lead's decision): a hold stands until a prescriber releases it,
    past midnight too (this test said the opposite before)."""
    on_naltrexone(world)
    methadone_with_a_hold(world, DUE - timedelta(days=1))
    with pytest.raises(services.DoseBlocked) as info:
        inject(world, at(DUE, 10))
    assert info.value.decision.decision == "held_earlier"


def test_a_hold_yesterday_released_does_not_stop_todays_injection(world: Any) -> None:
    from keel.patients import services as patients

    on_naltrexone(world)
    held = methadone_with_a_hold(world, DUE - timedelta(days=1))
    flag = PatientFlag.objects.get(kind=FlagKind.DOSE_HELD, source_id=held.pk)
    with time_machine.travel(at(DUE - timedelta(days=1), 10, 40), tick=False):
        patients.resolve_flag(
            by=world.staff["prescriber"], patient_id=world.alice.pk, flag_id=flag.pk, note=NOTE
        )
    assert inject(world, at(DUE, 10)).decision.decision == "repeat"


def test_a_hold_a_prescriber_released_lets_the_injection_through(world: Any) -> None:
    from keel.patients import services as patients

    on_naltrexone(world)
    held = methadone_with_a_hold(world, DUE)
    flag = PatientFlag.objects.get(kind=FlagKind.DOSE_HELD, source_id=held.pk)
    with time_machine.travel(at(DUE, 10, 40), tick=False):
        patients.resolve_flag(
            by=world.staff["prescriber"], patient_id=world.alice.pk, flag_id=flag.pk, note=NOTE
        )
    assert inject(world, at(DUE, 11)).decision.decision == "repeat"


def test_a_hold_this_morning_is_a_409_on_the_api(world: Any) -> None:
    on_naltrexone(world)
    methadone_with_a_hold(world, DUE)
    with time_machine.travel(at(DUE, 10), tick=False):
        response = client_for(world, "nurse").post(
            f"/api/v1/patients/{world.alice.pk}/injections",
            json.dumps({"site": "right_gluteal"}),
            "application/json",
        )
    assert response.status_code == 409
    assert response.json()["decision"]["decision"] == "held_earlier"
    assert not injected_on(DUE)


def test_a_hold_this_morning_is_said_on_the_page_in_spanish(world: Any) -> None:
    on_naltrexone(world)
    methadone_with_a_hold(world, DUE)
    with time_machine.travel(at(DUE, 10), tick=False):
        client = client_for(world, "nurse")
        client.cookies["django_language"] = "es"
        response = client.post(
            f"/patients/{world.alice.pk}/injections/",
            {"site": "right_gluteal"},
            follow=True,
            HTTP_ACCEPT_LANGUAGE="es",
        )
    text = response.content.decode()
    assert "Not given: a hold stands until a prescriber releases it" not in text
    assert "held_earlier" not in text
    assert "No dose until a prescriber" not in text
    assert not injected_on(DUE)


# --- 3. An hours override is for its own medication --------------------------------------------------------


@pytest.fixture
def both(world: Any) -> Any:
    """Riverside doses 07:00-14:00; Alice on methadone 40 mg and buprenorphine 8 mg (a switch in progress)."""
    Program.objects.filter(pk=world.riverside.pk).update(dosing_opens=time(7, 0), dosing_closes=time(14, 0))
    methadone = order(world, "methadone", "40", at(D - timedelta(days=20), 8))
    bup = order(world, "buprenorphine", "8", at(D - timedelta(days=20), 8))
    for i in range(1, 11):
        given_here(world, methadone, D - timedelta(days=i), "40")
        given_here(world, bup, D - timedelta(days=i), "8", hour=10)
    return world


def blocked(world: Any, mg: str, when: datetime, medication: str) -> str:
    with pytest.raises(services.DoseBlocked) as info:
        dose(world, mg, when, medication=medication)
    return info.value.decision.decision


def test_a_buprenorphine_hours_override_lets_the_buprenorphine_dose_through(both: Any) -> None:
    override(both, at(D, 15, 30), medication="buprenorphine", kind="hours")
    assert dose(both, "8", at(D, 16), medication="buprenorphine").dose.status == "given"
    assert blocked(both, "40", at(D, 16), "methadone") == "needs_override"


def test_a_methadone_hours_override_does_not_open_the_window_for_buprenorphine(both: Any) -> None:
    override(both, at(D, 15, 30), medication="methadone", kind="hours")
    assert dose(both, "40", at(D, 16)).dose.status == "given"
    assert blocked(both, "8", at(D, 16), "buprenorphine") == "needs_override"


def test_yesterdays_methadone_hours_override_does_not_open_today(both: Any) -> None:
    override(both, at(D - timedelta(days=1), 15, 30), medication="methadone", kind="hours")
    assert blocked(both, "40", at(D, 16), "methadone") == "needs_override"


def test_a_buprenorphine_hours_override_from_the_api_does_not_pass_methadone(both: Any) -> None:
    with time_machine.travel(at(D, 15, 30), tick=False):
        written = client_for(both, "prescriber").post(
            f"/api/v1/patients/{both.alice.pk}/dose-overrides",
            json.dumps({"kind": "hours", "medication": "buprenorphine", "reason": NOTE}),
            "application/json",
        )
    assert written.status_code == 201, written.content[:300]
    with time_machine.travel(at(D, 16), tick=False):
        response = client_for(both, "nurse").post(
            f"/api/v1/patients/{both.alice.pk}/doses",
            json.dumps({"amount_mg": "40", "sequence": 1, "medication": "methadone"}),
            "application/json",
        )
    assert response.status_code == 409
    assert response.json()["decision"]["decision"] == "needs_override"
    assert not DoseRecord.objects.filter(local_date=D).exists()


def test_the_medication_page_writes_the_hours_override_for_the_medication_chosen(both: Any) -> None:
    with time_machine.travel(at(D, 15, 30), tick=False):
        client_for(both, "prescriber").post(
            f"/patients/{both.alice.pk}/medication/dose-overrides/",
            {"kind": "hours", "medication": "buprenorphine", "reason": NOTE},
        )
    assert DoseOverride.objects.get(patient=both.alice).medication == "buprenorphine"
    assert dose(both, "8", at(D, 16), medication="buprenorphine").dose.status == "given"
    assert blocked(both, "40", at(D, 16), "methadone") == "needs_override"


# --- 4. A medication the window does not give: refused, nothing recorded ------------------------------------


@pytest.fixture
def on_both(world: Any) -> Any:
    methadone = order(world, "methadone", "40", at(D - timedelta(days=20), 8))
    bup = order(world, "buprenorphine", "8", at(D - timedelta(days=20), 8))
    for i in range(1, 11):
        given_here(world, methadone, D - timedelta(days=i), "40")
        given_here(world, bup, D - timedelta(days=i), "8", hour=10)
    return world


REFUSAL = "sent for a medication the window does not give"


def test_the_page_with_htmx_refuses_a_capitalised_medication_and_says_so_on_the_list(on_both: Any) -> None:
    with time_machine.travel(at(D, 9), tick=False):
        client = client_for(on_both, "nurse")
        response = client.post(
            f"/dosing/{on_both.alice.pk}/",
            {"sequence": "1", "medication": "Methadone", "amount_mg": "40"},
            HTTP_HX_REQUEST="true",
        )
        assert response.status_code == 204
        assert response["HX-Redirect"] == "/dosing/"
        page = client.get("/dosing/").content.decode()
    assert REFUSAL in page
    assert not DoseRecord.objects.filter(local_date=D).exists()


def test_the_page_without_htmx_refuses_an_injection_posted_at_the_window(on_both: Any) -> None:
    order(on_both, "naltrexone_xr", "380", at(D, 8))
    with time_machine.travel(at(D, 9), tick=False):
        response = client_for(on_both, "nurse").post(
            f"/dosing/{on_both.alice.pk}/",
            {"sequence": "1", "medication": "naltrexone_xr", "amount_mg": "380"},
            follow=True,
        )
    assert REFUSAL in response.content.decode()
    assert not DoseRecord.objects.filter(local_date=D).exists()


def test_the_page_refuses_a_blank_medication_in_spanish(on_both: Any) -> None:
    with time_machine.travel(at(D, 9), tick=False):
        client = client_for(on_both, "nurse")
        client.cookies["django_language"] = "es"
        response = client.post(
            f"/dosing/{on_both.alice.pk}/",
            {"sequence": "1", "medication": "", "amount_mg": "40"},
            follow=True,
            HTTP_ACCEPT_LANGUAGE="es",
        )
    text = response.content.decode()
    assert REFUSAL not in text
    assert "ventanilla" in text
    assert not DoseRecord.objects.filter(local_date=D).exists()


def test_the_page_keeps_a_post_without_medication_as_methadone(on_both: Any) -> None:
    """Older forms (and tests) send no medication field: still methadone, as before. At 11:00: yesterday's
    buprenorphine (10:00) is more than the default `switch_hours` (24) before (review 22m: a second agonist
    in hours)."""
    with time_machine.travel(at(D, 11), tick=False):
        client_for(on_both, "nurse").post(
            f"/dosing/{on_both.alice.pk}/", {"sequence": "1", "amount_mg": "40"}, HTTP_HX_REQUEST="true"
        )
    assert DoseRecord.objects.get(local_date=D).medication == "methadone"


def test_the_buprenorphine_row_still_records_buprenorphine(on_both: Any) -> None:
    with time_machine.travel(at(D, 9), tick=False):
        response = client_for(on_both, "nurse").post(
            f"/dosing/{on_both.alice.pk}/",
            {"sequence": "1", "medication": "buprenorphine", "amount_mg": "8"},
            HTTP_HX_REQUEST="true",
        )
    assert response.status_code == 200
    assert DoseRecord.objects.get(local_date=D).medication == "buprenorphine"


@pytest.mark.parametrize("medication", ["Buprenorphine", "METHADONE", "methadone ", "naltrexone_xr", ""])
def test_the_api_refuses_a_medication_the_window_does_not_give_naming_it(
    on_both: Any, medication: str
) -> None:
    with time_machine.travel(at(D, 9), tick=False):
        response = client_for(on_both, "nurse").post(
            f"/api/v1/patients/{on_both.alice.pk}/doses",
            json.dumps({"amount_mg": "8", "sequence": 1, "medication": medication}),
            "application/json",
        )
    assert response.status_code == 422, response.content[:300]
    assert [e["field"] for e in response.json()["errors"]] == ["medication"]
    assert not DoseRecord.objects.filter(local_date=D).exists()


def test_an_outsider_posting_an_unknown_medication_still_gets_the_404(on_both: Any) -> None:
    with time_machine.travel(at(D, 9), tick=False):
        response = sign_in(Client(), on_both.lakeside_nurse).post(
            f"/api/v1/patients/{on_both.alice.pk}/doses",
            json.dumps({"amount_mg": "8", "sequence": 1, "medication": "Buprenorphine"}),
            "application/json",
        )
    assert response.status_code == 404
