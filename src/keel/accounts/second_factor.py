"""A staff member's second factor removed: the one step every route shares (`remove_second_factor`: their
authenticators deleted, every session and token ended) and the server operator's route (`reset_by_operator`,
`keel reset_staff_second_factor`). A program's admins reset it through `keel.accounts.staff.
reset_second_factor`, an admin of every program the person works in; a person whose programs have no common
admin (or a program whose only admin lost their own) had only the database before this route.

The operator's route asks for no Keel account: whoever runs commands on the server already holds the
database. It asks instead for the person by username, a reason of substance (`reason_problem`, kept on an
`OperatorSecondFactorReset` row, never on the audit rows: review 19d) and, in the command, a confirmation.
The reset is audited in the trail of each program the person works in, naming the operator's route; the
person is told by email. No health information is written anywhere: a staff member's account only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from keel.accounts import passwords, services
from keel.accounts.models import OperatorSecondFactorReset, Program, User
from keel.audit import services as audit
from keel.audit.models import Action
from keel.core.reasons import reason_problem, reason_text

# The reason on each program's audit row (its words: `keel.web.audit_words.REASONS`).
OPERATOR_RESET = "second factor reset by the server's operator (reason kept on the reset)"


class OperatorResetRefused(ValueError):
    """Bad input to the operator's route: `field` names the option, `message` says why (in English, as the
    operator's command says every refusal)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class OperatorReset:
    user: User
    programs: list[Program]  # the trails the reset was written in
    devices_removed: int
    reset: OperatorSecondFactorReset
    setup_code: services.IssuedSetupCode  # shown once by the command, to hand to the person


@dataclass(frozen=True)
class Removed:
    devices: int  # authenticators removed
    setup_code: services.IssuedSetupCode  # shown once to whoever reset it (lane acct35); never stored


def remove_second_factor(user: User, *, by: User | None = None) -> Removed:
    """The person's authenticators deleted and every session and API token of theirs ended, in the caller's
    transaction, and a one-time set-up code made (`services.issue_setup_code`, lane acct35): she adds a new
    authenticator at her next sign-in only with her password, that code (handed to her in person or by
    phone) and the new authenticator's first code. The one step of a staff second factor reset, by an admin
    (`staff.reset_second_factor`, `by`) or by the operator (`reset_by_operator`, `by` None)."""
    removed, _rows = TOTPDevice.objects.filter(user=user).delete()
    services.end_sessions(user)
    services.revoke_tokens(user)
    return Removed(devices=int(removed), setup_code=services.issue_setup_code(user, by=by))


def staff_for_operator(username: object) -> tuple[User, list[Program]]:
    """The active staff member with this username and the programs they work in (by id), or
    OperatorResetRefused naming `--username`: no such staff member (a patient's second factor is their care
    team's to reset), or an account turned off."""
    user = services.account_named(username)  # regardless of case, as every route (review 35g, lane fix36b)
    if user is None or not user.is_staff_member:
        raise OperatorResetRefused("--username", "no staff member has this username")
    if not user.is_active:
        raise OperatorResetRefused("--username", "this account is turned off")
    programs = list(Program.objects.filter(memberships__user=user).order_by("pk"))
    return user, programs


def operator_reason(reason: object) -> str:
    """The operator's reason as kept, the text the check measured (`reason_text`: as shown, spaces folded;
    review 24r), or OperatorResetRefused naming `--reason` with
    `reason_problem`'s words: the one test of a reason of substance."""
    text = reason_text(reason)
    problem = reason_problem(text)
    if problem:
        raise OperatorResetRefused("--reason", problem)
    return text


def reset_by_operator(*, username: object, reason: object, now: datetime | None = None) -> OperatorReset:
    """The server's operator resets a staff member's second factor (`staff_for_operator`, `operator_reason`
    first, nothing changed on a refusal). In one transaction: `remove_second_factor`, the typed reason kept on
    an `OperatorSecondFactorReset` row, and an `mfa` audit row with no actor in the trail of each program
    the person works in (none: the trail of no program), naming the operator's route (`OPERATOR_RESET`, the
    route and the reset's id in its detail). The person is told by email once it commits, in their
    language."""
    text = operator_reason(reason)
    user, programs = staff_for_operator(username)
    with transaction.atomic():
        done = remove_second_factor(user, by=None)
        removed = done.devices
        row = OperatorSecondFactorReset.objects.create(
            user=user, at=now or timezone.now(), reason=text, devices_removed=removed
        )
        trails: list[int | None] = [p.pk for p in programs] or [None]  # none: the trail of no program
        for program_id in trails:
            audit.record(
                actor=None,
                action=Action.UPDATE,
                target_type="mfa",
                target_id=user.pk,
                program_id=program_id,
                reason=OPERATOR_RESET,
                detail={"devices_removed": removed, "route": "operator", "reset_id": row.pk},
            )
        _tell_person(user)
    return OperatorReset(
        user=user, programs=programs, devices_removed=removed, reset=row, setup_code=done.setup_code
    )


def _tell_person(user: User) -> None:
    """The person is told their two-step sign-in was reset and by whom (the server's operator), in their
    language, once the reset commits; not the reason, no program's name."""
    if not user.email:
        return
    with translation.override(user.preferred_language or None):
        subject = _("Your Keel two-step sign-in was reset")
        body = _(
            "The operator of the Keel server reset your two-step sign-in. You will be given a one-time "
            "set-up code in person or on a call (never by email); the next time you sign in, you will type "
            "it and add Keel to an authenticator app again. If you did not ask for this, talk to your "
            "program's admin now."
        )
    passwords.tell_address(user.email, subject, body)
