"""A correction of a recorded dose (`amend_dose`): append-only (the original row is never changed), with a
reason of substance; a raise meets the window's limits of that day (`limits.amendment_ceilings`) under the
person's lock, and a held dose becomes a given one only by a prescriber's hand (a nurse's try is refused,
audited)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from keel.access import policy
from keel.accounts.models import User
from keel.audit.models import Action, Outcome
from keel.core.decision import Reason
from keel.core.rules.inputs import FieldError
from keel.core.words import gettext_noop as N_
from keel.patients.models import Patient, local_today
from keel.treatment.errors import TreatmentInvalid
from keel.treatment.models import DoseAmendment, DoseRecord, DoseStatus, Medication, TakeHomePlan
from keel.treatment.queries import dose_context_and_reads
from keel.treatment.queries.doses import effective_mg
from keel.treatment.services.common import (
    HeldDoseNotAllowed,
    _audit,
    _audit_plan,
    _decimal,
    _reason,
    _scoped_for,
    lock_person,
)
from keel.treatment.services.doses.bottles import (
    AT_HOME_AFTER_HOLD,
    AT_HOME_AFTER_QTC,
    AT_HOME_PAST_END,
    CORRECTED_BACK_CALL_BACK,
    CORRECTED_BACK_CALL_BACK_DOWN,
    CORRECTED_BACK_CALL_BACK_VOIDED,
    CORRECTION_CALL_BACK,
    TAKEN_BACK,
    TAKEN_BACK_PLAN_STOPS,
    WINDOW_DOSED_CALL_BACK,
    WINDOW_VOIDED,
    redecide_bottles,
    restore_after_end,
    take_back_after_end,
    window_end_words,
)
from keel.treatment.services.doses.bottles.hand_out import _taken_back
from keel.treatment.services.doses.bottles.not_before import note_not_before
from keel.treatment.services.doses.bottles.told import telling
from keel.treatment.services.doses.correction_versions import (
    NOT_READ,
    NotRead,
    check_correction_version,
    read_correction_version,
)
from keel.treatment.services.doses.limits import amendment_ceilings


def amend_dose(
    *,
    by: User,
    patient_id: int,
    dose_id: int,
    corrected_mg: object = None,  # as amount_mg: read by _decimal, with its words
    void: bool = False,
    reason: str = "",
    now: datetime | None = None,
    correction_version: object = NOT_READ,  # the version of the dose's corrections the writer read
) -> DoseAmendment:
    """Correct a recorded dose with a reason (append-only: the original row is never changed). Review 22o and
    22t hole 5: a correction of a methadone dose of any day (up, down, to 0 and back, a void) re-decides the
    run of take-home bottles going home after that day against the day's corrected total, through the one
    decision (`bottles.redecide_bottles`, that day's context as the window read it): a void or a correction
    to 0 takes back the bottles recorded as going home with it (review 22n hole 3: the next dose that hands
    them out decides them again), a correction the window's verdict would not give them after keeps the run
    back; review 23b holes 2 and 3: a void or a correction to 0 ends the plan whose run did not leave
    (today's dose: today, undone by a dose given later today; an earlier day's: on that day, when the run
    holds today or later, `bottles._end_not_handed_out`). After a hold, a correction that leaves a dose
    given changes nothing at home (`suspend_take_home_plans` kept the run covered). Review 22t hole 4: what
    that decision said (bottles taken back, kept back, handed out) is returned on the amendment
    (`DoseAmendment.warnings`), for the page and the API to tell the nurse. Lane fix34a (review 34a hole
    1): `correction_version` (`correction_versions`), read with the fields (422), compared under the
    person's and the dose's locks before anything is checked or written (409)."""
    patient = _scoped_for(
        by, patient_id, "dose_amendment", policy.can_record_dose(by), "amend doses", emergency_access=False
    )
    text, corrected = _amendment_fields(corrected_mg, void, reason)
    read = read_correction_version(correction_version)
    dose = _dose_to_amend(by, patient, dose_id)
    _refuse_held_into_given(by, patient, dose, corrected)
    now = now or timezone.now()
    with transaction.atomic():
        _lock_for_amendment(patient, dose, corrected, read, now)
        # lane fix28c (review 28c): the call-back list before the correction, compared after it
        before = (
            _certain_call_back(patient, local_today(patient, now)) if _redecides(patient, dose, now) else {}
        )
        was = effective_mg(dose)  # lane fix30a (review 30p holes 1 and 2): what the dose stood at before
        amendment = _write_amendment(by, patient, dose, corrected, void, text, now)
        with telling() as told:  # lane take31: the bottles each step told, by (plan, day)
            _redecide_after_amendment(by, patient, dose, amendment, now, before, was, told)
    return amendment


def _amendment_fields(corrected_mg: object, void: bool, reason: str) -> tuple[str, Decimal | None]:
    """The reason and the corrected amount (None for a void), every bad field named (TreatmentInvalid): a
    corrected amount and a void together are refused."""
    errors: list[FieldError] = []
    text = _reason(reason, errors)
    corrected = None
    if void and corrected_mg not in (None, ""):
        errors.append(
            FieldError("corrected_mg", N_("either give the corrected amount or void the dose, not both"))
        )
    elif not void:
        corrected = _decimal(corrected_mg, "corrected_mg", errors, minimum="0")
    if errors:
        raise TreatmentInvalid(errors)
    return text, corrected


def _dose_to_amend(by: User, patient: Patient, dose_id: int) -> DoseRecord:
    """The person's dose; another person's dose, or none at all, is the same answer, audited."""
    dose = DoseRecord.objects.filter(patient=patient, pk=dose_id).first()
    if dose is None:  # not this patient's dose (or none at all): the same answer, audited
        policy.row_not_theirs(by, patient, "dose", dose_id, reason="no such dose")
    return dose


def _refuse_held_into_given(by: User, patient: Patient, dose: DoseRecord, corrected: Decimal | None) -> None:
    """A held dose gave nothing: correcting it into an amount given walks around the hold. Only a prescriber
    (who also releases holds) may, with the reason; a nurse is refused (HeldDoseNotAllowed), audited."""
    if dose.status == DoseStatus.HELD and corrected and not policy.can_prescribe(by):
        _audit(
            by,
            patient,
            Action.DENIED,
            "dose",
            dose.pk,
            outcome=Outcome.DENIED,
            reason="role may not correct a held dose into a given dose",
        )
        raise HeldDoseNotAllowed(
            _(
                "A held dose can be changed into a given dose only by a prescriber, who assesses the "
                "person first."
            )
        )


def _lock_for_amendment(
    patient: Patient, dose: DoseRecord, corrected: Decimal | None, read: int | NotRead, now: datetime
) -> None:
    """Under the person's lock (review 18a): a correction meets the window's limits of the dose's day
    (`limits.amendment_ceilings`) before a hold or dose of that day; a void, the bottles it handed out.
    Then under the dose's (lane fix34a): a correction or void written since the version read refuses it."""
    lock_person(patient)  # review 18a: the checks and a hold or dose of that day, one after the other
    check_correction_version(dose, read)
    if corrected is not None:
        amendment_ceilings(patient, dose, corrected, now)


def _write_amendment(
    by: User,
    patient: Patient,
    dose: DoseRecord,
    corrected: Decimal | None,
    void: bool,
    text: str,
    now: datetime,
) -> DoseAmendment:
    """The amendment row (the dose's own row is never changed) and its audit row."""
    amendment = DoseAmendment.objects.create(
        dose=dose,
        corrected_mg=corrected,
        voided=bool(void),
        reason=text,
        amended_by=by,
        amended_at=now,
    )
    _audit(
        by,
        patient,
        Action.UPDATE,
        "dose",
        dose.pk,
        reason="amendment",
        detail={"amendment_id": amendment.pk},
    )
    return amendment


def _redecide_after_amendment(
    by: User,
    patient: Patient,
    dose: DoseRecord,
    amendment: DoseAmendment,
    now: datetime,
    before: dict[int, dict[date, Decimal]],
    was: Decimal,
    told: set[tuple[int, str]],
) -> None:
    """Review 22o, 22t hole 5: a methadone dose of today or before re-decides the take-home bottles after its
    day against the day's corrected total (`bottles.redecide_bottles`), whatever changes it (up, down, to 0,
    back, a void); what that said is kept on the amendment (`warnings`). After a hold the run at home stays
    covered (`suspend_take_home_plans`): a correction that leaves a dose given takes back nothing. Lane
    fix30a (review 30p holes 1 and 2): an amendment that leaves the dose at the amount it stood at (`was`: a
    correction to the same mg, a void of a dose already at 0 mg) changes no day's total: nothing is decided
    again and nothing said of bottles."""
    if _redecides(patient, dose, now) and effective_mg(dose) != was:
        # Review 22o, 22t hole 5: bottles follow the given total of the dose's day, whatever changes it
        # (up, down, to 0, back, a void), whichever day it is
        day = dose.local_date
        ctx, reads = dose_context_and_reads(patient, Medication.METHADONE, day, with_other_holds=True)
        real_today = local_today(patient, now)
        if ctx.given_today_mg <= 0 or not (ctx.hold_open or ctx.other_hold_open):
            # After a hold the run at home stays covered (`suspend_take_home_plans`): a correction that
            # leaves a dose given does not take back bottles already in her hands.
            said = redecide_bottles(by, patient, reads.plans, day, now, ctx.given_today_mg, ctx)
            if ctx.given_today_mg <= 0:  # review 25c hole 4: a plan ended since, its bottles out all the same
                said = (*said, *take_back_after_end(by, patient, day, now))
            else:  # lane end26: back up after a 0, a plan ended since: its bottles left with this dose
                said = (*said, *restore_after_end(by, patient, day, now, ctx.given_today_mg, ctx))
            amendment.warnings = said
            note_not_before(patient, day, now, reads.plans)  # lane bottle39: the time decided again
        # lane fix28c (review 28c hole 4), lane fix28d (review 28d hole 1): the end of a plan ended before a
        # day dosed at the window says its window days again from the record, after every correction
        gone = window_end_words(by, patient, dose.local_date, now)
        if gone:
            amendment.warnings = (*(amendment.warnings or ()), *gone)
        new = _newly_called_back(by, patient, dose, before, real_today, told)
        if new:
            amendment.warnings = (*(amendment.warnings or ()), *new)


def _redecides(patient: Patient, dose: DoseRecord, now: datetime) -> bool:
    """A correction of this dose re-decides the bottles: a methadone dose of today or before."""
    return dose.medication == Medication.METHADONE and dose.local_date <= local_today(patient, now)


def _certain_call_back(patient: Patient, today: date) -> dict[int, dict[date, Decimal]]:
    """Lane fix28c (review 28c): the call-back list (`queries.call_back`: bottles the record holds at home
    that no standing plan covers) less those only "maybe" at home (recorded handed out with a dose that no
    longer stands): what the record says is certainly at home and uncovered."""
    from keel.treatment.queries.take_home_plans import bottles_at_home, call_back

    sure = bottles_at_home(patient, today)
    return {
        pk: kept
        for pk, days in call_back(patient, today).items()
        if (kept := {d: mg for d, mg in days.items() if d in sure.get(pk, {})})
    }


def _newly_called_back(
    by: User,
    patient: Patient,
    dose: DoseRecord,
    before: dict[int, dict[date, Decimal]],
    today: date,
    told: set[tuple[int, str]],
) -> list[Reason]:
    """Lane fix28c (review 28c holes 1, 3, 7), path-independent: every bottle the correction newly put on the
    call-back list (`_certain_call_back`, before and after: a bottle only "maybe" at home before, its dose
    standing again, is newly certain) and that no word the correction already says names (that step told
    and audited it: one message, never two), is audited on its plan and told to the nurse once
    (`CORRECTION_CALL_BACK`, days and mg)."""
    after = _certain_call_back(patient, today)
    # lane fix28d (review 28d hole 3): only a bottle another word told the nurse to CALL BACK was told and
    # audited by its own step; lane take31: matched by (plan, day) (`told`, noted by each step), never by
    # day alone (another plan's bottle of the same day is not told by it)
    call: dict[str, str] = {}
    for pk, days in after.items():
        # a bottle another word of this correction called back was told and audited by its own step
        was_told = {d for d in days if d in before.get(pk, {}) or (pk, d.isoformat()) in told}
        new = {d: mg for d, mg in days.items() if d not in was_told}
        if not new:
            continue
        _audit_plan(
            by,
            patient,
            TakeHomePlan.objects.get(pk=pk),
            "bottles at home called back after a correction",
            {"dose": dose.pk, "still_at_home": sorted(d.isoformat() for d in new)},
        )
        call.update({d.isoformat(): str(mg) for d, mg in new.items()})
    return [_taken_back(CORRECTION_CALL_BACK, call, None)] if call else []


# lane fix28d (review 28d hole 3): the nurse's words that tell her to call the person back for bottles at home
_CALL_BACK_WORDS = frozenset(
    {
        TAKEN_BACK,
        TAKEN_BACK_PLAN_STOPS,
        CORRECTED_BACK_CALL_BACK,
        CORRECTED_BACK_CALL_BACK_DOWN,
        CORRECTED_BACK_CALL_BACK_VOIDED,
        CORRECTION_CALL_BACK,
        AT_HOME_PAST_END,
        WINDOW_DOSED_CALL_BACK,
        WINDOW_VOIDED,
        AT_HOME_AFTER_QTC,
        AT_HOME_AFTER_HOLD,
    }
)
