"""Today's dosing window, the list (`dosing_list`): the people with an order in force, read together."""

from __future__ import annotations

from datetime import date, datetime

from django.db.models import Count, QuerySet

from keel.access import policy
from keel.access.errors import ClinicalNotAllowed
from keel.access.policy import Area
from keel.accounts.models import User
from keel.patients.models import EnrollmentStatus, Patient, PatientFlag, family_first, local_today
from keel.patients.queries import with_has_photo
from keel.treatment.models import (
    Medication,
    MedicationOrder,
    OrderStatus,
    in_force_q,
    order_in_force,
)
from keel.treatment.queries.contexts import (
    dose_context,
    dose_contexts,
)
from keel.treatment.queries.doses import DoseContext
from keel.treatment.queries.take_homes import admission_day_numbers
from keel.treatment.queries.window.row_status import (
    WINDOW_MEDICATIONS,
    DosingRow,
    _days_around,
    _row_status,
    _with_held_bottle,
)


def window_people(
    user: User,
    medications: tuple[str, ...] = WINDOW_MEDICATIONS,
    *,
    patient_id: int | None = None,
    now: datetime | None = None,
) -> QuerySet[Patient]:
    """The people who may be on today's window: in the caller's clinical scope, with an order of one of
    `medications` that may be in force on someone's today (`in_force_q`: their todays differ by zone at most
    a day either side of UTC's) and an active enrollment (discharge ends dosing). The list's people and the
    still-due count's (`still_due`) are this one queryset; each then keeps a person's row only where an order
    is in force on the person's own today (review 19a: an order to start next week is not today's)."""
    scoped = policy.patients_visible_to(user, Area.CLINICAL)
    if patient_id is not None:  # one row, swapped in after a dose
        scoped = scoped.filter(pk=patient_id)
    last_day, first_day = _days_around(now)
    may_be = MedicationOrder.objects.filter(
        in_force_q(last_day, newer_from=first_day), medication__in=medications
    ).exclude(status=OrderStatus.STOPPED)
    return scoped.filter(pk__in=may_be.values("patient_id")).filter(
        enrollments__status=EnrollmentStatus.ACTIVE
    )


def dosing_list(
    user: User, *, medication: str | None = None, now: datetime | None = None, patient_id: int | None = None
) -> list[DosingRow]:
    """Today's window: every patient in the caller's clinical scope with an active methadone or buprenorphine
    order (one row per medication; `medication` narrows it), in name order, one audit row naming them."""
    if not policy.can_record_dose(user) and not policy.can_prescribe(user):
        raise ClinicalNotAllowed("The dosing list is for nurses and prescribers.")
    medications = (medication,) if medication else WINDOW_MEDICATIONS
    last_day, first_day = _days_around(now)
    patients = list(
        with_has_photo(  # the identity photo or a placeholder on each row, in this same query (issue #18)
            window_people(user, medications, patient_id=patient_id, now=now)
        )
        .select_related("program")
        .order_by("family_name", "given_name", "id")
        .distinct()
    )
    patients.sort(key=family_first)  # accents folded as every name order (review 35e hole 3, lane fix36c)
    todays = {p.pk: local_today(p, now) for p in patients}
    orders = _orders_in_force(todays, medications, last_day, first_day)
    patients = [p for p in patients if any((p.pk, med) in orders for med in medications)]
    ids = [p.pk for p in patients]
    flags = _open_flags(ids)
    day_numbers = admission_day_numbers(patients)  # one statement for every row (correction 9)
    contexts = _window_contexts(patients, todays, orders, medications, one=patient_id is not None)
    rows = []
    for p in patients:
        today = todays[p.pk]
        for med in medications:
            if (p.pk, med) not in orders:
                continue
            ctx = contexts[med][p.pk]
            plan = ctx.take_home if med == Medication.METHADONE else None
            status = _row_status(
                ctx, plan is not None and today in ctx.take_home_days
            )  # every plan: review 25c hole 3
            row = DosingRow(
                p,
                orders[(p.pk, med)],
                ctx,
                plan,
                flags.get(p.pk, 0),
                status == "due",
                status,
                med,
                admission_day_number=day_numbers[p.pk],
            )
            rows.append(_with_held_bottle(row))
    policy.audit_list_read(
        user, target_type="dosing_list", patient_ids=ids, programs={p.pk: p.program_id for p in patients}
    )
    return rows


def _orders_in_force(
    todays: dict[int, date], medications: tuple[str, ...], last_day: date, first_day: date
) -> dict[tuple[int, str], MedicationOrder]:
    """Each (person, medication)'s order in force on the person's own today (`order_in_force`), of the orders
    that may be in force on someone's today (one statement)."""
    candidates: dict[tuple[int, str], list[MedicationOrder]] = {}
    for o in MedicationOrder.objects.filter(
        in_force_q(last_day, newer_from=first_day), patient_id__in=list(todays), medication__in=medications
    ):
        candidates.setdefault((o.patient_id, o.medication), []).append(o)
    orders: dict[tuple[int, str], MedicationOrder] = {}
    for key, found in candidates.items():
        in_force = order_in_force(found, todays[key[0]])
        if in_force is not None:
            orders[key] = in_force
    return orders


def _open_flags(ids: list[int]) -> dict[int, int]:
    """How many open (unresolved) flags each of these people has, those with any (one statement)."""
    return dict(
        PatientFlag.objects.filter(patient_id__in=ids, resolved_at__isnull=True)
        .values("patient_id")
        .annotate(n=Count("id"))
        .values_list("patient_id", "n")
    )


def _window_contexts(
    patients: list[Patient],
    todays: dict[int, date],
    orders: dict[tuple[int, str], MedicationOrder],
    medications: tuple[str, ...],
    *,
    one: bool,
) -> dict[str, dict[int, DoseContext]]:
    """Each medication's dose contexts of the people with an order of it in force, read together; `one` (the
    row swapped in after a dose) reads a single person's as `dose_context` does, the same answer."""
    contexts: dict[str, dict[int, DoseContext]] = {}
    for med in medications:
        having = [p for p in patients if (p.pk, med) in orders]
        if one and len(having) == 1:  # the row swapped in: one person's reads, the same answer
            p = having[0]
            contexts[med] = {p.pk: dose_context(p, med, todays[p.pk])}
        else:
            contexts[med] = dose_contexts([(p, todays[p.pk]) for p in having], med)
    return contexts
