"""Review 13g round 7: an addiction-medicine prescriber and an OTP nurse try to defeat the guards just built
(a prescriber's correction of a mistaken time of last use; XR-naltrexone inside a course; the dosing-hours
override naming one medication; an unknown medication at the window) with ordinary input through the pages,
the JSON API and the services. Each test asserts the SAFE behaviour: a failing test is a hole."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client

from keel.accounts.models import Program
from keel.audit.models import AuditEvent
from keel.treatment import readiness, services
from keel.treatment.errors import TreatmentInvalid
from keel.treatment.models import DoseOverride, DoseRecord, LastUseCorrection, TakeHomePlan
from keel.treatment.schemas import IntakeIn
from tests.conftest import sign_in
from tests.review13d.common import at, cows, dose, intake, order, override, report

pytestmark = pytest.mark.django_db

D = date(2026, 11, 16)  # a Monday, no clock change near it
NOW = at(D, 10)
REASON = "Spoke with the person again: the evening time was typed for the early morning use"


# --- helpers -----------------------------------------------------------------------------------------------


def api(world: Any, role: str, path: str, body: Any, when: datetime = NOW, patient: Any = None) -> Any:
    patient = patient or world.alice
    with time_machine.travel(when, tick=False):
        client = sign_in(Client(), world.user(role))
        return client.post(
            f"/api/v1/patients/{patient.pk}/{path}", json.dumps(body), content_type="application/json"
        )


def page_post(world: Any, role: str, path: str, data: dict[str, Any], when: datetime = NOW, **kw: Any) -> Any:
    with time_machine.travel(when, tick=False):
        client = sign_in(Client(), world.user(role))
        return client.post(path, data, **kw)


def start_path(world: Any, action: str = "") -> str:
    return f"/patients/{world.alice.pk}/start/{action}"


def fix(
    world: Any, opioid: str, struck: Any, corrected: Any = None, reason: str = REASON, when: datetime = NOW
):
    with time_machine.travel(when, tick=False):
        return services.correct_last_use(
            by=world.staff["prescriber"],
            patient_id=world.alice.pk,
            opioid=opioid,
            struck_at=struck,
            corrected_at=corrected,
            reason=reason,
            now=when,
        )


def ready_at(world: Any, when: datetime = NOW) -> Any:
    return readiness.buprenorphine_readiness(world.alice, when)


def heroin_mistyped(world: Any) -> datetime:
    """Intake at 08:00: heroin typed as 07:00 today (truly 19:00 yesterday); COWS 14 at 09:30."""
    intake(world, at(D, 8), heroin=at(D, 7))
    cows(world, at(D, 9, 30))
    return at(D, 7)


def body(opioid: str, struck: Any, corrected: Any = None, reason: str = REASON) -> dict[str, Any]:
    return {"opioid": opioid, "struck_at": struck, "corrected_at": corrected, "reason": reason}


# --- 1. Who may correct, and whose record ----------------------------------------------------------------


def test_a_nurse_cannot_correct_through_the_api(world: Any) -> None:
    struck = heroin_mistyped(world)
    r = api(
        world,
        "nurse",
        "last-use-corrections",
        body("heroin", struck.isoformat(), at(D - timedelta(1), 19).isoformat()),
    )
    assert r.status_code == 403
    assert not LastUseCorrection.objects.exists()


def test_a_nurse_cannot_correct_through_the_page(world: Any) -> None:
    struck = heroin_mistyped(world)
    r = page_post(
        world,
        "nurse",
        start_path(world, "last-use-corrections/"),
        {
            "opioid": "heroin",
            "struck_at": struck.isoformat(),
            "corrected_at": "2026-11-15T19:00",
            "reason": REASON,
        },
    )
    assert r.status_code == 403
    assert not LastUseCorrection.objects.exists()


def test_a_prescriber_cannot_correct_another_programs_patient(world: Any) -> None:
    r = api(
        world,
        "prescriber",
        "last-use-corrections",
        body("heroin", at(D, 7).isoformat(), at(D, 1).isoformat()),
        patient=world.charlie,
    )
    assert r.status_code == 404
    assert not LastUseCorrection.objects.exists()


def test_the_person_cannot_correct_their_own_time(world: Any) -> None:
    struck = heroin_mistyped(world)
    r = api(
        world, "patient", "last-use-corrections", body("heroin", struck.isoformat(), at(D, 1).isoformat())
    )
    assert r.status_code in (403, 404)
    assert not LastUseCorrection.objects.exists()


# --- 2. What may be struck ----------------------------------------------------------------------------------


def test_the_same_instant_in_another_offset_is_the_reported_time(world: Any) -> None:
    heroin_mistyped(world)  # 07:00 New York = 12:00 UTC
    r = api(
        world,
        "prescriber",
        "last-use-corrections",
        body("heroin", "2026-11-16T12:00:00Z", "2026-11-16T00:00:00Z"),
    )
    assert r.status_code == 201, r.content
    assert ready_at(world).uses.uses["heroin"].at == datetime(2026, 11, 16, 0, 0, tzinfo=UTC)


def test_a_struck_time_one_microsecond_off_is_not_the_reported_time(world: Any) -> None:
    heroin_mistyped(world)
    r = api(
        world,
        "prescriber",
        "last-use-corrections",
        body("heroin", "2026-11-16T07:00:00.000001-05:00", "2026-11-16T01:00:00-05:00"),
    )
    assert r.status_code == 422
    assert not LastUseCorrection.objects.exists()


def test_a_time_reported_only_for_another_opioid_cannot_be_struck(world: Any) -> None:
    heroin_mistyped(world)
    r = api(
        world,
        "prescriber",
        "last-use-corrections",
        body("fentanyl", at(D, 7).isoformat(), at(D, 1).isoformat()),
    )
    assert r.status_code == 422
    assert not LastUseCorrection.objects.exists()


def test_a_methadone_dose_given_here_cannot_be_struck(world: Any) -> None:
    order(world, "methadone", "30", at(D, 8))
    dose(world, "30", at(D, 9))
    r = api(
        world,
        "prescriber",
        "last-use-corrections",
        body("methadone", at(D, 9).isoformat(), at(D - timedelta(5), 9).isoformat()),
    )
    assert r.status_code == 422
    assert "struck_at" in r.content.decode()
    assert not LastUseCorrection.objects.exists()


def test_a_take_home_day_cannot_be_struck(world: Any) -> None:
    intake(world, at(D, 8), heroin=at(D - timedelta(days=10), 8))
    TakeHomePlan.objects.create(
        patient=world.alice,
        decided_by=world.staff["prescriber"],
        decided_at=at(D - timedelta(days=3), 9),
        days_in_treatment=90,
        criteria={},
        decision={},
        max_supply_days=3,
        bottles=[(D - timedelta(days=1)).isoformat()],
        bottle_mg={(D - timedelta(days=1)).isoformat(): "30.00"},  # fix36e item 1: it left with her
    )
    use = readiness.read_last_uses(world.alice, NOW).uses["methadone"]
    assert use.source == "take_home"
    r = api(
        world,
        "prescriber",
        "last-use-corrections",
        body("methadone", use.at.isoformat(), at(D - timedelta(9), 9).isoformat()),
    )
    assert r.status_code == 422
    assert not LastUseCorrection.objects.exists()


def test_a_pharmacy_fill_cannot_be_struck(world: Any) -> None:
    bup = order(world, "buprenorphine", "16", at(D - timedelta(days=3), 8))
    with time_machine.travel(at(D - timedelta(days=3), 10), tick=False):
        services.record_fill(
            by=world.staff["nurse"],
            patient_id=world.alice.pk,
            order_id=bup.pk,
            filled_on=(D - timedelta(days=3)).isoformat(),
            days_supply=7,
            source="pharmacy",
            now=at(D - timedelta(days=3), 10),
        )
    use = readiness.read_last_uses(world.alice, NOW).uses["buprenorphine"]
    assert use.source == "fill"
    r = api(
        world,
        "prescriber",
        "last-use-corrections",
        body("buprenorphine", use.at.isoformat(), at(D - timedelta(9), 9).isoformat()),
    )
    assert r.status_code == 422
    assert not LastUseCorrection.objects.exists()


def test_a_report_that_repeats_a_dose_time_struck_leaves_the_dose_gating(world: Any) -> None:
    """The nurse's report copies the dose time (09:00 methadone); striking that report must not hide
    the dose."""
    order(world, "methadone", "30", at(D - timedelta(days=1), 8))
    dose(world, "30", at(D - timedelta(days=1), 9))
    intake(world, at(D, 8), heroin=at(D - timedelta(days=1), 6), methadone=at(D - timedelta(days=1), 9))
    cows(world, at(D, 9, 30))
    fix(world, "methadone", at(D - timedelta(days=1), 9), None)
    use = ready_at(world).uses.uses["methadone"]
    # review 36f hole 1: a dose older than the strike no longer answers it; the time stays unknown (gating)
    assert use.at is None
    assert use.source == "corrected"
    assert not ready_at(world).ready


# --- 3. The corrected time ----------------------------------------------------------------------------------


@pytest.mark.parametrize("corrected", ["2026-11-16T07:00:00-05:00", "2026-11-16T12:00:00+00:00"])
def test_a_corrected_time_equal_to_the_struck_one_is_refused(world: Any, corrected: str) -> None:
    heroin_mistyped(world)
    r = api(world, "prescriber", "last-use-corrections", body("heroin", at(D, 7).isoformat(), corrected))
    assert r.status_code == 422
    assert not LastUseCorrection.objects.exists()


def test_a_later_corrected_time_is_refused(world: Any) -> None:
    heroin_mistyped(world)
    r = api(
        world,
        "prescriber",
        "last-use-corrections",
        body("heroin", at(D, 7).isoformat(), at(D, 9).isoformat()),
    )
    assert r.status_code == 422
    assert not LastUseCorrection.objects.exists()


@pytest.mark.parametrize(
    "corrected",
    [
        "NaN",
        "garbage",
        "2026-13-01T00:00:00-05:00",
        "2026-11-15",
        "2026-11-15T19:00",
        "2026-11-17T01:00:00-05:00",
    ],
)
def test_a_bad_corrected_time_is_refused_naming_it(world: Any, corrected: str) -> None:
    heroin_mistyped(world)
    r = api(world, "prescriber", "last-use-corrections", body("heroin", at(D, 7).isoformat(), corrected))
    assert r.status_code == 422
    assert "corrected_at" in r.content.decode()
    assert not LastUseCorrection.objects.exists()


@pytest.mark.parametrize("struck", ["NaN", "", "2026-11-16", "2026-11-16T07:00"])
def test_a_bad_struck_time_is_refused_naming_it(world: Any, struck: str) -> None:
    heroin_mistyped(world)
    r = api(world, "prescriber", "last-use-corrections", body("heroin", struck, at(D, 1).isoformat()))
    assert r.status_code == 422
    assert "struck_at" in r.content.decode()
    assert not LastUseCorrection.objects.exists()


def test_an_empty_corrected_time_on_the_api_is_not_a_silent_strike(world: Any) -> None:
    """null is the API's explicit "no other time"; "" is a blank field a client forgot (the page demands
    a tick)."""
    heroin_mistyped(world)
    r = api(world, "prescriber", "last-use-corrections", body("heroin", at(D, 7).isoformat(), ""))
    assert r.status_code == 422
    assert not LastUseCorrection.objects.exists()


# --- 4. The reason ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "reason",
    [
        "               ",
        "... ... ... !!! ???",
        "fix fix fix fix fix",
        "ok. ok. ok. ok. ok.",
        "a b c d e f g h",
        "1 2 3 4 5 6 7 8",
    ],
)
def test_a_reason_without_substance_is_refused(world: Any, reason: str) -> None:
    heroin_mistyped(world)
    r = api(
        world,
        "prescriber",
        "last-use-corrections",
        body("heroin", at(D, 7).isoformat(), at(D, 1).isoformat(), reason),
    )
    assert r.status_code == 422
    assert not LastUseCorrection.objects.exists()


# --- 5. The reading after a correction ----------------------------------------------------------------------


def test_a_correction_is_audited_with_its_row(world: Any) -> None:
    heroin_mistyped(world)
    r = api(
        world,
        "prescriber",
        "last-use-corrections",
        body("heroin", at(D, 7).isoformat(), at(D - timedelta(1), 19).isoformat()),
    )
    assert r.status_code == 201
    row = LastUseCorrection.objects.get()
    assert AuditEvent.objects.filter(target_type="last_use_correction", target_id=str(row.pk)).exists() or (
        AuditEvent.objects.filter(target_type="last_use_correction", target_id=row.pk).exists()
    )


def test_the_correction_makes_a_start_ready_and_the_cows_counts(world: Any) -> None:
    """COWS at 09:30 looked older than a use typed 09:45; the true use was 19:00 yesterday: the COWS was
    after."""
    intake(world, at(D, 8), heroin=at(D, 7))
    cows(world, at(D, 9, 30))
    report(world, at(D, 9, 50), heroin=at(D, 9, 45))
    assert not ready_at(world).ready
    fix(world, "heroin", at(D, 9, 45), at(D - timedelta(1), 19))
    fix(world, "heroin", at(D, 7), at(D - timedelta(1), 19))
    assert ready_at(world).ready


def test_correcting_heroin_never_hides_methadone_two_days_ago(world: Any) -> None:
    intake(world, at(D, 8), heroin=at(D, 7), methadone=at(D - timedelta(days=2), 9))
    cows(world, at(D, 9, 30))
    fix(world, "heroin", at(D, 7), at(D - timedelta(days=3), 9))
    read = ready_at(world)
    assert read.uses.uses["methadone"].at == at(D - timedelta(days=2), 9)
    assert not read.ready


def test_a_report_after_the_correction_with_the_same_time_counts_again(world: Any) -> None:
    heroin_mistyped(world)
    fix(world, "heroin", at(D, 7), at(D - timedelta(1), 19), when=at(D, 9, 40))
    report(world, at(D, 9, 50), heroin=at(D, 7))
    use = ready_at(world).uses.uses["heroin"]
    assert use.at == at(D, 7)
    assert not ready_at(world).ready


def test_a_double_submitted_correction_is_refused_the_second_time(world: Any) -> None:
    heroin_mistyped(world)
    b = body("heroin", at(D, 7).isoformat(), at(D - timedelta(1), 19).isoformat())
    assert api(world, "prescriber", "last-use-corrections", b).status_code == 201
    assert api(world, "prescriber", "last-use-corrections", b, when=at(D, 10, 1)).status_code == 422
    assert LastUseCorrection.objects.count() == 1


def test_a_chain_of_corrections_walks_back_only_what_is_reported_now(world: Any) -> None:
    heroin_mistyped(world)
    fix(world, "heroin", at(D, 7), at(D, 5), when=at(D, 9, 40))
    fix(world, "heroin", at(D, 5), at(D, 3), when=at(D, 9, 41))
    # the first struck time is gone: striking it again is not a correction of anything reported
    with pytest.raises(TreatmentInvalid):
        fix(world, "heroin", at(D, 7), at(D, 1), when=at(D, 9, 42))
    assert ready_at(world).uses.uses["heroin"].at == at(D, 3)


def test_striking_a_time_without_a_replacement_leaves_the_opioid_used_at_an_unknown_time(world: Any) -> None:
    """The intake says heroin was used; only its time was wrong. Struck with "no other time", heroin must not
    vanish from the record: the readiness waits for a time (safe), it is not decided on the other opioids."""
    intake(world, at(D, 8), heroin=at(D, 7), rx_short=at(D - timedelta(1), 18))
    cows(world, at(D, 9, 30))
    r = page_post(
        world,
        "prescriber",
        start_path(world, "last-use-corrections/"),
        {
            "opioid": "heroin",
            "struck_at": at(D, 7).isoformat(),
            "corrected_at": "",
            "no_time": "on",
            "reason": REASON,
        },
    )
    assert r.status_code == 302
    read = ready_at(world)
    assert not read.ready


def test_the_naltrexone_readiness_and_the_home_start_read_the_same_correction(world: Any) -> None:
    intake(world, at(D, 8), heroin=at(D, 7))
    fix(world, "heroin", at(D, 7), at(D - timedelta(days=9), 7))
    nal = readiness.naltrexone_readiness(world.alice, NOW)
    assert nal.uses.uses["heroin"].at == at(D - timedelta(days=9), 7)
    with time_machine.travel(NOW, tick=False):
        home = readiness.home_start(world.alice.user, NOW)
    assert home.uses is not None
    assert home.uses.uses["heroin"].at == at(D - timedelta(days=9), 7)


def test_a_correction_does_not_make_an_old_report_fresh(world: Any) -> None:
    """Correcting is not asking again: a 30-hour-old intake still needs the times asked again."""
    intake(world, at(D - timedelta(days=1), 4), heroin=at(D - timedelta(days=1), 3))
    cows(world, at(D, 9, 30))
    fix(world, "heroin", at(D - timedelta(days=1), 3), at(D - timedelta(days=2), 3))
    read = ready_at(world)
    assert "last_use_report" in read.missing
    assert not read.ready


# --- 6. The page keeps what was typed -----------------------------------------------------------------------


def test_a_refused_page_correction_keeps_the_reason_typed(world: Any) -> None:
    struck = heroin_mistyped(world)
    r = page_post(
        world,
        "prescriber",
        start_path(world, "last-use-corrections/"),
        {
            "opioid": "heroin",
            "struck_at": struck.isoformat(),
            "corrected_at": "2026-11-16T08:30",
            "reason": "Person recalled the evening use at the window",
        },
    )
    assert r.status_code == 422
    html = r.content.decode()
    assert "Person recalled the evening use at the window" in html
    assert "2026-11-16T08:30" in html
    assert not LastUseCorrection.objects.exists()


def test_a_page_correction_without_time_or_tick_is_refused(world: Any) -> None:
    struck = heroin_mistyped(world)
    r = page_post(
        world,
        "prescriber",
        start_path(world, "last-use-corrections/"),
        {"opioid": "heroin", "struck_at": struck.isoformat(), "corrected_at": "   ", "reason": REASON},
    )
    assert r.status_code == 422
    assert not LastUseCorrection.objects.exists()


# --- 7. XR-naltrexone inside a course -------------------------------------------------------------------


def on_naltrexone(world: Any) -> None:
    intake(world, at(D, 8), heroin=at(D - timedelta(days=20), 8))
    order(world, "naltrexone_xr", "380", at(D, 8))
    with time_machine.travel(at(D, 9), tick=False):
        services.record_injection(
            by=world.staff["nurse"], patient_id=world.alice.pk, site="left_gluteal", now=at(D, 9)
        )


def inject_api(world: Any, when: datetime, **extra: Any) -> Any:
    return api(world, "nurse", "injections", {"site": "right_gluteal", **extra}, when=when)


def injections() -> int:
    return DoseRecord.objects.filter(medication="naltrexone_xr").count()


def test_methadone_given_here_since_the_injection_reruns_readiness(world: Any) -> None:
    on_naltrexone(world)
    order(world, "methadone", "20", at(D + timedelta(days=24), 8))
    # review 36f hole 3: methadone inside the injection's blockade needs the prescriber's switch override
    override(world, at(D + timedelta(days=25), 8), medication="methadone", kind="switch")
    dose(world, "20", at(D + timedelta(days=25), 9))
    r = inject_api(world, at(D + timedelta(days=28), 11))
    assert r.status_code == 422 or r.status_code == 409 or r.status_code >= 400
    assert injections() == 1


def test_a_take_home_bottle_since_the_injection_reruns_readiness(world: Any) -> None:
    on_naltrexone(world)
    TakeHomePlan.objects.create(
        patient=world.alice,
        decided_by=world.staff["prescriber"],
        decided_at=at(D + timedelta(days=20), 9),
        days_in_treatment=30,
        criteria={},
        decision={},
        max_supply_days=3,
        bottles=[(D + timedelta(days=26)).isoformat()],
        bottle_mg={(D + timedelta(days=26)).isoformat(): "30.00"},  # fix36e item 1: it left with her
    )
    r = inject_api(world, at(D + timedelta(days=28), 11))
    assert r.status_code >= 400
    assert injections() == 1


def test_a_reported_fentanyl_use_since_the_injection_reruns_readiness(world: Any) -> None:
    on_naltrexone(world)
    report(world, at(D + timedelta(days=28), 8), fentanyl=at(D + timedelta(days=26), 22))
    r = inject_api(world, at(D + timedelta(days=28), 11))
    assert r.status_code >= 400
    assert injections() == 1


def test_a_buprenorphine_fill_since_the_injection_reruns_readiness(world: Any) -> None:
    on_naltrexone(world)
    bup = order(world, "buprenorphine", "8", at(D + timedelta(days=22), 8))
    with time_machine.travel(at(D + timedelta(days=22), 10), tick=False):
        services.record_fill(
            by=world.staff["nurse"],
            patient_id=world.alice.pk,
            order_id=bup.pk,
            filled_on=(D + timedelta(days=22)).isoformat(),
            days_supply=3,
            source="pharmacy",
            now=at(D + timedelta(days=22), 10),
        )
    r = inject_api(world, at(D + timedelta(days=28), 11))
    assert r.status_code >= 400
    assert injections() == 1


def test_an_intake_since_the_injection_listing_heroin_without_a_time_stops_it(world: Any) -> None:
    on_naltrexone(world)
    with time_machine.travel(at(D + timedelta(days=28), 8), tick=False):
        services.record_intake(
            by=world.staff["counselor"],
            patient_id=world.alice.pk,
            data=IntakeIn.posted(
                {
                    "opioids": [{"opioid": "heroin", "routes": ["smoke"], "last_use_at": None}],
                    "pregnant": "no",
                }
            ),
            now=at(D + timedelta(days=28), 8),
        )
    r = inject_api(world, at(D + timedelta(days=28), 11))
    assert r.status_code >= 400
    assert injections() == 1


def test_a_correction_cannot_quietly_turn_a_use_since_the_injection_into_none(world: Any) -> None:
    """Reported heroin 2 days ago, corrected to a time still after the injection: the readiness still
    decides."""
    on_naltrexone(world)
    report(world, at(D + timedelta(days=28), 8), heroin=at(D + timedelta(days=26), 22))
    fix(
        world,
        "heroin",
        at(D + timedelta(days=26), 22),
        at(D + timedelta(days=25), 22),
        when=at(D + timedelta(days=28), 9),
    )
    r = inject_api(world, at(D + timedelta(days=28), 11))
    assert r.status_code >= 400
    assert injections() == 1


@pytest.mark.parametrize("medication", ["methadone", "buprenorphine"])
def test_a_hold_this_morning_on_any_medication_stops_the_injection(world: Any, medication: str) -> None:
    on_naltrexone(world)
    order(world, medication, "20" if medication == "methadone" else "8", at(D + timedelta(days=27), 8))
    day = D + timedelta(days=28)
    with time_machine.travel(at(day, 8), tick=False):
        held = services.record_dose(
            by=world.staff["nurse"],
            patient_id=world.alice.pk,
            sedated=True,
            medication=medication,
            now=at(day, 8),
        )
    assert held.dose.status == "held"
    r = inject_api(world, at(day, 11))
    assert r.status_code >= 400, r.content
    assert injections() == 1


def test_a_hold_this_morning_stops_the_injection_on_the_medication_page(world: Any) -> None:
    on_naltrexone(world)
    order(world, "methadone", "20", at(D + timedelta(days=27), 8))
    day = D + timedelta(days=28)
    with time_machine.travel(at(day, 8), tick=False):
        services.record_dose(
            by=world.staff["nurse"],
            patient_id=world.alice.pk,
            sedated=True,
            medication="methadone",
            now=at(day, 8),
        )
    page_post(
        world, "nurse", f"/patients/{world.alice.pk}/injections/", {"site": "right_gluteal"}, when=at(day, 11)
    )
    assert injections() == 1


# --- 8. The dosing hours override names one medication ------------------------------------------------------

EVENING = datetime(2026, 11, 25, 21, 0, tzinfo=UTC)  # 16:00 in Riverside, after closing


def hours(world: Any) -> None:
    Program.objects.filter(pk=world.riverside.pk).update(dosing_opens=time(6, 30), dosing_closes=time(14, 0))


def test_a_buprenorphine_hours_override_does_not_open_the_window_for_methadone_api(world: Any) -> None:
    hours(world)
    order(world, "methadone", "30", datetime(2026, 11, 20, 13, 0, tzinfo=UTC))
    for d in range(20, 25):
        dose(world, "30", datetime(2026, 11, d, 14, 0, tzinfo=UTC))
    r = api(
        world,
        "prescriber",
        "dose-overrides",
        {"kind": "hours", "medication": "buprenorphine", "reason": REASON},
        when=EVENING,
    )
    assert r.status_code == 201, r.content
    before = DoseRecord.objects.count()
    r = api(
        world, "nurse", "doses", {"amount_mg": "30", "sequence": 1, "medication": "methadone"}, when=EVENING
    )
    assert r.status_code >= 400
    assert DoseRecord.objects.count() == before


def test_the_start_page_hours_override_does_not_open_the_window_for_methadone_page(world: Any) -> None:
    hours(world)
    order(world, "methadone", "30", datetime(2026, 11, 20, 13, 0, tzinfo=UTC))
    for d in range(20, 25):
        dose(world, "30", datetime(2026, 11, d, 14, 0, tzinfo=UTC))
    page_post(
        world,
        "prescriber",
        start_path(world, "dose-overrides/"),
        {"kind": "hours", "reason": REASON},
        when=EVENING,
    )
    assert DoseOverride.objects.filter(kind="hours", medication="buprenorphine").exists()
    before = DoseRecord.objects.count()
    page_post(
        world,
        "nurse",
        f"/dosing/{world.alice.pk}/",
        {"amount_mg": "30", "medication": "methadone"},
        when=EVENING,
    )
    assert DoseRecord.objects.filter(status="given").count() == before


def test_an_hours_override_for_naltrexone_cannot_be_written(world: Any) -> None:
    r = api(
        world,
        "prescriber",
        "dose-overrides",
        {"kind": "hours", "medication": "naltrexone_xr", "reason": REASON},
        when=EVENING,
    )
    assert r.status_code == 422


# --- 9. A medication the window does not give ---------------------------------------------------------------


@pytest.mark.parametrize(
    "medication", ["Buprenorphine", "METHADONE", " methadone", "naltrexone_xr", "", "suboxone"]
)
def test_an_unknown_medication_on_the_api_is_refused_naming_it(world: Any, medication: str) -> None:
    order(world, "methadone", "30", at(D, 8))
    r = api(world, "nurse", "doses", {"amount_mg": "30", "sequence": 1, "medication": medication})
    assert r.status_code == 422
    assert "medication" in r.content.decode()
    assert not DoseRecord.objects.exists()


def test_a_null_medication_on_the_api_is_refused(world: Any) -> None:
    order(world, "methadone", "30", at(D, 8))
    r = api(world, "nurse", "doses", {"amount_mg": "30", "sequence": 1, "medication": None})
    assert r.status_code == 422
    assert not DoseRecord.objects.exists()


@pytest.mark.parametrize("sedated", [False, True])
def test_an_unknown_medication_on_the_page_records_nothing(world: Any, sedated: bool) -> None:
    order(world, "methadone", "30", at(D, 8))
    order(world, "buprenorphine", "8", at(D, 8))
    data = {"amount_mg": "8", "medication": "Buprenorphine"}
    if sedated:
        data["sedated"] = "on"
    r = page_post(world, "nurse", f"/dosing/{world.alice.pk}/", data)
    assert r.status_code in (302, 204)
    assert not DoseRecord.objects.exists()


def test_an_unknown_medication_is_said_on_the_list(world: Any) -> None:
    order(world, "methadone", "30", at(D, 8))
    with time_machine.travel(NOW, tick=False):
        client = sign_in(Client(), world.staff["nurse"])
        client.post(f"/dosing/{world.alice.pk}/", {"amount_mg": "30", "medication": "Methadone"})
        html = client.get("/dosing/").content.decode()
    assert "does not give" in html
    assert not DoseRecord.objects.exists()


# --- 10. More ordinary input ------------------------------------------------------------------------------


def test_a_time_in_both_the_intake_and_a_later_report_is_corrected_in_both(world: Any) -> None:
    """The nurse re-asked at 09:40 and copied the same mistaken 07:00: one correction reads both."""
    heroin_mistyped(world)
    report(world, at(D, 9, 40), heroin=at(D, 7))
    fix(world, "heroin", at(D, 7), at(D - timedelta(1), 19))
    read = ready_at(world)
    assert read.uses.uses["heroin"].at == at(D - timedelta(1), 19)
    assert read.ready


@pytest.mark.parametrize("opioid", ["Heroin", "heroin ", "opium", ""])
def test_an_opioid_not_spelled_as_keel_asks_is_refused(world: Any, opioid: str) -> None:
    heroin_mistyped(world)
    r = api(
        world, "prescriber", "last-use-corrections", body(opioid, at(D, 7).isoformat(), at(D, 1).isoformat())
    )
    assert r.status_code == 422
    assert not LastUseCorrection.objects.exists()


def test_a_numeric_struck_time_is_refused(world: Any) -> None:
    heroin_mistyped(world)
    r = api(world, "prescriber", "last-use-corrections", body("heroin", 1763294400, at(D, 1).isoformat()))
    assert r.status_code == 422
    assert not LastUseCorrection.objects.exists()


def test_the_persons_own_report_after_a_correction_counts_again(world: Any) -> None:
    heroin_mistyped(world)
    fix(world, "heroin", at(D, 7), at(D - timedelta(1), 19), when=at(D, 9, 40))
    with time_machine.travel(at(D, 9, 50), tick=False):
        services.record_last_use(
            by=world.alice.user,
            patient_id=None,
            raw={"opioids": [{"opioid": "heroin", "last_use_at": at(D, 7).isoformat()}]},
            now=at(D, 9, 50),
        )
    assert ready_at(world).uses.uses["heroin"].at == at(D, 7)
