"""Accounts: create people, enrol TOTP, check passwords and codes, issue and revoke API tokens; one module per
subdomain (callers import this package).

`people`: making accounts (a name in use refused alike on every route that makes one from a code or a
link: `refuse_name_in_use`) and checking who signs in; `totp`: two-step codes; `tokens`: personal access
tokens; `deactivation`: sessions and tokens ended, an account deactivated; `usernames`: one account per
username regardless of case; `one_time_codes`: the codes handed over by a person; `setup_codes`: the one
a second factor reset hands over; `issued_codes`: the patients' codes a staff member gave, voided as she
leaves; `setup`: the first program of a new database; `program_settings`: a program's settings; `errors`:
`AccountError`.
"""

from __future__ import annotations

from keel.accounts.services.deactivation import (
    PENDING_SIGN_IN,
    deactivate_user,
    end_sessions,
    revoke_tokens,
    void_setup_codes,
)
from keel.accounts.services.errors import AccountError
from keel.accounts.services.issued_codes import void_codes_issued_by
from keel.accounts.services.people import (
    MAX_PASSWORD_LENGTH,
    NameInUse,
    account_error,
    check_password,
    create_user,
    programs_of,
    reauthenticate,
    record_failed_login,
    refuse_name_in_use,
    refused_account,
    sign_in_name,
    verify_totp,
)
from keel.accounts.services.program_settings import (
    SETTINGS_FIELDS,
    SettingsSaved,
    closure_bottles_words,
    update_program_settings,
)
from keel.accounts.services.setup import SetupResult, otpauth_uri, setup_first_program
from keel.accounts.services.setup_codes import (
    SETUP_CODE_TRIES,
    IssuedSetupCode,
    enroll_with_setup_code,
    issue_setup_code,
)
from keel.accounts.services.tokens import (
    TOKEN_NOT_THEIRS,
    TOKEN_PREFIX,
    IssuedToken,
    bind_token_recipient,
    create_token,
    revoke_token,
    token_bound_to,
    token_id,
    token_in_use,
    token_recipient,
    token_releases_to,
    user_for_token,
)
from keel.accounts.services.totp import (
    code_step,
    confirm_totp_enrollment,
    disable_totp,
    enroll_totp,
    is_setup_of,
    refuse_disable_totp,
    setup_marker,
    start_totp_enrollment,
    totp_secret_base32,
    totp_secret_base32_of_key,
)
from keel.accounts.services.usernames import (
    account_named,
    save_new_user,
    username_case_duplicates,
    username_taken,
)

__all__ = [
    "MAX_PASSWORD_LENGTH",
    "PENDING_SIGN_IN",
    "SETTINGS_FIELDS",
    "SETUP_CODE_TRIES",
    "TOKEN_NOT_THEIRS",
    "TOKEN_PREFIX",
    "AccountError",
    "IssuedSetupCode",
    "IssuedToken",
    "NameInUse",
    "SettingsSaved",
    "SetupResult",
    "account_error",
    "account_named",
    "bind_token_recipient",
    "check_password",
    "closure_bottles_words",
    "code_step",
    "confirm_totp_enrollment",
    "create_token",
    "create_user",
    "deactivate_user",
    "disable_totp",
    "end_sessions",
    "enroll_totp",
    "enroll_with_setup_code",
    "is_setup_of",
    "issue_setup_code",
    "otpauth_uri",
    "programs_of",
    "reauthenticate",
    "record_failed_login",
    "refuse_disable_totp",
    "refuse_name_in_use",
    "refused_account",
    "revoke_token",
    "revoke_tokens",
    "save_new_user",
    "setup_first_program",
    "setup_marker",
    "sign_in_name",
    "start_totp_enrollment",
    "token_bound_to",
    "token_id",
    "token_in_use",
    "token_recipient",
    "token_releases_to",
    "totp_secret_base32",
    "totp_secret_base32_of_key",
    "update_program_settings",
    "user_for_token",
    "username_case_duplicates",
    "username_taken",
    "verify_totp",
    "void_codes_issued_by",
    "void_setup_codes",
]
