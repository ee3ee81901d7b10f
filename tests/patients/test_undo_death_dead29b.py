"""Lane dead29b: a death recorded by mistake, undone by a program admin of the person's program
(`patients.services.deaths.undo_death`): the page (with its confirmation step), the API and the command line;
a reason required; within `KEEL_DEATH_UNDO_DAYS`; audited in the program's chain. The episode opens again as
it was; orders and take-home plans stay stopped; her own account stays off and unjoined (a new activation code
makes a new one); a personal representative's consent is revoked; every after-death guard answers as for a
living person again."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone

from keel.accounts.models import User
from keel.audit.models import AuditEvent
from keel.core.rules.inputs import FieldsInvalid
from keel.patients import services
from keel.patients.errors import NotAllowed
from keel.patients.models import (
    DeathUndone,
    EndReason,
    Enrollment,
    EnrollmentStatus,
    Patient,
    death_day,
    death_recorded,
    local_today,
)
from keel.patients.schemas import DischargeIn, UndoDeathIn
from keel.patients.services import activation
from keel.patients.services.deaths import UNDONE
from keel.sharing.models import Consent, ConsentRevocation, Disclosure
from keel.sharing.services.consents import record_paper_consent
from keel.sharing.services.revocations import revoke_consent
from keel.treatment.models import MedicationOrder, OrderStatus, TakeHomePlan
from tests.conftest import PASSWORD, World, sign_in
from tests.factories import methadone_with_take_home_plan
from tests.review27b.test_death_and_activation import _no_account_yet

pytestmark = pytest.mark.django_db
WHY = "Recorded for the wrong person: Alicia was at her visit today, the death was Roberto's neighbour's"
RECIPIENT = "Harbor Estate Attorneys"
PASS = "a long enough passphrase 929"


def _record_death(world: World, patient: Patient | None = None, days_ago: int = 0) -> Enrollment:
    patient = patient or world.alice
    ended = local_today(patient) - timedelta(days=days_ago)
    return services.discharge(
        by=world.staff["nurse"] if patient == world.alice else world.staff["program_admin"],
        patient_id=patient.pk,
        data=DischargeIn.posted({"ended_on": ended.isoformat(), "reason": "deceased"}),
    )


def _undo(world: World, patient: Patient | None = None, reason: str = WHY, **kw: Any) -> services.Undone:
    return services.undo_death(
        by=kw.pop("by", world.staff["program_admin"]),
        patient_id=(patient or world.alice).pk,
        data=UndoDeathIn.posted({"reason": reason}),
        **kw,
    )


def _fields(exc: pytest.ExceptionInfo[FieldsInvalid]) -> list[str]:
    return [e.field for e in exc.value.errors]


def _episode(world: World) -> Enrollment:
    return Enrollment.objects.get(patient=world.alice)


# --- what the undo restores -------------------------------------------------------------------------------


def test_the_same_episode_is_open_again(world: World) -> None:
    died = _record_death(world)
    undone = _undo(world)
    assert undone.episode.pk == died.pk


def test_the_episode_is_active_with_no_end(world: World) -> None:
    _record_death(world, days_ago=2)
    _undo(world)
    episode = _episode(world)
    assert (episode.status, episode.ended_on, episode.end_reason) == (EnrollmentStatus.ACTIVE, None, "")


def test_the_episode_keeps_its_start(world: World) -> None:
    started = _episode(world).started_on
    _record_death(world)
    _undo(world)
    assert _episode(world).started_on == started


def test_death_recorded_no_longer_answers(world: World) -> None:
    _record_death(world)
    _undo(world)
    assert death_recorded(world.alice.pk) is False


def test_death_day_no_longer_answers(world: World) -> None:
    _record_death(world, days_ago=3)
    _undo(world)
    assert death_day(world.alice.pk) is None


def test_the_day_the_death_was_recorded_for_is_kept_on_the_undo(world: World) -> None:
    _record_death(world, days_ago=3)
    undone = _undo(world)
    assert undone.row.ended_on == local_today(world.alice) - timedelta(days=3)


def test_the_typed_reason_is_kept_on_the_undo(world: World) -> None:
    _record_death(world)
    _undo(world)
    assert DeathUndone.objects.get(patient=world.alice).reason == WHY


# --- her own account: not turned back on ------------------------------------------------------------------


def test_her_account_stays_off(world: World) -> None:
    _record_death(world)
    _undo(world)
    assert User.objects.get(pk=world.alice.user.pk).is_active is False


def test_her_account_is_no_longer_joined_to_her_record(world: World) -> None:
    _record_death(world)
    _undo(world)
    assert Patient.objects.get(pk=world.alice.pk).user_id is None


def test_the_undo_says_her_account_stays_off(world: World) -> None:
    _record_death(world)
    assert _undo(world).own_account_off is True


def test_a_person_without_an_account_is_told_nothing_about_one(world: World) -> None:
    patient = _no_account_yet(world)
    _record_death(world, patient)
    assert _undo(world, patient).own_account_off is False


def test_a_new_activation_code_makes_her_a_new_account(world: World) -> None:
    _record_death(world)
    _undo(world)
    issued = activation.issue_activation_code(by=world.staff["program_admin"], patient_id=world.alice.pk)
    user = activation.activate(code=issued.code, username="alicia-again", password=PASS, password_again=PASS)
    assert Patient.objects.get(pk=world.alice.pk).user_id == user.pk


def test_a_code_given_before_the_death_does_not_work_after_the_undo(world: World) -> None:
    patient = _no_account_yet(world)
    issued = activation.issue_activation_code(by=world.staff["program_admin"], patient_id=patient.pk)
    _record_death(world, patient)
    _undo(world, patient)
    with pytest.raises(FieldsInvalid):
        activation.activate(code=issued.code, username="delfina-old", password=PASS, password_again=PASS)


def test_her_old_session_stays_refused(world: World) -> None:
    client = sign_in(Client(), world.alice.user)
    _record_death(world)
    _undo(world)
    assert client.get("/api/v1/me").status_code in (401, 403, 404)


# --- what the death stopped stays stopped -----------------------------------------------------------------


def test_medication_orders_stay_stopped(world: World) -> None:
    methadone_with_take_home_plan(world, timezone.now() - timedelta(hours=1))
    _record_death(world)
    _undo(world)
    assert not MedicationOrder.objects.filter(patient=world.alice, status=OrderStatus.ACTIVE).exists()


def test_take_home_plans_stay_ended(world: World) -> None:
    plan, _first = methadone_with_take_home_plan(world, timezone.now() - timedelta(hours=1))
    _record_death(world)
    ended = TakeHomePlan.objects.get(pk=plan.pk)
    _undo(world)
    again = TakeHomePlan.objects.get(pk=plan.pk)
    assert (again.ended_on, again.end_kind, again.ended_at) == (
        ended.ended_on,
        ended.end_kind,
        ended.ended_at,
    )


# --- the audit trail --------------------------------------------------------------------------------------


def _undone_row(world: World) -> AuditEvent:
    return AuditEvent.objects.get(patient_id=world.alice.pk, reason=UNDONE)


def test_the_undo_is_audited_naming_the_undoer(world: World) -> None:
    _record_death(world)
    _undo(world)
    assert _undone_row(world).actor_id == world.staff["program_admin"].pk


def test_the_undo_is_audited_in_her_programs_chain(world: World) -> None:
    _record_death(world)
    _undo(world)
    assert _undone_row(world).program_id == world.riverside.pk


def test_the_undo_is_audited_naming_the_episode(world: World) -> None:
    died = _record_death(world)
    _undo(world)
    assert (_undone_row(world).target_type, _undone_row(world).target_id) == ("enrollment", str(died.pk))


def test_the_typed_reason_never_reaches_the_audit_trail(world: World) -> None:
    _record_death(world)
    _undo(world)
    assert not any("wrong person" in json.dumps([e.reason, e.detail]) for e in AuditEvent.objects.all())


@pytest.mark.parametrize(
    ("language", "words"),
    [("en", "a death recorded by mistake was undone"), ("es", "se deshizo una muerte registrada por error")],
)
def test_the_audit_page_says_the_undo(world: World, language: str, words: str) -> None:
    from django.utils import translation

    from keel.web.audit_words import REASONS

    with translation.override(language):
        assert str(REASONS[UNDONE]) == words


# --- refused ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("reason", ["", "   ", "x" * 501])
def test_a_missing_or_long_reason_is_refused_naming_reason(world: World, reason: str) -> None:
    _record_death(world)
    with pytest.raises(FieldsInvalid) as refused:
        _undo(world, reason=reason)
    assert _fields(refused) == ["reason"]


def test_a_refused_undo_leaves_the_death_recorded(world: World) -> None:
    _record_death(world)
    with pytest.raises(FieldsInvalid):
        _undo(world, reason="")
    assert death_recorded(world.alice.pk) is True


def test_a_living_person_has_no_death_to_undo(world: World) -> None:
    with pytest.raises(FieldsInvalid) as refused:
        _undo(world)
    assert _fields(refused) == ["patient"]


def test_a_second_undo_finds_no_death(world: World) -> None:
    _record_death(world)
    _undo(world)
    with pytest.raises(FieldsInvalid) as refused:
        _undo(world)
    assert _fields(refused) == ["patient"]


def test_an_undo_within_the_window_is_done(world: World) -> None:
    _record_death(world)
    undone = _undo(world, now=timezone.now() + timedelta(days=29, hours=23))
    assert undone.episode.status == EnrollmentStatus.ACTIVE


def test_an_undo_after_the_window_is_refused(world: World, settings: Any) -> None:
    _record_death(world)
    with pytest.raises(FieldsInvalid) as refused:
        _undo(world, now=timezone.now() + timedelta(days=settings.KEEL_DEATH_UNDO_DAYS, minutes=1))
    assert "only the operator" in refused.value.errors[0].reason


def test_the_window_is_the_setting(world: World, settings: Any) -> None:
    settings.KEEL_DEATH_UNDO_DAYS = 5
    _record_death(world)
    with pytest.raises(FieldsInvalid):
        _undo(world, now=timezone.now() + timedelta(days=5, minutes=1))


def test_a_death_by_another_path_counts_its_window_from_its_day(world: World) -> None:
    Enrollment.objects.filter(patient=world.alice).update(
        status=EnrollmentStatus.ENDED,
        ended_on=local_today(world.alice) - timedelta(days=40),
        end_reason="deceased",
    )
    with pytest.raises(FieldsInvalid) as refused:
        _undo(world)
    assert "only the operator" in refused.value.errors[0].reason


def test_a_death_recorded_by_another_program_is_not_undone_here(world: World) -> None:
    today = local_today(world.alice)
    Enrollment.objects.create(
        patient=world.alice,
        program=world.lakeside,
        started_on=today - timedelta(days=400),
        ended_on=today - timedelta(days=2),
        end_reason=EndReason.DECEASED,
        status="ended",
    )
    with pytest.raises(FieldsInvalid) as refused:
        _undo(world)
    assert "another program" in refused.value.errors[0].reason


@pytest.mark.parametrize("role", ["nurse", "prescriber", "counselor"])
def test_a_clinician_on_her_team_is_refused(world: World, role: str) -> None:
    _record_death(world)
    with pytest.raises(NotAllowed):
        _undo(world, by=world.staff[role])


def test_a_clinicians_refusal_is_audited(world: World) -> None:
    _record_death(world)
    with pytest.raises(NotAllowed):
        _undo(world, by=world.staff["nurse"])
    assert AuditEvent.objects.filter(
        patient_id=world.alice.pk, actor_id=world.staff["nurse"].pk, outcome="denied"
    ).exists()


def test_a_clinicians_refusal_leaves_the_death_recorded(world: World) -> None:
    _record_death(world)
    with pytest.raises(NotAllowed):
        _undo(world, by=world.staff["nurse"])
    assert death_recorded(world.alice.pk) is True


# --- consents ---------------------------------------------------------------------------------------------


def _consent_raw(world: World, signer: str) -> dict[str, Any]:
    expires = (local_today(world.alice) + timedelta(days=60)).isoformat()
    common = {
        "recipient_name": RECIPIENT,
        "purpose": "treatment",
        "categories": ["record"],
        "expires_on": expires,
        "understood": True,
    }
    if signer == "patient":
        return {**common, "signer": "patient", "signature": "Alicia Zamorano"}
    return {
        **common,
        "signer": "representative",
        "representative_name": "Teodora Salinas",
        "representative_relationship": signer,
        "representative_authority": "Letters of administration from the county probate court",
        "signature": "Teodora Salinas",
    }


def _sign(world: World, signer: str) -> Consent:
    return record_paper_consent(
        by=world.staff["counselor"], patient_id=world.alice.pk, raw=_consent_raw(world, signer)
    )


def _export(world: World, consent: Consent | None = None) -> Any:
    body: dict[str, Any] = {"basis": "patient_request", "password": PASSWORD}
    if consent is not None:
        body = {
            "basis": "consent",
            "consent": consent.pk,
            "recipient_name": RECIPIENT,
            "purpose": "treatment",
        }
        body["password"] = PASSWORD
    return sign_in(Client(), world.staff["nurse"]).post(
        f"/api/v1/patients/{world.alice.pk}/fhir/export", json.dumps(body), content_type="application/json"
    )


def test_a_personal_representatives_consent_is_revoked_by_the_undo(world: World) -> None:
    _record_death(world)
    consent = _sign(world, "personal_representative")
    _undo(world)
    assert ConsentRevocation.objects.filter(consent=consent).exists()


def test_the_undo_counts_the_consents_it_revoked(world: World) -> None:
    _record_death(world)
    _sign(world, "personal_representative")
    assert _undo(world).consents_revoked == 1


def test_a_personal_representatives_consent_discloses_nothing_after_the_undo(world: World) -> None:
    _record_death(world)
    consent = _sign(world, "personal_representative")
    _undo(world)
    assert _export(world, consent).status_code == 422


def test_her_own_consent_signed_before_discloses_again_after_the_undo(world: World) -> None:
    consent = _sign(world, "patient")
    _record_death(world)
    _undo(world)
    assert _export(world, consent).status_code == 200


def test_her_consent_revoked_before_the_death_stays_revoked(world: World) -> None:
    consent = _sign(world, "patient")
    revoke_consent(by=world.alice.user, consent_id=consent.pk)
    _record_death(world)
    _undo(world)
    assert _export(world, consent).status_code == 422


def test_a_health_care_agent_signs_again_after_the_undo(world: World) -> None:
    _record_death(world)
    _undo(world)
    assert _sign(world, "health_care_agent").representative_relationship == "health_care_agent"


def test_a_personal_representative_is_refused_after_the_undo(world: World) -> None:
    _record_death(world)
    _undo(world)
    with pytest.raises(FieldsInvalid) as refused:
        _sign(world, "personal_representative")
    assert _fields(refused) == ["representative_relationship"]


# --- every after-death guard answers as for a living person -----------------------------------------------


def test_a_disclosure_at_her_own_request_is_released_after_the_undo(world: World) -> None:
    _record_death(world)
    _undo(world)
    assert _export(world).status_code == 200


def test_an_emergency_disclosure_is_released_after_the_undo(world: World) -> None:
    _record_death(world)
    _undo(world)
    body = {
        "basis": "emergency",
        "categories": ["enrollment", "medication"],
        "recipient_name": "Dr. Renata Oyelaran",
        "recipient_role": "physician",
        "recipient_affiliation": "County General Hospital emergency department",
        "nature": "Unresponsive on arrival, suspected opioid overdose; needs current medication",
        "password": PASSWORD,
    }
    answer = sign_in(Client(), world.staff["nurse"]).post(
        f"/api/v1/patients/{world.alice.pk}/disclosures", json.dumps(body), content_type="application/json"
    )
    assert answer.status_code == 201, answer.content[:300]


def test_fhir_says_she_is_alive_after_the_undo(world: World) -> None:
    _record_death(world, days_ago=1)
    _undo(world)
    found = sign_in(Client(), world.staff["nurse"]).get(f"/fhir/R4/Patient/{world.alice.pk}").json()
    assert (found["active"], "deceasedDateTime" in found) == (True, False)


def test_her_new_account_reads_her_own_fhir_record(world: World) -> None:
    _record_death(world)
    _undo(world)
    issued = activation.issue_activation_code(by=world.staff["program_admin"], patient_id=world.alice.pk)
    user = activation.activate(code=issued.code, username="alicia-again", password=PASS, password_again=PASS)
    assert sign_in(Client(), user).get(f"/fhir/R4/Patient/{world.alice.pk}").status_code == 200


def test_her_new_account_reads_her_own_record(world: World) -> None:
    _record_death(world)
    _undo(world)
    issued = activation.issue_activation_code(by=world.staff["program_admin"], patient_id=world.alice.pk)
    user = activation.activate(code=issued.code, username="alicia-again", password=PASS, password_again=PASS)
    assert sign_in(Client(), user).get("/api/v1/me").status_code == 200


def test_a_discharge_works_again_after_the_undo(world: World) -> None:
    _record_death(world)
    _undo(world)
    ended = services.discharge(
        by=world.staff["nurse"], patient_id=world.alice.pk, data=DischargeIn.posted({"reason": "completed"})
    )
    assert ended.end_reason == EndReason.COMPLETED


# --- the page: a confirmation step, words in English and Spanish ------------------------------------------


@pytest.mark.parametrize(
    ("language", "words"),
    [("en", "Undo a death recorded by mistake"), ("es", "Deshacer una muerte registrada por error")],
)
def test_the_page_offers_the_undo_to_the_programs_admin(world: World, language: str, words: str) -> None:
    _record_death(world)
    page = sign_in(Client(), world.staff["program_admin"]).get(
        f"/patients/{world.alice.pk}/episodes/", HTTP_ACCEPT_LANGUAGE=language
    )
    assert words in page.content.decode()


def test_the_page_does_not_offer_the_undo_to_a_nurse(world: World) -> None:
    _record_death(world)
    page = sign_in(Client(), world.staff["nurse"]).get(f"/patients/{world.alice.pk}/episodes/")
    assert "Undo a death recorded by mistake" not in page.content.decode()


def _post_undo(world: World, language: str = "en", **body: str) -> Any:
    return sign_in(Client(), world.staff["program_admin"]).post(
        f"/patients/{world.alice.pk}/undo-death/", body, HTTP_ACCEPT_LANGUAGE=language, follow=True
    )


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", "confirm that this death was recorded by mistake for this person"),
        ("es", "confirme que esta muerte se registró por error para esta persona"),
    ],
)
def test_the_page_asks_for_the_confirmation(world: World, language: str, words: str) -> None:
    _record_death(world)
    page = _post_undo(world, language, reason=WHY)
    assert (page.status_code, words in page.content.decode()) == (422, True)


def test_an_unconfirmed_undo_leaves_the_death_recorded(world: World) -> None:
    _record_death(world)
    _post_undo(world, reason=WHY)
    assert death_recorded(world.alice.pk) is True


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", "To use Keel again, they need a new account: give them a new activation code."),
        ("es", "necesita una cuenta nueva: dele un código de activación nuevo."),
    ],
)
def test_the_page_tells_the_admin_her_account_stays_off(world: World, language: str, words: str) -> None:
    _record_death(world)
    page = _post_undo(world, language, reason=WHY, undo_confirmed="on")
    assert words in page.content.decode()


def test_the_confirmed_page_undoes_the_death(world: World) -> None:
    _record_death(world)
    _post_undo(world, reason=WHY, undo_confirmed="on")
    assert death_recorded(world.alice.pk) is False


@pytest.mark.parametrize(  # lane priv30: the form's own label, not the discharge's "Reason"
    ("language", "words"),
    [("en", "Why the death was recorded by mistake"), ("es", "Por qué se registró la muerte por error")],
)
def test_the_page_names_the_reason_when_it_is_empty(world: World, language: str, words: str) -> None:
    _record_death(world)
    page = _post_undo(world, language, reason="", undo_confirmed="on")
    assert (page.status_code, f"{words}:" in page.content.decode()) == (422, True)


# --- the API and the command line -------------------------------------------------------------------------


def _api(world: World, role: str = "program_admin", patient: Patient | None = None, **body: Any) -> Any:
    return sign_in(Client(), world.staff[role]).post(
        f"/api/v1/patients/{(patient or world.alice).pk}/undo-death",
        json.dumps(body),
        content_type="application/json",
    )


def test_the_api_undoes_the_death(world: World) -> None:
    _record_death(world)
    answer = _api(world, reason=WHY)
    assert (answer.status_code, answer.json()["episode"]["status"]) == (200, "active")


def test_the_api_says_her_account_stays_off(world: World) -> None:
    _record_death(world)
    assert _api(world, reason=WHY).json()["own_account_off"] is True


def test_the_api_names_an_empty_reason(world: World) -> None:
    _record_death(world)
    answer = _api(world, reason="")
    assert (answer.status_code, [e["field"] for e in answer.json()["errors"]]) == (422, ["reason"])


def test_the_api_refuses_a_nurse_with_403(world: World) -> None:
    _record_death(world)
    assert _api(world, "nurse", reason=WHY).status_code == 403


def test_the_api_answers_another_programs_admin_as_a_missing_record(world: World) -> None:
    assert _api(world, patient=world.charlie, reason=WHY).status_code == 404


def test_the_api_refusal_of_another_program_reveals_nothing(world: World) -> None:
    answer = _api(world, patient=world.charlie, reason=WHY)
    assert "Vandersloot" not in answer.content.decode()


def test_the_command_line_undoes_the_death(world: World) -> None:
    _record_death(world)
    out = io.StringIO()
    call_command(
        "episode",
        "undo-death",
        "--by",
        "r-program_admin",
        "--patient-id",
        str(world.alice.pk),
        "--reason",
        WHY,
        stdout=out,
    )
    assert "stays off" in out.getvalue()


def test_the_command_line_refuses_an_empty_reason_with_exit_2(world: World) -> None:
    _record_death(world)
    with pytest.raises(CommandError) as refused:
        call_command(
            "episode",
            "undo-death",
            "--by",
            "r-program_admin",
            "--patient-id",
            str(world.alice.pk),
            "--reason",
            "",
        )
    assert (refused.value.returncode, "reason" in str(refused.value)) == (2, True)


def test_nothing_is_disclosed_by_the_undo(world: World) -> None:
    _record_death(world)
    _undo(world)
    assert not Disclosure.objects.filter(patient=world.alice).exists()
