"""Lane m13d (review 13c round 3): the edges around the fixed start guards -- a low-dose schedule's first
step, every report of last use, methadone before buprenorphine, the induction's dosing days, and times typed
on the nights the clocks change. One fact per test."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client

from keel.treatment import queries, services
from keel.treatment.models import LastUseReport
from keel.treatment.schemas import IntakeIn
from tests.conftest import sign_in
from tests.review13c.common import at, cows, dose, intake, order, override, report

pytestmark = pytest.mark.django_db
D = date(2026, 11, 16)  # a Monday, far from a clock change
STEPS = [{"day": d, "mg": mg} for d, mg in zip(range(1, 8), (0.5, 1, 2, 3, 4, 6, 8), strict=True)]


def blocked(world: Any, mg: str, when: datetime, **kw: Any) -> Any:
    with pytest.raises(services.DoseBlocked) as exc:
        dose(world, mg, when, medication="buprenorphine", sequence=1, **kw)
    return exc.value.decision


def templates(decision: Any) -> str:
    return " ".join(r.template or r.text for r in decision.reasons)


# --- 1. A low-dose schedule counts from its first step ---


def test_a_schedule_first_begun_on_its_seventh_calendar_day_gives_step_one(world: Any) -> None:
    order(world, "buprenorphine", "8", at(D, 8), schedule=STEPS)
    day7 = D + timedelta(days=6)
    assert dose(world, "0.5", at(day7, 9), medication="buprenorphine", sequence=1).dose.status == "given"


def test_the_day_after_a_late_first_step_is_step_two(world: Any) -> None:
    order(world, "buprenorphine", "8", at(D, 8), schedule=STEPS)
    day7 = D + timedelta(days=6)
    dose(world, "0.5", at(day7, 9), medication="buprenorphine", sequence=1)
    assert blocked(world, "2", at(day7 + timedelta(days=1), 9)).decision == "needs_override"


def test_the_schedule_table_counts_from_the_first_step(world: Any) -> None:
    steps = order(world, "buprenorphine", "8", at(D, 8), schedule=STEPS)
    dose(world, "0.5", at(D + timedelta(days=6), 9), medication="buprenorphine", sequence=1)
    rows = queries.schedule_rows(steps)
    assert (rows[0]["day"], rows[0]["given_mg"], rows[6]["given_mg"]) == (1, 0.5, None)


def test_methadone_alongside_a_low_dose_schedule_does_not_gate_its_step(world: Any) -> None:
    """The Bernese method: the full agonist continues while buprenorphine is built up in small steps."""
    order(world, "methadone", "30", at(D, 7))
    order(world, "buprenorphine", "8", at(D, 8), schedule=STEPS)
    dose(world, "30", at(D, 9), sequence=1)
    dose(world, "0.5", at(D, 10), medication="buprenorphine", sequence=1)
    dose(world, "30", at(D + timedelta(days=1), 9), sequence=1)
    tomorrow = at(D + timedelta(days=1), 10)
    assert dose(world, "1", tomorrow, medication="buprenorphine", sequence=1).dose.status == "given"


# --- 2. Every report of last use counts ---


def test_an_older_intakes_later_time_still_counts(world: Any) -> None:
    """Two intakes typed the same morning: the first says heroin at 07:30, the second (from last week's
    paper form) says heroin last night. The wait counts from 07:30."""
    intake(world, at(D, 8), heroin=at(D, 7, 30))
    intake(world, at(D, 8, 30), heroin=at(D - timedelta(days=1), 19))
    cows(world, at(D, 8, 40))
    read = services.buprenorphine_readiness(world.alice, at(D, 8, 50))
    assert read.uses is not None
    assert read.uses.uses["heroin"].at == at(D, 7, 30)


def test_an_opioid_the_latest_intake_lists_without_a_time_stays_unknown(world: Any) -> None:
    """An older report's time is not the answer to a newer intake that lists the opioid without one."""
    report(world, at(D - timedelta(days=30), 8), fentanyl=at(D - timedelta(days=31), 8))
    from keel.treatment import services as s

    with time_machine.travel(at(D, 8), tick=False):
        s.record_intake(
            by=world.staff["counselor"],
            patient_id=world.alice.pk,
            data=IntakeIn.posted(
                {"opioids": [{"opioid": "fentanyl", "routes": ["smoke"]}], "pregnant": "no"}
            ),
            now=at(D, 8),
        )
    read = services.buprenorphine_readiness(world.alice, at(D, 9))
    assert "last_use_time" in read.missing


def test_a_report_after_the_intake_answers_its_unknown_time(world: Any) -> None:
    with time_machine.travel(at(D, 8), tick=False):
        services.record_intake(
            by=world.staff["counselor"],
            patient_id=world.alice.pk,
            data=IntakeIn.posted({"opioids": [{"opioid": "heroin", "routes": ["inject"]}], "pregnant": "no"}),
            now=at(D, 8),
        )
    report(world, at(D, 8, 30), heroin=at(D - timedelta(days=1), 18))
    read = services.buprenorphine_readiness(world.alice, at(D, 9))
    assert "last_use_time" not in read.missing


# --- 3. Buprenorphine after methadone ---


def _three_bup_days(world: Any) -> date:
    order(world, "buprenorphine", "8", at(D, 7))
    override(world, at(D, 8), medication="buprenorphine", kind="start", mg="8")
    for i in range(3):
        dose(world, "8", at(D + timedelta(days=i), 9), medication="buprenorphine", sequence=1)
    return D + timedelta(days=3)


def test_buprenorphine_after_methadone_says_why(world: Any) -> None:
    switch = _three_bup_days(world)
    order(world, "methadone", "30", at(switch, 8))
    dose(world, "30", at(switch, 9), sequence=1)
    assert "Methadone was taken since the last buprenorphine dose" in templates(
        blocked(world, "8", at(switch, 11))
    )


def test_buprenorphine_after_methadone_passes_with_a_start_override(world: Any) -> None:
    switch = _three_bup_days(world)
    order(world, "methadone", "30", at(switch, 8))
    dose(world, "30", at(switch, 9), sequence=1)
    override(world, at(switch, 10), medication="buprenorphine", kind="start", mg="8")
    assert dose(world, "8", at(switch, 11), medication="buprenorphine", sequence=1).dose.status == "given"


def test_buprenorphine_after_methadone_meets_the_day_one_limit(world: Any) -> None:
    switch = _three_bup_days(world)
    order(world, "methadone", "30", at(switch, 8))
    dose(world, "30", at(switch, 9), sequence=1)
    override(world, at(switch, 10), medication="buprenorphine", kind="start", mg="12")
    assert blocked(world, "12", at(switch, 11)).decision == "needs_override"


def test_a_methadone_report_since_the_last_buprenorphine_dose_gates_it(world: Any) -> None:
    """Methadone from elsewhere (another clinic, the street), reported at the window, counts the same."""
    today = _three_bup_days(world)
    report(world, at(today, 8), methadone=at(today - timedelta(days=1), 20))
    assert blocked(world, "8", at(today, 9)).decision == "not_ready"


def test_buprenorphine_maintenance_without_methadone_is_not_gated(world: Any) -> None:
    today = _three_bup_days(world)
    assert dose(world, "8", at(today, 9), medication="buprenorphine", sequence=1).dose.status == "given"


# --- 4. The induction's dosing days ---


def test_the_second_dosing_day_after_missed_days_allows_the_day_two_limit(world: Any) -> None:
    order(world, "buprenorphine", "8", at(D, 7))
    override(world, at(D, 8), medication="buprenorphine", kind="start", mg="8")
    dose(world, "8", at(D, 9), medication="buprenorphine", sequence=1)
    thursday = at(D + timedelta(days=3), 9)
    order(world, "buprenorphine", "16", at(D + timedelta(days=3), 8))  # the dose given follows the order
    assert dose(world, "16", thursday, medication="buprenorphine", sequence=1).dose.status == "given"


def test_the_third_dosing_day_after_missed_days_is_maintenance(world: Any) -> None:
    order(world, "buprenorphine", "8", at(D, 7))
    override(world, at(D, 8), medication="buprenorphine", kind="start", mg="8")
    dose(world, "8", at(D, 9), medication="buprenorphine", sequence=1)
    order(world, "buprenorphine", "16", at(D + timedelta(days=3), 8))  # the dose given follows the order
    dose(world, "16", at(D + timedelta(days=3), 9), medication="buprenorphine", sequence=1)
    later = at(D + timedelta(days=5), 9)
    order(world, "buprenorphine", "24", at(D + timedelta(days=5), 8))
    assert dose(world, "24", later, medication="buprenorphine", sequence=1).dose.status == "given"


# --- 5. Times typed on the nights the clocks change ---

FALL_BACK_MORNING = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)  # 07:00 EST, the clocks went back at 02:00
SPRING_MORNING = datetime(2026, 3, 8, 14, 0, tzinfo=UTC)  # 10:00 EDT, the clocks skipped 02:00-03:00


def _post(world: Any, when: datetime, url: str, data: dict[str, str]) -> Any:
    with time_machine.travel(when, tick=False):
        client = sign_in(Client(), world.staff["nurse"])
        return client.post(url, data)


def test_a_skipped_last_use_time_on_the_start_page_is_refused(world: Any) -> None:
    url = f"/patients/{world.alice.pk}/start/last-use/"
    response = _post(world, SPRING_MORNING, url, {"last_heroin": "2026-03-08T02:30"})
    assert "does not exist on the clock" in response.content.decode()


def test_a_skipped_last_use_time_on_the_start_page_saves_nothing(world: Any) -> None:
    url = f"/patients/{world.alice.pk}/start/last-use/"
    _post(world, SPRING_MORNING, url, {"last_heroin": "2026-03-08T02:30"})
    assert not LastUseReport.objects.filter(patient=world.alice).exists()


def test_a_skipped_last_use_time_on_the_intake_is_named(world: Any) -> None:
    url = f"/patients/{world.alice.pk}/intake/"
    data = {"used_heroin": "on", "last_heroin": "2026-03-08T02:30", "pregnant": "no"}
    response = _post(world, SPRING_MORNING, url, data)
    assert response.status_code == 422
    assert "does not exist on the clock" in response.content.decode()


def test_an_ambiguous_last_use_on_the_intake_is_the_later_instant(world: Any) -> None:
    from keel.treatment.models import Intake

    url = f"/patients/{world.alice.pk}/intake/"
    _post(
        world,
        FALL_BACK_MORNING,
        url,
        {"used_heroin": "on", "last_heroin": "2026-11-01T01:30", "pregnant": "no"},
    )
    saved = Intake.objects.get(patient=world.alice).values["opioids"][0]["last_use_at"]
    assert datetime.fromisoformat(saved).astimezone(UTC) == datetime(2026, 11, 1, 6, 30, tzinfo=UTC)


def test_an_ambiguous_cows_time_at_the_bedside_is_the_earlier_instant(world: Any) -> None:
    from keel.assessments.models import Assessment
    from tests.review13c.common import COWS_13

    url = f"/patients/{world.alice.pk}/cows/"
    answers = {k: str(v) for k, v in COWS_13.items()}
    _post(world, FALL_BACK_MORNING, url, {**answers, "filled_at": "2026-11-01T01:30"})
    saved = Assessment.objects.get(patient=world.alice, instrument="cows").filled_at
    assert saved == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)


def test_a_skipped_cows_time_at_the_bedside_is_refused(world: Any) -> None:
    from tests.review13c.common import COWS_13

    url = f"/patients/{world.alice.pk}/cows/"
    answers = {k: str(v) for k, v in COWS_13.items()}
    response = _post(world, SPRING_MORNING, url, {**answers, "filled_at": "2026-03-08T02:30"})
    assert response.status_code == 422
    assert "does not exist on the clock" in response.content.decode()


def _api_cows(world: Any, when: datetime, filled_at: str) -> Any:
    from tests.review13c.common import COWS_13

    body = {"instrument": "cows", "answers": COWS_13, "filled_at": filled_at}
    with time_machine.travel(when, tick=False):
        client = sign_in(Client(raise_request_exception=False), world.staff["nurse"])
        return client.post(
            f"/api/v1/patients/{world.alice.pk}/assessments", json.dumps(body), "application/json"
        )


def test_an_api_cows_time_without_an_offset_on_the_fall_back_night_is_the_earlier_instant(world: Any) -> None:
    response = _api_cows(world, FALL_BACK_MORNING, "2026-11-01T01:30:00")
    assert response.status_code == 201, response.content
    assert datetime.fromisoformat(response.json()["filled_at"].replace("Z", "+00:00")) == datetime(
        2026, 11, 1, 5, 30, tzinfo=UTC
    )


def test_an_api_cows_time_the_clocks_skip_is_refused_naming_the_field(world: Any) -> None:
    response = _api_cows(world, SPRING_MORNING, "2026-03-08T02:30:00")
    assert response.status_code == 422
    assert "filled_at" in response.content.decode()


def test_a_refused_start_form_sends_the_language_switch_back_to_the_page(world: Any) -> None:
    """The refused form is shown at its action's URL, which answers only POST: switching the language from
    there must go back to the start page, not to a 405 (found in the browser journey)."""
    url = f"/patients/{world.alice.pk}/start/last-use/"
    response = _post(world, SPRING_MORNING, url, {"last_heroin": "2026-03-08T02:30"})
    assert f'name="next" value="/patients/{world.alice.pk}/start/"' in response.content.decode()
