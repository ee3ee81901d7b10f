"""One person's row swapped in after a dose (`dosing_row`, `row_after_dose`): one hand-written statement
held to the list's row."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from django.db import connection

from keel.access import policy
from keel.access.errors import ClinicalNotAllowed
from keel.access.policy import Area
from keel.accounts.models import Program, User
from keel.db import rows
from keel.patients.models import EnrollmentStatus, Patient, local_today
from keel.treatment.models import (
    IN_FORCE_SQL,
    MAY_BE_IN_FORCE_SQL,
    DoseRecord,
    DoseStatus,
    Medication,
    MedicationOrder,
    OrderStatus,
    in_force_params,
)
from keel.treatment.queries.contexts import (
    _Reads,
    context_after_dose,
    dose_context,
)
from keel.treatment.queries.doses import MISS_LOOKBACK
from keel.treatment.queries.take_homes import ADMISSION_DAY_SQL, admission_day_of
from keel.treatment.queries.window.listing import dosing_list
from keel.treatment.queries.window.row_status import (
    WINDOW_MEDICATIONS,
    DosingRow,
    _days_around,
    _row_status,
    _with_held_bottle,
)

# One person's row of the window for a clinician, in one hand-written statement (issue #13: the row swapped
# in after each dose): `dosing_list`'s scoped patient (policy.CLINICAL_SCOPE_WHERE) with its program, on the
# list only with an active order of the medication (joined: one per medication, a constraint) and an active
# enrollment; whether it has a photo, its open flags and whether the clinician is off its care team (the list
# audit row's emergency access) as expressions. tests/treatment/test_dosing_row_sql.py holds it to the list.
# B608/S608 waived: constant text only (this statement and the policy's scope); every value is a parameter.
_ACTIVE_ENROLLMENT = (
    'EXISTS (SELECT 1 FROM "patients_enrollment" e WHERE e."patient_id" = p."id" AND e."status" = %s)'
)


_ROW = (
    'FROM "patients_patient" p JOIN "accounts_program" g ON g."id" = p."program_id" '  # nosec B608
    'JOIN "treatment_medicationorder" o ON o."patient_id" = p."id" '
    'AND o."medication" = %s AND '
    + MAY_BE_IN_FORCE_SQL
    + " WHERE "
    + policy.CLINICAL_SCOPE_WHERE
    + " AND "
    + _ACTIVE_ENROLLMENT
    + ' ORDER BY o."id" DESC LIMIT 1'
)


_ROW_EXTRA = (
    'EXISTS (SELECT 1 FROM "patients_patientphoto" f WHERE f."patient_id" = p."id")',
    '(SELECT COUNT(*) FROM "patients_patientflag" k '
    'WHERE k."patient_id" = p."id" AND k."resolved_at" IS NULL)',
    policy.OFF_TEAM,
    *ADMISSION_DAY_SQL,  # the override and the program's setting the row's day in treatment counts from
)


def dosing_row(
    user: User, *, patient_id: int, medication: str, now: datetime | None = None
) -> DosingRow | None:
    """One person's row of today's window (the row swapped in after a dose): `dosing_list`'s row for that
    person and medication, with the same list audit row (naming the person, or no one). A clinician's row is
    read in one hand-written statement plus the person's `dose_context`; anyone else's through the list."""
    if not policy.can_record_dose(user) and not policy.can_prescribe(user):
        raise ClinicalNotAllowed("The dosing list is for nurses and prescribers.")
    if medication not in WINDOW_MEDICATIONS or not policy.clinical_scope_sql(user, Area.CLINICAL, patient_id):
        for row in dosing_list(user, medication=medication, now=now, patient_id=patient_id):
            if row.patient.pk == patient_id:
                return row
        return None
    found = _fetch_row(user, medication, now, patient_id)
    if not found:
        policy.audit_list_read(user, target_type="dosing_list", patient_ids=[], emergency_ids=[])
        return None
    patient, program, order, has_photo, open_flags, off_team, override, setting = found[0]
    Patient.program.field.set_cached_value(patient, program)
    patient.has_photo = bool(has_photo)
    today = local_today(patient, now)
    if (
        order.deferred and order.starts_on > today
    ):  # the newest order that may be in force starts tomorrow here: read the list
        return next(
            (r for r in dosing_list(user, medication=medication, now=now, patient_id=patient_id)), None
        )
    if order.status == OrderStatus.STOPPED:
        policy.audit_list_read(user, target_type="dosing_list", patient_ids=[], emergency_ids=[])
        return None
    row = replace(
        _row_of(patient, order, int(open_flags), medication, today),
        admission_day_number=admission_day_of(override, setting),
    )
    policy.audit_list_read(
        user,
        target_type="dosing_list",
        patient_ids=[patient.pk],
        emergency_ids=[patient.pk] if off_team else [],
        programs={patient.pk: patient.program_id},
    )
    return row


def _fetch_row(user: User, medication: str, now: datetime | None, patient_id: int) -> list[tuple[Any, ...]]:
    """The clinician's row in one hand-written statement (`_ROW`): the person, the program, the newest order,
    whether a photo is on file, the open flags, whether the person is off the clinician's team, and the
    stored override and program setting of `admission_day_number` (`take_homes.ADMISSION_DAY_SQL`)."""
    return rows.fetch(
        _ROW,
        [
            user.pk,  # OFF_TEAM
            medication,
            *map(connection.ops.adapt_datefield_value, _days_around(now)),
            *policy.clinical_scope_params(user, patient_id),
            EnrollmentStatus.ACTIVE,
        ],
        (Patient, "p"),
        (Program, "g"),
        (MedicationOrder, "o"),
        extra=_ROW_EXTRA,
    )


def _row_of(
    patient: Patient, order: MedicationOrder, open_flags: int, medication: str, today: date
) -> DosingRow:
    """The person's row from the order and today's dose context: its status (every take-home plan read,
    review 25c hole 3) and a bottle held back at the window."""
    ctx = dose_context(patient, medication, today)
    plan = ctx.take_home if medication == Medication.METHADONE else None
    status = _row_status(ctx, plan is not None and today in ctx.take_home_days)
    return _with_held_bottle(
        DosingRow(patient, order, ctx, plan, open_flags, status == "due", status, medication)
    )


@dataclass(frozen=True)
class RecordedDose:
    """A dose just saved at the window, with what it read before (`record_dose`'s `then`): the row swapped in
    after it is told from these (`row_after_dose`)."""

    patient: Patient  # scoped for the dose (its program joined, `keel_off_team` set)
    order: MedicationOrder  # the active order the dose was given against
    medication: str
    today: date
    reads: _Reads  # the day's context as the dose read it (`dose_context_and_reads`)
    dose: DoseRecord


# What the row needs beyond the dose's own reads, in one statement after the dose's write (in its transaction
# on SQLite): the photo flag, the open flags (a hold just raised one), whether the clinician is off the care
# team (the list audit row's emergency access) and, to know nothing changed since the dose read the day, how
# many doses of this medication and amendments of them the person has from the context's first day (a second
# nurse's dose meanwhile: the row is read again). tests/treatment/test_row_after_dose.py holds it to the
# reads. B608/S608 waived: constant text only; every value is a parameter.
_AFTER_DOSE = (
    "SELECT "  # noqa: S608 # nosec B608
    + ", ".join(
        (
            *_ROW_EXTRA,
            '(SELECT COUNT(*) FROM "treatment_doserecord" d WHERE d."patient_id" = p."id" '
            'AND d."medication" = %s AND d."local_date" >= %s)',
            '(SELECT COUNT(*) FROM "treatment_doseamendment" a JOIN "treatment_doserecord" d '
            'ON d."id" = a."dose_id" WHERE d."patient_id" = p."id" AND d."medication" = %s '
            'AND d."local_date" >= %s)',
            # what else the row shows, as it is now (review 21b: an order written, a discharge or a take-home
            # decision committed while the dose was recorded): the order in force today (`IN_FORCE_SQL`),
            # whether an episode is open, and the newest take-home plan and whether it has ended
            '(SELECT o."id" FROM "treatment_medicationorder" o WHERE o."patient_id" = p."id" '  # noqa: S608
            'AND o."medication" = %s AND ' + IN_FORCE_SQL + " "  # nosec B608
            'ORDER BY o."created_at" DESC, o."id" DESC LIMIT 1)',
            '(SELECT MAX(e."id") FROM "patients_enrollment" e WHERE e."patient_id" = p."id" '
            'AND e."ended_on" IS NULL)',
            '(SELECT COUNT(*) FROM "treatment_takehomeplan" t WHERE t."patient_id" = p."id" AND t."id" > %s)',
            '(SELECT COUNT(*) FROM "treatment_takehomeplan" t WHERE t."patient_id" = p."id" AND t."id" <= %s '
            'AND t."ended_on" IS NULL)',
        )
    )
    + ' FROM "patients_patient" p WHERE p."id" = %s'
)


def row_after_dose(user: User, recorded: RecordedDose, *, now: datetime | None = None) -> DosingRow | None:
    """The row `dosing_row` reads right after a dose, told from the dose's own reads and the new dose, with
    the same list audit row, in one statement (`_AFTER_DOSE`) instead of the row's three. None (and no audit
    row): it cannot be told that way (another day by now, a dose that may start the episode, a role or id
    `dosing_row` reads through the list, or the person's doses changed since the dose read them): the caller
    reads it with `dosing_row`. tests/treatment/test_row_after_dose.py holds it to `dosing_row`."""
    patient, medication = recorded.patient, recorded.medication
    if (
        medication not in WINDOW_MEDICATIONS
        or not (policy.can_record_dose(user) or policy.can_prescribe(user))
        or not policy.clinical_scope_sql(user, Area.CLINICAL, patient.pk)
        or local_today(patient, now) != recorded.today
    ):
        return None
    ctx = context_after_dose(patient, medication, recorded.today, recorded.reads, recorded.dose)
    if ctx is None:
        return None
    read = _read_after_dose(user, recorded)
    if read is None:
        return None
    has_photo, open_flags, off_team, override, setting = read
    patient.has_photo = bool(has_photo)  # type: ignore[attr-defined]
    plan = ctx.take_home if medication == Medication.METHADONE else None
    status = _row_status(ctx, plan is not None and recorded.today in ctx.take_home_days)
    row = _with_held_bottle(
        DosingRow(
            patient,
            recorded.order,
            ctx,
            plan,
            int(open_flags),
            status == "due",
            status,
            medication,
            admission_day_number=admission_day_of(override, setting),
        )
    )
    policy.audit_list_read(
        user,
        target_type="dosing_list",
        patient_ids=[patient.pk],
        emergency_ids=[patient.pk] if off_team else [],
        programs={patient.pk: patient.program_id},
    )
    return row


def _read_after_dose(user: User, recorded: RecordedDose) -> tuple[bool, int, bool, object, object] | None:
    """`_AFTER_DOSE`'s read for `row_after_dose`: the row's photo, open flags, off-team and the stored values
    of `admission_day_number` (`ADMISSION_DAY_SQL`), or None when the person's doses, amendments, order,
    episode or take-home plans changed since the dose read them."""
    patient, medication = recorded.patient, recorded.medication
    since = connection.ops.adapt_datefield_value(recorded.today - timedelta(days=MISS_LOOKBACK))
    plans = [plan for plan in recorded.reads.plans if plan.patient_id == patient.pk]
    newest_plan = max((plan.pk for plan in plans), default=0)
    with connection.cursor() as cursor:
        cursor.execute(
            _AFTER_DOSE,
            (
                user.pk,
                *(medication, since) * 2,
                medication,
                *in_force_params(recorded.today),
                newest_plan,
                newest_plan,
                patient.pk,
            ),
        )
        found = cursor.fetchone()
    has_photo, open_flags, off_team, override, setting = found[:5]
    doses, amendments, order_id, episode_id, new_plans, open_plans = found[5:]
    before = recorded.reads.doses[patient.pk]
    amended = sum(len(recorded.reads.amended.get(d.pk, ())) for d in before)
    if doses != len(before) + 1 or amendments != amended:
        return None  # another dose or amendment meanwhile: read the row again
    held = recorded.dose.status == DoseStatus.HELD  # a hold ends the plans itself (told from the dose)
    if (
        order_id != recorded.order.pk
        or episode_id != recorded.reads.episodes_of.get(patient.pk, (None,))[0]
        or new_plans
        or (not held and open_plans != sum(1 for plan in plans if plan.ended_on is None))
    ):
        return None  # an order, an episode or a take-home plan changed meanwhile: read the row again
    return bool(has_photo), int(open_flags), bool(off_team), override, setting
