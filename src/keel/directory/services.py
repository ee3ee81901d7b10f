"""Import meeting feeds and facility lists: idempotent upserts by (source, source_id), with a report."""

from __future__ import annotations

import hashlib
import json
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict, TypeVar

from django.db import transaction
from django.utils import timezone

from keel.accounts.models import Program, ProgramMembership, User
from keel.audit import services as audit
from keel.audit.models import Action, Outcome
from keel.core.directory import feeds
from keel.core.directory.feeds import FacilityRecord, MeetingRecord, NotAFeed, Parsed
from keel.directory.models import Facility, FeedSource, ImportRun, Meeting

if TYPE_CHECKING:
    from timezonefinder import TimezoneFinder

MAX_FEED_BYTES = 200 * 1024 * 1024
Progress = Callable[[int, int], None]


class Rejection(TypedDict):
    """A record an import left out: its place in the feed, why, and its name."""

    index: int
    reason: str
    name: str


@dataclass
class ImportReport:
    kind: str
    source: str
    format: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deactivated: int = 0
    rejected: int = 0
    rejections: list[Rejection] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def read_source(location: str) -> bytes:
    """A local file or (deployments with internet access) an http(s) URL; NotAFeed if unreadable."""
    if location.startswith(("http://", "https://")):
        try:
            # Waiver (bandit B310, ruff S310): only http(s) reach here; see docs/security-checks.md.
            with urllib.request.urlopen(location, timeout=60) as response:  # noqa: S310  # nosec B310
                data: bytes = response.read(MAX_FEED_BYTES + 1)
        except OSError as exc:
            raise NotAFeed(f"could not fetch {location}: {exc}") from None
    else:
        path = Path(location)
        if not path.is_file():
            raise NotAFeed(f"no such file: {location}")
        data = path.read_bytes()
    if len(data) > MAX_FEED_BYTES:
        raise NotAFeed(f"larger than {MAX_FEED_BYTES // (1024 * 1024)} MB")
    return data


class ImportRefused(NotAFeed):
    """The feed is someone else's: it belongs to another program (or to the deployment)."""


@lru_cache(maxsize=1)
def _zone_finder() -> TimezoneFinder:
    from timezonefinder import TimezoneFinder  # its boundary data ships in timezonefinder-data; no network

    return TimezoneFinder()


def zone_at(latitude: float, longitude: float) -> str | None:
    """The IANA time zone at a point (None at sea), from the boundaries shipped with timezonefinder."""
    zone = _zone_finder().timezone_at(lat=latitude, lng=longitude)
    return str(zone) if zone else None


def parse_meetings(
    data: bytes, *, fmt: str, default_tz: str | None, fellowship: str | None = None, source: str = ""
) -> Parsed:
    """A meeting without a time zone takes it from its coordinates, else `default_tz` (the notes say which).
    Without `fellowship`, a Meeting Guide feed's fellowship is what its meetings or `source` say."""
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise NotAFeed(f"not JSON: {exc}") from None
    if fmt == "meeting-guide":
        return feeds.parse_meeting_guide(
            document, default_tz=default_tz, fellowship=fellowship or None, zone_at=zone_at, source=source
        )
    if fmt == "bmlt":
        return feeds.parse_bmlt(document, default_tz=default_tz, zone_at=zone_at)
    raise NotAFeed(f"unknown format {fmt!r}: use meeting-guide or bmlt")


def parse_facilities(data: bytes) -> Parsed:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise NotAFeed("not UTF-8 text") from None
    return feeds.parse_facility_csv(text)


def _hash(values: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(values, sort_keys=True, default=str).encode()).hexdigest()


def _codes(values: tuple[str, ...]) -> str:
    return f"|{'|'.join(values)}|" if values else ""


def _meeting_fields(r: MeetingRecord) -> dict[str, Any]:
    values: dict[str, Any] = {
        "name": r.name,
        "fellowship": r.fellowship,
        "start_time": r.start,
        "end_time": r.end,
        "time_zone": r.time_zone,
        "attendance": r.attendance,
        "types": list(r.types),
        "location_name": r.location_name,
        "address": r.address,
        "city": r.city,
        "region": r.region,
        "postal_code": r.postal_code,
        "country": r.country,
        "latitude": r.latitude,
        "longitude": r.longitude,
        "approximate": r.approximate,
        "conference_url": r.conference_url,
        "conference_phone": r.conference_phone,
        "conference_notes": r.conference_notes,
        "languages": list(r.languages),
        "notes": r.notes,
        "language_codes": _codes(r.languages),
        "type_codes": _codes(r.types),
        "source_updated_at": r.source_updated_at,
    }
    values |= {f"day_{d}": d in r.days for d in range(7)}
    return values


def _facility_fields(r: FacilityRecord) -> dict[str, Any]:
    return {
        "name": r.name,
        "address": r.address,
        "city": r.city,
        "region": r.region,
        "postal_code": r.postal_code,
        "latitude": r.latitude,
        "longitude": r.longitude,
        "phone": r.phone,
        "website": r.website,
        "services": list(r.services),
        "payments": list(r.payments),
        "languages": list(r.languages),
        "data_as_of": r.data_as_of,
    }


_Row = TypeVar("_Row", Meeting, Facility)
_Record = TypeVar("_Record", bound=MeetingRecord | FacilityRecord)


def _upsert(
    model: type[_Row],
    records: Sequence[_Record],
    to_fields: Callable[[_Record], dict[str, Any]],
    source: str,
    report: ImportReport,
    progress: Progress | None,
) -> None:
    existing = {
        sid: (pk, digest, active)
        for pk, sid, digest, active in model.objects.filter(source=source).values_list(
            "pk", "source_id", "content_hash", "active"
        )
    }
    seen: set[str] = set()
    now = timezone.now()
    to_create: list[_Row] = []
    to_update: list[_Row] = []
    update_fields: list[str] = []
    total = len(records)
    for i, record in enumerate(records, 1):
        if record.source_id in seen:
            report.rejected += 1
            report.rejections.append(
                {"index": record.index, "reason": f"duplicate id {record.source_id!r}", "name": record.name}
            )
            continue
        seen.add(record.source_id)
        values: dict[str, object] = to_fields(record)
        digest = _hash(values)
        current = existing.get(record.source_id)
        if current is None:
            to_create.append(model(source=source, source_id=record.source_id, content_hash=digest, **values))
            report.created += 1
        elif current[1] != digest or not current[2]:
            to_update.append(model(pk=current[0], content_hash=digest, active=True, updated_at=now, **values))
            update_fields = [*values, "content_hash", "active", "updated_at"]
            report.updated += 1
        else:
            report.unchanged += 1
        if progress and (i % 1000 == 0 or i == total):
            progress(i, total)
    model.objects.bulk_create(to_create, batch_size=1000)
    if to_update:
        model.objects.bulk_update(to_update, update_fields, batch_size=500)
    gone = [pk for sid, (pk, _, active) in existing.items() if active and sid not in seen]
    for start in range(0, len(gone), 900):
        model.objects.filter(pk__in=gone[start : start + 900]).update(active=False, updated_at=now)
    report.deactivated = len(gone)


def _refresh_statistics() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for table in ("directory_meeting", "directory_facility"):
            cursor.execute(f"ANALYZE {table}")


def _claim_source(
    *, kind: str, source: str, program: Program | None, by: User | None, is_sample: bool
) -> FeedSource:
    """The feed row, locked; created for `program` on its first import. Another owner's feed is refused."""
    feed, _ = FeedSource.objects.get_or_create(
        kind=kind, name=source, defaults={"program": program, "is_sample": is_sample}
    )
    feed = FeedSource.objects.select_for_update().get(pk=feed.pk)
    if feed.program_id != (program.pk if program else None):
        owner = "another program" if feed.program_id else "the deployment (imported with the keel command)"
        raise ImportRefused(f"the feed {source!r} belongs to {owner}; choose another feed name")
    return feed


def import_parsed(
    *,
    kind: str,
    parsed: Parsed,
    source: str,
    fmt: str,
    by: User | None = None,
    program: Program | None = None,
    progress: Progress | None = None,
    is_sample: bool = False,
) -> ImportReport:
    """Apply a parsed feed in one transaction and keep the report. Rejections never stop the others.

    The feed belongs to the program that first imported it (`program`; None for the deployment's CLI and
    demo): an import by anyone else raises ImportRefused and changes nothing. A program admin imports only
    for a program of theirs."""
    if not source or len(source) > 100:
        raise NotAFeed("give a source name of 1 to 100 characters")
    if by is not None and (
        program is None or not ProgramMembership.objects.filter(user=by, program=program).exists()
    ):
        raise ImportRefused("import feeds for a program of yours")
    owners = list(FeedSource.objects.filter(kind=kind, name=source).values_list("program_id", flat=True))
    if owners and owners[0] != (program.pk if program else None):  # refused below; audited here, outside
        _audit_refusal(by=by, kind=kind, source=source, program=program)
    with transaction.atomic():
        _claim_source(kind=kind, source=source, program=program, by=by, is_sample=is_sample)
        return _apply(
            kind=kind, parsed=parsed, source=source, fmt=fmt, by=by, program=program, progress=progress
        )


def _apply(
    *,
    kind: str,
    parsed: Parsed,
    source: str,
    fmt: str,
    by: User | None,
    program: Program | None,
    progress: Progress | None,
) -> ImportReport:
    report = ImportReport(kind=kind, source=source, format=fmt, notes=list(parsed.notes))
    report.rejected = len(parsed.rejections)
    report.rejections = [{"index": r.index, "reason": r.reason, "name": r.name} for r in parsed.rejections]
    if kind == "meetings":
        _upsert(Meeting, parsed.records, _meeting_fields, source, report, progress)
    else:
        _upsert(Facility, parsed.records, _facility_fields, source, report, progress)
    report.rejections.sort(key=lambda r: r["index"])
    # Fresh planner statistics, or SQLite may pick the wrong index for radius searches.
    transaction.on_commit(_refresh_statistics)
    run = ImportRun.objects.create(
        kind=kind,
        source=source,
        format=fmt,
        by_id=getattr(by, "pk", None),
        notes=report.notes,
        rejections=report.rejections,
        counts={
            k: getattr(report, k) for k in ("created", "updated", "unchanged", "deactivated", "rejected")
        },
    )
    audit.record(
        actor=by,
        action=Action.CREATE,
        target_type="directory_import",
        target_id=run.pk,
        program_id=program.pk if program else None,
        detail={"kind": kind, "source": source, **run.counts},
    )
    return report


def _audit_refusal(*, by: User | None, kind: str, source: str, program: Program | None) -> None:
    audit.record(
        actor=by,
        action=Action.DENIED,
        outcome=Outcome.DENIED,
        target_type="directory_import",
        program_id=program.pk if program else None,
        reason="the feed belongs to someone else",
        detail={"kind": kind},
    )
