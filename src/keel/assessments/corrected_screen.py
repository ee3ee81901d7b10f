"""A positive suicide screen later corrected negative, or marked entered in error (clin34): its open flag
stays (a clinician resolves it, having seen the person) but says so, with who corrected it and when, in the
reader's language. No second flag: a screen has one (`flag_once_per_source`).

The words are added to the flag's reasons (English, as the API and the audit carry them) and to its `said`
(the template and its parameters: the name kept as written, the role a catalogued word, the day an ISO day
said in the reader's words, `patients.flagwords`), in the correction's transaction, audited."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from django.utils import timezone, translation

from keel.accounts.models import User
from keel.assessments.models import Assessment
from keel.audit import services as audit
from keel.audit.models import Action
from keel.core.instruments.model import Result
from keel.core.words import gettext_noop as N_
from keel.patients.models import FlagKind, PatientFlag, zone_of

ITEM9_NOW = N_("This screen was later corrected: item 9 is now %(value)s (by %(name)s, %(role)s, %(day)s).")
ITEM9_NOW_NO_NAME = N_(
    "This screen was later corrected: item 9 is now %(value)s (by %(role)s, no name on file, %(day)s)."
)
NEGATIVE_NOW = N_(
    "This screen was later corrected: it is no longer positive (by %(name)s, %(role)s, %(day)s)."
)
NEGATIVE_NOW_NO_NAME = N_(
    "This screen was later corrected: it is no longer positive (by %(role)s, no name on file, %(day)s)."
)
STRUCK = N_("This screen was later marked entered in error (by %(name)s, %(role)s, %(day)s).")
STRUCK_NO_NAME = N_("This screen was later marked entered in error (by %(role)s, no name on file, %(day)s).")


def note_on_open_flag(
    by: User,
    assessment: Assessment,
    result: Result | None,
    answers: Mapping[str, object] | None,
    now: datetime,
) -> None:
    """When a screen whose suicide-risk flag is open is corrected negative (`result` without the flag, from
    `answers`) or struck (`result` None): the flag says so. A correction that stays positive adds nothing."""
    if result is not None and "suicide_risk" in result.flags:
        return
    flag = (
        PatientFlag.objects.select_for_update()
        .filter(kind=FlagKind.SUICIDE_RISK, source_type="assessment", source_id=assessment.pk)
        .filter(resolved_at__isnull=True)
        .first()
    )
    if flag is None:
        return
    template, params = _words(by, assessment, None if result is None else answers or {}, now)
    flag.reasons = [*flag.reasons, _english(template, params)]
    said = list(flag.said) if flag.said else [{} for _r in flag.reasons[:-1]]  # older rows: reasons alone
    flag.said = [*said, {"template": template, "params": params}]
    flag.save(update_fields=["reasons", "said"])
    audit.record_for_patient(
        by,
        assessment.patient,
        Action.UPDATE,
        "patient_flag",
        flag.pk,
        reason="suicide screen corrected: flag says so",
    )


def _words(
    by: User, assessment: Assessment, answers: Mapping[str, object] | None, now: datetime
) -> tuple[str, dict[str, str | int]]:
    """The note's template and parameters: what the screen says now, by whom, on which day (the program's)."""
    name = by.get_full_name().strip()
    with translation.override(
        "en"
    ):  # the role as its catalogue entry (said in the reader's words when shown)
        role = str(by.get_role_display())
    day = timezone.localtime(now, zone_of(assessment.patient)).date().isoformat()
    params: dict[str, str | int] = {"role": role, "day": day}
    if name:
        params["name"] = name
    if answers is None:
        return (STRUCK if name else STRUCK_NO_NAME), params
    item9 = answers.get("phq9_9") if assessment.instrument == "phq9" else None
    if isinstance(item9, int):
        params["value"] = item9
        return (ITEM9_NOW if name else ITEM9_NOW_NO_NAME), params
    return (NEGATIVE_NOW if name else NEGATIVE_NOW_NO_NAME), params


def _english(template: str, params: dict[str, str | int]) -> str:
    """The note as the API and the audit carry it: English, its day as an ISO day."""
    return template % params
