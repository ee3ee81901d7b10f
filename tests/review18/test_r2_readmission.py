"""Review of issue #18: readmission opens a new episode, asks again for the Part 2 notice and consent to
treatment, and the induction rules apply again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from keel.patients.schemas import DischargeIn, ReadmissionIn


def _dose_days(world: Any, days: list[Any]) -> None:
    from keel.treatment import services as treatment

    first = days[0]
    treatment.prescribe(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        medication="methadone",
        dose_mg="30",
        now=datetime.combine(first, datetime.min.time(), tzinfo=UTC) + timedelta(hours=14),
    )
    for day in days:
        at = datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=15)
        treatment.record_dose(
            by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="30", medication="methadone", now=at
        )


def _today(world: Any) -> Any:
    return datetime.now(ZoneInfo(world.riverside.time_zone)).date()


def test_a_readmission_dated_on_the_discharge_day_starts_induction_again_at_day_one(world: Any) -> None:
    """Attack: the patient was dosed every day up to yesterday, discharged yesterday, and is readmitted today
    with the start date entered as yesterday (the day the last episode ended, which readmit accepts). The new
    episode has no dose of its own yet, so today must be treatment day 1 (induction, day-one limits). Found:
    the old episode's dose dated on the discharge day is read as the new episode's first dose, so today is
    day 2 and the day-one rules are walked around."""
    from keel.patients import services
    from keel.treatment.queries import dose_context

    today = _today(world)
    _dose_days(world, [today - timedelta(days=3), today - timedelta(days=2), today - timedelta(days=1)])
    yesterday = (today - timedelta(days=1)).isoformat()
    services.discharge(
        by=world.staff["counselor"],
        patient_id=world.alice.pk,
        data=DischargeIn.posted({"reason": "left", "ended_on": yesterday}),
    )
    services.readmit(
        by=world.staff["counselor"],
        patient_id=world.alice.pk,
        data=ReadmissionIn.posted({"started_on": yesterday, "notice_given": True, "consented": True}),
    )
    world.alice.refresh_from_db()
    assert dose_context(world.alice, "methadone", today).treatment_day == 1


# --- Attacks that held -------------------------------------------------------------------------------------


def test_held_a_readmission_today_is_treatment_day_one(world: Any) -> None:
    from keel.patients import services
    from keel.treatment.queries import dose_context

    today = _today(world)
    _dose_days(world, [today - timedelta(days=3), today - timedelta(days=2)])
    services.discharge(
        by=world.staff["counselor"],
        patient_id=world.alice.pk,
        data=DischargeIn.posted({"reason": "left", "ended_on": (today - timedelta(days=2)).isoformat()}),
    )
    services.readmit(
        by=world.staff["counselor"],
        patient_id=world.alice.pk,
        data=ReadmissionIn.posted({"notice_given": True, "consented": True}),
    )
    assert dose_context(world.alice, "methadone", today).treatment_day == 1


@pytest.mark.parametrize("missing", ["notice_given", "consented"])
def test_held_readmission_without_each_confirmation_is_refused_naming_it(world: Any, missing: str) -> None:
    from keel.core.rules.inputs import FieldsInvalid
    from keel.patients import services

    services.discharge(
        by=world.staff["counselor"], patient_id=world.alice.pk, data=DischargeIn.posted({"reason": "left"})
    )
    data = {"notice_given": "on", "consented": "on"}
    data[missing] = ""
    with pytest.raises(FieldsInvalid) as raised:
        services.readmit(
            by=world.staff["counselor"], patient_id=world.alice.pk, data=ReadmissionIn.posted(data)
        )
    assert [e.field for e in raised.value.errors] == [missing]


def test_held_the_cli_readmit_without_the_flags_exits_2(world: Any) -> None:
    from django.core.management import CommandError, call_command

    from keel.patients import services

    services.discharge(
        by=world.staff["counselor"], patient_id=world.alice.pk, data=DischargeIn.posted({"reason": "left"})
    )
    with pytest.raises(CommandError) as raised:
        call_command("episode", "readmit", "--by", "r-counselor", "--patient-id", str(world.alice.pk))
    assert raised.value.returncode == 2


def test_held_readmitting_another_programs_patient_is_not_found(world: Any) -> None:
    from django.http import Http404

    from keel.patients import services

    with pytest.raises(Http404):
        services.readmit(
            by=world.staff["program_admin"],
            patient_id=world.charlie.pk,
            data=ReadmissionIn.posted({"notice_given": True, "consented": True}),
        )


def test_held_a_double_readmission_opens_one_episode(world: Any) -> None:
    from keel.core.rules.inputs import FieldsInvalid
    from keel.patients import services
    from keel.patients.models import Enrollment

    services.discharge(
        by=world.staff["counselor"], patient_id=world.alice.pk, data=DischargeIn.posted({"reason": "left"})
    )
    data = {"notice_given": True, "consented": True}
    services.readmit(by=world.staff["counselor"], patient_id=world.alice.pk, data=ReadmissionIn.posted(data))
    with pytest.raises(FieldsInvalid):
        services.readmit(
            by=world.staff["counselor"], patient_id=world.alice.pk, data=ReadmissionIn.posted(data)
        )
    assert Enrollment.objects.filter(patient=world.alice, status="active").count() == 1


def test_a_person_discharged_as_deceased_is_not_readmitted_by_a_click(world: Any) -> None:
    """Attack: the desk picks the wrong patient and readmits someone whose episode ended with the reason
    "deceased" (ticking the two confirmations: "received the notice", "consented to treatment"). A deceased
    person cannot consent; the record then shows a new episode, the dosing list can list them again once an
    order is written, and consents are refused for them elsewhere (sharing checks `deceased`). Expected: the
    readmission refused naming the patient (a death recorded in error is corrected on purpose, not by a
    readmission). Found: a new episode opens."""
    from keel.core.rules.inputs import FieldsInvalid
    from keel.patients import services
    from keel.patients.models import Enrollment

    services.discharge(
        by=world.staff["counselor"],
        patient_id=world.alice.pk,
        data=DischargeIn.posted({"reason": "deceased"}),
    )
    with pytest.raises(FieldsInvalid):
        services.readmit(
            by=world.staff["counselor"],
            patient_id=world.alice.pk,
            data=ReadmissionIn.posted({"notice_given": True, "consented": True}),
        )
    assert not Enrollment.objects.filter(patient=world.alice, status="active").exists()


def test_a_discharge_is_not_dated_before_a_dose_already_recorded_in_the_episode(world: Any) -> None:
    """Attack: the patient was dosed yesterday and today; the desk discharges them with an end date three
    days ago (a typo, or to tidy a report). The episode then ends before doses recorded inside it, so those
    doses belong to no episode (measures, the accounting and a later readmission's induction all read
    episodes by date). Expected: ended_on refused naming it (not before the last dose). Found: accepted."""
    from keel.core.rules.inputs import FieldsInvalid
    from keel.patients import services

    today = _today(world)
    _dose_days(world, [today - timedelta(days=1)])
    with pytest.raises(FieldsInvalid) as raised:
        services.discharge(
            by=world.staff["counselor"],
            patient_id=world.alice.pk,
            data=DischargeIn.posted({"reason": "left", "ended_on": (today - timedelta(days=3)).isoformat()}),
        )
    assert [e.field for e in raised.value.errors] == ["ended_on"]


def test_a_dose_override_written_for_the_old_episode_does_not_carry_into_the_readmission(world: Any) -> None:
    """Attack: this morning the prescriber wrote a limit override for Alice's maintenance dose (up to 100 mg
    today). Later today she is discharged and, the same afternoon, readmitted (she came back; the desk
    readmits at once). Induction starts again at day 1 with the day-one ceiling, but the morning's override
    for the old episode still "documents" up to 100 mg, so an 80 mg first dose of the new episode passes as
    "allowed with rationale". Expected: the old episode's overrides end with it; the 80 mg dose is blocked
    for a new override. Found: the dose is recorded."""
    from keel.patients import services
    from keel.treatment import services as treatment
    from keel.treatment.services import DoseBlocked

    prescriber = world.staff["prescriber"]
    treatment.prescribe(by=prescriber, patient_id=world.alice.pk, medication="methadone", dose_mg="30")
    treatment.add_override(
        by=prescriber,
        patient_id=world.alice.pk,
        max_total_mg="100",
        reason="stable on 100 mg for months, verified with the last program",
    )
    services.discharge(
        by=world.staff["counselor"], patient_id=world.alice.pk, data=DischargeIn.posted({"reason": "left"})
    )
    services.readmit(
        by=world.staff["counselor"],
        patient_id=world.alice.pk,
        data=ReadmissionIn.posted({"notice_given": True, "consented": True}),
    )
    treatment.prescribe(by=prescriber, patient_id=world.alice.pk, medication="methadone", dose_mg="30")
    with pytest.raises(DoseBlocked):
        treatment.record_dose(
            by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="80", medication="methadone"
        )
