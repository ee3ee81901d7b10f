"""A check-in whose reported use is edited away (lane fix35e, review 35e H8): the reported-use flag it raised
stays open (a clinician closes it, having asked her) but says the check-in was later changed to no use, and
on which day: the shape of a corrected suicide screen (`keel.assessments.corrected_screen`, clin34).

The note is added to the flag's reasons (English, as the API and the audit carry them) and to its `said`
(the template and its parameters, the day an ISO day said in the reader's words, `patients.flagwords`), in
the edit's transaction, audited. An edit that keeps "used", or one of a check-in that said no use, adds
nothing; an edit back to "used" and then to no use again adds the note again (each change is said)."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from keel.accounts.models import User
from keel.audit import services as audit
from keel.audit.models import Action
from keel.core.words import gettext_noop as N_
from keel.patients.models import FlagKind, PatientFlag, zone_of
from keel.recovery.models import CheckIn

NO_USE_NOW = N_("This check-in was later changed: no use reported (%(day)s).")


def note_on_open_flag(by: User, checkin: CheckIn, was_used: bool | None, now: datetime) -> None:
    """When today's check-in that said "used" (`was_used`, as read before the edit) now says no use, its open
    reported-use flag (the one whose source is this check-in) says so."""
    if not was_used or checkin.used:
        return
    flag = (
        PatientFlag.objects.select_for_update()
        .filter(kind=FlagKind.REPORTED_USE, source_type="checkin", source_id=checkin.pk)
        .filter(resolved_at__isnull=True)
        .first()
    )
    if flag is None:
        return
    day = timezone.localtime(now, zone_of(checkin.patient)).date().isoformat()
    params: dict[str, str | int] = {"day": day}
    flag.reasons = [*flag.reasons, NO_USE_NOW % params]
    said = list(flag.said) if flag.said else [{} for _r in flag.reasons[:-1]]  # older rows: reasons alone
    flag.said = [*said, {"template": NO_USE_NOW, "params": params}]
    flag.save(update_fields=["reasons", "said"])
    audit.record_for_patient(
        by,
        checkin.patient,
        Action.UPDATE,
        "patient_flag",
        flag.pk,
        reason="check-in edited to no use: flag says so",
    )
