"""Writes to a patient's record that belong to no feature app, one module per subdomain (like
`keel.treatment.services`):

- `registration`: admission at the front desk (the identity, a record number, the first episode of care);
- `contact`: contact details and the preferred language after registration;
- `care_team`: who is on a patient's care team (issue #18), one patient or many at once;
- `episodes`: discharge (a transfer is a disclosure under consent) and readmission;
- `deaths`: a death recorded by mistake, undone by a program admin (lane dead29b);
- `activation`: the one-time code a patient makes their account with; `password_reset`: the desk's reset code;
- `second_factor`: a patient's lost authenticator, removed by their care team;
- `flags`: resolving a patient's flags;
- `common`: the audited denials and the parsers of the desk's fields.

The pages' reads behind the same checks (the contact details, the past second-factor resets) are in
`keel.patients.queries`. Every name is re-exported here, so `from keel.patients import services` keeps
serving every caller; the shared error is `keel.patients.errors.NotAllowed` (also raised by
`keel.patients.photos`)."""

from keel.accounts.services.one_time_codes import CODE_ALPHABET, CODE_LENGTH
from keel.patients.errors import CodeNotMade, NotAllowed
from keel.patients.services.activation import (
    IssuedCode,
    activate,
    issue_activation_code,
)
from keel.patients.services.care_team import (
    MAX_BULK,
    add_many_to_care_team,
    add_to_care_team,
    remove_from_care_team,
)
from keel.patients.services.common import (
    CONFIRMATIONS,
    EARLIEST_BIRTH,
    LANGUAGES,
    MAX_EMAIL,
    MIN_PHONE_DIGITS,
    PHONE_FIELDS,
    REQUIRED,
    TEXT_LIMITS,
)
from keel.patients.services.contact import CONTACT_FIELDS, update_contact
from keel.patients.services.deaths import Undone, undo_death
from keel.patients.services.episodes import discharge, readmit
from keel.patients.services.flags import (
    NOT_ASKED,
    PRESCRIBER_ONLY,
    FlagChanged,
    FlagError,
    FlagNotAllowed,
    resolve_flag,
)
from keel.patients.services.password_reset import issue_reset_code, reset_password_with_code
from keel.patients.services.registration import Registration, likely_duplicates, register_patient
from keel.patients.services.second_factor import MAX_RESET_REASON, reset_second_factor

__all__ = [
    "CODE_ALPHABET",
    "CODE_LENGTH",
    "CONFIRMATIONS",
    "CONTACT_FIELDS",
    "EARLIEST_BIRTH",
    "LANGUAGES",
    "MAX_BULK",
    "MAX_EMAIL",
    "MAX_RESET_REASON",
    "MIN_PHONE_DIGITS",
    "NOT_ASKED",
    "PHONE_FIELDS",
    "PRESCRIBER_ONLY",
    "REQUIRED",
    "TEXT_LIMITS",
    "CodeNotMade",
    "FlagChanged",
    "FlagError",
    "FlagNotAllowed",
    "IssuedCode",
    "NotAllowed",
    "Registration",
    "Undone",
    "activate",
    "add_many_to_care_team",
    "add_to_care_team",
    "discharge",
    "issue_activation_code",
    "issue_reset_code",
    "likely_duplicates",
    "readmit",
    "register_patient",
    "remove_from_care_team",
    "reset_password_with_code",
    "reset_second_factor",
    "resolve_flag",
    "undo_death",
    "update_contact",
]
