"""Issue #18: the dosing window's hours are enforced. A dose outside the program's hours (on the program's
wall clock) or on a closure day is refused, naming the hours, unless a prescriber recorded an override for
the day with a reason of substance; the dosing page says the window is closed and when it opens."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import translation

from keel.accounts.models import Program
from keel.audit.models import AuditEvent
from keel.treatment import services
from keel.treatment.models import DoseRecord
from keel.web.templatetags.keel_dates import shown_date
from tests.conftest import World, sign_in
from tests.treatment.test_window_guards import order

pytestmark = pytest.mark.django_db
NOON = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)  # 12:00 in Riverside (America/New_York)
EVENING = datetime(2026, 11, 25, 21, 0, tzinfo=UTC)  # 16:00 in Riverside: after closing
REASON = "Bus broke down on the way in; confirmed by phone, COWS 6, last dose yesterday"


@pytest.fixture
def hours(world: World) -> World:
    Program.objects.filter(pk=world.riverside.pk).update(dosing_opens=time(6, 30), dosing_closes=time(14, 0))
    order(world)
    return world


def give(world: World, at: datetime, role: str = "nurse", **kw: Any) -> services.DoseOutcome:
    with time_machine.travel(at, tick=False):
        return services.record_dose(by=world.staff[role], patient_id=world.alice.pk, amount_mg="30", **kw)


def hours_override(world: World, at: datetime = EVENING, role: str = "prescriber", **kw: Any) -> Any:
    with time_machine.travel(at, tick=False):
        return services.add_override(
            by=world.staff[role],
            patient_id=world.alice.pk,
            kind="hours",
            reason=kw.pop("reason", REASON),
            **kw,
        )


def post(world: World, role: str, path: str, body: dict[str, Any], at: datetime = EVENING) -> Any:
    with time_machine.travel(at, tick=False):
        client = sign_in(Client(), world.staff[role])
        return client.post(f"/api/v1/patients/{world.alice.pk}/{path}", json.dumps(body), "application/json")


def page(world: World, role: str, at: datetime, language: str = "en") -> str:
    with time_machine.travel(at, tick=False):
        client = sign_in(Client(), world.staff[role])
        client.cookies["django_language"] = language
        return client.get("/dosing/", HTTP_ACCEPT_LANGUAGE=language).content.decode()


def test_a_dose_inside_the_hours_is_given(hours: World) -> None:
    assert give(hours, NOON).dose.status == "given"


def test_a_dose_after_closing_is_refused(hours: World) -> None:
    with pytest.raises(services.DoseBlocked) as exc:
        give(hours, EVENING)
    assert exc.value.decision.decision == "needs_override"


def test_the_refusal_names_the_hours(hours: World) -> None:
    with pytest.raises(services.DoseBlocked) as exc:
        give(hours, EVENING)
    assert "open from 06:30 to 14:00; 16:00 is outside" in str(exc.value)


def test_a_refused_dose_writes_nothing(hours: World) -> None:
    with pytest.raises(services.DoseBlocked):
        give(hours, EVENING)
    assert not DoseRecord.objects.exists()


def test_a_refused_dose_is_audited(hours: World) -> None:
    with pytest.raises(services.DoseBlocked):
        give(hours, EVENING)
    assert AuditEvent.objects.filter(reason="guard rail: outside the dosing window's hours").count() == 1


def test_exactly_at_closing_is_refused(hours: World) -> None:
    with pytest.raises(services.DoseBlocked):
        give(hours, datetime(2026, 11, 25, 19, 0, tzinfo=UTC))


def test_exactly_at_opening_is_given(hours: World) -> None:
    assert give(hours, datetime(2026, 11, 25, 11, 30, tzinfo=UTC)).dose.status == "given"


def test_a_dose_given_inside_the_hours_and_recorded_after_closing_is_given(hours: World) -> None:
    given = datetime(2026, 11, 25, 13, 45, tzinfo=UTC).astimezone(UTC)  # 08:45 in Riverside
    assert give(hours, EVENING, given_at=given).dose.status == "given"


def test_a_program_without_hours_doses_at_any_time(world: World) -> None:
    order(world)
    assert give(world, EVENING).dose.status == "given"


def test_a_prescribers_hours_override_lets_the_nurse_give_the_dose(hours: World) -> None:
    hours_override(hours)
    assert give(hours, EVENING).dose.status == "given"


def test_an_hours_override_ends_with_the_day(hours: World) -> None:
    hours_override(hours)
    with pytest.raises(services.DoseBlocked):
        give(hours, EVENING + timedelta(days=1))


def test_an_hours_override_does_not_pass_the_dose_limits(hours: World) -> None:
    hours_override(hours)
    with pytest.raises(services.DoseBlocked) as exc, time_machine.travel(EVENING, tick=False):
        services.record_dose(by=hours.staff["nurse"], patient_id=hours.alice.pk, amount_mg="200")
    assert exc.value.decision.rule != "dosing-window-hours"


def test_a_nurse_cannot_record_an_hours_override(hours: World) -> None:
    assert post(hours, "nurse", "dose-overrides", {"kind": "hours", "reason": REASON}).status_code == 403


def test_a_counselor_cannot_record_an_hours_override(hours: World) -> None:
    assert post(hours, "counselor", "dose-overrides", {"kind": "hours", "reason": REASON}).status_code == 403


def test_a_prescriber_records_an_hours_override_without_an_amount(hours: World) -> None:
    assert post(hours, "prescriber", "dose-overrides", {"kind": "hours", "reason": REASON}).status_code == 201


def test_an_hours_override_without_a_reason_names_the_reason(hours: World) -> None:
    response = post(hours, "prescriber", "dose-overrides", {"kind": "hours", "reason": ""})
    assert (response.status_code, [e["field"] for e in response.json()["errors"]]) == (422, ["reason"])


def test_an_hours_override_with_a_token_reason_is_refused(hours: World) -> None:
    response = post(hours, "prescriber", "dose-overrides", {"kind": "hours", "reason": "ok"})
    assert response.status_code == 422


def test_the_api_refuses_a_dose_after_closing_with_the_hours(hours: World) -> None:
    response = post(hours, "nurse", "doses", {"amount_mg": "30", "sequence": 1})
    assert (response.status_code, response.json()["decision"]["rule"]) == (409, "dosing-window-hours")


def test_another_program_is_not_reached_by_an_hours_override(hours: World) -> None:
    with time_machine.travel(EVENING, tick=False):
        client = sign_in(Client(), hours.staff["prescriber"])
        response = client.post(
            f"/api/v1/patients/{hours.charlie.pk}/dose-overrides",
            json.dumps({"kind": "hours", "reason": REASON}),
            "application/json",
        )
    assert response.status_code == 404


def test_a_closure_day_refuses_a_dose(hours: World) -> None:
    Program.objects.filter(pk=hours.riverside.pk).update(closure_days=["2026-11-25"])
    with pytest.raises(services.DoseBlocked) as exc:
        give(hours, NOON)
    assert "closed today (2026-11-25)" in str(exc.value)


def test_the_dosing_page_says_the_window_is_closed(hours: World) -> None:
    assert "The dosing window is closed." in page(hours, "nurse", EVENING)


def test_the_dosing_page_says_when_it_opens(hours: World) -> None:
    with translation.override("en"):
        day = shown_date(EVENING.date() + timedelta(days=1))
    assert f"It opens on {day} at 06:30." in page(hours, "nurse", EVENING)


def test_the_dosing_page_says_the_hours_while_open(hours: World) -> None:
    assert "open today from 06:30 to 14:00" in page(hours, "prescriber", NOON)


def test_the_dosing_page_shows_closure_days_ahead(hours: World) -> None:
    Program.objects.filter(pk=hours.riverside.pk).update(closure_days=["2026-12-25"])
    with translation.override("en"):
        day = shown_date(date(2026, 12, 25))
    assert f"Closure days ahead: {day}" in page(hours, "nurse", NOON)


def test_the_dosing_page_says_the_window_is_closed_in_spanish(hours: World) -> None:
    assert "La ventanilla de dosificación está cerrada." in page(hours, "nurse", EVENING, "es")


def test_the_dosing_page_shows_the_hours_refusal_in_spanish(hours: World) -> None:
    with time_machine.travel(EVENING, tick=False):
        client = sign_in(Client(), hours.staff["nurse"])
        client.cookies["django_language"] = "es"
        client.post(f"/dosing/{hours.alice.pk}/", {"amount_mg": "30", "medication": "methadone"})
        text = client.get("/dosing/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "fuera de ese horario" in text


def test_the_hours_are_read_in_the_programs_own_zone(hours: World) -> None:
    Program.objects.filter(pk=hours.riverside.pk).update(time_zone="America/Los_Angeles")
    assert give(hours, EVENING).dose.status == "given"  # 21:00 UTC is 13:00 in Los Angeles: open


def test_a_dose_before_opening_in_the_programs_zone_is_refused(hours: World) -> None:
    Program.objects.filter(pk=hours.riverside.pk).update(time_zone="America/Los_Angeles")
    with pytest.raises(services.DoseBlocked):
        give(hours, datetime(2026, 11, 25, 14, 0, tzinfo=UTC))  # 06:00 in Los Angeles


def test_a_hold_after_closing_is_still_recorded(hours: World) -> None:
    assert give(hours, EVENING, sedated=True).dose.status == "held"
