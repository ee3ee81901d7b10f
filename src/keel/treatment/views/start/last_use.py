"""The start page's times of last use: reported, and a report corrected (its own view and URL each)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from keel.access import policy
from keel.access.http import AuthenticatedHttpRequest
from keel.core import wall_time
from keel.core.rules.inputs import InvalidInput
from keel.patients.models import zone_of
from keel.treatment import services
from keel.treatment.services import last_use as last_use_service
from keel.treatment.views.common import (
    last_use_from_page,
    local_time,
    skipped_time_error,
)
from keel.treatment.views.start.actions import _act
from keel.treatment.views.start.page import _render_start
from keel.web import field_words


@require_POST
@login_required
def last_use(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    def act() -> str | HttpResponse:
        patient = policy.get_patient_or_404(
            request.user, patient_id, area=policy.Area.CLINICAL, audit_success=False
        )
        errors = last_use_from_page(request, patient_id, zone_of(patient))
        if errors:
            return _render_start(
                request,
                patient_id,
                typed=request.POST,
                form="last_use",
                error=_("Not saved: check the times marked below."),
                field_errors=errors,
            )
        return _("Times of last use saved.")

    return _act(request, patient_id, "last_use", act)


def _correction_errors(exc: InvalidInput) -> dict[str, str]:
    """The service's refusals of a correction, in words, by field (no codes reach the page)."""
    out: dict[str, str] = {}
    for e in exc.errors:
        if e.field == "corrected_at":
            out["corrected_at"] = (
                _(
                    "The right time must be earlier than the time struck. A later time is a new answer: "
                    "ask again for the time of last use."
                )
                if e.reason == last_use_service.NOT_EARLIER
                else _("This time is in the future. Check the date and the time.")
                if "future" in e.reason
                else _("Give the date and the time of the last use.")
            )
        elif e.field == "reason":
            out["reason"] = field_words.on_page(e)  # the one check's own answer (review 24r: one answer)
        elif e.field == "struck_at" and e.reason == last_use_service.PROGRAM_RECORD:
            out["struck_at"] = _(
                "This time comes from the program's own record (a dose given here, a take-home day or a "
                "fill): it cannot be struck."
            )
        else:  # the opioid or the struck time the page sent: the record changed since it was shown
            out["struck_at"] = _(
                "This time is no longer the one the record shows. Reload the page and try again."
            )
    return out


@require_POST
@login_required
def last_use_correction(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    """A prescriber strikes a time of last use typed by mistake and gives the right, earlier time (local
    time, read the later way on the night the clocks go back), or ticks that the record gives no other."""
    post = request.POST

    def refused(errors: dict[str, str]) -> HttpResponse:
        return _render_start(
            request,
            patient_id,
            typed=post,
            form="last_use_correction",
            error=errors.get("struck_at") or _("Not corrected: check the fields marked below."),
            field_errors=errors,
        )

    def act() -> str | HttpResponse:
        # the role first (403 for a nurse, audited), then the form's own checks, then the one service call
        patient = last_use_service.scoped_for_correction(request.user, patient_id)
        typed = post.get("corrected_at", "").strip()
        no_time = post.get("no_time") == "on"
        if not typed and not no_time:
            return refused({"corrected_at": _("Give the right time, or tick that it is not known.")})
        corrected: str | None = None
        skipped = False
        if typed:
            try:
                corrected = local_time(typed, zone_of(patient), ambiguous=wall_time.LATER)
            except wall_time.WallTimeMissing:
                corrected, skipped = typed, True  # refused below, with the words for a skipped hour
        try:
            services.correct_last_use(
                by=request.user,
                patient_id=patient_id,
                opioid=post.get("opioid", ""),
                struck_at=post.get("struck_at", ""),
                corrected_at=corrected,
                reason=post.get("reason", ""),
            )
        except InvalidInput as exc:
            errors = _correction_errors(exc)
            if skipped:
                errors["corrected_at"] = skipped_time_error()
            return refused(errors)
        return _("Time of last use corrected.")

    return _act(request, patient_id, "last_use_correction", act)
