"""Errors as OperationOutcome: `FhirError` raised anywhere in a view, answered by `_handle`; a missing or
out-of-scope record is the same 404 (with a denied audit row when someone was refused); a refusal (the
access policy's `NotAllowed` family, Django's `PermissionDenied`) a 403 (review 37f hole 2, lane fix37g).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from keel.access.errors import NotAllowed
from keel.audit import services as audit
from keel.audit.models import Action, Outcome
from keel.interop.fhir.base import FHIR_JSON

if TYPE_CHECKING:
    from keel.accounts.models import User


class FhirError(Exception):
    """An error answered as an OperationOutcome."""

    def __init__(self, status: int, code: str, diagnostics: str, expression: str = "") -> None:
        super().__init__(diagnostics)
        self.status, self.code, self.diagnostics, self.expression = status, code, diagnostics, expression


def outcome(status: int, code: str, diagnostics: str, expression: str = "") -> HttpResponse:
    issue: dict[str, Any] = {"severity": "error", "code": code, "diagnostics": diagnostics}
    if expression:
        issue["expression"] = [expression]
    response = _json({"resourceType": "OperationOutcome", "issue": [issue]}, status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="keel"'
    return response


def _json(body: dict[str, Any], status: int = 200) -> HttpResponse:
    return HttpResponse(json.dumps(body), content_type=FHIR_JSON, status=status)


def _not_found() -> FhirError:
    return FhirError(404, "not-found", "Not found.")


# What an audit row's target says for an id that is not an id Keel could have written: the typed text is never
# copied into the row (review 19d: `Patient/<a name typed>` failed the id check and its text was kept).
MALFORMED_ID = "malformed id"


def _deny(user: User, what: str, target: str, reason: str) -> FhirError:
    audit.record(
        actor=user,
        action=Action.DENIED,
        outcome=Outcome.DENIED,
        target_type=what,
        target_id=target[:200],
        reason=reason,
    )
    return _not_found()


def _handle(request: HttpRequest, work: Any) -> HttpResponse:
    try:
        result: HttpResponse = work()
        return result
    except FhirError as exc:
        return outcome(exc.status, exc.code, exc.diagnostics, exc.expression)
    except Http404:  # `PatientNotFound` too: missing and out of scope are the same
        return outcome(404, "not-found", "Not found.")
    except (NotAllowed, PermissionDenied) as exc:  # audited where raised (`ActionNotAllowed` and the rest)
        return outcome(403, "forbidden", str(exc) or "Not allowed.")


@csrf_exempt  # GET only, writes nothing: a POST is the 405 OperationOutcome (review 36g hole 5)
def unknown(request: HttpRequest, rest: str) -> HttpResponse:
    """No such type or operation: a 404 OperationOutcome to any method (it reads and writes nothing)."""
    return outcome(404, "not-found", "Unknown FHIR resource type or operation.")
