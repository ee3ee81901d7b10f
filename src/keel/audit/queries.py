"""Reads of the audit trail, scoped by the access policy (auditors and admins, their programs only)."""

from __future__ import annotations

from django.db.models import Q
from django.http import Http404

from keel.access import policy
from keel.accounts.models import ProgramMembership, User
from keel.audit import services
from keel.audit.models import Action, AuditEvent, Outcome
from keel.patients.models import Patient

EMERGENCY_ACCESS = "emergency_access"  # the target of every attempt at emergency access (keel.sharing)


def list_events(
    user: User, *, before_id: int | None = None, limit: int = 100, emergency: bool = False
) -> list[AuditEvent]:
    """Newest events touching the user's programs: their patients (rows of another program never, whoever
    wrote them), their staff's and patients' sign-ins. Itself audited.
    `emergency`: only the rows about emergency access (break-the-glass): the grant itself (action
    `emergency_access`), every attempt at it whatever its outcome (target `emergency_access`: a refused one,
    a wrong password, is listed but not marked, review 19b) and every row made through it (the sealed
    `through_emergency` field, never the reason's text: review 18b, a typed reason could fake it). A list
    read of one program's people is that program's row (`policy.audit_list_read`: its trail keeps it after
    its reader leaves, review 19b)."""
    programs = policy.audit_program_ids(user)
    if not programs:
        services.record(actor=user, action=Action.DENIED, outcome=Outcome.DENIED, target_type="audit_trail")
        raise Http404
    staff = ProgramMembership.objects.filter(program_id__in=programs).values("user_id")
    patient_users = Patient.objects.filter(program_id__in=programs, user__isnull=False).values("user_id")
    patients = Patient.objects.filter(program_id__in=programs).values("pk")
    # A row of a program or about a patient is shown by that program or patient only, never by its actor
    # (review 18b hole 5: a clinician of two programs wrote program B's patient rows into program A's trail);
    # a row of no program and no patient (a sign-in, a refusal naming no record) by its actor, as before.
    qs = AuditEvent.objects.filter(
        Q(program_id__in=programs)
        | Q(program_id__isnull=True, patient_id__in=patients)
        | (
            Q(program_id__isnull=True, patient_id__isnull=True)
            & (Q(actor_id__in=staff) | Q(actor_id__in=patient_users))
        )
    ).order_by("-id")
    if before_id:
        qs = qs.filter(id__lt=before_id)
    if emergency:
        qs = qs.filter(
            Q(through_emergency=True) | Q(action=Action.EMERGENCY_ACCESS) | Q(target_type=EMERGENCY_ACCESS)
        )
    events = list(qs[:limit])
    services.record(
        actor=user,
        action=Action.READ,
        target_type="audit_trail",
        detail={"programs": programs, "count": len(events), **({"emergency": True} if emergency else {})},
    )
    return events
