"""Review of issue #18: a transfer (discharge "transferred") is a disclosure under the patient's consent."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from keel.patients.schemas import DischargeIn
from tests.conftest import PASSWORD


def _consent(
    world: Any,
    *,
    recipient: str = "Lakeside Health Center",
    expires: date | None = None,
    categories: tuple[str, ...] = ("record",),
) -> Any:
    from keel.sharing import services as sharing

    return sharing.record_paper_consent(
        by=world.staff["counselor"],
        patient_id=world.alice.pk,
        raw={
            "recipient_name": recipient,
            "purpose": "treatment",
            "purpose_text": "",
            "categories": list(categories),
            "expires_on": (expires or date.today() + timedelta(days=90)).isoformat(),
            "signature": "Alicia Zamorano",
            "understood": True,
        },
    )


def _transfer(world: Any, consent: Any, **extra: Any) -> Any:
    from keel.patients import services

    by = extra.pop("by", world.staff["counselor"])
    data = {
        "reason": "transferred",
        "consent": consent.pk if consent is not None else None,
        "recipient_name": "Lakeside Health Center",
        "password": PASSWORD,
        **extra,
    }
    return services.discharge(by=by, patient_id=world.alice.pk, data=DischargeIn.posted(data))


def test_a_transfer_whose_discharge_loses_a_race_leaves_no_disclosure_in_the_accounting(
    world: Any, monkeypatch: Any
) -> None:
    """Attack: a double-submitted transfer (two clicks, two desks). Both requests pass the disclosure step
    (it runs in its own transaction before the discharge); the second one's discharge then finds the episode
    already ended and fails. Expected: the failed transfer writes nothing — no second disclosure in the
    accounting of disclosures (42 CFR 2.24) for a record that never left. Here the race is made
    deterministic: the other desk's discharge lands right after this request's disclosure."""
    from keel.patients.models import Enrollment, EnrollmentStatus
    from keel.sharing import services as sharing
    from keel.sharing.models import Disclosure

    consent = _consent(world)
    original = sharing.release_record

    def then_the_other_desk_discharges(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        Enrollment.objects.filter(patient=world.alice, status=EnrollmentStatus.ACTIVE).update(
            status=EnrollmentStatus.ENDED, ended_on=date.today(), end_reason="transferred"
        )
        return result

    monkeypatch.setattr(sharing, "release_record", then_the_other_desk_discharges)
    from keel.core.rules.inputs import FieldsInvalid

    with pytest.raises(FieldsInvalid):
        _transfer(world, consent)
    assert Disclosure.objects.filter(patient=world.alice).count() == 0


def _still_in_care(world: Any) -> bool:
    from keel.patients.models import Enrollment, EnrollmentStatus

    return Enrollment.objects.filter(patient=world.alice, status=EnrollmentStatus.ACTIVE).exists()


def _refused(world: Any, consent: Any, **extra: Any) -> list[str]:
    from keel.core.rules.inputs import FieldsInvalid
    from keel.patients.services import NotAllowed
    from keel.sharing.models import Disclosure

    try:
        _transfer(world, consent, **extra)
    except FieldsInvalid as exc:
        fields = [e.field for e in exc.errors]
    except NotAllowed:
        fields = ["role"]
    else:
        fields = []
    assert _still_in_care(world)
    assert Disclosure.objects.filter(patient=world.alice).count() == 0
    return fields


# --- Attacks that held (kept as passing tests) ---------------------------------------------------------


def test_held_a_revoked_consent_does_not_carry_a_transfer(world: Any) -> None:
    from keel.sharing import services as sharing

    consent = _consent(world)
    sharing.revoke_consent(by=world.alice.user, consent_id=consent.pk)
    assert _refused(world, consent) == ["consent"]


def test_held_another_patients_consent_does_not_carry_a_transfer(world: Any) -> None:
    from keel.sharing import services as sharing

    other = sharing.record_paper_consent(
        by=world.lakeside_nurse,
        patient_id=world.charlie.pk,
        raw={
            "recipient_name": "Lakeside Health Center",
            "purpose": "treatment",
            "categories": ["record"],
            "expires_on": (date.today() + timedelta(days=90)).isoformat(),
            "signature": "Charlotte Vandersloot",
            "understood": True,
        },
    )
    assert _refused(world, other) == ["consent"]


def test_held_a_consent_for_another_recipient_does_not_carry_a_transfer(world: Any) -> None:
    consent = _consent(world, recipient="Hilltop Methadone Clinic")
    assert _refused(world, consent) == ["recipient_name"]


def test_held_no_consent_does_not_carry_a_transfer(world: Any) -> None:
    assert _refused(world, None) == ["consent"]


def test_held_a_wrong_password_does_not_carry_a_transfer(world: Any) -> None:
    consent = _consent(world)
    assert _refused(world, consent, password="not my password") == ["password"]


def test_held_a_program_admin_cannot_transfer(world: Any) -> None:
    consent = _consent(world)
    assert _refused(world, consent, by=world.staff["program_admin"]) == ["role"]


def test_held_the_recipient_in_other_case_and_spacing_is_the_same_recipient(world: Any) -> None:
    consent = _consent(world)
    _transfer(world, consent, recipient_name="  lakeside   HEALTH center ")
    assert not _still_in_care(world)


def test_held_a_second_transfer_of_someone_already_transferred_is_refused(world: Any) -> None:
    from keel.core.rules.inputs import FieldsInvalid
    from keel.sharing.models import Disclosure

    consent = _consent(world)
    _transfer(world, consent)
    with pytest.raises(FieldsInvalid):
        _transfer(world, consent)
    assert Disclosure.objects.filter(patient=world.alice).count() == 1


def test_held_the_cli_cannot_transfer_without_the_consent_check(world: Any) -> None:
    from django.core.management import CommandError, call_command

    _consent(world)
    with pytest.raises(CommandError) as raised:
        call_command(
            "episode",
            "discharge",
            "--by",
            "r-counselor",
            "--patient-id",
            str(world.alice.pk),
            "--reason",
            "transferred",
        )
    assert raised.value.returncode == 2
    assert _still_in_care(world)


def test_held_an_expired_consent_does_not_carry_a_transfer(world: Any) -> None:
    from keel.sharing.models import Consent

    consent = _consent(world)
    Consent.objects.filter(pk=consent.pk).update(expires_on=date.today() - timedelta(days=2))
    assert _refused(world, consent) == ["consent"]


def test_held_a_basis_of_patient_request_cannot_replace_the_consent(world: Any) -> None:
    assert _refused(world, None, basis="patient_request") == ["consent"]


def test_break_the_glass_access_does_not_let_a_clinician_discharge(world: Any) -> None:
    """Attack: a nurse not on Bob's care team opens his record through emergency access (a medical emergency:
    read what is needed) and, while it is open, discharges him with the reason "left". Discharge stops every
    active medication order and take-home plan, so Bob cannot be dosed tomorrow. Emergency access is for
    reading in an emergency (the second-factor reset already refuses it: "the care team only"). Expected:
    refused (403/404), Bob still in care. Found: Bob is discharged."""
    from django.http import Http404

    from keel.patients import services
    from keel.patients.models import Enrollment, EnrollmentStatus
    from keel.sharing import services as sharing

    nurse = world.staff["nurse"]
    sharing.emergency_access(
        by=nurse,
        record_number=world.bob.record_number,
        reason="overdose at the window, need history",
        password=PASSWORD,
    )
    with pytest.raises((services.NotAllowed, Http404)):
        services.discharge(by=nurse, patient_id=world.bob.pk, data=DischargeIn.posted({"reason": "left"}))
    assert Enrollment.objects.filter(patient=world.bob, status=EnrollmentStatus.ACTIVE).exists()


def test_held_a_consent_for_only_part_of_the_record_does_not_carry_a_transfer(world: Any) -> None:
    consent = _consent(world, categories=("enrollment",))
    assert _refused(world, consent) == ["consent"]
