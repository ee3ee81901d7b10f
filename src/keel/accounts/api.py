"""API: who am I, and personal access tokens."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Status
from ninja.errors import AuthenticationError

from keel.access import policy
from keel.accounts import services
from keel.accounts.models import ApiToken, Role, User
from keel.accounts.schemas import MeOut, TokenCreatedOut, TokenIn, TokenOut

router = Router(tags=["accounts"])


def _user(request: HttpRequest) -> User:
    user = request.auth  # type: ignore[attr-defined]
    assert isinstance(user, User)
    return user


def _token_out(token: ApiToken) -> dict[str, object]:
    return {
        "id": token.pk,
        "name": token.name,
        "prefix": token.prefix,
        "created_at": token.created_at,
        "expires_at": token.expires_at,
        "revoked_at": token.revoked_at,
        "last_used_at": token.last_used_at,
    }


@router.get("/me", response=MeOut, summary="The signed-in user (and, for a patient, their own record)")
def me(request: HttpRequest) -> dict[str, object]:
    user = _user(request)
    out: dict[str, object] = services.describe_user(user)
    if user.role == Role.PATIENT:
        patient = policy.own_patient_or_404(user)
        out["programs"] = [patient.program.slug]
        out["patient"] = {
            "id": patient.pk,
            "display_name": patient.display_name,
            "program": patient.program.slug,
        }
    return out


@router.post(
    "/auth/tokens", auth=None, response={201: TokenCreatedOut}, summary="Create a personal access token"
)
def create_token(request: HttpRequest, payload: TokenIn) -> Status[dict[str, object]]:
    user = services.check_password(request, username=payload.username, password=payload.password)
    if user is None:
        services.record_failed_login(username=payload.username, reason="api token: password")
        raise AuthenticationError()
    code = payload.otp_code
    if services.second_factor_required(user) and (not code or services.verify_totp(user, code) is None):
        services.record_failed_login(username=payload.username, reason="api token: mfa code")
        raise AuthenticationError()
    issued = services.create_token(user=user, name=payload.name, days=payload.expires_in_days)
    return Status(201, {**_token_out(issued.token), "token": issued.secret})


@router.get("/auth/tokens", response=list[TokenOut], summary="My tokens (secrets are never shown again)")
def list_tokens(request: HttpRequest) -> list[dict[str, object]]:
    return [_token_out(t) for t in services.list_tokens(user=_user(request))]


@router.delete("/auth/tokens/{token_id}", response=TokenOut, summary="Revoke one of my tokens")
def revoke_token(request: HttpRequest, token_id: int) -> dict[str, object]:
    try:
        token = services.revoke_token(user=_user(request), token_id=token_id)
    except services.AccountError:
        from django.http import Http404

        raise Http404 from None
    return _token_out(token)
