"""A suicide screen's flag follows its corrected result (clin34; lane fix38d, review 38d hole 2).

A positive screen later corrected negative, or marked entered in error: its open flag stays (a clinician
resolves it, having seen the person) but says so, with who corrected it and when, in the reader's language.
Every correction that changes a PHQ-9's item 9 is noted on the screen's flag, both ways, open or resolved
(`core.rules.flag_follows`); one that makes item 9 higher than it was when the flag was resolved reopens it
(the screen's one flag, `flag_once_per_source`). A C-SSRS screener the same by its risk level (lane fix38n,
re38r finding 2): every change of level noted, open or resolved; a level higher than when the flag was
resolved reopens it. A screen struck as entered in error says so on its flag, open or resolved (lane fix38n).

The words are added through `patients.flags.follow_result` (the one way a flag follows its corrected result):
to the flag's reasons (English, as the API and the audit carry them) and to its `said` (the template and its
parameters: the name kept as written, the role a catalogued word, the day an ISO day said in the reader's
words, `patients.flagwords`), in the correction's transaction, audited."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone, translation

from keel.accounts.models import User
from keel.assessments.models import Assessment, AssessmentCorrection
from keel.audit.models import Action, AuditEvent
from keel.core.digits import ascii_digits
from keel.core.instruments.model import Result
from keel.core.rules.flag_follows import cssrs_label, cssrs_level, risk_follow
from keel.core.words import gettext_noop as N_
from keel.patients.flags import follow_result
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
ITEM9_HIGHER = N_(
    "This screen was later corrected: item 9 is now %(value)s, higher than when this flag was resolved "
    "(%(was)s), so it is open again (by %(name)s, %(role)s, %(day)s)."
)
ITEM9_HIGHER_NO_NAME = N_(
    "This screen was later corrected: item 9 is now %(value)s, higher than when this flag was resolved "
    "(%(was)s), so it is open again (by %(role)s, no name on file, %(day)s)."
)
LEVEL_NOW = N_(
    "This screen was later corrected: the risk level is now %(level)s (by %(name)s, %(role)s, %(day)s)."
)
LEVEL_NOW_NO_NAME = N_(
    "This screen was later corrected: the risk level is now %(level)s (by %(role)s, no name on file, "
    "%(day)s)."
)
LEVEL_HIGHER = N_(
    "This screen was later corrected: the risk level is now %(level)s, higher than when this flag was "
    "resolved (%(was)s), so it is open again (by %(name)s, %(role)s, %(day)s)."
)
LEVEL_HIGHER_NO_NAME = N_(
    "This screen was later corrected: the risk level is now %(level)s, higher than when this flag was "
    "resolved (%(was)s), so it is open again (by %(role)s, no name on file, %(day)s)."
)
_WORDS = {
    "item9": (ITEM9_NOW, ITEM9_NOW_NO_NAME),
    "item9_higher": (ITEM9_HIGHER, ITEM9_HIGHER_NO_NAME),
    "negative": (NEGATIVE_NOW, NEGATIVE_NOW_NO_NAME),
    "level": (LEVEL_NOW, LEVEL_NOW_NO_NAME),
    "level_higher": (LEVEL_HIGHER, LEVEL_HIGHER_NO_NAME),
    "struck": (STRUCK, STRUCK_NO_NAME),
}
SAYS_SO = "suicide screen corrected: flag says so"


def flag_follows_screen(
    by: User, assessment: Assessment, row: AssessmentCorrection, result: Result | None, now: datetime
) -> None:
    """After `row` (a correction of `assessment`; `result` its score, None when struck), in its transaction:
    the screen's suicide-risk flag, if it has one, says what the screen in force says (the module's rules)."""
    flag = (
        PatientFlag.objects.select_for_update(of=("self",))
        .filter(kind=FlagKind.SUICIDE_RISK, source_type="assessment", source_id=assessment.pk)
        .select_related("resolved_by")
        .first()
    )
    if flag is None:
        return
    if result is None:  # struck: the flag says so, open or resolved (lane fix38n)
        _follow(by, assessment, flag, "struck", {}, now)
        return
    before = _in_force(assessment, AssessmentCorrection.objects.exclude(pk=row.pk))
    if assessment.instrument == "phq9":
        _item9(by, assessment, flag, before, row, now)
    elif assessment.instrument == "cssrs-screen":
        _cssrs(by, assessment, flag, before, row, now)


def _item9(
    by: User,
    assessment: Assessment,
    flag: PatientFlag,
    before: Assessment,
    row: AssessmentCorrection,
    now: datetime,
) -> None:
    """A PHQ-9: item 9 before, now, and when the flag was resolved decide (`core.rules.flag_follows`)."""
    then = None if flag.resolved_at is None else _value(_at_resolution(assessment, flag, row).answers)
    value = _value(row.answers)
    follow = risk_follow(before=_value(before.answers), now=value, when_resolved=then)
    if not follow.note or value is None:
        return
    extra: dict[str, str | int] = {"value": value}
    if follow.reopen and then is not None:
        extra["was"] = then
    _follow(by, assessment, flag, "item9_higher" if follow.reopen else "item9", extra, now, follow.reopen)


def _cssrs(
    by: User,
    assessment: Assessment,
    flag: PatientFlag,
    before: Assessment,
    row: AssessmentCorrection,
    now: datetime,
) -> None:
    """A C-SSRS screener: its risk level before, now, and when the flag was resolved decide (`core.rules.
    flag_follows`); a level of none says the screen is no longer positive."""
    then = None if flag.resolved_at is None else _level(_at_resolution(assessment, flag, row))
    level = cssrs_level(row.band)
    follow = risk_follow(before=_level(before), now=level, when_resolved=then)
    if not follow.note or level is None:
        return
    if level == 0:
        _follow(by, assessment, flag, "negative", {}, now)
        return
    extra: dict[str, str | int] = {"level": cssrs_label(level)}
    if follow.reopen and then is not None:
        extra["was"] = cssrs_label(then)
    _follow(by, assessment, flag, "level_higher" if follow.reopen else "level", extra, now, follow.reopen)


def _level(screen: Assessment) -> int | None:
    """The screen's C-SSRS level as its result says (a copy from `_in_force` carries only its result)."""
    band = (screen.result or {}).get("band") or {}
    return cssrs_level(band.get("code") if isinstance(band, dict) else None)


def _value(answers: Mapping[str, object] | None) -> int | None:
    found = (answers or {}).get("phq9_9")
    return found if isinstance(found, int) and not isinstance(found, bool) else None


def _in_force(assessment: Assessment, corrections: QuerySet[AssessmentCorrection]) -> Assessment:
    """The screen as the latest of `corrections` says, else as entered: a copy carrying its `answers` and
    `result`."""
    latest = (
        corrections.filter(assessment=assessment, entered_in_error=False)
        .order_by("-corrected_at", "-id")
        .first()
    )
    if latest is None:
        return assessment
    return Assessment(pk=assessment.pk, answers=latest.answers, result=latest.result or {})


def _at_resolution(assessment: Assessment, flag: PatientFlag, row: AssessmentCorrection) -> Assessment:
    """The screen in force when the flag was resolved: the corrections written before the resolution, in the
    order of their audit rows (a pinned clock or a row set back as history may give both one time), else
    those corrected by its time."""
    resolved = (
        AuditEvent.objects.filter(
            target_type="patient_flag", target_id=str(flag.pk), action=Action.UPDATE, reason="resolved"
        )
        .order_by("-id")
        .values_list("id", flat=True)
        .first()
    )
    earlier = AssessmentCorrection.objects.exclude(pk=row.pk)
    if resolved is None:
        return _in_force(assessment, earlier.filter(corrected_at__lte=flag.resolved_at))
    written = AuditEvent.objects.filter(
        patient_id=assessment.patient_id,
        target_type="assessment_correction",
        action=Action.CREATE,
        id__lt=resolved,
    ).values_list("target_id", flat=True)
    return _in_force(assessment, earlier.filter(pk__in=[int(t) for t in written if ascii_digits(t)]))


def _follow(
    by: User,
    assessment: Assessment,
    flag: PatientFlag,
    kind: str,
    extra: dict[str, str | int],
    now: datetime,
    reopen: bool = False,
) -> None:
    template, params = _words(by, assessment, kind, now)
    follow_result(by=by, flag=flag, notes=[(template, params | extra)], reopen=reopen, audit_reason=SAYS_SO)


def _words(by: User, assessment: Assessment, kind: str, now: datetime) -> tuple[str, dict[str, str | int]]:
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
    named, unnamed = _WORDS[kind]
    return (named if name else unnamed), params
