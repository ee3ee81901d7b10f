"""Reads of the audit trail, scoped by the access policy (auditors and admins, their programs only)."""

from __future__ import annotations

from django.db.models import Q
from django.http import Http404

from keel.access import policy
from keel.accounts.models import ProgramMembership, User
from keel.audit import services
from keel.audit.models import Action, AuditEvent, Outcome
from keel.patients.models import Patient


def list_events(
    user: User, *, before_id: int | None = None, limit: int = 100, emergency: bool = False
) -> list[AuditEvent]:
    """Newest events touching the user's programs: their patients, their staff's sign-ins. Itself audited.
    `emergency`: only the rows made through emergency access (break-the-glass): the reason "emergency
    access", a refusal of it ("emergency access: may not ...") or a reason of the row's own with the mark
    after it ("...; emergency access", `services.emergency_marked`)."""
    programs = policy.audit_program_ids(user)
    if not programs:
        services.record(actor=user, action=Action.DENIED, outcome=Outcome.DENIED, target_type="audit_trail")
        raise Http404
    staff = ProgramMembership.objects.filter(program_id__in=programs).values("user_id")
    patient_users = Patient.objects.filter(program_id__in=programs, user__isnull=False).values("user_id")
    qs = AuditEvent.objects.filter(
        Q(program_id__in=programs) | Q(actor_id__in=staff) | Q(actor_id__in=patient_users)
    ).order_by("-id")
    if before_id:
        qs = qs.filter(id__lt=before_id)
    if emergency:
        qs = qs.filter(
            Q(reason__startswith=services.EMERGENCY_MARK) | Q(reason__endswith=services.EMERGENCY_SUFFIX)
        )
    events = list(qs[:limit])
    services.record(
        actor=user,
        action=Action.READ,
        target_type="audit_trail",
        detail={"programs": programs, "count": len(events), **({"emergency": True} if emergency else {})},
    )
    return events
