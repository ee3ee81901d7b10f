"""Issue #18 review fixes: what belongs to which episode when a person is discharged and readmitted the same
day (doses, overrides), and the end date of an episode."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from keel.patients.schemas import ContactIn, DischargeIn, ReadmissionIn, RegistrationIn


def _today(world: Any) -> Any:
    return datetime.now(ZoneInfo(world.riverside.time_zone)).date()


def _discharge_and_readmit(world: Any) -> None:
    from keel.patients import services

    services.discharge(
        by=world.staff["counselor"], patient_id=world.alice.pk, data=DischargeIn.posted({"reason": "left"})
    )
    services.readmit(
        by=world.staff["counselor"],
        patient_id=world.alice.pk,
        data=ReadmissionIn.posted({"notice_given": True, "consented": True}),
    )


def _prescribe(world: Any) -> None:
    from keel.treatment import services as treatment

    treatment.prescribe(
        by=world.staff["prescriber"], patient_id=world.alice.pk, medication="methadone", dose_mg="30"
    )


def _dose(world: Any, mg: str) -> Any:
    from keel.treatment import services as treatment

    return treatment.record_dose(
        by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg=mg, medication="methadone"
    )


def test_a_dose_given_after_a_same_day_readmission_is_the_new_episodes_first_dose(world: Any) -> None:
    """The morning's dose belongs to the old episode, the afternoon's (after the readmission) to the new one:
    tomorrow is the new episode's day 2."""
    import time_machine

    from keel.treatment.queries import dose_context

    day = _today(world) + timedelta(days=30)
    noon_utc = datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=12)
    zone = ZoneInfo(world.riverside.time_zone)
    with time_machine.travel(noon_utc.astimezone(zone).replace(hour=8), tick=False):
        _prescribe(world)
        _dose(world, "30")
    with time_machine.travel(noon_utc.astimezone(zone).replace(hour=10), tick=False):
        _discharge_and_readmit(world)
    with time_machine.travel(noon_utc.astimezone(zone).replace(hour=13), tick=False):
        _prescribe(world)
        _dose(world, "10")
    world.alice.refresh_from_db()
    local_day = noon_utc.astimezone(zone).date()
    assert dose_context(world.alice, "methadone", local_day + timedelta(days=1)).treatment_day == 2


def test_an_override_written_after_the_readmission_applies_to_the_new_episode(world: Any) -> None:
    from keel.treatment import services as treatment

    _discharge_and_readmit(world)
    _prescribe(world)
    treatment.add_override(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        max_total_mg="80",
        reason="verified 80 mg at the last program yesterday by phone",
    )
    assert _dose(world, "80").dose.pk


def test_discharge_keeps_the_ended_override_in_the_record(world: Any) -> None:
    from keel.treatment import services as treatment
    from keel.treatment.models import DoseOverride

    _prescribe(world)
    row = treatment.add_override(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        max_total_mg="100",
        reason="stable on 100 mg for months, verified with the last program",
    )
    _discharge_and_readmit(world)
    assert DoseOverride.objects.get(pk=row.pk).ended_at is not None


def test_a_discharge_dated_on_the_last_dose_day_is_accepted(world: Any) -> None:
    from keel.patients import services

    _prescribe(world)
    _dose(world, "30")
    enrollment = services.discharge(
        by=world.staff["counselor"],
        patient_id=world.alice.pk,
        data=DischargeIn.posted({"reason": "left", "ended_on": _today(world).isoformat()}),
    )
    assert enrollment.ended_on == _today(world)


def test_a_readmission_today_after_dosing_yesterday_starts_at_day_one(world: Any) -> None:
    from keel.patients import services
    from keel.treatment import services as treatment
    from keel.treatment.queries import dose_context

    yesterday = _today(world) - timedelta(days=1)
    at = datetime.combine(yesterday, datetime.min.time(), tzinfo=UTC) + timedelta(hours=15)
    treatment.prescribe(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        medication="methadone",
        dose_mg="30",
        now=at - timedelta(hours=1),
    )
    treatment.record_dose(
        by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="30", medication="methadone", now=at
    )
    services.discharge(
        by=world.staff["counselor"],
        patient_id=world.alice.pk,
        data=DischargeIn.posted({"reason": "left", "ended_on": yesterday.isoformat()}),
    )
    services.readmit(
        by=world.staff["counselor"],
        patient_id=world.alice.pk,
        data=ReadmissionIn.posted({"notice_given": True, "consented": True}),
    )
    assert dose_context(world.alice, "methadone", _today(world)).treatment_day == 1


@pytest.mark.parametrize(
    "phone",
    [
        "555-0199",
        "(555) 010-2000",
        "+15555550199",
        "555.123.4567",
        "555-123-4567 ext. 89",
        "+52 55 1234 5678",
    ],
)
def test_a_phone_number_written_the_usual_ways_is_kept(world: Any, phone: str) -> None:
    from keel.patients import services

    services.update_contact(
        by=world.staff["nurse"], patient_id=world.alice.pk, data=ContactIn.posted({"phone": phone})
    )
    world.alice.refresh_from_db()
    assert world.alice.phone == phone


@pytest.mark.parametrize("phone", ["555", "555-01a9", "x1234567", "555-0199 ext"])
def test_a_phone_number_with_too_few_digits_or_letters_is_refused(world: Any, phone: str) -> None:
    from keel.core.rules.inputs import FieldsInvalid
    from keel.patients import services

    with pytest.raises(FieldsInvalid) as raised:
        services.update_contact(
            by=world.staff["nurse"], patient_id=world.alice.pk, data=ContactIn.posted({"phone": phone})
        )
    assert [e.field for e in raised.value.errors] == ["phone"]


def test_a_registration_with_a_note_for_a_phone_is_refused_naming_it(world: Any) -> None:
    from keel.core.rules.inputs import FieldsInvalid
    from keel.patients import services

    with pytest.raises(FieldsInvalid) as raised:
        services.register_patient(
            by=world.staff["counselor"],
            data=RegistrationIn.posted(
                {
                    "given_name": "Dana",
                    "family_name": "Reyes",
                    "date_of_birth": "1990-01-01",
                    "phone": "ask for mom",
                    "episode_kind": "otp",
                    "notice_given": True,
                    "consented": True,
                }
            ),
        )
    assert "phone" in [e.field for e in raised.value.errors]
