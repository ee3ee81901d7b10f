"""What the treatment pages share: errors in words, a typed local time, how long ago, a report of last use
from a page's form."""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo
from typing import TypedDict

from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from keel.access.http import AuthenticatedHttpRequest
from keel.core import intake as core_intake
from keel.core import wall_time
from keel.core.rules.inputs import InvalidInput
from keel.recovery.common import StaleEdit
from keel.treatment import services
from keel.treatment.models import Medication
from keel.web import field_words


def order_versions_sent(
    post: QueryDict, medication: str, *, chosen: str
) -> tuple[str | None, dict[str, str | None]]:
    """The versions an order form sent of the orders its page read (review 22n hole 2, review 23a hole 3):
    `treatment/_order_versions.html` renders them, one hidden field per medication, on every page with an
    order form (the medication page, the start page). The written medication's version is read from
    `chosen` (`order_version` on the start page, which writes buprenorphine only; `order_version_<m>` on the
    medication page), every other medication's from `order_version_<m>`; one missing is None, which
    `services.prescribe` refuses (422 naming `order_version`), so a form without the whole picture (a page
    from before this, a hand-made request) writes nothing. Returns `prescribe`'s `order_version` and
    `other_versions`."""
    others = {m: post.get(f"order_version_{m}") for m in Medication.values if m != medication}
    return post.get(chosen), others


def order_changed_words(exc: StaleEdit) -> str:
    """An order refused because the person's orders changed since the page was read (409), as the page says
    it: the refusal's own words (`treatment.order_words.order_changed_text`, lane words25), the same the
    API's 409 says: which medication's order changed, who wrote it and when, what it is now, and what to
    do, with no version number, order id or status word."""
    return str(exc)


def holds(post: QueryDict, name: str) -> bool:
    """A form's flag that holds a dose (`sedated`): ticked when it is present with any value but blank.
    A browser sends "on"; a kiosk or automation posting to the page may send "true", "1" or "yes", and each
    of those reading as not ticked recorded the dose as given (review 16a). A flag that lets something
    happen (a bottle returned, a take-home criterion) stays "on" only: an unexpected value refuses. Every
    value of the field counts: `sedated=on&sedated=` (a ticked box and a hidden blank) holds (review 17a)."""
    values = post.getlist(name) if hasattr(post, "getlist") else [post.get(name)]
    return any(str(value or "").strip() for value in values)  # sent twice: held if any of them is ticked


def errors_text(exc: InvalidInput) -> str:
    return said(exc)


def local_time(text: str, zone: tzinfo, *, ambiguous: str) -> str:
    """A datetime-local value ("2026-11-25T06:30") as an ISO time in the program's zone; text that is not a
    date and time is passed on as typed, so that the core names it. A time the clocks show twice (the night
    they go back) is read as `ambiguous` says (`keel.core.wall_time`: LATER for a last use, EARLIER for a
    score's time); a time they skip raises WallTimeMissing (the caller names the field)."""
    if not text:
        return ""
    try:
        wall = datetime.fromisoformat(text)
    except ValueError:
        return text
    if wall.tzinfo is not None:
        return wall.isoformat()
    try:
        return wall_time.instant(wall, zone, ambiguous=ambiguous).isoformat()
    except OverflowError:  # the year 9999's last hours: past the end of the calendar in UTC
        return text


def skipped_time_error() -> str:
    return _("This time does not exist on the clock that day (the clocks went forward). Check the time.")


def ago(delta: timedelta) -> str:
    """How long ago, in words ("35 min ago", "14 h 5 min ago", "3 days ago")."""
    minutes = max(0, int(delta.total_seconds() // 60))
    if minutes < 60:
        return ngettext("%(m)s minute ago", "%(m)s minutes ago", minutes) % {"m": minutes}
    if minutes < 48 * 60:
        return _("%(h)s h %(m)s min ago") % {"h": minutes // 60, "m": minutes % 60}
    days = minutes // (24 * 60)
    return ngettext("%(d)s day ago", "%(d)s days ago", days) % {"d": days}


class LastUseForm(TypedDict):
    """A report of last use as the page posts it to the core: each opioid's code and typed time (ISO)."""

    opioids: list[dict[str, str]]
    none_since: bool


def _last_use_from_form(post: QueryDict, zone: tzinfo) -> tuple[LastUseForm, dict[str, str]]:
    """The report as the core reads it (a time of last use read the later way on the night the clocks go
    back: the longer wait), and the fields whose time the clocks skip."""
    opioids: list[dict[str, str]] = []
    skipped: dict[str, str] = {}
    for code in core_intake.OPIOIDS:
        typed = post.get(f"last_{code}", "").strip()
        if not typed:
            continue
        try:
            opioids.append(
                {"opioid": code, "last_use_at": local_time(typed, zone, ambiguous=wall_time.LATER)}
            )
        except wall_time.WallTimeMissing:
            skipped[f"last_{code}"] = skipped_time_error()
    return {"opioids": opioids, "none_since": post.get("none_since") == "on"}, skipped


def _last_use_errors(exc: InvalidInput, raw: LastUseForm) -> dict[str, str]:
    sent = [o["opioid"] for o in raw["opioids"]]
    out = {}
    for e in exc.errors:
        if e.field.startswith("opioids[") and e.field.endswith("].last_use_at"):
            index = int(e.field[len("opioids[") : e.field.index("]")])
            code = sent[index] if index < len(sent) else ""
            out[f"last_{code}"] = (
                _("This time is in the future. Check the date and the time.")
                if "future" in e.reason
                else _("Give the date and the time of the last use.")
            )
        else:
            out["opioids"] = _("Give a time of last use, or tick “no opioid since”.")
    return out


def last_use_from_page(
    request: AuthenticatedHttpRequest, patient_id: int | None, zone: tzinfo
) -> dict[str, str]:
    """Save a report of last use from a page's form; the errors by field (empty when saved)."""
    raw, skipped = _last_use_from_form(request.POST, zone)
    if skipped:
        return skipped
    if not raw["opioids"] and not raw["none_since"]:
        return {"opioids": _("Give a time of last use, or tick “no opioid since”.")}
    try:
        services.record_last_use(by=request.user, patient_id=patient_id, raw=raw)
    except InvalidInput as exc:
        return _last_use_errors(exc, raw)
    return {}


_START_LABELS = {
    "dose_mg": gettext_lazy("Buprenorphine dose (mg)"),
    "amount_mg": gettext_lazy("Dose now (mg)"),
    "max_total_mg": gettext_lazy("Allow up to this total today (mg)"),
    "reason": gettext_lazy("Clinical reason"),
    "schedule": gettext_lazy("Low-dose start"),
    "sequence": gettext_lazy("Dose of the day"),
    "override_reason": gettext_lazy("Reason for a dose above the program's check"),
    "product": gettext_lazy("Product"),
    "quantity": gettext_lazy("Kits"),
    "area": gettext_lazy("Area"),
    "goal": gettext_lazy("Goal"),
    "responsible": gettext_lazy("Responsible"),
    "review_on": gettext_lazy("Review on"),
    "order": gettext_lazy("Order"),
}


# The medication page's fields, named as the page labels them.
_MEDICATION_LABELS = {
    "kind": gettext_lazy("What the override allows"),
    "medication": gettext_lazy("Medication"),
    "note": gettext_lazy("Note"),
    "corrected_mg": gettext_lazy("Corrected amount (mg)"),
    "qtc_ms": gettext_lazy("QTc (ms)"),
    "filled_on": gettext_lazy("Filled on"),
    "days_supply": gettext_lazy("Days' supply"),
    "source": gettext_lazy("We know from"),
    "site": gettext_lazy("Site (alternate sides)"),
}


def said(exc: InvalidInput) -> str:
    """Each problem in words, after the label of the field it is about where the pages have one; a field
    with no label is never named by its code ("kind", "max_total_mg"): the problem alone says it."""
    parts = []
    for e in exc.errors:
        name = e.field.split("[")[0]
        label = _START_LABELS.get(name) or _MEDICATION_LABELS.get(name)
        parts.append(f"{label}: {field_words.on_page(e)}" if label else field_words.on_page(e))
    return "; ".join(parts)
