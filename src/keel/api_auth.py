"""API authentication: a personal access token (Authorization: Bearer keel_...) or the browser session; and
what a token bound to a recipient (a release credential) may do on the JSON API."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, Concatenate, NoReturn, ParamSpec, TypeVar

from django.http import HttpRequest
from django.utils.translation import gettext
from ninja.errors import HttpError
from ninja.utils import check_csrf

from keel.access import policy
from keel.accounts import queries as account_queries
from keel.accounts import services as accounts
from keel.accounts.middleware import bearer_credential
from keel.accounts.models import User
from keel.api_errors import ApiRefused, error_body
from keel.audit import services as audit
from keel.audit.models import Action, Outcome
from keel.core.words import gettext_noop as N_

F = TypeVar("F", bound=Callable[..., Any])  # a route's function: ninja calls it with what it declares
P = ParamSpec("P")
R = TypeVar("R")

_SAFE = {"GET", "HEAD", "OPTIONS"}


class KeelAuth:
    """A bearer token (`bearer_credential`); otherwise the signed-in session that passed its second factor,
    with CSRF on writes."""

    openapi_type = "http"
    openapi_scheme = "bearer"

    def __call__(self, request: HttpRequest) -> User | None:
        secret = bearer_credential(request)
        if secret is not None:
            user = accounts.user_for_token(secret)
            if user is None:
                return None
            request.user = user
            refuse_staff_view(request, user)  # lane ownapi39: her own account, on a staff view
            refuse_staff_token_write(request, user)  # lane fix26a: before the body and the record are read
            return user
        # Everything else rides on the session, which SessionLimitsMiddleware and RequireMFAMiddleware have
        # already held to its limits and second factor (the same `authenticates_by_session`).
        user = getattr(request, "user", None)
        if not isinstance(user, User):  # none or anonymous (a lazy User passes: it proxies its class)
            return None
        if not account_queries.session_passed_second_factor(user):
            return None
        if request.method not in _SAFE and check_csrf(request) is not None:
            raise HttpError(403, "CSRF check failed. Reload the page and try again.")
        refuse_staff_view(request, user)
        return user


keel_auth = KeelAuth()


# --- A token bound to a recipient is a release credential (review 22f) -------------------------------------
# The county ED's token was refused Alice's record at /fhir/R4/ without her consent, and read it (and listed
# every patient) at /api/v1/ as its staff member would. Every operation of the JSON API asks the policy
# (`policy.bound_token_may`) before it runs, with what the route does: a route that releases a record is
# marked `releases_record` (and checks the consent and the token's recipient in its release), one of the
# token routes `manages_tokens`; any other route is `TokenUse.OTHER`.

_USE = "_keel_token_use"
RELEASE_CREDENTIAL = "API token bound to a recipient: it only releases records"
RELEASE_CREDENTIAL_SAID = N_(
    "This API token is another system's credential: it releases a person's record to the recipient it was "
    "issued for, under their consent, and nothing else. Read a person's record through /fhir/R4/ with their "
    "consent (Keel-Consent), or sign in to Keel to work in the program's records."
)
# Review 25b (H1): a staff member's token bound to no recipient is refused the same (it releases nothing).
STAFF_TOKEN = "staff API token: its reads are releases under a consent"
# Lane fix25e (review 25d H3, H2): a desk action (a code or second factor reset handed to a person at the
# desk, a registration with its notice and consent given there) asked by a token.
DESK_TOKEN = "API token: a desk action is for a person at the desk"
DESK_TOKEN_SAID = N_(
    "An API token cannot do this: registering a person, a sign-in code and a second factor reset are done "
    "at the desk, with the person there. Sign in to Keel to do it."
)


# Lane fix26a (review 26a): a staff token's write outside the allow list (`token_may_write`).
STAFF_TOKEN_WRITE = "staff API token: this write is done in Keel by a staff member signed in"
STAFF_TOKEN_WRITE_SAID = N_(
    "An API token cannot do this: it is done in Keel by a staff member who is signed in. Nothing was "
    "changed. Sign in to Keel to do it."
)


# Lane fix26a (review 26a H6): the measures' small counts unsuppressed (`counts=raw`), asked by a token.
RAW_COUNTS_TOKEN = "API token: raw small counts are for a program admin signed in"
RAW_COUNTS_TOKEN_SAID = N_(
    "An API token cannot have the raw counts: counts from 1 to 10 may be a person. Ask without "
    "counts=raw (small counts suppressed), or sign in to Keel to see them."
)


def refuse_token_raw_counts(request: HttpRequest, route: str) -> None:
    """Lane fix26a (review 26a H6): `counts=raw` asked by any token (another system): 403 audited, before
    the program is read; the suppressed counts are what a `reads_no_one` route gives a token
    (`policy.raw_counts_may_go_to`)."""
    user = getattr(request, "auth", None)
    by_token = isinstance(user, User) and accounts.token_in_use(user) is not None
    if policy.raw_counts_may_go_to(by_token=by_token):
        return
    assert isinstance(user, User)
    audit.record(
        actor=user,
        action=Action.DENIED,
        outcome=Outcome.DENIED,
        target_type="api_token",
        target_id=route[:200],
        reason=RAW_COUNTS_TOKEN,
    )
    raise HttpError(403, gettext(RAW_COUNTS_TOKEN_SAID))


# Lane tok26: a staff member's access handed by a program admin (an invitation, a role change), by a token.
STAFF_ACCESS_TOKEN = "API token: staff access is given by an admin signed in"
STAFF_ACCESS_TOKEN_SAID = N_(
    "An API token cannot do this: inviting a staff member and changing a staff member's role give a person "
    "access to the program's records, so a program admin signed in to Keel does it. Sign in to Keel to do it."
)
# Lane tok26 (review 25d H4): a medication order by a token (it names the version of the orders it read).
VERSIONED_TOKEN = "API token: an order names the orders its writer read"
VERSIONED_TOKEN_SAID = N_(
    "An API token cannot write a medication order: an order names the version of the person's orders its "
    "writer read (orders_version), and a token reads no person's record. A prescriber signed in to Keel "
    "writes it."
)
# Lane tok26: emergency access (breaking the glass) asked by a token.
EMERGENCY_TOKEN = "API token: emergency access is opened by a clinician signed in"
EMERGENCY_TOKEN_SAID = N_(
    "An API token cannot open emergency access: breaking the glass is a clinician's own decision in an "
    "emergency, signed in to Keel with their password again. Sign in to Keel to do it."
)
_REFUSAL = "_keel_token_refusal"


def _used_as(use: policy.TokenUse, refusal: tuple[str, str] | None = None) -> Callable[[F], F]:
    """A route's mark: what it does (`policy.TokenUse`) and, for a route refused to every token, the audit
    reason and the words of its refusal."""

    def mark(func: F) -> F:
        setattr(func, _USE, use)
        if refusal is not None:
            setattr(func, _REFUSAL, refusal)
        return func

    return mark


# Below `@router.<method>`: a route that releases a record, or that lists or revokes the caller's tokens.
releases_record = _used_as(policy.TokenUse.RELEASE)
manages_tokens = _used_as(policy.TokenUse.TOKENS)
# Lane fix25e (review 25d H3, H2): a desk action, for a person at the desk: a session only.
desk_only = _used_as(policy.TokenUse.DESK, (DESK_TOKEN, DESK_TOKEN_SAID))
# Lane tok26: the same class, a staff member's access (an invitation, a role): an admin's session only.
staff_access_only = _used_as(policy.TokenUse.DESK, (STAFF_ACCESS_TOKEN, STAFF_ACCESS_TOKEN_SAID))
# Lane tok26: emergency access, access handed to the caller's own account: a session only.
emergency_only_signed_in = _used_as(policy.TokenUse.DESK, (EMERGENCY_TOKEN, EMERGENCY_TOKEN_SAID))
# Lane tok26 (review 25d H4): a write naming the version of the record its writer read: a session only.
versioned_write = _used_as(policy.TokenUse.VERSIONED, (VERSIONED_TOKEN, VERSIONED_TOKEN_SAID))

_WHY = "_keel_token_may_write"


def token_may_write(why: str) -> Callable[[F], F]:
    """Below `@router.post` (or put, patch, delete): lane fix26a (review 26a), a write a staff member's token
    may do, with `why`, one line naming the integration it serves. Every other write is refused to a staff
    token before its record or its body is read (`refuse_staff_token_write`); a new write route chooses
    here (tests/api/test_staff_token_writes_fix26a.py walks them all)."""

    def mark(func: F) -> F:
        setattr(func, _USE, policy.TokenUse.WRITE)
        setattr(func, _WHY, why)
        return func

    return mark


def token_may_write_why(func: Callable[..., Any]) -> str:
    """The reason a route is `token_may_write` ("" if it is not)."""
    return str(getattr(func, _WHY, ""))


_NO_ONE = "_keel_reads_no_one"


def reads_no_one(func: F) -> F:
    """Below `@router.get`: a read that names no person (a program's settings, policy, staff and counts,
    the rules, the instruments, the public directory). Lane fix25e (review 25d H1): a staff member's token
    reads only these (and the caller's own `/me`); every other read is a person's record, refused. Lane
    fix27b: also below a write that stores nothing and names no one (a rule run on the inputs sent): its
    service's refusals say nothing of a record, said whole to a staff token (`may_hear_the_refusal`)."""
    setattr(func, _NO_ONE, True)
    return func


_ROUTE = "keel_token_route"  # the request's attribute: its operation's function, noted before authentication
_TOKEN_PATHS = "/api/v1/auth/tokens"  # the caller's own tokens: made, listed, revoked


def note_route(run: Callable[Concatenate[HttpRequest, P], R]) -> Callable[Concatenate[HttpRequest, P], R]:
    """For `api.add_decorator(..., mode="view")`: wraps each operation's `run` (before authentication and
    the body's check) and notes its function on the request, for `KeelAuth` to refuse a staff token's write
    outside the allow list before anything else is read (`refuse_staff_token_write`)."""
    inner: object = run  # under another view decorator (`find_undeclared_query`): the operation's own `run`
    while not hasattr(inner, "__self__") and hasattr(inner, "__wrapped__"):
        inner = inner.__wrapped__
    func = getattr(getattr(inner, "__self__", None), "view_func", run)

    @functools.wraps(run)
    def noted(request: HttpRequest, /, *args: P.args, **kwargs: P.kwargs) -> R:
        setattr(request, _ROUTE, func)
        return run(request, *args, **kwargs)

    return noted


def refuse_staff_token_write(request: HttpRequest, user: User) -> None:
    """Lane fix26a (review 26a): a token's write, asked of the policy (`policy.bound_token_may`,
    `staff_writes`) as soon as the token is known, before the route reads a record or checks a body, so the
    answer never depends on the record (H2, H7): outside the routes marked `token_may_write`, the caller's own
    `/me` and tokens, a staff member's token is refused, 403 audited. A token bound to a recipient and a desk
    action are refused here too, with their own words; a patient's own token is unchanged."""
    func = getattr(request, _ROUTE, None)
    if func is None or request.method in _SAFE or _own(request.path) or request.path.startswith(_TOKEN_PATHS):
        return
    use = getattr(func, _USE, policy.TokenUse.OTHER)
    bound_to = accounts.token_bound_to(user)
    staff_writes = policy.token_is_staffs(user)
    if policy.bound_token_may(bound_to=bound_to, use=use, by_token=True, staff_writes=staff_writes):
        return
    desk = use == policy.TokenUse.DESK
    reason = DESK_TOKEN if desk else RELEASE_CREDENTIAL if bound_to else STAFF_TOKEN_WRITE
    said = DESK_TOKEN_SAID if desk else RELEASE_CREDENTIAL_SAID if bound_to else STAFF_TOKEN_WRITE_SAID
    # A route refused to every token with words of its own (`staff_access_only`, `emergency_only_signed_in`,
    # `versioned_write`: lane tok26) says them here too, whichever check meets the token first.
    reason, said = getattr(func, _REFUSAL, (reason, said))
    audit.record(
        actor=user,
        action=Action.DENIED,
        outcome=Outcome.DENIED,
        target_type="api_token",
        target_id=str(getattr(func, "__name__", ""))[:200],
        reason=reason,
    )
    raise HttpError(403, gettext(said))


_SIGN_IN_PATHS = "/api/v1/auth/"  # her tokens, the sign-in codes and resets


def refuse_staff_view(request: HttpRequest, user: User) -> None:
    """Lane ownapi39 (review 37f): her own account (a patient's or self-guided), by token or session, reads
    her record only where her pages do (`/api/v1/me/...`); every other route that may name people is a staff
    view, refused by the policy (`policy.refuse_staff_view_to_own_account`: 403 audited, a record not hers
    404) as soon as the caller is known, before the body or the record is read. Her tokens and sign-in
    (`/api/v1/auth/...`) and the routes that name no one (`reads_no_one`) keep their own answers."""
    func = getattr(request, _ROUTE, None)
    if func is None or request.path.startswith(_SIGN_IN_PATHS) or not _reads_a_person(request, func):
        return
    match = request.resolver_match
    patient_id = match.kwargs.get("patient_id") if match is not None else None
    route = str(getattr(func, "__name__", ""))
    policy.refuse_staff_view_to_own_account(user, route, None if patient_id is None else str(patient_id))


def may_hear_the_record(request: HttpRequest) -> bool:
    """Lane fix26a (review 26a H5, H7): the one rule of the API's error handlers for a write's refusal that
    depends on the record (a 409: a stale version, the dose guard rail, a slot already recorded, a plan
    already ended; a 422 naming what the record holds): said whole to a caller who may read the record, and
    to a staff member's token only `REFUSED_UNREAD` ("not recorded: a check refused it; a staff member signed
    in sees why"), the same whatever the record holds (`policy.conflict_may_name_the_record`). The
    integration learns that nothing was recorded and that a nurse in Keel sees why, never the order's dose,
    the decision or whether she dosed.

    Lane tok27: the same rule chooses what a write that succeeded answers (`create_dose`: a staff token has
    `DoseRecordedOut`, what a dispensing system needs to reconcile; a caller who may read the record has
    the whole `DoseOut`), never a test of `request.auth` in a route."""
    user = getattr(request, "auth", None)
    by_token = isinstance(user, User) and accounts.token_in_use(user) is not None
    return policy.conflict_may_name_the_record(user, by_token=by_token)


def may_hear_the_refusal(request: HttpRequest) -> bool:
    """Lane fix27b (review 27b H5): whether a service's refusal of the request (a `FieldsInvalid` raised
    after the route's service read the record: "no active order for this medication", "this person's episode
    of care has ended", a take-home day) is said whole to a caller who may read the record
    (`may_hear_the_record`). To a staff token, on a write it may make (`token_may_write`) about a person (the
    dose at the window), `REFUSED_UNREAD`; on one that names no one (`reads_no_one`: a rule run) said whole,
    its refusals come from the body and the caller alone. A release's refusals (a bound token's, routes
    `releases_record`) stay as they are (reviews 22f, 22g: 403 or 422, nothing disclosed). The body's own
    shape (a missing or malformed field: pydantic's `ValidationError`, a body that is not JSON) is checked
    before the route runs and is always said: it says nothing of the record."""
    if may_hear_the_record(request):
        return True
    func = getattr(request, _ROUTE, None)
    if func is None or getattr(func, _USE, None) != policy.TokenUse.WRITE:
        return True
    return not _reads_a_person(request, func)


def release_token(request: HttpRequest) -> str | None:
    """The secret of the API token a release is asked with, for the release to check; None for a session."""
    return bearer_credential(request)


def refuse_release_credential(
    func: Callable[Concatenate[HttpRequest, P], R],
) -> Callable[Concatenate[HttpRequest, P], R]:
    """For `api.add_decorator(..., mode="operation")`: every operation, after authentication, asks
    `policy.bound_token_may`; a bound token on a route that does not release a record, and a staff member's
    token reading one that does not (review 25b, H1), are refused, audited."""
    use = getattr(func, _USE, policy.TokenUse.OTHER)

    @functools.wraps(func)
    def checked(request: HttpRequest, /, *args: P.args, **kwargs: P.kwargs) -> R:
        user = getattr(request, "auth", None)
        bound_to = accounts.token_bound_to(user) if isinstance(user, User) else ""
        by_token = isinstance(user, User) and accounts.token_in_use(user) is not None
        staff_reads = (
            request.method in _SAFE
            and _reads_a_person(request, func)
            and by_token
            and policy.token_is_staffs(user)
        )
        if not policy.bound_token_may(bound_to=bound_to, use=use, staff_reads=staff_reads, by_token=by_token):
            assert isinstance(user, User)
            reason, said = getattr(
                func, _REFUSAL, (RELEASE_CREDENTIAL if bound_to else STAFF_TOKEN, RELEASE_CREDENTIAL_SAID)
            )
            audit.record(
                actor=user,
                action=Action.DENIED,
                outcome=Outcome.DENIED,
                target_type="api_token",
                target_id=func.__name__[:200],
                reason=reason,
            )
            _refusal(request, said)
        return func(request, *args, **kwargs)

    return checked


# The caller's own account and record (review 25b, H1): a patient's own token reads them (their own access);
# a staff member's `/me` is their account.
_OWN = "/api/v1/me"


def _reads_a_person(request: HttpRequest, func: Callable[..., Any]) -> bool:
    """Whether a read may name people (review 25b, H1). Lane fix25e (review 25d H1: the dosing window listed
    people by a route with no `patient_id` and outside a deny-list of prefixes): every read does unless its
    route is marked `reads_no_one` or it is the caller's own (`/me`); a test walks every GET of the OpenAPI
    schema (tests/api/test_staff_token_reads_fix25e.py)."""
    if getattr(func, _NO_ONE, False):
        return False
    return not _own(request.path)


def _own(path: str) -> bool:
    return path == _OWN or path.startswith(_OWN + "/")


def _refusal(request: HttpRequest, said: str) -> NoReturn:
    raise ApiRefused(403, error_body(gettext(said)))
