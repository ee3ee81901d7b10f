"""API: who am I, and personal access tokens."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext
from ninja import Router, Status
from ninja.errors import AuthenticationError
from pydantic import Field

from keel.access import policy
from keel.access.http import AuthenticatedApiRequest
from keel.accounts import queries, services, staff
from keel.accounts.models import Invitation, Program, User
from keel.accounts.schemas import (
    AccountActiveOut,
    AccountRoleOut,
    AccountSecondFactorOut,
    ErrorOut,
    InvitationIn,
    InvitationOut,
    InvitationWithdrawnOut,
    MeOut,
    MessageOut,
    PasswordChangeIn,
    PatientBriefOut,
    ProgramSettingsIn,
    ProgramSettingsOut,
    ResetIn,
    ResetRequestIn,
    StaffListOut,
    StaffMemberOut,
    TokenCreatedOut,
    TokenIn,
    TokenOut,
)
from keel.api_auth import desk_only, manages_tokens, reads_no_one, staff_access_only
from keel.api_body import request_body
from keel.core.words import gettext_noop as N_
from keel.patients.services import activation, password_reset
from keel.schemas import In

router = Router(tags=["accounts"])


@router.get("/me", response=MeOut, summary="The signed-in user (and, for a patient, their own record)")
def me(request: AuthenticatedApiRequest) -> MeOut:
    user = request.auth
    if not policy.is_program_patient(user):
        return MeOut(**queries.describe_user(user))
    patient = policy.own_patient_or_404(user)
    # A patient's programs are their record's program (not their memberships, which are not read).
    return MeOut(
        **queries.describe_user(user, programs=[patient.program.slug]), patient=PatientBriefOut.of(patient)
    )


@router.post(
    "/auth/tokens",
    auth=None,
    response={201: TokenCreatedOut},
    exclude_unset=True,  # a patient's answer without `note`, as before (`TokenCreatedOut.issued`)
    summary="Create a personal access token",
)
def create_token(request: HttpRequest, payload: TokenIn) -> Status[TokenCreatedOut]:
    """Lane tok26, by token: not refused (no token is read here, `auth=None`): the caller's own password and
    second factor issue a token for the caller only, never for someone else. A staff token with no recipient
    is still issued (it does its role's writes and the reads that name no one; requiring a recipient would
    bind it, and a bound token only releases, `policy.bound_token_may`); the answer's `note` says plainly
    that it releases no record (`TokenCreatedOut.issued`)."""
    user = services.check_password(request, username=payload.username, password=payload.password)
    if user is None:
        services.record_failed_login(username=payload.username, reason="api token: password")
        raise AuthenticationError()
    code = payload.otp_code
    if queries.second_factor_required(user) and (not code or services.verify_totp(user, code) is None):
        services.record_failed_login(username=payload.username, reason="api token: mfa code")
        raise AuthenticationError()
    issued = services.create_token(
        user=user, name=payload.name, days=payload.expires_in_days, recipient_name=payload.recipient_name
    )
    return Status(
        201, TokenCreatedOut.issued(issued, note=_what_it_releases(user, issued.token.recipient_name))
    )


# Lane tok26: what a staff member's new token releases, said when it is issued (a patient's: nothing said).
RELEASES_NO_RECORD = N_(
    "This token releases no person's record: it was issued for no recipient. It reads only what names no one "
    "(your account, the program's settings, the rules) and does the writes of your role a token may do. To "
    "send records to another system, issue a token naming that recipient."
)
RELEASES_TO = N_(
    "This token releases a person's record only to %(recipient)s, under that person's consent, and does "
    "nothing else."
)


def _what_it_releases(user: User, recipient: str) -> str:
    """Lane tok26: the words of `TokenCreatedOut.note`, in the request's language. A staff token with no
    recipient is issued, not refused (`create_token` says why), so its answer says plainly that it releases
    no record; a bound one names its recipient; a patient's own token says nothing (unchanged)."""
    if not policy.token_is_staffs(user):
        return ""
    if not recipient:
        return gettext(RELEASES_NO_RECORD)
    return gettext(RELEASES_TO) % {"recipient": recipient}


@router.get("/auth/tokens", response=list[TokenOut], summary="My tokens (secrets are never shown again)")
@manages_tokens
def list_tokens(request: AuthenticatedApiRequest) -> list[TokenOut]:
    return [TokenOut.of(t) for t in queries.list_tokens(user=request.auth, only=_managed(request))]


@router.delete("/auth/tokens/{token_id}", response=TokenOut, summary="Revoke one of my tokens")
@manages_tokens
def revoke_token(request: AuthenticatedApiRequest, token_id: int) -> TokenOut:
    """Lane tok26, by token: allowed: it ends one of the caller's own credentials, hands none."""
    try:
        token = services.revoke_token(user=request.auth, token_id=token_id, only=_managed(request))
    except services.AccountError:
        from django.http import Http404

        raise Http404 from None
    return TokenOut.of(token)


def _managed(request: AuthenticatedApiRequest) -> int | None:
    """The one token a recipient-bound token manages (itself, review 22g); None: every one of the caller's."""
    user = request.auth
    return policy.managed_token(bound_to=services.token_bound_to(user), own_token=services.token_in_use(user))


# --- Staff of a program (issue #18): program admins -------------------------------------------------------


def _member_out(m: staff.StaffMember) -> StaffMemberOut:
    return StaffMemberOut(
        id=m.id, username=m.username, name=m.name, email=m.email, role=m.role, active=m.active
    )


def _invitation_out(i: Invitation) -> InvitationOut:
    return InvitationOut(id=i.pk, email=i.email, role=i.role, expires_at=i.expires_at.isoformat())


@router.get(
    "/programs/{slug}/staff",
    response=StaffListOut,
    summary="The program's staff and open invitations (program admins)",
)
# not `@reads_no_one` (lane fix26a, review 26a's suspected item): who works at a Part 2 program and the
# addresses invited are refused to a token, as FHIR refuses `Practitioner` to one; an admin reads it signed in
def list_staff(request: AuthenticatedApiRequest, slug: str) -> StaffListOut:
    _program, people, invitations = staff.staff_of(by=request.auth, program_slug=slug)
    return StaffListOut(
        staff=[_member_out(m) for m in people], invitations=[_invitation_out(i) for i in invitations]
    )


@router.post(
    "/programs/{slug}/invitations",
    response={201: InvitationOut},
    openapi_extra=request_body(InvitationIn),
    summary="Invite a staff member by email: a link that works once, until it expires (program admins)",
)
@staff_access_only
def invite_staff(request: AuthenticatedApiRequest, slug: str) -> Status[InvitationOut]:
    """Lane tok26: refused to every API token (403 audited, `api_auth.staff_access_only`): an invitation
    hands a credential, an account in the program (to any address the caller types); another system, or
    whoever holds a program admin's token, would hand itself colleagues with the program's records."""
    sent = staff.invite(
        by=request.auth,
        program_slug=slug,
        data=InvitationIn.read(request),
        base_url=request.build_absolute_uri("/"),
    )
    return Status(201, _invitation_out(sent.invitation))


@router.post(
    "/programs/{slug}/invitations/{invitation_id}/withdraw",
    response=InvitationWithdrawnOut,
    summary="Withdraw an open invitation: its link stops working at once (program admins)",
)
def withdraw_invitation(
    request: AuthenticatedApiRequest, slug: str, invitation_id: int
) -> InvitationWithdrawnOut:
    """Review 35d hole 1. Refused to a token (no `token_may_write` mark), as turning an account off is:
    staff changes are made by an admin signed in. Withdrawing it again answers the same, changing nothing."""
    i = staff.withdraw_invitation(by=request.auth, program_slug=slug, invitation_id=invitation_id)
    withdrawn_at = i.revoked_at.isoformat() if i.revoked_at else ""
    return InvitationWithdrawnOut(id=i.pk, email=i.email, role=i.role, withdrawn_at=withdrawn_at)


@router.post(
    "/programs/{slug}/staff/{user_id}/deactivate",
    response=AccountActiveOut,
    summary="Turn a staff member's account off now: every session and token ends (program admins)",
)
def deactivate_staff(request: AuthenticatedApiRequest, slug: str, user_id: int) -> AccountActiveOut:
    """Refused to a staff member's token (no `token_may_write` mark; review 26a H4's note, the lead's decision
    at the merge of lanes tok26 and fix26a): it takes access away and hands no one anything, but a stolen
    admin token could turn off every nurse of a program and stop its dosing window; a program admin signed
    in turns a leaver's account off."""
    user = staff.deactivate(by=request.auth, program_slug=slug, user_id=user_id)
    return AccountActiveOut(id=user.pk, username=user.username, active=user.is_active)


class SecondFactorResetStaffIn(In):
    # the service asks the role first (a 403), then the password (422 naming it): so none is required here
    password: str = Field(default="", max_length=256, description="your own password again: an MFA change")


@router.post(
    "/programs/{slug}/staff/{user_id}/second-factor/reset",
    response=AccountSecondFactorOut,
    summary="Reset a staff member's two-step sign-in: devices gone, sessions and tokens end (admins)",
)
@desk_only
def reset_staff_second_factor(
    request: AuthenticatedApiRequest,
    slug: str,
    user_id: int,
    payload: SecondFactorResetStaffIn,
    response: HttpResponse,
) -> AccountSecondFactorOut:
    """Refused to every API token (lane fix25e, `desk_only`): a reset hands the account to whoever enrols
    next. The answer carries the person's one-time set-up code, once (lane acct35), never cached."""
    done = staff.reset_second_factor(
        by=request.auth, program_slug=slug, user_id=user_id, password=payload.password
    )
    add_never_cache_headers(response)
    return AccountSecondFactorOut(
        id=done.user.pk,
        username=done.user.username,
        mfa_enrolled=queries.has_totp_device(done.user),
        setup_code=done.setup_code.code,
        setup_code_expires_at=done.setup_code.expires_at.isoformat(),
    )


class RoleIn(In):
    role: str = Field(max_length=32)


@router.post(
    "/programs/{slug}/staff/{user_id}/role",
    response=AccountRoleOut,
    summary="Change a staff member's role in the program; it applies on their next request (program admins)",
)
@staff_access_only
def change_staff_role(
    request: AuthenticatedApiRequest, slug: str, user_id: int, payload: RoleIn
) -> AccountRoleOut:
    """Lane tok26: refused to every API token (403 audited, `api_auth.staff_access_only`): a role is what an
    account may do; a token making an account a prescriber or a program admin hands a credential as an
    invitation does."""
    user = staff.change_role(by=request.auth, program_slug=slug, user_id=user_id, role=payload.role)
    return AccountRoleOut(id=user.pk, username=user.username, role=user.role)


class ActivateIn(In):
    code: str = Field(max_length=40)
    username: str = Field(max_length=150)
    password: str = Field(max_length=256)
    password_again: str = Field(max_length=256)


@router.post(
    "/auth/activate",
    auth=None,
    response={201: AccountRoleOut},
    summary="A patient makes their own account with the code from the front desk",
)
def activate_account(request: HttpRequest, payload: ActivateIn) -> Status[AccountRoleOut]:
    """Lane tok26, by token: no token is read (`auth=None`): the one-time code handed at the desk is the
    credential, and handing it is refused to tokens (`desk_only` on the codes)."""
    from keel.web.client_address import client_network

    user = activation.activate(**payload.dict(), address=client_network(request))
    return Status(201, AccountRoleOut(id=user.pk, username=user.username, role=user.role))


class ResetWithCodeIn(In):
    code: str = Field(max_length=40)
    password: str = Field(max_length=256)
    password_again: str = Field(max_length=256)


@router.post(
    "/auth/reset-with-code",
    auth=None,
    response={200: AccountRoleOut},
    summary="A patient sets a new password with the one-time code from the front desk (every session ends)",
)
def reset_password_with_code(request: HttpRequest, payload: ResetWithCodeIn) -> AccountRoleOut:
    """Lane tok26, by token: no token is read (`auth=None`): the code is the credential (as
    `activate_account`)."""
    user = password_reset.reset_password_with_code(**payload.dict())
    return AccountRoleOut(id=user.pk, username=user.username, role=user.role)


def _settings_out(p: Program) -> ProgramSettingsOut:
    return ProgramSettingsOut(
        time_zone=p.time_zone,
        dosing_opens=p.dosing_opens.strftime("%H:%M") if p.dosing_opens else None,
        dosing_closes=p.dosing_closes.strftime("%H:%M") if p.dosing_closes else None,
        closure_days=p.closure_days,
        contact_phone=p.contact_phone,
        contact_address=p.contact_address,
    )


@router.get(
    "/programs/{slug}/settings",
    response=ProgramSettingsOut,
    summary="The program's settings (program admins)",
)
@reads_no_one
def get_program_settings(request: AuthenticatedApiRequest, slug: str) -> ProgramSettingsOut:
    return _settings_out(queries.program_settings(by=request.auth, slug=slug))


@router.put(
    "/programs/{slug}/settings",
    response=ProgramSettingsOut,
    openapi_extra=request_body(ProgramSettingsIn),
    summary="Change the program's time zone, dosing-window hours, closure days and contact details (admins)",
)
def put_program_settings(request: AuthenticatedApiRequest, slug: str) -> ProgramSettingsOut:
    """Lane tok26, by token: allowed: the program's hours and contact details, no credential and no person."""
    return _settings_out(
        services.update_program_settings(
            by=request.auth, slug=slug, data=ProgramSettingsIn.read(request)
        ).program
    )


# --- Passwords (issue #18) ------------------------------------------------------------------------------


@router.post(
    "/me/password",
    response=MessageOut,
    summary="Change my password: the current one again; every other session and every API token of mine end"
    " (the token the change is made with too)",
)
def change_password(request: AuthenticatedApiRequest, payload: PasswordChangeIn) -> MessageOut:
    """Lane tok26, by token: allowed: the caller's own password, changed only with the current one (the
    credential itself: a token adds nothing to it); it hands nothing to anyone else."""
    from django.contrib.auth import update_session_auth_hash

    from keel.accounts import passwords
    from keel.accounts.middleware import authenticates_by_session

    user = request.auth
    by_session = authenticates_by_session(request)
    passwords.change_password(
        user=user,
        current=payload.current_password,
        new=payload.new_password,
        new_again=payload.new_password_again,
        keep_session=request.session.session_key if by_session else None,
    )
    if by_session:
        update_session_auth_hash(request, user)
    return MessageOut(message="password changed")


@router.post(
    "/auth/password-reset",
    auth=None,
    response={202: MessageOut, 429: ErrorOut},
    summary="Email a link to choose a new password (the answer never says whether the account exists)",
)
def request_password_reset(request: HttpRequest, payload: ResetRequestIn) -> Status[MessageOut | ErrorOut]:
    """Lane tok26, by token: no token is read (`auth=None`): the link goes to the account's own address."""
    from keel.accounts import passwords
    from keel.web.client_address import client_network

    try:
        passwords.request_reset(
            email=payload.email,
            base_url=request.build_absolute_uri("/"),
            client=client_network(request),
        )
    except passwords.TooManyResets:
        return Status(
            429, ErrorOut(message="Too many requests for a new password. Try again in an hour.", errors=[])
        )
    return Status(202, MessageOut(message="If an account has this address, a link was sent to it."))


@router.post(
    "/auth/password-reset/confirm",
    auth=None,
    response=MessageOut,
    summary="Choose a new password with the emailed link's uid and token (nobody is signed in)",
)
def confirm_password_reset(request: HttpRequest, payload: ResetIn) -> MessageOut:
    """Lane tok26, by token: no token is read (`auth=None`): the emailed link is the credential."""
    from keel.accounts import passwords

    passwords.reset_password(
        uidb64=payload.uid,
        token=payload.token,
        password=payload.password,
        password_again=payload.password_again,
    )
    return MessageOut(message="password changed")
