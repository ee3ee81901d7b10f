"""What the front desk and the care team write about a patient's record, checked (no Django): each body's
field list (`FIELDS`-style tuples of `keel.core.rules.inputs.Field`) and, where the checks go beyond the
list, its parser naming every bad field at once in the words the pages translate (`N_`, `FieldError.said`).

- **Activation code (issue #18):** the code a patient makes their own account with, shown at the desk and,
  when asked, also sent to the record's phone or email (anything but true: not sent).
- **Password reset code (issue #18):** the desk gives a patient who forgot their password a one-time code
  once it has checked who they are (the identity check confirmed).
- **Second factor reset (issue #18):** a clinician on the care team removes a patient's authenticator after
  checking who they are: the identity check confirmed and a reason, 3 to `MAX_RESET_REASON` characters.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from keel.core.rules.inputs import Field, FieldError, InvalidInput
from keel.core.words import gettext_noop as N_

MAX_RESET_REASON = 500
# A box ticked on a page posts "on"; the API sends true.
_TICKED = (True, "on", "true", "1")
CHECK_IDENTITY = N_("check who the person is first, then confirm it here")

ACTIVATION_CODE = (
    Field("send_by_text", "bool", required=False, default=False, help="also text it to the record's phone"),
    Field("send_by_email", "bool", required=False, default=False, help="also email it to the record's email"),
)
RESET_CODE = (Field("identity_checked", "bool", help="must be true: you checked who the person is"),)

SECOND_FACTOR_RESET = (
    Field("reason", "text", maximum=MAX_RESET_REASON, help="why, in a few words (3 characters at least)"),
    Field("identity_checked", "bool", help="must be true: you checked who the person is"),
)


def parse_second_factor_reset(raw: Mapping[str, Any]) -> dict[str, Any]:
    """The reason (text, spaces folded) and the identity check; InvalidInput names each missing one."""
    errors: list[FieldError] = []
    value = raw.get("reason")
    reason = " ".join(value.split()) if isinstance(value, str) else ""
    if value is not None and not isinstance(value, str):  # review 13a: true was the reason "True"
        errors.append(FieldError("reason", N_("must be text")))
    elif len(reason) < 3:
        errors.append(FieldError("reason", N_("say why, in a few words")))
    elif len(reason) > MAX_RESET_REASON:
        errors.append(FieldError.said("reason", N_("at most %(n)s characters"), n=MAX_RESET_REASON))
    if raw.get("identity_checked") not in _TICKED:
        errors.append(FieldError("identity_checked", CHECK_IDENTITY))
    if errors:
        raise InvalidInput(errors)
    return {"reason": reason, "identity_checked": True}


def parse_reset_code(raw: Mapping[str, Any]) -> dict[str, Any]:
    """The identity check confirmed; InvalidInput names it when it is not."""
    if raw.get("identity_checked") not in _TICKED:
        raise InvalidInput([FieldError("identity_checked", CHECK_IDENTITY)])
    return {"identity_checked": True}


def parse_activation_code(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Whether the code also goes by text message and by email: only when asked with true."""
    return {
        "send_by_text": raw.get("send_by_text") is True,
        "send_by_email": raw.get("send_by_email") is True,
    }
