"""A staff member's second factor removed: the one step every route shares (`remove_second_factor`: their
authenticators deleted, every session and token ended). A program's admins reset it through
`keel.accounts.staff.reset_second_factor`, an admin of every program the person works in."""

from __future__ import annotations

from django_otp.plugins.otp_totp.models import TOTPDevice

from keel.accounts import services
from keel.accounts.models import ProgramMembership, User


def remove_second_factor(user: User) -> int:
    """The person's authenticators deleted and every session and API token of theirs ended, in the caller's
    transaction; they add a new authenticator at their next sign-in, after their password. The one step of
    a staff second factor reset. Returns how many authenticators were removed."""
    removed, _rows = TOTPDevice.objects.filter(user=user).delete()
    services.end_sessions(user)
    services.revoke_tokens(user)
    return removed


def programs_of(user: User, *, first: int | None = None) -> list[int]:
    """The ids of the programs a staff member works in, in the order their trails are written: `first` (the
    acting admin's program) first, then the others by id."""
    theirs = ProgramMembership.objects.filter(user=user)
    if first is not None:
        theirs = theirs.exclude(program_id=first)
    rest = sorted(theirs.values_list("program_id", flat=True))
    return rest if first is None else [first, *rest]
