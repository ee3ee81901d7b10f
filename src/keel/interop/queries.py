"""FHIR out, the reads: a patient's own record as a Bundle. The care team's export stays in
`keel.interop.services`: it is a disclosure, recorded as one (`sharing.services.release_record`)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from keel.access import policy
from keel.audit.models import Action
from keel.interop.fhir.base import Base
from keel.interop.fhir.record import record_bundle

if TYPE_CHECKING:
    from keel.accounts.models import User


def my_record(user: User, *, base: Base, now: datetime | None = None) -> dict[str, Any]:
    """The patient's own copy of their record (the right of access); one `export` audit row."""
    patient = policy.own_patient_or_404(user, action=Action.EXPORT, target_type="fhir_bundle")
    own = policy.withholds_struck_content(user, patient)  # one definition with /fhir/R4 (`Record.read_by`)
    return record_bundle(patient, policy.areas_of(user), now or timezone.now(), base, own=own)
