"""Import meeting feeds and facility lists: idempotent upserts by (source, source_id), with a report."""

from __future__ import annotations

import hashlib
import json
import urllib.request
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from keel.audit import services as audit
from keel.audit.models import Action
from keel.core.directory import feeds
from keel.core.directory.feeds import FacilityRecord, MeetingRecord, NotAFeed, Parsed
from keel.directory.models import Facility, ImportRun, Meeting

MAX_FEED_BYTES = 200 * 1024 * 1024
Progress = Callable[[int, int], None]


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
    rejections: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def read_source(location: str) -> bytes:
    """A local file or (deployments with internet access) an http(s) URL; NotAFeed if unreadable."""
    if location.startswith(("http://", "https://")):
        try:
            # Waiver (bandit B310, ruff S310): scheme limited to http(s) just above; see ARCHITECTURE.md.
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


def parse_meetings(data: bytes, *, fmt: str, default_tz: str | None, fellowship: str = "other") -> Parsed:
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise NotAFeed(f"not JSON: {exc}") from None
    if fmt == "meeting-guide":
        return feeds.parse_meeting_guide(document, default_tz=default_tz, fellowship=fellowship)
    if fmt == "bmlt":
        return feeds.parse_bmlt(document, default_tz=default_tz)
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


def _upsert(
    model: type[Meeting] | type[Facility],
    records: list[Any],
    to_fields: Callable[[Any], dict[str, Any]],
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
    to_create: list[Any] = []
    to_update: list[Any] = []
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
        values = to_fields(record)
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
    model.objects.bulk_create(to_create, batch_size=1000)  # type: ignore[arg-type]
    if to_update:
        model.objects.bulk_update(to_update, update_fields, batch_size=500)  # type: ignore[arg-type]
    gone = [pk for sid, (pk, _, active) in existing.items() if active and sid not in seen]
    for start in range(0, len(gone), 900):
        model.objects.filter(pk__in=gone[start : start + 900]).update(active=False, updated_at=now)
    report.deactivated = len(gone)


def _refresh_statistics() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for table in ("directory_meeting", "directory_facility"):
            cursor.execute(f"ANALYZE {table}")


@transaction.atomic
def import_parsed(
    *, kind: str, parsed: Parsed, source: str, fmt: str, by: Any = None, progress: Progress | None = None
) -> ImportReport:
    """Apply a parsed feed in one transaction and keep the report. Rejections never stop the others."""
    if not source or len(source) > 100:
        raise NotAFeed("give a source name of 1 to 100 characters")
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
        detail={"kind": kind, "source": source, **run.counts},
    )
    return report
