"""The patient's own care plan (goals and naloxone kits), read on their page."""

from __future__ import annotations

from keel.access import policy
from keel.accounts.models import User
from keel.patients.models import Patient
from keel.treatment.models import CareGoal, NaloxoneKit


def my_care_plan(user: User) -> tuple[Patient, list[CareGoal], list[NaloxoneKit]]:
    """The patient's own care plan, in plain words on their page (one audit row)."""
    patient = policy.own_patient_or_404(user, target_type="care_plan")
    goals = list(CareGoal.objects.filter(patient=patient, status="active").select_related("responsible"))
    return patient, goals, list(NaloxoneKit.objects.filter(patient=patient)[:3])


def latest_kit(patient_id: int) -> NaloxoneKit | None:
    """The person's latest naloxone kit (the record page's line), of a patient the caller has already read
    through the policy (no audit row of its own)."""
    return NaloxoneKit.objects.filter(patient_id=patient_id).order_by("-dispensed_on").first()
