"""What the front desk and the care team write about a patient's record, checked (no Django): each body's
field list (`FIELDS`-style tuples of `keel.core.rules.inputs.Field`) and, where the checks go beyond the
list, its parser naming every bad field at once in the words the pages translate (`N_`, `FieldError.said`).

- **Activation code (issue #18):** the code a patient makes their own account with, shown at the desk and,
  when asked, also sent to the record's phone or email (anything but true: not sent).
- **Password reset code (issue #18):** the desk gives a patient who forgot their password a one-time code
  once it has checked who they are (the identity check confirmed).
- **Second factor reset (issue #18):** a clinician on the care team removes a patient's authenticator after
  checking who they are: the identity check confirmed and a reason of substance (`reason_problem`, the one
  check of a typed reason, review 23s: "lost phone" is one, "xxx", "TBD", "later" are not), at most
  `MAX_RESET_REASON` characters.
- **A death recorded by mistake, undone:** a program admin says why, in words of substance (`reason_problem`),
  at most `MAX_UNDO_DEATH_REASON` characters.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypedDict

from keel.core.reasons import reason_problem, reason_text
from keel.core.rules.inputs import Field, FieldError, InvalidInput
from keel.core.text import visible_length
from keel.core.words import gettext_noop as N_

MAX_RESET_REASON = 500
# A box ticked on a page posts "on"; the API sends true.
_TICKED = (True, "on", "true", "1")
CHECK_IDENTITY = N_("check who the person is first, then confirm it here")


class SecondFactorReset(TypedDict):
    """A second factor reset as checked: the reason as measured, the identity check, the password as text."""

    reason: str
    identity_checked: bool
    password: str


class UndoDeath(TypedDict):
    """Why a death recorded by mistake is undone, as measured."""

    reason: str


class ResetCode(TypedDict):
    """The identity check confirmed before a password reset code."""

    identity_checked: bool


class ActivationCode(TypedDict):
    """Whether an activation code also goes by text message and by email."""

    send_by_text: bool
    send_by_email: bool


ACTIVATION_CODE = (
    Field("send_by_text", "bool", required=False, default=False, help="also text it to the record's phone"),
    Field("send_by_email", "bool", required=False, default=False, help="also email it to the record's email"),
)
RESET_CODE = (Field("identity_checked", "bool", help="must be true: you checked who the person is"),)

SECOND_FACTOR_RESET = (
    Field(
        "reason",
        "text",
        maximum=MAX_RESET_REASON,
        help="why, in words of substance (a reason, as every reason Keel asks)",
    ),
    Field("identity_checked", "bool", help="must be true: you checked who the person is"),
    # review 20b: the clinician's own password again before an MFA change (SECURITY.md); the service checks it
    # through the lockout (a missing one is a failed re-authentication too), the parse only keeps it as text
    Field("password", "text", required=False, default="", help="your password again: an MFA change"),
)


def parse_second_factor_reset(raw: Mapping[str, object]) -> SecondFactorReset:
    """The reason (as measured: `reason_text`) and the identity check; InvalidInput names each missing one.
    The reason is a reason of substance (`reason_problem`, review 23s): removing a patient's second factor
    leaves the account guarded by its password alone, and the record of why says something."""
    errors: list[FieldError] = []
    value = raw.get("reason")
    reason = reason_text(value) if isinstance(value, str) else ""  # kept as measured (review 24r)
    if value is not None and not isinstance(value, str):  # review 13a: true was the reason "True"
        errors.append(FieldError("reason", N_("must be text")))
    elif not visible_length(reason):
        errors.append(FieldError("reason", N_("say why, in a few words")))
    elif len(reason) > MAX_RESET_REASON:
        errors.append(FieldError.said("reason", N_("at most %(n)s characters"), n=MAX_RESET_REASON))
    elif reason_problem(reason):
        errors.append(FieldError("reason", reason_problem(reason)))
    if raw.get("identity_checked") not in _TICKED:
        errors.append(FieldError("identity_checked", CHECK_IDENTITY))
    if errors:
        raise InvalidInput(errors)
    password = raw.get("password")
    return {
        "reason": reason,
        "identity_checked": True,
        "password": password if isinstance(password, str) else "",
    }


MAX_UNDO_DEATH_REASON = 500
UNDO_DEATH = (
    Field(
        "reason",
        "text",
        maximum=MAX_UNDO_DEATH_REASON,
        help="why the death was recorded by mistake, in words of substance (as every reason Keel asks)",
    ),
)


def parse_undo_death(raw: Mapping[str, object]) -> UndoDeath:
    """The reason a death recorded by mistake is undone (as measured: `reason_text`), required, at most
    `MAX_UNDO_DEATH_REASON` characters and of substance (`reason_problem`); InvalidInput names `reason`."""
    value = raw.get("reason")
    reason = reason_text(value) if isinstance(value, str) else ""
    if value is not None and not isinstance(value, str):
        problem: str | None = N_("must be text")
    elif not visible_length(reason):
        problem = N_("say why, in a few words")
    elif len(reason) > MAX_UNDO_DEATH_REASON:
        raise InvalidInput(
            [FieldError.said("reason", N_("at most %(n)s characters"), n=MAX_UNDO_DEATH_REASON)]
        )
    else:
        problem = reason_problem(reason)
    if problem:
        raise InvalidInput([FieldError("reason", problem)])
    return {"reason": reason}


def parse_reset_code(raw: Mapping[str, object]) -> ResetCode:
    """The identity check confirmed; InvalidInput names it when it is not."""
    if raw.get("identity_checked") not in _TICKED:
        raise InvalidInput([FieldError("identity_checked", CHECK_IDENTITY)])
    return {"identity_checked": True}


def parse_activation_code(raw: Mapping[str, object]) -> ActivationCode:
    """Whether the code also goes by text message and by email: only when asked with true."""
    return {
        "send_by_text": raw.get("send_by_text") is True,
        "send_by_email": raw.get("send_by_email") is True,
    }


# --- Admission, contact details, episodes, care teams (issue #18) ------------------------------------------
# The field lists of the desk's other writes: names, kinds, limits and help, published as each body's schema
# (`keel.patients.schemas`). Their checks need the program (today in its zone, the programs a person
# registers in, the record's current contact) and Django's email validator, so they run in
# `keel.patients.checks`, in these lists' limits and choices and in the words the desk has always used.

TEXT_LIMITS = {
    "given_name": 100,
    "family_name": 100,
    "preferred_name": 100,
    "pronouns": 40,
    "phone": 40,
    "address_line": 200,
    "city": 100,
    "region": 100,
    "postal_code": 20,
    "emergency_contact_name": 100,
    "emergency_contact_relationship": 60,
    "emergency_contact_phone": 40,
}
REQUIRED_NAMES = ("given_name", "family_name")
MAX_EMAIL = 254
MAX_RECORD_NUMBER = 32
LANGUAGES = ("en", "es")  # the languages Keel writes messages in (settings.LANGUAGES)
GENDERS = ("male", "female", "other", "unknown")  # FHIR administrative gender (patients.AdministrativeGender)
BIRTH_SEXES = ("", "F", "M", "UNK")  # US Core birth sex, blank: never asked (patients.BirthSex)
EPISODE_KINDS = ("otp", "obot", "counseling")  # patients.EpisodeKind
END_REASONS = (
    "completed",
    "transferred",
    "left",
    "administrative",
    "deceased",
    "other",
)  # patients.EndReason
MAX_BULK = 200  # patients put on a care team at once

_HELP = {"region": "state or region"}
_NOTICE = "must be true: the person received the Part 2 patient notice (42 CFR 2.22)"
_CONSENTED = "must be true: the person consented to treatment"


def _text(name: str, *, required: bool = False) -> Field:
    limit = TEXT_LIMITS[name]
    if required:
        return Field(name, "text", maximum=limit, help=_HELP.get(name, ""))
    return Field(name, "text", required=False, default="", maximum=limit, help=_HELP.get(name, ""))


REGISTRATION = (
    Field(
        "program", "text", required=False, default="", help="program slug (needed when you work in several)"
    ),
    _text("given_name", required=True),
    _text("family_name", required=True),
    _text("preferred_name"),
    _text("pronouns"),
    Field("date_of_birth", "date"),
    Field("gender", "choice", required=False, choices=GENDERS, default="unknown"),
    Field("birth_sex", "choice", required=False, choices=BIRTH_SEXES, default=""),
    _text("phone"),
    Field(
        "preferred_language",
        "choice",
        required=False,
        choices=LANGUAGES,
        help="messages to the patient are written in it (blank: the program's)",
    ),
    Field(
        "record_number",
        "text",
        required=False,
        default="",
        maximum=MAX_RECORD_NUMBER,
        help="blank: the next number",
    ),
    Field("started_on", "date", required=False, help="blank: today"),
    Field("not_a_duplicate", "bool", required=False, default=False),
    _text("address_line"),
    _text("city"),
    _text("region"),
    _text("postal_code"),
    Field("email", "text", required=False, default="", maximum=MAX_EMAIL),
    _text("emergency_contact_name"),
    _text("emergency_contact_relationship"),
    _text("emergency_contact_phone"),
    Field("episode_kind", "choice", choices=EPISODE_KINDS),
    Field("notice_given", "bool", help=_NOTICE),
    Field("consented", "bool", help=_CONSENTED),
)

# What the front desk may change after registration: how to reach the person and what they are called (names
# of record, birth date, sex and the record number are not changed here); each given or left as it is.
CONTACT_FIELDS = (
    "preferred_name",
    "pronouns",
    "phone",
    "email",
    "address_line",
    "city",
    "region",
    "postal_code",
    "emergency_contact_name",
    "emergency_contact_relationship",
    "emergency_contact_phone",
    "preferred_language",
)
_BY_NAME = {f.name: f for f in REGISTRATION}
CONTACT = (
    *(
        Field(
            n,
            _BY_NAME[n].kind,
            False,
            _BY_NAME[n].choices,
            maximum=_BY_NAME[n].maximum,
            help=_BY_NAME[n].help,
        )
        for n in CONTACT_FIELDS
    ),
    Field("version", "integer", required=False, help="the record's version you read (409 if it changed)"),
)

DISCHARGE = (
    Field("ended_on", "date", required=False, help="blank: today"),
    Field("reason", "choice", choices=END_REASONS),
)
# A transfer ("transferred") is a disclosure: these parts go as they are to the sharing app's check.
TRANSFER_PARTS = {
    "recipient_name": "transferred: the receiving program, as the patient's consent names it",
    "consent": "transferred: the patient's consent (live, not revoked) covering the whole record",
    "purpose": "transferred: the consent's purpose (blank: treatment)",
    "purpose_text": "",
    "password": "transferred: your password again (a record leaves)",
}

READMISSION = (
    Field("started_on", "date", required=False, help="blank: today"),
    Field(
        "episode_kind",
        "choice",
        required=False,
        choices=EPISODE_KINDS,
        help="blank: the kind of the last episode",
    ),
    Field(
        "notice_given",
        "bool",
        help="must be true: the person received the Part 2 patient notice again (42 CFR 2.22)",
    ),
    Field("consented", "bool", help=_CONSENTED),
)


def email_domain_ok(email: str) -> bool:
    """Reminders and codes go to this address: a dotted domain name, not a bare host (a@localhost) or an IP
    literal (a@[127.0.0.1]), which Django's validator lets through."""
    domain = email.rpartition("@")[2]
    return "." in domain and not domain.startswith("[")
