"""Everything the buprenorphine start page shows, read once through the access policy (one audit row)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from keel.access import policy
from keel.access.policy import Area
from keel.accounts.models import User
from keel.assessments.models import Assessment
from keel.assessments.queries import diagnosis, latest_by_instrument
from keel.core import intake as core_intake
from keel.core.decision import Decision
from keel.core.rules.base import NoPolicy
from keel.core.rules.buprenorphine.readiness import ReadinessDetails, ReadinessPolicy
from keel.core.rules.overdose import OVERDOSE, OverdoseDetails
from keel.patients.models import Patient, local_today
from keel.treatment import readiness as readiness_reads  # a module: it reads policy through this package
from keel.treatment.models import CareGoal, Intake, Medication, MedicationOrder, NaloxoneKit, in_force_q
from keel.treatment.queries.contexts import dose_context
from keel.treatment.queries.doses import DoseContext
from keel.treatment.queries.orders import order_versions as read_order_versions


@dataclass(frozen=True)
class StartView:
    """Everything the buprenorphine start page shows, read once (one audit row)."""

    patient: Patient
    intake: Intake | None
    cows: Assessment | None  # the latest COWS
    readiness: Decision[ReadinessPolicy, ReadinessDetails] | None
    missing: tuple[str, ...]  # what the readiness verdict still needs
    overdose: Decision[NoPolicy, OverdoseDetails] | None
    naloxone_kits: list[NaloxoneKit]
    order: MedicationOrder | None
    context: DoseContext | None
    goals: list[CareGoal]
    latest: dict[
        str, Assessment
    ]  # instrument code -> latest Assessment (dsm5-oud, phq9, gad7, cssrs-screen, ort)
    # the readiness read: every opioid's last use, the COWS's age, policy
    read: readiness_reads.ReadinessRead | None = None
    now: datetime | None = None
    # review 23a hole 3: every medication's `order_version` (`orders.order_versions`), read before the order
    # shown, for the page's order form (None: not asked for)
    order_versions: dict[str, int] | None = None


def start_view(
    user: User, *, patient_id: int, now: datetime | None = None, versions: bool = False
) -> StartView:
    """The start page's reads. `versions`: also every medication's order version, read before the order (as
    the medication record reads them: never newer than the order shown), for an order form."""
    patient = policy.get_patient_or_404(user, patient_id, area=Area.CLINICAL, target_type="treatment_start")
    versions_read = read_order_versions(patient) if versions else None
    now = now or timezone.now()
    read = readiness_reads.buprenorphine_readiness(patient, now)
    intake, cows, readiness, missing = read.intake, read.cows, read.readiness, read.missing
    latest = {**read.latest, **latest_by_instrument(patient, readiness_reads.SCREENS, as_of=now)}
    latest.pop("dsm5-oud", None)  # the diagnosis is the clinician's, never a self-check (issue #15)
    found = diagnosis(patient, as_of=now)
    if found is not None:
        latest["dsm5-oud"] = found
    kits = list(NaloxoneKit.objects.filter(patient=patient)[:5])
    overdose = None
    if intake is not None:
        overdose = OVERDOSE.run(core_intake.overdose_inputs(intake.values, has_kit=bool(kits)))
    order = MedicationOrder.objects.filter(  # the order in force today (review 19a)
        in_force_q(local_today(patient, now)), patient=patient, medication=Medication.BUPRENORPHINE
    ).first()
    return StartView(
        patient=patient,
        intake=intake,
        cows=cows,
        readiness=readiness,
        missing=missing,
        overdose=overdose,
        naloxone_kits=kits,
        order=order,
        context=dose_context(patient, Medication.BUPRENORPHINE, local_today(patient, now)) if order else None,
        goals=list(CareGoal.objects.filter(patient=patient).select_related("responsible")),
        latest=latest,
        read=read,
        now=now,
        order_versions=versions_read,
    )


def latest_intake(patient: Patient) -> Intake | None:
    """The person's intake the form starts from (the latest), of a patient the caller has already read
    through the policy (no audit row of its own)."""
    return Intake.objects.filter(patient=patient).first()
