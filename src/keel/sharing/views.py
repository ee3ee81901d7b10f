"""Pages: the patient's sharing page, consent form and revocation; the care team's sharing page, disclosure
(the document is the answer to the POST, to print or send; never a URL with data) and emergency access."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypedDict

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from keel.access.http import AuthenticatedHttpRequest
from keel.accounts.models import User
from keel.core import sharing as core
from keel.core.reasons import EMERGENCY_ACCESS_PAGE, EMERGENCY_DISCLOSURE_FORM
from keel.core.rules.inputs import FieldsInvalid
from keel.core.words import gettext_noop as N_
from keel.patients.models import local_today, zone_of
from keel.sharing import queries, services, words
from keel.sharing.models import Disclosure, EmergencyReview
from keel.sharing.schemas import DisclosureIn
from keel.web import field_words


def _errors(exc: FieldsInvalid) -> dict[str, str]:
    return field_words.by_field(exc.errors)


# Review 29b H3: the labels the sharing pages' forms name their fields by (the same catalogue entries as
# the templates), so a problem listed above a form is said under its label (`field_words.labelled`), never
# the field's key.
CONSENT_SHARE_LABELS = {
    "recipient_name": N_("Who receives it (as the consent names them)"),
    "purpose": N_("Why it is shared"),
    "purpose_text": N_("The purpose, in the consent's words"),
    "password": N_("Your password, to confirm"),
}
EMERGENCY_SHARE_LABELS = {
    "recipient_name": EMERGENCY_DISCLOSURE_FORM["recipient"],
    "recipient_role": EMERGENCY_DISCLOSURE_FORM["role"],
    "recipient_affiliation": EMERGENCY_DISCLOSURE_FORM["facility"],
    "nature": EMERGENCY_DISCLOSURE_FORM["nature"],
    "categories": EMERGENCY_DISCLOSURE_FORM["categories"],
    "password": EMERGENCY_DISCLOSURE_FORM["password"],
}
PAPER_CONSENT_LABELS = {
    "recipient_name": N_("Who gets the report"),
    "purpose": N_("Why"),
    "purpose_text": N_("Another purpose, as written on the form"),
    "categories": N_("What the report may show"),
    "expires_on": N_("The consent ends on"),
    "understood": N_("The form holds these statements and the patient signed it"),
    "signer": N_("Who signed"),
    "representative_name": N_("The representative's name"),
    "representative_relationship": N_("Their relationship to the patient"),
    "representative_authority": N_(
        "Their legal authority (for example a court order or a health-care power of attorney, with its date)"
    ),
    "signature": N_("The name as signed"),
    "patient_signature": N_("For a minor: the minor's name as they signed too"),
}
EMERGENCY_ACCESS_LABELS = {
    key: EMERGENCY_ACCESS_PAGE[key] for key in ("record_number", "program", "reason", "password")
}
# "review": the review itself (already attested in another tab), named as the page's list names it; never
# a bare "was already attested" (lane look30)
ATTEST_LABELS = {"note": N_("What you checked"), "review": N_("This use of emergency powers")}


@dataclass(frozen=True)
class ConsentShown:
    """A consent on the sharing pages: the consent read (`v`), its categories, purpose and the
    representative's relationship in the reader's words."""

    v: queries.ConsentView
    categories: list[str]
    purpose: str
    relationship: str


@dataclass(frozen=True)
class DisclosureShown:
    """A disclosure on the patient's own page (`d`), with who shared it as she reads it (`by`: the role they
    held when they shared it, never a name; review 28a H3, H4)."""

    d: Disclosure
    by: str


def _labelled(view: queries.Sharing) -> dict[str, object]:
    return {
        "consents": [
            ConsentShown(
                v=c,
                categories=[words.category(x) for x in c.consent.categories],
                purpose=c.consent.purpose_text
                if c.consent.purpose == "other"
                else words.purpose(c.consent.purpose),
                relationship=words.representative(c.consent.representative_relationship),
            )
            for c in view.consents
        ],
        "disclosures": view.disclosures,
        "since": view.since,
        "patient": view.patient,
    }


@require_safe
@login_required
def mine(request: AuthenticatedHttpRequest) -> HttpResponse:
    view = queries.my_sharing(request.user)
    context = _labelled(view)
    context["disclosures"] = [DisclosureShown(d, d.discloser_for_patient) for d in view.disclosures]
    return render(request, "sharing/mine.html", context)


@require_http_methods(["GET", "POST"])
@login_required
def new_consent(request: AuthenticatedHttpRequest) -> HttpResponse:
    errors: dict[str, str] = {}
    asked: Mapping[str, object] = {"categories": []}
    status = 200
    if request.method == "POST":
        asked = _consent_from_post(request.POST)
        try:
            services.sign_consent(by=request.user, raw=asked)
        except services.SharingInvalid as exc:
            errors, status = _errors(exc), 422
        else:
            messages.success(request, _("Your consent is signed. You can take it back at any time."))
            return HttpResponseRedirect(reverse("sharing:mine"))
    from keel.access import policy

    patient = policy.own_patient_or_404(request.user, target_type="consent_form")
    return render(
        request,
        "sharing/new_consent.html",
        {
            "errors": errors,
            "asked": asked,
            "categories": words.categories(),
            "purposes": words.purposes(),
            "representatives": words.representatives(),
            "statements": words.statements(),
            "program": patient.program.name,
            "patient_name": services.legal_name(patient),
            "today": local_today(patient, timezone.now()),
        },
        status=status,
    )


@require_POST
@login_required
def revoke(request: AuthenticatedHttpRequest, consent_id: int) -> HttpResponse:
    services.revoke_consent(by=request.user, consent_id=consent_id)
    messages.success(request, _("The consent is revoked. Nothing more will be shared under it."))
    return HttpResponseRedirect(reverse("sharing:mine"))


@require_safe
@login_required
def patient_page(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    return render(request, "sharing/patient.html", _staff_context(request, patient_id))


def _staff_context(request: AuthenticatedHttpRequest, patient_id: int, **extra: object) -> dict[str, object]:
    context = _labelled(queries.patient_sharing(request.user, patient_id))
    context.update(
        {
            "all_categories": words.categories(),
            "emergency_categories": words.emergency_categories(),
            "emergency_form": EMERGENCY_DISCLOSURE_FORM,  # its words are no reason (`reason_problem`)
            "medical_roles": words.medical_roles(),
            "representatives": words.representatives(),
            "purposes": words.purposes(),
            "statements": words.statements(),
            "errors": {},
            "asked": {},
            "paper_errors": {},
            "paper": {"categories": []},
            **extra,
        }
    )
    return context


@require_POST
@login_required
def disclose(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    raw = {
        "basis": request.POST.get("basis", ""),
        "consent": request.POST.get("consent", ""),
        "categories": request.POST.getlist("categories"),
        "recipient_name": request.POST.get("recipient_name", ""),
        "recipient_affiliation": request.POST.get("recipient_affiliation", ""),
        "recipient_role": request.POST.get("recipient_role", ""),
        "purpose": request.POST.get("purpose", ""),
        "purpose_text": request.POST.get("purpose_text", ""),
        "nature": request.POST.get("nature", ""),
        "password": request.POST.get("password", ""),
    }
    try:
        disclosure, document = services.disclose(
            by=request.user, patient_id=patient_id, data=DisclosureIn.posted(raw)
        )
    except services.SharingNotAllowed:
        raise PermissionDenied from None
    except services.SharingInvalid as exc:
        raw.pop("password")
        labels = EMERGENCY_SHARE_LABELS if raw["basis"] == "emergency" else CONSENT_SHARE_LABELS
        context = _staff_context(
            request, patient_id, errors=field_words.labelled(exc.errors, labels), asked=raw
        )
        return render(request, "sharing/patient.html", context, status=422)
    return render(request, "sharing/document.html", {"document": document, "disclosure": disclosure})


class ConsentPosted(TypedDict):
    """A consent form as posted (the patient's, or the paper form entered by the care team), each field as
    typed; `keel.core.sharing.parse_consent` checks it."""

    recipient_name: str
    purpose: str
    purpose_text: str
    categories: list[str]
    expires_on: str
    signature: str
    understood: bool
    signer: str
    representative_name: str
    representative_relationship: str
    representative_authority: str
    patient_signature: str


def _consent_from_post(post: QueryDict) -> ConsentPosted:
    return {
        "recipient_name": post.get("recipient_name", ""),
        "purpose": post.get("purpose", ""),
        "purpose_text": post.get("purpose_text", ""),
        "categories": post.getlist("categories"),
        "expires_on": post.get("expires_on", ""),
        "signature": post.get("signature", ""),
        "understood": post.get("understood") == "on",
        "signer": post.get("signer", "patient"),
        "representative_name": post.get("representative_name", ""),
        "representative_relationship": post.get("representative_relationship", ""),
        "representative_authority": post.get("representative_authority", ""),
        "patient_signature": post.get("patient_signature", ""),
    }


@require_POST
@login_required
def paper_consent(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    raw = _consent_from_post(request.POST)
    try:
        services.record_paper_consent(by=request.user, patient_id=patient_id, raw=raw)
    except services.SharingNotAllowed:
        raise PermissionDenied from None
    except services.SharingInvalid as exc:
        listed = field_words.labelled(exc.errors, PAPER_CONSENT_LABELS)
        context = _staff_context(request, patient_id, paper_errors=listed, paper=raw)
        return render(request, "sharing/patient.html", context, status=422)
    messages.success(request, _("The paper consent is recorded. Keep the signed form in the chart."))
    return HttpResponseRedirect(reverse("sharing:patient", args=[patient_id]))


@require_POST
@login_required
def written_revocation(request: AuthenticatedHttpRequest, patient_id: int, consent_id: int) -> HttpResponse:
    try:
        services.record_written_revocation(by=request.user, patient_id=patient_id, consent_id=consent_id)
    except services.SharingNotAllowed:
        raise PermissionDenied from None
    messages.success(request, _("The written revocation is recorded. Nothing more will be shared under it."))
    return HttpResponseRedirect(reverse("sharing:patient", args=[patient_id]))


@require_POST
@login_required
def end_emergency(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    """End the caller's own emergency access to this record (the button on the record's banner): the record
    leaves their scope, so the answer is the caseload, with a message."""
    try:
        _grant, ended = services.end_emergency_access(by=request.user, patient_id=patient_id)
    except services.SharingNotAllowed:
        raise PermissionDenied from None
    except services.NoEmergencyAccess:
        raise Http404 from None
    if ended:
        messages.success(request, _("Emergency access ended. The record is closed to you again."))
    else:
        messages.info(request, _("Emergency access had already ended."))
    return HttpResponseRedirect(reverse("web:patient_list"))


@require_http_methods(["GET", "POST"])
@login_required
def emergency(request: AuthenticatedHttpRequest) -> HttpResponse:
    from keel.access import policy

    if not policy.can_request_emergency_access(request.user):
        raise PermissionDenied
    errors: list[tuple[str, str]] = []
    asked = {"record_number": "", "reason": "", "program": ""}
    status = 200
    if request.method == "POST":
        asked = {
            "record_number": request.POST.get("record_number", ""),
            "reason": request.POST.get("reason", ""),
            "program": request.POST.get("program", ""),
        }
        try:
            patient, grant = services.emergency_access(
                by=request.user,
                record_number=asked["record_number"],
                reason=asked["reason"],
                password=request.POST.get("password", ""),
                program=asked["program"],
            )
        except services.SharingInvalid as exc:
            errors, status = field_words.labelled(exc.errors, EMERGENCY_ACCESS_LABELS), 422
        else:
            # the program's clock, as every time on a person's record (review 29b observation)
            until = timezone.localtime(grant.expires_at, zone_of(patient)).strftime("%H:%M")
            messages.warning(
                request,
                _(
                    "Emergency access is open until %(until)s. The care team is told, "
                    "and it is in the audit trail."
                )
                % {"until": until},
            )
            return HttpResponseRedirect(reverse("web:patient_detail", args=[patient.pk]))
    return render(
        request,
        "sharing/emergency.html",
        {
            "errors": errors,
            "asked": asked,
            "notice": core.NOTICE,
            "programs": queries.programs_to_choose(request.user),
            "page": EMERGENCY_ACCESS_PAGE,  # its words are no reason (`reason_problem`)
        },
        status=status,
    )


@require_safe
@login_required
def reviews(request: AuthenticatedHttpRequest) -> HttpResponse:
    try:
        rows = queries.emergency_reviews(request.user, include_attested=request.GET.get("all") == "1")
    except services.SharingNotAllowed:
        raise PermissionDenied from None
    return render(request, "sharing/reviews.html", {"reviews": rows, "errors": {}})


def _review_named(by: User, rows: list[EmergencyReview], review_id: int) -> EmergencyReview | None:
    """The review a refused attest was about, so the error above the list says which one (lane look31: it
    did not); one attested in another tab is no longer waiting, so it is read among all of them."""
    found = next((r for r in rows if r.pk == review_id), None)
    if found is None:
        found = next(
            (r for r in queries.emergency_reviews(by, include_attested=True) if r.pk == review_id), None
        )
    return found


@require_POST
@login_required
def attest(request: AuthenticatedHttpRequest, review_id: int) -> HttpResponse:
    try:
        services.attest_review(by=request.user, review_id=review_id, note=request.POST.get("note", ""))
    except services.SharingNotAllowed:
        raise PermissionDenied from None
    except services.SharingInvalid as exc:
        rows = queries.emergency_reviews(request.user)
        context = {
            "reviews": rows,
            "errors": field_words.labelled(exc.errors, ATTEST_LABELS),
            "failed": review_id,
            "failed_review": _review_named(request.user, rows, review_id),
            "note_error": field_words.by_field(exc.errors).get("note", ""),
            "typed_note": request.POST.get("note", ""),
        }
        return render(request, "sharing/reviews.html", context, status=422)
    messages.success(request, _("Attested. It stays in the audit trail."))
    return HttpResponseRedirect(reverse("sharing:reviews"))
