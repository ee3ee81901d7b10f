"""The person's recent QTc: the one read of the latest QTc within the program's recent window
(`methadone-dose-check`'s `qtc_recent_days`, Krantz 2009), for the gate on a raise of the methadone order,
a day's override and a dose above the order, and the warnings shown to the care team."""

from __future__ import annotations

from datetime import date, timedelta

from keel.core.rules.methadone import DOSE_CHECK
from keel.patients.models import Patient
from keel.treatment.models import QtcRecord
from keel.treatment.queries.policy import effective_policy


def recent_qtc(patient: Patient, today: date, *, until: date | None = None) -> QtcRecord | None:
    """The person's latest QTc measured within the program's recent window before `today` (the newest
    measurement, the last recorded of a day), None if none. `until`: none measured after that day (a
    correction of a past day reads the QTc known on that day)."""
    since = today - timedelta(days=int(effective_policy(patient, DOSE_CHECK)["qtc_recent_days"]))
    rows = QtcRecord.objects.filter(patient=patient, measured_on__gte=since)
    if until is not None:
        rows = rows.filter(measured_on__lte=until)
    return rows.order_by("-measured_on", "-id").first()


def recent_qtc_ms(patient: Patient, today: date, *, until: date | None = None) -> int | None:
    """`recent_qtc`'s QTc in ms, None if none."""
    row = recent_qtc(patient, today, until=until)
    return None if row is None else row.qtc_ms
