"""A clinician's scope for one patient id, hand-written (`CLINICAL_SCOPE_WHERE`): the same answer as
`patients_visible_to` (care team or open emergency access, inside the clinician's programs), the program
joined and whether the clinician is off the care team (tests/access/test_scoped_patient_sql).
"""

from __future__ import annotations

from django.db import connection
from django.utils import timezone

from keel.access.policy.areas import Area, _active, areas_for_role
from keel.accounts.models import CLINICAL_ROLES, Program, User
from keel.db import rows
from keel.db.params import SQLParam
from keel.patients.models import (
    Patient,
)

_BIGINT = (-(2**63), 2**63 - 1)  # an id outside it matches no row (the ORM's answer; the driver would raise)
# patients_visible_to's scope for a clinician (care team or open emergency access, inside the clinician's
# programs, never a personal space) for one id, the program joined, and whether the clinician is off the
# care team: the ORM's statement in get_patient_or_404, hand-written (tests/access/test_scoped_patient_sql).
# The WHERE part on its own (CLINICAL_SCOPE_WHERE, its parameters from `clinical_scope_params`) is the same
# scope for a statement that reads more than the patient (the dosing window's swapped row, issue #13).
CLINICAL_SCOPE_WHERE = (
    'p."id" = %s AND p."program_id" IN (SELECT m."program_id" FROM "accounts_programmembership" m '
    'JOIN "accounts_program" q ON q."id" = m."program_id" WHERE m."user_id" = %s AND q."is_personal" = %s) '
    'AND (p."id" IN (SELECT c."patient_id" FROM "patients_careteammember" c WHERE c."user_id" = %s) '
    'OR p."id" IN (SELECT x."patient_id" FROM "patients_emergencyaccess" x WHERE x."user_id" = %s '
    'AND x."expires_at" > %s AND x."ended_at" IS NULL))'
)
_CLINICAL_SCOPE = (
    'FROM "patients_patient" p JOIN "accounts_program" g ON g."id" = p."program_id" WHERE '
    + CLINICAL_SCOPE_WHERE
    + " LIMIT 1"
)
OFF_TEAM = (
    'NOT EXISTS (SELECT 1 FROM "patients_careteammember" t '
    'WHERE t."user_id" = %s AND t."patient_id" = p."id")'
)


def clinical_scope_sql(user: User, area: Area, pk: int) -> bool:
    """Whether `patients_visible_to(user, area)` for the one id `pk` is CLINICAL_SCOPE_WHERE (a clinician,
    an area of the role, an id a bigint holds): the hand-written reads' condition; else the ORM answers."""
    return (
        _active(user)
        and user.role in CLINICAL_ROLES
        and area in areas_for_role(user.role)
        and (_BIGINT[0] <= pk <= _BIGINT[1])
    )


def clinical_scope_params(user: User, pk: int) -> list[SQLParam]:
    """CLINICAL_SCOPE_WHERE's parameters, in order (now: the emergency access's expiry)."""
    return [pk, user.pk, False, user.pk, user.pk, connection.ops.adapt_datetimefield_value(timezone.now())]


def _clinical_patient(user: User, pk: int) -> Patient | None:
    found = rows.fetch(
        _CLINICAL_SCOPE,
        [user.pk, *clinical_scope_params(user, pk)],
        (Patient, "p"),
        (Program, "g"),
        extra=(OFF_TEAM,),
    )
    if not found:
        return None
    patient, program, off_team = found[0]
    Patient.program.field.set_cached_value(patient, program)
    patient.keel_off_team = bool(off_team)
    return patient  # type: ignore[no-any-return]
