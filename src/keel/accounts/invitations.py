"""Invitations that still work, and withdrawing them (review 35d hole 1).

One definition of "an invitation is open" (`open_now`): not used, not withdrawn, not expired, and its sender
still an admin of its program (`policy.sent_by_a_current_admin`). The link (`staff.open_invitation`), its
acceptance (`staff.accept`), the check for an address already invited, the staff list, the API and
`keel staff list` all read it.

An admin of the program withdraws an open invitation (`withdraw`: a mistyped address, a hire called off).
When an admin stops being one of the program's admins (turned off, given another role, removed from the
program), every open invitation she sent for it is withdrawn in that change's transaction
(`withdraw_sent_by`), each audited. A withdrawn invitation stays withdrawn: turning her back on, or making
her an admin again, opens none. The link of a withdrawn invitation says only that it no longer works (no
who, no why)."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from keel.access import policy
from keel.accounts.models import Invitation, Program, User
from keel.audit import services as audit
from keel.audit.models import Action
from keel.core.rules.inputs import FieldError, FieldsInvalid

WITHDRAWN = "withdrawn"
WITHDRAWN_SENDER_LEFT = "withdrawn: its sender is no longer an admin of the program"


def _unused(now: datetime) -> Q:
    """Not accepted, not withdrawn, not expired: what the invitation itself says."""
    return Q(accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now)


def open_now(now: datetime | None = None) -> QuerySet[Invitation]:
    """The invitations that still work at `now` (the one definition: the module's docstring)."""
    return Invitation.objects.filter(_unused(now or timezone.now())).filter(policy.sent_by_a_current_admin())


def _invitation_id(invitation_id: int | str) -> int:
    """The URL's id, or the CLI's text: a whole number, else refused naming `invitation_id`."""
    try:
        pk = int(invitation_id)
    except (TypeError, ValueError):
        pk = 0
    if not 0 < pk < 2**63:
        raise FieldsInvalid([FieldError("invitation_id", _("choose an invitation of this program"))])
    return pk


def withdraw(*, by: User, program: Program, invitation_id: int | str) -> Invitation:
    """`by` (already known to be an admin of `program`) withdraws one of its invitations: the link stops
    working at once. Audited. Withdrawing it again (a double submit) changes nothing and writes no second
    row; one already used or expired, or another program's, is refused naming `invitation_id`."""
    pk = _invitation_id(invitation_id)
    with transaction.atomic():
        invitation = Invitation.objects.select_for_update().filter(pk=pk, program=program).first()
        if invitation is None:
            raise FieldsInvalid([FieldError("invitation_id", _("choose an invitation of this program"))])
        if invitation.revoked_at is not None:
            return invitation
        if not Invitation.objects.filter(_unused(timezone.now()), pk=pk).exists():
            raise FieldsInvalid(
                [FieldError("invitation_id", _("this invitation was already used or has expired"))]
            )
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        _audit_withdrawn(by, invitation, WITHDRAWN)
    return invitation


def withdraw_sent_by(*, sender: User, by: User, program_id: int | None = None) -> int:
    """In the caller's transaction: every invitation `sender` sent that is not used, withdrawn or expired
    (for `program_id`, or every program when None) is withdrawn, each audited; how many."""
    rows = Invitation.objects.select_for_update().filter(_unused(timezone.now()), invited_by=sender)
    if program_id is not None:
        rows = rows.filter(program_id=program_id)
    now = timezone.now()
    withdrawn = list(rows)
    for invitation in withdrawn:
        invitation.revoked_at = now
        invitation.save(update_fields=["revoked_at"])
        _audit_withdrawn(by, invitation, WITHDRAWN_SENDER_LEFT)
    return len(withdrawn)


def _audit_withdrawn(by: User, invitation: Invitation, reason: str) -> None:
    audit.record(
        actor=by,
        action=Action.UPDATE,
        target_type="invitation",
        target_id=invitation.pk,
        program_id=invitation.program_id,
        reason=reason,
    )
