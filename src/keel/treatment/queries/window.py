"""Today's dosing window: the list (`dosing_list`) and one person's row swapped in after a dose
(`dosing_row`, one hand-written statement held to the list's row)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import connection
from django.db.models import Count

from keel.access import policy
from keel.access.policy import Area
from keel.accounts.models import Program, User
from keel.assessments.services import NotAllowed
from keel.db import rows
from keel.patients.models import EnrollmentStatus, Patient, PatientFlag, local_today
from keel.patients.queries import with_has_photo
from keel.treatment.models import (
    DoseRecord,
    DoseStatus,
    Medication,
    MedicationOrder,
    OrderStatus,
    TakeHomePlan,
)
from keel.treatment.queries.contexts import _Reads, context_after_dose, dose_context, dose_contexts
from keel.treatment.queries.doses import MISS_LOOKBACK, DoseContext
from keel.treatment.queries.take_home_plans import plan_days


@dataclass(frozen=True)
class DosingRow:
    patient: Patient
    order: MedicationOrder
    today: DoseContext
    take_home: TakeHomePlan | None
    open_flags: int
    due: bool
    status: str  # due, given, held, take_home
    medication: str = Medication.METHADONE


WINDOW_MEDICATIONS = (Medication.METHADONE, Medication.BUPRENORPHINE)


def dosing_list(
    user: User, *, medication: str | None = None, now: datetime | None = None, patient_id: int | None = None
) -> list[DosingRow]:
    """Today's window: every patient in the caller's clinical scope with an active methadone or buprenorphine
    order (one row per medication; `medication` narrows it), in name order, one audit row naming them."""
    if not policy.can_record_dose(user) and not policy.can_prescribe(user):
        raise NotAllowed("The dosing list is for nurses and prescribers.")
    medications = (medication,) if medication else WINDOW_MEDICATIONS
    scoped = policy.patients_visible_to(user, Area.CLINICAL)
    if patient_id is not None:  # one row, swapped in after a dose
        scoped = scoped.filter(pk=patient_id)
    patients = list(
        with_has_photo(  # the identity photo or a placeholder on each row, in this same query (issue #18)
            scoped.filter(
                medication_orders__medication__in=medications, medication_orders__status=OrderStatus.ACTIVE
            ).filter(enrollments__status=EnrollmentStatus.ACTIVE)  # discharge ends dosing
        )
        .select_related("program")
        .order_by("family_name", "given_name", "id")
        .distinct()
    )
    ids = [p.pk for p in patients]
    orders: dict[tuple[int, str], MedicationOrder] = {
        (o.patient_id, o.medication): o
        for o in MedicationOrder.objects.filter(
            patient_id__in=ids, medication__in=medications, status=OrderStatus.ACTIVE
        )
    }
    flags = dict(
        PatientFlag.objects.filter(patient_id__in=ids, resolved_at__isnull=True)
        .values("patient_id")
        .annotate(n=Count("id"))
        .values_list("patient_id", "n")
    )
    todays = {p.pk: local_today(p, now) for p in patients}
    contexts: dict[str, dict[int, DoseContext]] = {}
    for med in medications:
        having = [p for p in patients if (p.pk, med) in orders]
        if (
            patient_id is not None and len(having) == 1
        ):  # the row swapped in: one person's reads, the same answer
            p = having[0]
            contexts[med] = {p.pk: dose_context(p, med, todays[p.pk])}
        else:
            contexts[med] = dose_contexts([(p, todays[p.pk]) for p in having], med)
    rows = []
    for p in patients:
        today = todays[p.pk]
        for med in medications:
            if (p.pk, med) not in orders:
                continue
            ctx = contexts[med][p.pk]
            plan = ctx.take_home if med == Medication.METHADONE else None
            status = _row_status(ctx, bool(plan and today in plan_days(plan)))
            rows.append(
                DosingRow(p, orders[(p.pk, med)], ctx, plan, flags.get(p.pk, 0), status == "due", status, med)
            )
    policy.audit_list_read(
        user, target_type="dosing_list", patient_ids=ids, programs={p.pk: p.program_id for p in patients}
    )
    return rows


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
    'AND o."medication" = %s AND o."status" = %s '
    "WHERE "
    + policy.CLINICAL_SCOPE_WHERE
    + " AND "
    + _ACTIVE_ENROLLMENT
    + ' ORDER BY o."created_at" DESC, o."id" DESC LIMIT 1'
)


_ROW_EXTRA = (
    'EXISTS (SELECT 1 FROM "patients_patientphoto" f WHERE f."patient_id" = p."id")',
    '(SELECT COUNT(*) FROM "patients_patientflag" k '
    'WHERE k."patient_id" = p."id" AND k."resolved_at" IS NULL)',
    policy.OFF_TEAM,
)


def dosing_row(
    user: User, *, patient_id: int, medication: str, now: datetime | None = None
) -> DosingRow | None:
    """One person's row of today's window (the row swapped in after a dose): `dosing_list`'s row for that
    person and medication, with the same list audit row (naming the person, or no one). A clinician's row is
    read in one hand-written statement plus the person's `dose_context`; anyone else's through the list."""
    if not policy.can_record_dose(user) and not policy.can_prescribe(user):
        raise NotAllowed("The dosing list is for nurses and prescribers.")
    if medication not in WINDOW_MEDICATIONS or not policy.clinical_scope_sql(user, Area.CLINICAL, patient_id):
        for row in dosing_list(user, medication=medication, now=now, patient_id=patient_id):
            if row.patient.pk == patient_id:
                return row
        return None
    found = rows.fetch(
        _ROW,
        [
            user.pk,  # OFF_TEAM
            medication,
            OrderStatus.ACTIVE,
            *policy.clinical_scope_params(user, patient_id),
            EnrollmentStatus.ACTIVE,
        ],
        (Patient, "p"),
        (Program, "g"),
        (MedicationOrder, "o"),
        extra=_ROW_EXTRA,
    )
    if not found:
        policy.audit_list_read(user, target_type="dosing_list", patient_ids=[], emergency_ids=[])
        return None
    patient, program, order, has_photo, open_flags, off_team = found[0]
    Patient.program.field.set_cached_value(patient, program)
    patient.has_photo = bool(has_photo)
    today = local_today(patient, now)
    ctx = dose_context(patient, medication, today)
    plan = ctx.take_home if medication == Medication.METHADONE else None
    status = _row_status(ctx, bool(plan and today in plan_days(plan)))
    row = DosingRow(patient, order, ctx, plan, int(open_flags), status == "due", status, medication)
    policy.audit_list_read(
        user,
        target_type="dosing_list",
        patient_ids=[patient.pk],
        emergency_ids=[patient.pk] if off_team else [],
        programs={patient.pk: patient.program_id},
    )
    return row


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
            # decision committed while the dose was recorded): the active order of this medication, whether
            # an episode is open, and the newest take-home plan and whether it has ended
            '(SELECT o."id" FROM "treatment_medicationorder" o WHERE o."patient_id" = p."id" '
            'AND o."medication" = %s AND o."status" = %s '
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
                OrderStatus.ACTIVE,
                newest_plan,
                newest_plan,
                patient.pk,
            ),
        )
        has_photo, open_flags, off_team, doses, amendments, order_id, episode_id, new_plans, open_plans = (
            cursor.fetchone()
        )
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
    patient.has_photo = bool(has_photo)  # type: ignore[attr-defined]
    plan = ctx.take_home if medication == Medication.METHADONE else None
    status = _row_status(ctx, bool(plan and recorded.today in plan_days(plan)))
    row = DosingRow(patient, recorded.order, ctx, plan, int(open_flags), status == "due", status, medication)
    policy.audit_list_read(
        user,
        target_type="dosing_list",
        patient_ids=[patient.pk],
        emergency_ids=[patient.pk] if off_team else [],
        programs={patient.pk: patient.program_id},
    )
    return row


def _row_status(ctx: DoseContext, on_take_home: bool) -> str:
    """A row's status on the window: held (a hold stands), given, a take-home day, else due."""
    return (
        "held"
        if ctx.hold_open
        else "given"
        if ctx.given_today_mg > 0
        else "take_home"
        if on_take_home
        else "due"
    )
