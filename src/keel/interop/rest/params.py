"""What every FHIR request may ask and how answers are paged: the types served and their search parameters,
the request checks (method, unknown parameters, JSON only), `_count`/`_offset` within program policy
(`keel-fhir-paging`), and the searchset Bundle with its next and previous links.
"""

from __future__ import annotations

from collections.abc import Iterator, Set
from typing import Any
from urllib.parse import urlencode

from django.core import signing
from django.http import HttpRequest
from django.utils import timezone

from keel.core.digits import ascii_digits
from keel.interop.fhir.base import Base, entries, instant, part2_meta, with_entries
from keel.interop.fhir.record import Record
from keel.interop.rest.outcomes import FhirError

# Paging limits: program policy with its source (`keel-fhir-paging`), refused beyond, never lowered silently.
DEFAULT_COUNT = 50
MAX_COUNT = 200
MAX_OFFSET = 10_000
PAGING_SOURCE = "keel-fhir-paging"
# Every request may name its format; a search also pages and may name ids (`COMMON`, review 22f: a read or
# `$everything` sent `_id` ignored it and answered something else than was asked, so only searches take it).
FORMAT = frozenset({"_format"})
PAGING = frozenset({"_count", "_offset"})
COMMON = FORMAT | PAGING | {"_id"}
# Parameters read as one value (`_id` as one comma-separated list, `_page` a next link's token): given twice,
# a 400 naming them, whatever the order, never the first or the last kept silently (review 21f). The others
# repeat as FHIR's AND (`code`, `date`, names) or must name the same person (`patient`, `subject`).
SINGLE_VALUED = frozenset({"_count", "_offset", "_format", "_id", "_page", "_cursor"})
# Review 38f H2: a type search's next link past MAX_OFFSET carries a keyset cursor instead of `_offset`
# (opaque, signed: where the next page starts, by patient id and the matches of that patient already
# returned), so every next link Keel writes is one it answers; a deep page is read from that patient on, not
# counted from the start. A paging without cursors (one person's) stops at the cap and says to narrow.
CURSOR = "_cursor"
_CURSOR_SALT = "keel.fhir.search-cursor"
SEARCH_PARAMS: dict[str, set[str]] = {
    "Patient": {"identifier", "name", "family", "given", "birthdate"},
    "Observation": {"patient", "subject", "code", "date"},
    "Condition": {"patient", "subject"},
    "MedicationRequest": {"patient", "subject"},
    "MedicationAdministration": {"patient", "subject"},
    "MedicationDispense": {"patient", "subject"},
    "QuestionnaireResponse": {"patient", "subject"},
    "Consent": {"patient"},
    "EpisodeOfCare": {"patient"},
    "Provenance": {"patient"},
}
READ_ONLY_TYPES = ("Organization", "Practitioner", "Questionnaire")
TYPES = tuple(SEARCH_PARAMS) + READ_ONLY_TYPES
_JSON_FORMATS = {"json", "application/json", "application/fhir+json", "application/json+fhir"}


def _check_request(
    request: HttpRequest, allowed: Set[str], methods: tuple[str, ...] = ("GET", "HEAD")
) -> None:
    """The method, and every query parameter one `allowed` here (`_format` always): any other is a 400 naming
    it, never dropped (a search passes its own and `COMMON`; a read nothing more)."""
    if request.method not in methods:
        only = "GET or POST only" if "POST" in methods else "GET only"
        raise FhirError(405, "not-supported", f"This FHIR endpoint is read-only: {only}.")
    for name in request.GET:
        if name not in allowed and name not in FORMAT:
            raise FhirError(400, "not-supported", f"unknown or unsupported search parameter {name!r}", name)
        if name in SINGLE_VALUED and len(request.GET.getlist(name)) > 1:  # review 21f
            raise FhirError(400, "invalid", f"{name} is given more than once: it takes one value", name)
    fmt = request.GET.get("_format")
    if fmt is not None and fmt.lower() not in _JSON_FORMATS:
        raise FhirError(406, "not-supported", "Only JSON is served (_format=json).", "_format")
    if fmt is None and not _accepts_json(request.headers.get("Accept", "")):
        raise FhirError(406, "not-supported", "Only JSON is served: accept application/fhir+json.")


def _accepts_json(accept: str) -> bool:
    """Whether an Accept header (absent or empty: anything) allows a FHIR JSON answer."""
    if not accept.strip():
        return True
    for part in accept.split(","):
        media, *params = (p.strip().lower() for p in part.split(";"))
        if any(p.replace(" ", "") in ("q=0", "q=0.0", "q=0.00", "q=0.000") for p in params):
            continue
        if media in _JSON_FORMATS or media in ("*/*", "application/*"):
            return True
    return False


def _page(request: HttpRequest) -> tuple[int, int]:
    def number(name: str, default: int, low: int, high: int) -> int:
        raw = request.GET.get(name)
        if raw is None:
            return default
        if not ascii_digits(raw) or not low <= int(raw) <= high:
            raise FhirError(400, "invalid", f"{name} must be a whole number from {low} to {high}", name)
        return int(raw)

    # `_count=0`: no entries, just the total (FHIR R4 search, review 20c)
    return number("_count", DEFAULT_COUNT, 0, MAX_COUNT), number("_offset", 0, 0, MAX_OFFSET)


class Cursor(tuple[int, int, int]):
    """A next link's keyset cursor: the page's place in the whole search (`offset`, for its links and total),
    the patient id the page starts at, and how many of that patient's matches came before it."""

    @property
    def offset(self) -> int:
        return self[0]

    @property
    def start(self) -> int:
        return self[1]

    @property
    def skip(self) -> int:
        return self[2]


def cursor_of(request: HttpRequest) -> Cursor | None:
    """The `_cursor` a next link carries (None without one): one Keel signed, else a 400 naming it; never
    beside `_offset` (two places to start from)."""
    raw = request.GET.get(CURSOR)
    if raw is None:
        return None
    if "_offset" in request.GET:
        raise FhirError(400, "invalid", f"{CURSOR} and _offset: give one place to start from", CURSOR)
    try:
        value = signing.loads(raw, salt=_CURSOR_SALT)
    except signing.BadSignature:
        value = None
    if not (isinstance(value, list) and len(value) == 3 and all(type(v) is int and v >= 0 for v in value)):
        raise FhirError(400, "invalid", f"{CURSOR}: not a next link of this server; search again", CURSOR)
    return Cursor(value)


def next_cursor(offset: int, count: int, after: dict[str, int]) -> str | None:
    """The cursor of the page after this one, where it would start past MAX_OFFSET (else None: `_offset`)."""
    if offset + count <= MAX_OFFSET or "patient" not in after:
        return None
    return signing.dumps([offset + count, after["patient"], after["skip"]], salt=_CURSOR_SALT)


def _collect(
    records: Iterator[Record],
    resource_type: str,
    filters: list[Any],
    offset: int,
    count: int,
    after: dict[str, int] | None = None,
) -> tuple[list[dict[str, Any]], bool, list[tuple[int, str]], int]:
    """Matches from one record after another until the page (and one more, to know there is a next page).
    With `count` 0 (just the total) every match is counted and none returned: the page is empty and `seen`
    lists every match, for the total and the audit row. The last: how many matches there were when the
    search ran to its end (the ones skipped before the page too: review 33d H7), else -1. `after` is given
    the first match past the page: its patient and how many of that patient's matches come before it."""
    page: list[dict[str, Any]] = []
    seen: list[tuple[int, str]] = []
    skipped = 0
    for rec in records:
        before = 0  # this patient's matches before `res`
        for res in rec.of_type(resource_type):
            if not all(f(rec, res) for f in filters):
                continue
            before += 1
            if count == 0:
                seen.append((rec.patient.pk, res["id"]))
                continue
            if skipped < offset:
                skipped += 1
                continue
            if len(page) == count:
                if after is not None:
                    after.update(patient=rec.patient.pk, skip=before - 1)
                return page, True, seen, -1
            page.append(res)
            seen.append((rec.patient.pk, res["id"]))
    return page, False, seen, skipped + len(page) if count else len(seen)


def releases_any(bundle: dict[str, object]) -> bool:
    """Whether a searchset released under a consent carries anything of the person's (lane priv34): a
    resource, or how many of hers match (`total` above zero: `_count=0` asks for it, and how many Conditions
    she has is her record too). Nothing matched, only what the release does not carry, or a page past the
    end that says no total (`past_end_of_release`): nothing of hers left, so no Disclosure row."""
    return bool(bundle.get("entry")) or bool(bundle.get("total"))


def past_end_of_release(bundle: dict[str, object], offset: int, count: int) -> None:
    """A page of a release past its last match (`_offset` beyond it: a stale or a hand-made next link) says
    no total (lane priv34): the page carries nothing of hers, and its answer says nothing of her either,
    as the accounting of disclosures records nothing for it. A page with matches, `_count=0`, and a first
    page are unchanged."""
    if count and offset and not bundle.get("entry"):
        bundle.pop("total", None)


def _searchset(
    request: HttpRequest,
    base: Base,
    page: list[dict[str, Any]],
    offset: int,
    count: int,
    more: bool,
    total: int | None = None,
    carried: tuple[tuple[str, str], ...] = (),
    cursor: str | None = None,
) -> dict[str, Any]:
    """The Bundle of a search's page; `cursor`: the next page's keyset cursor past MAX_OFFSET (`next_cursor`).
    Without one, the last page `_offset` reaches has no next link and says to narrow the search."""

    def link(at: int, *, start: str | None = None) -> str:
        kept = ("_offset", "_count", CURSOR)
        params = [(k, v) for k, vs in request.GET.lists() if k not in kept for v in vs]
        place = (CURSOR, start) if start is not None else ("_offset", str(at))
        params += [("_count", str(count)), place, *carried]
        return request.build_absolute_uri(request.path) + "?" + urlencode(params)

    here = request.GET.get(CURSOR)
    links = [{"relation": "self", "url": link(offset, start=here)}]
    capped = more and count > 0 and cursor is None and offset + count > MAX_OFFSET
    if more and count > 0 and not capped:
        links.append({"relation": "next", "url": link(offset + count, start=cursor)})
    past_end = not page and not more and total is not None and offset >= total  # review 33d H7
    if 0 < offset <= MAX_OFFSET + count and count > 0 and not past_end:
        links.append({"relation": "previous", "url": link(min(MAX_OFFSET, max(0, offset - count)))})
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": "searchset",
        "timestamp": instant(timezone.now()),
        "meta": part2_meta(),  # the Bundle labelled too, not only each resource in it
        "link": links,
    }
    with_entries(bundle, entries(base, page, search={"mode": "match"}))
    if capped:
        _say_narrow(bundle)
    if total is not None:  # every match counted (`_count=0`, or a search run to its end)
        bundle["total"] = total
    elif not more:
        bundle["total"] = offset + len(page)
    return bundle


def _say_narrow(bundle: dict[str, object]) -> None:
    """The last page `_offset` reaches, where no cursor goes on: an OperationOutcome entry (`search.mode`
    outcome) saying to narrow the search (review 38f H2)."""
    outcome = {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "warning", "code": "too-costly", "diagnostics": narrow_words()}],
    }
    found = bundle.get("entry")
    bundle["entry"] = [
        *(found if isinstance(found, list) else []),
        {"resource": outcome, "search": {"mode": "outcome"}},
    ]


def narrow_words() -> str:
    """What the last page `_offset` reaches says (and the CapabilityStatement)."""
    return (
        f"Paging by _offset reaches at most {MAX_OFFSET} matches and this search has more: narrow it (name "
        "a patient, or add parameters) to read the rest."
    )
