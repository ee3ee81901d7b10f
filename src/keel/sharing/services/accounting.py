"""The patient's consents and accounting of disclosures (3 years, 42 CFR 2.24, 2.25): one audited read for
the patient, one for the care team."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from django.utils import timezone

from keel.access import policy
from keel.access.policy import Area
from keel.core import sharing as core
from keel.patients.models import Patient, local_today
from keel.sharing.models import Consent, Disclosure

if TYPE_CHECKING:
    from keel.accounts.models import User

ACCOUNTING_DAYS = 3 * 365  # the patient's accounting of disclosures covers 3 years (42 CFR 2.24, 2.25)


@dataclass(frozen=True)
class ConsentView:
    consent: Consent
    status: str  # active | expired | revoked
    revoked_at: datetime | None


@dataclass(frozen=True)
class Sharing:
    patient: Patient
    consents: list[ConsentView]
    disclosures: list[Disclosure]
    since: date


def _sharing(patient: Patient, now: datetime) -> Sharing:
    today = local_today(patient, now)
    since = today - timedelta(days=ACCOUNTING_DAYS)
    views = []
    for c in Consent.objects.filter(patient=patient).select_related("revocation"):
        revocation = getattr(c, "revocation", None)
        revoked_at = revocation.revoked_at if revocation else None
        views.append(
            ConsentView(
                c, core.status(expires_on=c.expires_on, revoked_at=revoked_at, today=today), revoked_at
            )
        )
    start = timezone.make_aware(datetime.combine(since, datetime.min.time()))
    disclosures = list(
        Disclosure.objects.filter(patient=patient, disclosed_at__gte=start).select_related("disclosed_by")
    )
    return Sharing(patient, views, disclosures, since)


def my_sharing(by: User, *, now: datetime | None = None) -> Sharing:
    """The patient's consents and accounting of disclosures (3 years); one audited read."""
    patient = policy.own_patient_or_404(by, target_type="sharing")
    return _sharing(patient, now or timezone.now())


def patient_sharing(by: User, patient_id: int | str, *, now: datetime | None = None) -> Sharing:
    """The same for the care team (clinical area); one audited read."""
    patient = policy.get_patient_or_404(by, patient_id, area=Area.CLINICAL, target_type="sharing")
    return _sharing(patient, now or timezone.now())
