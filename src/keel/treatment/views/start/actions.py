"""One view per action on the buprenorphine start page, each at its own URL: the order, a dose, an override,
naloxone and a care-plan goal; a refused form comes back as the page (422), a done one as a message."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from keel.access.errors import ClinicalNotAllowed
from keel.access.http import AuthenticatedHttpRequest
from keel.core.digits import ascii_digits
from keel.core.rules.inputs import InvalidInput
from keel.recovery.common import StaleEdit
from keel.treatment import services, words
from keel.treatment.models import Medication
from keel.treatment.views.common import (
    holds,
    order_changed_words,
    order_versions_sent,
    said,
)
from keel.treatment.views.start.page import _render_start


def _slot(raw: str) -> Any:
    """The dose slot a page's form sent: a number, or the text as typed (the service names a bad one)."""
    return int(raw) if ascii_digits(raw) else (raw or None)


def _act(
    request: AuthenticatedHttpRequest, patient_id: int, form: str, act: Callable[[], str | HttpResponse]
) -> HttpResponse:
    """Run one action of the start page (its service call; it returns what to tell on success, or the page
    itself when it names its own errors) and go back to the page with the outcome as a message. A role the
    service refuses outright: 403. A dose the window holds, a dose already given or bad input: the same page
    again (422) with what was typed and the reason beside the form (`form`)."""
    post = request.POST
    try:
        done = act()
    except ClinicalNotAllowed:
        raise PermissionDenied from None
    except services.DoseBlocked as exc:
        why = words.reasons_shown(exc.decision.reasons)
        return _render_start(
            request, patient_id, typed=post, form=form, error=_("Not given: %(why)s") % {"why": why}
        )
    except StaleEdit as exc:  # an order written since the page was read: nothing typed is put back
        return _render_start(request, patient_id, form=form, error=order_changed_words(exc), status=409)
    except services.DoseConflict:
        return _render_start(
            request,
            patient_id,
            typed=post,
            form=form,
            error=_(
                "Already given today: this dose is already recorded. "
                "Reload the page before recording another."
            ),
        )
    except InvalidInput as exc:
        return _render_start(
            request, patient_id, typed=post, form=form, error=_("Not saved: %(why)s") % {"why": said(exc)}
        )
    if isinstance(done, HttpResponse):
        return done
    messages.success(request, done)
    return HttpResponseRedirect(reverse("treatment:start", args=[patient_id]))


@require_POST
@login_required
def order(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    """A buprenorphine order from the start page: every medication's version the page read goes with it, as
    from the medication page (`order_versions_sent`; review 23a hole 3: a methadone or naltrexone order
    written since the page was read is the page again, 409, nothing written)."""
    post = request.POST
    chosen, others = order_versions_sent(post, Medication.BUPRENORPHINE, chosen="order_version")

    def act() -> str:
        services.prescribe(
            by=request.user,
            patient_id=patient_id,
            medication="buprenorphine",
            dose_mg=post.get("dose_mg"),
            home_start=post.get("home_start") == "on",
            schedule=_schedule_from_text(post.get("schedule", "")),
            override_reason=post.get("override_reason", ""),
            order_version=chosen,
            other_versions=others,
            other_order=post.get("other_order") or None,  # lane switch39: none sent, 422 when it applies
        )
        return _("Order saved.")

    return _act(request, patient_id, "order", act)


@require_POST
@login_required
def dose(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    post = request.POST

    def act() -> str:
        outcome = services.record_dose(
            by=request.user,
            patient_id=patient_id,
            medication="buprenorphine",
            amount_mg=post.get("amount_mg") or None,
            sedated=holds(post, "sedated"),
            sequence=_slot(post.get("sequence", "")),  # the form's slot: a second Enter is "already given"
        )
        return words.reasons_shown(outcome.decision.reasons)

    return _act(request, patient_id, "dose", act)


@require_POST
@login_required
def override(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    post = request.POST

    def act() -> str:
        services.add_override(
            by=request.user,
            patient_id=patient_id,
            medication="buprenorphine",
            kind=post.get("kind", "limit"),
            max_total_mg=post.get("max_total_mg"),
            reason=post.get("reason", ""),
        )
        return _("Override saved for today.")

    return _act(request, patient_id, "override", act)


@require_POST
@login_required
def naloxone(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    post = request.POST

    def act() -> str:
        services.dispense_naloxone(
            by=request.user,
            patient_id=patient_id,
            product=post.get("product", ""),
            quantity=post.get("quantity", "1"),
        )
        return _("Naloxone kit recorded.")

    return _act(request, patient_id, "naloxone", act)


@require_POST
@login_required
def goal(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    post = request.POST

    def act() -> str:
        services.add_goal(
            by=request.user,
            patient_id=patient_id,
            area=post.get("area", ""),
            goal=post.get("goal", ""),
            responsible_id=post.get("responsible", ""),
            review_on=post.get("review_on", ""),
        )
        return _("Goal added to the care plan.")

    return _act(request, patient_id, "goal", act)


def _schedule_from_text(text: str) -> list[dict[str, object]]:
    """Lines of "day mg" (e.g. "1 0.5") as the core's schedule; a line that does not parse is passed on as
    written so that the core names it."""
    steps: list[dict[str, object]] = []
    for line in text.strip().splitlines():
        parts = line.replace(",", " ").split()
        if len(parts) == 2 and ascii_digits(parts[0]):
            try:
                steps.append({"day": int(parts[0]), "mg": float(parts[1])})
                continue
            except ValueError:
                pass
        steps.append({"day": line, "mg": None})
    return steps
