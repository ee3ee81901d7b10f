"""Review 37d: what was tried against consents, disclosures and break-the-glass, and held."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from keel.access import policy
from keel.accounts import staff
from keel.accounts.models import User
from keel.patients.models import local_today
from keel.sharing.models import Consent, Disclosure
from keel.sharing.schemas import DisclosureIn
from keel.sharing.services import (
    SharingInvalid,
    SharingNotAllowed,
    disclose,
    emergency_access,
    end_emergency_access,
    revoke_consent,
)
from tests.conftest import PASSWORD

COURT = "County Drug Court"


def _consent(
    world, *, days_left: int = 30, categories: tuple[str, ...] = ("enrollment", "medication")
) -> Consent:  # type: ignore[no-untyped-def]
    today = local_today(world.alice, timezone.now())
    return Consent.objects.create(
        patient=world.alice,
        program=world.riverside,
        recipient_name=COURT,
        purpose="court_program",
        purpose_text="",
        categories=list(categories),
        expires_on=today + timedelta(days=days_left),
        signature="Alicia Zamorano",
        form_version="review37d",
        statements=[],
        signed_by=world.alice.user,
        signed_at=timezone.now() - timedelta(days=1),
    )


def _asked(consent: Consent, **over: object):  # type: ignore[no-untyped-def]
    raw: dict[str, object] = {
        "basis": "consent",
        "consent": consent.pk,
        "categories": ["enrollment"],
        "recipient_name": COURT,
        "purpose": "court_program",
        "password": PASSWORD,
    }
    return DisclosureIn.posted({**raw, **over})


def test_a_covering_consent_lets_the_report_out(world) -> None:  # type: ignore[no-untyped-def]
    consent = _consent(world)
    disclosure, _doc = disclose(by=world.staff["nurse"], patient_id=world.alice.pk, data=_asked(consent))
    assert disclosure.consent_id == consent.pk


def test_a_consent_revoked_in_another_tab_stops_the_form_sent_after(world) -> None:  # type: ignore[no-untyped-def]
    consent = _consent(world)
    form = _asked(consent)  # the page was loaded while the consent was live
    revoke_consent(by=world.alice.user, consent_id=consent.pk)
    with pytest.raises(SharingInvalid):
        disclose(by=world.staff["nurse"], patient_id=world.alice.pk, data=form)


def test_nothing_is_recorded_as_disclosed_under_a_revoked_consent(world) -> None:  # type: ignore[no-untyped-def]
    consent = _consent(world)
    revoke_consent(by=world.alice.user, consent_id=consent.pk)
    with pytest.raises(SharingInvalid):
        disclose(by=world.staff["nurse"], patient_id=world.alice.pk, data=_asked(consent))
    assert not Disclosure.objects.filter(patient=world.alice).exists()


def test_a_consent_to_one_recipient_is_not_used_for_another(world) -> None:  # type: ignore[no-untyped-def]
    consent = _consent(world)
    with pytest.raises(SharingInvalid):
        disclose(
            by=world.staff["nurse"],
            patient_id=world.alice.pk,
            data=_asked(consent, recipient_name="County Drug Court Probation Office"),
        )


def test_a_section_the_consent_does_not_name_stays_in(world) -> None:  # type: ignore[no-untyped-def]
    consent = _consent(world, categories=("enrollment",))
    with pytest.raises(SharingInvalid):
        disclose(
            by=world.staff["nurse"],
            patient_id=world.alice.pk,
            data=_asked(consent, categories=["enrollment", "checkins"]),
        )


def test_a_consent_that_ended_yesterday_on_the_persons_clock_lets_nothing_out(world) -> None:  # type: ignore[no-untyped-def]
    consent = _consent(world, days_left=-1)
    with pytest.raises(SharingInvalid):
        disclose(by=world.staff["nurse"], patient_id=world.alice.pk, data=_asked(consent))


def test_a_consent_ending_today_on_the_persons_clock_still_covers(world) -> None:  # type: ignore[no-untyped-def]
    consent = _consent(world, days_left=0)
    disclosure, _doc = disclose(by=world.staff["nurse"], patient_id=world.alice.pk, data=_asked(consent))
    assert disclosure.consent_id == consent.pk


def test_a_wrong_password_lets_nothing_out(world) -> None:  # type: ignore[no-untyped-def]
    consent = _consent(world)
    with pytest.raises(SharingInvalid):
        disclose(
            by=world.staff["nurse"],
            patient_id=world.alice.pk,
            data=_asked(consent, password="not it at all 1"),
        )


def test_a_peer_specialist_on_the_team_discloses_nothing(world) -> None:  # type: ignore[no-untyped-def]
    consent = _consent(world)
    with pytest.raises(policy.PatientNotFound):  # a peer never sees the clinical area
        disclose(by=world.staff["peer_specialist"], patient_id=world.alice.pk, data=_asked(consent))


def _emergency_on_bob(world) -> User:  # type: ignore[no-untyped-def]
    nurse = world.staff["nurse"]
    emergency_access(
        by=nurse, record_number="RR-0002", reason="unresponsive at the dosing window", password=PASSWORD
    )
    return nurse  # type: ignore[no-any-return]


def _emergency_report():  # type: ignore[no-untyped-def]
    return DisclosureIn.posted(
        {
            "basis": "emergency",
            "categories": ["medication"],
            "recipient_name": "Dr. Dana Whitfield",
            "recipient_role": "physician",
            "recipient_affiliation": "Riverside General Hospital emergency department",
            "nature": "unresponsive after a dose; the ED asks what was given",
            "password": PASSWORD,
        }
    )


def test_break_the_glass_does_not_open_a_disclosure_under_a_consent(world) -> None:  # type: ignore[no-untyped-def]
    nurse = _emergency_on_bob(world)
    today = local_today(world.bob, timezone.now())
    consent = Consent.objects.create(
        patient=world.bob,
        program=world.riverside,
        recipient_name=COURT,
        purpose="court_program",
        purpose_text="",
        categories=["enrollment"],
        expires_on=today + timedelta(days=30),
        signature="Roberto Quintanilla",
        form_version="review37d",
        statements=[],
        signed_by=world.bob.user,
        signed_at=timezone.now() - timedelta(days=1),
    )
    with pytest.raises(SharingNotAllowed):
        disclose(by=nurse, patient_id=world.bob.pk, data=_asked(consent))


def test_an_ended_emergency_access_discloses_nothing_in_an_emergency(world) -> None:  # type: ignore[no-untyped-def]
    nurse = _emergency_on_bob(world)
    end_emergency_access(by=nurse, patient_id=world.bob.pk)
    with pytest.raises(policy.PatientNotFound):
        disclose(by=nurse, patient_id=world.bob.pk, data=_emergency_report())


def test_a_turned_off_clinician_with_an_open_emergency_access_discloses_nothing(world) -> None:  # type: ignore[no-untyped-def]
    nurse = _emergency_on_bob(world)
    staff.deactivate(by=world.staff["program_admin"], program_slug="riverside", user_id=nurse.pk)
    nurse.refresh_from_db()
    with pytest.raises(policy.PatientNotFound):
        disclose(by=nurse, patient_id=world.bob.pk, data=_emergency_report())


def test_a_clinician_taken_off_the_team_with_the_form_open_discloses_nothing(world) -> None:  # type: ignore[no-untyped-def]
    from keel.patients.services import remove_from_care_team

    consent = _consent(world)
    form = _asked(consent)  # loaded while she was on the team
    remove_from_care_team(
        by=world.staff["program_admin"], patient_id=world.alice.pk, user_id=world.staff["nurse"].pk
    )
    with pytest.raises(policy.PatientNotFound):
        disclose(by=world.staff["nurse"], patient_id=world.alice.pk, data=form)


def test_a_turned_off_staff_members_recipient_token_releases_nothing(world) -> None:  # type: ignore[no-untyped-def]
    from keel.accounts.services.tokens import create_token, user_for_token

    nurse = world.staff["nurse"]
    issued = create_token(user=nurse, name="court feed", recipient_name=COURT)
    staff.deactivate(by=world.staff["program_admin"], program_slug="riverside", user_id=nurse.pk)
    assert user_for_token(issued.secret) is None


def test_a_turned_off_staff_members_open_session_shows_no_sharing_page(world) -> None:  # type: ignore[no-untyped-def]
    from django.test import Client
    from django.urls import reverse

    from tests.conftest import sign_in

    nurse = world.staff["nurse"]
    client = sign_in(Client(), nurse)
    url = reverse("sharing:patient", args=[world.alice.pk])
    assert client.get(url).status_code == 200  # the session works before she leaves
    staff.deactivate(by=world.staff["program_admin"], program_slug="riverside", user_id=nurse.pk)
    assert client.get(url).status_code != 200
