"""Store and read completed instruments, through the access policy and the audit trail."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from keel.access import policy
from keel.access.errors import ClinicalNotAllowed
from keel.access.policy import Area
from keel.assessments.corrected_screen import flag_follows_screen
from keel.assessments.errors import AlreadyEnteredInError, AssessmentInvalid, CorrectionChanged
from keel.assessments.models import (
    SCORER_VERSION,
    TIME_PREFILLED,
    TIME_SENDER,
    TIME_SENT,
    TIME_TYPED,
    Assessment,
    AssessmentCorrection,
)
from keel.assessments.queries import standing
from keel.audit import services as audit
from keel.audit.models import Action
from keel.core import wall_time
from keel.core.instruments import registry
from keel.core.instruments.model import InvalidAnswers, ItemError, Result
from keel.core.instruments.scoring import score
from keel.core.lifetime import outside_life
from keel.core.reasons import reason_problem, reason_text
from keel.core.resend import SAME_FORM_WINDOW
from keel.core.rules.inputs import FieldError
from keel.core.text import visible_length
from keel.core.words import gettext_noop as N_
from keel.patients.flags import raise_flag
from keel.patients.models import FlagKind, Patient, PatientFlag, death_day, zone_of

if TYPE_CHECKING:
    from keel.accounts.models import User

SUICIDE_FLAG = "suicide_risk"


# The record is in scope but this role may not do this (a patient filing COWS): `keel.access.errors`.
NotAllowed = ClinicalNotAllowed


# Instruments a clinician who reaches the record only through emergency access (break-the-glass, SECURITY.md
# T12) may record: what is measured on the person now, at the point of care.
EMERGENCY_INSTRUMENTS = frozenset({"cows", "sows", "cssrs-screen"})


def patient_for_recording(
    user: User, patient_id: int | None, instrument: str, *, imported: bool = False
) -> Patient:
    """The patient whose record `user` may add `instrument` to (404 out of scope; NotAllowed for a role
    that may not record it, audited as a denial). Does not audit success: the caller records what it does.

    Through the one getter (`policy.get_patient_for_action_or_404`), which asks the emergency rule too. A
    clinician who reaches the record only through emergency access (not on the care team) may record:

    - a withdrawal scale (COWS, SOWS) or the C-SSRS screen (`EMERGENCY_INSTRUMENTS`): measured on the
      person now, at the point of care (is this person in withdrawal, can they be dosed, are they at risk
      now); the row is audited as made through emergency access ("emergency access", from the getter's
      `keel_off_team`, no extra statement);
    - not the other instruments (PHQ-9, GAD-7, BAM, ORT, the DSM-5 diagnosis): they are the care team's
      measurement over time (the measures, the care plan's trend) or a diagnosis that shapes the person's
      future treatment, nothing an emergency needs; refused "emergency access: may not record <instrument>"
      (a suicide risk found now has the C-SSRS screen, which is allowed);
    - nothing by an integration's import (`imported`: FHIR QuestionnaireResponse/Observation): a system's
      feed is not care given in an emergency, and an emergency grant must not become a way to write a
      record in bulk from outside; refused "emergency access: may not import assessments"."""
    # Review 20b: the code is checked against the registry before anything names it, so no refusal below
    # (its audit reason, its message) can carry text the caller typed (a name, a diagnosis): 422 `instrument`.
    if not isinstance(instrument, str) or instrument not in registry.codes():
        raise registry.UnknownInstrument(str(instrument))
    if patient_id is None:  # a patient's own record, from the session
        patient = policy.own_patient_or_404(
            user, action=Action.CREATE, target_type="assessment", audit_success=False
        )
    else:  # the emergency rule is this instrument's, below: the getter lets break-the-glass through
        patient = policy.get_patient_for_action_or_404(
            user,
            patient_id,
            Action.CREATE,
            area=Area.CLINICAL,
            target_type="assessment",
            emergency_access=True,
            audit_success=False,
        )
    if not policy.can_record_assessment(user, instrument):
        _refuse_recording(user, patient, reason=f"role may not record {instrument}")
        raise NotAllowed(f"Your role cannot record the {instrument} instrument.")
    if patient_id is not None and policy.through_emergency_access(user, patient):  # keel_off_team: no query
        if imported:
            _refuse_recording(user, patient, reason="emergency access: may not import assessments")
        elif instrument not in EMERGENCY_INSTRUMENTS:
            _refuse_recording(user, patient, reason=f"emergency access: may not record {instrument}")
        else:
            return patient
        raise NotAllowed(
            gettext("Emergency access is for reading the record. Only the care team can do this.")
        )
    return patient


def _refuse_recording(user: User, patient: Patient, *, reason: str) -> None:
    audit.record_for_patient(user, patient, Action.DENIED, "assessment", "", outcome="denied", reason=reason)


def submit_assessment(
    *,
    by: User,
    patient_id: int | None,
    instrument: str,
    answers: Mapping[str, object],
    extras: Mapping[str, object] | None = None,
    filled_at: datetime | None = None,
    form_token: str = "",
    imported: bool = False,
    prefilled: datetime | None = None,
) -> tuple[Assessment, Result]:
    """Score and store one completed instrument; raise a care-team flag on a positive suicide screen.

    Filed once (review 36h hole 3): the same form sent again (`form_token`, the page's one-time token) or,
    without a token, the same answers by the same hand within `SAME_FORM_WINDOW` is answered with the first
    result (`_repeat_of`), nothing more written. An `imported` response skips that rule: the sender's key
    decides its repeats (`keel.interop.services.import_response`; re-attack 36l, lane fix36o). `prefilled`:
    the time of scoring the form pre-filled; sent untouched, it is never a late entry (`_time_source`).
    Raises PatientNotFound (out of scope), NotAllowed, UnknownInstrument or InvalidAnswers.
    Nothing is written unless every check passes.
    """
    # Checks first, outside the write's transaction, so that a denial's audit row is kept.
    patient = patient_for_recording(by, patient_id, instrument)
    if len(form_token) > FORM_TOKEN_MAX or not form_token.isprintable():
        raise InvalidAnswers([ItemError("form_token", N_("not a form token: open the form again"))])
    result = score(instrument, answers, extras or {})
    now = timezone.now()
    if filled_at is not None and filled_at.tzinfo is None:
        # A time without its offset is the program's clock: on the night the clocks go back, read the earlier
        # way (an older score, which must be fresh and after the last use); a time they skip is refused.
        try:
            filled_at = wall_time.instant(filled_at, zone_of(patient), ambiguous=wall_time.EARLIER)
        except wall_time.WallTimeMissing:
            raise InvalidAnswers(
                [ItemError("filled_at", N_("does not exist on the clock that day (the clocks went forward)"))]
            ) from None
    if filled_at is not None and filled_at > now:
        raise InvalidAnswers([ItemError("filled_at", N_("cannot be in the future"))])
    _within_life(patient, filled_at or now)
    with transaction.atomic():
        source = _time_source(filled_at, prefilled, imported)
        sent = _Sent(instrument, dict(answers), dict(extras or {}), filled_at, form_token, source)
        first = None if imported else _repeat_of(by, patient, sent, now)
        if first is not None:
            audit.record_for_patient(
                by, patient, Action.READ, "assessment", first.pk, reason="idempotent replay"
            )
            return first, result
        return _store(by, patient, sent, filled_at or now, result, now)


def _within_life(patient: Patient, filled_at: datetime) -> None:
    """Lane fix38d (review 38d hole 1): a time of scoring outside her life, on the program's clock
    (`core.lifetime.outside_life`, as the FHIR import's `authored`): InvalidAnswers naming `filled_at`."""
    day = timezone.localtime(filled_at, zone_of(patient)).date()
    problem = outside_life(day, born=patient.date_of_birth, died=death_day(patient.pk))
    if problem is not None:
        raise InvalidAnswers([ItemError("filled_at", problem)])


FORM_TOKEN_MAX = 64
USED_TOKEN = N_(
    "this form was already saved with other answers: open the form again to record another result"
)


@dataclass(frozen=True)
class _Sent:
    """What a form or a client sent: the instrument, its answers and extras, the time of scoring typed (None:
    now) and the form's one-time token ("" when none)."""

    instrument: str
    answers: dict[str, object]
    extras: dict[str, object]
    typed: datetime | None
    form_token: str
    time_source: str = TIME_TYPED


def _time_source(filled_at: datetime | None, prefilled: datetime | None, imported: bool) -> str:
    """Where the time of scoring came from (`Assessment.time_source`, lane fix36o): another system's
    `authored`, the moment it was sent (none given), the form's pre-filled time sent untouched, else typed."""
    if imported:
        return TIME_SENDER
    if filled_at is None:
        return TIME_SENT
    return TIME_PREFILLED if prefilled is not None and filled_at == prefilled else TIME_TYPED


def _repeat_of(by: User, patient: Patient, sent: _Sent, now: datetime) -> Assessment | None:
    """The result this request repeats (review 36h hole 3), the patient's row locked first so two presses at
    once are decided one after the other: the one filed with the same form token (other answers under it:
    InvalidAnswers `form_token`); with no token, the same answers, extras and typed time by the same hand
    within `SAME_FORM_WINDOW` (as an emergency disclosure sent again, review 26b H12), of those that stand
    (`queries.standing`, lane fixrec39): one struck as entered in error is no first copy, the same answers
    sent after it are a new filing."""
    Patient.objects.select_for_update().filter(pk=patient.pk).first()
    mine = Assessment.objects.filter(patient=patient, filled_by=by, instrument=sent.instrument)
    if sent.form_token:
        first = mine.filter(form_token=sent.form_token).first()
        if first is not None and (first.answers, first.extras) != (sent.answers, sent.extras):
            raise InvalidAnswers([ItemError("form_token", USED_TOKEN)])
        return first
    recent = standing(mine).filter(created_at__gte=now - SAME_FORM_WINDOW, created_at__lte=now).order_by("id")
    if sent.typed is not None:
        recent = recent.filter(filled_at=sent.typed)
    return next((a for a in recent if (a.answers, a.extras) == (sent.answers, sent.extras)), None)


def _store(
    by: User, patient: Patient, sent: _Sent, filled_at: datetime, result: Result, now: datetime
) -> tuple[Assessment, Result]:
    instrument = sent.instrument
    assessment = Assessment.objects.create(
        patient=patient,
        program_id=patient.program_id,
        instrument=instrument,
        instrument_version=result.version,
        scorer_version=SCORER_VERSION,
        answers=sent.answers,
        extras=sent.extras,
        form_token=sent.form_token,
        total=result.total,
        band=result.band.code if result.band else "",
        result=result.as_dict(),
        filled_by=by,
        filled_by_role=by.role,  # the role of the moment (review 36h hole 2)
        filled_at=filled_at,
        time_source=sent.time_source,
    )
    audit.record_for_patient(  # through emergency access: marked from the getter's keel_off_team
        by, patient, Action.CREATE, "assessment", assessment.pk, detail={"instrument": instrument}
    )
    if SUICIDE_FLAG in result.flags:
        _flag_suicide_risk(by, patient, result, assessment.pk, now)
    return assessment, result


def _flag_suicide_risk(by: User, patient: Patient, result: Result, assessment_id: int, now: datetime) -> None:
    """A positive suicide screen (entered, or corrected into one) raises the care team's flag."""
    raise_flag(
        by=by,
        patient=patient,
        kind=FlagKind.SUICIDE_RISK,
        priority=0,
        reasons=result.reasons,
        said=result.as_dict().get("said", []),  # the reasons in the reader's words (lane words35)
        sources=result.sources,
        source_type="assessment",
        source_id=assessment_id,
        now=now,
        audit_reason="positive suicide screen",
    )


# --- A correction of a result entered in error (review 33c hole 4) ---------------------------------------

ALREADY_STRUCK = N_("This result is already marked entered in error. Nothing more can change it.")
EITHER_OR = N_("either mark the result entered in error or give the corrected answers, not both")
NEITHER = N_("mark the result entered in error, or give the corrected answers")
NOT_A_VERSION = N_("the version of the result you read must be a whole number, 0 or more")
SELF_FILED = N_(
    "the person filled this in about themselves: their answers are not changed by staff. They can fill it in "
    "again; if it was filed in error, mark it entered in error with a reason"
)


def assessment_to_correct(by: User, patient_id: int, assessment_id: int) -> Assessment:
    """The assessment a correction is about: the patient through the one getter (404 out of scope; 403 for a
    role that may not correct, `policy.can_correct_assessment`; never through emergency access alone), then
    the row (another person's or none at all: the same 404, audited). Success is audited by the write."""
    patient = policy.get_patient_for_action_or_404(
        by,
        patient_id,
        Action.UPDATE,
        area=Area.CLINICAL,
        target_type="assessment_correction",
        allowed=policy.can_correct_assessment(by),
        what="correct an assessment",
        error=NotAllowed,
        message=gettext("Your role cannot correct a result."),
        audit_success=False,
    )
    found = Assessment.objects.filter(pk=assessment_id, patient=patient).first()
    if found is None:
        policy.row_not_theirs(
            by, patient, "assessment", assessment_id, reason="not this patient's or missing"
        )
    found.patient = patient  # the scoped patient (its emergency mark), no second read
    return found


def _correction_reason(raw: object) -> str:
    """The reason as measured and kept (`reason_text`), of substance (`reason_problem`): else 422 `reason`."""
    text = reason_text(raw)
    problem = N_("write the reason (required)") if not visible_length(text) else reason_problem(text)
    if problem:
        raise AssessmentInvalid([FieldError("reason", problem)]).body_alone()
    return text


def correct_assessment(
    *,
    by: User,
    patient_id: int,
    assessment_id: int,
    entered_in_error: bool = False,
    answers: Mapping[str, object] | None = None,
    extras: Mapping[str, object] | None = None,
    reason: object = "",
    now: datetime | None = None,
    read_version: int | None = None,
) -> AssessmentCorrection:
    """Correct a stored result with a reason: mark it entered in error (the wrong person, the wrong form: it
    no longer stands anywhere) or give the corrected answers, scored again by the core (`score`: the one
    scoring; `extras` as entered unless given). Append-only (`AssessmentCorrection`): the assessment's row
    is never changed. Under the assessment's row lock, a second "entered in error" or a correction after it
    is refused (AlreadyEnteredInError, 409). Audited in the write's transaction; the typed reason only on
    the row. `read_version`: the correction in force the writer read (`correction_version`: its id, 0 for
    none; None, not checked): one written since is CorrectionChanged (409; review 33e hole 2). Raises
    AssessmentInvalid (422 naming the field) or InvalidAnswers (the answers)."""
    assessment = assessment_to_correct(by, patient_id, assessment_id)
    text = _correction_reason(reason)
    if entered_in_error and answers is not None:
        raise AssessmentInvalid([FieldError("answers", EITHER_OR)]).body_alone()
    if not entered_in_error and answers is None:
        raise AssessmentInvalid([FieldError("answers", NEITHER)]).body_alone()
    if not entered_in_error and assessment.self_filed:  # her own answers (lane fix38d, review 38d hole 3)
        raise AssessmentInvalid([FieldError("answers", SELF_FILED)])
    kept = dict(_extras_in_force(assessment) if extras is None else extras)
    result = None if entered_in_error else score(assessment.instrument, answers or {}, kept)
    with transaction.atomic():
        _check_read(assessment, read_version)
        row = _write_correction(by, assessment, entered_in_error, answers, kept, result, text, now)
    return row


CHANGED_SINCE_READ = N_(
    "This result was corrected since you opened it. Nothing was saved: read the answers now in force below, "
    "then correct it again if you still need to."
)


def _check_read(assessment: Assessment, read_version: int | None) -> None:
    """Under the assessment's row lock (one hand after the other): a correction written since the writer read
    `read_version` refuses this one (CorrectionChanged, 409); a result struck meanwhile says so instead."""
    Assessment.objects.select_for_update().filter(pk=assessment.pk).exists()
    if read_version is None or read_version == correction_version(assessment):
        return
    if AssessmentCorrection.objects.filter(assessment=assessment, entered_in_error=True).exists():
        raise AlreadyEnteredInError(gettext(ALREADY_STRUCK))
    raise CorrectionChanged(gettext(CHANGED_SINCE_READ))


def correction_version(assessment: Assessment) -> int:
    """The version of a result's answers (`correction_version`): the id of the correction in force (the
    latest, as `with_corrections` reads it), 0 for none."""
    latest = (
        AssessmentCorrection.objects.filter(assessment=assessment)
        .order_by("-corrected_at", "-id")
        .values_list("pk", flat=True)
        .first()
    )
    return latest or 0


def _extras_in_force(assessment: Assessment) -> Mapping[str, object]:
    """The inputs beside the answers (sex, specifiers) as they stand now: the latest correction's, else as
    entered (review 33e hole 3: a correction of answers alone never puts back what an earlier one fixed)."""
    latest = (
        AssessmentCorrection.objects.filter(assessment=assessment, entered_in_error=False)
        .order_by("-corrected_at", "-id")
        .first()
    )
    found: dict[str, object] = latest.extras if latest is not None else assessment.extras
    return found


def _write_correction(
    by: User,
    assessment: Assessment,
    entered_in_error: bool,
    answers: Mapping[str, object] | None,
    extras: dict[str, object],
    result: Result | None,
    text: str,
    now: datetime | None,
) -> AssessmentCorrection:
    """The correction's row and its audit row (a corrected suicide screen that is positive raises the flag),
    under the assessment's row lock: two hands at once (a double submit) are one after the other, and a
    second "entered in error" is refused (409; the constraint `assessment_struck_once` holds the rest)."""
    now = now or timezone.now()
    Assessment.objects.select_for_update().filter(pk=assessment.pk).exists()
    if AssessmentCorrection.objects.filter(assessment=assessment, entered_in_error=True).exists():
        raise AlreadyEnteredInError(gettext(ALREADY_STRUCK))
    try:
        with transaction.atomic():  # a savepoint: a mark made meanwhile is the same 409, never a 500
            row = AssessmentCorrection.objects.create(
                assessment=assessment,
                entered_in_error=bool(entered_in_error),
                answers=None if result is None else dict(answers or {}),
                extras={} if result is None else extras,
                total=None if result is None else result.total,
                band=result.band.code if result is not None and result.band else "",
                result=None if result is None else result.as_dict(),
                reason=text,
                corrected_by=by,
                corrected_by_role=by.role,  # her role of the moment (review 35d hole 3)
                corrected_at=now,
            )
    except IntegrityError:
        raise AlreadyEnteredInError(gettext(ALREADY_STRUCK)) from None
    audit.record_for_patient(
        by,
        assessment.patient,
        Action.CREATE,
        "assessment_correction",
        row.pk,
        reason="entered in error" if entered_in_error else "corrected",  # the typed reason only on the row
        detail={"assessment_id": assessment.pk, "instrument": assessment.instrument},
    )
    _flags_after(by, assessment, row, result, now)
    return row


def _flags_after(
    by: User, assessment: Assessment, row: AssessmentCorrection, result: Result | None, now: datetime
) -> None:
    """The flags a correction raises or moves, in its transaction: a suicide screen corrected into a positive
    (its one flag); a screen's flag follows the screen in force (`corrected_screen`: struck, negative, item 9
    changed, reopened when higher than when resolved; clin34, lane fix38d); a COWS a first buprenorphine dose
    rested on, struck or corrected across its threshold (clin34: one flag for a prescriber, noted again as
    corrected, `treatment.first_dose_cows`)."""
    if result is not None and SUICIDE_FLAG in result.flags and not _flag_raised_for(assessment):
        _flag_suicide_risk(by, assessment.patient, result, assessment.pk, now)  # corrected into a positive
    else:
        flag_follows_screen(by, assessment, row, result, now)
    if assessment.instrument == "cows":
        from keel.treatment.first_dose_cows import flag_first_doses_on  # late: treatment reads assessments

        flag_first_doses_on(by=by, assessment=assessment, correction=row, now=now)


def _flag_raised_for(assessment: Assessment) -> bool:
    """Whether this screen's suicide-risk flag was raised already (open or resolved): a screen has one flag
    (`flag_once_per_source`); a correction that stays positive keeps it (review 33e hole 1: never a second
    insert, never a 500)."""
    return PatientFlag.objects.filter(
        kind=FlagKind.SUICIDE_RISK, source_type="assessment", source_id=assessment.pk
    ).exists()
