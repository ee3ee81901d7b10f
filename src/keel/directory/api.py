"""API: public meeting and facility search (nothing is stored, no sign-in needed)."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import quote

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router

from keel.api_auth import reads_no_one
from keel.api_query import reads_query
from keel.core.directory.feeds import meeting_types
from keel.directory import params
from keel.directory.queries import BadSearch, FacilityHit, MeetingHit, search_facilities, search_meetings
from keel.directory.schemas import FacilityOut, MeetingOut, MeetingTypeOut

if TYPE_CHECKING:
    from keel.directory.models import Facility

router = Router(tags=["directory"])


def directions_url(lat: float | None, lon: float | None) -> str:
    if lat is None or lon is None:
        return ""
    return f"https://www.openstreetmap.org/directions?to={quote(f'{lat},{lon}')}"


def position_is_approximate(facility: Facility) -> bool:
    """SAMHSA's 2017 list places each clinic at its ZIP code's center, not at its door."""
    from keel.directory.samples import REAL_CLINICS_SOURCE

    return bool(facility.source == REAL_CLINICS_SOURCE)


def facility_directions(facility: Facility) -> str:
    """Directions to the facility: to its address when its position is only its ZIP code's center (SAMHSA's
    list), else to its coordinates."""
    if position_is_approximate(facility) and facility.address:
        parts = (facility.address, facility.city, facility.region, facility.postal_code)
        where = ", ".join(p for p in parts if p)
        return f"https://www.openstreetmap.org/search?query={quote(where)}"
    return directions_url(facility.latitude, facility.longitude)


def type_labels(codes: list[str], lang: str) -> list[dict[str, str]]:
    table = meeting_types()
    return [
        {"code": c, "label": table.get(c, {}).get(lang) or table.get(c, {}).get("en") or c} for c in codes
    ]


def meeting_out(hit: MeetingHit, lang: str = "en") -> MeetingOut:
    m = hit.meeting
    return MeetingOut(
        id=m.pk,
        name=m.name,
        fellowship=m.fellowship,
        attendance=m.attendance,
        days=m.days,
        start_time=m.start_time.strftime("%H:%M"),
        end_time=m.end_time.strftime("%H:%M") if m.end_time else None,
        time_zone=m.time_zone,
        next_start=hit.next_start.isoformat() if hit.next_start else None,
        distance_km=round(hit.distance_km, 2) if hit.distance_km is not None else None,
        location_name=m.location_name,
        address=m.address,
        city=m.city,
        region=m.region,
        postal_code=m.postal_code,
        latitude=m.latitude,
        longitude=m.longitude,
        conference_url=m.conference_url,
        conference_phone=m.conference_phone,
        types=[MeetingTypeOut(**t) for t in type_labels(m.types, lang)],
        languages=m.languages,
        notes=m.notes,
        directions_url=directions_url(m.latitude, m.longitude) if m.attendance != "online" else "",
        source=m.source,
        source_id=m.source_id,
    )


def facility_out(hit: FacilityHit) -> FacilityOut:
    f = hit.facility
    return FacilityOut(
        id=f.pk,
        name=f.name,
        distance_km=round(hit.distance_km, 2),
        address=f.address,
        city=f.city,
        region=f.region,
        postal_code=f.postal_code,
        latitude=f.latitude,
        longitude=f.longitude,
        position_approximate=position_is_approximate(f),
        phone=f.phone,
        website=f.website,
        services=f.services,
        payments=f.payments,
        languages=f.languages,
        data_as_of=f.data_as_of.isoformat() if f.data_as_of else None,
        directions_url=facility_directions(f),
    )


@router.get(
    "/meetings",
    auth=None,
    response=list[MeetingOut],
    summary="Meetings near a place (by distance), then online ones (by start)",
)
@reads_query(
    "lat", "lon", "place", "zip", "radius_km", "radius_mi", "within_hours", "day", "part", "attendance",
    "fellowship", "language", "type", "limit",
)  # fmt: skip
@reads_no_one
def meetings(request: HttpRequest) -> list[MeetingOut]:
    """Query: lat & lon, or place (ZIP or "City, ST"); radius_km or radius_mi (default 10 mi); within_hours;
    day (0 = Sunday); part (morning/afternoon/evening); attendance (in_person/online/hybrid); fellowship
    (na, aa, smart, nar-anon, al-anon, recovery-dharma, other, or families); language; type; limit."""
    search, _ = params.meeting_search(request.GET)
    nearby, online = search_meetings(search, now=timezone.now())
    return [meeting_out(h) for h in (*nearby, *online)]


@router.get(
    "/facilities",
    auth=None,
    response=list[FacilityOut],
    summary="Treatment facilities near a place, by distance",
)
@reads_query("lat", "lon", "place", "zip", "radius_km", "radius_mi", "service", "payment", "language")
@reads_no_one
def facilities(request: HttpRequest) -> list[FacilityOut]:
    """Query: lat & lon or place; radius_km or radius_mi (default 25 mi); service; payment; language (a
    language the clinic speaks, ISO code); limit."""
    lat, lon, _ = params.place_from(request.GET)
    if lat is None or lon is None:
        raise BadSearch("place", "give lat and lon, or a ZIP code or city")
    hits = search_facilities(
        latitude=lat,
        longitude=lon,
        radius_km=params.radius_km(request.GET, default_miles=25),
        service=request.GET.get("service") or None,
        payment=request.GET.get("payment") or None,
        language=request.GET.get("language") or None,
    )
    return [facility_out(h) for h in hits]
