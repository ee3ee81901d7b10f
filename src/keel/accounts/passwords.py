"""Passwords (issue #18): changing one's own password while signed in (the current one again, Django's
validators, audited, every other session and every API token of the person end) and resetting a forgotten
one through an emailed link that works once and expires (Django's token generator: the token is bound to
the password hash and the last sign-in, so it stops working once used; PASSWORD_RESET_TIMEOUT from
KEEL_PASSWORD_RESET_MINUTES).

The answer to a reset request never says whether an account has the address. A reset does not sign anyone
in: the next sign-in asks for the second factor as always. Emails carry no health information."""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from django.utils.translation import gettext as _

from keel.accounts import mail, services
from keel.accounts.models import Role, User
from keel.audit import services as audit
from keel.audit.models import Action, Outcome
from keel.core.rules.inputs import FieldError, FieldsInvalid

MAX = services.MAX_PASSWORD_LENGTH


def _new_password_errors(user: User, new: str, again: str, field: str) -> list[FieldError]:
    if not isinstance(new, str) or not new:
        return [FieldError(field, _("this is required"))]
    if len(new) > MAX:
        return [FieldError(field, _("at most %(n)d characters") % {"n": MAX})]
    if new != again:
        return [FieldError(f"{field}_again", _("the two passwords differ"))]
    try:
        validate_password(new, user)
    except ValidationError as exc:
        return [FieldError(field, " ".join(exc.messages))]
    return []


def _tell(user: User, subject: str, body: str) -> None:
    if user.email:
        tell_address(user.email, subject, body)


def tell_address(address: str, subject: str, body: str) -> None:
    """A notice to `address` once the caller's transaction commits (a failed send audited, never raised)."""
    transaction.on_commit(lambda: mail.tell(address, subject, body))


def change_password(
    *, user: User, current: str, new: str, new_again: str, keep_session: str | None = None
) -> None:
    """Change one's own password: the current one first (counted by django-axes like a sign-in), then the
    new one through Django's validators. Every other session of the person ends; `keep_session` (the
    session the change was made in) stays. Every API token of theirs is revoked, the one the change was
    made with too (review 34d: each was made with the old password, as after the email reset)."""
    if not isinstance(user, User) or not user.is_active:
        raise FieldsInvalid([FieldError("current_password", _("sign in first"))])
    errors: list[FieldError] = []
    if not services.reauthenticate(user, current, purpose="password change"):
        errors.append(FieldError("current_password", _("that is not your current password")))
    errors += _new_password_errors(user, new, new_again, "new_password")
    if not errors and current == new:
        errors.append(FieldError("new_password", _("choose a password different from the current one")))
    if errors:
        raise FieldsInvalid(errors)
    with transaction.atomic():
        user.set_password(new)
        user.save(update_fields=["password"])
        ended = services.end_sessions(user, keep=keep_session)
        services.revoke_tokens(user)
        audit.record(
            actor=user,
            action=Action.UPDATE,
            target_type="user",
            target_id=user.pk,
            reason="password changed",
            detail={"sessions_ended": ended},
        )
        _tell(
            user,
            _("Your Keel password was changed"),
            _(
                "The password of your Keel account was just changed. "
                "If you did not do this, talk to your program's staff now."
            ),
        )


def _link_for(user: User, base_url: str) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return f"{base_url.rstrip('/')}/accounts/password/reset/{uid}/{token}/"


class TooManyResets(Exception):
    """Too many reset requests lately for this address or from this client (KEEL_PASSWORD_RESET_PER_*)."""


def request_reset(*, email: str, base_url: str, client: str | None = None) -> None:
    """Ask for reset links for an address. The request only checks the address, counts it against the
    limits (per address and per client, in the shared cache) and queues `send_reset_links`: the same work
    whether or not an account has the address, so neither the answer nor its time tells. TooManyResets past
    a limit. `client` is what the asker holds, `client_network` (an IPv6 client's /64, review 22q)."""
    from django.conf import settings
    from django.utils.translation import get_language

    from keel import ratelimit
    from keel.accounts.tasks import send_reset_links

    address = str(email or "").strip()
    try:
        validate_email(address)
    except ValidationError:
        raise FieldsInvalid(
            [FieldError("email", _("give an email address such as name@example.org"))]
        ) from None
    hour = 3600
    by_client = ratelimit.hit(
        "password-reset-client",
        client or "-",
        limit=settings.KEEL_PASSWORD_RESET_PER_CLIENT,
        period=hour,
    )
    by_address = ratelimit.hit(
        "password-reset-address",
        address.lower(),
        limit=settings.KEEL_PASSWORD_RESET_PER_ADDRESS,
        period=hour,
    )
    if not (by_client and by_address):
        audit.record(
            actor=None,
            action=Action.UPDATE,
            outcome=Outcome.FAILURE,
            target_type="password_reset",
            reason="too many requests",
        )
        raise TooManyResets()
    send_reset_links.enqueue(address, base_url, (get_language() or settings.LANGUAGE_CODE)[:2])


def _email_reset_link(user: User, base_url: str, minutes: int) -> bool:
    """Email one account its reset link; True when sent. A mail server that is down is audited (no address in
    the row), not told."""
    try:
        mail.send(
            user.email,
            _("Choose a new Keel password"),
            _(
                "Someone asked to choose a new password for the Keel account %(username)s.\n\n"
                "Open this link to choose one:\n%(link)s\n\n"
                "The link works once, for %(minutes)d minutes. "
                "If you did not ask for this, you can ignore this email; your password stays as it is."
            )
            % {"username": user.username, "link": _link_for(user, base_url), "minutes": minutes},
        )
    except mail.EmailNotSent:
        audit.record(
            actor=None,
            action=Action.UPDATE,
            outcome=Outcome.FAILURE,
            target_type="email",
            reason="password reset not sent",
        )
        return False
    return True


def send_reset_links(*, email: str, base_url: str) -> int:
    """Email a reset link to every active account with this address (run by the worker, from the queue);
    returns how many were sent. A mail server that is down is audited, not told."""
    from django.conf import settings

    address = str(email or "").strip()
    people = [
        u
        for u in User.objects.filter(email__iexact=address, is_active=True).exclude(role=Role.SELF_GUIDED)
        if u.has_usable_password()
    ]
    minutes = settings.KEEL_PASSWORD_RESET_MINUTES
    sent = 0
    for user in people:
        audit.record(
            actor=None,
            action=Action.UPDATE,
            target_type="password_reset",
            target_id=user.pk,
            reason="link sent",
        )
        sent += _email_reset_link(user, base_url, minutes)
    if not people:
        audit.record(
            actor=None,
            action=Action.UPDATE,
            outcome=Outcome.FAILURE,
            target_type="password_reset",
            reason="no active account has the address",
        )
    return sent


def user_for_link(uidb64: str, token: str) -> User | None:
    """The person a reset link is for, while it still works (unused, unexpired, account active)."""
    if not uidb64 or not token or len(uidb64) > 40 or len(token) > 100:
        return None
    try:
        pk = int(force_str(urlsafe_base64_decode(uidb64)))
    except (TypeError, ValueError, OverflowError, UnicodeDecodeError):
        return None
    user = User.objects.filter(pk=pk, is_active=True).exclude(role=Role.SELF_GUIDED).first()
    if user is None or not default_token_generator.check_token(user, token):
        return None
    return user


def reset_password(*, uidb64: str, token: str, password: str, password_again: str) -> User:
    """Set a new password through a reset link. The link then stops working (the token is bound to the old
    password hash); every session and token of the person ends; nobody is signed in."""
    with transaction.atomic():
        user = user_for_link(uidb64, token)
        if user is not None:
            user = User.objects.select_for_update().get(pk=user.pk)  # a double submit waits, then fails
            if not default_token_generator.check_token(user, token):
                user = None
        if user is None:
            raise FieldsInvalid([FieldError("link", _("this link no longer works; ask for a new one"))])
        errors = _new_password_errors(user, password, password_again, "password")
        if errors:
            raise FieldsInvalid(errors)
        user.set_password(password)
        user.save(update_fields=["password"])
        services.end_sessions(user)
        services.revoke_tokens(user)
        audit.record(
            actor=user, action=Action.UPDATE, target_type="user", target_id=user.pk, reason="password reset"
        )
        _tell(
            user,
            _("Your Keel password was changed"),
            _(
                "The password of your Keel account was just changed. "
                "If you did not do this, talk to your program's staff now."
            ),
        )
    return user
