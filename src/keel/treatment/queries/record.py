"""The medication record of a person: orders, doses, overrides, take-homes, QTc, fills and the methadone
dose context (read through the access policy, one audit row)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from keel.access import policy
from keel.access.policy import Area
from keel.accounts.models import User
from keel.core import episodes
from keel.core.decision import Reason
from keel.core.rules.qtc import qtc_warning
from keel.patients.models import Patient, local_today, zone_of
from keel.treatment.models import (
    DoseOverride,
    DoseRecord,
    Medication,
    MedicationFill,
    MedicationOrder,
    QtcRecord,
    TakeHomePlan,
    in_force_q,
)
from keel.treatment.queries.contexts import dose_context
from keel.treatment.queries.doses import DoseContext
from keel.treatment.queries.orders import order_versions
from keel.treatment.queries.qtc import recent_qtc_ms
from keel.treatment.queries.take_home_plans import as_handed_out, call_back
from keel.treatment.queries.take_homes import admission_day_number


@dataclass(frozen=True)
class MedicationRecord:
    patient: Patient
    orders: list[MedicationOrder]
    doses: list[DoseRecord]
    overrides: list[DoseOverride]
    take_homes: list[TakeHomePlan]
    qtc: list[QtcRecord]
    context: DoseContext | None
    fills: list[MedicationFill] = field(default_factory=list)
    qtc_warnings: tuple[Reason, ...] = ()  # a recent QTc over 450 ms, shown where methadone is ordered
    more_doses: bool = False  # older doses than `doses` holds exist (the page offers to show them all)
    # each medication's `order_version`, read before `orders` (session 23): never newer than the orders shown
    order_versions: dict[str, int] = field(default_factory=dict)
    # review 24b hole 6: by ended plan, the bottles still at home for days it no longer covers (`call_back`):
    # the person is to be called back to bring them in (the page and the API show it to the next shift)
    call_back: dict[int, dict[date, Decimal]] = field(default_factory=dict)
    # lane fix33d (review 33c hole 3): the program's day 0 or 1 (`take_homes.admission_day_number`): every day
    # in treatment the page shows is `episodes.counted_day` of it, the take-home review's count too
    admission_day_number: int = 0

    @property
    def days_in_treatment(self) -> int | None:
        """Today's day in treatment (None: no methadone in force), as the take-home review counts it."""
        if self.context is None:
            return None
        return episodes.counted_day(self.context.treatment_day, self.admission_day_number)


DOSES_SHOWN = 60  # the latest doses read unless every dose is asked for (two months of daily doses)


def medication_record(
    user: User, *, patient_id: int, now: datetime | None = None, all_doses: bool = False
) -> MedicationRecord:
    """The record, its latest `DOSES_SHOWN` doses (`all_doses`: every one, for the page's "show all").
    The version of the person's orders (`order_versions`, the page's hidden fields and the API's
    `orders_version`) is read first (session 23): an order written between that read and the orders' makes
    it older than the orders shown, so a write from it is refused (409) rather than taken as having seen an
    order it never read."""
    patient = policy.get_patient_or_404(user, patient_id, area=Area.CLINICAL, target_type="medication_record")
    versions = order_versions(patient)  # first: see above
    today = local_today(patient, now)
    active = MedicationOrder.objects.filter(  # the order in force today (review 19a)
        in_force_q(today), patient=patient, medication=Medication.METHADONE
    )
    doses = (
        DoseRecord.objects.filter(patient=patient)
        .prefetch_related("amendments")
        .select_related("recorded_by")
    )
    read = list(doses) if all_doses else list(doses[: DOSES_SHOWN + 1])
    take_homes = list(TakeHomePlan.objects.filter(patient=patient).select_related("ended_by")[:10])
    # session 24: a plan whose run never left the clinic reads as ended before it (the page and the API)
    as_handed_out(take_homes, zone_of(patient), today)
    return MedicationRecord(
        patient=patient,
        orders=list(MedicationOrder.objects.filter(patient=patient)[:50]),
        doses=read if all_doses else read[:DOSES_SHOWN],
        more_doses=not all_doses and len(read) > DOSES_SHOWN,
        overrides=list(DoseOverride.objects.filter(patient=patient)[:20]),
        take_homes=take_homes,
        qtc=list(QtcRecord.objects.filter(patient=patient)[:10]),
        fills=list(MedicationFill.objects.filter(patient=patient).select_related("order", "voids")[:30]),
        context=dose_context(patient, Medication.METHADONE, today) if active.exists() else None,
        qtc_warnings=qtc_warning(recent_qtc_ms(patient, today)),
        order_versions=versions,
        call_back=call_back(patient, today),
        admission_day_number=admission_day_number(patient),
    )
