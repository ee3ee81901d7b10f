"""A check-in with reported use, edited (lane fix35e, review 35e H8; fix36b, review 35g): the reported-use
flag it raised stays open (a clinician closes it, having asked her) and says the check-in as it now stands.

Edited to no use: the flag keeps what she first said she used and adds that the check-in was later changed
to no use, and on which day (the shape of a corrected suicide screen, `keel.assessments.corrected_screen`).
Edited back to "used": that note comes off, and what she said she used and how is read again from the
check-in (`flags.what_and_how`), as it is after an edit of what or how. So the flag holds at most one such
note, never a stale one; each change is in the audit trail (one row per change of the flag).

The reasons are English (as the API and the audit carry them) and their `said` (template and parameters, a
day an ISO day said in the reader's words, `patients.flagwords`) changes with them, in the edit's
transaction. An edit that changes nothing the flag says, or one of a check-in that never said "used",
writes nothing."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from django.utils import timezone

from keel.accounts.models import User
from keel.audit import services as audit
from keel.audit.models import Action
from keel.core.words import gettext_noop as N_
from keel.patients.flags import reasons_with_said
from keel.patients.models import FlagKind, PatientFlag, zone_of
from keel.recovery.models import CheckIn
from keel.recovery.services.flags import WHAT_TEMPLATES, what_and_how

NO_USE_NOW = N_("This check-in was later changed: no use reported (%(day)s).")

_Reason = tuple[str, Mapping[str, object]]  # a reason in English and its `said`


def note_on_open_flag(by: User, checkin: CheckIn, was_used: bool | None, now: datetime) -> None:
    """When today's check-in said "used" before the edit (`was_used`, as read before it) or says it now,
    its open reported-use flag (the one whose source is this check-in) says the check-in as it now stands."""
    if was_used is None or not (was_used or checkin.used):
        return
    flag = (
        PatientFlag.objects.select_for_update()
        .filter(kind=FlagKind.REPORTED_USE, source_type="checkin", source_id=checkin.pk)
        .filter(resolved_at__isnull=True)
        .first()
    )
    if flag is None:
        return
    before = reasons_with_said(flag)  # the one reading (`patients.flags`)
    after = _as_it_stands(before, checkin, now)
    if after == before:
        return
    flag.reasons = [text for text, _said in after]
    flag.said = [dict(said) for _text, said in after]
    flag.save(update_fields=["reasons", "said"])
    audit.record_for_patient(
        by,
        checkin.patient,
        Action.UPDATE,
        "patient_flag",
        flag.pk,
        reason="check-in edited: flag says what was used"
        if checkin.used
        else "check-in edited to no use: flag says so",
    )


def _is(reason: _Reason, templates: tuple[str, ...]) -> bool:
    text, said = reason
    return said.get("template") in templates or any(text.startswith(t.split("%")[0]) for t in templates)


def _as_it_stands(reasons: list[_Reason], checkin: CheckIn, now: datetime) -> list[_Reason]:
    """The reasons with no note of an earlier change; then, if she now says "used", what she said she used
    read again in place of the one said before; if she now says no use, the note of this day."""
    kept = [r for r in reasons if not _is(r, (NO_USE_NOW,))]
    if not checkin.used:
        day = timezone.localtime(now, zone_of(checkin.patient)).date().isoformat()
        return [*kept, (NO_USE_NOW % {"day": day}, {"template": NO_USE_NOW, "params": {"day": day}})]
    fresh = what_and_how(checkin.pk)
    said: Mapping[str, object] = {"template": fresh["template"], "params": fresh["params"]}
    where = next((i for i, r in enumerate(kept) if _is(r, WHAT_TEMPLATES)), None)
    if where is None:
        return [*kept[:1], (fresh["text"], said), *kept[1:]]
    rest = [r for r in kept[where + 1 :] if not _is(r, WHAT_TEMPLATES)]
    return [*kept[:where], (fresh["text"], said), *rest]
