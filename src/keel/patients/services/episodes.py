"""Episodes of care (issue #18): discharge (a transfer is a disclosure under consent) and readmission."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from keel.access import policy
from keel.access.policy import Area
from keel.accounts import services as accounts
from keel.accounts.models import User
from keel.appointments.services import cancel_coming
from keel.audit import services as audit
from keel.audit.models import Action, Outcome
from keel.core import disclosure_words
from keel.core.discharge import discharge_moment
from keel.core.rules.inputs import FieldError, FieldsInvalid, InvalidInput
from keel.patients.errors import NotAllowed
from keel.patients.models import (
    EmergencyAccess,
    EndReason,
    Enrollment,
    EnrollmentStatus,
    Patient,
    local_today,
    lock_for_account_change,
    zone_of,
)
from keel.patients.services.common import in_language
from keel.sharing import services as sharing
from keel.treatment.models import DoseRecord, MedicationOrder, OrderStatus, pending_successor
from keel.treatment.queries.orders import orders_version
from keel.treatment.services.overrides import end_overrides
from keel.treatment.services.policy import end_patient_overrides
from keel.treatment.services.take_homes import end_take_home_plans

if TYPE_CHECKING:
    from keel.api_body import Posted
    from keel.patients.schemas import DischargeIn, ReadmissionIn


def _episode_patient(by: User, patient_id: int, action: Action) -> Patient:
    return policy.get_patient_for_action_or_404(
        by,
        patient_id,
        action,
        area=Area.CLINICAL,
        target_type="enrollment",
        allowed=lambda user, record: policy.can_manage_episode(user, record.program_id),
        what="discharge or readmit",
        emergency_what="discharge, readmit or transfer",
        error=NotAllowed,
        message=_("Program admins, counselors, nurses and prescribers discharge and readmit."),
        audit_success=False,
    )


def _transfer_disclosure(
    by: User, patient: Patient, form: DischargeIn, active: Enrollment, token: str | None
) -> int:
    """A transfer to another program is a disclosure under the patient's consent (42 CFR 2.31; issue #18):
    through the sharing app's one check (`release_record`: a live, unrevoked consent naming the receiving
    program as recipient, its purpose and the whole record; the password again; the accounting of
    disclosures). Called by `discharge` inside its transaction, with the active episode locked: the
    disclosure and the end of the episode are written together or not at all. `token`: the secret of the API
    token the transfer is made with (None for a session): a release by a token like any other (review 22g),
    so the token releases to one recipient only (bound to the receiving program by it, or refused when bound
    to another, audited) and the accounting never names two recipients for one credential."""
    _check_may_transfer(by, patient)
    assert form.ended_on is not None  # the check fills in today
    raw = _transfer_basis(form)
    try:
        disclosure, _document = sharing.release_record(
            by=by,
            patient_id=patient.pk,
            raw=raw,
            target_type="transfer",
            description=disclosure_words.TRANSFER,
            build=_transfer_document(raw, active, form.ended_on),
            token=token,
        )
    except sharing.TokenOtherRecipient as exc:  # audited by the release
        raise NotAllowed(str(exc)) from None
    except sharing.SharingNotAllowed:  # checked above; a role change in between lands here
        raise NotAllowed(_("A transfer shares the record: your role cannot.")) from None
    assert disclosure is not None  # a transfer always leaves (no `releases` test): always accounted
    return disclosure.pk


def _check_may_transfer(by: User, patient: Patient) -> None:
    """A role that may not disclose a record (`policy.can_disclose`) is refused a transfer, audited."""
    if not policy.can_disclose(by):
        audit.record_for_patient(
            by,
            patient,
            Action.DENIED,
            "transfer",
            outcome=Outcome.DENIED,
            reason="role may not disclose a record for a transfer",
        )
        raise NotAllowed(
            _(
                "A transfer shares the record with the receiving program: a counselor, nurse or prescriber "
                "on the care team records it."
            )
        )


def _transfer_basis(form: DischargeIn) -> dict[str, object]:
    """What the release is asked on: the consent, the receiving program (its recipient), the purpose and the
    password again."""
    return {
        "basis": "consent",
        "consent": form.consent,
        "recipient_name": form.recipient_name,
        "purpose": form.purpose or "treatment",
        "purpose_text": form.purpose_text or "",
        "password": form.password,
    }


def _transfer_document(
    raw: dict[str, object], active: Enrollment, ended: date
) -> Callable[[Patient, datetime], dict[str, object]]:
    """The document a transfer releases, built by the release from the person's row and its time: who the
    person is, the programs from and to, and the episode ended."""

    def build(row: Patient, at: datetime) -> dict[str, object]:
        return {
            "transfer": {
                "from": row.program.name,
                "to": " ".join(str(raw["recipient_name"] or "").split()),
                "person": f"{row.given_name} {row.family_name}",
                "date_of_birth": row.date_of_birth.isoformat() if row.date_of_birth else "",
                "record_number": row.record_number,
                "episode": {"kind": active.kind, "started_on": active.started_on.isoformat()},
                "ended_on": ended.isoformat(),
                "prepared_at": at.isoformat(),
            }
        }

    return build


def discharge(
    *, by: User, patient_id: int, data: Posted[DischargeIn], token: str | None = None
) -> Enrollment:
    """End the patient's episode of care on a date (not in the future, not before it began) for a reason.
    Their active medication orders and take-home plans stop with it, so the dosing window no longer lists
    them and no dose can be recorded until a prescriber writes a new order after readmission. A transfer
    ("transferred") releases the record to the receiving program in the same transaction: the active episode
    is locked first, so of two transfers at once one waits and then finds the person no longer in care, and
    nothing of it (no disclosure in the accounting) is left behind. `token`: the API token's secret, for a
    transfer made with one (`_transfer_disclosure`); None for a session or the command line."""
    patient = _episode_patient(by, patient_id, Action.UPDATE)
    try:
        form = data.parse(context=local_today(patient))
    except InvalidInput as exc:
        raise in_language(exc) from None
    assert form.ended_on is not None  # the check fills in today
    refused: FieldsInvalid | NotAllowed | None = None
    with transaction.atomic():
        # A death: the record's lock first (lane fix27b, `lock_for_account_change`), in the order every
        # writer of the person takes its locks (the person's row, then the episode, then the audit chain's
        # head: an order's write, a dose, an activation code's use); its account read under it.
        own_account = lock_for_account_change(patient.pk) if form.reason == EndReason.DECEASED else None
        if form.reason == EndReason.TRANSFERRED:  # its release asks `died_under_lock`: the row first (priv31)
            lock_for_account_change(patient.pk)
        active = _active_episode(patient, form.ended_on)
        disclosure_id = None
        if (
            form.reason == EndReason.TRANSFERRED
        ):  # the record goes to the receiving program: a disclosure first
            try:
                disclosure_id = _transfer_disclosure(by, patient, form, active, token)
            except (FieldsInvalid, NotAllowed) as exc:  # refused: nothing written but its audited denial,
                refused = exc  # which this transaction keeps (raised once it is committed)
        if refused is None:
            _end_episode(by, patient, active, form.ended_on, form.reason, disclosure_id, own_account)
    if refused is not None:
        raise refused
    return active


def _active_episode(patient: Patient, ended: date) -> Enrollment:
    """Step (inside the transaction): the active episode, locked; refused when there is none, when `ended`
    is before it began or before a dose recorded in it (issue #18)."""
    active = (
        Enrollment.objects.select_for_update().filter(patient=patient, status=EnrollmentStatus.ACTIVE).first()
    )
    if active is None:
        raise FieldsInvalid([FieldError("patient", _("this person is not in care now"))])
    if ended < active.started_on:
        raise FieldsInvalid([FieldError("ended_on", _("cannot be before the episode began"))])
    if DoseRecord.objects.filter(
        patient=patient, local_date__gte=active.started_on, local_date__gt=ended
    ).exists():  # the episode never ends before a dose recorded in it (issue #18)
        raise FieldsInvalid(
            [FieldError("ended_on", _("cannot be before the last dose recorded in this episode"))]
        )
    return active


def _end_episode(
    by: User,
    patient: Patient,
    active: Enrollment,
    ended: date,
    reason: str,
    disclosure_id: int | None,
    own_account: int | None,
) -> None:
    """Step (inside the transaction): the episode ends if it is still the active one (compare-and-set under
    the lock: otherwise the whole transfer, its disclosure included, is undone), and what ends with it.
    `own_account`: a death's, the person's own account read under the record's lock (`discharge`)."""
    now = timezone.now()  # lane discharge39: the discharge's moment (`core.discharge.discharge_moment`)
    moment = discharge_moment(ended, local_today(patient, now), now, zone_of(patient))
    if not Enrollment.objects.filter(pk=active.pk, status=EnrollmentStatus.ACTIVE).update(
        status=EnrollmentStatus.ENDED, ended_on=ended, ended_at=moment, end_reason=reason
    ):
        raise FieldsInvalid([FieldError("patient", _("this person is not in care now"))])
    active.status, active.ended_on, active.end_reason = EnrollmentStatus.ENDED, ended, reason
    active.ended_at = moment
    detail = _end_with_episode(by, patient, ended)
    # session 24: the orders' version this discharge left (every order stopped), read under the episode's
    # lock that an order's write takes too (`episode_open(lock=True)`): no order is written in between
    active.orders_version_after = orders_version(patient)
    audit.record(
        actor=by,
        action=Action.UPDATE,
        patient_id=patient.pk,
        program_id=patient.program_id,
        target_type="enrollment",
        target_id=active.pk,
        reason="discharged",
        detail={**detail, **({"transfer_disclosure_id": disclosure_id} if disclosure_id else {})},
    )
    if reason == EndReason.DECEASED:
        active.ended_own_account = _end_own_account(by, patient, own_account)
        _end_emergency_access(by, patient)


def _end_emergency_access(by: User, patient: Patient) -> None:
    """Step (inside the transaction, under the record's lock): a death recorded ends every emergency access
    still open to the record (lane dead29a). Break-the-glass is for the person's own medical emergency (42 CFR
    2.51), and there is none after her death: `sharing.services.emergency_access` opens none from then (it
    asks `death_recorded` under the same lock), and one opened before ends now, audited once about her
    (`emergency_access`, the grants named), so the audit trail's emergency filter shows it."""
    now = timezone.now()
    still_open = EmergencyAccess.objects.filter(patient=patient, expires_at__gt=now, ended_at__isnull=True)
    open_ids = list(still_open.values_list("pk", flat=True))
    if not open_ids:
        return
    EmergencyAccess.objects.filter(pk__in=open_ids).update(ended_at=now)
    audit.record_for_patient(
        by,
        patient,
        Action.UPDATE,
        "emergency_access",
        open_ids[0],
        reason="emergency access ended: a death is recorded",
        through_emergency=True,  # the grants' end is an emergency-access event (the filter shows it)
        detail={"ended_at": now.isoformat(), "grants": sorted(open_ids)},
    )


def _end_own_account(by: User, patient: Patient, user_id: int | None) -> bool:
    """Step (inside the transaction): a death recorded turns the person's own Keel account off (lane dead27),
    through the one service that turns accounts off (its sessions end, its tokens are revoked, audited as
    done by the staff member who recorded the death, the row naming her and her program: lane after28). A
    person with no account of her own has none to end. A death recorded by mistake is corrected on purpose:
    `readmit` refuses; a program admin undoes it (`deaths.undo_death`, lane dead29b), which never turns the
    account on again (it stays off and unjoined: a new activation code makes a new one). True when an
    account was turned off (the episode's `ended_own_account`: the staff member is told)."""
    # `user_id`: the record's account read under the record's lock (`discharge`, lane fix27b): an
    # activation code or a link code used at the same moment waits for this transaction and then finds the
    # death (`death_recorded`), or made its account first and this turns it off.
    if user_id is None:  # no account of her own (none invited)
        return False
    user = User.objects.select_for_update().filter(pk=user_id, is_active=True).first()
    if user is None:
        return False
    accounts.deactivate_user(user=user, by=by, patient=patient)
    return True


def _end_with_episode(by: User, patient: Patient, ended: date) -> dict[str, list[int]]:
    """Step: what stops with the episode (its audit row's detail): active medication orders, take-home plans
    (issue #13), overrides (issue #18), the prescriber's policy values for this person (review 13d), coming
    visits and their reminders (issue #19)."""
    stopped = list(
        MedicationOrder.objects.filter(
            Q(status=OrderStatus.ACTIVE) | pending_successor(ended), patient=patient
        ).values_list("pk", flat=True)
    )
    MedicationOrder.objects.filter(pk__in=stopped).update(status=OrderStatus.STOPPED)
    ended_plans = end_take_home_plans(patient, ended)
    ended_overrides = end_overrides(patient, ended, timezone.now())
    ended_policy = end_patient_overrides(patient, timezone.now())
    cancel_coming(by=by, patient=patient)
    return {
        "stopped_orders": stopped,
        "ended_take_home_plans": ended_plans,
        **({"ended_overrides": ended_overrides} if ended_overrides else {}),
        **({"ended_patient_policy": ended_policy} if ended_policy else {}),
    }


def readmit(*, by: User, patient_id: int, data: Posted[ReadmissionIn]) -> Enrollment:
    """Open a new episode of care for someone discharged earlier (from `started_on`, default today), of the
    kind `episode_kind` (blank: the kind of their last episode). Like the first admission, it confirms that
    the person received the Part 2 notice again and consented to treatment (`notice_given`, `consented`),
    stored on the new episode with who and when."""
    patient = _episode_patient(by, patient_id, Action.CREATE)
    try:
        form = data.parse(context=local_today(patient))
    except InvalidInput as exc:
        raise in_language(exc) from None
    assert form.started_on is not None  # the check fills in today
    started, kind = form.started_on, form.episode_kind or ""
    now = timezone.now()
    with transaction.atomic():
        Patient.objects.select_for_update().filter(pk=patient.pk).first()  # two readmissions: one waits
        episodes = list(Enrollment.objects.filter(patient=patient).order_by("-started_on", "-id"))
        if any(e.status == EnrollmentStatus.ACTIVE for e in episodes):
            raise FieldsInvalid([FieldError("patient", _("this person is already in care"))])
        if any(e.end_reason == EndReason.DECEASED for e in episodes):  # corrected by `deaths.undo_death`
            raise FieldsInvalid(
                [
                    FieldError(
                        "patient",
                        _("this person's care ended because they died; a readmission is not possible"),
                    )
                ]
            )
        last_end = max((e.ended_on for e in episodes if e.ended_on), default=None)
        if last_end and started < last_end:
            raise FieldsInvalid([FieldError("started_on", _("cannot be before the last episode ended"))])
        kind = kind or (episodes[0].kind if episodes else "")  # blank: the same kind of care as before
        enrollment = Enrollment.objects.create(
            patient=patient,
            program=patient.program,
            started_on=started,
            kind=kind,
            notice_given_at=now,
            notice_given_by=by,
            consented_at=now,
            consented_by=by,
        )
        audit.record_for_patient(
            by,
            patient,
            Action.CREATE,
            "enrollment",
            enrollment.pk,
            reason="readmitted",
            detail={"notice_given": True, "consented": True},
        )
    return enrollment
