"""What a program's admins write about the program (issue #18), as field lists (no Django): an invitation to
its staff and its settings. Names, kinds, limits and help, published as each body's schema
(`keel.accounts.schemas`); the checks need Django (its email validator, the server's today) and run in
`keel.accounts.checks`, in these limits and choices."""

from __future__ import annotations

from keel.core.rules.inputs import Field

STAFF_ROLES = ("auditor", "counselor", "nurse", "peer_specialist", "prescriber", "program_admin")
MAX_NAME = 150
MAX_CONTACT_PHONE = 40
MAX_CONTACT_ADDRESS = 300
MAX_CLOSURE_DAYS = 100  # a floor of none, a ceiling of 100 listed days (two years of holidays and more)

INVITATION = (
    Field("email", "text"),
    Field("role", "choice", choices=STAFF_ROLES),
    Field("first_name", "text", required=False, default="", maximum=MAX_NAME),
    Field("last_name", "text", required=False, default="", maximum=MAX_NAME),
)

PROGRAM_SETTINGS = (
    Field("time_zone", "text", help="an IANA time zone such as America/Chicago"),
    Field("contact_phone", "text", required=False, default="", maximum=MAX_CONTACT_PHONE),
    Field("contact_address", "text", required=False, default="", maximum=MAX_CONTACT_ADDRESS),
)
# Beyond the field list: the dosing window's two wall-clock times (HH:MM in the program's zone, both or
# neither) and the closure days (ISO dates; a form's one text of them split on commas and spaces).
DOSING_HOURS_HELP = "HH:MM in the program's zone"
