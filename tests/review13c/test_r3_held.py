"""Review 13c, round 3: attacks on the issue #13 guards that the code already withstands (regression tests).
Each docstring gives the ordinary scenario; each test asserts what the clinic relies on."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from keel.assessments.services import NotAllowed
from keel.patients.schemas import DischargeIn
from keel.treatment import services
from keel.treatment.models import DoseRecord
from tests.conftest import sign_in
from tests.review13c.common import at, cows, dose, intake, order, override, report

pytestmark = pytest.mark.django_db
D = date(2026, 11, 16)


def _api(world: Any, role: str, path: str, body: dict[str, Any], when: datetime) -> Any:
    with time_machine.travel(when, tick=False):
        client = sign_in(Client(), world.user(role) if role != "lakeside_nurse" else world.lakeside_nurse)
        return client.post(f"/api/v1/patients/{world.alice.pk}/{path}", json.dumps(body), "application/json")


@pytest.mark.parametrize("typed", ["NaN", "Infinity", "-30", "30.0000001", "thirty", "1e400", "  "])
def test_api_amount_that_is_not_a_dose_is_422_naming_amount_mg(world: Any, typed: str) -> None:
    """A scanner or an EHR bridge sends the amount as text: never recorded, 422 naming amount_mg."""
    order(world, "methadone", "30", at(D, 8))
    response = _api(world, "nurse", "doses", {"amount_mg": typed, "sequence": 1}, at(D, 9))
    assert response.status_code == 422, response.content
    assert "amount_mg" in {e["field"] for e in response.json()["errors"]}
    assert not DoseRecord.objects.exists()


@pytest.mark.parametrize("raw", ['"1e3"', "1e3", "1000.0"])
def test_api_amount_1e3_is_refused_by_the_hard_bound(world: Any, raw: str) -> None:
    """ "1e3" (1000 mg) typed or sent as a JSON number: past the hard bound, refused whatever the override."""
    order(world, "methadone", "30", at(D, 8))
    override(world, at(D, 8, 30), medication="methadone", mg="400")
    with time_machine.travel(at(D, 9), tick=False):
        client = sign_in(Client(), world.staff["nurse"])
        response = client.post(
            f"/api/v1/patients/{world.alice.pk}/doses",
            '{"amount_mg": ' + raw + ', "sequence": 1}',
            "application/json",
        )
    assert response.status_code in (409, 422), response.content
    assert not DoseRecord.objects.exists()


@pytest.mark.parametrize("typed", ["  30 ", "\uff13\uff10"])
def test_padded_or_full_width_30_is_30_mg(world: Any, typed: str) -> None:
    """A pasted amount with spaces or full-width digits (a Japanese IME): read as exactly 30 mg."""
    order(world, "methadone", "30", at(D, 8))
    response = _api(world, "nurse", "doses", {"amount_mg": typed, "sequence": 1}, at(D, 9))
    assert response.status_code == 201, response.content
    assert DoseRecord.objects.get().amount_mg == 30


def test_api_retry_of_the_same_slot_is_409_already_given(world: Any) -> None:
    """The bridge times out and retries the same POST: 409 "already given", one dose."""
    order(world, "methadone", "30", at(D, 8))
    first = _api(world, "nurse", "doses", {"amount_mg": "30", "sequence": 1}, at(D, 9))
    again = _api(world, "nurse", "doses", {"amount_mg": "30", "sequence": 1}, at(D, 9, 1))
    assert (first.status_code, again.status_code) == (201, 409)
    assert "already given" in again.content.decode().lower()
    assert DoseRecord.objects.count() == 1


def test_double_enter_on_the_dosing_row_says_already_given(world: Any) -> None:
    """The nurse presses Enter twice on the same row (the form posted twice): one dose, then "already"."""
    order(world, "methadone", "30", at(D, 8))
    with time_machine.travel(at(D, 9), tick=False):
        client = sign_in(Client(), world.staff["nurse"])
        form = {"amount_mg": "30", "sequence": "1", "medication": "methadone"}
        client.post(f"/dosing/{world.alice.pk}/", form, HTTP_HX_REQUEST="true")
        second = client.post(f"/dosing/{world.alice.pk}/", form, HTTP_HX_REQUEST="true")
    assert "Already given today" in second.content.decode()
    assert DoseRecord.objects.count() == 1


def test_a_methadone_hold_stops_the_buprenorphine_row_and_only_a_prescriber_releases_it(world: Any) -> None:
    """09:00 the person is drowsy: methadone held. 09:20 another nurse doses the buprenorphine row: refused.
    The nurse tries to resolve the hold's flag herself: refused; correcting the held dose to given:
    refused."""
    from keel.patients import services as patients
    from keel.patients.models import PatientFlag

    order(world, "methadone", "30", at(D, 7))
    order(world, "buprenorphine", "4", at(D, 7))
    held = dose(world, "", at(D, 9), sedated=True, sequence=1).dose
    with pytest.raises(services.DoseBlocked):
        dose(world, "4", at(D, 9, 20), medication="buprenorphine", sequence=1)
    flag = PatientFlag.objects.get(kind="dose_held")
    with pytest.raises(patients.FlagNotAllowed):
        patients.resolve_flag(
            by=world.staff["nurse"], patient_id=world.alice.pk, flag_id=flag.pk, note="Looks fine now, alert"
        )
    with time_machine.travel(at(D, 9, 30), tick=False), pytest.raises(services.HeldDoseNotAllowed):
        services.amend_dose(
            by=world.staff["nurse"],
            patient_id=world.alice.pk,
            dose_id=held.pk,
            corrected_mg="30",
            reason="entered as held by mistake",
        )
    with pytest.raises(services.DoseBlocked):
        dose(world, "30", at(D, 10), sequence=2)


def test_methadone_yesterday_makes_todays_first_buprenorphine_wait(world: Any) -> None:
    """Switching from methadone to buprenorphine: methadone given here yesterday 09:00; the intake says
    heroin 3 days ago; COWS 13 this morning. Keel's own methadone dose counts: 24 h < 72 h, not ready."""
    order(world, "methadone", "30", at(D - timedelta(days=1), 7))
    dose(world, "30", at(D - timedelta(days=1), 9), sequence=1)
    intake(world, at(D, 8), heroin=at(D - timedelta(days=3), 9))
    cows(world, at(D, 8, 50))
    order(world, "buprenorphine", "4", at(D, 8, 55))
    with pytest.raises(services.DoseBlocked):
        dose(world, "4", at(D, 9), medication="buprenorphine", sequence=1)


def test_future_last_use_is_refused(world: Any) -> None:
    """A time typed for tomorrow by mistake (wrong date picker): refused, naming the field."""
    with pytest.raises(services.TreatmentInvalid) as exc:
        report(world, at(D, 9), heroin=at(D + timedelta(days=1), 8))
    assert exc.value.errors[0].field == "opioids[0].last_use_at"


def test_yesterdays_late_override_does_not_carry_past_midnight(world: Any) -> None:
    """23:50 a prescriber allows a split dose; at 00:10 the night nurse gives the next: the interval stands
    (two doses 20 minutes apart) and yesterday's override does not apply today."""
    order(world, "methadone", "30", at(D - timedelta(days=3), 7))
    for i in (3, 2):
        dose(world, "30", at(D - timedelta(days=i), 9), sequence=1)
    override(world, at(D - timedelta(days=1), 23, 50), medication="methadone", mg="60")
    dose(world, "30", at(D - timedelta(days=1), 23, 55), sequence=1)
    with pytest.raises(services.DoseBlocked):
        dose(world, "30", at(D, 0, 10), sequence=1)


def test_titration_over_a_take_home_weekend_compares_with_fridays_observed_dose(world: Any) -> None:
    """Observed 40 mg Monday to Friday, Saturday and Sunday bottles; Monday the nurse types 55 (meant 45)."""
    monday = date(2026, 11, 2)
    order(world, "methadone", "40", at(monday, 7))
    override(world, at(monday, 8), medication="methadone", mg="40")
    for i in range(26):  # four weeks observed at 40 mg (day 1 with the prescriber's override)
        dose(world, "40", at(monday + timedelta(days=i), 9), sequence=1)
    friday = monday + timedelta(days=25)
    with time_machine.travel(at(friday, 10), tick=False):
        services.decide_take_home(
            by=world.staff["prescriber"],
            patient_id=world.alice.pk,
            criteria={k: True for k in services.CRITERIA_KEYS},
            bottle_days=[(friday + timedelta(days=1)).isoformat(), (friday + timedelta(days=2)).isoformat()],
            now=at(friday, 10),
        )
    with pytest.raises(services.DoseBlocked) as exc:
        dose(world, "55", at(friday + timedelta(days=3), 9), sequence=1)
    assert "titration step" in str(exc.value), str(exc.value)


def test_first_methadone_dose_of_35_is_over_the_first_dose_limit(world: Any) -> None:
    """Day 1: 35 mg is within the 40 mg day-one total but over the 30 mg first single dose: blocked."""
    order(world, "methadone", "30", at(D, 8))
    with pytest.raises(services.DoseBlocked) as exc:
        dose(world, "35", at(D, 9), sequence=1)
    assert "first-dose limit" in str(exc.value), str(exc.value)


def test_five_missed_days_need_a_prescriber_then_the_first_days_limits(world: Any) -> None:
    """Ten days at 60 mg, five missed, back on Monday: the usual 60 is blocked; a nurse's note cannot lift
    it; with a prescriber's override the re-induction is allowed at the first-dose amount."""
    first = D - timedelta(days=16)
    order(world, "methadone", "60", at(first, 7))
    override(world, at(first, 8), medication="methadone", mg="60")
    for i in range(10):
        dose(world, "60", at(first + timedelta(days=i), 9), sequence=1)
    with pytest.raises(services.DoseBlocked) as exc:
        dose(world, "60", at(D, 9), sequence=1)
    assert exc.value.decision.decision == "needs_reassessment"
    override(world, at(D, 9, 30), medication="methadone", mg="30")
    assert dose(world, "30", at(D, 9, 40), sequence=1).decision.decision == "allowed_with_rationale"


def test_discharged_person_is_not_dosed_on_any_route(world: Any) -> None:
    """Discharged at 10:00 (left care); the afternoon nurse still has the row open and presses Enter."""
    from keel.patients import services as patients

    order(world, "methadone", "30", at(D, 7))
    with time_machine.travel(at(D, 10), tick=False):
        patients.discharge(
            by=world.staff["prescriber"],
            patient_id=world.alice.pk,
            data=DischargeIn.posted({"reason": "left"}),
        )
    with pytest.raises(services.TreatmentInvalid):
        dose(world, "30", at(D, 11), sequence=1)
    response = _api(world, "nurse", "doses", {"amount_mg": "30", "sequence": 1}, at(D, 11, 5))
    assert response.status_code == 422
    assert not DoseRecord.objects.exists()


def test_other_programs_nurse_and_the_admin_cannot_dose(world: Any) -> None:
    """A Lakeside nurse mistypes the id of a Riverside patient; the Riverside admin tries to help out."""
    order(world, "methadone", "30", at(D, 7))
    assert (
        _api(world, "lakeside_nurse", "doses", {"amount_mg": "30", "sequence": 1}, at(D, 9)).status_code
        == 404
    )
    with time_machine.travel(at(D, 9), tick=False), pytest.raises(NotAllowed):
        services.record_dose(
            by=world.staff["program_admin"], patient_id=world.alice.pk, amount_mg="30", now=at(D, 9)
        )
    assert not DoseRecord.objects.exists()


def test_keel_rule_cli_nan_exits_2_naming_the_field() -> None:
    """`keel rule methadone-dose-check --input '{... "requested_mg": NaN}'` from a script: exit 2, named."""
    raw = json.dumps({"treatment_day": 1, "given_today_mg": 0}).rstrip("}") + ', "requested_mg": NaN}'
    with pytest.raises(CommandError) as exc:
        call_command("rule", "methadone-dose-check", "--input", raw)
    assert exc.value.returncode == 2
    assert "requested_mg" in str(exc.value)


@pytest.mark.parametrize("value", ["NaN", float("nan"), 0, 4, 100])
def test_program_policy_cannot_switch_off_the_cows_check(world: Any, value: Any) -> None:
    """An admin sets the COWS threshold to NaN, 0, 4 or 100: refused, naming the value."""
    from keel.treatment.services import policy as policy_writes

    with pytest.raises(services.TreatmentInvalid) as exc:
        policy_writes.set_value(
            by=world.staff["program_admin"],
            program_slug="riverside",
            rule="buprenorphine-readiness",
            field="cows_threshold",
            value=value,
            reason="the program's medical director decided",
        )
    assert exc.value.errors[0].field == "value"


def test_dosing_hours_hold_on_the_dst_morning_and_on_a_closure_day(world: Any) -> None:
    """Window 06:00-13:00 New York. On Sunday 1 November (clocks back at 02:00) a dose at 05:30 local is
    outside; on a configured closure day a dose at 09:00 is refused until the prescriber's hours override."""
    program = world.riverside
    program.dosing_opens, program.dosing_closes = time(6, 0), time(13, 0)
    program.closure_days = ["2026-11-26"]
    program.save()
    order(world, "methadone", "30", at(date(2026, 10, 30), 7))
    dst = date(2026, 11, 1)
    with pytest.raises(services.DoseBlocked):
        dose(world, "30", datetime(2026, 11, 1, 10, 30, tzinfo=UTC), sequence=1)  # 05:30 EST
    assert dose(world, "30", at(dst, 6, 5), sequence=1).dose.amount_mg == 30
    closed = date(2026, 11, 26)
    with pytest.raises(services.DoseBlocked):
        dose(world, "30", at(closed, 9), sequence=1)
    override(world, at(closed, 9, 5), medication="methadone", kind="hours")
    with pytest.raises(services.DoseBlocked):  # the hours override lifts the hours, not the missed days
        dose(world, "30", at(closed, 9, 10), sequence=1)


def test_a_correction_past_the_hard_bound_is_refused(world: Any) -> None:
    """The nurse corrects 30 to "350" (meant 35.0): past the hard bound, refused naming corrected_mg."""
    order(world, "methadone", "30", at(D, 7))
    given = dose(world, "30", at(D, 9), sequence=1).dose
    with time_machine.travel(at(D, 9, 5), tick=False), pytest.raises(services.TreatmentInvalid) as exc:
        services.amend_dose(
            by=world.staff["prescriber"],
            patient_id=world.alice.pk,
            dose_id=given.pk,
            corrected_mg="350",
            reason="typed the wrong amount",
        )
    assert exc.value.errors[0].field == "corrected_mg"


def test_a_start_override_lifts_the_gate_but_not_the_day_one_limit(world: Any) -> None:
    """Fentanyl this morning (not a standard start); the prescriber overrides the start up to 12 mg; the
    nurse gives 12 at once: the day-1 limit of 8 mg still stands."""
    report(world, at(D, 8), fentanyl=at(D, 2))
    cows(world, at(D, 8, 30))
    order(world, "buprenorphine", "4", at(D, 8))
    override(world, at(D, 8, 40), medication="buprenorphine", kind="start", mg="12")
    with pytest.raises(services.DoseBlocked) as exc:
        dose(world, "12", at(D, 9), medication="buprenorphine", sequence=1)
    assert "The total on the first dose day" in str(exc.value), str(exc.value)
    assert dose(world, "4", at(D, 9, 5), medication="buprenorphine", sequence=1).dose.amount_mg == 4
