"""Lane meth35 (review 34c's question, the lead's decision; issue #13: "The re-dose interval is enforced at
the window. Overrides carry a reason of substance, are bounded, and end with the day."): a prescriber's limit
override of the day's total no longer lifts the re-dose interval. A separate override kind, "redose" (an
early re-dose: a split dose, a re-dose after reassessment), lifts it for that medication and that day only,
with a reason of substance, never past a hard bound, and covers no amount. Routes: the service, the
medication page and the API; roles: only a prescriber writes one."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client

from keel.audit.models import AuditEvent
from keel.patients import services as patients
from keel.patients.schemas import DischargeIn
from keel.treatment import services
from keel.treatment.errors import TreatmentInvalid
from keel.treatment.models import DoseOverride
from tests.conftest import World, sign_in
from tests.treatment.test_titration_meth35 import a_day, at, give, override, prescribe
from tests.treatment.test_window_guards import NOON, bup, ready
from tests.treatment.test_window_guards import order as order_at_noon
from tests.treatment.test_window_guards import override as override_at_noon

pytestmark = pytest.mark.django_db
SPLIT = "Split dose: rapid metabolizer, peak and trough ECG reviewed, plan discussed with the person"
REDOSE_WORDS = "needs a prescriber's early re-dose override for today"


def steady(world: World, mg: str = "30", days: tuple[int, ...] = (3, 2, 1)) -> date:
    """`mg` a day observed at 09:00 on the `days` before today (3: three days ago), under an order of `mg`
    written three days ago; returns today."""
    today = a_day(world, 0)
    prescribe(world, mg, at(world, today - timedelta(days=3), 7))
    for i in days:
        give(world, mg, at(world, today - timedelta(days=i)))
    return today


def blocked(world: World, mg: str, when: datetime) -> services.DoseBlocked:
    with pytest.raises(services.DoseBlocked) as exc:
        give(world, mg, when)
    return exc.value


def words(exc: services.DoseBlocked) -> str:
    return " ".join(r.text for r in exc.decision.reasons)


# --- A limit override no longer lifts the interval ----------------------------------------------------------


def test_a_total_override_alone_does_not_allow_a_dose_ten_minutes_later(world: World) -> None:
    today = steady(world)
    override(world, at(world, today, 8), max_total_mg="30", reason=SPLIT)
    give(world, "15", at(world, today))
    assert blocked(world, "15", at(world, today, 9, 10)).decision.decision == "needs_override"


def test_a_total_override_alone_is_refused_with_the_re_dose_words(world: World) -> None:
    today = steady(world)
    override(world, at(world, today, 8), max_total_mg="30", reason=SPLIT)
    give(world, "15", at(world, today))
    assert REDOSE_WORDS in words(blocked(world, "15", at(world, today, 9, 10)))


def test_the_leads_example_30_then_20_on_a_50_mg_override_is_refused(world: World) -> None:
    today = steady(world)
    override(world, at(world, today, 8), max_total_mg="50", reason=SPLIT)
    give(world, "30", at(world, today))
    assert REDOSE_WORDS in words(blocked(world, "20", at(world, today, 9, 10)))


# --- The early re-dose override -----------------------------------------------------------------------------


def test_an_early_re_dose_override_allows_the_split_dose(world: World) -> None:
    today = steady(world)
    override(world, at(world, today, 8), kind="redose", reason=SPLIT)
    give(world, "15", at(world, today))
    assert give(world, "15", at(world, today, 9, 10)).decision.decision == "allowed_with_rationale"


def test_the_dose_given_on_it_names_the_early_re_dose_override(world: World) -> None:
    today = steady(world)
    row = override(world, at(world, today, 8), kind="redose", reason=SPLIT)
    give(world, "15", at(world, today))
    assert give(world, "15", at(world, today, 9, 10)).dose.override_id == row.pk


def test_the_re_dose_override_alone_does_not_lift_the_days_total(world: World) -> None:
    today = steady(world)
    override(world, at(world, today, 8), kind="redose", reason=SPLIT)
    give(world, "30", at(world, today))
    assert blocked(world, "20", at(world, today, 9, 10)).decision.decision == "needs_override"


def test_the_re_dose_override_alone_names_the_order_it_goes_past(world: World) -> None:
    today = steady(world)
    override(world, at(world, today, 8), kind="redose", reason=SPLIT)
    give(world, "30", at(world, today))
    assert "more than the order" in words(blocked(world, "20", at(world, today, 9, 10)))


def test_both_overrides_together_allow_the_leads_example(world: World) -> None:
    today = steady(world)
    override(world, at(world, today, 8), max_total_mg="50", reason=SPLIT)
    override(world, at(world, today, 8, 5), kind="redose", reason=SPLIT)
    give(world, "30", at(world, today))
    assert give(world, "20", at(world, today, 9, 10)).decision.decision == "allowed_with_rationale"


def test_another_medications_re_dose_override_does_nothing(world: World) -> None:
    today = steady(world)
    override(world, at(world, today, 8), kind="redose", medication="buprenorphine", reason=SPLIT)
    give(world, "15", at(world, today))
    assert REDOSE_WORDS in words(blocked(world, "15", at(world, today, 9, 10)))


def test_yesterdays_re_dose_override_ends_with_the_day(world: World) -> None:
    """23:30 in the program's zone a prescriber allows an early re-dose; 23:40 a dose; 00:05 the next one:
    25 minutes apart, and yesterday's override does not cover today's dose."""
    today = steady(world, days=(3, 2))
    yesterday = today - timedelta(days=1)
    override(world, at(world, yesterday, 23, 30), kind="redose", reason=SPLIT)
    give(world, "30", at(world, yesterday, 23, 40))
    assert REDOSE_WORDS in words(blocked(world, "30", at(world, today, 0, 5)))


def test_a_re_dose_override_written_after_midnight_covers_the_new_day(world: World) -> None:
    # Lane fix38l: since fix38e the 23:40 dose counts with the 00:05 one (within same_day_hours), so the
    # set-up is the 30 mg order split 15 + 15 (within the order; 30 + 30 is refused by the amount, below);
    # the point stands: the override written after midnight lifts the new day's re-dose interval.
    today = steady(world, days=(3, 2))
    yesterday = today - timedelta(days=1)
    give(world, "15", at(world, yesterday, 23, 40))
    override(world, at(world, today, 0, 1), kind="redose", reason=SPLIT)
    assert give(world, "15", at(world, today, 0, 5)).decision.decision == "allowed_with_rationale"


def test_30_mg_after_midnight_on_top_of_30_mg_at_23_40_on_a_30_mg_order_is_refused_by_the_amount(
    world: World,
) -> None:
    """Lane fix38l (fix38e): the re-dose override lifts the interval only; the two doses 25 minutes apart
    count together against the order."""
    today = steady(world, days=(3, 2))
    yesterday = today - timedelta(days=1)
    give(world, "30", at(world, yesterday, 23, 40))
    override(world, at(world, today, 0, 1), kind="redose", reason=SPLIT)
    assert "more than the order" in words(blocked(world, "30", at(world, today, 0, 5)))


def test_the_re_dose_override_never_passes_the_hard_bound(world: World) -> None:
    today = steady(world)
    override(world, at(world, today, 8), kind="redose", reason=SPLIT)
    give(world, "15", at(world, today))
    assert blocked(world, "301", at(world, today, 9, 10)).decision.decision == "refused"


def test_the_re_dose_override_records_no_amount(world: World) -> None:
    today = steady(world)
    row = override(world, at(world, today, 8), kind="redose", max_total_mg="400", reason=SPLIT)
    assert row.max_total_mg == 0


def test_buprenorphine_a_limit_override_alone_does_not_allow_a_re_dose_at_50_minutes(world: World) -> None:
    order_at_noon(world, "buprenorphine", 4)
    ready(world)
    bup(world)
    override_at_noon(world, medication="buprenorphine", max_total_mg=8, reason=SPLIT)
    with (
        time_machine.travel(NOON + timedelta(minutes=50), tick=False),
        pytest.raises(services.DoseBlocked) as exc,
    ):
        services.record_dose(
            by=world.staff["nurse"], patient_id=world.alice.pk, medication="buprenorphine", amount_mg="4"
        )
    assert REDOSE_WORDS in words(exc.value)


def test_buprenorphine_an_early_re_dose_override_with_the_total_allows_it(world: World) -> None:
    order_at_noon(world, "buprenorphine", 4)
    ready(world)
    bup(world)
    override_at_noon(world, medication="buprenorphine", max_total_mg=8, reason=SPLIT)
    override_at_noon(world, medication="buprenorphine", kind="redose", reason=SPLIT)
    with time_machine.travel(NOON + timedelta(minutes=50), tick=False):
        outcome = services.record_dose(
            by=world.staff["nurse"], patient_id=world.alice.pk, medication="buprenorphine", amount_mg="4"
        )
    assert outcome.decision.decision == "allowed_with_rationale"


# --- Who writes one, and its reason -------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["nurse", "counselor", "program_admin"])
def test_only_a_prescriber_writes_an_early_re_dose_override(world: World, role: str) -> None:
    today = steady(world)
    with time_machine.travel(at(world, today, 8), tick=False), pytest.raises(services.NotAllowed):
        services.add_override(by=world.staff[role], patient_id=world.alice.pk, kind="redose", reason=SPLIT)


@pytest.mark.parametrize("reason", ["", "   ", "ok", "split"])
def test_an_early_re_dose_override_needs_a_reason_of_substance(world: World, reason: str) -> None:
    today = steady(world)
    with pytest.raises(TreatmentInvalid) as exc:
        override(world, at(world, today, 8), kind="redose", reason=reason)
    assert exc.value.errors[0].field == "reason"


def test_an_early_re_dose_override_is_for_a_window_medication(world: World) -> None:
    today = steady(world)
    with pytest.raises(TreatmentInvalid) as exc:
        override(world, at(world, today, 8), kind="redose", medication="naltrexone_xr", reason=SPLIT)
    assert exc.value.errors[0].field == "medication"


def _api(world: World, role: str, body: dict[str, Any], when: datetime) -> Any:
    with time_machine.travel(when, tick=False):
        client = sign_in(Client(), world.staff[role])
        return client.post(
            f"/api/v1/patients/{world.alice.pk}/dose-overrides", json.dumps(body), "application/json"
        )


def test_the_api_refuses_a_blank_reason_with_422(world: World) -> None:
    today = steady(world)
    response = _api(world, "prescriber", {"kind": "redose", "reason": " "}, at(world, today, 8))
    assert response.status_code == 422


def test_the_api_names_the_blank_reason(world: World) -> None:
    today = steady(world)
    response = _api(world, "prescriber", {"kind": "redose", "reason": " "}, at(world, today, 8))
    assert response.json()["errors"][0]["field"] == "reason"


def test_the_api_saves_an_early_re_dose_override(world: World) -> None:
    today = steady(world)
    _api(world, "prescriber", {"kind": "redose", "reason": SPLIT}, at(world, today, 8))
    assert DoseOverride.objects.get(patient=world.alice).kind == "redose"


def test_the_api_refuses_a_nurses_early_re_dose_override(world: World) -> None:
    today = steady(world)
    _api(world, "nurse", {"kind": "redose", "reason": SPLIT}, at(world, today, 8))
    assert not DoseOverride.objects.filter(patient=world.alice).exists()


# --- The medication page ------------------------------------------------------------------------------------


def _page(world: World, role: str, when: datetime, **post: str) -> Any:
    with time_machine.travel(when, tick=False):
        client = sign_in(Client(), world.staff[role])
        if post:
            return client.post(f"/patients/{world.alice.pk}/medication/dose-overrides/", post, follow=True)
        return client.get(f"/patients/{world.alice.pk}/medication/")


def test_the_medication_page_offers_an_early_re_dose_override(world: World) -> None:
    today = steady(world)
    page = _page(world, "prescriber", at(world, today, 8)).content.decode()
    assert '<option value="redose">' in page


def test_the_medication_page_saves_an_early_re_dose_override(world: World) -> None:
    today = steady(world)
    _page(world, "prescriber", at(world, today, 8), kind="redose", medication="methadone", reason=SPLIT)
    assert DoseOverride.objects.get(patient=world.alice).kind == "redose"


def test_the_medication_page_lists_it_by_its_kind(world: World) -> None:
    today = steady(world)
    override(world, at(world, today, 8), kind="redose", reason=SPLIT)
    page = _page(world, "prescriber", at(world, today, 9)).content.decode()
    assert "A dose sooner than the re-dose interval (an early re-dose)" in page


def test_the_medication_page_says_its_kind_in_spanish(world: World) -> None:
    today = steady(world)
    override(world, at(world, today, 8), kind="redose", reason=SPLIT)
    with time_machine.travel(at(world, today, 9), tick=False):
        client = sign_in(Client(), world.staff["prescriber"])
        client.cookies["django_language"] = "es"
        page = client.get(f"/patients/{world.alice.pk}/medication/", HTTP_ACCEPT_LANGUAGE="es")
    assert "Una dosis antes del intervalo entre dosis (una nueva dosis anticipada)" in page.content.decode()


def test_an_early_re_dose_override_is_audited_with_its_kind(world: World) -> None:
    today = steady(world)
    override(world, at(world, today, 8), kind="redose", reason=SPLIT)
    assert AuditEvent.objects.get(target_type="dose_override").detail["kind"] == "redose"


def test_discharge_ends_an_early_re_dose_override(world: World) -> None:
    today = steady(world)
    row = override(world, at(world, today, 8), kind="redose", reason=SPLIT)
    with time_machine.travel(at(world, today, 10), tick=False):
        patients.discharge(
            by=world.staff["prescriber"],
            patient_id=world.alice.pk,
            data=DischargeIn.posted({"reason": "completed"}),
        )
    row.refresh_from_db()
    assert row.ended_at is not None
