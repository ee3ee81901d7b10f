"""The treatment API's program policy: the values in force with their provenance and bounds, a value set,
and a person's own policy value (`PolicyValue`: a number, a choice's text, or null).
"""

from __future__ import annotations

from pydantic import Field

from keel.schemas import In, Out

# A program policy value: a number (an int stays an int, 8.0 stays 8.0), a choice's text, or null (no limit).
PolicyValue = int | float | str | None


class PolicyValueOut(Out):
    rule: str
    field: str
    label: str  # the field's plain words, in the request's language (the key stays in `field`)
    value: PolicyValue  # in force
    default: PolicyValue
    provenance: str
    stricter_is: str | None
    floor: int | float | None
    ceiling: int | float | None
    bounds: str
    set_value_not_in_force: PolicyValue
    set_by: str | None  # the username (integrators)
    # who set it as a person reads it: their full name, else their role, in the request's language; never a
    # username (lane words34, as `corrected_by_name`)
    set_by_name: str | None
    set_at: str | None  # ISO datetime
    reason: str


class ProgramPolicyOut(Out):
    program: str  # slug
    values: list[PolicyValueOut]


class PolicySetOut(Out):
    rule: str
    field: str
    value: PolicyValue
    set_at: str  # ISO datetime


class PatientPolicyOut(Out):
    id: int
    rule: str
    field: str
    value: PolicyValue


class PatientPolicyIn(In):
    rule: str
    field: str
    value: object  # of the field's kind (a number, a choice, null): checked by the core against its limit
    reason: str


class PolicyIn(In):
    value: object = Field(description="the new value (null: no program limit, where the rule allows it)")
    reason: str = Field(description="why the program changes it (kept in the history and the audit trail)")
