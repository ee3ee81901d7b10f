"""The person's recent QTc: the one read of the latest QTc (within the program's recent window,
`methadone-dose-check`'s `qtc_recent_days`, Krantz 2009, or 500 ms or more whatever its age), for the gate
on a raise of the methadone order, a day's override and a dose above the order, and the warnings shown to
the care team."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from keel.core.rules.methadone import DOSE_CHECK
from keel.core.rules.qtc import needs_dose_review
from keel.patients.models import Patient, local_today
from keel.treatment.models import QtcRecord
from keel.treatment.queries.policy import effective_policy


def recent_qtc(patient: Patient, today: date, *, until: date | None = None) -> QtcRecord | None:
    """The person's current QTc up to `today`: the latest measurement (the newest measurement day; of that
    day's readings the highest, review 20a: a normal ECG of the same morning entered later hid a 520, and
    one day's readings are the same "current" interval) when it was measured within the program's recent
    window (`qtc_recent_days`) or is 500 ms or more, whatever its age; None otherwise. Review 22m: Krantz
    2009's "again within 30 days" (`krantz-2009`, clinical reference 10.4) is when the next ECG is due, not
    when a high reading expires: a QTc of 500 ms or more with no newer reading stays in force (no newer ECG
    is not a normal one), and only a newer ECG replaces it. The recent window still decides what a
    prescriber's QTc reason covered (`services.qtc.qtc_reason_covers`); a reading under 500 ms older than it
    is not current. Never one dated after `today` (review 19a: a QTc typed for next year hid today's 520;
    such dates are now refused, and a row written before is never "the latest"). `until`: none measured
    after that day (a correction of a past day reads the QTc known on that day). Why the latest and not the
    worst: Krantz 2009 asks to act on the current interval, correcting contributors such as low potassium;
    a repeat ECG that shows the interval corrected is the fact the prescriber acts on."""
    since = today - timedelta(days=int(effective_policy(patient, DOSE_CHECK)["qtc_recent_days"]))
    last = today if until is None else min(until, today)
    rows = QtcRecord.objects.filter(patient=patient, measured_on__lte=last)
    row = rows.order_by("-measured_on", "-qtc_ms", "-id").first()
    if row is None or (row.measured_on < since and not needs_dose_review(row.qtc_ms)):
        return None
    return row


def recent_qtc_ms(patient: Patient, today: date, *, until: date | None = None) -> int | None:
    """`recent_qtc`'s QTc in ms, None if none."""
    row = recent_qtc(patient, today, until=until)
    return None if row is None else row.qtc_ms


def dose_review_qtc(patient_id: int, now: datetime) -> QtcRecord | None:
    """For a record its caller already scoped and audited (the record page's one read): the person's recent
    QTc (`recent_qtc`, the one definition: never one dated after today) when it is 500 ms or more
    (`keel.core.rules.qtc.needs_dose_review`, Krantz 2009), the care team's notice to review the methadone
    dose; None otherwise. One statement unless that QTc is 500 ms or more: the latest QTc dated no later than
    today anywhere (UTC+14) is read with the person's program; under 500 ms and not after the person's
    today, it is the latest `recent_qtc` could return, so none is; else `recent_qtc` reads it (review 19c: a
    430 ms row typed for next year hid today's 520 ms)."""
    widest_today = (now.astimezone(UTC) + timedelta(hours=14)).date()
    row = (
        QtcRecord.objects.filter(patient_id=patient_id, measured_on__lte=widest_today)
        .select_related("patient__program")
        .order_by("-measured_on", "-qtc_ms", "-id")
        .first()
    )
    if row is None:
        return None
    today = local_today(row.patient, now)
    if row.measured_on <= today and not needs_dose_review(row.qtc_ms):
        return None
    recent = recent_qtc(row.patient, today)
    return recent if recent is not None and needs_dose_review(recent.qtc_ms) else None
