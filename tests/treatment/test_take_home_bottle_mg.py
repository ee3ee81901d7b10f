"""Session 22, item 2: each take-home bottle holds an explicit amount, recorded when it is handed out
(`TakeHomePlan.bottle_mg`: at the decision for a run starting that day, at the observed dose the day before
a run otherwise), and only an amount the window's verdict today allows (`services.doses.bottles`, which
calls the window's whole verdict). The window refuses an observed dose it blocks and never caps it on its
own; so a decision whose bottle the window would block is refused, and a run due to go home at the dose is
not handed out: the plan stops after today. Scenario: 60 mg given for days, the order raised to 70 mg
(within the titration step, review 22n), a QTc of 520 ms recorded after the raise (the raise not given
yet, no QTc reason): the window gives 60, not 70.
The clock: the last 17:00 UTC before now (noon in New York, inside the dosing hours)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from keel.audit.models import AuditEvent
from keel.interop.fhir.treatment import bottle_dispenses
from keel.patients.models import Enrollment, local_today, zone_of
from keel.treatment import queries, services
from keel.treatment.end_words import day_words
from keel.treatment.errors import TreatmentInvalid
from keel.treatment.models import DoseRecord, MedicationOrder, TakeHomePlan
from keel.web.dates import shown_near_day
from tests.conftest import World, sign_in
from tests.factories import pinned_at_last_five_pm_utc

pytestmark = pytest.mark.django_db
CRITERIA = {key: True for key in services.CRITERIA_KEYS}


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    yield from pinned_at_last_five_pm_utc()


def today(world: World) -> date:
    return local_today(world.alice, timezone.now())


def on_sixty(world: World, days: int = 5) -> MedicationOrder:
    """60 mg in force, given at the window on each of the last `days` days (the history is the premise)."""
    Enrollment.objects.filter(patient=world.alice).update(started_on=today(world) - timedelta(days=30))
    order = services.prescribe(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        medication="methadone",
        dose_mg="60",
        order_version=0,
    )
    for back in range(days, 0, -1):
        DoseRecord.objects.create(
            patient=world.alice,
            order=order,
            medication="methadone",
            local_date=today(world) - timedelta(days=back),
            sequence=1,
            status="given",
            amount_mg=Decimal(60),
            treatment_day=days - back + 1,
            decision={},
            recorded_by=world.staff["nurse"],
            recorded_at=timezone.now() - timedelta(days=back),
        )
    return order


def raise_to_70(world: World) -> MedicationOrder:
    return services.prescribe(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        medication="methadone",
        dose_mg="70",
        order_version=queries.order_version(world.alice, "methadone"),
    )


def qtc(world: World, ms: int = 520) -> None:
    services.record_qtc(by=world.staff["nurse"], patient_id=world.alice.pk, qtc_ms=ms)


def open_concerns(world: World) -> list[str]:
    return [c.id for c in queries.take_home_concerns(world.alice, today(world))]


def decide(world: World, days: list[date]) -> TakeHomePlan:
    return services.decide_take_home(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        criteria=CRITERIA,
        bottle_days=[d.isoformat() for d in days],
        acknowledged_flags=open_concerns(world),
    )


def dose(world: World, mg: str = "60") -> Any:
    return services.record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg=mg, sequence=1)


def tomorrow(world: World) -> date:
    return today(world) + timedelta(days=1)


def plan(world: World) -> TakeHomePlan:
    return TakeHomePlan.objects.get(patient=world.alice)


# The amount is recorded when the bottle goes home


def test_a_run_starting_tomorrow_has_no_amount_until_it_goes_home(world: World) -> None:
    on_sixty(world)
    assert decide(world, [tomorrow(world)]).bottle_mg == {}


def test_the_dose_the_day_before_records_each_bottles_mg(world: World) -> None:
    on_sixty(world)
    decide(world, [tomorrow(world), tomorrow(world) + timedelta(days=1)])
    dose(world)
    later = (tomorrow(world) + timedelta(days=1)).isoformat()
    assert plan(world).bottle_mg == {tomorrow(world).isoformat(): "60.00", later: "60.00"}


def test_a_bottle_handed_out_at_the_decision_has_its_mg_on_the_plan(world: World) -> None:
    on_sixty(world)
    assert decide(world, [today(world)]).bottle_mg == {today(world).isoformat(): "60.00"}


def test_a_decision_after_todays_dose_hands_out_tomorrows_run_now(world: World) -> None:
    """The person is at the clinic with today's dose taken: tomorrow's bottle goes home with the decision."""
    on_sixty(world)
    dose(world)
    assert decide(world, [tomorrow(world)]).bottle_mg == {tomorrow(world).isoformat(): "60.00"}


def test_the_bottle_holds_the_raised_order_when_the_window_allows_it(world: World) -> None:
    on_sixty(world)
    raise_to_70(world)
    decide(world, [tomorrow(world)])
    dose(world)
    assert plan(world).bottle_mg == {tomorrow(world).isoformat(): "70.00"}


def test_the_dose_row_says_which_bottles_went_home(world: World) -> None:
    on_sixty(world)
    decide(world, [tomorrow(world)])
    texts = [r.text for r in dose(world).decision.reasons]
    assert f"Take-home bottles handed out with this dose: {tomorrow(world).isoformat()} 60 mg." in texts


def test_a_second_dose_the_same_day_does_not_change_the_amount(world: World) -> None:
    on_sixty(world)
    decide(world, [tomorrow(world)])
    dose(world, "40")
    with time_machine.travel(timezone.now() + timedelta(hours=3), tick=False):  # past the re-dose interval
        services.record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="20", sequence=2)
    assert plan(world).bottle_mg == {tomorrow(world).isoformat(): "60.00"}


# The window's verdict: refused at the decision


def test_a_decision_whose_bottle_the_window_would_block_is_refused(world: World) -> None:
    on_sixty(world)
    raise_to_70(world)
    qtc(world)
    with pytest.raises(TreatmentInvalid) as caught:
        decide(world, [tomorrow(world)])
    assert [e.field for e in caught.value.errors] == ["bottle_days"]
    assert "would hold 70 mg, a dose the window would not give today" in caught.value.errors[0].reason


def test_the_refused_decision_saves_no_plan(world: World) -> None:
    on_sixty(world)
    raise_to_70(world)
    qtc(world)
    with pytest.raises(TreatmentInvalid):
        decide(world, [tomorrow(world)])
    assert not TakeHomePlan.objects.filter(patient=world.alice).exists()


def test_the_window_refuses_the_same_dose_at_the_window(world: World) -> None:
    """One definition: the dose the decision refuses is the dose the window blocks."""
    on_sixty(world)
    raise_to_70(world)
    qtc(world)
    with pytest.raises(services.DoseBlocked):
        dose(world, "70")


def test_a_qtc_below_500_lets_the_raised_bottles_go(world: World) -> None:
    on_sixty(world)
    raise_to_70(world)
    qtc(world, 470)
    decide(world, [today(world)])
    assert plan(world).bottle_mg == {today(world).isoformat(): "70.00"}


def test_a_raise_already_given_is_not_refused(world: World) -> None:
    """Never below the level already given: 70 given today before the QTc, a bottle of 70 may go home."""
    on_sixty(world)
    services.prescribe(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        medication="methadone",
        dose_mg="70",
        order_version=queries.order_version(world.alice, "methadone"),
    )
    dose(world, "70")
    qtc(world)
    assert decide(world, [tomorrow(world)]).bottle_mg == {tomorrow(world).isoformat(): "70.00"}


# A QTc entered after the plan was decided: the run due to go home is not handed out


def _decided_then_qtc(world: World) -> Any:
    on_sixty(world)
    raise_to_70(world)
    decide(world, [tomorrow(world), tomorrow(world) + timedelta(days=1)])
    qtc(world)
    return dose(world, "60")


def test_the_dose_is_still_given(world: World) -> None:
    assert _decided_then_qtc(world).dose.amount_mg == 60


def test_the_bottles_are_not_handed_out(world: World) -> None:
    _decided_then_qtc(world)
    assert plan(world).bottle_mg == {}


def test_the_plan_stops_after_today(world: World) -> None:
    _decided_then_qtc(world)
    stopped = plan(world)
    assert stopped.ended_on == today(world)
    assert tomorrow(world) not in queries.plan_days(stopped)
    assert "were not handed out: the window would not give their 70 mg today" in stopped.end_reason


def test_the_nurse_is_told_on_the_dose(world: World) -> None:
    texts = [r.text for r in _decided_then_qtc(world).decision.reasons]
    assert any(t.startswith(f"Take-home bottles for {tomorrow(world).isoformat()}") for t in texts)


def test_the_plan_stopping_is_audited(world: World) -> None:
    _decided_then_qtc(world)
    assert AuditEvent.objects.filter(
        target_type="take_home_plan", reason="bottles not handed out: the window would not give their dose"
    ).exists()


def test_tomorrow_is_an_observed_day_again(world: World) -> None:
    _decided_then_qtc(world)
    assert (
        tomorrow(world) not in queries.dose_context(world.alice, "methadone", tomorrow(world)).take_home_days
    )


# Older plans, the API, the page and FHIR


def test_an_older_plan_without_amounts_keeps_working(world: World) -> None:
    on_sixty(world)
    old = decide(world, [tomorrow(world)])
    TakeHomePlan.objects.filter(pk=old.pk).update(bottle_mg={})
    client = sign_in(Client(), world.staff["prescriber"])
    body = client.get(f"/api/v1/patients/{world.alice.pk}/medication").json()
    assert body["take_homes"][0]["bottle_mg"] == {}


def test_the_api_refuses_the_prescribers_decision_naming_the_bottles(world: World) -> None:
    on_sixty(world)
    raise_to_70(world)
    qtc(world)
    client = sign_in(Client(), world.staff["prescriber"])
    response = client.post(
        f"/api/v1/patients/{world.alice.pk}/take-homes",
        json.dumps(
            {
                "criteria": CRITERIA,
                "bottle_days": [tomorrow(world).isoformat()],
                "acknowledged_flags": open_concerns(world),
            }
        ),
        content_type="application/json",
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["bottle_days"]


def test_the_nurses_dose_by_the_api_hands_out_the_bottles_with_their_mg(world: World) -> None:
    on_sixty(world)
    decide(world, [tomorrow(world)])
    nurse = sign_in(Client(), world.staff["nurse"])
    response = nurse.post(
        f"/api/v1/patients/{world.alice.pk}/doses",
        json.dumps({"amount_mg": "60", "sequence": 1}),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content[:300]
    record = nurse.get(f"/api/v1/patients/{world.alice.pk}/medication").json()
    assert record["take_homes"][0]["bottle_mg"] == {tomorrow(world).isoformat(): "60.00"}


def test_the_nurses_dose_by_the_api_after_the_qtc_stops_the_plan(world: World) -> None:
    on_sixty(world)
    raise_to_70(world)
    decide(world, [tomorrow(world)])
    qtc(world)
    nurse = sign_in(Client(), world.staff["nurse"])
    response = nurse.post(
        f"/api/v1/patients/{world.alice.pk}/doses",
        json.dumps({"amount_mg": "60", "sequence": 1}),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content[:300]
    assert any("not handed out" in r["text"] for r in response.json()["decision"]["reasons"])
    assert plan(world).ended_on == today(world)


def test_the_medication_page_shows_each_bottles_mg(world: World) -> None:
    on_sixty(world)
    decide(world, [today(world)])
    client = sign_in(Client(), world.staff["prescriber"])
    body = client.get(f"/patients/{world.alice.pk}/medication/").content.decode()
    said = day_words(today(world), today(world))  # lane words25: a day as a person reads it, never ISO
    assert f"{said}: 60 mg" in body  # the runs of `words.bottle_mg_runs`


def test_fhir_gives_the_mg_recorded_not_the_order_written_since(world: World) -> None:
    on_sixty(world)
    decide(world, [today(world)])
    raise_to_70(world)  # after the bottle went home with 60 mg
    orders = list(MedicationOrder.objects.filter(patient=world.alice))
    (dispense,) = bottle_dispenses([plan(world)], orders, [], zone_of(world.alice), today(world))
    assert dispense["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]["value"] == 60.0


def test_fhir_of_an_older_plan_gives_the_orders_dose(world: World) -> None:
    on_sixty(world)
    old = decide(world, [today(world)])
    TakeHomePlan.objects.filter(pk=old.pk).update(bottle_mg={})
    orders = list(MedicationOrder.objects.filter(patient=world.alice))
    (dispense,) = bottle_dispenses([plan(world)], orders, [], zone_of(world.alice), today(world))
    assert dispense["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]["value"] == 60.0


# The pages: the prescriber's decision, the nurse's dosing list


def test_the_prescribers_page_says_why_the_decision_is_not_saved(world: World) -> None:
    on_sixty(world)
    raise_to_70(world)
    qtc(world)
    client = sign_in(Client(), world.staff["prescriber"])
    response = client.post(
        f"/patients/{world.alice.pk}/medication/take-homes/",
        {
            **{key: "on" for key in CRITERIA},
            "bottle_days": tomorrow(world).isoformat(),
            "acknowledged_flags": open_concerns(world),
        },
        follow=True,
    )
    assert "would hold 70 mg, a dose the window would not give today" in response.content.decode()
    assert not TakeHomePlan.objects.filter(patient=world.alice).exists()


def _nurse_gives_60(world: World) -> str:
    nurse = sign_in(Client(), world.staff["nurse"])
    response = nurse.post(
        f"/dosing/{world.alice.pk}/",
        {"medication": "methadone", "amount_mg": "60", "sequence": "1"},
        follow=True,
    )
    return response.content.decode()


def test_the_nurses_dosing_list_tells_the_mg_of_the_bottles_handed_out(world: World) -> None:
    on_sixty(world)
    decide(world, [tomorrow(world)])
    assert (  # the days as runs, as the medication page says them (lane words23)
        f"Take-home bottles handed out with this dose: {shown_near_day(tomorrow(world), today(world))}: 60 mg"
        in _nurse_gives_60(world)
    )


def test_the_nurses_dosing_list_says_the_bottles_must_not_go_home(world: World) -> None:
    on_sixty(world)
    raise_to_70(world)
    decide(world, [tomorrow(world)])
    qtc(world)
    body = _nurse_gives_60(world)
    assert f"Take-home bottles for {shown_near_day(tomorrow(world), today(world))} not handed out" in body
