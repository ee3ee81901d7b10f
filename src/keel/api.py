"""The JSON API at /api/v1/: one NinjaAPI, each app's router mounted here, one error shape.

Every error body is {"message": str, "errors": [{"field": str, "reason": str}]}; 422 lists each bad field.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.openapi.schema import OpenAPISchema
from ninja.parser import Parser

from keel.access.errors import NotAllowed
from keel.accounts.api import router as accounts_router
from keel.accounts.mail import EmailNotSent
from keel.accounts.services import AccountError
from keel.api_auth import (
    keel_auth,
    may_hear_the_record,
    may_hear_the_refusal,
    note_route,
    refuse_release_credential,
)
from keel.api_body import body_components, duplicate_key_error
from keel.api_errors import ApiRefused, error_body
from keel.api_query import QUERY_ERRORS, find_undeclared_query, refuse_undeclared_query
from keel.appointments.api import router as appointments_router
from keel.assessments.api import router as assessments_router
from keel.audit.api import router as audit_router
from keel.careteam.api import router as careteam_router
from keel.core.instruments.model import InvalidAnswers, ItemError
from keel.core.instruments.registry import UnknownInstrument, codes
from keel.core.rules import RULES, UnknownRule
from keel.core.rules.inputs import DuplicateKey, FieldError, FieldsInvalid, InvalidInput, loads_json
from keel.core.words import gettext_noop as N_
from keel.directory.api import router as directory_router
from keel.directory.queries import BadSearch
from keel.interop.api import router as interop_router
from keel.interop.services import SubjectMismatch
from keel.measures.api import router as measures_router
from keel.patients.api import router as patients_router
from keel.patients.errors import CODE_NOT_MADE, CodeNotMade
from keel.recovery import api as recovery_api
from keel.recovery.services import StaleEdit
from keel.sharing.api import router as sharing_router
from keel.treatment.api import router as treatment_router
from keel.treatment.services import DoseBlocked, DoseConflict, PlanAlreadyEnded
from keel.treatment.services.orders import OrderChanged
from keel.treatment.words import reason_text
from keel.web.field_words import pydantic_said, said


class KeelAPI(NinjaAPI):
    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> OpenAPISchema:
        schema = super().get_openapi_schema(*args, **kwargs)
        schema["info"]["description"] = (
            "Keel's JSON API. Authenticate with a personal access token (POST /api/v1/auth/tokens) as "
            "`Authorization: Bearer <token>`, or a browser session. Errors: "
            '{"message": ..., "errors": [{"field": ..., "reason": ...}]}.'
        )
        # The bodies the core checks (`keel.api_body.CoreIn`): their schema is the core's field list.
        schema.setdefault("components", {}).setdefault("schemas", {}).update(body_components())
        return schema


class KeelParser(Parser):
    """A body that is not JSON is bad input like any other: 422 naming the body, not ninja's bare 400."""

    def parse_body(self, request: HttpRequest) -> Any:
        try:
            return loads_json(request.body)  # NaN/Infinity arrive as text: every number field refuses them
        except DuplicateKey as exc:  # review 16a: `{"sedated": true, ..., "sedated": false}` is ambiguous
            raise FieldsInvalid([duplicate_key_error(exc)]) from exc
        except ValueError as exc:  # json's JSONDecodeError and UnicodeDecodeError are ValueErrors
            # ninja wraps whatever the parser raises in HttpError(400); on_http_error unwraps this one.
            raise FieldsInvalid([FieldError("body", N_("is not valid JSON"))]) from exc


api = KeelAPI(
    title="Keel API",
    version="1",
    urls_namespace="api",
    auth=keel_auth,
    docs_url=None,
    parser=KeelParser(),
)
# A query parameter the operation does not read is refused by name, not dropped (review 16a).
api.add_decorator(find_undeclared_query, mode="view")
api.add_decorator(refuse_undeclared_query, mode="operation")
# A token bound to a recipient (another system's credential) only releases records (review 22f).
api.add_decorator(refuse_release_credential, mode="operation")
# Lane fix26a (review 26a): a staff token's write outside the allow list is refused at authentication.
api.add_decorator(note_route, mode="view")


# The API's error words, in the request's language as the pages are (English unless the request asks for
# another: its Accept-Language, its language cookie; `keel.web.middleware.LocaleMiddleware`). The `field` of
# each error is the body's key as sent (a machine key: never translated); its `reason` and `message` are
# words.
FIELDS_INVALID = N_("Some fields are not valid.")
ANSWERS_INVALID = N_("Some answers are not valid.")
INPUTS_INVALID = N_("Some inputs are not valid.")
SEARCH_INVALID = N_("Some search fields are not valid.")
UNKNOWN_INSTRUMENT = N_("Unknown instrument.")
UNKNOWN_INSTRUMENT_REASON = N_("not an instrument Keel knows; known: %(codes)s")
UNKNOWN_RULE = N_("Not a rule Keel knows; known: %(rules)s")
SIGN_IN = N_("Sign in or send a valid API token.")
NOT_FOUND = N_("Not found.")


def _field_of(loc: Any) -> str:
    parts = [str(p) for p in (loc or [])]
    if parts and parts[0] in {"body", "query", "path", "header", "cookie", "form"}:
        parts = parts[1:]
    # ninja nests a body parameter under its argument name (e.g. body.payload.username, body.body.note)
    if len(parts) > 1 and parts[0] in {"payload", "data", "body"}:
        parts = parts[1:]
    return ".".join(parts) or "body"


# A body's key that is not one of its fields (`keel.schemas.In`): said as the core's bodies say it
# (`keel.api_body.CoreIn`), not in pydantic's words, in the request's language (English unless the request
# asks for another: its Accept-Language, its language cookie; `keel.web.middleware.LocaleMiddleware`).
UNKNOWN_KEY = N_("not an input of this rule")


def _reason_of(error: dict[str, Any]) -> str:
    if error.get("type") == "extra_forbidden":
        return gettext(UNKNOWN_KEY)
    return pydantic_said(error)  # pydantic's own English to an English reader, else the catalogue's words


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = [{"field": _field_of(e.get("loc")), "reason": _reason_of(e)} for e in exc.errors]
    errors += getattr(request, QUERY_ERRORS, [])  # an undeclared query parameter too (`keel.api_query`)
    return api.create_response(request, error_body(gettext(FIELDS_INVALID), errors), status=422)


@api.exception_handler(AccountError)
def on_account_error(request: HttpRequest, exc: AccountError) -> HttpResponse:
    return api.create_response(
        request,
        error_body(gettext(FIELDS_INVALID), [{"field": exc.field, "reason": exc.said()}]),
        status=422,
    )


def _answer_field(item: str) -> str:
    return item if item.startswith("extras.") or item == "filled_at" else f"answers.{item}"


# The core's answer reasons are marked where the core writes them (`ItemError`: a fixed reason by its own
# entry, one with a value by its template and parts) and said in the request's language (`field_words.said`).
NOT_AN_ITEM = N_("not an item of this instrument")
NOT_AN_INPUT = N_("not an input of this instrument")


def _answer_error(error: ItemError) -> dict[str, str]:
    """One answer's error. A key that is not one of the instrument's items or inputs is named by its body
    field alone (`answers`, `extras`), never repeated (review 21y: it may be a name typed in the wrong field,
    as review 20b said of an unknown instrument's code)."""
    if error.reason in (NOT_AN_ITEM, NOT_AN_INPUT):
        field = "extras" if error.item.startswith("extras.") else "answers"
        return {"field": field, "reason": gettext(NOT_AN_INPUT)}
    return {"field": _answer_field(error.item), "reason": said(error)}


@api.exception_handler(InvalidAnswers)
def on_invalid_answers(request: HttpRequest, exc: InvalidAnswers) -> HttpResponse:
    errors: list[dict[str, str]] = []
    for e in exc.errors:  # two unknown keys are one error of `answers`
        error = _answer_error(e)
        if error not in errors:
            errors.append(error)
    return api.create_response(request, error_body(gettext(ANSWERS_INVALID), errors), status=422)


@api.exception_handler(UnknownInstrument)
def on_unknown_instrument(request: HttpRequest, exc: UnknownInstrument) -> HttpResponse:
    # the typed code is not repeated (review 20b: it may be a name or a diagnosis typed in the wrong field)
    errors = [
        {"field": "instrument", "reason": gettext(UNKNOWN_INSTRUMENT_REASON) % {"codes": ", ".join(codes())}}
    ]
    return api.create_response(request, error_body(gettext(UNKNOWN_INSTRUMENT), errors), status=422)


@api.exception_handler(InvalidInput)
def on_invalid_input(request: HttpRequest, exc: InvalidInput) -> HttpResponse:
    """A rule's bad inputs (`POST /api/v1/rules/{name}`, the core's `parse`), each said in the request's
    language (`field_words.said`: the core's template translated; English unless the request asks)."""
    errors = [
        {"field": e.field if e.field.startswith("policy.") else f"input.{e.field}", "reason": said(e)}
        for e in exc.errors
    ]
    return api.create_response(request, error_body(gettext(INPUTS_INVALID), errors), status=422)


@api.exception_handler(UnknownRule)
def on_unknown_rule(request: HttpRequest, exc: UnknownRule) -> HttpResponse:
    # in the request's language, the typed name not repeated (review 21y, as review 20b did for instruments)
    message = gettext(UNKNOWN_RULE) % {"rules": ", ".join(sorted(RULES))}
    return api.create_response(request, error_body(message), status=404)


@api.exception_handler(ApiRefused)
def on_refused(request: HttpRequest, exc: ApiRefused) -> HttpResponse:
    """A check that wraps every operation refused the request (`keel.api_errors` says why it raises)."""
    return api.create_response(request, exc.body, status=exc.status)


@api.exception_handler(BadSearch)
def on_bad_search(request: HttpRequest, exc: BadSearch) -> HttpResponse:
    errors = [{"field": exc.field, "reason": gettext(exc.reason) if exc.reason else exc.reason}]
    return api.create_response(request, error_body(gettext(SEARCH_INVALID), errors), status=422)


@api.exception_handler(NotAllowed)
def on_not_allowed(request: HttpRequest, exc: NotAllowed) -> HttpResponse:
    """Every "not allowed" of every app (`keel.access.errors.NotAllowed` and its subclasses): 403, the
    error's own message (the denial was audited where it was raised)."""
    return api.create_response(request, error_body(str(exc)), status=403)


@api.exception_handler(EmailNotSent)
def on_email_not_sent(request: HttpRequest, exc: EmailNotSent) -> HttpResponse:
    message = "The email could not be sent, so nothing was made. Check KEEL_EMAIL_URL and try again."
    return api.create_response(request, error_body(message), status=503)


@api.exception_handler(AuthenticationError)
def on_unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(request, error_body(gettext(SIGN_IN)), status=401)


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if isinstance(exc.__cause__, FieldsInvalid):  # a body that is not JSON (KeelParser)
        return _body_not_json(request, exc.__cause__)
    return api.create_response(request, error_body(exc.message), status=exc.status_code)


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(request, error_body(gettext(NOT_FOUND)), status=404)


api.add_router("/", accounts_router)
api.add_router("/patients", patients_router)
api.add_router("/audit", audit_router)
api.add_router("/", assessments_router)
api.add_router("/", directory_router)
api.add_router("/", treatment_router)
api.add_router("/", measures_router)
api.add_router("/", careteam_router)
api.add_router("/", sharing_router)
api.add_router("/", interop_router)
api.add_router("/", recovery_api.router)
api.add_router("/", appointments_router)


@api.exception_handler(FieldsInvalid)
def on_fields_invalid(request: HttpRequest, exc: FieldsInvalid) -> HttpResponse:
    """A service's refusal naming its fields (raised once the route runs: after its access check, and often
    after it read the record). Lane fix27b (review 27b H5): to a caller who may not hear the record (a staff
    token on a route about a person: the dose at the window), `_refused_unread`, whatever the field
    (`api_auth.may_hear_the_refusal`): "no active order", and even a bad amount that is checked only once
    an order is found, would say what the record holds. The body's own shape is said whole to everyone:
    pydantic's (`on_validation_error`), a body that is not JSON (`_body_not_json`), and a service's check of
    the body alone, made before it reads the record (`FieldsInvalid.body_alone`: a dose's medication and
    slot)."""
    if not exc.of_the_body and not may_hear_the_refusal(request):
        return _refused_unread(request)
    return _fields_answer(request, exc)


def _body_not_json(request: HttpRequest, exc: FieldsInvalid) -> HttpResponse:
    """A body that is not a JSON object (KeelParser, before the route runs): said whole to every caller."""
    return _fields_answer(request, exc)


def _fields_answer(request: HttpRequest, exc: FieldsInvalid) -> HttpResponse:
    errors = [{"field": e.field, "reason": said(e)} for e in exc.errors]
    errors += getattr(request, QUERY_ERRORS, [])  # a bad body's 422 names an undeclared query parameter too
    return api.create_response(request, error_body(gettext(FIELDS_INVALID), errors), status=422)


@api.exception_handler(SubjectMismatch)
def on_subject_mismatch(request: HttpRequest, exc: SubjectMismatch) -> HttpResponse:
    errors = [{"field": e.field, "reason": e.reason} for e in exc.errors]
    return api.create_response(request, error_body(exc.message, errors), status=422)


@api.exception_handler(StaleEdit)
def on_stale_edit(request: HttpRequest, exc: StaleEdit) -> HttpResponse:
    """The API's one error shape, and what the write adds for a client to act on (`StaleEdit.answer`: an
    order's: what changed, lane words25), never in place of `message` or `errors`. Lane fix25e (review 25d
    H4): to a caller who may not read the record (a staff token), only that it changed and to read it again
    (`policy.conflict_may_name_the_record`)."""
    if not _may_hear_the_record(request):
        said = gettext(ORDERS_CHANGED if isinstance(exc, OrderChanged) else RECORD_CHANGED)
        return api.create_response(
            request, error_body(said, [{"field": exc.field, "reason": said}]), status=409
        )
    errors = [{"field": exc.field, "reason": str(exc)}]
    return api.create_response(request, {**exc.answer, **error_body(str(exc), errors)}, status=409)


# Lane fix25e (review 25d H4): a stale write's 409 to a caller who may not read the record.
ORDERS_CHANGED = N_("Not saved: the orders changed since they were read. Read them again before writing.")
RECORD_CHANGED = N_("Not saved: this record changed since it was read. Read it again before changing it.")
# Lane fix26a (review 26a H5): any other refusal of a write that depends on the record, to the same caller.
REFUSED_UNREAD = N_(
    "Not recorded: a check of the record refused it. A staff member signed in to Keel sees why."
)


def _may_hear_the_record(request: HttpRequest) -> bool:
    """The one rule (`api_auth.may_hear_the_record`), for the error handlers below."""
    return may_hear_the_record(request)


def _refused_unread(request: HttpRequest) -> HttpResponse:
    """No field named: which field a check refused would say which check it was (the dose or the slot)."""
    return api.create_response(request, error_body(gettext(REFUSED_UNREAD)), status=409)


@api.exception_handler(DoseBlocked)
def on_dose_blocked(request: HttpRequest, exc: DoseBlocked) -> HttpResponse:
    """The guard rail's reasons in the request's language (English: the exception's own words, byte for byte);
    the decision itself stays as stored, in English (lane words22). Lane fix26a (review 26a H5): to a caller
    who may not read the record (a staff token), `_refused_unread`."""
    if not _may_hear_the_record(request):
        return _refused_unread(request)
    said = " ".join(reason_text(r) for r in exc.decision.reasons)
    body = error_body(said, [{"field": "amount_mg", "reason": said}])
    return api.create_response(request, {**body, "decision": exc.decision.as_dict()}, status=409)


@api.exception_handler(DoseConflict)
def on_dose_conflict(request: HttpRequest, exc: DoseConflict) -> HttpResponse:
    if not _may_hear_the_record(request):  # "slot 1 already recorded today" says she dosed (review 26a H5)
        return _refused_unread(request)
    return api.create_response(
        request, error_body(str(exc), [{"field": "sequence", "reason": str(exc)}]), status=409
    )


@api.exception_handler(CodeNotMade)
def on_code_not_made(request: HttpRequest, exc: CodeNotMade) -> HttpResponse:
    """A desk code voided as it was stored (lane fix38b): no code, the words to try again; a 409 naming
    `code`, the field a made code would have carried."""
    said = gettext(CODE_NOT_MADE)
    return api.create_response(request, error_body(said, [{"field": "code", "reason": said}]), status=409)


@api.exception_handler(PlanAlreadyEnded)
def on_plan_already_ended(request: HttpRequest, exc: PlanAlreadyEnded) -> HttpResponse:
    if not _may_hear_the_record(request):  # "the plan ended" reads the plan (review 26a H5)
        return _refused_unread(request)
    return api.create_response(
        request, error_body(str(exc), [{"field": "plan_id", "reason": str(exc)}]), status=409
    )
