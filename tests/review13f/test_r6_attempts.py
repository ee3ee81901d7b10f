"""Review 13f (round 6): ordinary clinic input against the issue #13 medication guards.

Each test asserts the SAFE behaviour: a failing test is a hole. Written as a prescriber and an OTP nurse
would meet them: numbers as people and programs type them, holds, overrides from yesterday, an order changed
mid-day, Spanish pages, the CLI and policy values at their bounds."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from io import StringIO
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.test import Client

from keel.core.rules.inputs import InvalidInput
from keel.patients.models import FlagKind, PatientFlag
from keel.treatment import queries, readiness, services
from keel.treatment.models import DoseOverride, DoseRecord, DoseStatus, MedicationOrder, TakeHomePlan
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db

NY = ZoneInfo("America/New_York")
DAY = date(2026, 2, 18)  # a Wednesday, no clock change near it


def at(day: date, hh: int = 9, mm: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm), tzinfo=NY)


NOW = at(DAY, 10)


def _prescriber(w: Any) -> Any:
    return w.staff["prescriber"]


def _nurse(w: Any) -> Any:
    return w.staff["nurse"]


def order(w: Any, med: str = "methadone", mg: str = "60", now: datetime | None = None, **kw: Any) -> Any:
    return services.prescribe(
        by=_prescriber(w),
        patient_id=w.alice.pk,
        medication=med,
        dose_mg=mg,
        now=now or at(DAY - timedelta(days=40), 8),
        **kw,
    )


def history(w: Any, the_order: Any, days: dict[date, str], status: str = DoseStatus.GIVEN) -> None:
    """Observed doses on earlier days, written as rows (their own guards are not what is tested)."""
    for day, mg in days.items():
        DoseRecord.objects.create(
            patient=w.alice,
            order=the_order,
            medication=the_order.medication,
            local_date=day,
            sequence=1,
            status=status,
            amount_mg=Decimal(mg),
            treatment_day=1,
            decision={},
            recorded_by=_nurse(w),
            recorded_at=at(day, 9),
        )


def maintenance(w: Any, mg: str = "60", days: int = 10) -> Any:
    """Alice on methadone `mg` a day, observed every day for `days` days before DAY."""
    o = order(w, mg=mg)
    history(w, o, {DAY - timedelta(days=i): mg for i in range(1, days + 1)})
    return o


def dose(w: Any, mg: Any, now: datetime = NOW, med: str = "methadone", by: Any = None, **kw: Any) -> Any:
    return services.record_dose(
        by=by or _nurse(w), patient_id=w.alice.pk, amount_mg=mg, medication=med, now=now, **kw
    )


def blocked(w: Any, mg: Any, now: datetime = NOW, med: str = "methadone", **kw: Any) -> str:
    """The decision code that stopped this dose (fails the test if it was given)."""
    with pytest.raises(services.DoseBlocked) as info:
        dose(w, mg, now, med, **kw)
    return info.value.decision.decision


def hold(w: Any, now: datetime, med: str = "methadone") -> Any:
    return dose(w, None, now, med, sedated=True).dose


def api(client: Client, method: str, url: str, body: Any) -> Any:
    data = body if isinstance(body, str) else json.dumps(body)
    return getattr(client, method)(url, data=data, content_type="application/json")


def cows(w: Any, total: int, filled_at: datetime) -> Any:
    """A COWS of about `total` scored by the nurse at `filled_at` (the clock pinned to `filled_at`)."""
    from keel.assessments.services import submit_assessment
    from keel.core.instruments import registry

    instrument = registry.get("cows")
    answers: dict[str, Any] = {}
    left = total
    for item in instrument.items:
        pick = max((c for c in item.allowed if c <= left), default=min(item.allowed))
        answers[item.link_id] = pick
        left -= pick
    with time_machine.travel(filled_at, tick=False):
        row, _result = submit_assessment(
            by=_nurse(w), patient_id=w.alice.pk, instrument="cows", answers=answers
        )
    return row


def last_use(w: Any, now: datetime, **uses: datetime) -> None:
    services.record_last_use(
        by=_nurse(w),
        patient_id=w.alice.pk,
        raw={"opioids": [{"opioid": k, "last_use_at": v.isoformat()} for k, v in uses.items()]},
        now=now,
    )


# --- Numbers on every path: very large numbers --------------------------------------------------------------

HUGE = "9" * 400  # a JSON integer far past any float: a paste error, a stuck key


def test_api_rule_with_a_400_digit_number_is_a_422_naming_the_field(signed_in: Any) -> None:
    """POST /rules/methadone-dose-check, requested_mg a 400-digit integer: 422 naming the field, no 500."""
    client = signed_in("nurse")
    body = '{"input": {"treatment_day": 20, "given_today_mg": 0, "requested_mg": ' + HUGE + "}}"
    response = client.post("/api/v1/rules/methadone-dose-check", data=body, content_type="application/json")
    assert response.status_code == 422, response.content[:300]
    assert "requested_mg" in response.content.decode()


def test_api_policy_value_of_400_digits_is_a_422(signed_in: Any) -> None:
    """An admin pastes a long number as a policy value: 422 naming the value, never a 500."""
    client = signed_in("program_admin")
    body = '{"value": ' + HUGE + ', "reason": "program decision at the quality meeting"}'
    response = client.put(
        "/api/v1/programs/riverside/policy/methadone-dose-check/single_dose_max_mg",
        data=body,
        content_type="application/json",
    )
    assert response.status_code == 422, response.content[:300]
    assert "value" in response.content.decode()


def _cli(*args: str) -> tuple[int, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command(*args, stdout=out, stderr=err)
    except CommandError as exc:
        return exc.returncode, str(exc)
    return 0, out.getvalue()


def test_cli_rule_with_a_400_digit_number_exits_2_naming_the_field(world: Any) -> None:
    code, text = _cli(
        "rule",
        "methadone-dose-check",
        "--input",
        '{"treatment_day": 20, "given_today_mg": 0, "requested_mg": ' + HUGE + "}",
    )
    assert code == 2
    assert "requested_mg" in text


def test_cli_rule_with_a_5000_digit_number_exits_2(world: Any) -> None:
    """Python's json refuses integers of more than 4,300 digits with a plain ValueError (not a
    JSONDecodeError): the CLI must still answer exit 2, not a traceback."""
    code, _text = _cli(
        "rule",
        "methadone-dose-check",
        "--input",
        '{"treatment_day": 20, "given_today_mg": 0, "requested_mg": ' + "9" * 5000 + "}",
    )
    assert code == 2


def test_cli_policy_set_with_a_5000_digit_value_exits_2(world: Any) -> None:
    code, _text = _cli(
        "policy",
        "set",
        "--program",
        "riverside",
        "--by",
        "r-program_admin",
        "--rule",
        "methadone-dose-check",
        "--field",
        "single_dose_max_mg",
        "--value",
        "9" * 5000,
        "--reason",
        "program decision at the quality meeting",
    )
    assert code == 2
    from keel.treatment.models import PolicySetting

    assert not PolicySetting.objects.exists()


@pytest.mark.parametrize(
    "typed",
    ["60mg", "60,5", "-0", "NaN", "Infinity", "1e400", "60.000001", "", "   ", "0", "0.00", "sixty"],
)
def test_api_dose_amounts_that_are_not_a_dose_are_refused_naming_amount(world: Any, typed: str) -> None:
    maintenance(world)
    with time_machine.travel(NOW, tick=False):
        client = sign_in(Client(), world.staff["nurse"])
        response = api(
            client, "post", f"/api/v1/patients/{world.alice.pk}/doses", {"amount_mg": typed, "sequence": 1}
        )
    assert response.status_code == 422, response.content[:300]
    assert "amount_mg" in response.content.decode()
    assert not DoseRecord.objects.filter(local_date=DAY).exists()


@pytest.mark.parametrize("typed", [" 60 ", "0060", "60.0", "60.00"])
def test_api_dose_amounts_with_padding_record_exactly_the_number(world: Any, typed: str) -> None:
    maintenance(world)
    with time_machine.travel(NOW, tick=False):
        client = sign_in(Client(), world.staff["nurse"])
        response = api(
            client, "post", f"/api/v1/patients/{world.alice.pk}/doses", {"amount_mg": typed, "sequence": 1}
        )
    assert response.status_code == 201, response.content[:300]
    assert DoseRecord.objects.get(local_date=DAY).amount_mg == Decimal("60")


# --- Holds --------------------------------------------------------------------------------------------------


def test_a_methadone_hold_stops_the_buprenorphine_dose_of_the_same_day(world: Any) -> None:
    """A person on both (a methadone-to-buprenorphine move): a methadone hold at 09:00 stops buprenorphine."""
    maintenance(world)
    bup = order(world, med="buprenorphine", mg="8")
    history(world, bup, {DAY - timedelta(days=i): "8" for i in range(1, 4)})
    hold(world, at(DAY, 9))
    assert blocked(world, "8", at(DAY, 12), med="buprenorphine") == "held_earlier"


def test_voiding_the_held_dose_does_not_release_the_hold(world: Any) -> None:
    """The nurse 'voids' the hold row as an entry error: the hold still stands until a prescriber assesses."""
    maintenance(world)
    held = hold(world, at(DAY, 9))
    services.amend_dose(
        by=_nurse(world),
        patient_id=world.alice.pk,
        dose_id=held.pk,
        void=True,
        reason="entered on the wrong person",
        now=at(DAY, 9, 5),
    )
    assert blocked(world, "60", at(DAY, 11)) == "held_earlier"


def test_a_prescriber_limit_override_is_not_a_release_of_the_hold(world: Any) -> None:
    maintenance(world)
    hold(world, at(DAY, 9))
    services.add_override(
        by=_prescriber(world),
        patient_id=world.alice.pk,
        max_total_mg="60",
        reason="usual dose after the person slept it off",
        now=at(DAY, 11),
    )
    assert blocked(world, "60", at(DAY, 12)) == "held_earlier"


def test_a_nurse_cannot_clear_the_hold_flag_through_the_api(world: Any) -> None:
    maintenance(world)
    held = hold(world, at(DAY, 9))
    flag = PatientFlag.objects.get(kind=FlagKind.DOSE_HELD, source_id=held.pk)
    with time_machine.travel(at(DAY, 10), tick=False):
        client = sign_in(Client(), world.staff["nurse"])
        response = api(
            client,
            "post",
            f"/api/v1/patients/{world.alice.pk}/flags/{flag.pk}/resolve",
            {"note": "person awake and talking, vitals normal now"},
        )
    assert response.status_code in (403, 404, 422)
    flag.refresh_from_db()
    assert flag.resolved_at is None
    assert blocked(world, "60", at(DAY, 12)) == "held_earlier"


def test_the_dosing_row_shows_the_hold_in_spanish(world: Any) -> None:
    maintenance(world)
    with time_machine.travel(at(DAY, 9), tick=False):
        client = sign_in(Client(), world.staff["nurse"])
        response = client.post(
            f"/dosing/{world.alice.pk}/",
            {"sequence": "1", "medication": "methadone", "sedated": "on", "amount_mg": ""},
            HTTP_HX_REQUEST="true",
            HTTP_ACCEPT_LANGUAGE="es",
        )
    text = response.content.decode()
    assert response.status_code == 200
    assert "held: prescriber to assess" not in text
    assert "Dose held for" not in text
    assert "held_earlier" not in text


# --- Overrides ----------------------------------------------------------------------------------------------


def test_yesterdays_limit_override_does_not_pass_todays_step(world: Any) -> None:
    maintenance(world)
    services.add_override(
        by=_prescriber(world),
        patient_id=world.alice.pk,
        max_total_mg="80",
        reason="increase for ongoing withdrawal symptoms",
        now=at(DAY - timedelta(days=1), 16),
    )
    assert blocked(world, "80", at(DAY, 9)) == "needs_override"


def test_an_override_written_at_2350_ends_at_midnight(world: Any) -> None:
    maintenance(world)
    services.add_override(
        by=_prescriber(world),
        patient_id=world.alice.pk,
        max_total_mg="80",
        reason="increase for ongoing withdrawal symptoms",
        now=at(DAY - timedelta(days=1), 23, 50),
    )
    assert blocked(world, "80", at(DAY, 0, 10)) == "needs_override"


def test_a_nurse_cannot_write_an_override_through_the_api(world: Any) -> None:
    maintenance(world)
    with time_machine.travel(NOW, tick=False):
        client = sign_in(Client(), world.staff["nurse"])
        response = api(
            client,
            "post",
            f"/api/v1/patients/{world.alice.pk}/dose-overrides",
            {"max_total_mg": "80", "reason": "doctor said on the phone to give eighty"},
        )
    assert response.status_code == 403
    assert not DoseOverride.objects.exists()


@pytest.mark.parametrize(
    "reason", ["ok ok ok ok ok ok", "as per md.", "xxxxxxxxxxxxxxxxxxxx", "   ", "see chart"]
)
def test_an_override_reason_without_substance_is_refused(world: Any, reason: str) -> None:
    maintenance(world)
    with pytest.raises(InvalidInput) as info:
        services.add_override(
            by=_prescriber(world), patient_id=world.alice.pk, max_total_mg="80", reason=reason, now=NOW
        )
    assert any(e.field == "reason" for e in info.value.errors)


def test_an_hours_override_for_buprenorphine_does_not_open_the_window_for_methadone(world: Any) -> None:
    """Program hours 07:00-14:00. A prescriber lets a late buprenorphine induction dose through at 16:00; the
    person's methadone (a switch in progress) is not dosed after hours on that override."""
    program = world.riverside
    program.dosing_opens, program.dosing_closes = time(7, 0), time(14, 0)
    program.save()
    maintenance(world)
    services.add_override(
        by=_prescriber(world),
        patient_id=world.alice.pk,
        medication="buprenorphine",
        kind="hours",
        reason="late induction dose, COWS rising after four hours",
        now=at(DAY, 15, 30),
    )
    assert blocked(world, "60", at(DAY, 16)) == "needs_override"


# --- Methadone at the window --------------------------------------------------------------------------------


def test_an_order_raised_mid_day_does_not_let_the_rest_through_the_step(world: Any) -> None:
    """60 mg given at 09:00; at 10:00 the prescriber orders 100 mg (with the reason the check asks); a nurse
    tops up 40 mg at 14:00. The day's total rises 40 mg over yesterday's observed 60: needs an override."""
    maintenance(world)
    dose(world, "60", at(DAY, 9))
    order(
        world,
        mg="100",
        now=at(DAY, 10),
        override_reason="high tolerance, fentanyl use, slow titration planned",
    )
    assert blocked(world, "40", at(DAY, 14)) == "needs_override"


def test_five_missed_days_then_the_usual_dose_is_stopped(world: Any) -> None:
    o = order(world, mg="80")
    history(world, o, {DAY - timedelta(days=i): "80" for i in range(6, 16)})  # last dose 6 days ago
    code = blocked(world, "80", at(DAY, 9))
    assert code in ("needs_reassessment", "needs_override")


def test_held_days_count_as_missed_days(world: Any) -> None:
    """Held on each of the last three days (nothing given): the usual dose today is not given unassessed."""
    o = order(world, mg="80")
    history(world, o, {DAY - timedelta(days=i): "80" for i in range(4, 14)})
    history(world, o, {DAY - timedelta(days=i): "0" for i in range(1, 4)}, status=DoseStatus.HELD)
    code = blocked(world, "80", at(DAY, 9))
    assert code in ("needs_reassessment", "needs_override")


def test_first_day_two_entries_in_the_same_minute_do_not_both_pass(world: Any) -> None:
    order(world, mg="30", now=at(DAY, 7))
    dose(world, "30", at(DAY, 9))
    assert blocked(world, "10", at(DAY, 9)) == "needs_override"


def test_first_day_first_dose_above_30_is_stopped_even_with_a_total_under_40(world: Any) -> None:
    order(world, mg="40", now=at(DAY, 7))
    assert blocked(world, "35", at(DAY, 9)) == "needs_override"


def test_a_discharged_person_is_not_dosed_through_the_api(world: Any) -> None:
    from keel.patients.schemas import DischargeIn
    from keel.patients.services.episodes import discharge

    maintenance(world)
    with time_machine.travel(at(DAY, 8), tick=False):
        discharge(
            by=_prescriber(world), patient_id=world.alice.pk, data=DischargeIn.posted({"reason": "left"})
        )
        client = sign_in(Client(), world.staff["nurse"])
        response = api(
            client, "post", f"/api/v1/patients/{world.alice.pk}/doses", {"amount_mg": "60", "sequence": 1}
        )
        listed = client.get("/api/v1/dosing/today").json()
    assert response.status_code in (404, 422)
    assert not DoseRecord.objects.filter(local_date=DAY).exists()
    assert all(r["patient_id"] != world.alice.pk for r in listed)
    assert not MedicationOrder.objects.filter(patient=world.alice, status="active").exists()


def test_double_enter_on_the_page_says_already_given_today(world: Any) -> None:
    maintenance(world)
    with time_machine.travel(at(DAY, 9), tick=False):
        client = sign_in(Client(), world.staff["nurse"])
        form = {"sequence": "1", "medication": "methadone", "amount_mg": "60"}
        first = client.post(f"/dosing/{world.alice.pk}/", form, HTTP_HX_REQUEST="true")
        second = client.post(f"/dosing/{world.alice.pk}/", form, HTTP_HX_REQUEST="true")
    assert first.status_code == 200
    assert second.status_code == 200
    assert "Already given today" in second.content.decode()
    assert DoseRecord.objects.filter(local_date=DAY).count() == 1


def test_an_empty_amount_on_the_page_is_never_the_ordered_dose(world: Any) -> None:
    maintenance(world)
    with time_machine.travel(at(DAY, 9), tick=False):
        client = sign_in(Client(), world.staff["nurse"])
        response = client.post(
            f"/dosing/{world.alice.pk}/",
            {"sequence": "1", "medication": "methadone", "amount_mg": ""},
            HTTP_HX_REQUEST="true",
        )
    assert "never filled in for you" in response.content.decode()
    assert not DoseRecord.objects.filter(local_date=DAY).exists()


def test_a_dose_posted_with_an_unknown_medication_is_not_recorded_as_methadone(world: Any) -> None:
    """A buprenorphine row posted with 'Buprenorphine' (an old cached form, a proxy that changes case): the
    16 mg typed must not be recorded as a methadone dose."""
    maintenance(world)
    bup = order(world, med="buprenorphine", mg="16")
    history(world, bup, {DAY - timedelta(days=i): "16" for i in range(1, 4)})
    with time_machine.travel(at(DAY, 9), tick=False):
        client = sign_in(Client(), world.staff["nurse"])
        client.post(
            f"/dosing/{world.alice.pk}/",
            {"sequence": "1", "medication": "Buprenorphine", "amount_mg": "16"},
            HTTP_HX_REQUEST="true",
        )
    assert not DoseRecord.objects.filter(local_date=DAY, medication="methadone").exists()


# --- Buprenorphine start ------------------------------------------------------------------------------------


def test_a_first_buprenorphine_dose_after_fentanyl_is_refused_whatever_the_heroin_wait(world: Any) -> None:
    order(world, med="buprenorphine", mg="4", now=at(DAY, 7))
    last_use(
        world, at(DAY, 8), heroin=at(DAY, 8) - timedelta(hours=20), fentanyl=at(DAY, 8) - timedelta(hours=30)
    )
    cows(world, 14, at(DAY, 9, 30))
    assert blocked(world, "4", at(DAY, 10), med="buprenorphine") == "not_ready"


def test_methadone_dosed_here_this_morning_stops_a_buprenorphine_first_dose(world: Any) -> None:
    """Methadone 30 mg observed at 08:00 (the last methadone dose before a switch); the care team's report
    says heroin 20 h ago; COWS 14 at 09:30. The methadone wait is not met."""
    maintenance(world, mg="30")
    dose(world, "30", at(DAY, 8))
    order(world, med="buprenorphine", mg="4", now=at(DAY, 8, 30))
    last_use(world, at(DAY, 9), heroin=at(DAY, 9) - timedelta(hours=20))
    cows(world, 14, at(DAY, 9, 30))
    assert blocked(world, "4", at(DAY, 10), med="buprenorphine") == "not_ready"


def test_yesterdays_start_override_does_not_pass_todays_first_dose(world: Any) -> None:
    order(world, med="buprenorphine", mg="4", now=at(DAY - timedelta(days=1), 7))
    services.add_override(
        by=_prescriber(world),
        patient_id=world.alice.pk,
        medication="buprenorphine",
        kind="start",
        max_total_mg="8",
        reason="clear withdrawal on exam, person cannot wait longer",
        now=at(DAY - timedelta(days=1), 15),
    )
    last_use(world, at(DAY, 8), heroin=at(DAY, 8) - timedelta(hours=3))
    cows(world, 14, at(DAY, 9, 30))
    assert blocked(world, "4", at(DAY, 10), med="buprenorphine") == "not_ready"


def test_two_cows_in_the_same_minute_the_later_entry_wins_at_the_gate(world: Any) -> None:
    """COWS 14 then a corrected COWS 6 entered for the same minute: 'latest' is time, then entry order."""
    order(world, med="buprenorphine", mg="4", now=at(DAY, 7))
    last_use(world, at(DAY, 8), heroin=at(DAY, 8) - timedelta(hours=16))
    cows(world, 14, at(DAY, 9, 30))
    cows(world, 6, at(DAY, 9, 30))
    assert blocked(world, "4", at(DAY, 10), med="buprenorphine") == "not_ready"


def test_a_last_use_time_in_the_future_is_refused(world: Any) -> None:
    with pytest.raises(InvalidInput) as info:
        last_use(world, at(DAY, 9), heroin=at(DAY, 9) + timedelta(minutes=30))
    assert any("last_use_at" in e.field for e in info.value.errors)


def test_spanish_dosing_page_says_the_buprenorphine_day_one_limit_in_spanish(world: Any) -> None:
    """A first buprenorphine day: 4 mg given at 10:00 with the start verdict ready; at 12:30 8 mg more would
    make 12 mg, above the day-1 limit of 8 mg. The Spanish page must not show the English sentence."""
    order(world, med="buprenorphine", mg="8", now=at(DAY, 7))
    last_use(world, at(DAY, 8), heroin=at(DAY, 8) - timedelta(hours=16))
    cows(world, 14, at(DAY, 9, 30))
    dose(world, "4", at(DAY, 10), med="buprenorphine")
    with time_machine.travel(at(DAY, 12, 30), tick=False):
        client = sign_in(Client(), world.staff["nurse"])
        response = client.post(
            f"/dosing/{world.alice.pk}/",
            {"sequence": "2", "medication": "buprenorphine", "amount_mg": "8"},
            HTTP_HX_REQUEST="true",
            HTTP_ACCEPT_LANGUAGE="es",
        )
    text = response.content.decode()
    assert DoseRecord.objects.filter(local_date=DAY).count() == 1
    shown = text[text.find("verdict") : text.find("verdict") + 400]
    assert "The total on the first dose day" not in text, shown


def test_buprenorphine_given_at_the_window_appears_given_on_the_list(world: Any) -> None:
    bup = order(world, med="buprenorphine", mg="16")
    history(world, bup, {DAY - timedelta(days=i): "16" for i in range(1, 4)})
    dose(world, "16", at(DAY, 9), med="buprenorphine")
    with time_machine.travel(at(DAY, 10), tick=False):
        client = sign_in(Client(), world.staff["nurse"])
        rows = client.get("/api/v1/dosing/today").json()
    mine = [r for r in rows if r["patient_id"] == world.alice.pk and r["medication"] == "buprenorphine"]
    assert mine
    assert mine[0]["status"] == "given"
    assert Decimal(mine[0]["given_today_mg"]) == 16


# --- Take-homes ---------------------------------------------------------------------------------------------


def _ok_criteria() -> dict[str, bool]:
    return {k: True for k in services.CRITERIA_KEYS}


def test_a_hold_released_yesterday_but_flag_open_is_a_concern_to_acknowledge(world: Any) -> None:
    """A hold two days ago, its flag still open (not yet assessed): a take-home decision lists it."""
    maintenance(world, days=40)
    # the hold is a row two days ago, its flag raised then
    o = MedicationOrder.objects.get(patient=world.alice, medication="methadone", status="active")
    held = DoseRecord.objects.create(
        patient=world.alice,
        order=o,
        medication="methadone",
        local_date=DAY - timedelta(days=2),
        sequence=2,
        status=DoseStatus.HELD,
        amount_mg=0,
        treatment_day=38,
        decision={},
        recorded_by=_nurse(world),
        recorded_at=at(DAY - timedelta(days=2), 11),
    )
    PatientFlag.objects.create(
        patient=world.alice,
        kind=FlagKind.DOSE_HELD,
        reasons=["held"],
        source_type="dose",
        source_id=held.pk,
        raised_at=at(DAY - timedelta(days=2), 11),
    )
    with pytest.raises(InvalidInput) as info:
        services.decide_take_home(
            by=_prescriber(world),
            patient_id=world.alice.pk,
            criteria=_ok_criteria(),
            start_on=(DAY + timedelta(days=1)).isoformat(),
            now=NOW,
        )
    assert any(e.field == "acknowledged_flags" for e in info.value.errors)
    assert not TakeHomePlan.objects.exists()


def test_a_closure_day_dose_for_someone_not_eligible_works_from_the_page(world: Any) -> None:
    """Day 5 in treatment, regular attendance not yet documented: the program is closed on Saturday; the one
    closure-day dose 42 CFR 8.12 allows is given from the medication page."""
    program = world.riverside
    saturday = DAY + timedelta(days=3)
    program.closure_days = [saturday.isoformat()]
    program.save()
    o = order(world, mg="40", now=at(DAY - timedelta(days=5), 7))
    history(world, o, {DAY - timedelta(days=i): "40" for i in range(1, 5)})
    with time_machine.travel(NOW, tick=False):
        client = sign_in(Client(), world.staff["prescriber"])
        post = {k: "on" for k in services.CRITERIA_KEYS if k != "regular_attendance"}
        post["closure_day"] = saturday.isoformat()
        response = client.post(f"/patients/{world.alice.pk}/medication/take-homes/", post, follow=True)
    plan = TakeHomePlan.objects.filter(patient=world.alice).first()
    assert plan is not None, response.content.decode()[:2000]
    assert plan.bottles == [saturday.isoformat()]


def test_weekends_only_with_a_stricter_state_limit_from_the_page(world: Any) -> None:
    """Day 40: up to 28 days federally; the state allows 2; the prescriber schedules Saturday and Sunday."""
    maintenance(world, days=45)
    saturday, sunday = DAY + timedelta(days=3), DAY + timedelta(days=4)
    with time_machine.travel(NOW, tick=False):
        client = sign_in(Client(), world.staff["prescriber"])
        post = {k: "on" for k in services.CRITERIA_KEYS}
        post["state_max_days"] = " 2 "
        post["bottle_days"] = f"{saturday.isoformat()}, {sunday.isoformat()}"
        client.post(f"/patients/{world.alice.pk}/medication/take-homes/", post, follow=True)
    plan = TakeHomePlan.objects.get(patient=world.alice)
    assert plan.bottles == [saturday.isoformat(), sunday.isoformat()]
    assert plan.max_supply_days == 2


def test_days_in_treatment_is_the_same_number_on_the_api_list_and_the_review(world: Any) -> None:
    maintenance(world, days=20)
    with time_machine.travel(NOW, tick=False):
        client = sign_in(Client(), world.staff["prescriber"])
        row = next(r for r in client.get("/api/v1/dosing/today").json() if r["patient_id"] == world.alice.pk)
        review = queries.take_home_review(world.alice, NOW)
    assert review.days_in_treatment in (row["treatment_day"], row["treatment_day"] - 1)


# --- Policy values ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("cows_threshold", 0),
        ("wait_hours_short_acting", 0),
        ("wait_hours_short_acting", -0.0),
        ("cows_threshold", " 12 "),
        ("cows_threshold", True),
        ("cows_fresh_hours", "NaN"),
        ("cows_threshold", 7.5),
    ],
)
def test_policy_values_that_remove_or_blur_the_withdrawal_check_are_422(
    world: Any, field: str, value: Any
) -> None:
    with time_machine.travel(NOW, tick=False):
        client = sign_in(Client(), world.staff["program_admin"])
        response = api(
            client,
            "put",
            f"/api/v1/programs/riverside/policy/buprenorphine-readiness/{field}",
            {"value": value, "reason": "quality meeting decision of the program"},
        )
    assert response.status_code == 422, response.content[:300]


def test_naltrexone_after_a_methadone_take_home_names_methadone_and_the_switching_source(world: Any) -> None:
    """Last methadone: a take-home bottle for 9 days ago; heroin 10 days ago. Readiness knows methadone was
    last and applies the label's switching guidance with its source."""
    o = maintenance(world, days=30)
    DoseRecord.objects.filter(local_date__gte=DAY - timedelta(days=9)).delete()
    TakeHomePlan.objects.create(
        patient=world.alice,
        decided_by=_prescriber(world),
        decided_at=at(DAY - timedelta(days=10), 10),
        days_in_treatment=20,
        criteria={},
        decision={},
        max_supply_days=1,
        bottles=[(DAY - timedelta(days=9)).isoformat()],
    )
    assert o is not None
    last_use(world, at(DAY, 9), heroin=at(DAY, 9) - timedelta(days=10))
    read = readiness.naltrexone_readiness(world.alice, NOW)
    assert read.decision is not None
    assert read.decision.decision != "eligible"
    assert "vivitrol-label-switching" in read.decision.sources
    assert any("ethadone" in r.text for r in read.decision.reasons)


# --- Roles, programs and more ordinary input ----------------------------------------------------------------


def test_a_nurse_cannot_decide_take_homes_through_the_api(world: Any) -> None:
    maintenance(world, days=40)
    with time_machine.travel(NOW, tick=False):
        client = sign_in(Client(), world.staff["nurse"])
        response = api(
            client,
            "post",
            f"/api/v1/patients/{world.alice.pk}/take-homes",
            {"criteria": _ok_criteria(), "start_on": (DAY + timedelta(days=1)).isoformat()},
        )
    assert response.status_code == 403
    assert not TakeHomePlan.objects.exists()


def test_a_nurse_of_another_program_cannot_dose_alice(world: Any) -> None:
    maintenance(world)
    with time_machine.travel(NOW, tick=False):
        client = sign_in(Client(), world.lakeside_nurse)
        response = api(
            client, "post", f"/api/v1/patients/{world.alice.pk}/doses", {"amount_mg": "60", "sequence": 1}
        )
    assert response.status_code == 404
    assert not DoseRecord.objects.filter(local_date=DAY).exists()


@pytest.mark.parametrize(("role", "value", "status"), [("nurse", 12, 403), ("prescriber", 0, 422)])
def test_per_patient_policy_needs_a_prescriber_and_keeps_the_floor(
    world: Any, role: str, value: Any, status: int
) -> None:
    with time_machine.travel(NOW, tick=False):
        client = sign_in(Client(), world.staff[role])
        response = api(
            client,
            "post",
            f"/api/v1/patients/{world.alice.pk}/policy-overrides",
            {
                "rule": "buprenorphine-readiness",
                "field": "cows_threshold",
                "value": value,
                "reason": "severe withdrawal picture on exam, high tolerance",
            },
        )
    assert response.status_code == status, response.content[:300]


def test_an_order_lowered_mid_day_stops_the_planned_afternoon_split(world: Any) -> None:
    """60 mg in the morning (a split 60 + 20 planned); at 10:00 the prescriber lowers the order to 40 mg for
    sedation concerns: the 20 mg afternoon part is not given on the old plan."""
    maintenance(world, mg="80")
    dose(world, "60", at(DAY, 9))
    order(world, mg="40", now=at(DAY, 10))
    assert blocked(world, "20", at(DAY, 15)) == "needs_override"


def test_a_dose_of_naltrexone_at_the_methadone_window_is_refused(world: Any) -> None:
    maintenance(world)
    order(world, med="naltrexone_xr", mg="380")
    with pytest.raises(InvalidInput):
        dose(world, "380", med="naltrexone_xr")


def test_home_start_after_fentanyl_is_not_start_whatever_the_sows(world: Any) -> None:
    """The person reports heroin 14 h ago and fentanyl 30 h ago on their own page, SOWS 20 fresh."""
    from keel.assessments.services import submit_assessment
    from keel.core.instruments import registry

    order(world, med="buprenorphine", mg="8", now=at(DAY, 7), home_start=True)
    user = world.alice.user
    services.record_last_use(
        by=user,
        patient_id=None,
        raw={
            "opioids": [
                {"opioid": "heroin", "last_use_at": (at(DAY, 9) - timedelta(hours=14)).isoformat()},
                {"opioid": "fentanyl", "last_use_at": (at(DAY, 9) - timedelta(hours=30)).isoformat()},
            ]
        },
        now=at(DAY, 9),
    )
    answers: dict[str, Any] = {}
    left = 20
    for item in registry.get("sows").items:
        pick = max((c for c in item.allowed if c <= left), default=min(item.allowed))
        answers[item.link_id] = pick
        left -= pick
    with time_machine.travel(at(DAY, 9, 30), tick=False):
        submit_assessment(by=user, patient_id=None, instrument="sows", answers=answers)
    home = readiness.home_start(user, at(DAY, 9, 45))
    assert home.decision is not None
    assert home.decision.decision != "start"


def test_a_buprenorphine_override_from_the_start_page_by_a_nurse_is_refused(world: Any) -> None:
    order(world, med="buprenorphine", mg="4", now=at(DAY, 7))
    with time_machine.travel(NOW, tick=False):
        client = sign_in(Client(), world.staff["nurse"])
        response = client.post(
            f"/patients/{world.alice.pk}/start/dose-overrides/",
            {"kind": "start", "max_total_mg": "8", "reason": "doctor said on the phone to start now"},
        )
    assert response.status_code in (403, 404)
    assert not DoseOverride.objects.exists()


# --- XR-naltrexone inside a course --------------------------------------------------------------------------


def _injection_28_days_ago(w: Any) -> Any:
    ntx = order(w, med="naltrexone_xr", mg="380", now=at(DAY - timedelta(days=29), 8))
    DoseRecord.objects.create(
        patient=w.alice,
        order=ntx,
        medication="naltrexone_xr",
        local_date=DAY - timedelta(days=28),
        sequence=1,
        status=DoseStatus.GIVEN,
        amount_mg=Decimal("380"),
        site="left_gluteal",
        treatment_day=1,
        decision={},
        recorded_by=_nurse(w),
        recorded_at=at(DAY - timedelta(days=28), 10),
    )
    return ntx


def test_a_due_injection_is_not_given_to_someone_on_methadone_since_the_last_one(world: Any) -> None:
    """Relapse on XR-naltrexone: methadone started at this OTP 12 days ago and observed daily since (40 mg
    today at 08:00); the naltrexone order was never stopped. On the due day the nurse gives the scheduled
    injection: naltrexone on top of methadone brings on precipitated withdrawal. The record shows methadone
    given here after the last injection: the first-injection readiness (or a refusal) must apply."""
    _injection_28_days_ago(world)
    o = order(world, mg="40", now=at(DAY - timedelta(days=13), 8))
    history(world, o, {DAY - timedelta(days=i): "40" for i in range(1, 13)})
    dose(world, "40", at(DAY, 8))
    with pytest.raises((services.DoseBlocked, InvalidInput)):
        services.record_injection(
            by=_nurse(world), patient_id=world.alice.pk, site="right_gluteal", now=at(DAY, 10)
        )
    assert not DoseRecord.objects.filter(medication="naltrexone_xr", local_date=DAY).exists()


def test_a_hold_this_morning_stops_the_due_injection(world: Any) -> None:
    """The person arrives intoxicated: the buprenorphine taper dose is held at 09:00 (no prescriber has
    assessed yet). The due XR-naltrexone injection at 10:00 is a further dose that day: held back too."""
    _injection_28_days_ago(world)
    bup = order(world, med="buprenorphine", mg="2", now=at(DAY - timedelta(days=60), 8))
    history(world, bup, {DAY - timedelta(days=i): "2" for i in range(40, 45)})
    hold(world, at(DAY, 9), med="buprenorphine")
    with pytest.raises((services.DoseBlocked, InvalidInput)):
        services.record_injection(
            by=_nurse(world), patient_id=world.alice.pk, site="right_gluteal", now=at(DAY, 10)
        )
    assert not DoseRecord.objects.filter(medication="naltrexone_xr", local_date=DAY).exists()
