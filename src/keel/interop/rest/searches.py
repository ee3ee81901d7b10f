"""Search by type: the patient a search names, the per-type searches over `policy.patients_visible_to`
(paged at the database where each row is one resource), the Patient parameters (identifier, names,
birthdate), Observation by code and date, a staff token's search (one named person, under a consent), and
`Questionnaire?url=` for canonicals.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from itertools import chain
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from keel.access import policy
from keel.access.policy import Area
from keel.assessments.models import Assessment
from keel.audit import services as audit
from keel.audit.models import Action, Outcome
from keel.core.digits import ascii_digits
from keel.core.instruments import registry
from keel.interop.api import base_for
from keel.interop.fhir.base import RECORD_NUMBER_SYSTEM, Base
from keel.interop.fhir.record import Record
from keel.interop.models import ImportedResponse
from keel.interop.rest import dates
from keel.interop.rest.auth import (
    _area_of,
    _areas,
    _audit_read,
    _caller,
    _consent_patient,
    _in_scope,
    _released,
    _scoped,
    _staff_token,
    refuse_head,
    token_may,
    use_of,
)
from keel.interop.rest.outcomes import FhirError, _handle, _json
from keel.interop.rest.params import (
    COMMON,
    CURSOR,
    SEARCH_PARAMS,
    Cursor,
    _check_request,
    _collect,
    _page,
    _searchset,
    cursor_of,
    next_cursor,
    past_end_of_release,
    releases_any,
)
from keel.patients.models import Enrollment, Patient, with_death_day, zone_of
from keel.sharing.models import Consent
from keel.sharing.services import CONSENT_HEADER
from keel.treatment.models import DoseRecord, MedicationOrder, QtcRecord, TakeHomePlan

if TYPE_CHECKING:
    from keel.accounts.models import User


def _patient_param(request: HttpRequest, base: Base) -> str | None:
    """The one patient a search names by `patient` or `subject` (an id, `Patient/id`, or this endpoint's full
    URL), or None. An empty, malformed or foreign value, or two different patients, is a 400 naming the
    parameter: never silently dropped (that would widen the search to the whole program) nor one of them
    picked."""
    given = [(name, raw.strip()) for name in ("patient", "subject") for raw in request.GET.getlist(name)]
    found: set[str] = set()
    for name, raw in given:
        tail = raw.rstrip("/").rsplit("/", 1)[-1]
        if "://" in raw:
            shape_ok = raw.rstrip("/") == f"{base.url}Patient/{tail}"
        else:
            shape_ok = raw in (tail, f"Patient/{tail}")
        if not (shape_ok and ascii_digits(tail) and len(tail) < 19):
            raise FhirError(
                400,
                "invalid",
                f"{name} must name one patient: an id, Patient/<id>, or {base.url}Patient/<id>",
                name,
            )
        found.add(str(int(tail)))
    if len(found) > 1:
        raise FhirError(
            400,
            "not-supported",
            "one patient per search: patient and subject must name the same one",
            given[-1][0],
        )
    return found.pop() if found else None


@csrf_exempt  # GET only, writes nothing: a POST is the 405 OperationOutcome (review 36g hole 5)
def search(request: HttpRequest, resource_type: str) -> HttpResponse:
    def work() -> HttpResponse:
        _check_request(request, SEARCH_PARAMS[resource_type] | COMMON | {CURSOR})
        user = _caller(request)
        count, offset = _page(request)
        cursor = cursor_of(request)  # a next link past MAX_OFFSET (review 38f H2)
        offset = cursor.offset if cursor is not None else offset
        offset = offset if count else 0  # `_count=0`: the total of every match, whatever the offset
        base = base_for(request)
        now = timezone.now()
        filters = _filters(request, resource_type)
        token_may(user, use_of(request, user), f"{resource_type}?")
        policy.refuse_own_search_after_death(user, "fhir", f"{resource_type}?")  # lane fix37j
        if _staff_token(request, user):
            return _search_by_system(request, user, resource_type, filters, base, offset, count)
        single, patients, skipped = _searched(request, user, resource_type, offset, cursor, exact=not filters)
        programs: dict[int, int] = {}  # each person's program: the read is its programs' to audit

        def noted(patients: Iterator[Patient]) -> Iterator[Record]:
            for patient in patients:
                programs[patient.pk] = patient.program_id
                yield Record(patient, _areas(user), base, now)

        after: dict[str, int] = {}
        page, more, seen, matched = _collect(
            noted(patients), resource_type, filters, offset - skipped, count, after
        )
        returned = [f"{x['resourceType']}/{x['id']}" for x in page]
        patient_ids = sorted({pid for pid, _ in seen})
        _audit_read(user, single, f"{resource_type}?", returned, patient_ids, programs)
        total = None if more else skipped + matched
        following = next_cursor(offset, count, after)
        return _json(_searchset(request, base, page, offset, count, more, total, cursor=following))

    return _handle(request, work)


def _searched(
    request: HttpRequest,
    user: User,
    resource_type: str,
    offset: int,
    cursor: Cursor | None,
    *,
    exact: bool,
) -> tuple[Patient | None, Iterator[Patient], int]:
    """The one patient a search names (else None), the patients whose records it reads in id order, and how
    many matches the database skipped before the first of them (resources skipped without building their
    records); from a cursor's patient on when a next link carries one."""
    start = cursor.start if cursor is not None else None
    single: Patient | None = None
    if resource_type == "Patient":
        patients, skipped = _patients_matching(request, user, offset, start)
    else:
        named = _patient_param(request, base_for(request))
        if named is not None:
            single = _scoped(user, int(named), resource_type, f"{resource_type}?patient={named}")
            patients, skipped = iter([single] if start is None or single.pk >= start else []), 0
        else:
            patients, skipped = _patients_holding(user, resource_type, offset, exact=exact, start=start)
    if cursor is not None:
        patients, skipped = _from_cursor(patients, cursor)
    return single, patients, skipped


def _from_cursor(patients: Iterator[Patient], cursor: Cursor) -> tuple[Iterator[Patient], int]:
    """The patients from the cursor's on, and how many matches come before the first of them: the cursor's
    place less that patient's matches already returned (none if the cursor's patient is gone)."""
    first = next(patients, None)
    if first is None:
        return iter(()), cursor.offset
    skip = cursor.skip if first.pk == cursor.start else 0
    return chain([first], patients), cursor.offset - skip


def _search_by_system(
    request: HttpRequest,
    user: User,
    resource_type: str,
    filters: list[Any],
    base: Base,
    offset: int,
    count: int,
) -> HttpResponse:
    """A staff token's search: one named person (`patient`/`subject`, or one `_id` for Patient), released
    under a consent; a search naming no one is a bulk pull, refused."""
    refuse_head(request)  # before anything: one answer to HEAD by a staff token (review 21f)
    if resource_type == "Patient":
        _refuse_hidden_field_search(request, user)
        ids = request.GET.getlist("_id")
        one = ids[0].strip() if len(ids) == 1 else ""
        named = str(int(one)) if ascii_digits(one) and len(one) < 19 else None
        param = "_id"
        # every other parameter checked before the basis and before anyone is looked up: a malformed one is
        # the same 400 whoever is named (review 21z; no rows: the filters of an empty queryset)
        _apply_patient_params(request, Patient.objects.none(), 0)
    else:
        named = _patient_param(request, base)
        param = "patient"
    if named is None:
        audit.record(
            actor=user,
            action=Action.DENIED,
            outcome=Outcome.DENIED,
            target_type="fhir",
            target_id=f"{resource_type}?",
            reason="bulk search by an API token",
        )
        raise FhirError(
            400,
            "not-supported",
            f"{param}: name one person; a bulk pull is not allowed with an API token",
            param,
        )
    target = f"{resource_type}?{param}={named}"
    person = int(named)
    # the basis before the person is looked up (review 20c); the person it covers is the consent's, and a
    # search naming anyone else is answered as an id nobody has, inside the release (review 21f)
    patient = _scoped(user, _consent_patient(request, user, target), resource_type, target)
    returned: dict[str, Any] = {}

    def build(subject: Patient, at: datetime) -> dict[str, Any]:
        matching = list(_named_filter(request, [subject])) if resource_type == "Patient" else [subject]
        records = (Record(p, _areas(user), base, at) for p in matching)
        page, more, _seen, matched = _collect(records, resource_type, filters, offset if count else 0, count)
        returned["resources"] = [f"{x['resourceType']}/{x['id']}" for x in page]
        bundle = _searchset(request, base, page, offset, count, more, None if more else matched)
        past_end_of_release(bundle, offset, count)
        return bundle

    def names(subject: Patient) -> bool:
        return subject.pk == person

    # lane priv34: a page carrying nothing of hers is no disclosure (the access is audited all the same)
    return _released(
        request, user, patient, target, build, returned, names, CONSENT_HEADER, releases=releases_any
    )


@csrf_exempt  # GET only, writes nothing: a POST is the 405 OperationOutcome (review 36g hole 5)
def questionnaire_search(request: HttpRequest) -> HttpResponse:
    """Questionnaires by canonical (`url`, with or without `|version`, and `version`): how another system
    resolves a QuestionnaireResponse's `questionnaire`. Keel's instrument definitions, no patient data: no
    sign-in, like the read."""

    def work() -> HttpResponse:
        _check_request(request, {"url", "version"} | COMMON)
        count, offset = _page(request)
        base = base_for(request)
        from keel.assessments.fhir import questionnaire

        found = [
            questionnaire(code, base, version)
            for code in registry.codes()
            for version in registry.versions(code)
        ]
        wanted: list[tuple[str, str]] = []
        for raw in request.GET.getlist("url"):
            url, _, version = raw.strip().partition("|")
            if not url:
                raise FhirError(400, "invalid", "url needs a canonical URL ([url][|version])", "url")
            wanted.append(("url", url))
            if version:
                wanted.append(("version", version))
        for raw in request.GET.getlist("version"):
            if not raw.strip():
                raise FhirError(400, "invalid", "version needs a value", "version")
            wanted.append(("version", raw.strip()))
        if "_id" in request.GET:
            ids = set(request.GET["_id"].split(","))
            found = [q for q in found if q["id"] in ids]
        found = [q for q in found if all(q.get(k) == v for k, v in wanted)]
        page = found[offset : offset + count]
        more = len(found) > offset + count
        return _json(
            _searchset(request, base, page, offset, count, more, None if more and count else len(found))
        )

    return _handle(request, work)


def _fold(text: str) -> str:
    """A FHIR string search's fold (FHIR R4 3.1.1.5.2, "string": case- and accent-insensitive, the value
    starting with the given text): combining marks dropped after NFKD, then casefolded; nothing else. Kept
    apart from `keel.core.names.person_name_key` on purpose: a FHIR client's prefix search reads the name's
    punctuation and spacing as written (a hyphen or an apostrophe is part of the text it matches), where the
    duplicate search and the signature check err toward the same person."""
    import unicodedata

    flat = unicodedata.normalize("NFKD", text)
    return "".join(c for c in flat if not unicodedata.combining(c)).casefold()


# The rows each resource type is made of, one resource per row (`exact`), and the path to their patient.
_ROWS: dict[str, tuple[Any, str, bool]] = {
    "EpisodeOfCare": (Enrollment, "patient_id", True),
    "MedicationRequest": (MedicationOrder, "patient_id", True),
    "MedicationAdministration": (DoseRecord, "patient_id", True),
    "QuestionnaireResponse": (Assessment, "patient_id", True),
    "Consent": (Consent, "patient_id", True),
    "Provenance": (ImportedResponse, "assessment__patient_id", True),
    "Condition": (Assessment, "patient_id", False),  # from the assessments, at most one
    "Observation": (
        Assessment,
        "patient_id",
        False,
    ),  # several per assessment; QTc: _EXTRA_ROWS
    "MedicationDispense": (TakeHomePlan, "patient_id", False),  # a bottle day each (review 20c)
}
# Other rows a type is made of: a person with only these is found too (review 20c: QTc readings).
_EXTRA_ROWS: dict[str, tuple[Any, str]] = {"Observation": (QtcRecord, "patient_id")}


def _patients_holding(
    user: User, resource_type: str, offset: int, *, exact: bool, start: int | None = None
) -> tuple[Iterator[Patient], int]:
    """The in-scope patients whose records can hold `resource_type`, in id order, and how many matching
    resources the database skipped: only patients with rows of the type are read, and when each row is one
    resource (no other filter), whole records before `_offset` are skipped by counting rows in SQL, so a deep
    page builds only the records it returns; from patient `start` on (a next link's cursor) nothing is
    skipped here (`_from_cursor` skips)."""
    area = _area_of(resource_type)
    scope = _in_scope(user, resource_type)  # marked as the read by id marks (review 38f H1)
    model, to_patient, one_per_row = _ROWS[resource_type]
    holding = (
        model.objects.filter(**{f"{to_patient}__in": scope.values("pk")})
        .values(to_patient)
        .annotate(n=Count("pk"))
        .order_by(to_patient)
    )
    qs = scope.order_by("pk") if start is None else scope.filter(pk__gte=start).order_by("pk")
    if area not in _areas(user):  # nothing of this type is shown to the role: no record is read
        return iter(()), 0
    if not (exact and one_per_row) or offset == 0 or start is not None:
        having = Q(pk__in=holding.values(to_patient))
        if resource_type in _EXTRA_ROWS:
            extra, path = _EXTRA_ROWS[resource_type]
            having |= Q(pk__in=extra.objects.filter(**{f"{path}__in": scope.values("pk")}).values(path))
        return qs.filter(having).iterator(), 0
    skipped, start = 0, None
    for row in holding.iterator():
        if skipped + row["n"] > offset:
            start = row[to_patient]
            break
        skipped += row["n"]
    if start is None:
        return iter(()), skipped
    return qs.filter(pk__gte=start, pk__in=holding.values(to_patient)).iterator(), skipped


def _patients_matching(
    request: HttpRequest, user: User, offset: int = 0, start: int | None = None
) -> tuple[Iterator[Patient], int]:
    """The patients a Patient search matches, and how many of them the database skipped for `_offset` (all
    of it unless names are matched, which is done here, in Python); from patient `start` on (a next link's
    cursor), none skipped here."""
    _refuse_hidden_field_search(request, user)
    qs = _in_scope(user, "Patient").order_by("pk")
    if start is not None:
        return _apply_patient_params(request, with_death_day(qs.filter(pk__gte=start)), 0)
    return _apply_patient_params(request, with_death_day(qs), offset)


def _refuse_hidden_field_search(request: HttpRequest, user: User) -> None:
    """A search by a field the role does not see (an oracle for it) is refused and audited."""
    areas = _areas(user)
    if Area.CLINICAL not in areas:
        for name in ("identifier", "birthdate"):
            if name in request.GET:
                audit.record(
                    actor=user,
                    action=Action.DENIED,
                    outcome=Outcome.DENIED,
                    target_type="fhir",
                    target_id=f"Patient?{name}",
                    reason="search by a field this role does not see",
                )
                raise FhirError(
                    403, "forbidden", f"Your role does not see {name}s, so it cannot search by them.", name
                )


def _named_filter(request: HttpRequest, patients: list[Patient]) -> Iterator[Patient]:
    """Those of `patients` the Patient search's parameters match."""
    pks = [p.pk for p in patients]
    qs = Patient.objects.filter(pk__in=pks).select_related("program").order_by("pk")
    found, _ = _apply_patient_params(request, with_death_day(qs), 0)
    return found


def _apply_patient_params(request: HttpRequest, qs: Any, offset: int) -> tuple[Iterator[Patient], int]:
    if "_id" in request.GET:
        ids = [i for i in request.GET["_id"].split(",") if ascii_digits(i) and len(i) < 19]
        qs = qs.filter(pk__in=ids)
    for raw in request.GET.getlist("identifier"):
        system, bar, value = raw.rpartition("|")
        if not value:
            raise FhirError(400, "invalid", "identifier needs a value ([system|]value)", "identifier")
        # `|value` asks for identifiers without a system, and every record number has one; another system
        # than Keel's record numbers names no one here.
        if (bar and not system) or (system and not system.startswith(RECORD_NUMBER_SYSTEM + "/")):
            qs = qs.none()
        elif system:
            qs = qs.filter(program__slug=system.removeprefix(RECORD_NUMBER_SYSTEM + "/"))
        qs = qs.filter(record_number=value)
    for raw in request.GET.getlist("birthdate"):
        # a birth date has no time zone: a time in the search value is read on its own clock (its offset,
        # else the server's zone); a date alone compares days (`dates.day_field_q`, review 36g)
        prefix, span = dates.search_value(raw, timezone.get_current_timezone(), "birthdate")
        qs = qs.filter(dates.day_field_q("date_of_birth", prefix, span))
    names = [(k, _fold(v).strip()) for k in ("name", "family", "given") for v in request.GET.getlist(k)]
    for kind, text in names:
        if not text:
            raise FhirError(400, "invalid", f"{kind} needs a value (the start of a name)", kind)
    if not names:
        # Past the end, the database skipped every match, not `_offset` of them (review 33d H7: the total).
        skipped = offset if offset == 0 or qs[offset - 1 : offset].exists() else qs.count()
        return qs[offset:].iterator(), skipped
    return _named(qs, names), 0


def _named(qs: Any, names: list[tuple[str, str]]) -> Iterator[Patient]:
    for patient in qs.iterator():
        family = _fold(patient.family_name)
        givens = [_fold(patient.given_name), _fold(patient.preferred_name)]
        ok = True
        for kind, text in names:
            parts = {"family": [family], "given": givens, "name": [family, *givens]}[kind]
            words = [w for p in parts for w in p.split()]
            if not text or not any(p.startswith(text) or w.startswith(text) for p in parts for w in words):
                ok = False
        if ok:
            yield patient


def _filters(request: HttpRequest, resource_type: str) -> list[Any]:
    filters: list[Any] = []
    if "_id" in request.GET and resource_type != "Patient":
        wanted = set(request.GET["_id"].split(","))
        filters.append(lambda rec, res: res["id"] in wanted)
    if resource_type != "Observation":
        return filters
    for raw in request.GET.getlist("code"):
        tokens = []
        for token in raw.split(","):
            system, bar, code = token.rpartition("|")
            if not code:
                raise FhirError(400, "invalid", "code needs a code ([system|]code)", "code")
            tokens.append((system if bar else None, code))

        def by_code(rec: Record, res: dict[str, Any], tokens: list[tuple[str | None, str]] = tokens) -> bool:
            codings = res["code"].get("coding", [])
            return any(
                c.get("code") == code and (system is None or c.get("system") == system)
                for c in codings
                for system, code in tokens
            )

        filters.append(by_code)
    for raw in request.GET.getlist("date"):
        dates.search_value(raw, UTC, "date")  # checked once here; per patient on the program's clock

        def by_date(rec: Record, res: dict[str, Any], raw: str = raw) -> bool:
            # the search value and the effective date (a day measured, or an instant) each a range, on the
            # program's clock when they give no zone (review 36g holes 1-2)
            zone = zone_of(rec.patient)
            prefix, span = dates.search_value(raw, zone, "date")
            effective = res.get("effectiveDateTime")
            if not isinstance(effective, str):
                return False
            return dates.matches(prefix, span, dates.value_range(effective, zone, "effectiveDateTime"))

        filters.append(by_date)
    return filters
