"""Issue #13, medication safety: a prescriber corrects a mistaken time of last use.

Readiness takes each opioid's latest reported time, so a later time typed by mistake would keep the person
"not ready" for good. A correction strikes exactly that time (every intake and report that gave it by then)
and gives the right, earlier time or none; a time reported again afterwards counts again; the program's own
records are never struck; every other opioid keeps its own time. The guard is attacked from each side: the
readiness read, the service's gates, the API and the start page."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.http import Http404
from django.test import Client
from django.utils import translation

from keel.accounts.names import staff_name
from keel.assessments.models import Assessment
from keel.assessments.services import NotAllowed, submit_assessment
from keel.audit.models import AuditEvent
from keel.core.opioids import OPIOIDS
from keel.treatment import readiness, services
from keel.treatment.errors import TreatmentInvalid
from keel.treatment.models import _OPIOID_CODES, Intake, LastUseCorrection, LastUseReport, TakeHomePlan
from keel.treatment.schemas import IntakeIn
from keel.treatment.services import last_use as last_use_service
from keel.treatment.services.last_use import record_last_use
from keel.web.templatetags.keel_dates import shown_datetime
from tests.conftest import World, sign_in
from tests.treatment.test_start_guards import COWS_13

pytestmark = pytest.mark.django_db
NOON = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)  # 12:00 in Riverside (America/New_York)
REASON = "Nurse typed 22:00 for 02:00; the person confirmed the time again today."


def ago(hours: float) -> datetime:
    return NOON - timedelta(hours=hours)


def _shown(at: datetime) -> str:
    """An instant as the page says it: in Riverside's zone, in English."""
    with translation.override("en"):
        return shown_datetime(at.astimezone(ZoneInfo("America/New_York")))


def intake(world: World, *, at: datetime = NOON - timedelta(hours=1), **hours: float | None) -> Intake:
    """An intake recorded at `at` with each opioid's last use `hours` before NOON (None: no time)."""
    opioids = [
        {"opioid": o, "routes": ["smoke"], "last_use_at": "" if h is None else ago(h).isoformat()}
        for o, h in hours.items()
    ]
    with time_machine.travel(at, tick=False):
        return services.record_intake(
            by=world.staff["counselor"],
            patient_id=world.alice.pk,
            data=IntakeIn.posted({"opioids": opioids, "pregnant": "no"}),
        )


def report(world: World, at: datetime, **hours: float) -> LastUseReport:
    with time_machine.travel(at, tick=False):
        return record_last_use(
            by=world.staff["nurse"],
            patient_id=world.alice.pk,
            raw={"opioids": [{"opioid": o, "last_use_at": ago(h).isoformat()} for o, h in hours.items()]},
        )


def correct(
    world: World,
    opioid: Any = "heroin",
    struck: Any = None,
    corrected: Any = None,
    *,
    role: str = "prescriber",
    reason: Any = REASON,
    at: datetime = NOON - timedelta(minutes=30),
) -> LastUseCorrection:
    return services.correct_last_use(
        by=world.staff[role],
        patient_id=world.alice.pk,
        opioid=opioid,
        struck_at=struck,
        corrected_at=corrected,
        reason=reason,
        now=at,
    )


def cows(world: World, at: datetime = NOON - timedelta(minutes=20)) -> Assessment:
    with time_machine.travel(at, tick=False):
        return submit_assessment(
            by=world.staff["nurse"], patient_id=world.alice.pk, instrument="cows", answers=COWS_13
        )[0]


def uses(world: World, at: datetime = NOON) -> dict[str, readiness.LastUse]:
    return readiness.read_last_uses(world.alice, at).uses


def fields(exc: pytest.ExceptionInfo[TreatmentInvalid]) -> set[str]:
    return {e.field for e in exc.value.errors}


def reason_of(exc: pytest.ExceptionInfo[TreatmentInvalid], field: str) -> str:
    return next(e.reason for e in exc.value.errors if e.field == field)


def text_of(html: str) -> str:
    body = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))


# --- The model ----------------------------------------------------------------------------------------------


def test_the_models_opioids_are_the_cores() -> None:
    assert _OPIOID_CODES == OPIOIDS


def test_the_database_refuses_a_corrected_time_later_than_the_struck_one(world: World) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        LastUseCorrection.objects.create(
            patient=world.alice,
            opioid="heroin",
            struck_at=ago(2),
            corrected_at=ago(1),
            reason=REASON,
            corrected_by=world.staff["prescriber"],
            recorded_at=NOON,
        )


def test_the_database_refuses_a_corrected_time_equal_to_the_struck_one(world: World) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        LastUseCorrection.objects.create(
            patient=world.alice,
            opioid="heroin",
            struck_at=ago(2),
            corrected_at=ago(2),
            reason=REASON,
            corrected_by=world.staff["prescriber"],
            recorded_at=NOON,
        )


def test_the_database_refuses_an_unknown_opioid(world: World) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        LastUseCorrection.objects.create(
            patient=world.alice,
            opioid="kratom",
            struck_at=ago(2),
            reason=REASON,
            corrected_by=world.staff["prescriber"],
            recorded_at=NOON,
        )


def test_the_database_refuses_an_empty_reason(world: World) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        LastUseCorrection.objects.create(
            patient=world.alice,
            opioid="heroin",
            struck_at=ago(2),
            reason="",
            corrected_by=world.staff["prescriber"],
            recorded_at=NOON,
        )


# --- Readiness reads through the correction -----------------------------------------------------------------


def test_a_struck_intake_time_is_read_as_the_corrected_time(world: World) -> None:
    intake(world, heroin=2)
    correct(world, struck=ago(2), corrected=ago(14))
    assert uses(world)["heroin"].at == ago(14)


def test_the_corrected_time_says_it_was_corrected(world: World) -> None:
    intake(world, heroin=2)
    correct(world, struck=ago(2), corrected=ago(14))
    assert uses(world)["heroin"].source == "corrected"


def test_the_corrected_time_carries_the_correction(world: World) -> None:
    intake(world, heroin=2)
    row = correct(world, struck=ago(2), corrected=ago(14))
    assert uses(world)["heroin"].correction == row


def test_the_verdict_waits_before_the_correction(world: World) -> None:
    intake(world, heroin=2)
    cows(world)
    assert services.buprenorphine_readiness(world.alice, NOON).readiness.decision == "wait"  # type: ignore[union-attr]


def test_the_verdict_is_ready_after_the_correction(world: World) -> None:
    intake(world, heroin=2)
    cows(world)
    correct(world, struck=ago(2), corrected=ago(14))
    assert services.buprenorphine_readiness(world.alice, NOON).ready


def test_a_struck_report_time_is_read_as_corrected(world: World) -> None:
    intake(world, heroin=20, at=ago(3))
    report(world, ago(2), heroin=2)
    correct(world, struck=ago(2), corrected=ago(14))
    assert uses(world)["heroin"].at == ago(14)


def test_the_same_time_reported_after_the_correction_counts_again(world: World) -> None:
    intake(world, heroin=2)
    correct(world, struck=ago(2), corrected=ago(14), at=ago(0.5))
    report(world, ago(0.25), heroin=2)
    assert uses(world)["heroin"].at == ago(2)


def test_a_time_reported_again_is_a_report_not_a_correction(world: World) -> None:
    intake(world, heroin=2)
    correct(world, struck=ago(2), corrected=ago(14), at=ago(0.5))
    report(world, ago(0.25), heroin=2)
    assert uses(world)["heroin"].source == "report"


def test_a_correction_is_not_read_before_it_was_made(world: World) -> None:
    intake(world, heroin=2)
    correct(world, struck=ago(2), corrected=ago(14), at=ago(0.5))
    assert uses(world, ago(0.75))["heroin"].at == ago(2)


def test_correcting_heroin_never_hides_methadone_two_days_ago(world: World) -> None:
    intake(world, heroin=2, methadone=48)
    correct(world, struck=ago(2), corrected=ago(14))
    assert uses(world)["methadone"].at == ago(48)


def test_the_verdict_still_waits_for_methadone_after_a_heroin_correction(world: World) -> None:
    intake(world, heroin=2, methadone=48)
    cows(world)
    correct(world, struck=ago(2), corrected=ago(14))
    assert services.buprenorphine_readiness(world.alice, NOON).readiness.decision == "wait"  # type: ignore[union-attr]


def test_a_correction_of_one_opioid_does_not_strike_the_same_time_of_another(world: World) -> None:
    intake(world, heroin=2, fentanyl=2)
    correct(world, struck=ago(2), corrected=ago(14))
    assert uses(world)["fentanyl"].at == ago(2)


def test_two_intakes_with_the_same_mistaken_time_are_both_struck(world: World) -> None:
    intake(world, heroin=2, at=ago(1.5))
    intake(world, heroin=2, at=ago(1))
    correct(world, struck=ago(2), corrected=ago(14))
    assert uses(world)["heroin"].at == ago(14)


def test_a_correction_without_a_time_leaves_the_use_at_an_unknown_time(world: World) -> None:
    """Review 13g: the person still used heroin; only the time is not known (never read as not used)."""
    intake(world, heroin=2)
    correct(world, struck=ago(2), corrected=None)
    assert "heroin" in readiness.read_last_uses(world.alice, NOON).unknown


def test_a_report_after_the_correction_gives_the_unknown_time_again(world: World) -> None:
    intake(world, heroin=5, at=ago(3))
    correct(world, struck=ago(5), corrected=None, at=ago(1))
    report(world, ago(0.5), heroin=20)
    assert uses(world)["heroin"].at == ago(20)


def test_an_intake_after_the_correction_that_does_not_list_the_opioid_clears_it(world: World) -> None:
    """Entered by mistake: a new intake, asked from the start, no longer lists heroin."""
    intake(world, heroin=5, at=ago(3))
    correct(world, struck=ago(5), corrected=None, at=ago(1))
    intake(world, fentanyl=30, at=ago(0.5))
    assert "heroin" not in uses(world)


def test_with_the_time_struck_readiness_waits_for_it(world: World) -> None:
    intake(world, heroin=2)
    cows(world)
    correct(world, struck=ago(2), corrected=None)
    assert "last_use_time" in services.buprenorphine_readiness(world.alice, NOON).missing


def test_a_correction_without_a_time_never_falls_back_to_an_older_time(world: World) -> None:
    """Review 13g: the struck use may be later than any older answer; its time is not known."""
    intake(world, heroin=20, at=ago(3))
    intake(world, heroin=2, at=ago(1))
    correct(world, struck=ago(2), corrected=None)
    assert "heroin" in readiness.read_last_uses(world.alice, NOON).unknown


def test_a_struck_report_leaves_an_opioid_the_intake_lists_without_a_time_unknown(world: World) -> None:
    intake(world, heroin=None, at=ago(3))
    report(world, ago(2), heroin=2)
    correct(world, struck=ago(2), corrected=None)
    assert "heroin" in readiness.read_last_uses(world.alice, NOON).unknown


def test_a_corrected_time_may_be_corrected_again(world: World) -> None:
    intake(world, heroin=2)
    correct(world, struck=ago(2), corrected=ago(10), at=ago(0.75))
    correct(world, struck=ago(10), corrected=ago(14), at=ago(0.5))
    assert uses(world)["heroin"].at == ago(14)


def test_the_program_own_take_home_day_still_wins_over_a_corrected_methadone_time(world: World) -> None:
    intake(world, methadone=2)
    TakeHomePlan.objects.create(
        patient=world.alice,
        decided_by=world.staff["prescriber"],
        decided_at=NOON - timedelta(days=3),
        days_in_treatment=40,
        criteria={},
        decision={},
        max_supply_days=7,
        bottles=["2026-11-24"],
        bottle_mg={"2026-11-24": "30.00"},  # fix36e item 1: counted once it left with her
    )
    correct(world, "methadone", struck=ago(2), corrected=None)
    # review 36f hole 1: yesterday's bottle is older than the strike: it does not answer it (unknown, gating)
    assert uses(world)["methadone"].source == "corrected"


def test_the_induction_switch_check_reads_methadone_through_the_correction(world: World) -> None:
    intake(world, methadone=2)
    correct(world, "methadone", struck=ago(2), corrected=ago(30))
    assert readiness.methadone_times(world.alice, ago(30).date(), NOON) == [ago(30)]


# --- The service's gates ------------------------------------------------------------------------------------


def test_a_nurse_may_not_correct(world: World) -> None:
    intake(world, heroin=2)
    with pytest.raises(NotAllowed):
        correct(world, struck=ago(2), corrected=ago(14), role="nurse")


def test_a_nurse_refused_writes_no_correction(world: World) -> None:
    intake(world, heroin=2)
    with pytest.raises(NotAllowed):
        correct(world, struck=ago(2), corrected=ago(14), role="nurse")
    assert LastUseCorrection.objects.count() == 0


def test_a_nurse_refused_is_audited_as_a_denial(world: World) -> None:
    intake(world, heroin=2)
    with pytest.raises(NotAllowed):
        correct(world, struck=ago(2), corrected=ago(14), role="nurse")
    assert AuditEvent.objects.filter(target_type="last_use_correction", outcome="denied").count() == 1


def test_a_counselor_may_not_correct(world: World) -> None:
    intake(world, heroin=2)
    with pytest.raises(NotAllowed):
        correct(world, struck=ago(2), corrected=ago(14), role="counselor")


def test_a_patient_of_another_program_is_not_found(world: World) -> None:
    with pytest.raises(Http404):
        services.correct_last_use(
            by=world.staff["prescriber"],
            patient_id=world.charlie.pk,
            opioid="heroin",
            struck_at=ago(2),
            reason=REASON,
            now=NOON,
        )


@pytest.mark.parametrize("reason", ["", "typo", "fixed it ok", "xxxxxxxxxxxxxxxxxxxx"])
def test_a_reason_without_substance_is_refused(world: World, reason: str) -> None:
    intake(world, heroin=2)
    with pytest.raises(TreatmentInvalid) as exc:
        correct(world, struck=ago(2), corrected=ago(14), reason=reason)
    assert fields(exc) == {"reason"}


def test_the_reason_is_the_override_reason_check(world: World) -> None:
    intake(world, heroin=2)
    with pytest.raises(TreatmentInvalid) as exc:
        correct(world, struck=ago(2), corrected=ago(14), reason="typo")
    from keel.core.reasons import reason_problem

    assert reason_of(exc, "reason") == reason_problem("typo")


def test_a_corrected_time_in_the_future_is_refused(world: World) -> None:
    intake(world, heroin=2)
    with pytest.raises(TreatmentInvalid) as exc:
        correct(world, struck=ago(2), corrected=(NOON + timedelta(hours=1)).isoformat(), at=NOON)
    assert fields(exc) == {"corrected_at"}


def test_a_corrected_time_equal_to_the_struck_one_is_refused(world: World) -> None:
    intake(world, heroin=2)
    with pytest.raises(TreatmentInvalid) as exc:
        correct(world, struck=ago(2), corrected=ago(2))
    assert reason_of(exc, "corrected_at") == last_use_service.NOT_EARLIER


def test_a_corrected_time_later_than_the_struck_one_is_refused(world: World) -> None:
    intake(world, heroin=5)
    with pytest.raises(TreatmentInvalid) as exc:
        correct(world, struck=ago(5), corrected=ago(2))
    assert reason_of(exc, "corrected_at") == last_use_service.NOT_EARLIER


@pytest.mark.parametrize("garbage", ["NaN", "nan", "inf", "2026-13-45T25:99", "yesterday", "9" * 60])
def test_a_struck_time_that_is_not_a_time_is_refused(world: World, garbage: str) -> None:
    intake(world, heroin=2)
    with pytest.raises(TreatmentInvalid) as exc:
        correct(world, struck=garbage, corrected=ago(14))
    assert fields(exc) == {"struck_at"}


@pytest.mark.parametrize("garbage", ["NaN", "nan", "-inf", "2026-11-24", "not a time", 14.5, {"at": 1}])
def test_a_corrected_time_that_is_not_a_time_is_refused(world: World, garbage: Any) -> None:
    intake(world, heroin=2)
    with pytest.raises(TreatmentInvalid) as exc:
        correct(world, struck=ago(2), corrected=garbage)
    assert fields(exc) == {"corrected_at"}


def test_a_time_without_its_zone_is_refused(world: World) -> None:
    intake(world, heroin=2)
    with pytest.raises(TreatmentInvalid) as exc:
        correct(world, struck=ago(2), corrected="2026-11-24T22:00")
    assert fields(exc) == {"corrected_at"}


def test_a_missing_struck_time_is_refused(world: World) -> None:
    intake(world, heroin=2)
    with pytest.raises(TreatmentInvalid) as exc:
        correct(world, struck="", corrected=ago(14))
    assert fields(exc) == {"struck_at"}


@pytest.mark.parametrize("opioid", ["kratom", "", None, "HEROIN", 3])
def test_an_unknown_opioid_is_refused(world: World, opioid: Any) -> None:
    intake(world, heroin=2)
    with pytest.raises(TreatmentInvalid) as exc:
        correct(world, opioid, struck=ago(2), corrected=ago(14))
    assert fields(exc) == {"opioid"}


def test_a_struck_time_not_reported_is_refused(world: World) -> None:
    intake(world, heroin=2)
    with pytest.raises(TreatmentInvalid) as exc:
        correct(world, struck=ago(3), corrected=ago(14))
    assert reason_of(exc, "struck_at") == last_use_service.NOT_REPORTED


def test_a_struck_time_reported_for_another_opioid_is_refused(world: World) -> None:
    intake(world, heroin=2)
    with pytest.raises(TreatmentInvalid) as exc:
        correct(world, "fentanyl", struck=ago(2), corrected=ago(14))
    assert reason_of(exc, "struck_at") == last_use_service.NOT_REPORTED


def test_a_struck_time_off_by_a_second_is_refused(world: World) -> None:
    intake(world, heroin=2)
    with pytest.raises(TreatmentInvalid) as exc:
        correct(world, struck=ago(2) + timedelta(seconds=1), corrected=ago(14))
    assert fields(exc) == {"struck_at"}


def test_a_struck_time_reported_after_the_correction_is_made_is_refused(world: World) -> None:
    """The service reads the record as of its `now`: a report recorded later is not there yet."""
    intake(world, heroin=20, at=ago(3))
    report(world, ago(0.25), heroin=2)
    with pytest.raises(TreatmentInvalid) as exc:
        correct(world, struck=ago(2), corrected=ago(14), at=ago(0.5))
    assert fields(exc) == {"struck_at"}


def test_a_time_already_struck_without_a_replacement_cannot_be_struck_again(world: World) -> None:
    intake(world, heroin=2)
    correct(world, struck=ago(2), corrected=None, at=ago(0.75))
    with pytest.raises(TreatmentInvalid) as exc:
        correct(world, struck=ago(2), corrected=ago(14), at=ago(0.5))
    assert reason_of(exc, "struck_at") == last_use_service.NOT_REPORTED


def test_a_take_home_day_cannot_be_struck(world: World) -> None:
    intake(world, heroin=14)
    TakeHomePlan.objects.create(
        patient=world.alice,
        decided_by=world.staff["prescriber"],
        decided_at=NOON - timedelta(days=3),
        days_in_treatment=40,
        criteria={},
        decision={},
        max_supply_days=7,
        bottles=["2026-11-24"],
        bottle_mg={"2026-11-24": "30.00"},  # fix36e item 1: counted once it left with her
    )
    at = readiness.read_last_uses(world.alice, NOON).uses["methadone"].at
    with pytest.raises(TreatmentInvalid) as exc:
        correct(world, "methadone", struck=at, corrected=None, at=NOON)
    assert reason_of(exc, "struck_at") == last_use_service.PROGRAM_RECORD


def test_nothing_is_written_when_refused(world: World) -> None:
    intake(world, heroin=2)
    before = AuditEvent.objects.count()
    with pytest.raises(TreatmentInvalid):
        correct(world, struck=ago(3), corrected=ago(14))
    assert (LastUseCorrection.objects.count(), AuditEvent.objects.count()) == (0, before)


def test_a_correction_writes_its_audit_row(world: World) -> None:
    intake(world, heroin=2)
    row = correct(world, struck=ago(2), corrected=ago(14))
    event = AuditEvent.objects.get(target_type="last_use_correction", action="create")
    assert event.target_id == str(row.pk)


def test_the_audit_row_names_the_patient(world: World) -> None:
    intake(world, heroin=2)
    correct(world, struck=ago(2), corrected=ago(14))
    assert AuditEvent.objects.get(target_type="last_use_correction").patient_id == world.alice.pk


def test_the_correction_and_its_audit_row_are_one_transaction(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    intake(world, heroin=2)

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the audit chain is unavailable")

    monkeypatch.setattr(last_use_service, "_audit", broken)
    with pytest.raises(RuntimeError):
        correct(world, struck=ago(2), corrected=ago(14))
    assert LastUseCorrection.objects.count() == 0


def test_the_reason_is_kept_as_written_in_one_line(world: World) -> None:
    intake(world, heroin=2)
    row = correct(
        world, struck=ago(2), corrected=ago(14), reason="  Nurse typed\n22:00 for 02:00, confirmed  "
    )
    assert row.reason == "Nurse typed 22:00 for 02:00, confirmed"


def test_the_correction_records_the_prescriber(world: World) -> None:
    intake(world, heroin=2)
    assert correct(world, struck=ago(2), corrected=ago(14)).corrected_by == world.staff["prescriber"]


# --- The API ------------------------------------------------------------------------------------------------


def _post(world: World, body: dict[str, Any], role: str = "prescriber") -> Any:
    with time_machine.travel(NOON, tick=False):
        return sign_in(Client(), world.staff[role]).post(
            f"/api/v1/patients/{world.alice.pk}/last-use-corrections", body, content_type="application/json"
        )


def _body(**over: Any) -> dict[str, Any]:
    return {"opioid": "heroin", "struck_at": ago(2).isoformat(), "corrected_at": ago(14).isoformat(),
            "reason": REASON, **over}  # fmt: skip


def test_the_api_corrects_a_time(world: World) -> None:
    intake(world, heroin=2)
    assert _post(world, _body()).status_code == 201


def test_the_api_answers_the_correction(world: World) -> None:
    intake(world, heroin=2)
    data = _post(world, _body()).json()
    assert (data["opioid"], data["corrected_by"], data["reason"]) == ("heroin", "r-prescriber", REASON)


def test_the_api_strikes_without_a_time(world: World) -> None:
    intake(world, heroin=2)
    assert _post(world, _body(corrected_at=None)).json()["corrected_at"] is None


def test_the_api_start_says_the_time_was_corrected(world: World) -> None:
    intake(world, heroin=2)
    _post(world, _body())
    with time_machine.travel(NOON, tick=False):
        data = sign_in(Client(), world.staff["nurse"]).get(f"/api/v1/patients/{world.alice.pk}/start").json()
    heroin = next(u for u in data["last_uses"] if u["opioid"] == "heroin")
    assert (heroin["source"], heroin["correction"]["corrected_by"]) == ("corrected", "r-prescriber")


def test_the_api_refuses_a_nurse(world: World) -> None:
    intake(world, heroin=2)
    assert _post(world, _body(), role="nurse").status_code == 403


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"struck_at": "NaN"}, "struck_at"),
        ({"corrected_at": "NaN"}, "corrected_at"),
        ({"corrected_at": (NOON + timedelta(hours=2)).isoformat()}, "corrected_at"),
        ({"corrected_at": ago(1).isoformat()}, "corrected_at"),
        ({"opioid": "kratom"}, "opioid"),
        ({"reason": ""}, "reason"),
        ({"reason": "typo"}, "reason"),
        ({"struck_at": ago(3).isoformat()}, "struck_at"),
        ({"struck_at": 12}, "struck_at"),
    ],
)
def test_the_api_names_the_bad_field(world: World, over: dict[str, Any], field: str) -> None:
    intake(world, heroin=2)
    response = _post(world, _body(**over))
    assert (response.status_code, [e["field"] for e in response.json()["errors"]]) == (422, [field])


def test_the_api_writes_nothing_on_a_bad_field(world: World) -> None:
    intake(world, heroin=2)
    _post(world, _body(corrected_at="NaN"))
    assert LastUseCorrection.objects.count() == 0


def test_the_route_is_in_the_openapi_document(world: World) -> None:
    with time_machine.travel(NOON, tick=False):
        doc = sign_in(Client(), world.staff["prescriber"]).get("/api/v1/openapi.json").json()
    operation = doc["paths"]["/api/v1/patients/{patient_id}/last-use-corrections"]["post"]
    assert operation["operationId"] == "keel_treatment_api_correct_last_use"


def test_the_openapi_document_names_the_fields(world: World) -> None:
    with time_machine.travel(NOON, tick=False):
        doc = sign_in(Client(), world.staff["prescriber"]).get("/api/v1/openapi.json").json()
    schema = doc["components"]["schemas"]["LastUseCorrectionIn"]
    assert set(schema["properties"]) == {"opioid", "struck_at", "corrected_at", "reason"}


# --- The start page -----------------------------------------------------------------------------------------


def _page(world: World, role: str = "prescriber", language: str = "en") -> str:
    with time_machine.travel(NOON, tick=False):
        client = sign_in(Client(), world.staff[role])
        client.cookies["django_language"] = language
        return client.get(
            f"/patients/{world.alice.pk}/start/", HTTP_ACCEPT_LANGUAGE=language
        ).content.decode()


def _page_post(world: World, data: dict[str, Any], role: str = "prescriber", language: str = "en") -> Any:
    with time_machine.travel(NOON, tick=False):
        client = sign_in(Client(), world.staff[role])
        client.cookies["django_language"] = language
        return client.post(
            f"/patients/{world.alice.pk}/start/last-use-corrections/", data, HTTP_ACCEPT_LANGUAGE=language
        )


def _form(**over: Any) -> dict[str, Any]:
    # 22:00 on Nov 24 in Riverside is 14 h before noon on Nov 25
    return {"opioid": "heroin", "struck_at": ago(2).isoformat(), "corrected_at": "2026-11-24T22:00",
            "reason": REASON, **over}  # fmt: skip


def test_a_prescriber_sees_the_form(world: World) -> None:
    intake(world, heroin=2)
    assert "Correct this time" in _page(world)


def test_the_form_posts_to_its_own_url(world: World) -> None:
    intake(world, heroin=2)
    assert f'action="/patients/{world.alice.pk}/start/last-use-corrections/"' in _page(world)


def test_the_form_strikes_the_time_shown(world: World) -> None:
    intake(world, heroin=2)
    assert f'name="struck_at" value="{ago(2).isoformat()}"' in _page(world)


def test_a_nurse_does_not_see_the_form(world: World) -> None:
    intake(world, heroin=2)
    assert "Correct this time" not in _page(world, "nurse")


def test_a_nurse_post_is_forbidden(world: World) -> None:
    intake(world, heroin=2)
    assert _page_post(world, _form(), role="nurse").status_code == 403


def test_a_nurse_post_writes_nothing(world: World) -> None:
    intake(world, heroin=2)
    _page_post(world, _form(), role="nurse")
    assert LastUseCorrection.objects.count() == 0


def test_a_nurse_post_with_a_bad_form_is_still_forbidden(world: World) -> None:
    intake(world, heroin=2)
    assert _page_post(world, _form(corrected_at=""), role="nurse").status_code == 403


def test_a_prescriber_post_goes_back_to_the_page(world: World) -> None:
    intake(world, heroin=2)
    assert _page_post(world, _form()).status_code == 302


def test_the_page_reads_the_local_time_in_the_programs_zone(world: World) -> None:
    intake(world, heroin=2)
    _page_post(world, _form())
    assert LastUseCorrection.objects.get().corrected_at == ago(14)


def test_after_the_correction_the_page_shows_the_time_used(world: World) -> None:
    intake(world, heroin=2)
    _page_post(world, _form())
    assert _shown(ago(14)) in text_of(_page(world, "nurse"))


def test_after_the_correction_the_page_says_who_when_and_why(world: World) -> None:
    intake(world, heroin=2)
    _page_post(world, _form())
    prescriber = world.staff["prescriber"]
    who = staff_name(prescriber)  # never a username (lane words32)
    said = f"Corrected by {who} on {_shown(NOON)} (the record said {_shown(ago(2))})"
    assert said in text_of(_page(world, "nurse"))


def test_after_the_correction_the_page_gives_the_reason(world: World) -> None:
    intake(world, heroin=2)
    _page_post(world, _form())
    assert REASON in text_of(_page(world, "nurse"))


def test_the_page_strikes_without_a_time_only_when_ticked(world: World) -> None:
    intake(world, heroin=2)
    assert _page_post(world, _form(corrected_at="")).status_code == 422


def test_an_empty_time_without_the_tick_writes_nothing(world: World) -> None:
    intake(world, heroin=2)
    _page_post(world, _form(corrected_at=""))
    assert LastUseCorrection.objects.count() == 0


def test_the_ticked_box_strikes_without_a_time(world: World) -> None:
    intake(world, heroin=20, at=ago(3))
    intake(world, heroin=2, at=ago(1))
    _page_post(world, _form(corrected_at="", no_time="on"))
    assert "heroin" in readiness.read_last_uses(world.alice, NOON).unknown


def test_a_refused_form_comes_back_with_the_reason_typed(world: World) -> None:
    intake(world, heroin=2)
    html = _page_post(world, _form(reason="fix it")).content.decode()
    assert 'value="fix it"' in html


def test_a_refused_form_comes_back_with_the_time_typed(world: World) -> None:
    intake(world, heroin=2)
    html = _page_post(world, _form(reason="fix it")).content.decode()
    assert 'value="2026-11-24T22:00"' in html


def test_a_refused_form_names_the_reason_field(world: World) -> None:
    intake(world, heroin=2)
    html = _page_post(world, _form(reason="fix it")).content.decode()
    assert 'id="fix-heroin-reason" name="reason" maxlength="2000" value="fix it" aria-invalid="true"' in html


def test_a_refused_form_is_open(world: World) -> None:
    intake(world, heroin=2)
    html = _page_post(world, _form(reason="fix it")).content.decode()
    assert '<details class="correct-time" open>' in html


def test_a_later_time_is_refused_on_the_page_in_words(world: World) -> None:
    intake(world, heroin=14)
    response = _page_post(world, _form(struck_at=ago(14).isoformat(), corrected_at="2026-11-25T10:00"))
    assert "The right time must be earlier than the time struck." in text_of(response.content.decode())


def test_a_future_time_is_refused_on_the_page_in_words(world: World) -> None:
    intake(world, heroin=2)
    response = _page_post(world, _form(corrected_at="2026-11-25T13:00"))
    assert "This time is in the future." in text_of(response.content.decode())


def test_a_stale_struck_time_is_refused_on_the_page_in_words(world: World) -> None:
    intake(world, heroin=2)
    response = _page_post(world, _form(struck_at=ago(3).isoformat()))
    assert "This time is no longer the one the record shows." in text_of(response.content.decode())


def test_no_field_code_reaches_the_page(world: World) -> None:
    intake(world, heroin=2)
    text = text_of(_page_post(world, _form(struck_at="NaN", corrected_at="x", reason="")).content.decode())
    assert not any(code in text for code in ("struck_at", "corrected_at", "heroin", "NaN"))


def test_a_skipped_hour_is_named(world: World) -> None:
    intake(world, heroin=2)
    # 02:30 on 2026-03-08 does not exist in America/New_York (the clocks go forward)
    response = _page_post(world, _form(corrected_at="2026-03-08T02:30"))
    assert "the clocks went forward" in text_of(response.content.decode())


def test_the_form_is_in_spanish(world: World) -> None:
    intake(world, heroin=2)
    assert "Corregir esta hora" in _page(world, language="es")


def test_a_refusal_is_in_spanish(world: World) -> None:
    intake(world, heroin=2)
    html = _page_post(world, _form(reason="fix it"), language="es").content.decode()
    assert "diga qué pasó y por qué" in text_of(html)  # review 24r: the one check's answer, in Spanish


def test_the_correction_is_said_in_spanish(world: World) -> None:
    intake(world, heroin=2)
    _page_post(world, _form())
    assert "Corregida por" in text_of(_page(world, "nurse", language="es"))


@pytest.mark.parametrize("typed", ["9999-12-31T23:59", "0001-01-01T00:00", "2026-11-24", "1e309", "\uff12"])
def test_an_extreme_typed_time_is_no_server_error(world: World, typed: str) -> None:
    intake(world, heroin=2)
    assert _page_post(world, _form(corrected_at=typed)).status_code in (302, 422)


def test_the_last_time_of_the_calendar_on_the_ask_again_form_is_no_server_error(world: World) -> None:
    with time_machine.travel(NOON, tick=False):
        client = sign_in(Client(), world.staff["nurse"])
        response = client.post(
            f"/patients/{world.alice.pk}/start/last-use/", {"last_heroin": "9999-12-31T23:59"}
        )
    assert response.status_code == 422


def test_a_blank_corrected_time_on_the_api_is_not_a_strike(world: World) -> None:
    """Review 13g: only null says "not known"; a blank field is refused by name."""
    intake(world, heroin=2)
    with pytest.raises(TreatmentInvalid) as caught:
        correct(world, struck=ago(2), corrected="")
    assert [e.field for e in caught.value.errors] == ["corrected_at"]
