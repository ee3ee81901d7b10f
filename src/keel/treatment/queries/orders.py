"""An order's reads: the order in force on a day (`active_order`, every dose reads it) and a prescriber's
overrides of it for the day (`day_overrides`), both hand-written SQL on the dose's hot path; whether the
person has an open episode of care to write an order in (`episode_open`); the version of a person's orders
of one medication a writer read (`order_version`, `order_versions`) and of all of them (`orders_version`,
the API's); a low-dose schedule against what was
given at each step, and the order as FHIR."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import TypedDict

from django.db import connection
from django.db.models import Count, Max, Q
from django.utils import timezone

from keel.core import induction
from keel.db import rows
from keel.patients.models import Enrollment, EnrollmentStatus, Patient, local_today
from keel.treatment.models import (
    IN_FORCE_SQL,
    DoseOverride,
    DoseRecord,
    DoseStatus,
    Medication,
    MedicationOrder,
    OrderStatus,
    in_force_params,
    order_in_force,
)
from keel.treatment.queries.doses import effective_mg


def active_order(
    patient: Patient, medication: str, day: date, *, lock: bool = False
) -> MedicationOrder | None:
    """The person's order of this medication in force on `day` (`models.IN_FORCE_SQL`: an order written to
    start later does not govern the day), in hand-written SQL: every dose reads it
    (tests/treatment/test_dose_queries.py holds it to the ORM's `.first()`). `lock` (inside a transaction):
    on PostgreSQL the same statement also takes the person's lock (`common.lock_person`'s FOR NO KEY UPDATE,
    review 18a); SQLite's IMMEDIATE transaction already holds the one writer lock."""
    locked = lock and connection.vendor == "postgresql"
    return rows.fetch_one(
        'FROM "treatment_medicationorder" o '
        + ('JOIN "patients_patient" lp ON lp."id" = o."patient_id" ' if locked else "")
        + 'WHERE o."patient_id" = %s AND o."medication" = %s AND '
        + IN_FORCE_SQL
        + ' ORDER BY o."created_at" DESC, o."id" DESC LIMIT 1'
        + (" FOR NO KEY UPDATE OF lp" if locked else ""),
        [patient.pk, medication, *in_force_params(day)],
        MedicationOrder,
        "o",
    )


def day_overrides(patient: Patient, medication: str, today: date) -> list[DoseOverride]:
    """A prescriber's overrides of this medication for today, newest first; an override ended with its
    episode (discharge) no longer applies. Hand-written, as `active_order`."""
    return [
        o
        for (o,) in rows.fetch(
            'FROM "treatment_doseoverride" v WHERE v."patient_id" = %s AND v."medication" = %s '
            'AND v."local_date" = %s AND v."ended_at" IS NULL ORDER BY v."created_at" DESC',
            [patient.pk, medication, connection.ops.adapt_datefield_value(today)],
            (DoseOverride, "v"),
        )
    ]


# The order in force and today's overrides of its medication in one statement (the dose at the window reads
# both, issue #21): `active_order`'s statement with each of `day_overrides`' rows joined to its order (none:
# one row, the override's columns NULL); the order is the first row's, as `active_order`'s LIMIT 1 takes it.
# On PostgreSQL the person's row is locked as `active_order(lock=True)` locks it (FOR NO KEY UPDATE OF the
# person only: the overrides, the join's nullable side, are not locked, as `day_overrides` locks nothing).
_OVERRIDES_OF_THE_DAY = (
    'LEFT JOIN "treatment_doseoverride" v ON v."patient_id" = o."patient_id" '
    'AND v."medication" = o."medication" AND v."local_date" = %s AND v."ended_at" IS NULL '
    'WHERE o."patient_id" = %s AND o."medication" = %s AND '
)


def order_and_overrides(
    patient: Patient, medication: str, day: date, *, lock: bool = False, stopped: bool = False
) -> tuple[MedicationOrder | None, list[DoseOverride]]:
    """`active_order(patient, medication, day, lock=lock)` and `day_overrides(patient, medication, day)` in
    one statement (the dose at the window: issue #21). No order in force: (None, []) (the dose is refused
    before any override counts). tests/treatment/test_dose_queries.py holds it to the two reads. `stopped`:
    the order in force even when a discharge stopped it (`in_force_params`; a late entry before today's
    discharge, lane discharge39); the discharge ended the day's overrides (none then)."""
    locked = lock and connection.vendor == "postgresql"
    found = rows.fetch(
        'FROM "treatment_medicationorder" o '
        + ('JOIN "patients_patient" lp ON lp."id" = o."patient_id" ' if locked else "")
        + _OVERRIDES_OF_THE_DAY
        + IN_FORCE_SQL
        + ' ORDER BY o."created_at" DESC, o."id" DESC, v."created_at" DESC'
        + (" FOR NO KEY UPDATE OF lp" if locked else ""),
        [
            connection.ops.adapt_datefield_value(day),
            patient.pk,
            medication,
            *in_force_params(day, stopped=stopped),
        ],
        (MedicationOrder, "o"),
        (DoseOverride, "v"),
    )
    if not found:
        return None, []
    order = found[0][0]
    return order, [override for of, override in found if of.pk == order.pk and override is not None]


def level_given_under(order: MedicationOrder, before: date, *, since: date | None = None) -> Decimal | None:
    """The highest day's total given under this order on a day before `before` (after corrections; None:
    none given): the level a QTc check never takes the person below (review 20a). Read only when that check
    would refuse, so a stable dose is never cut on the window's lookback alone. `since`: only from that day
    (review 22m: a new induction after missed days, `methadone.reinduction_day`; the level before it is
    tolerance she lost)."""
    by_day: dict[date, Decimal] = {}
    rows_of = DoseRecord.objects.filter(order=order, status=DoseStatus.GIVEN, local_date__lt=before)
    if since is not None:
        rows_of = rows_of.filter(local_date__gte=since)
    for d in rows_of.prefetch_related("amendments"):
        by_day[d.local_date] = by_day.get(d.local_date, Decimal(0)) + effective_mg(d)
    return max(by_day.values(), default=None)


def episode_open(patient: Patient, *, lock: bool = False) -> bool:
    """Whether the person has an open episode of care in their program (an active enrollment: the window's
    definition, `DoseContext.in_episode`), for writing a medication order (review 20a). `lock` (inside the
    order's transaction): the episode's row is locked as `episodes.discharge` locks it, so an order and a
    discharge of the same person are written one after the other (a discharge that commits first leaves no
    open episode here; one that waits stops the order written). One statement."""
    found = Enrollment.objects.filter(
        patient=patient, program_id=patient.program_id, status=EnrollmentStatus.ACTIVE
    )
    if lock:
        found = found.select_for_update()
    return bool(list(found.values_list("pk", flat=True)[:1]))


class ScheduleRow(TypedDict):
    """One step of a low-dose schedule: its day, the amount planned and the amount given (None: none yet)."""

    day: int
    planned_mg: float
    given_mg: Decimal | None


def order_version(patient: Patient, medication: str) -> int:
    """The version of the person's orders of one medication that a writer read, and that a new order must
    name (session 22: two tabs, one lowering the dose after a high QTc, the other saving from the stale
    page). One definition: the id of the newest order of that medication, whatever its status (0: none
    yet), plus the number of its orders that are stopped. Orders are append-only rows: a new order is a new,
    higher id (a raise, a lowering, one written to start later); a stop writes no row (discharge stops the
    order in force and any pending one, review 22n hole 1) but adds to the stopped count. Both terms only
    grow, and every change grows one, so the sum changes with every new order and every stop: a page read
    before a discharge is stale after the readmission. Per medication; a writer names every medication's
    (review 22n hole 2, session 23): the medication page sends every version it read (`prescribe`'s
    `other_versions`), the API's body all of them in one text (`orders_version`). One statement."""
    return order_versions(patient).get(medication, 0) if medication in Medication.values else 0


def order_versions(patient: Patient) -> dict[str, int]:
    """`order_version` of each medication, for a page whose one form writes any of them. One statement."""
    newest = {
        m: (int(top or 0), int(stops or 0))
        for m, top, stops in MedicationOrder.objects.filter(patient=patient)
        .values("medication")
        .annotate(newest=Max("id"), stops=Count("id", filter=Q(status=OrderStatus.STOPPED)))
        .values_list("medication", "newest", "stops")
    }
    return {m: sum(newest.get(m, (0, 0))) for m in Medication.values}


def orders_version(patient: Patient, versions: Mapping[str, int] | None = None) -> str:
    """The version of all the person's orders, every medication's (session 23, lane api23): the API's
    `orders_version`, one text for the whole picture a client read, as the medication page's hidden fields
    (one per medication) are for the page. Not a second definition: it is `order_versions` (the one the
    page shows and `prescribe` compares) written out with the person's id in front, `<person>-<version of
    each medication in Medication's order>` (e.g. "42-17-0-3"), so a version read of another person's orders
    is never taken for this person's (`versions_in` reads it back). Opaque to a client: sent back as given.
    `versions`: `order_versions(patient)` already read (the medication record reads it before its orders)."""
    read = order_versions(patient) if versions is None else versions
    return "-".join(str(n) for n in (patient.pk, *(read[m] for m in Medication.values)))


_WHOLE = r"(0|[1-9][0-9]{0,17})"  # a whole number as `orders_version` writes it: no sign, no leading zero
_ORDERS_VERSION = re.compile("-".join([_WHOLE] * (1 + len(Medication.values))), re.ASCII)


def versions_in(token: object) -> tuple[int, dict[str, int]] | None:
    """The person's id and each medication's version in an `orders_version` text exactly as it writes them;
    None for anything else (not text, spaces, a sign, leading zeros, another count of parts)."""
    found = _ORDERS_VERSION.fullmatch(token) if isinstance(token, str) else None
    if found is None:
        return None
    person, *versions = (int(part) for part in found.groups())
    return person, dict(zip(Medication.values, versions, strict=True))


def newest_order(patient: Patient, medication: str) -> MedicationOrder | None:
    """The order `order_version` names (None: no order yet), to say what changed since a stale read (with
    its prescriber, whom the refusal names)."""
    return (
        MedicationOrder.objects.filter(patient=patient, medication=medication)
        .select_related("prescriber")
        .order_by("-id")
        .first()
    )


def schedule_rows(order: MedicationOrder) -> list[ScheduleRow]:
    """A low-dose schedule against what was given at each step (step n = the n-th day a dose under it was
    taken, as the window counts it: `keel.core.induction.low_dose_progress`, issue #13)."""
    if not order.schedule:
        return []
    doses = [
        (d.local_date, effective_mg(d))
        for d in DoseRecord.objects.filter(order=order).prefetch_related("amendments")
    ]
    dosed = sorted({day for day, mg in doses if mg > 0})
    given: dict[int, Decimal] = {}
    for day, mg in doses:
        if day in dosed:
            n = induction.low_dose_progress(dosed, day).step
            given[n] = given.get(n, Decimal(0)) + mg
    return [
        ScheduleRow(day=s["day"], planned_mg=s["mg"], given_mg=given.get(s["day"])) for s in order.schedule
    ]


def fhir_status(order: MedicationOrder, today: date, orders: Sequence[MedicationOrder] | None = None) -> str:
    """The order's FHIR status on `today` (review 19c: the order in force, not the last written): "stopped"
    when stopped; "active" when it is the order in force today (`models.order_in_force`) or, written to
    start later (`deferred`), will be in force on its start day; "completed" otherwise (superseded and no
    longer, or never, in force). `orders`: the person's orders of this medication (all that could be), read
    here when not given and only for a superseded order (an active order is the newest written)."""
    if order.status == OrderStatus.STOPPED:
        return "stopped"
    if order.status == OrderStatus.ACTIVE:
        return "active"
    read = orders or MedicationOrder.objects.filter(patient_id=order.patient_id, medication=order.medication)
    same = [o for o in read if o.medication == order.medication]
    pending = order.deferred and order.starts_on > today
    governs = order_in_force(same, order.starts_on if pending else today)
    return "active" if governs is not None and governs.pk == order.pk else "completed"


def last_day_in_force(order: MedicationOrder, orders: Sequence[MedicationOrder] | None = None) -> date | None:
    """The last day `order` is in force when a newer order of the medication replaces it (`models.
    order_in_force`: an order stops governing the day a newer one is started, the day written or, written
    to start later, its start day): the day before the earliest start of a newer one; None when no newer
    order exists or the order never came into force before it (a deferred order overtaken before its day).
    `orders`: the person's orders (read here when not given)."""
    if orders is None and order.status == OrderStatus.ACTIVE:  # the newest written: nothing replaces it
        return None
    read = orders or MedicationOrder.objects.filter(patient_id=order.patient_id, medication=order.medication)
    starts = [
        o.starts_on
        for o in read
        if o.medication == order.medication and o.patient_id == order.patient_id and o.pk > order.pk
    ]
    if order.ends_on is not None:  # lane switch39: stopped by a switch to another medication
        starts.append(order.ends_on)
    if not starts:
        return None
    end = min(starts) - timedelta(days=1)
    return end if end >= order.starts_on else None


def order_fhir(
    order: MedicationOrder, *, today: date | None = None, orders: Sequence[MedicationOrder] | None = None
) -> dict[str, object]:
    """The order as a FHIR R4 MedicationRequest, its status on `today` (the person's today when not given;
    `fhir_status`); an order written to start later has its start day in
    `dosageInstruction[0].timing.repeat.boundsPeriod.start`, and an order a newer one replaces its last day
    in force in `boundsPeriod.end` (`last_day_in_force`; review 20c)."""
    if today is None:
        today = local_today(order.patient, timezone.now())
    bounds: dict[str, str] = {"start": order.starts_on.isoformat()} if order.deferred else {}
    ends = last_day_in_force(order, orders)
    if ends is not None:
        bounds["end"] = ends.isoformat()
    timing = {"timing": {"repeat": {"boundsPeriod": bounds}}}
    return {
        "resourceType": "MedicationRequest",
        "id": str(order.pk),
        "status": fhir_status(order, today, orders),
        "intent": "order",
        "medicationCodeableConcept": {
            "coding": [
                {
                    "system": "http://www.nlm.nih.gov/research/umls/rxnorm",
                    "code": order.rxnorm,
                    "display": order.medication,
                }
            ]
        },
        "subject": {"reference": f"Patient/{order.patient_id}"},
        "authoredOn": order.created_at.isoformat(),
        "requester": {"reference": f"Practitioner/{order.prescriber_id}"},
        "dosageInstruction": [
            {
                "text": f"{order.dose_mg.normalize():f} mg {order.route} {order.frequency}",
                "route": {"text": order.route},
                **(timing if bounds else {}),
                "doseAndRate": [
                    {
                        "doseQuantity": {
                            "value": float(order.dose_mg),
                            "unit": "mg",
                            "system": "http://unitsofmeasure.org",
                            "code": "mg",
                        }
                    }
                ],
            }
        ],
        **(
            {"priorPrescription": {"reference": f"MedicationRequest/{order.supersedes_id}"}}
            if order.supersedes_id
            else {}
        ),
    }


def active_others(patient: Patient, medication: str = "") -> list[str]:
    """Lane switch39: the names (in the reader's language) of the medications of the person's active orders
    other than `medication` ("": all), for the order forms' choice (`treatment/_other_order.html`)."""
    active = MedicationOrder.objects.filter(patient=patient, status=OrderStatus.ACTIVE).exclude(
        medication=medication
    )
    return [str(Medication(m).label) for m in sorted(set(active.values_list("medication", flat=True)))]
