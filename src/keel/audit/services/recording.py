"""Record one audit event (`record`, `record_for_patient`): its fields, its actor, the emergency-access
mark.

Every record() runs in the caller's transaction: roll back, and the row is gone."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, TypedDict, Unpack

from django.utils import timezone

from keel.accounts.models import CLINICAL_ROLES
from keel.audit import chain, context
from keel.audit.models import Action, AuditEvent, Outcome
from keel.audit.services.deferred import _DEFERRED
from keel.audit.services.sealing import _write
from keel.core.addresses import normal_address

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.contrib.auth.models import AnonymousUser

    Actor = AbstractBaseUser | AnonymousUser | None  # a User (the audit app imports no app), or no one known


class PatientRecord(Protocol):
    """What an event needs of a patient's record (keel.patients.models.Patient)."""

    @property
    def pk(self) -> int: ...

    @property
    def program_id(self) -> int: ...


SELF_GUIDED = "self_guided"  # keel.accounts.models.Role.SELF_GUIDED (the audit app imports no app)
AUDIT_CHAIN = "audit_chain"  # target_type of the events about the chain itself (re-sealing)

_CLINICAL = CLINICAL_ROLES  # the one definition (keel.accounts.models): who may break the glass


def _through_emergency(actor_id: int, patient_id: int) -> bool:
    """An open emergency-access grant of this clinician for this record, and not on its care team."""
    from keel.patients.models import CareTeamMember, EmergencyAccess

    on_team = CareTeamMember.objects.filter(user_id=actor_id).values("patient_id")
    return (
        EmergencyAccess.objects.filter(
            user_id=actor_id, patient_id=patient_id, expires_at__gt=timezone.now(), ended_at__isnull=True
        )
        .exclude(patient_id__in=on_team)
        .exists()
    )


def record(
    *,
    actor: Actor,
    action: Action | str,
    patient_id: int | None = None,
    program_id: int | None = None,
    target_type: str = "",
    target_id: str | int = "",
    outcome: Outcome | str = Outcome.SUCCESS,
    reason: str = "",
    detail: dict[str, Any] | None = None,
    actor_id: int | None = None,
    through_emergency: bool | None = None,
    about: str = "",
) -> AuditEvent:
    """Append one event to its program's chain (chain 0: no program). `actor` is a User (or None for
    anonymous/unknown). `through_emergency`: whether the actor reaches the record only through emergency
    access, when the caller already knows it (the scoped getter's `keel_off_team`, asked in its own query):
    True marks the row (the sealed `through_emergency` field; a row with no reason of its own gets the reason
    "emergency access") and False leaves it unmarked, without a statement; None (unknown): asked
    (`_through_emergency`, one statement), whatever the reason. `about`: the role of the account the row is
    about when its caller knows it (SELF_GUIDED: a self-guided account's deletion, a failed sign-in to one).

    Three statements in hand-written SQL (`keel.db.rows`; on PostgreSQL two: the insert and the head's update
    in one): every audited request runs this, and the chain's head stays locked from here to the commit (other
    programs' chains are not)."""
    actor_id, actor_role, marked = _who(actor, actor_id, patient_id, through_emergency)
    fields = _event_fields(
        actor_id=actor_id,
        actor_role=actor_role,
        self_guided=_about_self_guided(actor_id, actor_role, about, patient_id),
        action=action,
        patient_id=patient_id,
        program_id=program_id,
        target_type=target_type,
        target_id=target_id,
        outcome=outcome,
        reason=reason or (EMERGENCY_MARK if marked else ""),
        detail=detail,
        through_emergency=marked,
    )
    return _append(fields)


def _about_self_guided(actor_id: int | None, actor_role: str, about: str, patient_id: int | None) -> bool:
    """The one rule of which rows are about a self-guided account, whatever the actor (review 35b hole 4):
    its own events, a row its caller says is about one (its deletion, a failed sign-in to it), and a row by
    no one named (a stop link, a job) about a record in a personal space (one statement, only for those:
    no staff member belongs to a personal space, so a named actor's row is never about one)."""
    if SELF_GUIDED in (actor_role, about):
        return True
    if actor_id is not None or patient_id is None:
        return False
    from keel.patients.models import Patient

    return Patient.objects.filter(pk=patient_id, program__is_personal=True).exists()


def _event_fields(
    *,
    actor_id: int | None,
    actor_role: str,
    self_guided: bool,
    action: Action | str,
    patient_id: int | None,
    program_id: int | None,
    target_type: str,
    target_id: str | int,
    outcome: Outcome | str,
    reason: str,
    detail: dict[str, Any] | None,
    through_emergency: bool = False,
) -> dict[str, Any]:
    """The event's columns, with the request's id, address and channel; an event about a self-guided account
    (`_about_self_guided`) names no one, no record and no address."""
    ctx = context.current()
    # Sealed as the database gives it back (review 22q: a zone id or a long form was stored otherwise than
    # sealed, and the row failed its seal): the normal form, which both databases keep as written.
    ip_address = normal_address(ctx.ip_address)
    if self_guided:
        # A self-guided account's data is its own, not a program's record, and is deleted for good on request:
        # its events are kept (the chain and the counts stay whole) but name no one and no record.
        actor_id = patient_id = program_id = None
        target_id, detail, ip_address = "", {}, None
        through_emergency = False
    return {
        "occurred_at": timezone.now(),
        "actor_id": actor_id,
        "actor_role": actor_role,
        "program_id": program_id,
        "patient_id": patient_id,
        "action": str(action),
        "target_type": target_type,
        "target_id": str(target_id),
        "outcome": str(outcome),
        "reason": reason[:500],
        "detail": detail or {},
        "request_id": ctx.request_id,
        "ip_address": ip_address,
        "channel": ctx.channel,
        "chain": chain.chain_of(program_id),
        "through_emergency": through_emergency,
    }


EMERGENCY_MARK = "emergency access"  # the reason of a marked row that has no reason of its own


def _who(
    actor: Actor, actor_id: int | None, patient_id: int | None, through_emergency: bool | None
) -> tuple[int | None, str, bool]:
    """The actor's id and role (an authenticated actor's own), and whether the row is made through emergency
    access (the actor, a clinician, reaches the record only through an emergency-access grant): its own
    sealed field, never text in the reason (review 18b: a typed reason could fake it). Known by the caller
    (`through_emergency` True or False: the scoped getter's `keel_off_team`, no statement), else asked,
    whatever the row's reason (review 18b holes 2 and 4: a service's own reason hid the mark). A row about
    no one patient (a list read: `policy.audit_list_read`) is marked only when its caller says so (True: the
    list shows people seen only through emergency access, review 19b); nothing is asked for it."""
    if actor is not None and getattr(actor, "is_authenticated", False):
        actor_id = actor.pk
        actor_role = str(getattr(actor, "role", ""))
    else:
        actor_role = ""
    clinical = actor_role in _CLINICAL  # only a clinician breaks the glass
    if actor_id is None or not clinical:
        return actor_id, actor_role, False
    if patient_id is None:
        return actor_id, actor_role, through_emergency is True
    if through_emergency is None:
        # Break-the-glass is accountable (issue #14, T12): on any route, an event about a record its actor
        # sees only through emergency access says so, decided in the one helper every app calls.
        through_emergency = _through_emergency(actor_id, patient_id)
    return actor_id, actor_role, through_emergency


def _append(fields: dict[str, Any]) -> AuditEvent:
    """Seal the event after the chain's head (locked) and insert it, advancing the head; inside a
    `deferred()` block, queue it for the block's end instead (the same row, sealed and inserted there)."""
    event = AuditEvent(**fields)
    queue = _DEFERRED.get()
    if queue is not None and queue.takes(event, fields):
        return event
    _write([(event, fields)])
    return event


class PatientEventExtras(TypedDict, total=False):
    """What `record_for_patient` passes on to `record` as it is."""

    outcome: Outcome | str
    reason: str
    detail: dict[str, Any] | None
    actor_id: int | None
    through_emergency: bool | None


def record_for_patient(
    actor: Actor,
    patient: PatientRecord,
    action: Action | str,
    target_type: str,
    target_id: str | int = "",
    **kw: Unpack[PatientEventExtras],
) -> AuditEvent:
    """One event about a patient's record: the patient and program ids come from the patient; the target
    defaults to the patient. A patient from the scoped getter carries `keel_off_team` (asked in its query):
    True, the row is marked emergency access whatever its reason; False, not (no statement of its own)."""
    kw.setdefault("through_emergency", getattr(patient, "keel_off_team", None))
    return record(
        actor=actor,
        action=action,
        patient_id=patient.pk,
        program_id=patient.program_id,
        target_type=target_type,
        target_id=target_id if target_id != "" else patient.pk,
        **kw,
    )
