"""Two-step sign-in codes (TOTP): enrolling a device, and the optional second factor of patients."""

from __future__ import annotations

import base64
import secrets

from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from keel.accounts.models import User
from keel.accounts.services.deactivation import end_sessions, revoke_tokens
from keel.accounts.services.errors import AccountError
from keel.audit import services as audit
from keel.audit.models import Action, Outcome
from keel.core.digits import ascii_digits
from keel.core.words import gettext_noop as N_


def totp_secret_base32_of_key(key_hex: str) -> str:
    """A hex TOTP key as authenticator apps expect it (RFC 4648 base32, no padding)."""
    return base64.b32encode(bytes.fromhex(key_hex)).decode().rstrip("=")


def totp_secret_base32(device: TOTPDevice) -> str:
    return totp_secret_base32_of_key(device.key)


def code_step(key_hex: str, code: str) -> int | None:
    """The time step (django-otp's `t`) at which a 6-digit code from an authenticator holding `key_hex`
    matches: now or one step either side (a phone's clock drifts); None when it matches none. The one check
    of a code against a key no device holds yet (an authenticator added at sign-in or on an invitation)."""
    from django_otp.oath import TOTP

    code = (code or "").strip().replace(" ", "")
    if not ascii_digits(code) or len(code) != 6:
        return None
    totp = TOTP(bytes.fromhex(key_hex))
    for drift in (-1, 0, 1):
        totp.drift = drift
        if secrets.compare_digest(f"{totp.token():06d}", code):
            return int(totp.t())
    return None


def enroll_totp(
    *, user: User, key_hex: str | None = None, code: str | None = None, keep: str | None = None
) -> TOTPDevice:
    """Give the user one confirmed TOTP device (replacing any other); return it. Tokens and sessions made
    before it end, except the session `keep` (`_new_second_factor`). `code`: the code the person typed to
    show the new authenticator holds `key_hex`; it is checked first (AccountError naming `code`, nothing
    written) and recorded as used on the device (`last_t`, django-otp's way; review 34d), so no route (a
    token, another browser's sign-in) takes it again."""
    used_step = None
    if code is not None:
        used_step = code_step(key_hex, code) if key_hex else None
        if used_step is None:
            raise AccountError("code", N_("that code did not work; wait for a new code and try again"))
    _new_second_factor(user, keep=keep)
    TOTPDevice.objects.filter(user=user).delete()
    device = TOTPDevice(user=user, name="default", confirmed=True)
    if key_hex is not None:
        device.key = key_hex
    if used_step is not None:
        device.last_t = used_step
    device.save()
    return device


def start_totp_enrollment(*, user: User) -> TOTPDevice:
    """A new, unconfirmed device to add to an authenticator app; the old one stays until this is confirmed.
    Only the session that gave the password may see or confirm it: it keeps `setup_marker(device)`."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name="pending", confirmed=False)


def setup_marker(device: TOTPDevice) -> str:
    """What the session that started a setup keeps (review 23o): a keyed digest of the pending key, so the
    session holds no secret and another session of the person (which never gave the password) has none."""
    from django.utils.crypto import salted_hmac

    return salted_hmac("keel.accounts.mfa-setup", f"{device.pk}:{device.key}").hexdigest()


def is_setup_of(device: TOTPDevice | None, marker: object) -> bool:
    """Whether `marker` (a session's) is the marker of this pending device."""
    from django.utils.crypto import constant_time_compare

    return (
        device is not None
        and isinstance(marker, str)
        and bool(marker)
        and constant_time_compare(marker, setup_marker(device))
    )


_NOT_GIVEN = object()


@transaction.atomic
def confirm_totp_enrollment(
    *, user: User, code: str, started: object = _NOT_GIVEN, keep: str | None = None
) -> bool:
    """Confirm the pending device with a code from the app; it replaces any earlier device. `started`: the
    marker the confirming session kept (`setup_marker`); a session whose marker is not the pending device's
    (another browser, which never gave the password) confirms nothing. The pending row is locked: one code
    confirms once. Every other session of the person ends, except `keep` (`_new_second_factor`)."""
    device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).first()
    if started is not _NOT_GIVEN and not is_setup_of(device, started):
        return False
    code = (code or "").strip().replace(" ", "")
    if device is None or not ascii_digits(code) or not device.verify_token(code):
        return False
    TOTPDevice.objects.filter(user=user, confirmed=True).delete()
    _new_second_factor(user, keep=keep)
    device.confirmed = True
    device.name = "default"
    device.save(update_fields=["confirmed", "name"])
    audit.record(actor=user, action=Action.UPDATE, target_type="mfa", target_id=user.pk, reason="enrolled")
    return True


def _new_second_factor(user: User, *, keep: str | None = None) -> None:
    """A second factor added or replaced ends every token made before it (review 22p): a token made by the
    password alone, or under a device the person no longer trusts, would otherwise keep reading the record
    without the code every new sign-in and token now need (SECURITY.md T16). It ends every session of the
    person too, except `keep` (the one that gave the new code), review 23o: a session that never gave a
    code was only paused by `RequireMFAMiddleware`, and came back if the factor was turned off again."""
    revoke_tokens(user)
    end_sessions(user, keep=keep)


@transaction.atomic
def disable_totp(*, user: User) -> None:
    """Turn two-step sign-in off. Only patients may: staff always need it."""
    if user.requires_mfa:
        raise AccountError("mfa", N_("staff accounts always use two-step sign-in"))
    TOTPDevice.objects.filter(user=user).delete()
    audit.record(actor=user, action=Action.UPDATE, target_type="mfa", target_id=user.pk, reason="disabled")


def refuse_disable_totp(*, user: User) -> None:
    """A staff member asked to turn two-step sign-in off: nothing changes; the refusal is audited."""
    audit.record(
        actor=user,
        action=Action.DENIED,
        outcome=Outcome.DENIED,
        target_type="mfa",
        target_id=user.pk,
        reason="staff always use two-step sign-in",
    )
