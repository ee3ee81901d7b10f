"""What the treatment pages share: errors in words, a typed local time, how long ago, a report of last use
from a page's form."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from keel.access.http import AuthenticatedHttpRequest
from keel.core import intake as core_intake
from keel.core.rules.inputs import InvalidInput
from keel.treatment import readiness


def errors_text(exc: InvalidInput) -> str:
    return "; ".join(f"{e.field}: {e.reason}" for e in exc.errors)


def local_time(text: str, zone: Any) -> str:
    """A datetime-local value ("2026-11-25T06:30") as an ISO time in the program's zone; text that is not a
    date and time is passed on as typed, so that the core names it."""
    try:
        return datetime.fromisoformat(text).replace(tzinfo=zone).isoformat() if text else ""
    except ValueError:
        return text


def ago(delta: timedelta) -> str:
    """How long ago, in words ("35 min ago", "14 h 5 min ago", "3 days ago")."""
    minutes = max(0, int(delta.total_seconds() // 60))
    if minutes < 60:
        return ngettext("%(m)s minute ago", "%(m)s minutes ago", minutes) % {"m": minutes}
    if minutes < 48 * 60:
        return _("%(h)s h %(m)s min ago") % {"h": minutes // 60, "m": minutes % 60}
    days = minutes // (24 * 60)
    return ngettext("%(d)s day ago", "%(d)s days ago", days) % {"d": days}


def _last_use_from_form(post: Any, zone: Any) -> dict[str, Any]:
    opioids = [
        {"opioid": code, "last_use_at": local_time(post.get(f"last_{code}", "").strip(), zone)}
        for code in core_intake.OPIOIDS
        if post.get(f"last_{code}", "").strip()
    ]
    return {"opioids": opioids, "none_since": post.get("none_since") == "on"}


def _last_use_errors(exc: InvalidInput, raw: dict[str, Any]) -> dict[str, str]:
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
    request: AuthenticatedHttpRequest, patient_id: int | None, zone: Any
) -> dict[str, str]:
    """Save a report of last use from a page's form; the errors by field (empty when saved)."""
    raw = _last_use_from_form(request.POST, zone)
    if not raw["opioids"] and not raw["none_since"]:
        return {"opioids": _("Give a time of last use, or tick “no opioid since”.")}
    try:
        readiness.record_last_use(by=request.user, patient_id=patient_id, raw=raw)
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


def said(exc: InvalidInput) -> str:
    return "; ".join(
        f"{_START_LABELS.get(e.field.split('[')[0], e.field.replace('_', ' '))}: {e.reason}"
        for e in exc.errors
    )
