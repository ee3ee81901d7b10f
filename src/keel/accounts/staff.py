"""Staff of a program (issue #18, journey 0): invitations by email (single use, with an expiry), accepting one
(password and an authenticator confirmed by a code, in one step), the staff list, role changes and
deactivation. Program admins of the program decide (keel.access.policy.can_manage_staff); every change is
audited and the person is told by email. Emails carry no health information."""

from __future__ import annotations

import copy
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from keel.access import policy
from keel.access.errors import NotAllowed as AccessNotAllowed
from keel.accounts import invitations as invites
from keel.accounts import services
from keel.accounts.mail import send, tell
from keel.accounts.models import STAFF_ROLES, Invitation, Program, ProgramMembership, Role, User
from keel.accounts.second_factor import remove_second_factor
from keel.accounts.services.issued_codes import (
    VOIDED_LEFT_PROGRAM,
    VOIDED_OUT_OF_SCOPE,
    VOIDED_ROLE_CHANGED,
    void_codes_issued_by,
)
from keel.accounts.services.people import problems_before_lookup
from keel.accounts.services.usernames import TOO_MANY_NAMES
from keel.audit import services as audit
from keel.audit.models import Action, Outcome
from keel.core.rules.inputs import FieldError, FieldsInvalid, InvalidInput
from keel.patients import care_gap
from keel.selfguided.limits import take_invitation_try
from keel.web.field_words import said

if TYPE_CHECKING:
    from keel.accounts.schemas import InvitationIn
    from keel.api_body import Posted


class NotAllowed(AccessNotAllowed, PermissionError):
    """Only a program admin of the program manages its staff (403, audited)."""


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _program_of_admin(by: User, slug: str) -> Program:
    """The program whose staff `by` manages (its admins only; anyone else refused, audited)."""
    return policy.program_of_admin(
        by,
        slug,
        target_type="staff",
        error=NotAllowed,
        message=_("Only the program's admins manage its staff."),
    )


@dataclass(frozen=True)
class Sent:
    invitation: Invitation
    link: str  # in the email; never stored, never returned by the API


def invite(*, by: User, program_slug: str, data: Posted[InvitationIn], base_url: str) -> Sent:
    """Invite a staff member: a link that works once, for KEEL_INVITATION_HOURS, sent by email. The body is
    checked once the caller is known to be one of the program's admins (every bad field named at once)."""
    program = _program_of_admin(by, program_slug)
    try:
        form = data.parse()
    except InvalidInput as exc:
        raise FieldsInvalid([FieldError(e.field, said(e)) for e in exc.errors]) from None
    email, role = form.email, form.role
    names = {"first_name": form.first_name, "last_name": form.last_name}
    now = timezone.now()
    secret = secrets.token_urlsafe(32)
    link = f"{base_url.rstrip('/')}/accounts/invitation/{secret}/"
    with transaction.atomic():
        Program.objects.select_for_update().filter(pk=program.pk).first()  # a double submit waits here
        _refuse_taken_address(program, email, now)
        invitation = Invitation.objects.create(
            program=program,
            email=email,
            role=role,
            digest=_digest(secret),
            invited_by=by,
            created_at=now,
            expires_at=now + timedelta(hours=settings.KEEL_INVITATION_HOURS),
            **names,
        )
        audit.record(
            actor=by,
            action=Action.CREATE,
            target_type="invitation",
            target_id=invitation.pk,
            program_id=program.pk,
            detail={"role": role},
        )
        _send_invitation(email, program, link)
    return Sent(invitation, link)


def _refuse_taken_address(program: Program, email: str, now: datetime) -> None:
    """Under the program's lock: an address with a working invitation, or of someone already on the staff."""
    if invites.open_now(now).filter(program=program, email__iexact=email).exists():
        raise FieldsInvalid(
            [FieldError("email", _("this address already has an invitation that still works"))]
        )
    if User.objects.filter(email__iexact=email, is_active=True, memberships__program=program).exists():
        raise FieldsInvalid(
            [FieldError("email", _("someone with this address already works in this program"))]
        )


def _send_invitation(email: str, program: Program, link: str) -> None:
    """The invitation's email: the program, the link and how long it works."""
    hours = settings.KEEL_INVITATION_HOURS
    send(
        email,
        _("You are invited to Keel"),
        _(
            "You are invited to join %(program)s on Keel.\n\n"
            "Open this link to choose your username and password and to add Keel to an "
            "authenticator app:\n"
            "%(link)s\n\n"
            "The link works once, for %(hours)d hours. "
            "If you did not expect this email, you can ignore it."
        )
        % {"program": program.name, "link": link, "hours": hours},
    )


def open_invitation(secret: str) -> Invitation | None:
    """The invitation behind a link, while it still works (`invitations.open_now`)."""
    if not secret or len(secret) > 100:
        return None
    return invites.open_now().select_related("program").filter(digest=_digest(secret)).first()


def new_totp_key() -> str:
    return secrets.token_hex(20)


def code_matches(key_hex: str, code: str) -> bool:
    """A 6-digit code from the app for this key, now or one step either side (`services.code_step`)."""
    return services.code_step(key_hex, code) is not None


def _acceptance_problems(
    username: str, password: str, password_again: str, key_hex: str, code: str
) -> list[FieldError]:
    """Each field's problem that needs no look-up of another account: a username missing or too long, a
    password missing, not typed the same twice or too weak, a username's characters, an authenticator code
    that does not match. Whether the name is taken is asked only once all of these are right
    (`_make_staff_account`, lane fix36k)."""
    errors: list[FieldError] = []
    if not username or len(username) > 150:
        errors.append(FieldError("username", _("give a username of 1 to 150 characters")))
    if not password:
        errors.append(FieldError("password", _("this is required")))
    elif password != password_again:
        errors.append(FieldError("password_again", _("the two passwords differ")))
    if not code_matches(key_hex, code):
        errors.append(FieldError("code", _("that code did not work; wait for a new code and try again")))
    if not errors:  # review 36m: what the account would refuse anyway, before a try of the link is spent
        errors = problems_before_lookup(username, password)
    return errors


def accept(
    *,
    secret: str,
    username: str,
    password: str,
    password_again: str,
    key_hex: str,
    code: str,
    address: str | None = None,
) -> User:
    """Become the invited staff member: a username and password, and an authenticator confirmed by a code,
    all at once (nothing is kept unless all of it is right); the link then stops working.

    Re-attack 36k (lane fix36k): the name is looked up only once every other field is right and one try of
    the invitation (`take_invitation_try`) is spent, committed by itself (not the visitor's sign-ups: a
    first morning's staff accept from the clinic's one network); a name in use is audited in the inviting
    program's trail, naming no one (`services.refuse_name_in_use`). A wrong link spends nothing and writes
    no row. (`address`: kept for the callers; not spent.)"""
    username = (username or "").strip()
    errors = _acceptance_problems(username, password, password_again, key_hex, code)
    if errors:
        raise FieldsInvalid(errors)
    invitation = invites.open_now().filter(digest=_digest(secret)).first()
    if invitation is None:
        raise FieldsInvalid([FieldError("invitation", _("this invitation link no longer works"))])
    if not take_invitation_try(invitation.pk):
        raise FieldsInvalid([FieldError("username", _(TOO_MANY_NAMES))])
    try:
        return _make_staff_account(secret, username, password, key_hex, code)
    except services.NameInUse as exc:
        raise services.refuse_name_in_use(
            exc,
            target_type="invitation",
            target_id=invitation.pk,
            program_id=invitation.program_id,
            reason="invitation refused: username in use",
        ) from None


def _make_staff_account(secret: str, username: str, password: str, key_hex: str, code: str) -> User:
    """The account of the invitation still open (locked), the invitation marked accepted and audited; a
    name in use is `services.NameInUse`, nothing written."""
    with transaction.atomic():
        invitation = (
            invites.open_now()
            .select_for_update(of=("self",))  # the invitation's row only, never its sender's or program's
            .filter(digest=_digest(secret))
            .select_related("program")
            .first()
        )
        if invitation is None:
            raise FieldsInvalid([FieldError("invitation", _("this invitation link no longer works"))])
        try:
            user, _device = services.create_user(
                username=username,
                role=invitation.role,
                password=password,
                program_slug=invitation.program.slug,
                first_name=invitation.first_name,
                last_name=invitation.last_name,
                totp_key_hex=key_hex,
                totp_code=code,  # recorded as used on the new device (review 34d)
            )
        except services.AccountError as exc:
            raise services.refused_account(exc) from None
        user.email = invitation.email
        user.save(update_fields=["email"])
        invitation.accepted_at, invitation.accepted_user = timezone.now(), user
        invitation.save(update_fields=["accepted_at", "accepted_user"])
        audit.record(
            actor=user,
            action=Action.UPDATE,
            target_type="invitation",
            target_id=invitation.pk,
            program_id=invitation.program_id,
            reason="accepted",
        )
    return user


@dataclass(frozen=True)
class StaffMember:
    id: int
    username: str
    name: str
    email: str
    role: str
    role_label: str
    active: bool


def staff_of(*, by: User, program_slug: str) -> tuple[Program, list[StaffMember], list[Invitation]]:
    """The program's staff and its invitations that still work, for its admins."""
    program = _program_of_admin(by, program_slug)
    members = User.objects.filter(memberships__program=program).exclude(
        role__in=[Role.PATIENT, Role.SELF_GUIDED]
    )
    people = [
        StaffMember(
            u.pk, u.username, u.get_full_name(), u.email, u.role, str(Role(u.role).label), u.is_active
        )
        for u in members.order_by("-is_active", "last_name", "first_name", "username")
    ]
    invitations = list(invites.open_now().filter(program=program))
    audit.record(actor=by, action=Action.READ, target_type="staff", program_id=program.pk)
    return program, people, invitations


def _staff_member(program: Program, user_id: int | str) -> User:  # the URL's id, or the CLI's text
    try:
        pk = int(user_id)
    except (TypeError, ValueError):
        raise FieldsInvalid([FieldError("user_id", _("choose a staff member"))]) from None
    user = User.objects.filter(pk=pk, role__in=[r.value for r in STAFF_ROLES]).first()
    if user is None or not ProgramMembership.objects.filter(user=user, program=program).exists():
        raise FieldsInvalid([FieldError("user_id", _("not a staff member of this program"))])
    return user


def _typed_id(user_id: int | str) -> int | str:
    """The staff member's id as typed, for an audit row written before they are looked up: a whole number
    or nothing (never the typed text)."""
    try:
        pk = int(user_id)
    except (TypeError, ValueError):
        return ""
    return pk if 0 < pk < 2**63 else ""


def deactivate(*, by: User, program_slug: str, user_id: int | str) -> User:
    """`_deactivate`; refused (422, audited, nothing changed) while the staff member is the last clinician a
    person in care needs (`patients.care_gap`): the admin adds another to that team first."""
    program = _program_of_admin(by, program_slug)
    user = _staff_member(program, user_id)
    try:
        return _deactivate(by=by, program=program, user=user)
    except _CareGapRefused as exc:
        raise _care_gap_refused(by, program, user, exc) from None


def _deactivate(*, by: User, program: Program, user: User) -> User:
    """End a staff member's access to the program at once. Someone who also works in other programs leaves
    this one only (their membership here ends; their account stays). Otherwise the account ends: every
    session and token (accounts.services.deactivate_user). Either way the unused codes they gave for the
    program's patients (or every program's, the account ending) stop working (`void_codes_issued_by`, lane
    fix37e), voided before `_keep_care` locks the people: a link code being used locks its own row, then
    its person's (`selfguided.services._locked_code_and_record`), and this takes them in that order too
    (the other order deadlocks). They are told by email. An admin cannot turn their own account off."""
    if user.pk == by.pk:
        raise FieldsInvalid([FieldError("user_id", _("you cannot turn off your own account"))])
    if user.is_active and policy.works_in_other_programs(user, program.pk):
        # They also work in other programs: they leave this one only, and their account stays on there.
        with transaction.atomic():
            _lock_program(program)
            void_codes_issued_by(user, by=by, reason=VOIDED_LEFT_PROGRAM, program_id=program.pk)
            _keep_care(user, program_id=program.pk)
            ProgramMembership.objects.filter(user=user, program=program).delete()
            invites.withdraw_sent_by(sender=user, by=by, program_id=program.pk)
            audit.record(
                actor=by,
                action=Action.DELETE,
                target_type="membership",
                target_id=user.pk,
                program_id=program.pk,
                reason="removed from the program",
            )
        _tell_removed(user, program)
    elif user.is_active:
        with transaction.atomic():
            _lock_program(program)
            void_codes_issued_by(user, by=by)
            _keep_care(user)
            services.deactivate_user(user=user, by=by)
            invites.withdraw_sent_by(sender=user, by=by)
        if user.email:
            transaction.on_commit(
                lambda: tell(
                    user.email,
                    _("Your Keel account was turned off"),
                    _(
                        "Your account at %(program)s on Keel was turned off by the program. "
                        "If you think this is a mistake, talk to the program's admin."
                    )
                    % {"program": program.name},
                )
            )
    return user


def _tell_removed(user: User, program: Program) -> None:
    """Someone who works elsewhere too is told by email, once it commits, that they left this program."""
    if user.email:
        transaction.on_commit(
            lambda: tell(
                user.email,
                _("Your Keel account changed"),
                _(
                    "You no longer work in %(program)s on Keel. Your account stays open for your "
                    "other programs. If you think this is a mistake, talk to the program's admin."
                )
                % {"program": program.name},
            )
        )


class _CareGapRefused(Exception):
    """Raised inside the transaction (rolled back: nothing changed); audited and said outside it."""

    def __init__(self, left: list[care_gap.Left]) -> None:
        super().__init__(left[0].gap)
        self.left = left


def _lock_program(program: Program) -> None:
    """The program's row first, as `change_role` takes it: two staff changes of one program wait for each
    other before either locks a person or the account (a role change and a deactivation of one person at
    once never lock those two in opposite orders)."""
    Program.objects.select_for_update().filter(pk=program.pk).first()


def _keep_care(user: User, *, program_id: int | None = None, role_after: str | None = None) -> None:
    """Someone who is the last clinician a person in care needs (`patients.care_gap`) keeps their access and
    role: `_CareGapRefused`. Locks those people (`care_gap.lock_people`) for the caller's transaction."""
    left = care_gap.people_left_without_care(user, program_id=program_id, role_after=role_after)
    if left:
        raise _CareGapRefused(left)


def _care_gap_refused(by: User, program: Program, user: User, exc: _CareGapRefused) -> FieldsInvalid:
    """The refusal audited (one row, the people in its detail) and in words, naming user_id."""
    ids = [entry.patient.pk for entry in exc.left]
    care_gap.record_refusal(
        by=by,
        gap=exc.left[0].gap,
        program_id=program.pk,
        target_type="staff",
        target_id=user.pk,
        detail={"patient_ids": ids},
    )
    return FieldsInvalid([FieldError("user_id", care_gap.gap_words(by=by, staff=user, left=exc.left))])


def withdraw_invitation(*, by: User, program_slug: str, invitation_id: int | str) -> Invitation:
    """An admin of the program withdraws one of its open invitations (`invitations.withdraw`)."""
    program = _program_of_admin(by, program_slug)
    return invites.withdraw(by=by, program=program, invitation_id=invitation_id)


@dataclass(frozen=True)
class SecondFactorResetDone:
    user: User
    setup_code: services.IssuedSetupCode  # shown once to the admin, to hand over; never stored or sent


def reset_second_factor(
    *, by: User, program_slug: str, user_id: int | str, password: object = None
) -> SecondFactorResetDone:
    """A staff member lost their authenticator: their devices are removed, every session and token ends, and
    they add a new one at their next sign-in, after their password (program admins of their program; never
    one's own). The admin's own password again first (review 20b, SECURITY.md: re-authentication before any
    MFA change), before the person is looked up (review 21p: no probing of who is staff without it): a wrong
    or missing one counts toward the lockout and is refused naming `password`. Someone who also works in
    programs this admin does not run is refused naming `user_id` (`policy.works_beyond_admin`): one program's
    admin does not weaken what protects another's records; an admin of all of them resets it (with no such
    admin, the server's operator: `keel.accounts.second_factor.reset_by_operator`). Audited in each of their
    programs' trails; they are told by email. In order, one step each: the admin's program, their password
    (`_refuse_unless_reauthenticated`), the person (`_person_to_reset`), their other programs
    (`_refuse_beyond_admin`), then the reset (`_reset`). The admin is shown, once, the one-time set-up code
    the person needs to add her new authenticator (lane acct35, `services.setup_codes`)."""
    program = _program_of_admin(by, program_slug)
    _refuse_unless_reauthenticated(by, program, user_id, password)  # before anything of the person
    user = _person_to_reset(by, program, user_id)
    _refuse_beyond_admin(by, program, user)
    return _reset(by, program, user)


def _refuse_unless_reauthenticated(by: User, program: Program, user_id: int | str, password: object) -> None:
    """The admin's own password again (`services.reauthenticate`, counted by the lockout); wrong or missing:
    audited in this admin's program (the typed id only as a whole number, `_typed_id`), refused naming
    `password`."""
    if services.reauthenticate(by, password, purpose="mfa change"):
        return
    audit.record(
        actor=by,
        action=Action.DENIED,
        outcome=Outcome.DENIED,
        target_type="mfa",
        target_id=_typed_id(user_id),
        program_id=program.pk,
        reason="re-authentication failed",
    )
    raise FieldsInvalid([FieldError("password", _("is not correct: enter your password again to continue"))])


def _person_to_reset(by: User, program: Program, user_id: int | str) -> User:
    """The program's staff member named by `user_id` (`_staff_member`): never the admin themself, never an
    account turned off (each refused naming `user_id`)."""
    user = _staff_member(program, user_id)
    if user.pk == by.pk:
        raise FieldsInvalid([FieldError("user_id", _("another admin resets your own two-step sign-in"))])
    if not user.is_active:
        raise FieldsInvalid([FieldError("user_id", _("this account is turned off"))])
    return user


def _refuse_beyond_admin(by: User, program: Program, user: User) -> None:
    """Someone who also works in programs this admin does not run (`policy.works_beyond_admin`, review 21p):
    refused naming `user_id`, in the trail of this admin's program and of each program the person works in
    (review 21y): the other programs' admins learn that someone tried to weaken what protects their
    records."""
    if not policy.works_beyond_admin(by, user):
        return
    for program_id in services.programs_of(user, first=program.pk):
        audit.record(
            actor=by,
            action=Action.DENIED,
            outcome=Outcome.DENIED,
            target_type="mfa",
            target_id=user.pk,
            program_id=program_id,
            reason="works in programs this admin does not run",
        )
    raise FieldsInvalid(
        [
            FieldError(
                "user_id",
                _("this person also works in other programs; their two-step sign-in is theirs there too"),
            )
        ]
    )


def _reset(by: User, program: Program, user: User) -> SecondFactorResetDone:
    """In one transaction: the person's second factor removed and their sessions and tokens ended
    (`second_factor.remove_second_factor`, the operator's route's step too), audited in the trail of each
    program they work in (an admin of all of them did it), this one first; then they are told by email once
    it commits."""
    with transaction.atomic():
        done = remove_second_factor(user, by=by)
        removed = done.devices
        for program_id in services.programs_of(user, first=program.pk):
            audit.record(
                actor=by,
                action=Action.UPDATE,
                target_type="mfa",
                target_id=user.pk,
                program_id=program_id,
                reason="second factor reset",
                detail={"devices_removed": removed},
            )
        if user.email:
            transaction.on_commit(
                lambda: tell(
                    user.email,
                    _("Your Keel two-step sign-in was reset"),
                    _(
                        "An admin of %(program)s reset your two-step sign-in on Keel. They will give you "
                        "a one-time set-up code in person or on a call (never by email); the next time you "
                        "sign in, you will type it and add Keel to an authenticator app again. "
                        "If you did not ask for this, talk to the program's admin now."
                    )
                    % {"program": program.name},
                )
            )
    return SecondFactorResetDone(user=user, setup_code=done.setup_code)


def change_role(*, by: User, program_slug: str, user_id: int | str, role: str | None) -> User:
    """Give a staff member another role (program admins of their program; never one's own). The role is the
    person's, so someone who also works in other programs keeps theirs (refused); the program's last admin
    stays an admin; the last clinician a person in care needs keeps the role (`patients.care_gap`). It takes
    effect on their next request. Audited with the old and new role."""
    program = _program_of_admin(by, program_slug)
    user = _staff_member(program, user_id)
    role = str(role or "")
    if role not in {r.value for r in STAFF_ROLES}:
        raise FieldsInvalid(
            [
                FieldError(
                    "role",
                    _("choose one of: %(choices)s")
                    % {"choices": ", ".join(sorted(r.value for r in STAFF_ROLES))},
                )
            ]
        )
    if user.pk == by.pk:
        raise FieldsInvalid([FieldError("user_id", _("another admin changes your own role"))])
    if not user.is_active:
        raise FieldsInvalid([FieldError("user_id", _("this account is turned off"))])
    if policy.works_in_other_programs(user, program.pk):
        raise FieldsInvalid(
            [
                FieldError(
                    "user_id", _("this person also works in other programs; their role is theirs there too")
                )
            ]
        )
    try:
        return _change_role(by, program, user, role)
    except _CareGapRefused as exc:  # the last prescriber of a person in care made a counselor, say
        raise _care_gap_refused(by, program, user, exc) from None


def _change_role(by: User, program: Program, user: User, role: str) -> User:
    with transaction.atomic():
        Program.objects.select_for_update().filter(pk=program.pk).first()  # two admins at once: one waits
        user = User.objects.select_for_update().get(pk=user.pk)
        old = user.role
        if old == role:
            return user
        _void_codes_out_of_reach(by, user, role)  # before `_keep_care` locks people (fix37e's order)
        _keep_care(user, role_after=role)
        if old == Role.PROGRAM_ADMIN:
            admins = User.objects.filter(
                role=Role.PROGRAM_ADMIN, is_active=True, memberships__program=program
            ).exclude(pk=user.pk)
            if not admins.exists():
                raise FieldsInvalid([FieldError("role", _("the program needs at least one admin"))])
        user.role = role
        user.save(update_fields=["role"])
        invites.withdraw_sent_by(sender=user, by=by, program_id=program.pk)  # no longer an admin
        audit.record(
            actor=by,
            action=Action.UPDATE,
            target_type="role",
            target_id=user.pk,
            program_id=program.pk,
            reason="role changed",
            detail={"from": old, "to": role},
        )
    return user


def _void_codes_out_of_reach(by: User, user: User, role: str) -> None:
    """Her unused codes that the new role would not let her give: every one when it gives no codes (lane
    fix37j, re37p finding 2), else those for the people outside the scope she has in it (a program admin
    made a counselor sees only her care teams' people: lane fix37l, re37q finding 3). The policy asked with
    the new role; rolled back with the change if it is refused."""
    after = copy.copy(user)
    after.role = role
    if not policy.can_give_link_code(after):
        void_codes_issued_by(user, by=by, reason=VOIDED_ROLE_CHANGED)
    else:
        void_codes_issued_by(
            user, by=by, reason=VOIDED_OUT_OF_SCOPE, outside=policy.patients_visible_to(after)
        )
