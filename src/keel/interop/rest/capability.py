"""The CapabilityStatement at `metadata`: what this server really does, and only that."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from keel.interop.api import base_for
from keel.interop.fhir import resources as r
from keel.interop.fhir.base import Base
from keel.interop.rest.outcomes import _handle, _json
from keel.interop.rest.params import MAX_COUNT, MAX_OFFSET, SEARCH_PARAMS, TYPES, _check_request
from keel.sharing.services import CONSENT_HEADER


@csrf_exempt  # GET only, writes nothing: a POST is the 405 OperationOutcome (review 36g hole 5)
def metadata(request: HttpRequest) -> HttpResponse:
    """The CapabilityStatement: what this server really does (no authentication needed to read it)."""

    def work() -> HttpResponse:
        _check_request(request, set())
        return _json(capability_statement(base_for(request)))

    return _handle(request, work)


# What each search parameter is: its FHIR type and what Keel matches.
_SEARCH_DOCS = {
    "identifier": (
        "token",
        "the record number ([system|]value); not for roles without the clinical area",
    ),
    "name": ("string", "any part of the name, from its start, ignoring case and accents"),
    "family": ("string", "the family name, from its start"),
    "given": ("string", "a given or preferred name, from its start"),
    "birthdate": (
        "date",
        "eq, ne, lt, gt, le, ge, sa, eb, each value a range at its precision; not for roles without the "
        "clinical area",
    ),
    "patient": ("reference", "the patient (an id or Patient/id)"),
    "subject": ("reference", "the patient (an id or Patient/id)"),
    "code": ("token", "[system|]code, several separated by commas"),
    "date": (
        "date",
        "effective date (a day or an instant: a range) in the program's time zone: eq, ne, lt, gt, le, ge, "
        "sa, eb",
    ),
}


def capability_statement(base: Base) -> dict[str, Any]:
    """What the server does, and only that: read for every type it serves, search with the parameters above
    (plus _id, _count, _offset), `$everything` on Patient; JSON only; no writes (the PHQ-9 import is on the
    JSON API, not this endpoint)."""
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": "2026-12-01",
        "publisher": "Keel",
        "kind": "instance",
        "software": {"name": "Keel"},
        "implementation": {"description": "Keel's FHIR R4 read API", "url": base.url},
        "fhirVersion": "4.0.1",
        "format": ["application/fhir+json", "json"],
        "rest": [
            {
                "mode": "server",
                "documentation": (
                    "Read-only. Every response carries the 42 CFR Part 2 security label; paging by _count "
                    "(at "
                    f"most {MAX_COUNT}) and _offset (at most {MAX_OFFSET}) with next links; a search by "
                    "type's next link past that carries an opaque _cursor (follow it as given), and a "
                    "paging without one ($everything, a search released under a consent, Questionnaire) "
                    "ends at the last page _offset reaches with no next link and an OperationOutcome "
                    "entry (search.mode outcome) saying to narrow the search; errors as OperationOutcome. "
                    "A parameter that takes one value (_id, _count, _offset, _cursor, _format, _page) "
                    "given twice is a 400 naming it."
                ),
                "security": _security(),
                "resource": [_resource_entry(t) for t in TYPES],
            }
        ],
    }


def _security() -> dict[str, object]:
    """Who may read: Keel's own bearer tokens, and what a staff member's token needs to take a record out."""
    return {
        "cors": False,
        # No code of restful-security-service fits Keel's own bearer tokens (they are not OAuth).
        "service": [{"text": "Bearer personal access tokens from POST /api/v1/auth/tokens"}],
        "description": (
            "Authorization: Bearer <token>, the same tokens as Keel's JSON API. With a staff "
            "member's token a person's record leaves Keel (42 CFR Part 2): every read or search "
            f"names one person (patient) and sends '{CONSENT_HEADER}: <consent id>', a live "
            "consent of that person naming the recipient, the purpose and the whole record; each "
            "request is a line in their accounting of disclosures. Patient/$everything takes its "
            "basis in a POST Parameters body instead. A staff member's browser session cannot "
            "take the whole record ($everything): that is the staff export, with a basis and "
            "the password again. A person's own token or session reads their own record."
        ),
    }


def _resource_entry(t: str) -> dict[str, Any]:
    """One resource type: read, search where it has parameters, and Patient's profile and `$everything`."""
    params = _search_params(t)
    entry: dict[str, Any] = {
        "type": t,
        "interaction": [{"code": "read"}] + ([{"code": "search-type"}] if t in SEARCH_PARAMS else []),
        "versioning": "no-version",
        "readHistory": False,
        "updateCreate": False,
    }
    if t == "Questionnaire":
        entry["interaction"].append({"code": "search-type"})
        params = _questionnaire_params()
    if params:
        entry["searchParam"] = params
    if t == "Patient":
        entry["supportedProfile"] = [r.US_CORE_PATIENT]
        entry["operation"] = [_everything_operation()]
    return entry


def _search_params(t: str) -> list[dict[str, str]]:
    """The type's search parameters with their documentation, `_id` first when it has any."""
    params = [{"name": "_id", "type": "token"}] if t in SEARCH_PARAMS else []
    params += [
        {"name": p, "type": _SEARCH_DOCS[p][0], "documentation": _SEARCH_DOCS[p][1]}
        for p in sorted(SEARCH_PARAMS.get(t, ()))
    ]
    return params


def _questionnaire_params() -> list[dict[str, str]]:
    """Questionnaire is searched by its canonical URL and version, not by the common parameters."""
    return [
        {"name": "_id", "type": "token"},
        {"name": "url", "type": "uri", "documentation": "the canonical URL, optionally |version"},
        {"name": "version", "type": "token", "documentation": "the business version"},
    ]


def _everything_operation() -> dict[str, str]:
    """Patient/$everything: how a staff member's token takes the whole record, and why a session cannot."""
    return {
        "name": "everything",
        "definition": "http://hl7.org/fhir/OperationDefinition/Patient-everything",
        "documentation": (
            "GET, or POST with a Parameters body. With a staff member's API token the record "
            "leaves Keel: POST its basis (basis, consent, recipient_name, purpose, purpose_text) "
            "in the body, never in the URL; that POST is one disclosure, and its next links are "
            "followed with GET by the same token (bound to that disclosure for an hour; no second "
            "disclosure, nothing beyond the record released; 409 if the record changed since). Not with a "
            "staff member's session (403: use the staff export)."
        ),
    }
