"""A death recorded by mistake (the wrong person picked, a mis-click), undone by a program admin of the
episode's program within `KEEL_DEATH_UNDO_DAYS` of the recording, with a reason (lane dead29b).

What the undo restores, and what it does not:

- the episode the death ended is open again as it was (`active`, no end day, no end reason): not a new
  discharge reason and not a new episode. `death_recorded` and `death_day` no longer answer, so every guard
  that reads them (an own account's reads, codes, consents' signers, the own-request and emergency
  disclosures, FHIR's Patient) answers as for a living person;
- what the death's discharge stopped stays stopped: medication orders, take-home plans and their holds,
  overrides, the person's policy values, the visits cancelled. A prescriber decides what starts again;
- her own Keel account is not turned back on: it stays off and is unjoined from her record, every unused
  code for it (activation, password reset, link) is removed, and the desk gives her a new activation code
  (`activation.issue_activation_code`, the existing path); the admin is told so;
- a consent a personal representative signed while the death was recorded is revoked by the undo (a
  personal representative signs only for a person who died, 42 CFR 2.15(b)); every other consent is read as
  before (its own expiry and revocation decide: the death never changed them).

The record's lock (`lock_for_account_change`) is taken first, as a death's discharge takes it: two undos at
once, one waits and then finds no death; an undo and a new death recorded at once, one waits for the other.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from keel.access import policy
from keel.access.policy import Area
from keel.accounts import services as accounts
from keel.accounts.models import User
from keel.api_body import Posted
from keel.audit import services as audit
from keel.audit.models import Action, AuditEvent
from keel.core.rules.inputs import FieldError, FieldsInvalid, InvalidInput
from keel.core.words import gettext_noop as N_
from keel.patients.errors import NotAllowed
from keel.patients.models import (
    ActivationCode,
    DeathUndone,
    EndReason,
    Enrollment,
    EnrollmentStatus,
    Patient,
    lock_for_account_change,
)
from keel.patients.schemas import UndoDeathIn
from keel.patients.services.common import in_language
from keel.selfguided.models import LinkCode
from keel.sharing.models import Consent, ConsentRevocation

RECORDED = "discharged"  # the audit reason of the discharge that ended the episode (`episodes._end_episode`)
UNDONE = "death recorded by mistake undone"
CONFIRM = N_("confirm that this death was recorded by mistake for this person")
REVOKED = "revoked: signed by a personal representative while a death was recorded by mistake"


@dataclass(frozen=True)
class Undone:
    """What `undo_death` did: the episode open again, whether her own account stayed off (she needs a new
    activation code), and how many personal representatives' consents it revoked."""

    episode: Enrollment
    row: DeathUndone
    own_account_off: bool
    consents_revoked: int


def undo_death(
    *,
    by: User,
    patient_id: int,
    data: Posted[UndoDeathIn],
    confirmed: bool = True,
    now: datetime | None = None,
) -> Undone:
    """Undo a death recorded by mistake in the caller's program (a program admin of it only: `policy.
    can_undo_death`; anyone else in scope a 403, out of scope the audited 404), with a reason of substance
    (422 naming `reason`), within `KEEL_DEATH_UNDO_DAYS` of the recording. `confirmed`: the page's
    confirmation step ticked (False: 422 naming `undo_confirmed`, asked after the role, as the reason is; the
    API and the command line confirm by asking). See the module for what it restores. One transaction with
    its audit rows, in the patient's program's chain."""
    patient = policy.get_patient_for_action_or_404(
        by,
        patient_id,
        Action.UPDATE,
        area=Area.CLINICAL,
        target_type="enrollment",
        allowed=lambda user, record: policy.can_undo_death(user, record.program_id),
        what="undo a death recorded by mistake",
        error=NotAllowed,
        message=_("Only a program admin of this person's program can undo a death recorded by mistake."),
        audit_success=False,
    )
    reason = _checked_reason(data, confirmed)
    return _undone(by, patient, reason, now or timezone.now())


def _checked_reason(data: Posted[UndoDeathIn], confirmed: bool) -> str:
    """Step: the reason of substance (422 naming `reason`) and the page's confirmation ticked (422 naming
    `undo_confirmed`), both said at once when both are missing."""
    unconfirmed = [] if confirmed else [FieldError("undo_confirmed", CONFIRM)]
    try:
        reason = data.parse().reason
    except InvalidInput as exc:
        raise in_language(InvalidInput([*exc.errors, *unconfirmed])) from None
    if unconfirmed:
        raise in_language(InvalidInput(unconfirmed))
    return reason


def _undone(by: User, patient: Patient, reason: str, now: datetime) -> Undone:
    """Step: in one transaction under the record's lock, the episode a death ended opened again
    (`_death_to_undo` finds it, or refuses), her own account left off, the `DeathUndone` row with the typed
    reason, a representative's consents revoked, and the audit row (never the typed reason)."""
    with transaction.atomic():
        own = lock_for_account_change(patient.pk)  # the lock a death's discharge takes first
        episode, recorded_at = _death_to_undo(patient, now)
        if not Enrollment.objects.filter(pk=episode.pk, end_reason=EndReason.DECEASED).update(
            status=EnrollmentStatus.ACTIVE, ended_on=None, ended_at=None, end_reason=""
        ):  # under the lock: never happens, said for the reader
            raise FieldsInvalid([FieldError("patient", _("no death is recorded for this person"))])
        ended_on = episode.ended_on
        assert ended_on is not None  # an ended episode holds its end day (the model's constraint)
        episode.status, episode.ended_on, episode.end_reason = EnrollmentStatus.ACTIVE, None, ""
        episode.ended_at = None  # lane discharge39: its moment goes with its end
        own_off = _leave_account_off(by, patient, own)
        row = DeathUndone.objects.create(
            patient=patient,
            episode=episode,
            by=by,
            at=now,
            reason=reason,
            ended_on=ended_on,
            recorded_at=recorded_at,
            own_account_id=own,
        )
        revoked = _revoke_representatives(by, patient, now)
        # the typed reason stays on the row, never in the audit trail (as a second factor reset)
        audit.record(
            actor=by,
            action=Action.UPDATE,
            patient_id=patient.pk,
            program_id=patient.program_id,
            target_type="enrollment",
            target_id=episode.pk,
            reason=UNDONE,
            detail={
                "death_undone_id": row.pk,
                "own_account_left_off": own_off,
                "consents_revoked": revoked,
                "recorded_days_ago": (now - recorded_at).days,
            },
        )
    return Undone(episode, row, own_off, len(revoked))


def _death_to_undo(patient: Patient, now: datetime) -> tuple[Enrollment, datetime]:
    """Step (under the record's lock): the episode of this program a death ended, locked, and when the death
    was recorded; refused (422 naming `patient`) when there is none, when another death stays recorded
    (another program's, or an earlier one: the undo would leave her dead on the record), when she is in
    care in another episode, or when the window has passed."""
    deaths = list(
        Enrollment.objects.select_for_update()
        .filter(patient=patient, end_reason=EndReason.DECEASED)
        .order_by("-ended_on", "-id")
    )
    mine = [e for e in deaths if e.program_id == patient.program_id]
    if not mine:
        words = (
            _("the death was recorded by another program: only that program can undo it")
            if deaths
            else _("no death is recorded for this person")
        )
        raise FieldsInvalid([FieldError("patient", words)])
    if len(deaths) > 1:
        raise FieldsInvalid(
            [FieldError("patient", _("more than one death is recorded for this person: ask the operator"))]
        )
    episode = mine[0]
    if Enrollment.objects.filter(patient=patient, status=EnrollmentStatus.ACTIVE).exists():
        raise FieldsInvalid([FieldError("patient", _("this person is in care in another episode"))])
    recorded_at = _recorded_at(patient, episode)
    days = settings.KEEL_DEATH_UNDO_DAYS
    if now - recorded_at > timedelta(days=days):
        raise FieldsInvalid(
            [
                FieldError.said(
                    "patient",
                    N_("the death was recorded more than %(n)s days ago: only the operator can undo it now"),
                    n=days,
                )
            ]
        )
    return episode, recorded_at


def _recorded_at(patient: Patient, episode: Enrollment) -> datetime:
    """When the death was recorded: the last discharge row of this episode in the audit trail (append-only,
    chained); an episode ended by another path has none, and the start of its end day in the program's zone
    is used (never later than the recording: the window closes no later than it would)."""
    found = (
        AuditEvent.objects.filter(
            patient_id=patient.pk, target_type="enrollment", target_id=str(episode.pk), reason=RECORDED
        )
        .order_by("-id")
        .values_list("occurred_at", flat=True)
        .first()
    )
    if found is not None:
        return found
    assert episode.ended_on is not None
    return datetime.combine(episode.ended_on, time.min, tzinfo=ZoneInfo(patient.program.time_zone))


def _leave_account_off(by: User, patient: Patient, user_id: int | None) -> bool:
    """Step: her own account (read under the record's lock) stays off, or is turned off if another path left
    it on, and is unjoined from her record; every unused code for her record is removed. True when she had
    an account (the admin is told to give her a new activation code)."""
    ActivationCode.objects.filter(patient=patient, used_at__isnull=True).delete()
    LinkCode.objects.filter(patient=patient, used_at__isnull=True).delete()
    if user_id is None:
        return False
    user = User.objects.select_for_update().get(pk=user_id)
    if user.is_active:  # a death that landed by another path left it on: never turned on by the undo
        accounts.deactivate_user(user=user, by=by, patient=patient)
    Patient.objects.filter(pk=patient.pk).update(user=None)
    patient.user = None
    audit.record_for_patient(
        by, patient, Action.UPDATE, "user", user_id, reason="own account left off after a death was undone"
    )
    return True


def _revoke_representatives(by: User, patient: Patient, now: datetime) -> list[int]:
    """Step: every unrevoked consent a personal representative signed for her is revoked (one may sign only
    for a person who died: with the death undone it has no signer), each audited. The ids revoked."""
    signed = list(
        Consent.objects.select_for_update(of=("self",))
        .filter(
            patient=patient, representative_relationship="personal_representative", revocation__isnull=True
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for consent_id in signed:
        ConsentRevocation.objects.create(consent_id=consent_id, revoked_by=by, revoked_at=now)
        audit.record_for_patient(by, patient, Action.UPDATE, "consent", consent_id, reason=REVOKED)
    return signed
