"""Review 20b: holes a health-privacy officer and a penetration tester found in Keel's privacy guards.

Each test states what a private Keel must do and fails on today's code for the reason its docstring gives."""

from __future__ import annotations

import logging

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.test import Client
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from keel.access.policy import ActionNotAllowed
from keel.assessments import services as assessments
from keel.audit.models import AuditEvent
from keel.core.rules.inputs import FieldsInvalid
from keel.sharing.services.emergency import emergency_access
from keel.treatment.services import policy as policy_writes

from .conftest import CANARY, PASSWORD, World


def _audit_text() -> list[str]:
    """Every audit row's reason and target id (what the audit page and its export show)."""
    return [f"{e.reason} | {e.target_id}" for e in AuditEvent.objects.all()]


def test_typed_instrument_name_copied_into_audit_reason_by_patient(world: World) -> None:
    """Hole (medium): a patient's `POST /api/v1/me/assessments` with an `instrument` that is not one of the
    self-report instruments is refused with the audit reason f"role may not record {instrument}" — the text
    the caller typed (up to 32 characters: a name, a diagnosis) copied into the append-only audit row, which
    auditors and program admins read and which can never be erased. The service checks the role before it
    checks that the instrument is one Keel knows (`assessments.services.patient_for_recording`).
    A private Keel refuses it with fixed words (or names the field, 422) and never copies the typed text."""
    typed = f"{CANARY} HIV pregnant"
    with pytest.raises(Exception):  # refused either way; the audit row is the point
        assessments.submit_assessment(by=world.patient_user, patient_id=None, instrument=typed, answers={})
    leaked = [t for t in _audit_text() if CANARY in t]
    assert leaked == [], f"typed text in the audit trail: {leaked}"


def test_typed_instrument_name_copied_into_audit_reason_under_emergency_access(world: World) -> None:
    """Hole (medium), the same copy by another route: a nurse holding a break-the-glass grant posts an
    assessment whose `instrument` is free text; the refusal's audit reason is
    f"emergency access: may not record {instrument}", the typed text in the row the emergency filter lists
    for the program admin's review. A private Keel checks the instrument is a known code before any audit
    reason names it, and the reason stays fixed words."""
    emergency_access(
        by=world.other_nurse,
        record_number=world.patient.record_number,
        reason="found unresponsive in the lobby",
        password=PASSWORD,
    )
    typed = f"{CANARY} schizophrenia"
    with pytest.raises(Exception):
        assessments.submit_assessment(
            by=world.other_nurse, patient_id=world.patient.pk, instrument=typed, answers={}
        )
    leaked = [t for t in _audit_text() if CANARY in t]
    assert leaked == [], f"typed text in the audit trail: {leaked}"


def test_program_policy_reason_copied_into_audit_reason(world: World) -> None:
    """Hole (medium): a program admin changing a program policy value types a reason ("after Quintanilla's
    overdose on 3 Nov"); `treatment.services.policy.set_value` writes it to the audit row as
    `reason=reason[:200]`. Review 19b moved the person's own policy override's text to its clinical row only
    ("prescriber's reason recorded on the person's policy"), but the program's change still copies typed
    text — a name and an overdose — into the append-only audit trail. A private Keel keeps the text on the
    `PolicyChange` row and gives the audit row fixed words."""
    policy_writes.set_value(
        by=world.admin,
        program_slug=world.program.slug,
        rule="buprenorphine-readiness",
        field="cows_threshold",
        value=10,
        reason=f"after {CANARY}'s overdose on 3 Nov",
    )
    leaked = [t for t in _audit_text() if CANARY in t]
    assert leaked == [], f"typed text in the audit trail: {leaked}"


def test_csrf_refusal_logs_a_live_password_reset_link(world: World, caplog: pytest.LogCaptureFixture) -> None:
    """Hole (high): Keel's request log hides a path's secret-looking segments (`keel.web.logs.safe_path`: a
    stop link's token, an invitation's secret), but Django's own CSRF refusal logs the raw path on the
    `django.security.csrf` logger at WARNING
    ("Forbidden (CSRF cookie not set.): /accounts/password/reset/<uid>/<token>/"),
    and settings.LOGGING lets it through to the console
    handler (only `django.request` is raised to ERROR).
    A person whose cookie expired or was blocked posts their new password on the reset page: the refusal
    writes a still-valid password-reset link (nothing was used) to the logs, and anyone who reads the logs can
    take over the account — a patient's included. The same holds for a staff invitation's secret
    (`/accounts/invitation/<secret>/`) and any typed text in a path (`/patients/<id>/instruments/<code>/`).
    A private Keel logs no path but `safe_path`'s shape on any logger (the CSRF logger's line rewritten or
    dropped)."""
    uid = urlsafe_base64_encode(force_bytes(world.patient_user.pk))
    token = default_token_generator.make_token(world.patient_user)
    caplog.set_level(logging.INFO)
    Client(enforce_csrf_checks=True).post(
        f"/accounts/password/reset/{uid}/{token}/", {"password": "x" * 14, "password_again": "x" * 14}
    )
    leaked = [r.getMessage() for r in caplog.records if token in r.getMessage()]
    assert leaked == [], f"a live reset token in the logs: {leaked}"


@pytest.mark.parametrize("reason", ["xxxxxxxxxx", "..........", "1234567890"])
def test_break_the_glass_opens_on_a_reason_of_no_words(world: World, reason: str) -> None:
    """Hole (medium): break-the-glass asks for "a reason (at least 10 characters)" and counts only
    `visible_length` (`sharing.services.emergency._checked_fields`), so ten x's, ten dots or ten digits open
    another care team's record for four hours. Keel already has the one test of a reason of substance,
    `core.rules.window.reason_problem` (three different words, fifteen characters, not one character repeated:
    "xxxxxxxxxxxxxxx ... do not document a clinical judgment"), which every dose override uses — but not the
    most privacy-invasive act Keel allows (SECURITY.md T12: emergency access needs a reason). The emergency
    disclosure's `nature` (42 CFR 2.51: the nature of the emergency, `core.sharing._text(low=10)`) has the
    same gap. A private Keel refuses such a reason, naming `reason`, and opens nothing."""
    from keel.patients.models import EmergencyAccess
    from keel.sharing.errors import SharingInvalid

    with pytest.raises(SharingInvalid):
        emergency_access(
            by=world.other_nurse,
            record_number=world.patient.record_number,
            reason=reason,
            password=PASSWORD,
        )
    assert not EmergencyAccess.objects.filter(user=world.other_nurse).exists()


def test_patient_second_factor_reset_without_the_password_again(world: World) -> None:
    """Hole (medium): SECURITY.md promises "re-authentication before disclosure, export, emergency access and
    MFA changes", and the lockout counts those failures (T17). `patients.services.second_factor.
    reset_second_factor` removes a patient's authenticator, ends their sessions and revokes their tokens on a
    clinician's say-so with no password asked (its body has only `reason` and `identity_checked`), so an
    unattended or stolen staff session strips any care-team patient's second step, and the patient is not
    told (the staff reset at least emails). A private Keel asks the clinician's password again (a wrong or
    missing one refused, naming `password`, counted by the lockout) and removes nothing without it."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from keel.accounts import services as accounts
    from keel.patients.schemas import SecondFactorResetIn
    from keel.patients.services.second_factor import reset_second_factor

    accounts.enroll_totp(user=world.patient_user)
    body = SecondFactorResetIn.posted({"reason": "lost the phone, ID checked", "identity_checked": True})
    with pytest.raises(FieldsInvalid) as refused:  # refused for the missing password (fix 20c: tightened)
        reset_second_factor(by=world.nurse, patient_id=world.patient.pk, data=body)
    assert [e.field for e in refused.value.errors] == ["password"]
    assert TOTPDevice.objects.filter(user=world.patient_user).exists()


def test_staff_second_factor_reset_without_the_password_again(world: World) -> None:
    """Hole (medium), the same guard on the staff side: `accounts.staff.reset_second_factor` lets a program
    admin remove another staff member's authenticator with no password again (its signature takes none). An
    admin's session left open resets a prescriber's two-step sign-in; whoever knows that prescriber's password
    then enrols their own authenticator at the next sign-in and reads every record on the prescriber's team.
    A private Keel asks the admin's password again before any MFA change."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from keel.accounts import staff

    assert TOTPDevice.objects.filter(user=world.nurse).exists()
    with pytest.raises(FieldsInvalid) as refused:  # refused for the missing password (fix 20c: tightened)
        staff.reset_second_factor(by=world.admin, program_slug=world.program.slug, user_id=world.nurse.pk)
    assert [e.field for e in refused.value.errors] == ["password"]
    assert TOTPDevice.objects.filter(user=world.nurse).exists()


def test_peer_specialist_reads_discharge_and_its_reason_on_the_timeline(world: World) -> None:
    """Hole (medium): the policy keeps episodes of care in the clinical area (`access.policy.Area.CLINICAL`:
    "enrollment details"): a peer specialist is refused the episodes list (`patients.queries.episodes`, a
    404) and the caseload's in-care filter ("your role does not see who is in care; choose all"). The
    timeline (`careteam.timeline._episode_events`, page `/patients/<id>/timeline/` and
    `GET /api/v1/patients/{id}/timeline`) runs the episode step for "every role that sees the patient", so the
    peer reads "Care ended" with its end reason — "Administrative discharge", "Died", "Transferred to another
    program". A private Keel shows a peer no episode event (or only what the caseload shows them: nothing)."""
    from datetime import timedelta

    from django.utils import timezone

    from keel.accounts import services as accounts
    from keel.accounts.models import Role
    from keel.careteam.timeline import timeline
    from keel.patients.models import CareTeamMember, EndReason, Enrollment, EnrollmentStatus

    peer, _ = accounts.create_user(
        username="north.peer", role=Role.PEER_SPECIALIST, password=PASSWORD, program_slug=world.program.slug
    )
    CareTeamMember.objects.create(patient=world.patient, user=peer)
    today = timezone.localdate()
    Enrollment.objects.create(
        patient=world.patient,
        program=world.program,
        started_on=today - timedelta(days=60),
        ended_on=today - timedelta(days=5),
        status=EnrollmentStatus.ENDED,
        end_reason=EndReason.ADMINISTRATIVE,
    )
    seen = timeline(peer, world.patient.pk, days=90)
    shown = [(e.kind, e.title, e.detail) for e in seen.events if e.kind == "enrollment"]
    assert shown == [], f"a peer specialist reads episodes of care: {shown}"


def test_break_the_glass_opens_the_persons_thought_records(world: World) -> None:
    """Hole (medium): review 19b closed a person's consents and disclosures to break-the-glass ("no part of
    treating an emergency"), but `recovery.common._patient` lets emergency access through for every recovery
    read, so an off-team nurse with a grant reads the person's CBT thought records in full
    (`GET /api/v1/patients/{id}/thought-records`): the most sensitive free text Keel holds (SECURITY.md: it
    is the text Keel encrypts; the timeline never shows what one says). Nothing about an overdose in the
    lobby needs a person's journal of automatic thoughts. A private Keel refuses them under a grant (403,
    audited "emergency access: may not read thought records"), as it does consents."""
    from keel.recovery import services as recovery

    emergency_access(
        by=world.other_nurse,
        record_number=world.patient.record_number,
        reason="found unresponsive in the lobby, naloxone given",
        password=PASSWORD,
    )
    with pytest.raises(ActionNotAllowed):  # refused under emergency access, a 403 (fix 20c: tightened)
        recovery.list_thought_records(world.other_nurse, patient_id=world.patient.pk)
